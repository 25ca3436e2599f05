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
        is the exact propagation given each design (proof E1). The same --seed gives byte-identical CSV \
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

    @Option(name: .customLong("spectrum"), parsing: .unconditional,
            help: "Design covariance: isotropic (Σ = I, w* ~ N(0, I); default) or power-law (s_i = i^−β, fixed w* with s_i·w*_i² ∝ i^−(1+2βr), ‖w*‖²_Σ = 1, as `theory --model ridge`). Non-default --spectrum, --fit ridge and --discount need --engine literal, --design fixed, regimes replace/accumulate.")
    var spectrum: String?

    @Option(name: .customLong("beta"), parsing: .unconditional, help: "Capacity exponent β of --spectrum power-law, in (0, 10] (default 1.5).")
    var beta: String?

    @Option(name: .customLong("source"), parsing: .unconditional, help: "Source exponent r of --spectrum power-law, in [0, 10] (default 0.5).")
    var source: String?

    @Option(name: .customLong("fit"), parsing: .unconditional, help: "Estimator: ols (minimum-norm least squares; default) or ridge (with --ridge).")
    var fit: String?

    @Option(name: .customLong("ridge"), parsing: .unconditional,
            help: "Penalty λ ≥ 0 of --fit ridge on the mean squared loss, as `theory --model exact`: ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T for one generation; accumulate solves (n·XᵀX + TλI)ŵ = Σ_j Xᵀy_j (one penalty Tλ‖w‖² on the stacked sum of squares).")
    var ridge: String?

    @Option(name: .customLong("discount"), parsing: .unconditional,
            help: "Discounted accumulation: γ in [0, 1], comma-separated; each adds a 'discounted' series weighting generation j by γ^(n−j) (1: accumulate, 0: replace).")
    var discount: String?

    @Flag(name: .customLong("test-noise"), help: "Noisy test targets: add the label-noise variance σ² to every error and theory (THEORY §0).")
    var testNoise = false

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
            ("spectrum", spectrum), ("beta", beta), ("source", source), ("fit", fit), ("ridge", ridge), ("discount", discount),
            ("test_noise", testNoise ? "true" : nil),
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
