import CollapseCore
import CollapseExport
import CollapseTheory
import ExperimentEngine
import Foundation

/// The classic generative models as a family of the experiment engine: the catalogue of models
/// and datasets, every parameter with its default and range, the rules that tie them together,
/// the memory model, and one cell's run (a `GenerativeExperiment`).
public struct GenerativeFamily: ExperimentFamily {
    public init() {}

    public var name: String { "generative" }

    /// A model of the catalogue: the data it fits, its default dataset, and its own parameters.
    public struct ModelInfo: Sendable {
        public var name: String, kind: DataKind, defaultDataset: String, summary: String, options: [String]
    }

    public static let models: [ModelInfo] = [
        .init(
            name: "gaussian", kind: .points, defaultDataset: "gaussian",
            summary: "multivariate Gaussian, moments fit (MLE or unbiased covariance; proof G3)", options: ["covariance"]),
        .init(
            name: "kde", kind: .points, defaultDataset: "moons",
            summary: "Gaussian kernel density estimate (bandwidth Scott, Silverman, scikit-learn's scalar Scott or Silverman, or fixed)", options: ["bandwidth"]
        ),
        .init(
            name: "gmm", kind: .points, defaultDataset: "blobs",
            summary: "Gaussian mixture by EM (k-means++ starts, restarts, variance floor)",
            options: ["components", "restarts", "max_iterations", "variance_floor"]),
        .init(
            name: "categorical", kind: .symbols, defaultDataset: "zipf",
            summary: "categorical distribution, add-α frequencies (α = 0: Wright–Fisher; proof W1)", options: ["smoothing"]),
        .init(
            name: "poisson", kind: .counts, defaultDataset: "poisson",
            summary: "Poisson rate, MLE (proof U1)", options: []),
        .init(
            name: "ngram", kind: .sequences, defaultDataset: "markov",
            summary: "n-gram token model with add-k smoothing", options: ["order", "smoothing"])
    ]

    /// A dataset of the catalogue: the kind of data and its own parameters.
    public struct DatasetInfo: Sendable {
        public var name: String, kind: DataKind, summary: String, options: [String]
    }

    public static let datasets: [DatasetInfo] = [
        .init(
            name: "gaussian", kind: .points, summary: "N(0, Σ) in d dimensions, Σ_ij = 0.5^|i−j|, or N(0, vI) with --variance v (truth known)",
            options: ["dimension", "variance"]),
        .init(
            name: "blobs", kind: .points,
            summary: "scikit-learn's make_blobs: 3 centres uniform in (−10, 10)^d (fixed seed), σ = 1, points split evenly (truth known)",
            options: ["dimension", "centers", "cluster_std", "center_box"]),
        .init(
            name: "circles", kind: .points,
            summary: "scikit-learn's make_circles: halves on circles of radii 1 and factor 0.8, evenly spaced, noise 0 (moments known)",
            options: ["noise", "factor"]),
        .init(
            name: "moons", kind: .points, summary: "scikit-learn's make_moons: two half circles, evenly spaced, halves balanced, noise 0 (moments known)",
            options: ["noise"]),
        .init(name: "swiss-roll", kind: .points, summary: "2-D Swiss roll spiral (not scikit-learn's 3-D make_swiss_roll), noise 0.1", options: ["noise"]),
        .init(name: "csv", kind: .points, summary: "your CSV of points (--data FILE): one point per line, optional header", options: ["data"]),
        .init(name: "zipf", kind: .symbols, summary: "Zipf law p_i ∝ i^−s on K symbols (truth known)", options: ["support", "exponent"]),
        .init(name: "poisson", kind: .counts, summary: "Poisson(λ) counts (truth known)", options: ["rate"]),
        .init(
            name: "markov", kind: .sequences, summary: "sequences of a fixed first-order Markov chain on V tokens (truth known)",
            options: ["vocabulary", "sequence_length"]),
        .init(
            name: "corpus", kind: .sequences, summary: "your plain-text corpus (--data FILE), whitespace tokens cut into sequences",
            options: ["data", "sequence_length"])
    ]

    public var parameters: [Parameter] {
        [
            Parameter("model", .choice(Self.models.map(\.name)), help: "The model: \(Self.models.map(\.name).joined(separator: ", ")) (see --list)."),
            Parameter(
                "dataset", .choice(Self.datasets.map(\.name)),
                help: "Real data: \(Self.datasets.map(\.name).joined(separator: ", ")) (default: the model's own; see --list)."),
            Parameter(
                "samples", .integer(2...10_000_000), role: .axis, default: [.integer(300)],
                help: "Points (or sequences) per generation T, comma-separated for a grid."),
            Parameter(
                "test_size", .integer(1...10_000_000), role: .axis, default: [.integer(100)],
                help: "Held-out real test points per replicate."),
            Parameter(
                "generations", .integer(1...100_000), role: .axis, default: [.integer(100)],
                help: "Number of fits N (generation 1 fits the real data), comma-separated."),
            .regimes(Regime.names), .realFraction,
            Parameter("repeats", .integer(2...100_000_000), role: .axis, default: [.integer(100)], help: "Replicates R (≥ 2), comma-separated."),
            Parameter("covariance", .choice(["mle", "unbiased"]), help: "gaussian: mle (divide by T, the default) or unbiased (T − 1)."),
            Parameter(
                "bandwidth", .text,
                help:
                    "kde: scott (default) or silverman (kernel f²Σ̂, scipy's gaussian_kde), sklearn-scott or sklearn-silverman (kernel h²I, scikit-learn's KernelDensity), or a fixed bandwidth h > 0 (kernel h²I)."
            ),
            Parameter("components", .integer(1...100), role: .axis, help: "gmm: mixture components K (default 3)."),
            Parameter(
                "restarts", .integer(1...100), role: .axis, help: "gmm: k-means++ starts per fit (default 1; the previous fit is also tried as a start)."),
            Parameter("max_iterations", .integer(1...100_000), role: .axis, help: "gmm: EM iterations per start at most (default 200)."),
            Parameter(
                "variance_floor", .real(lower: 0, upper: 1e6, lowerOpen: true), role: .axis, help: "gmm: added to every covariance diagonal (default 1e-6)."),
            Parameter(
                "smoothing", .real(lower: 0, upper: 1e6, lowerOpen: false), role: .axis,
                help: "categorical (default 0) and ngram (default 0.1): add-k pseudo-count ≥ 0."),
            Parameter("order", .integer(1...8), role: .axis, help: "ngram: n (default 2, a bigram model)."),
            Parameter("dimension", .integer(1...100), role: .axis, help: "gaussian and blobs datasets: dimension d (default 2)."),
            Parameter(
                "variance", .real(lower: 0, upper: 1e6, lowerOpen: true), role: .axis,
                help: "gaussian dataset: isotropic variance v, law N(0, vI) (default: Σ_ij = 0.5^|i−j|)."),
            Parameter(
                "noise", .real(lower: 0, upper: 1000, lowerOpen: false), role: .axis,
                help: "moons, circles (default 0, scikit-learn's), swiss-roll (default 0.1): Gaussian noise s.d. per coordinate."),
            Parameter(
                "factor", .real(lower: 0, upper: 1, lowerOpen: false, upperOpen: true), role: .axis,
                help: "circles: inner radius / outer radius, in [0, 1) (default 0.8, scikit-learn's)."),
            Parameter("centers", .integer(1...100), role: .axis, help: "blobs: number of centres (default 3, scikit-learn's)."),
            Parameter(
                "cluster_std", .real(lower: 0, upper: 1e6, lowerOpen: true), role: .axis,
                help: "blobs: each blob's s.d. per coordinate (default 1, scikit-learn's)."),
            Parameter("center_box", .text, help: "blobs: LOW,HIGH, the box the centres are drawn uniformly in (default -10,10, scikit-learn's)."),
            Parameter("support", .integer(1...10_000_000), role: .axis, help: "zipf: number of symbols K (default 20)."),
            Parameter("exponent", .real(lower: 0, upper: 100, lowerOpen: false), role: .axis, help: "zipf: exponent s ≥ 0 (default 1.1)."),
            Parameter("rate", .real(lower: 0, upper: 1000, lowerOpen: true), role: .axis, help: "poisson: rate λ in (0, 1000] (default 4)."),
            Parameter("vocabulary", .integer(2...1000), role: .axis, help: "markov: vocabulary size V (default 10)."),
            Parameter("sequence_length", .integer(1...100_000), role: .axis, help: "markov, corpus: tokens per sequence L (default 20)."),
            Parameter("data", .text, help: "csv, corpus: the data file.").file()
        ]
    }

    // MARK: - Resolution

    func modelInfo(_ spec: ExperimentSpec) throws -> ModelInfo {
        guard let name = spec.one("model")?.textValue else {
            throw ParameterError(key: nil, message: "--model is required; allowed: \(Self.models.map(\.name).joined(separator: ", ")) (see --list)")
        }
        return Self.models.first { $0.name == name }!
    }

    func datasetInfo(_ spec: ExperimentSpec, _ m: ModelInfo) throws -> DatasetInfo {
        let name = spec.one("dataset")?.textValue ?? m.defaultDataset
        let d = Self.datasets.first { $0.name == name }!
        guard d.kind == m.kind else {
            let fitting = Self.datasets.filter { $0.kind == m.kind }.map(\.name)
            throw ParameterError(
                key: "dataset", value: name,
                message: "the \(m.name) model cannot fit it (\(d.kind.rawValue) data); datasets for \(m.name): \(fitting.joined(separator: ", "))")
        }
        return d
    }

    /// The regimes, `mix` and `fresh-real` expanded over the real fractions (default 0.5).
    public func regimes(_ spec: ExperimentSpec) -> [Regime] {
        let fractions = spec["real_fraction"].isEmpty ? [0.5] : spec["real_fraction"].compactMap(\.doubleValue)
        return Regime.expand(names: spec["regimes"].compactMap(\.textValue), realFractions: fractions)
    }

    func int(_ spec: ExperimentSpec, _ key: String, _ fallback: Int) -> Int { spec.one(key)?.intValue ?? fallback }
    func real(_ spec: ExperimentSpec, _ key: String, _ fallback: Double) -> Double { spec.one(key)?.doubleValue ?? fallback }

    func modelSpec(_ spec: ExperimentSpec, _ m: ModelInfo) throws -> GenerativeModelSpec {
        switch m.name {
        case "gaussian":
            return .gaussian(GaussianFittingTheory.Estimator(rawValue: spec.one("covariance")?.textValue ?? "mle")!)
        case "kde":
            let raw = spec.one("bandwidth")?.textValue ?? "scott"
            switch raw {
            case "scott": return .kde(.scott)
            case "silverman": return .kde(.silverman)
            case "sklearn-scott": return .kde(.sklearnScott)
            case "sklearn-silverman": return .kde(.sklearnSilverman)
            default:
                guard let h = Double(raw), h.isFinite, h > 0, h <= 1e6 else {
                    throw ParameterError(
                        key: "bandwidth", message: "'\(raw)' is not scott, silverman, sklearn-scott, sklearn-silverman or a number in (0, 1e6]")
                }
                return .kde(.fixed(h))
            }
        case "gmm":
            return .mixture(
                components: int(spec, "components", 3), restarts: int(spec, "restarts", 1),
                maxIterations: int(spec, "max_iterations", 200), tolerance: 1e-5,
                varianceFloor: real(spec, "variance_floor", 1e-6))
        case "categorical":
            return .categorical(smoothing: real(spec, "smoothing", 0))
        case "poisson":
            return .poisson
        default:
            return .ngram(order: int(spec, "order", 2), smoothing: real(spec, "smoothing", 0.1))
        }
    }

    func dataText(_ spec: ExperimentSpec, _ d: DatasetInfo) throws -> (text: String, path: String) {
        guard let path = spec.one("data")?.textValue else {
            throw ParameterError(key: nil, message: "--dataset \(d.name) needs --data FILE (\(d.summary))")
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ParameterError(key: "data", value: path, message: "no such file")
        }
        if isDir.boolValue { throw ParameterError(key: "data", value: path, message: "is a directory; expected a file") }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ParameterError(key: "data", value: path, message: "cannot read the file")
        }
        guard let text = String(data: bytes, encoding: .utf8) else { throw ParameterError(key: "data", value: path, message: "not UTF-8 text") }
        return (text, path)
    }

    /// The built-in dataset `name` (nil for csv, corpus and unknown names) with its options:
    /// `value(key)` is the checked value of a dataset option, nil for its default. Throws a
    /// `ParameterError` for a bad `--center-box`.
    public static func builtInDataset(_ name: String, _ value: (String) -> ParameterValue?) throws -> GenerativeDataset? {
        func int(_ key: String, _ fallback: Int) -> Int { value(key)?.intValue ?? fallback }
        func real(_ key: String, _ fallback: Double) -> Double { value(key)?.doubleValue ?? fallback }
        func points(_ p: SyntheticPoints) throws -> GenerativeDataset {
            var o = PointOptions(
                noise: value("noise")?.doubleValue, factor: real("factor", 0.8), centers: int("centers", 3),
                clusterSD: real("cluster_std", 1), variance: value("variance")?.doubleValue)
            if let box = value("center_box")?.textValue { (o.centerLow, o.centerHigh) = try centerBox(box) }
            return .points(p, dimension: int("dimension", 2), options: o)
        }
        switch name {
        case "gaussian": return try points(.gaussian)
        case "blobs": return try points(.blobs)
        case "circles": return try points(.circles)
        case "moons": return try points(.moons)
        case "swiss-roll": return try points(.swissRoll)
        case "zipf": return .zipf(support: int("support", 20), exponent: real("exponent", 1.1))
        // The Poisson sampler costs O(λ) per draw, so λ is capped at 1000.
        case "poisson": return .poisson(rate: real("rate", 4))
        case "markov": return .markov(vocabulary: int("vocabulary", 10), sequenceLength: int("sequence_length", 20))
        default: return nil
        }
    }

    /// `--center-box LOW,HIGH`: two finite numbers, `LOW < HIGH`, within ±1e6.
    public static func centerBox(_ text: String) throws -> (Double, Double) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo.isFinite, hi.isFinite, lo < hi, lo >= -1e6, hi <= 1e6 else {
            throw ParameterError(key: "center_box", message: "'\(text)' is not LOW,HIGH with LOW < HIGH, both in [-1e6, 1e6] (e.g. -10,10)")
        }
        return (lo, hi)
    }

    func datasetSpec(_ spec: ExperimentSpec, _ d: DatasetInfo) throws -> GenerativeDataset {
        if let builtIn = try Self.builtInDataset(d.name, { spec.one($0) }) { return builtIn }
        switch d.name {
        case "csv":
            let (text, path) = try dataText(spec, d)
            do { return .userPoints(try UserData.points(csv: text, file: path)) } catch let e as UserDataError {
                throw ParameterError(key: "data", value: e.description, message: "")
            }
        default:
            let (text, path) = try dataText(spec, d)
            do {
                let (sequences, vocabulary) = try UserData.corpus(text, length: int(spec, "sequence_length", 20), file: path)
                guard vocabulary.count >= 2 else {
                    throw ParameterError(
                        key: "data", value: path, message: "the corpus has \(vocabulary.count) distinct token(s); an n-gram model needs at least 2")
                }
                return .corpus(sequences, vocabulary: vocabulary.count)
            } catch let e as UserDataError {
                throw ParameterError(key: "data", value: e.description, message: "")
            }
        }
    }

    /// The experiment of one cell, fully checked.
    public func experiment(_ spec: ExperimentSpec, seed: UInt64, threads: Int) throws -> GenerativeExperiment {
        let m = try modelInfo(spec)
        let d = try datasetInfo(spec, m)
        let model = try modelSpec(spec, m)
        let data = try datasetSpec(spec, d)
        let t = int(spec, "samples", 300), test = int(spec, "test_size", 100)
        try checkSizes(spec, model, data, samples: t, testSize: test)
        return GenerativeExperiment(
            model: model, dataset: data, samples: t, testSize: test, generations: int(spec, "generations", 100),
            regimes: regimes(spec), repeats: int(spec, "repeats", 100), seed: seed, threads: threads)
    }

    // MARK: - Rules

    public func validate(_ spec: ExperimentSpec) throws {
        let m = try modelInfo(spec)
        let d = try datasetInfo(spec, m)
        // Model and dataset parameters that do not apply to the chosen pair are refused.
        for p in parameters where spec.isGiven(p.key) {
            let owners =
                Self.models.filter { $0.options.contains(p.key) }.map { "--model \($0.name)" }
                + Self.datasets.filter { $0.options.contains(p.key) }.map { "--dataset \($0.name)" }
            if !owners.isEmpty && !m.options.contains(p.key) && !d.options.contains(p.key) {
                throw ParameterError(
                    key: p.key, message: "does not apply to --model \(m.name) --dataset \(d.name); it applies to \(owners.joined(separator: ", "))")
            }
        }
        if spec.isGiven("real_fraction") && !regimes(spec).contains(where: { $0.realFraction != nil }) {
            throw ParameterError(key: "real_fraction", message: "applies only to the mix and fresh-real regimes; add one to --regimes or drop --real-fraction")
        }
        for cell in spec.cells { _ = try experiment(spec.restricted(to: cell), seed: 0, threads: 1) }
    }

    func checkSizes(_ spec: ExperimentSpec, _ model: GenerativeModelSpec, _ data: GenerativeDataset, samples t: Int, testSize: Int) throws {
        if case let .mixture(k, _, _, _, _) = model, t < k {
            throw ParameterError(key: "samples", value: String(t), message: "a \(k)-component mixture needs at least \(k) points per generation (--components)")
        }
        // A Gaussian fit, or a Scott/Silverman kernel (a multiple of the sample covariance), of
        // T ≤ d points has a singular covariance from generation 1 on (a fixed bandwidth h²I is
        // never singular).
        var fitsCovariance = false
        if case .gaussian = model { fitsCovariance = true }
        if case let .kde(b) = model, b == .scott || b == .silverman { fitsCovariance = true }
        if fitsCovariance, let d = Self.pointDimension(data), t <= d {
            let source: String
            switch data {
            case let .points(p, _, _): source = p == .gaussian || p == .blobs ? " (--dimension)" : " (--dataset \(p.rawValue) is 2-D)"
            default: source = " (the columns of --data \(spec.one("data")?.textValue ?? ""))"
            }
            throw ParameterError(
                key: "samples", value: String(t),
                message: "the fitted covariance of T points in d = \(d) dimensions is singular unless T > d\(source); use --samples ≥ \(d + 1)")
        }
        if case let .ngram(order, _) = model {
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
                throw ParameterError(
                    key: "order", value: String(order),
                    message:
                        "the n-gram table over a vocabulary of V = \(v) tokens needs \(table), over the limit of \(limit); \(advice.joined(separator: " or "))")
            }
        }
        guard let rows = data.fileRows, let file = spec.one("data")?.textValue else { return }
        let held = rows - testSize - t
        guard held >= 0 else {
            throw ParameterError(
                key: "data", value: file,
                message: "\(rows) \(data.name == "corpus" ? "sequences" : "rows"), fewer than --test-size \(testSize) + --samples \(t) = \(testSize + t)")
        }
        for regime in regimes(spec) where regime.name == "fresh-real" {
            let m = Regime.realCount(fraction: regime.realFraction!, of: t)
            if m > held {
                throw ParameterError(
                    key: "regimes", value: "fresh-real(\(regime.realFraction!))",
                    message: "with --data \(file): needs \(m) fresh real rows per generation "
                        + "from the rows held back from test and training, but only \(held) are left (\(rows) − --test-size \(testSize) − --samples \(t)); "
                        + "lower --test-size, --samples or --real-fraction, or drop fresh-real")
            }
        }
    }

    /// The dimension of a point dataset's points (nil for other data).
    public static func pointDimension(_ data: GenerativeDataset) -> Int? {
        switch data {
        case let .points(p, d, _): return p.pointDimension(d)
        case let .userPoints(s): return s.dimension
        default: return nil
        }
    }

    // MARK: - Memory, work, schema

    /// The accumulate pools (the pool, its stacked copy and the model's own copy: ×3) of every
    /// worker, plus the held-out test set of every worker; the categorical model's tables (the
    /// counts, the new and previous fit's probabilities, the cumulative table grown by appending
    /// and the true distribution: ≈ 7 doubles per symbol, measured by scripts/memory-vs-rss.py).
    public func estimatedBytes(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, threads: Int) -> Double {
        let s = spec.restricted(to: cell)
        guard let m = try? modelInfo(s), let d = try? datasetInfo(s, m) else { return 0 }
        let perPoint: Double
        switch d.name {
        case "gaussian", "blobs": perPoint = 8 * Double(int(s, "dimension", 2))
        case "circles", "moons", "swiss-roll": perPoint = 16
        case "csv": perPoint = 8 * 100  // the file's columns are unknown until it is read; 100 is generous
        case "markov", "corpus": perPoint = 4 * Double(int(s, "sequence_length", 20))
        default: perPoint = 8
        }
        let t = Double(int(s, "samples", 300)), n = Double(int(s, "generations", 100))
        let pooled = regimes(s).contains { $0 == .accumulate || $0 == .accumulateSubsample }
        let points = t * (pooled ? n : 2) + Double(int(s, "test_size", 100))
        var tables = 0.0
        if m.name == "categorical" { tables = 8 * 7 * Double(int(s, "support", 20)) }
        // Every replicate's value of every series, kept twice (per block, per series) for the
        // order statistics.
        let kept = 16 * Double(int(s, "repeats", 100)) * Double(max(regimes(s).count, 1)) * n * 4  // at most 4 metrics
        return (3 * points * perPoint + tables) * Double(threads) + kept
    }

    public func work(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> Double {
        let s = spec.restricted(to: cell)
        return Double(int(s, "samples", 300)) * Double(int(s, "generations", 100)) * Double(max(regimes(s).count, 1))
    }

    public func replicates(_ spec: ExperimentSpec) -> Int { int(spec, "repeats", 100) }

    /// The dataset (also when defaulted), the model's effective settings, the metrics, and
    /// what was read from a user's file.
    public func manifestEntries(_ spec: ExperimentSpec) -> [(String, JSONValue)] {
        guard let cell = spec.cells.first, let e = try? experiment(spec.restricted(to: cell), seed: 0, threads: 1) else { return [] }
        var out: [(String, JSONValue)] = [
            ("dataset", .string(e.dataset.name)),
            ("metrics", .array(e.metricNames.map(JSONValue.string)))
        ]
        switch e.model {
        case let .gaussian(estimator): out.append(("covariance", .string(estimator.rawValue)))
        case let .kde(b):
            if case let .fixed(h) = b { out.append(("bandwidth", .double(h))) } else { out.append(("bandwidth", .string(b.name))) }
        case let .mixture(k, r, it, tol, floor):
            out += [
                ("components", .int(k)), ("restarts", .int(r)), ("max_iterations", .int(it)), ("tolerance", .double(tol)),
                ("variance_floor", .double(floor))
            ]
        case let .categorical(smoothing): out.append(("smoothing", .double(smoothing)))
        case .poisson: break
        case let .ngram(order, smoothing): out += [("order", .int(order)), ("smoothing", .double(smoothing))]
        }
        switch e.dataset {
        case let .points(p, d, o):
            if p == .gaussian || p == .blobs { out.append(("dimension", .int(d))) }
            switch p {
            case .gaussian: if let v = o.variance { out.append(("variance", .double(v))) }
            case .blobs:
                out += [
                    ("centers", .int(o.centers)), ("cluster_std", .double(o.clusterSD)),
                    ("center_box", .array([.double(o.centerLow), .double(o.centerHigh)])),
                    ("blob_centres", .array(SyntheticPoints.blobCentres(o, dimension: d).map { .array($0.map(JSONValue.double)) }))
                ]
            case .circles: out += [("noise", .double(o.noise(p))), ("factor", .double(o.factor))]
            case .moons: out.append(("noise", .double(o.noise(p))))
            case .swissRoll: if o.noise != nil { out.append(("noise", .double(o.noise(p)))) }
            }
        case let .zipf(k, s): out += [("support", .int(k)), ("exponent", .double(s))]
        case let .poisson(l): out.append(("rate", .double(l)))
        case let .markov(v, l): out += [("vocabulary", .int(v)), ("sequence_length", .int(l))]
        case let .userPoints(s): out += [("data_rows", .int(s.count)), ("dimension", .int(s.dimension))]
        case let .corpus(s, v): out += [("sequences", .int(s.count)), ("vocabulary", .int(v)), ("sequence_length", .int(s.length))]
        }
        return out
    }

    /// The long-format columns (`LongResults`); every axis swept over more than one value gets a
    /// column of its own after these (so rows of different cells stay apart).
    public static let baseHeader = LongResults.columns

    func extraAxes(_ spec: ExperimentSpec) -> [String] { spec.sweptAxes(except: ["samples", "repeats"]) }  // both are columns already

    public func header(_ spec: ExperimentSpec) -> [String] { Self.baseHeader + extraAxes(spec) }

    public func run(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> String {
        try runCell(spec, cell: cell, context: context).rows
    }

    public var providesReplicateValues: Bool { true }
    public var sharesThreadsAcrossCells: Bool { true }

    public func runCell(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> CellOutput {
        let s = spec.restricted(to: cell)
        var experiment = try self.experiment(s, seed: context.seed, threads: context.threads)
        experiment.keepsReplicateValues = context.keepsReplicateValues
        experiment.threadBudget = context.threadBudget
        if context.isCancelled() { throw CellCancelled() }
        let rows = try experiment.run()
        context.advance(experiment.repeats)
        let extra = cell.csvFields(extraAxes(spec))
        var out = ""
        for r in rows {
            out += LongResults.row(
                model: r.model, dataset: r.dataset, regime: r.regime.name, realFraction: r.regime.realFraction,
                generation: r.generation, metric: r.metric, mean: r.mean, standardError: r.standardError,
                robust: r.robust, theory: r.theory, z: LongResults.zScore(mean: r.mean, standardError: r.standardError, theory: r.theory),
                samples: r.samples, repeats: r.repeats, extra: extra)
        }
        return CellOutput(rows: out, replicateValues: context.keepsReplicateValues ? rows.map { $0.values ?? [] } : nil)
    }
}

extension GenerativeFamily {
    /// `collapse generative --list`: every model and dataset with its kind, default dataset and
    /// the options that apply to it.
    public static var listing: String {
        func flag(_ key: String) -> String { "--" + key.replacingOccurrences(of: "_", with: "-") }
        func options(_ keys: [String]) -> String { keys.isEmpty ? "" : "; options \(keys.map(flag).joined(separator: ", "))" }
        var out = "models (--model):\n"
        for m in models {
            out +=
                "  " + m.name.padding(toLength: 13, withPad: " ", startingAt: 0) + m.summary + " [\(m.kind.rawValue); default --dataset \(m.defaultDataset)"
                + options(m.options) + "]\n"
        }
        out += "datasets (--dataset):\n"
        for d in datasets {
            out += "  " + d.name.padding(toLength: 13, withPad: " ", startingAt: 0) + d.summary + " [\(d.kind.rawValue)" + options(d.options) + "]\n"
        }
        return out
    }
}
