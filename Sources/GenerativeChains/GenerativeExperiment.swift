import CollapseCore
import CollapseExport
import CollapseTheory
import Foundation
import Randomness

/// A generative model of the experiment, with its hyper-parameters.
public enum GenerativeModelSpec: Sendable, Equatable {
    case gaussian(GaussianFittingTheory.Estimator)
    case kde(KernelDensityModel.Bandwidth)
    case mixture(components: Int, restarts: Int, maxIterations: Int, tolerance: Double, varianceFloor: Double)
    case categorical(smoothing: Double)
    case poisson
    case ngram(order: Int, smoothing: Double)

    /// The name on the command line and in the CSV.
    public var name: String {
        switch self {
        case .gaussian: return "gaussian"
        case .kde: return "kde"
        case .mixture: return "gmm"
        case .categorical: return "categorical"
        case .poisson: return "poisson"
        case .ngram: return "ngram"
        }
    }

    public var kind: DataKind {
        switch self {
        case .gaussian, .kde, .mixture: return .points
        case .categorical: return .symbols
        case .poisson: return .counts
        case .ngram: return .sequences
        }
    }
}

/// Records of a built-in dataset (`GenerativeExperiment.draw`).
public enum DatasetRecords: Sendable, Equatable {
    case points(PointSet)
    /// Symbols (zipf) or counts (poisson).
    case integers(IntegerSample)
    case sequences(TokenSequences)
}

/// The real data of the experiment.
public enum GenerativeDataset: Sendable {
    /// A synthetic point dataset with its parameters (`PointOptions`; `dimension` applies to
    /// gaussian and blobs).
    case points(SyntheticPoints, dimension: Int, options: PointOptions = .init())
    /// Zipf law `p_i ∝ i^{−s}` on `K` symbols.
    case zipf(support: Int, exponent: Double)
    case poisson(rate: Double)
    /// Sequences of the fixed Markov chain `SyntheticMarkov.truth(vocabulary:)`.
    case markov(vocabulary: Int, sequenceLength: Int)
    /// A user's CSV of points (see `UserData`).
    case userPoints(PointSet)
    /// A user's corpus cut into sequences.
    case corpus(TokenSequences, vocabulary: Int)

    public var name: String {
        switch self {
        case let .points(p, _, _): return p.rawValue
        case .zipf: return "zipf"
        case .poisson: return "poisson"
        case .markov: return "markov"
        case .userPoints: return "csv"
        case .corpus: return "corpus"
        }
    }

    public var kind: DataKind {
        switch self {
        case .points, .userPoints: return .points
        case .zipf: return .symbols
        case .poisson: return .counts
        case .markov, .corpus: return .sequences
        }
    }

    /// Rows of a user's file (nil for synthetic data, which is unlimited).
    public var fileRows: Int? {
        switch self {
        case let .userPoints(p): return p.count
        case let .corpus(s, _): return s.count
        default: return nil
        }
    }
}

/// One line of the results: a metric's Monte Carlo mean and standard error over replicates at
/// one generation under one regime, and its closed form where there is one.
public struct GenerativeResultRow: Sendable, Equatable {
    public var model: String
    public var dataset: String
    public var regime: Regime
    public var generation: Int
    public var metric: String
    public var mean: Double
    public var standardError: Double
    /// The median, quantiles and median interval of the replicates' values.
    public var robust: RobustSummary? = nil
    public var theory: Double?
    public var samples: Int
    public var repeats: Int
    /// Every replicate's value, in replicate order, when the experiment `keepsReplicateValues`.
    public var values: [Double]? = nil
}

/// A fit that failed numerically in one replicate and regime: non-finite numbers (NaN or ∞ in
/// a covariance), too few points. A singular (collapsed) covariance is not a failure: it is a
/// state of the chain, scored NLL = +∞ (see `CovarianceRoot`).
public struct GenerativeRunError: Error, CustomStringConvertible {
    public var replicate: Int
    public var regime: Regime
    public var underlying: Error
    public var description: String { "replicate \(replicate), regime \(regime): \(underlying)" }
}

/// Chains of one generative model on one dataset under several regimes, `repeats` replicates,
/// through the one `GenerationScheduler` (nothing here loops over generations itself).
///
/// Per replicate `r` the real training set (`samples` points), the held-out real test set
/// (`testSize` points, never trained on) and every generation's fresh real data come from
/// streams keyed by (seed, model, dataset, purpose, r): all regimes of a replicate see the same
/// real data and the same sampling stream. Replicates are summarised by `ParallelReplicates`,
/// so results are bit-identical for any thread count.
public struct GenerativeExperiment: Sendable {
    public var model: GenerativeModelSpec
    public var dataset: GenerativeDataset
    public var samples: Int
    public var testSize: Int
    public var generations: Int
    public var regimes: [Regime]
    public var repeats: Int
    public var seed: UInt64
    public var threads: Int
    /// Whether each row carries every replicate's value (`GenerativeResultRow.values`).
    public var keepsReplicateValues = false
    /// Threads shared with other cells in flight (`ThreadBudget`); nil: `threads` to itself.
    public var threadBudget: ThreadBudget?

    public init(
        model: GenerativeModelSpec, dataset: GenerativeDataset, samples: Int, testSize: Int, generations: Int,
        regimes: [Regime], repeats: Int, seed: UInt64, threads: Int
    ) {
        precondition(model.kind == dataset.kind, "model \(model.name) fits \(model.kind.rawValue), dataset \(dataset.name) is \(dataset.kind.rawValue)")
        precondition(
            samples >= 2 && testSize >= 1 && generations >= 1 && repeats >= 2 && threads >= 1 && !regimes.isEmpty,
            "GenerativeExperiment: bad sizes")
        self.model = model
        self.dataset = dataset
        self.samples = samples
        self.testSize = testSize
        self.generations = generations
        self.regimes = regimes
        self.repeats = repeats
        self.seed = seed
        self.threads = threads
    }

    enum Purpose: UInt64 {
        case real = 1
        case test, fresh, sampling, subsampling, initialisation, split
    }

    /// The generator for `purpose` in replicate `r` (plus `extra` path words).
    func stream(_ purpose: Purpose, _ r: Int, _ extra: [UInt64] = []) -> Xoshiro256StarStar {
        Self.stream(seed: seed, model: model.name, dataset: dataset.name, purpose, r, extra)
    }

    static func stream(seed: UInt64, model: String, dataset: String, _ purpose: Purpose, _ r: Int, _ extra: [UInt64] = []) -> Xoshiro256StarStar {
        Xoshiro256StarStar(seed: seed, stream: [code(model), code(dataset), purpose.rawValue, UInt64(r)] + extra)
    }

    /// The generator of replicate `replicate`'s (0-based) generation-1 real training set in a run
    /// of `model` on the built-in `dataset` at `seed`: `draw(dataset, count: T, using:)` on it is
    /// that training set.
    public static func realTrainingStream(seed: UInt64, model: String, dataset: String, replicate: Int = 0) -> Xoshiro256StarStar {
        stream(seed: seed, model: model, dataset: dataset, .real, replicate)
    }

    /// `count` records of a built-in dataset drawn from `rng` exactly as a run draws its real
    /// data (training, test and fresh sets alike); nil for a user's file. Each record uses the
    /// generator in turn, so the first `k` of `count` records are the draw of `k`.
    public static func draw<G: RandomNumberGenerator>(_ dataset: GenerativeDataset, count: Int, using rng: inout G) -> DatasetRecords? {
        switch dataset {
        case let .points(p, d, o): return .points(p.draw(count: count, dimension: d, options: o, using: &rng))
        case let .zipf(k, s): return .integers(zipfSymbols(cumulative(CategoricalChainTheory.zipf(support: k, exponent: s)), count: count, using: &rng))
        case let .poisson(rate): return .integers(poissonCounts(rate: rate, count: count, using: &rng))
        case let .markov(v, l): return .sequences(SyntheticMarkov.truth(vocabulary: v).sequences(count: count, length: l, using: &rng))
        case .userPoints, .corpus: return nil
        }
    }

    /// Symbols `0..<K` by inversion of the cumulative law `cdf`.
    static func zipfSymbols<G: RandomNumberGenerator>(_ cdf: [Double], count: Int, using rng: inout G) -> IntegerSample {
        IntegerSample((0..<count).map { _ in inverseCDF(cdf, rng.nextUniform()) })
    }

    static func poissonCounts<G: RandomNumberGenerator>(rate: Double, count: Int, using rng: inout G) -> IntegerSample {
        IntegerSample((0..<count).map { _ in Poisson.next(mean: rate, using: &rng) })
    }

    /// A stable 64-bit code of a name (`StreamRegistry.code`).
    static func code(_ name: String) -> UInt64 { StreamRegistry.code(name) }

    /// The metrics reported for this model and dataset, in CSV order (`nll` first).
    public var metricNames: [String] {
        switch (model, dataset) {
        case let (.gaussian, .points(p, d, o)):
            let t = p.truth(dimension: d, options: o, count: samples)
            return ["nll", "total_variance"] + (t != nil ? ["mean_error"] : []) + (t?.isGaussian == true ? ["w2"] : [])
        case (.gaussian, _), (.kde, _):
            return ["nll", "total_variance"]
        case let (.mixture(k, _, _, _, _), .points(p, d, o)):
            return ["nll", "total_variance"] + (p.truth(dimension: d, options: o, count: samples)?.mixture?.weights.count == k ? ["component_mean_error"] : [])
        case (.mixture, _):
            return ["nll", "total_variance"]
        case (.categorical, _):
            return ["nll", "kl_truth_fit", "kl_fit_truth", "entropy", "support", "collision"]
        case (.poisson, _):
            return ["nll", "rate", "rate_error"]
        case (.ngram, .markov):
            return ["nll", "kl_truth_fit", "kl_fit_truth", "entropy", "support"]
        case (.ngram, _):
            return ["nll", "entropy", "support"]
        }
    }

    /// Runs every regime and returns the rows: by regime, then metric, then generation.
    public func run() throws -> [GenerativeResultRow] {
        let t = samples
        switch (model, dataset) {
        case let (.gaussian(estimator), _):
            let truth = pointTruth
            let w2 = try truth.flatMap { $0.isGaussian ? try GaussianWasserstein(mean: $0.mean, covariance: $0.covariance) : nil }
            let d = pointDimension
            return try chains(
                model: { _, test in GaussianModel(dimension: d, estimator: estimator, test: test) },
                data: pointData,
                observe: { m, out in
                    out[0] = m.totalVariance
                    if let truth {
                        out[1] = zip(m.mean, truth.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                        if let w2 { out[2] = (try? w2.squaredDistance(mean: m.mean, covariance: m.covariance)) ?? .nan }
                    }
                },
                theory: { metric, regime, n in
                    guard let truth, let closed = Self.closedForm(regime) else { return nil }
                    let replace = closed == .replace
                    switch metric {
                    case "total_variance":
                        return truth.totalVariance
                            * (replace
                                ? GaussianFittingTheory.varianceRatio(estimator, generation: n, samples: t)
                                : GaussianFittingTheory.accumulateVarianceRatio(estimator, generation: n, samples: t))
                    case "mean_error":
                        let iid =
                            truth.totalVariance
                            * (replace
                                ? GaussianFittingTheory.meanErrorRatio(estimator, generation: n, samples: t)
                                : GaussianFittingTheory.accumulateMeanErrorRatio(estimator, generation: n, samples: t))
                        // Both ratios' first term, 1/M, is the real data's E‖X̄ − μ‖² = tr Σ/M; the
                        // rest is the chain's own sampling (a martingale's increments, uncorrelated
                        // with X̄ − μ). A design's X̄ has its own spread (`realMeanError`).
                        guard let real = truth.realMeanError else { return iid }
                        return iid - truth.totalVariance / Double(t) + real
                    default: return nil
                    }
                })
        case let (.kde(bandwidth), _):
            let truth = pointTruth, d = pointDimension
            return try chains(
                model: { _, test in KernelDensityModel(dimension: d, bandwidth: bandwidth, test: test) },
                data: pointData,
                observe: { m, out in out[0] = m.totalVariance },
                theory: { metric, regime, n in
                    guard metric == "total_variance", regime == .replace, let truth else { return nil }
                    return KernelDensityModel.expectedTotalVarianceUnderReplace(
                        bandwidth, generation: n, samples: t, dimension: d, truthTotalVariance: truth.totalVariance)
                })
        case let (.mixture(k, restarts, iterations, tolerance, floor), _):
            let truthMeans = pointTruth?.mixture.flatMap { $0.weights.count == k ? $0.means : nil }
            let d = pointDimension
            return try chains(
                model: { r, test in
                    GaussianMixtureModel(
                        dimension: d, components: k, restarts: restarts, maxIterations: iterations,
                        tolerance: tolerance, varianceFloor: floor,
                        initialisation: stream(.initialisation, r), test: test)
                },
                data: pointData,
                observe: { m, out in
                    out[0] = m.totalVariance
                    if let truthMeans { out[1] = m.componentMeanError(truth: truthMeans) }
                },
                theory: { _, _, _ in nil })
        case let (.categorical(smoothing), .zipf(support, exponent)):
            let truth = CategoricalChainTheory.zipf(support: support, exponent: exponent)
            let s0 = truth.reduce(0) { $0 + $1 * $1 }
            let cdf = Self.cumulative(truth)
            return try chains(
                model: { _, test in CategoricalModel(support: support, smoothing: smoothing, test: test) },
                data: { r in
                    self.syntheticData(r) { count, rng in Self.zipfSymbols(cdf, count: count, using: &rng) }
                },
                observe: { m, out in
                    out[0] = Categorical.divergence(truth, m.probabilities)
                    out[1] = Categorical.divergence(m.probabilities, truth)
                    out[2] = m.entropy
                    out[3] = Double(m.supportSize)
                    out[4] = m.collision
                },
                theory: { metric, regime, n in
                    guard metric == "collision", smoothing == 0, let closed = Self.closedForm(regime) else { return nil }
                    return closed == .replace
                        ? CategoricalChainTheory.expectedCollision(generation: n, samples: t, truthCollision: s0)
                        : CategoricalChainTheory.accumulateExpectedCollision(generation: n, samples: t, truthCollision: s0)
                })
        case let (.poisson, .poisson(rate)):
            return try chains(
                model: { _, test in PoissonModel(test: test) },
                data: { r in
                    self.syntheticData(r) { count, rng in Self.poissonCounts(rate: rate, count: count, using: &rng) }
                },
                observe: { m, out in
                    out[0] = m.rate
                    out[1] = (m.rate - rate) * (m.rate - rate)
                },
                theory: { metric, regime, n in
                    switch metric {
                    case "rate": return rate  // λ̂_n is a martingale under every regime (proof U1)
                    case "rate_error":
                        return Self.closedForm(regime).map { MeanChainTheory.meanSquaredError($0, generation: n, variance: rate, samples: t) }
                    default: return nil
                    }
                })
        case let (.ngram(order, smoothing), _):
            let truth: MarkovChainTruth?, vocabulary: Int, length: Int
            switch dataset {
            case let .markov(v, l): truth = SyntheticMarkov.truth(vocabulary: v); vocabulary = v; length = l
            case let .corpus(s, v): truth = nil; vocabulary = v; length = s.length
            default: preconditionFailure("ngram needs sequences")
            }
            return try chains(
                model: { _, test in NGramModel(order: order, vocabulary: vocabulary, smoothing: smoothing, sequenceLength: length, test: test) },
                data: { r in
                    if let truth {
                        return self.syntheticData(r) { count, rng in truth.sequences(count: count, length: length, using: &rng) }
                    }
                    guard case let .corpus(all, _) = self.dataset else { preconditionFailure() }
                    return self.userData(all, r)
                },
                observe: { m, out in
                    var k = 0
                    if let truth {
                        out[0] = m.divergence(fromTruth: truth)
                        out[1] = m.divergence(toTruth: truth)
                        k = 2
                    }
                    out[k] = m.entropy
                    out[k + 1] = Double(m.supportSize)
                },
                theory: { _, _, _ in nil })
        default:
            preconditionFailure("model \(model.name) does not fit dataset \(dataset.name)")
        }
    }

    static func closedForm(_ regime: Regime) -> ClosedFormRegime? {
        switch regime {
        case .replace: return .replace
        case .accumulate: return .accumulate
        default: return nil
        }
    }

    static func cumulative(_ p: [Double]) -> [Double] {
        var acc = 0.0
        return p.map {
            acc += $0; return acc
        }
    }

    /// The first index whose cumulative probability exceeds `u·total`.
    static func inverseCDF(_ cdf: [Double], _ u: Double) -> Int {
        let x = u * cdf.last!
        var lo = 0, hi = cdf.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] > x { hi = mid } else { lo = mid + 1 } }
        return lo
    }

    var pointTruth: PointTruth? {
        if case let .points(p, d, o) = dataset { return p.truth(dimension: d, options: o, count: samples) }
        return nil
    }

    var pointDimension: Int {
        switch dataset {
        case let .points(p, d, _): return p.pointDimension(d)
        case let .userPoints(s): return s.dimension
        default: preconditionFailure("not a point dataset")
        }
    }

    /// Real, test and fresh data of a point dataset in replicate `r`.
    func pointData(_ r: Int) -> ReplicateData<PointSet> {
        switch dataset {
        case let .points(p, d, o):
            return syntheticData(r) { count, rng in p.draw(count: count, dimension: d, options: o, using: &rng) }
        case let .userPoints(all):
            return userData(all, r)
        default: preconditionFailure("not a point dataset")
        }
    }

    /// Synthetic real data: training, test and each generation's fresh data from their own streams.
    func syntheticData<D>(_ r: Int, _ draw: @escaping @Sendable (Int, inout Xoshiro256StarStar) -> D) -> ReplicateData<D> {
        var realRNG = stream(.real, r), testRNG = stream(.test, r)
        let t = samples
        let base = self
        return ReplicateData(
            real: draw(t, &realRNG), test: draw(testSize, &testRNG),
            fresh: { n in
                var g = base.stream(.fresh, r, [UInt64(n)]); return draw(t, &g)
            })
    }

    /// A user's file, shuffled by the replicate's stream: test rows, training rows, held-back
    /// rows for fresh-real (drawn without replacement each generation).
    func userData<D: TrainingData & Sendable>(_ all: D, _ r: Int) -> ReplicateData<D> {
        var split = stream(.split, r)
        let (test, real, held) = UserData.split(all, testSize: testSize, samples: samples, using: &split)
        let t = samples, base = self
        return ReplicateData(
            real: real, test: test,
            fresh: { n in
                var g = base.stream(.fresh, r, [UInt64(n)])
                return UserData.fresh(held, samples: t, using: &g)
            })
    }

    /// The chains of every regime over every replicate. `model(r, test)` makes replicate `r`'s
    /// model scoring `test`; `observe(model, out)` writes the metrics after `nll` (which is the
    /// model's `evaluate()`); `theory(metric, regime, n)` gives the closed form, if any.
    func chains<Model: GenerativeModel & Sendable>(
        model makeModel: @escaping @Sendable (Int, Model.Data) -> Model,
        data: @escaping @Sendable (Int) -> ReplicateData<Model.Data>,
        observe: @escaping @Sendable (Model, inout [Double]) -> Void,
        theory: (String, Regime, Int) -> Double?
    ) throws -> [GenerativeResultRow] where Model.Data: Sendable {
        let metrics = metricNames, g = generations, regimes = regimes
        let perRegime = metrics.count * g
        let failures = FailureLog()
        let infinite = InfinityLog(series: regimes.count * perRegime)
        var summary = ParallelReplicates.run(
            repeats: repeats, series: regimes.count * perRegime, threads: threads,
            orderStatistics: true, keepValues: keepsReplicateValues, budget: threadBudget
        ) { r, out in
            let replicate = data(r)
            for (i, regime) in regimes.enumerated() {
                let base = i * perRegime
                var fitted = makeModel(r, replicate.test)
                var sampling = stream(.sampling, r), subsampling = stream(.subsampling, r)
                var extra = [Double](repeating: .nan, count: metrics.count - 1)
                let fresh: ((Int) throws -> Model.Data)? = regime.name == "fresh-real" ? { replicate.fresh($0) } : nil
                do {
                    let nll = try GenerationScheduler<Model>(regime: regime, generations: g).run(
                        model: &fitted, realData: replicate.real, sampling: &sampling, subsampling: &subsampling,
                        freshReal: fresh,
                        observe: { n, m, _ in
                            observe(m, &extra)
                            for k in 1..<max(metrics.count, 1) { out[base + k * g + n - 1] = extra[k - 1] }
                        })
                    for n in 0..<g { out[base + n] = nll[n] }
                } catch {
                    failures.record(GenerativeRunError(replicate: r, regime: regime, underlying: error))
                }
            }
            infinite.record(UnsafeBufferPointer(out))
        }
        if let failure = failures.first { throw failure }
        // A metric that is +∞ in some replicate (an NLL after a lost symbol) has mean +∞ and no
        // standard error; Welford's update would turn it into NaN.
        for s in infinite.positive { summary.mean[s] = .infinity; summary.standardError[s] = .nan }
        var rows: [GenerativeResultRow] = []
        rows.reserveCapacity(regimes.count * perRegime)
        for (i, regime) in regimes.enumerated() {
            for (k, metric) in metrics.enumerated() {
                for n in 1...g {
                    let s = i * perRegime + k * g + n - 1
                    rows.append(
                        GenerativeResultRow(
                            model: self.model.name, dataset: dataset.name, regime: regime, generation: n,
                            metric: metric, mean: summary.mean[s], standardError: summary.standardError[s],
                            robust: summary.robust[s], theory: theory(metric, regime, n), samples: samples,
                            repeats: repeats, values: keepsReplicateValues ? summary.values[s] : nil))
                }
            }
        }
        return rows
    }
}

/// A replicate's real data: the generation-1 training set, the held-out test set, and the
/// fresh real data of generation `n` (for `fresh-real`).
struct ReplicateData<D>: @unchecked Sendable {
    var real: D
    var test: D
    var fresh: @Sendable (Int) -> D
}

/// Which series were +∞ (and never NaN or −∞) in some replicate; an OR over replicates, so
/// independent of scheduling.
final class InfinityLog: @unchecked Sendable {
    private let lock = NSLock()
    private var plus: [Bool], other: [Bool]

    init(series: Int) {
        plus = [Bool](repeating: false, count: series)
        other = plus
    }

    func record(_ values: UnsafeBufferPointer<Double>) {
        guard values.contains(where: { !$0.isFinite }) else { return }
        lock.lock(); defer { lock.unlock() }
        for (i, v) in values.enumerated() where !v.isFinite {
            if v == .infinity { plus[i] = true } else { other[i] = true }
        }
    }

    /// Series with a +∞ value and no NaN or −∞.
    var positive: [Int] {
        lock.lock(); defer { lock.unlock() }
        return plus.indices.filter { plus[$0] && !other[$0] }
    }
}

/// The failure of the lowest replicate (so the reported one does not depend on scheduling).
final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: GenerativeRunError?

    func record(_ e: GenerativeRunError) {
        lock.lock(); defer { lock.unlock() }
        if stored == nil || e.replicate < stored!.replicate { stored = e }
    }

    var first: GenerativeRunError? { lock.lock(); defer { lock.unlock() }; return stored }
}
