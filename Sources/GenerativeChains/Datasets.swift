import CollapseTheory
import Foundation
import Randomness

/// What a model trains on; a model fits only datasets of its kind.
public enum DataKind: String, Sendable, CaseIterable {
    case points, symbols, counts, sequences
}

/// Population moments (and, where the law is one, the Gaussian or mixture itself) of a
/// synthetic dataset: the "truth" that distances and parameter errors are measured against
/// (for scikit-learn's designs, see `SyntheticPoints.truth`).
public struct PointTruth: Sendable, Equatable {
    public var mean: [Double]
    /// Row-major `d×d`.
    public var covariance: [Double]
    /// The true law when it is a Gaussian mixture (one component: a Gaussian).
    public var mixture: GaussianMixtureModel.Parameters?
    /// `E‖X̄ − mean‖²` of a training set's sample mean when it is not `tr Σ/n` (i.i.d. points):
    /// a design's (see `SyntheticPoints.truth`); nil for i.i.d. points.
    public var realMeanError: Double?

    public init(mean: [Double], covariance: [Double], mixture: GaussianMixtureModel.Parameters?, realMeanError: Double? = nil) {
        self.mean = mean; self.covariance = covariance; self.mixture = mixture; self.realMeanError = realMeanError
    }

    public var dimension: Int { mean.count }
    public var totalVariance: Double { (0..<dimension).reduce(0) { $0 + covariance[$1 * dimension + $1] } }
    public var isGaussian: Bool { mixture?.weights.count == 1 }
}

/// The parameters of a synthetic point dataset, scikit-learn's names and defaults where the
/// dataset carries scikit-learn's name (`sklearn.datasets.make_moons`, `make_circles`,
/// `make_blobs`, scikit-learn 1.x `_samples_generator.py`).
public struct PointOptions: Sendable, Equatable {
    /// moons, circles, swiss-roll: the standard deviation of the Gaussian noise added to each
    /// coordinate; nil for the dataset's default (moons and circles 0, scikit-learn's
    /// `noise=None`; swiss-roll 0.1).
    public var noise: Double?
    /// circles: the inner circle's radius relative to the outer's (scikit-learn's `factor`, 0.8).
    public var factor: Double
    /// blobs: the number of centres (scikit-learn's `centers`, 3).
    public var centers: Int
    /// blobs: each blob's standard deviation per coordinate (scikit-learn's `cluster_std`, 1).
    public var clusterSD: Double
    /// blobs: the box the centres are drawn uniformly in, per coordinate (`center_box`, (−10, 10)).
    public var centerLow: Double, centerHigh: Double
    /// gaussian: the variance `v` of the isotropic law `N(0, vI)`; nil for the default
    /// `Σ_ij = 0.5^|i−j|`.
    public var variance: Double?

    public init(
        noise: Double? = nil, factor: Double = 0.8, centers: Int = 3, clusterSD: Double = 1,
        centerLow: Double = -10, centerHigh: Double = 10, variance: Double? = nil
    ) {
        self.noise = noise; self.factor = factor; self.centers = centers; self.clusterSD = clusterSD
        self.centerLow = centerLow; self.centerHigh = centerHigh; self.variance = variance
    }

    /// The noise `dataset` uses.
    public func noise(_ dataset: SyntheticPoints) -> Double {
        noise ?? (dataset == .swissRoll ? SyntheticPoints.swissNoise : 0)
    }
}

/// Real data generated in code from a seed (nothing is downloaded). The true laws are fixed by
/// the dataset's parameters (`PointOptions`), not by the run's seed, so runs with different
/// seeds are replicates of the same experiment.
///
/// `moons`, `circles` and `blobs` follow scikit-learn's `make_moons`, `make_circles` and
/// `make_blobs` (scikit-learn 1.x, `sklearn/datasets/_samples_generator.py`): a sample of `n`
/// points is a fixed *design* (evenly spaced angles, halves or blobs of sizes fixed by `n`),
/// shuffled, plus independent `N(0, σ²)` noise on every coordinate. So the law of a sample is
/// not that of `n` independent points: its mean and spread are the design's, and a sample of
/// `n` is not the first `n` points of a larger one. scikit-learn draws the blob centres from
/// the call's `random_state`; here they are drawn once from a generator of fixed seed
/// (`blobCentres`), so the truth is known and the same in every run.
public enum SyntheticPoints: String, Sendable, CaseIterable {
    /// scikit-learn's `make_blobs`: `centers` centres drawn uniformly in `center_box`^d, the
    /// `n` points split as evenly as possible (the first `n mod K` centres get one more), each
    /// `centre + N(0, cluster_std²·I)`, shuffled. Defaults: 3 centres in (−10, 10)², σ = 1.
    case blobs
    /// scikit-learn's `make_circles`: `n_out = ⌊n/2⌋` points at angles `2πi/n_out` on the unit
    /// circle and `n_in = n − n_out` at angles `2πi/n_in` on the circle of radius `factor`
    /// (`linspace(0, 2π, endpoint=False)`), shuffled, plus `N(0, noise²)` per coordinate.
    /// Defaults: factor 0.8, no noise.
    case circles
    /// scikit-learn's `make_moons`: `n_out = ⌊n/2⌋` points `(cos t, sin t)` and
    /// `n_in = n − n_out` points `(1 − cos t, ½ − sin t)`, each half at `t` evenly spaced on
    /// `[0, π]` endpoints included (`linspace(0, π)`), shuffled, plus `N(0, noise²)` per
    /// coordinate. Default: no noise.
    case moons
    /// The project's own 2-D Swiss roll (not scikit-learn's 3-D `make_swiss_roll`):
    /// `(t cos t, t sin t)/5` with `t = 1.5π(1 + 2u)`, `u ~ U(0, 1)` independently per point,
    /// `N(0, noise²)` per coordinate (default noise 0.1). Its population moments are not
    /// coded: no moment metrics.
    case swissRoll = "swiss-roll"
    /// `N(0, Σ)` in `d` dimensions, `Σ_ij = 0.5^|i−j|`, or `N(0, vI)` with `--variance v`;
    /// independent points.
    case gaussian

    public static let swissNoise = 0.1, gaussianCorrelation = 0.5

    /// The dimension of the points: `dimension` for gaussian and blobs, else 2.
    public func pointDimension(_ dimension: Int) -> Int { self == .gaussian || self == .blobs ? dimension : 2 }

    /// Whether a sample is a fixed design plus noise (scikit-learn's generators) rather than
    /// independent points.
    public var isDesign: Bool { self == .moons || self == .circles || self == .blobs }

    /// Draws `count` points (dimension 2, or `dimension` for `gaussian` and `blobs`).
    public func draw<G: RandomNumberGenerator>(
        count: Int, dimension: Int, options: PointOptions = .init(),
        using rng: inout G
    ) -> PointSet {
        let d = pointDimension(dimension), noise = options.noise(self)
        var v = [Double](repeating: 0, count: count * d)
        switch self {
        case .blobs, .circles, .moons:
            // scikit-learn: the design in order, a uniform shuffle of the points, then the noise
            // (blobs: noise per blob, then the shuffle; the same law).
            v = design(count: count, dimension: d, options: options)
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = rng.nextIndex(below: i + 1)
                if i != j { for k in 0..<d { v.swapAt(i * d + k, j * d + k) } }
            }
            let sd = self == .blobs ? options.clusterSD : noise
            if sd > 0 { for i in v.indices { v[i] += sd * Normal.next(using: &rng) } }
        case .swissRoll:
            for i in 0..<count {
                let t = 1.5 * Double.pi * (1 + 2 * rng.nextUniform())
                v[2 * i] = t * cos(t) / 5 + noise * Normal.next(using: &rng)
                v[2 * i + 1] = t * sin(t) / 5 + noise * Normal.next(using: &rng)
            }
        case .gaussian:
            if let variance = options.variance {
                let s = variance.squareRoot()
                for i in v.indices { v[i] = s * Normal.next(using: &rng) }
                break
            }
            let factor = try! DenseCholesky(Self.gaussianCovariance(d), dimension: d)
            var z = [Double](repeating: 0, count: d), y = [Double](repeating: 0, count: d)
            for i in 0..<count {
                for j in 0..<d { z[j] = Normal.next(using: &rng) }
                factor.colour(z, into: &y)
                for j in 0..<d { v[i * d + j] = y[j] }
            }
        }
        return PointSet(dimension: d, values: v)
    }

    /// scikit-learn's noise-free design of `count` points, in its order (row-major `count×d`):
    /// moons and circles the outer half then the inner, blobs centre by centre.
    public func design(count n: Int, dimension: Int, options: PointOptions = .init()) -> [Double] {
        let d = pointDimension(dimension)
        var v: [Double] = []
        v.reserveCapacity(n * d)
        switch self {
        case .moons:
            // np.linspace(0, π, m): i·π/(m − 1), the last exactly π.
            func angles(_ m: Int) -> [Double] {
                (0..<m).map { m == 1 ? 0 : ($0 == m - 1 ? Double.pi : Double($0) * (Double.pi / Double(m - 1))) }
            }
            let out = n / 2
            for t in angles(out) { v += [cos(t), sin(t)] }
            for t in angles(n - out) { v += [1 - cos(t), 1 - sin(t) - 0.5] }
        case .circles:
            // np.linspace(0, 2π, m, endpoint=False): i·2π/m.
            func angles(_ m: Int) -> [Double] { (0..<m).map { Double($0) * (2 * Double.pi / Double(m)) } }
            let out = n / 2
            for t in angles(out) { v += [cos(t), sin(t)] }
            for t in angles(n - out) { v += [cos(t) * options.factor, sin(t) * options.factor] }
        case .blobs:
            let centres = Self.blobCentres(options, dimension: d)
            for (k, size) in Self.blobSizes(count: n, centers: options.centers).enumerated() {
                for _ in 0..<size { v += centres[k] }
            }
        case .swissRoll, .gaussian:
            preconditionFailure("\(rawValue) has no design")
        }
        return v
    }

    /// make_blobs' split: `⌊n/K⌋` per centre, the first `n mod K` centres one more.
    public static func blobSizes(count n: Int, centers k: Int) -> [Int] {
        (0..<k).map { n / k + ($0 < n % k ? 1 : 0) }
    }

    /// The blob centres: `K` points uniform in `[low, high)^d`, drawn row by row (as
    /// make_blobs' `uniform(low, high, size=(K, d))`) by a generator of fixed seed keyed by
    /// (K, d, low, high), so every run with these options has the same centres.
    public static func blobCentres(_ options: PointOptions, dimension d: Int) -> [[Double]] {
        var rng = Xoshiro256StarStar(
            seed: StreamRegistry.blobCentresSeed,
            stream: [UInt64(options.centers), UInt64(d), options.centerLow.bitPattern, options.centerHigh.bitPattern])
        let lo = options.centerLow, width = options.centerHigh - options.centerLow
        return (0..<options.centers).map { _ in (0..<d).map { _ in lo + width * rng.nextUniform() } }
    }

    static func gaussianCovariance(_ d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { c[i * d + j] = pow(gaussianCorrelation, Double(abs(i - j))) } }
        return c
    }

    /// What the distances and closed forms measure against, for training sets of `count` points;
    /// nil for `swiss-roll`.
    ///
    /// `gaussian`: its law, exactly. The designs (moons, circles, blobs): a sample is
    /// `X = D + E` with `D` the design of `count` points and `E` i.i.d. `N(0, σ²I)`, so
    /// `mean` is the design's mean `D̄` and `covariance` is `S_D/(n − 1) + σ²I` (`S_D` the
    /// design's scatter), the matrix `Σ` with `E Σ̂_unbiased(X) = Σ`, as for `n` i.i.d. points
    /// of covariance `Σ`; the i.i.d. closed forms of the fitted spread (proof G3, K1) then hold
    /// unchanged, since a chain's spread depends on its real data only through the scatter,
    /// linearly in expectation. The sample mean is not that of i.i.d. points:
    /// `E‖X̄ − D̄‖² = dσ²/n` (`realMeanError`). blobs' `mixture` is the law each point is drawn
    /// from given its blob: weights `n_k/n`, means the centres, covariances `cluster_std²·I`.
    public func truth(dimension: Int, options: PointOptions = .init(), count n: Int) -> PointTruth? {
        let d = pointDimension(dimension)
        switch self {
        case .gaussian:
            let cov: [Double]
            if let variance = options.variance {
                cov = (0..<d * d).map { $0 % (d + 1) == 0 ? variance : 0 }
            } else {
                cov = Self.gaussianCovariance(d)
            }
            let mean = [Double](repeating: 0, count: d)
            return PointTruth(
                mean: mean, covariance: cov,
                mixture: .init(weights: [1], means: [mean], covariances: [cov]))
        case .moons, .circles, .blobs:
            precondition(n >= 2, "a design's truth needs n ≥ 2 points")
            let x = design(count: n, dimension: d, options: options)
            var mean = [Double](repeating: 0, count: d)
            for i in 0..<n { for j in 0..<d { mean[j] += x[i * d + j] } }
            mean = mean.map { $0 / Double(n) }
            var cov = [Double](repeating: 0, count: d * d)
            for i in 0..<n { for a in 0..<d { for b in 0..<d { cov[a * d + b] += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]) } } }
            let s2 = self == .blobs ? options.clusterSD * options.clusterSD : options.noise(self) * options.noise(self)
            cov = cov.map { $0 / Double(n - 1) }
            for a in 0..<d { cov[a * d + a] += s2 }
            var mixture: GaussianMixtureModel.Parameters?
            if self == .blobs {
                let kc = (0..<d * d).map { $0 % (d + 1) == 0 ? s2 : 0 }
                mixture = .init(
                    weights: Self.blobSizes(count: n, centers: options.centers).map { Double($0) / Double(n) },
                    means: Self.blobCentres(options, dimension: d), covariances: [[Double]](repeating: kc, count: options.centers))
            }
            return PointTruth(mean: mean, covariance: cov, mixture: mixture, realMeanError: Double(d) * s2 / Double(n))
        case .swissRoll:
            return nil
        }
    }
}

/// The fixed first-order Markov chain of the `markov` dataset: uniform first token, each
/// transition row drawn once from Dirichlet(½, …, ½) by a generator of fixed seed (the same
/// chain for every run), so rows are uneven and some transitions rare.
public enum SyntheticMarkov {
    public static let dirichletConcentration = 0.5
    static let truthSeed = StreamRegistry.markovTruthSeed

    public static func truth(vocabulary v: Int) -> MarkovChainTruth {
        precondition(v >= 2, "vocabulary must be ≥ 2, got \(v)")
        var rng = Xoshiro256StarStar(seed: truthSeed, stream: [UInt64(v)])
        var rows: [Double] = []
        for _ in 0..<v {
            var g = (0..<v).map { _ in Gamma.next(shape: dirichletConcentration, using: &rng) }
            // Keep every transition possible (a Dirichlet(½) draw can underflow to 0).
            g = g.map { max($0, 1e-12) }
            let s = g.reduce(0, +)
            rows += g.map { $0 / s }
        }
        return MarkovChainTruth(initial: [Double](repeating: 1 / Double(v), count: v), transition: rows)
    }
}
