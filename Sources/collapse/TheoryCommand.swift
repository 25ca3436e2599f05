import ArgumentParser
import CollapseExport
import CollapseSweep
import ExperimentEngine
import Foundation

/// `collapse theory`: the closed forms of every model (`TheoryRequest` holds the rules, the
/// tables and their printing).
struct TheoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theory",
        abstract: "Print the closed-form expected test error (Gaussian design) of replace and accumulate.",
        discussion: """
        replace: σ² n d/(T−d−1) (proof T1); accumulate: σ² d/(T−d−1) Σ_{i≤n} 1/i² ≤ σ² d/(T−d−1)·π²/6 \
        (proof T2). Requires T ≥ d + 2: for T = d or d + 1 the expectation is infinite, and for T < d \
        (XᵀX)⁻¹ does not exist.
        """)

    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "Feature dimension(s) d, comma-separated (d ≥ 1).")
    var dimension = "10"

    @Option(name: .customLong("samples"), parsing: .unconditional, help: "Samples per generation T, comma-separated (the linear closed forms need T ≥ d + 2; for the chain models T is M ≥ 1).")
    var samples = "100"

    @Option(name: .customLong("noise-variance"), parsing: .unconditional, help: "Label-noise variance(s) σ², comma-separated (> 0).")
    var noiseVariance = "1"

    @Option(name: .customLong("generations"), parsing: .unconditional, help: "Number of model fits N (generation 1 fits the real data).")
    var generations = 10

    @Option(name: .customLong("regimes"), parsing: .unconditional, help: "Comma-separated regimes with a closed form: replace, accumulate.")
    var regimes = "replace,accumulate"

    @Option(name: .customLong("format"), parsing: .unconditional,
            help: "Output: table (for reading), csv (the long results format every command writes: one row per generation and metric, the value in `theory`; `collapse plot` draws it) or wide (one row per generation, one column per quantity).")
    var format = "table"

    @Option(name: .customLong("model"), parsing: .unconditional,
            help: "Which chain: linear (default), exact, fresh-design, ridge, poisson, gaussian-mean, gaussian-refit, gaussian-refit-d, categorical, mixing (see --list). For the chain models --samples is M, the samples per generation.")
    var model = "linear"

    @OptionGroup(title: "Exact propagation (--model exact)") var exact: ExactOptions

    @OptionGroup var ridgeOptions: RidgeOptions

    @Flag(name: .customLong("list"), help: "List the models with their formulas and proofs, then exit.")
    var list = false

    @Option(name: .customLong("rate"), parsing: .unconditional, help: "Poisson rate(s) λ for --model poisson, comma-separated (> 0).")
    var rate = "1"

    @Option(name: .customLong("generator-samples"), parsing: .unconditional, help: "T₀ of the generators for --model fresh-design or ridge (Dohmatob chain; default: --samples).")
    var generatorSamples: Int?

    @Option(name: .customLong("generator-noise-variance"), parsing: .unconditional, help: "σ₀² of the generators for --model fresh-design or ridge (default: --noise-variance).")
    var generatorNoiseVariance: Double?

    @Option(name: .customLong("estimator"), parsing: .unconditional, help: "Variance estimator for --model gaussian-refit: unbiased or mle.")
    var estimator = "unbiased"

    @Option(name: .customLong("covariance-eigenvalues"), parsing: .unconditional,
            help: "Eigenvalues of Σ for --model gaussian-refit-d, comma-separated (> 0); the dimension is their number (default: σ²·I_d from --noise-variance and --dimension).")
    var covarianceEigenvalues: String?

    @Option(name: .customLong("zipf-support"), parsing: .unconditional, help: "K, the support size of the Zipf truth for --model categorical.")
    var zipfSupport = 10

    @Option(name: .customLong("zipf-exponent"), parsing: .unconditional, help: "s, the Zipf exponent for --model categorical (≥ 0).")
    var zipfExponent = 1.1

    @Option(name: .customLong("weight"), parsing: .unconditional, help: "Real-data weight(s) w for --model mixing, in (0, 1] (default: (√5−1)/2).")
    var weight: String?

    var request: TheoryRequest {
        var r = TheoryRequest()
        (r.model, r.format, r.regimes, r.dimension, r.samples, r.noiseVariance, r.generations) =
            (model, format, regimes, dimension, samples, noiseVariance, generations)
        (r.rate, r.generatorSamples, r.generatorNoiseVariance, r.estimator, r.covarianceEigenvalues, r.zipfSupport, r.zipfExponent, r.weight) =
            (rate, generatorSamples, generatorNoiseVariance, estimator, covarianceEigenvalues, zipfSupport, zipfExponent, weight)
        (r.spectrum, r.beta, r.source, r.ridge) = (ridgeOptions.spectrum, ridgeOptions.beta, ridgeOptions.source, ridgeOptions.ridge)
        (r.discount, r.designFile, r.truthFile, r.seed, r.replicate, r.realFraction) =
            (exact.discount, exact.designFile, exact.truthFile, exact.seed, exact.replicate, exact.realFraction)
        return r
    }

    func validate() throws {
        if list { return }
        try usage { try request.validate() }
    }

    func run() throws {
        if list { print(TheoryRequest.list, terminator: ""); return }
        do {
            let (text, notes) = try usage { try request.render() }
            notes.forEach(Console.note)
            print(text, terminator: "")
        } catch let e as TheoryRequest.Failure {
            throw CLIError(e.description)
        }
    }
}

/// The flags of `collapse theory --model ridge` (proof R1).
struct RidgeOptions: ParsableArguments {
    @Option(name: .customLong("spectrum"), parsing: .unconditional,
            help: "Covariance spectrum for --model ridge: isotropic (Σ = I) or power-law (s_i = i^−β, s_1 = 1).")
    var spectrum = "isotropic"

    @Option(name: .customLong("beta"), parsing: .unconditional, help: "Capacity exponent β > 0 of --spectrum power-law (default 1.5).")
    var beta: Double?

    @Option(name: .customLong("source"), parsing: .unconditional,
            help: "Source exponent r ≥ 0 of --spectrum power-law: s_i·w*_i² ∝ i^−(1+2βr) (default 0.5).")
    var source: Double?

    @Option(name: .customLong("ridge"), parsing: .unconditional,
            help: "Ridge penalty λ ≥ 0 on the mean squared loss, ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T, comma-separated (0: min-norm OLS). --model ridge: also 'optimal' (minimises the deterministic equivalent at each generation; the default). --model exact: default 0.")
    var ridge: String?
}

/// The flags of `collapse theory --model exact`: the exact risk curve of a fixed-design ridge /
/// min-norm chain given one design `X` and truth `w*` (proof E1), without Monte Carlo.
struct ExactOptions: ParsableArguments {
    @Option(name: .customLong("discount"), parsing: .unconditional,
            help: "For --model exact: also weighted accumulation with weight γ^age on older generations, γ in [0, 1], comma-separated.")
    var discount: String?

    @Option(name: .customLong("design-file"), parsing: .unconditional,
            help: "For --model exact: CSV file of the design X (a header row, then T rows of d numbers); --dimension and --samples are then read from it.")
    var designFile: String?

    @Option(name: .customLong("truth-file"), parsing: .unconditional,
            help: "For --model exact: CSV file of w* (a header row, then d rows of one number). Default: w* ~ N(0, I) from --seed.")
    var truthFile: String?

    @Option(name: .customLong("seed"), parsing: .unconditional,
            help: "For --model exact: draw X (and w*) as replicate --replicate of `collapse simulate --seed` does (default seed 1).")
    var seed: String?

    @Option(name: .customLong("replicate"), parsing: .unconditional, help: "For --model exact: which replicate's design to draw (default 0).")
    var replicate = 0

    @Option(name: .customLong("real-fraction"), parsing: .unconditional,
            help: "For --model exact with fresh-real: real fraction(s) λ in [0, 1]; rows 0..<round(λT) get fresh real labels (default 0.5).")
    var realFraction = "0.5"
}

/// Six significant digits for tables (CSV output keeps full precision).
func fmt(_ x: Double) -> String { TextTable.number(x) }
