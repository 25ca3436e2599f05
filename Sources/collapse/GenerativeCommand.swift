import ArgumentParser
import CollapseCore
import CollapseExport
import CollapseSweep
import ExperimentEngine
import CollapseTheory
import Foundation
import LinearCollapse
import GenerativeChains

/// `collapse generative`: replace / accumulate / accumulate-subsample / mix / fresh-real chains of
/// a classic generative model, with metrics against real held-out data.
struct GenerativeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generative",
        abstract: "Chains of classic generative models (Gaussian, KDE, mixture, categorical, Poisson, n-gram); writes results.csv and manifest.json.",
        discussion: """
        Generation 1 fits --samples real points; each later generation fits data assembled by the \
        regime from the previous fit's samples (GenerationScheduler, whose regimes simulate's fast path is tested to match). Every replicate \
        draws its own real training set and a held-out real test set (--test-size points, never \
        trained on); all regimes of a replicate share them. Metrics per generation: the test set's \
        negative log-likelihood (nll, nats per point or per token) and, where the truth is known, \
        distances to it; closed forms (proofs G3, U1, W1) fill the theory column where they exist. \
        For --dataset csv/corpus the file's rows are shuffled per replicate into test, training and \
        held-back rows; fresh-real draws each generation's real part from the held-back rows and is \
        refused when there are too few. A fit whose covariance has collapsed to singular (a chain \
        absorbed onto a subspace or a point) is part of the chain, not an error: it is sampled on \
        its subspace and its nll is inf (the mean is inf, with no standard error, once any replicate \
        has one). The same --seed gives byte-identical CSV for any --threads. \
        `collapse generative --list` shows the models and datasets.
        """)

    @Flag(name: .customLong("list"), help: "List the models and datasets, then exit.")
    var list = false

    @Option(name: .customLong("model"), parsing: .unconditional, help: "gaussian, kde, gmm, categorical, poisson or ngram.")
    var model: String?

    @Option(name: .customLong("dataset"), parsing: .unconditional, help: "Real data (default: the model's own; see --list).")
    var dataset: String?

    @Option(name: .customLong("samples"), parsing: .unconditional, help: "Points (or sequences) per generation T (default 300); comma-separated for a grid.")
    var samples: String?

    @Option(name: .customLong("test-size"), parsing: .unconditional, help: "Held-out real test points per replicate (default 100); comma-separated for a grid.")
    var testSize: String?

    @Option(name: .customLong("generations"), parsing: .unconditional, help: "Number of fits N (generation 1 fits the real data; default 100); a comma-separated list runs one cell per value.")
    var generations: String?

    @Option(name: .customLong("regimes"), parsing: .unconditional,
            help: "Comma-separated regimes: replace, accumulate, accumulate-subsample, mix, fresh-real.")
    var regimes: String?

    @Option(name: .customLong("real-fraction"), parsing: .unconditional, help: "Real-data fraction(s) λ for mix and fresh-real, comma-separated, in [0, 1] (default: 0.5).")
    var realFraction: String?

    @Option(name: .customLong("repeats"), parsing: .unconditional, help: "Replicates R (≥ 2; default 100), comma-separated.")
    var repeats: String?

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("output"), parsing: .unconditional, help: "Output directory (created if missing; must be empty unless --resume or --force). Holds experiment.toml, cells/, results.csv, manifest.json.")
    var output = "results/generative"

    @Flag(name: .customLong("force"), help: "Overwrite the run files in a non-empty --output.")
    var force = false

    @OptionGroup var engine: EngineRunOptions

    // Model options.
    @Option(name: .customLong("covariance"), parsing: .unconditional, help: "gaussian: mle (divide by T, the default) or unbiased (T − 1).")
    var covariance: String?
    @Option(name: .customLong("bandwidth"), parsing: .unconditional, help: "kde: scott (default) or silverman (kernel f²Σ̂, scipy's gaussian_kde), sklearn-scott or sklearn-silverman (kernel h²I, scikit-learn's KernelDensity), or a fixed bandwidth h > 0 (kernel h²I).")
    var bandwidth: String?
    @Option(name: .customLong("components"), parsing: .unconditional, help: "gmm: mixture components K (default 3); comma-separated for a grid.")
    var components: String?
    @Option(name: .customLong("restarts"), parsing: .unconditional, help: "gmm: k-means++ starts per fit (default 1; the previous fit is also tried as a start).")
    var restarts: String?
    @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "gmm: EM iterations per start at most (default 200).")
    var maxIterations: String?
    @Option(name: .customLong("variance-floor"), parsing: .unconditional, help: "gmm: added to every covariance diagonal (default 1e-6).")
    var varianceFloor: String?
    @Option(name: .customLong("smoothing"), parsing: .unconditional, help: "categorical (default 0) and ngram (default 0.1): add-k pseudo-count ≥ 0.")
    var smoothing: String?
    @Option(name: .customLong("order"), parsing: .unconditional, help: "ngram: n (default 2, a bigram model).")
    var order: String?

    // Dataset options.
    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "gaussian and blobs datasets: dimension d (default 2).")
    var dimension: String?
    @Option(name: .customLong("variance"), parsing: .unconditional, help: "gaussian dataset: isotropic variance v, law N(0, vI) (default: Σ_ij = 0.5^|i−j|).")
    var variance: String?
    @Option(name: .customLong("noise"), parsing: .unconditional, help: "moons, circles (default 0, scikit-learn's), swiss-roll (default 0.1): Gaussian noise s.d. per coordinate.")
    var noise: String?
    @Option(name: .customLong("factor"), parsing: .unconditional, help: "circles: inner radius / outer radius, in [0, 1) (default 0.8, scikit-learn's).")
    var factor: String?
    @Option(name: .customLong("centers"), parsing: .unconditional, help: "blobs: number of centres (default 3, scikit-learn's).")
    var centers: String?
    @Option(name: .customLong("cluster-std"), parsing: .unconditional, help: "blobs: each blob's s.d. per coordinate (default 1, scikit-learn's).")
    var clusterStd: String?
    @Option(name: .customLong("center-box"), parsing: .unconditional, help: "blobs: LOW,HIGH, the box the centres are drawn uniformly in (default -10,10, scikit-learn's).")
    var centerBox: String?
    @Option(name: .customLong("support"), parsing: .unconditional, help: "zipf: number of symbols K (default 20).")
    var support: String?
    @Option(name: .customLong("exponent"), parsing: .unconditional, help: "zipf: exponent s ≥ 0 (default 1.1).")
    var exponent: String?
    @Option(name: .customLong("rate"), parsing: .unconditional, help: "poisson: rate λ in (0, 1000] (default 4).")
    var rate: String?
    @Option(name: .customLong("vocabulary"), parsing: .unconditional, help: "markov: vocabulary size V (default 10).")
    var vocabulary: String?
    @Option(name: .customLong("sequence-length"), parsing: .unconditional, help: "markov, corpus: tokens per sequence L (default 20).")
    var sequenceLength: String?
    @Option(name: .customLong("data"), parsing: .unconditional, help: "csv, corpus: the data file.")
    var data: String?


    static let family = GenerativeFamily()

    /// Every family parameter given on the command line, by config key.
    func flags() -> [String: String] {
        let given: [(String, String?)] = [
            ("model", model), ("dataset", dataset), ("samples", samples), ("test_size", testSize), ("generations", generations),
            ("regimes", regimes), ("real_fraction", realFraction), ("repeats", repeats), ("covariance", covariance),
            ("bandwidth", bandwidth), ("components", components), ("restarts", restarts), ("max_iterations", maxIterations),
            ("variance_floor", varianceFloor), ("smoothing", smoothing), ("order", order), ("dimension", dimension),
            ("variance", variance), ("noise", noise), ("factor", factor), ("centers", centers), ("cluster_std", clusterStd), ("center_box", centerBox),
            ("support", support), ("exponent", exponent), ("rate", rate), ("vocabulary", vocabulary),
            ("sequence_length", sequenceLength), ("data", data),
        ]
        return givenFlags(given)
    }

    func validate() throws {
        if list { return }
        _ = try engine.frontEnd(family: Self.family, flags: flags(), runOptions: runOptions, output: output, force: force)
    }

    func run() throws {
        if list {
            print(GenerativeFamily.listing, terminator: "")
            return
        }
        let frontEnd = try engine.frontEnd(family: Self.family, flags: flags(), runOptions: runOptions, output: output, force: force)
        guard let results = try frontEnd.run(command: "generative") else { return }
        print(LongResults.summary(try CSVReader.read(contentsOf: results), generations: Set([1] + (frontEnd.spec["generations"].count == 1 ? frontEnd.spec["generations"].compactMap(\.intValue) : []))), terminator: "")
    }
}
