import ArgumentParser
import CollapseCore
import CollapseExport
import ExperimentEngine
import Foundation
import LinearCollapse

/// `collapse simulate`: Monte Carlo of the linear chain over a parameter grid, on the
/// experiment engine (`LinearFamily`).
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Monte Carlo of the OLS collapse chain over a grid; writes results.csv and manifest.json.",
        discussion: """
            Every replicate draws a design X (T×d, N(0,1) entries), w* ~ N(0, I), and fresh noise each \
            generation, then literally refits under each regime. Regimes of one replicate share its draws. \
            For T < d the fits are minimum-norm least squares. --spectrum power-law, --fit ridge and --discount \
            refit literally on a general Gaussian design (literal engine, fixed design, replace/accumulate); the ridge \
            penalty λ is on the mean squared loss, as in `theory --model exact` (one fit: ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T; \
            a pooled fit adds one penalty Tλ‖w‖² to the weighted stacked sum of squares), and theory_given_design \
            is the exact propagation given each design (proof E1). The moments column says which moments of the \
            error are proved finite (proofs L1, A1; accumulate-subsample per generation); where the variance is \
            infinite, read the median and its interval. The same --seed gives byte-identical CSV \
            for any --threads. Every grid cell is written to --output/cells/ when it finishes: Ctrl-C keeps \
            the finished cells (exit 130) and --resume completes the run; --shard I/N runs a slice that \
            `collapse merge` combines.
            """)

    @Argument(parsing: .allUnrecognized, help: parametersHelp, completion: parameterCompletion { _ in family.parameters })
    var parameters: [String] = []

    @OptionGroup var runOptions: RunOptions

    @Option(
        name: .customLong("output"), parsing: .unconditional,
        help: "Output directory (created if missing; must be empty unless --resume or --force). Holds experiment.toml, cells/, results.csv, manifest.json.",
        completion: .directory)
    var output = "results/simulate"

    @Flag(name: .customLong("force"), help: "Overwrite the run files in a non-empty --output.")
    var force = false

    @OptionGroup var engineOptions: EngineRunOptions

    static let family = LinearFamily()
    static let parametersHelp = parameterHelp(family.parameters)

    func flags() throws -> [String: String] { try parameterFlags(parameters, of: Self.family.parameters) }

    func validate() throws {
        _ = try engineOptions.frontEnd(family: Self.family, flags: try flags(), runOptions: runOptions, output: output, force: force)
    }

    func run() throws {
        let frontEnd = try engineOptions.frontEnd(family: Self.family, flags: try flags(), runOptions: runOptions, output: output, force: force)
        guard let results = try frontEnd.run(command: "simulate") else { return }
        print(
            LongResults.summary(
                try CSVReader.read(contentsOf: results),
                generations: Set([1] + (frontEnd.spec["generations"].count == 1 ? frontEnd.spec["generations"].compactMap(\.intValue) : []))), terminator: "")
    }
}
