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
        For T < d the fits are minimum-norm least squares. The same --seed gives byte-identical CSV \
        for any --threads. Every grid cell is written to --output/cells/ when it finishes: Ctrl-C keeps \
        the finished cells (exit 130) and --resume completes the run; --shard I/N runs a slice that \
        `collapse merge` combines.
        """)

    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "Feature dimension(s) d, comma-separated (d ≥ 1; default 10).")
    var dimension: String?

    @Option(name: .customLong("samples"), parsing: .unconditional, help: "Samples per generation T, comma-separated (T ≥ 1; default 100).")
    var samples: String?

    @Option(name: .customLong("noise-variance"), parsing: .unconditional, help: "Label-noise variance(s) σ², comma-separated (> 0; default 1).")
    var noiseVariance: String?

    @Option(name: .customLong("generations"), parsing: .unconditional, help: "Number of model fits N (generation 1 fits the real data; default 10); a comma-separated list runs one cell per value.")
    var generations: String?

    @Option(name: .customLong("regimes"), parsing: .unconditional,
            help: "Comma-separated regimes: replace, accumulate, accumulate-subsample, mix, fresh-real (default replace,accumulate).")
    var regimes: String?

    @Option(name: .customLong("real-fraction"), parsing: .unconditional, help: "Real-data fraction(s) λ for mix and fresh-real, comma-separated, in [0, 1] (default: 0.5).")
    var realFraction: String?

    @Option(name: .customLong("repeats"), parsing: .unconditional, help: "Monte Carlo replicates R per cell (≥ 2; default 1000), comma-separated.")
    var repeats: String?

    @Option(name: .customLong("engine"), parsing: .unconditional,
            help: "Simulator: literal (draws every design entry and label; the reference) or sufficient (draws XᵀX and XᵀE; O(d²) per generation; replace/accumulate with T ≥ d).")
    var engine: String?

    @Option(name: .customLong("design"), parsing: .unconditional,
            help: "fixed (one design per replicate, the default) or fresh (a new design every generation; replace/accumulate, literal engine).")
    var design: String?

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("output"), parsing: .unconditional,
            help: "Output directory (created if missing; must be empty unless --resume or --force). Holds experiment.toml, cells/, results.csv, manifest.json.")
    var output = "results/simulate"

    @Flag(name: .customLong("force"), help: "Overwrite the run files in a non-empty --output.")
    var force = false

    @OptionGroup var engineOptions: EngineRunOptions

    static let family = LinearFamily()

    func flags() -> [String: String] {
        let given: [(String, String?)] = [
            ("dimension", dimension), ("samples", samples), ("noise_variance", noiseVariance), ("generations", generations),
            ("regimes", regimes), ("real_fraction", realFraction), ("repeats", repeats), ("engine", engine), ("design", design),
        ]
        return givenFlags(given)
    }

    func validate() throws {
        _ = try engineOptions.frontEnd(family: Self.family, flags: flags(), runOptions: runOptions, output: output, force: force)
    }

    func run() throws {
        let frontEnd = try engineOptions.frontEnd(family: Self.family, flags: flags(), runOptions: runOptions, output: output, force: force)
        guard let results = try frontEnd.run(command: "simulate") else { return }
        print(LongResults.summary(try CSVReader.read(contentsOf: results), generations: Set([1] + (frontEnd.spec["generations"].count == 1 ? frontEnd.spec["generations"].compactMap(\.intValue) : []))), terminator: "")
    }
}
