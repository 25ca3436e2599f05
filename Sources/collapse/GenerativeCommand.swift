import ArgumentParser
import CollapseCore
import CollapseExport
import CollapseSweep
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
        regime from the previous fit's samples (the same scheduler as simulate). Every replicate \
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

    struct ModelInfo {
        var name: String, kind: DataKind, defaultDataset: String, summary: String, options: [String]
    }

    static let models: [ModelInfo] = [
        .init(name: "gaussian", kind: .points, defaultDataset: "gaussian",
              summary: "multivariate Gaussian, moments fit (MLE or unbiased covariance; proof G3)", options: ["--covariance"]),
        .init(name: "kde", kind: .points, defaultDataset: "moons",
              summary: "Gaussian kernel density estimate (bandwidth Scott, Silverman or fixed)", options: ["--bandwidth"]),
        .init(name: "gmm", kind: .points, defaultDataset: "blobs",
              summary: "Gaussian mixture by EM (k-means++ starts, restarts, variance floor)",
              options: ["--components", "--restarts", "--max-iterations", "--variance-floor"]),
        .init(name: "categorical", kind: .symbols, defaultDataset: "zipf",
              summary: "categorical distribution, add-α frequencies (α = 0: Wright–Fisher; proof W1)", options: ["--smoothing"]),
        .init(name: "poisson", kind: .counts, defaultDataset: "poisson",
              summary: "Poisson rate, MLE (proof U1)", options: []),
        .init(name: "ngram", kind: .sequences, defaultDataset: "markov",
              summary: "n-gram token model with add-k smoothing", options: ["--order", "--smoothing"]),
    ]

    struct DatasetInfo {
        var name: String, kind: DataKind, summary: String, options: [String]
    }

    static let datasets: [DatasetInfo] = [
        .init(name: "gaussian", kind: .points, summary: "N(0, Σ) in d dimensions, Σ_ij = 0.5^|i−j| (truth known)", options: ["--dimension"]),
        .init(name: "blobs", kind: .points, summary: "3 Gaussian blobs in 2-D, σ = 0.5, centres on a circle of radius 3 (truth known)", options: []),
        .init(name: "circles", kind: .points, summary: "2 concentric circles in 2-D, radii 1 and 0.5, noise 0.05 (moments known)", options: []),
        .init(name: "moons", kind: .points, summary: "two moons in 2-D, noise 0.1 (moments known)", options: []),
        .init(name: "swiss-roll", kind: .points, summary: "2-D Swiss roll spiral, noise 0.1", options: []),
        .init(name: "csv", kind: .points, summary: "your CSV of points (--data FILE): one point per line, optional header", options: ["--data"]),
        .init(name: "zipf", kind: .symbols, summary: "Zipf law p_i ∝ i^−s on K symbols (truth known)", options: ["--support", "--exponent"]),
        .init(name: "poisson", kind: .counts, summary: "Poisson(λ) counts (truth known)", options: ["--rate"]),
        .init(name: "markov", kind: .sequences, summary: "sequences of a fixed first-order Markov chain on V tokens (truth known)",
              options: ["--vocabulary", "--sequence-length"]),
        .init(name: "corpus", kind: .sequences, summary: "your plain-text corpus (--data FILE), whitespace tokens cut into sequences",
              options: ["--data", "--sequence-length"]),
    ]

    @Flag(name: .customLong("list"), help: "List the models and datasets, then exit.")
    var list = false

    @Option(name: .customLong("model"), parsing: .unconditional, help: "gaussian, kde, gmm, categorical, poisson or ngram.")
    var model: String?

    @Option(name: .customLong("dataset"), parsing: .unconditional, help: "Real data (default: the model's own; see --list).")
    var dataset: String?

    @Option(name: .customLong("samples"), parsing: .unconditional, help: "Points (or sequences) per generation T.")
    var samples = 300

    @Option(name: .customLong("test-size"), parsing: .unconditional, help: "Held-out real test points per replicate.")
    var testSize = 100

    @Option(name: .customLong("generations"), parsing: .unconditional, help: "Number of fits N (generation 1 fits the real data).")
    var generations = 100

    @Option(name: .customLong("regimes"), parsing: .unconditional,
            help: "Comma-separated regimes: replace, accumulate, accumulate-subsample, mix, fresh-real.")
    var regimes = "replace,accumulate"

    @Option(name: .customLong("real-fraction"), parsing: .unconditional, help: "Real-data fraction(s) λ for mix and fresh-real, comma-separated, in [0, 1] (default: 0.5).")
    var realFraction: String?

    @Option(name: .customLong("repeats"), parsing: .unconditional, help: "Replicates R (≥ 2).")
    var repeats = 100

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("output"), parsing: .unconditional, help: "Output directory (created if missing; may hold only a previous run's results.csv and manifest.json unless --force).")
    var output = "results/generative"

    @Flag(name: .customLong("force"), help: "Write into --output even if it holds other files.")
    var force = false

    // Model options.
    @Option(name: .customLong("covariance"), parsing: .unconditional, help: "gaussian: mle (divide by T, the default) or unbiased (T − 1).")
    var covariance: String?
    @Option(name: .customLong("bandwidth"), parsing: .unconditional, help: "kde: scott (default), silverman, or a fixed bandwidth h > 0 (kernel h²I).")
    var bandwidth: String?
    @Option(name: .customLong("components"), parsing: .unconditional, help: "gmm: mixture components K (default 3).")
    var components: Int?
    @Option(name: .customLong("restarts"), parsing: .unconditional, help: "gmm: k-means++ starts per fit (default 1; the previous fit is also tried as a start).")
    var restarts: Int?
    @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "gmm: EM iterations per start at most (default 200).")
    var maxIterations: Int?
    @Option(name: .customLong("variance-floor"), parsing: .unconditional, help: "gmm: added to every covariance diagonal (default 1e-6).")
    var varianceFloor: Double?
    @Option(name: .customLong("smoothing"), parsing: .unconditional, help: "categorical (default 0) and ngram (default 0.1): add-k pseudo-count ≥ 0.")
    var smoothing: Double?
    @Option(name: .customLong("order"), parsing: .unconditional, help: "ngram: n (default 2, a bigram model).")
    var order: Int?

    // Dataset options.
    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "gaussian dataset: dimension d (default 2).")
    var dimension: Int?
    @Option(name: .customLong("support"), parsing: .unconditional, help: "zipf: number of symbols K (default 20).")
    var support: Int?
    @Option(name: .customLong("exponent"), parsing: .unconditional, help: "zipf: exponent s ≥ 0 (default 1.1).")
    var exponent: Double?
    @Option(name: .customLong("rate"), parsing: .unconditional, help: "poisson: rate λ in (0, 1000] (default 4).")
    var rate: Double?
    @Option(name: .customLong("vocabulary"), parsing: .unconditional, help: "markov: vocabulary size V (default 10).")
    var vocabulary: Int?
    @Option(name: .customLong("sequence-length"), parsing: .unconditional, help: "markov, corpus: tokens per sequence L (default 20).")
    var sequenceLength: Int?
    @Option(name: .customLong("data"), parsing: .unconditional, help: "csv, corpus: the data file.")
    var data: String?

    static let owned = ["results.csv", "manifest.json"]

    func validate() throws {
        if list { return }
        _ = try experiment()
        try OutputDirectory(path: output).checkContents(owned: Self.owned, force: force)
    }

    // MARK: Parsing

    func modelInfo() throws -> ModelInfo {
        guard let model else {
            throw ValidationError("--model is required; allowed: \(Self.models.map(\.name).joined(separator: ", ")) (see --list)")
        }
        guard let m = Self.models.first(where: { $0.name == model }) else {
            throw ValidationError("--model: unknown model '\(model)'; allowed: \(Self.models.map(\.name).joined(separator: ", "))")
        }
        return m
    }

    func datasetInfo(for m: ModelInfo) throws -> DatasetInfo {
        let name = dataset ?? m.defaultDataset
        guard let d = Self.datasets.first(where: { $0.name == name }) else {
            throw ValidationError("--dataset: unknown dataset '\(name)'; allowed: \(Self.datasets.map(\.name).joined(separator: ", "))")
        }
        guard d.kind == m.kind else {
            let fitting = Self.datasets.filter { $0.kind == m.kind }.map(\.name)
            throw ValidationError("--dataset \(name): the \(m.name) model cannot fit it (\(d.kind.rawValue) data); datasets for \(m.name): \(fitting.joined(separator: ", "))")
        }
        return d
    }

    /// Refuses model or dataset flags that do not apply to the chosen pair.
    func checkApplicable(_ m: ModelInfo, _ d: DatasetInfo) throws {
        let given: [(String, Bool)] = [
            ("--covariance", covariance != nil), ("--bandwidth", bandwidth != nil), ("--components", components != nil),
            ("--restarts", restarts != nil), ("--max-iterations", maxIterations != nil), ("--variance-floor", varianceFloor != nil),
            ("--smoothing", smoothing != nil), ("--order", order != nil), ("--dimension", dimension != nil),
            ("--support", support != nil), ("--exponent", exponent != nil), ("--rate", rate != nil),
            ("--vocabulary", vocabulary != nil), ("--sequence-length", sequenceLength != nil), ("--data", data != nil),
        ]
        for (flag, isGiven) in given where isGiven && !m.options.contains(flag) && !d.options.contains(flag) {
            let users = Self.models.filter { $0.options.contains(flag) }.map { "--model \($0.name)" } +
                Self.datasets.filter { $0.options.contains(flag) }.map { "--dataset \($0.name)" }
            throw ValidationError("\(flag) does not apply to --model \(m.name) --dataset \(d.name); it applies to \(users.joined(separator: ", "))")
        }
    }

    func parsedRegimes() throws -> [Regime] {
        try ListParsing.regimes(regimes, realFraction: realFraction)
    }

    func positive(_ v: Double?, _ flag: String, default fallback: Double, minimum: Double = 0, allowZero: Bool = false, maximum: Double = 1e12) throws -> Double {
        guard let v else { return fallback }
        let ok = v.isFinite && (allowZero ? v >= minimum : v > minimum) && v <= maximum
        guard ok else {
            throw ValidationError("\(flag): \(v) is out of range; expected a finite number \(allowZero ? "≥" : ">") \(shortestDecimal(minimum)) and ≤ \(shortestDecimal(maximum))")
        }
        return v
    }

    func modelSpec(_ m: ModelInfo) throws -> GenerativeModelSpec {
        switch m.name {
        case "gaussian":
            let raw = covariance ?? "mle"
            guard let e = GaussianFittingTheory.Estimator(rawValue: raw) else {
                throw ValidationError("--covariance: unknown estimator '\(raw)'; allowed: mle, unbiased")
            }
            return .gaussian(e)
        case "kde":
            let raw = bandwidth ?? "scott"
            switch raw {
            case "scott": return .kde(.scott)
            case "silverman": return .kde(.silverman)
            default:
                guard let h = Double(raw), h.isFinite, h > 0, h <= 1e6 else {
                    throw ValidationError("--bandwidth: '\(raw)' is not scott, silverman or a number in (0, 1e6]")
                }
                return .kde(.fixed(h))
            }
        case "gmm":
            return .mixture(components: try ListParsing.checked(components ?? 3, flag: "--components", in: 1...100),
                            restarts: try ListParsing.checked(restarts ?? 1, flag: "--restarts", in: 1...100),
                            maxIterations: try ListParsing.checked(maxIterations ?? 200, flag: "--max-iterations", in: 1...100_000),
                            tolerance: 1e-5,
                            varianceFloor: try positive(varianceFloor, "--variance-floor", default: 1e-6, maximum: 1e6))
        case "categorical":
            return .categorical(smoothing: try positive(smoothing, "--smoothing", default: 0, allowZero: true, maximum: 1e6))
        case "poisson":
            return .poisson
        default:
            return .ngram(order: try ListParsing.checked(order ?? 2, flag: "--order", in: 1...8),
                          smoothing: try positive(smoothing, "--smoothing", default: 0.1, allowZero: true, maximum: 1e6))
        }
    }

    func datasetSpec(_ d: DatasetInfo) throws -> GenerativeDataset {
        switch d.name {
        case "gaussian":
            return .points(.gaussian, dimension: try ListParsing.checked(dimension ?? 2, flag: "--dimension", in: 1...100))
        case "blobs": return .points(.blobs, dimension: 2)
        case "circles": return .points(.circles, dimension: 2)
        case "moons": return .points(.moons, dimension: 2)
        case "swiss-roll": return .points(.swissRoll, dimension: 2)
        case "zipf":
            return .zipf(support: try ListParsing.checked(support ?? 20, flag: "--support", in: 1...10_000_000),
                         exponent: try positive(exponent, "--exponent", default: 1.1, allowZero: true, maximum: 100))
        case "poisson":
            // The Poisson sampler (ParametricChains.Poisson) costs O(λ) per draw, so λ is capped at 1000.
            return .poisson(rate: try positive(rate, "--rate", default: 4, maximum: 1000))
        case "markov":
            return .markov(vocabulary: try ListParsing.checked(vocabulary ?? 10, flag: "--vocabulary", in: 2...1000),
                           sequenceLength: try ListParsing.checked(sequenceLength ?? 20, flag: "--sequence-length", in: 1...100_000))
        case "csv":
            let text = try dataText(d)
            do {
                return .userPoints(try UserData.points(csv: text, file: data!))
            } catch let e as UserDataError {
                throw ValidationError("--data \(e.description)")
            }
        default:
            let text = try dataText(d)
            let length = try ListParsing.checked(sequenceLength ?? 20, flag: "--sequence-length", in: 1...100_000)
            do {
                let (sequences, vocabulary) = try UserData.corpus(text, length: length, file: data!)
                guard vocabulary.count >= 2 else {
                    throw ValidationError("--data \(data!): the corpus has \(vocabulary.count) distinct token(s); an n-gram model needs at least 2")
                }
                return .corpus(sequences, vocabulary: vocabulary.count)
            } catch let e as UserDataError {
                throw ValidationError("--data \(e.description)")
            }
        }
    }

    func dataText(_ d: DatasetInfo) throws -> String {
        guard let data else { throw ValidationError("--dataset \(d.name) needs --data FILE (\(d.summary))") }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDir) else {
            throw ValidationError("--data \(data): no such file")
        }
        if isDir.boolValue { throw ValidationError("--data \(data): is a directory; expected a file") }
        guard let bytes = FileManager.default.contents(atPath: data) else {
            throw ValidationError("--data \(data): cannot read the file")
        }
        guard let text = String(data: bytes, encoding: .utf8) else { throw ValidationError("--data \(data): not UTF-8 text") }
        return text
    }

    /// The experiment the flags describe, fully checked.
    func experiment() throws -> GenerativeExperiment {
        let m = try modelInfo()
        let d = try datasetInfo(for: m)
        try checkApplicable(m, d)
        let spec = try modelSpec(m)
        let regimeList = try parsedRegimes()
        let t = try ListParsing.checked(samples, flag: "--samples", in: 2...10_000_000)
        let test = try ListParsing.checked(testSize, flag: "--test-size", in: 1...10_000_000)
        let n = try ListParsing.checked(generations, flag: "--generations", in: SweepSpec.Limits.generations)
        let r = try ListParsing.checked(repeats, flag: "--repeats", in: SweepSpec.Limits.repeats,
                                        why: " (a standard error needs at least 2 replicates)")
        let threads = try runOptions.resolvedThreads()
        _ = try runOptions.parsedSeed()
        let maxMemory = try runOptions.parsedMaxMemory()
        let data = try datasetSpec(d)
        try checkSizes(spec, data, samples: t, testSize: test, regimes: regimeList)
        try checkMemory(spec, data, samples: t, generations: n, regimes: regimeList, threads: threads, maxMemory: maxMemory)
        return GenerativeExperiment(model: spec, dataset: data, samples: t, testSize: test, generations: n,
                                    regimes: regimeList, repeats: r, seed: try runOptions.parsedSeed() ?? 0, threads: threads)
    }

    func checkSizes(_ spec: GenerativeModelSpec, _ data: GenerativeDataset, samples t: Int, testSize: Int, regimes: [Regime]) throws {
        if case let .mixture(k, _, _, _, _) = spec, t < k {
            throw ValidationError("--samples \(t): a \(k)-component mixture needs at least \(k) points per generation (--components)")
        }
        // A Gaussian fit, or a Scott/Silverman kernel (a multiple of the sample covariance), of
        // T ≤ d points has a singular covariance from generation 1 on: refuse it for every point
        // dataset (a fixed bandwidth h²I is never singular).
        var fitsCovariance = false
        if case .gaussian = spec { fitsCovariance = true }
        if case let .kde(b) = spec, b == .scott || b == .silverman { fitsCovariance = true }
        if fitsCovariance, let d = Self.pointDimension(data), t <= d {
            let source: String
            switch data {
            case let .points(p, _): source = p == .gaussian ? " (--dimension)" : " (--dataset \(p.rawValue) is 2-D)"
            default: source = " (the columns of --data \(self.data ?? ""))"
            }
            throw ValidationError("--samples \(t): the fitted covariance of T points in d = \(d) dimensions is singular unless T > d\(source); use --samples ≥ \(d + 1)")
        }
        if case let .ngram(order, _) = spec {
            let v: Int
            switch data {
            case let .markov(vv, _): v = vv
            case let .corpus(_, vv): v = vv
            default: v = 2
            }
            let size = NGramModel.tableSize(order: order, vocabulary: v), limit = NGramModel.maximumTableSize
            if size > limit {
                let exact = size == Int.max ? String(format: "%.3g", pow(Double(v + 1), Double(order - 1)) * Double(v)) : String(size)
                let table = order == 1 ? "V = \(v) counts" : "(V+1)^\(order - 1)·V = \(exact) counts"
                var advice: [String] = []
                if order > 1 && NGramModel.tableSize(order: 1, vocabulary: v) <= limit {
                    let lower = (1..<order).last { NGramModel.tableSize(order: $0, vocabulary: v) <= limit }!
                    advice.append("use --order ≤ \(lower)")
                }
                advice.append(data.name == "markov" ? "lower --vocabulary" : "use a corpus with fewer distinct tokens")
                throw ValidationError("--order \(order): the n-gram table over a vocabulary of V = \(v) tokens needs \(table), over the limit of \(limit); \(advice.joined(separator: " or "))")
            }
        }
        guard let rows = data.fileRows, let file = self.data else { return }
        let held = rows - testSize - t
        guard held >= 0 else {
            throw ValidationError("--data \(file): \(rows) \(data.name == "corpus" ? "sequences" : "rows"), fewer than --test-size \(testSize) + --samples \(t) = \(testSize + t)")
        }
        for regime in regimes where regime.name == "fresh-real" {
            let m = Regime.realCount(fraction: regime.realFraction!, of: t)
            if m > held {
                throw ValidationError("--regimes fresh-real(\(regime.realFraction!)) with --data \(file): needs \(m) fresh real rows per generation " +
                                      "from the rows held back from test and training, but only \(held) are left (\(rows) − --test-size \(testSize) − --samples \(t)); " +
                                      "lower --test-size, --samples or --real-fraction, or drop fresh-real")
            }
        }
    }

    /// The dimension of a point dataset's points (nil for other data).
    static func pointDimension(_ data: GenerativeDataset) -> Int? {
        switch data {
        case let .points(p, d): return p == .gaussian ? d : 2
        case let .userPoints(s): return s.dimension
        default: return nil
        }
    }

    /// Refuses runs whose accumulate pools would not fit in memory (or `--max-memory`).
    func checkMemory(_ spec: GenerativeModelSpec, _ data: GenerativeDataset, samples t: Int, generations n: Int,
                     regimes: [Regime], threads: Int, maxMemory: Double?) throws {
        let perPoint: Double
        switch data {
        case let .points(p, d): perPoint = 8 * Double(p == .gaussian ? d : 2)
        case let .userPoints(s): perPoint = 8 * Double(s.dimension)
        case let .markov(_, l): perPoint = 4 * Double(l)
        case let .corpus(s, _): perPoint = 4 * Double(s.length)
        default: perPoint = 8
        }
        let pooled = regimes.contains { $0 == .accumulate || $0 == .accumulateSubsample }
        // The pool, its stacked copy and the model's own copy (KDE, mixture responsibilities).
        let points = Double(t) * (pooled ? Double(n) : 2)
        let need = 4 * points * perPoint * Double(threads)
        let advice = "reduce --samples, --generations or --threads"
        if let maxMemory, need > maxMemory {
            throw ValidationError(String(format: "--max-memory %.3g GB: the run needs about %.3g GB; %@", maxMemory / 1e9, need / 1e9, advice))
        }
        if let available = MemoryInfo.availableBytes(), need > 0.8 * available {
            throw ValidationError(String(format: "the run needs about %.1f GB of working memory but only %.1f GB is available; %@",
                                         need / 1e9, available / 1e9, advice))
        }
    }

    // MARK: Run

    func run() throws {
        if list {
            printList()
            return
        }
        let started = Date()
        var experiment = try experiment()
        experiment.seed = try runOptions.resolvedSeed()
        let out = try OutputDirectory(path: output)
        let rows: [GenerativeResultRow]
        do {
            rows = try experiment.run()
        } catch let e as GenerativeRunError {
            throw CLIError("numerical failure: \(e)")
        }
        let wall = Date().timeIntervalSince(started)
        let m = try modelInfo(), d = try datasetInfo(for: m)
        var parameters: [(String, JSONValue)] = [
            ("model", .string(m.name)), ("dataset", .string(d.name)),
            ("samples", .int(experiment.samples)), ("test_size", .int(experiment.testSize)),
            ("generations", .int(experiment.generations)), ("repeats", .int(experiment.repeats)),
            ("regimes", regimeJSON(experiment.regimes)),
            ("metrics", .array(experiment.metricNames.map(JSONValue.string))),
        ]
        parameters += modelParameters(experiment.model) + datasetParameters(experiment.dataset)
        parameters.append(("rows", .int(rows.count)))
        let manifest = RunManifest(command: "generative", arguments: CommandLine.arguments, seed: experiment.seed,
                                   threads: experiment.threads, wallSeconds: wall, startedAt: started,
                                   parameters: parameters, outputs: ["results.csv"], environment: RunEnvironment.entries)
        try out.write([("results.csv", GenerativeResultsCSV.table(rows).rendered()),
                       ("manifest.json", manifest.json().rendered() + "\n")])
        printSummary(rows, generations: experiment.generations)
        print("wrote \(rows.count) rows to \(out.url.appendingPathComponent("results.csv").path) " +
              "(manifest.json beside it) in \(String(format: "%.2f", wall)) s")
    }

    func modelParameters(_ spec: GenerativeModelSpec) -> [(String, JSONValue)] {
        switch spec {
        case let .gaussian(e): return [("covariance", .string(e.rawValue))]
        case let .kde(b):
            if case let .fixed(h) = b { return [("bandwidth", .double(h))] }
            return [("bandwidth", .string(b.name))]
        case let .mixture(k, r, it, tol, floor):
            return [("components", .int(k)), ("restarts", .int(r)), ("max_iterations", .int(it)),
                    ("tolerance", .double(tol)), ("variance_floor", .double(floor))]
        case let .categorical(s): return [("smoothing", .double(s))]
        case .poisson: return []
        case let .ngram(o, s): return [("order", .int(o)), ("smoothing", .double(s))]
        }
    }

    func datasetParameters(_ data: GenerativeDataset) -> [(String, JSONValue)] {
        switch data {
        case let .points(p, d): return p == .gaussian ? [("dimension", .int(d))] : []
        case let .zipf(k, s): return [("support", .int(k)), ("exponent", .double(s))]
        case let .poisson(l): return [("rate", .double(l))]
        case let .markov(v, l): return [("vocabulary", .int(v)), ("sequence_length", .int(l))]
        case let .userPoints(s): return [("data", .string(self.data ?? "")), ("data_rows", .int(s.count)), ("dimension", .int(s.dimension))]
        case let .corpus(s, v): return [("data", .string(self.data ?? "")), ("sequences", .int(s.count)), ("vocabulary", .int(v)),
                                        ("sequence_length", .int(s.length))]
        }
    }

    func printList() {
        print("models (--model):")
        for m in Self.models {
            print("  " + m.name.padding(toLength: 13, withPad: " ", startingAt: 0) + m.summary + " [\(m.kind.rawValue); default --dataset \(m.defaultDataset)" +
                  (m.options.isEmpty ? "" : "; options \(m.options.joined(separator: ", "))") + "]")
        }
        print("datasets (--dataset):")
        for d in Self.datasets {
            print("  " + d.name.padding(toLength: 13, withPad: " ", startingAt: 0) + d.summary + " [\(d.kind.rawValue)" +
                  (d.options.isEmpty ? "" : "; options \(d.options.joined(separator: ", "))") + "]")
        }
    }

    func printSummary(_ rows: [GenerativeResultRow], generations n: Int) {
        print(pad("regime", 22) + pad("metric", 16) + pad("gen", 6) + pad("mean", 13) + pad("± SE", 12) + pad("theory", 13))
        for r in rows where r.generation == 1 || r.generation == n {
            print(pad(r.regime.description, 22) + pad(r.metric, 16) + pad(String(r.generation), 6) + pad(fmt(r.mean), 13) +
                  pad(fmt(r.standardError), 12) + pad(r.theory.map(fmt) ?? "—", 13))
        }
    }
}

/// The long-format results table of `collapse generative` (one metric per row).
enum GenerativeResultsCSV {
    static let header = ["model", "dataset", "regime", "real_fraction", "generation", "metric", "mean", "std_error",
                         "theory", "samples", "repeats"]

    static func table(_ rows: [GenerativeResultRow]) -> CSVTable {
        var t = CSVTable(header: header)
        for r in rows {
            t.append([r.model, r.dataset, r.regime.name, CSVField.number(r.regime.realFraction), String(r.generation), r.metric,
                      CSVField.number(r.mean), CSVField.number(r.standardError), CSVField.number(r.theory),
                      String(r.samples), String(r.repeats)])
        }
        return t
    }
}

/// The shortest decimal of `x` without a trailing `.0` (for messages).
func shortestDecimal(_ x: Double) -> String {
    var s = x.description
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}
