import CollapseCore
import Foundation
import Randomness

/// A Gaussian kernel density estimate `p̂(x) = (1/n) Σᵢ N(x; xᵢ, H)` over the `n` training points.
///
/// The kernel covariance `H` is one of
/// - `scott`, `silverman`: the multivariate rules of `scipy.stats.gaussian_kde`, `H = f²·Σ̂`
///   with `Σ̂` the unbiased sample covariance of the training points and the factor
///   Scott (1992) `f = n^(−1/(d+4))` or Silverman (1986) `f = (n(d + 2)/4)^(−1/(d+4))`;
/// - `sklearn-scott`, `sklearn-silverman`: scikit-learn's `KernelDensity(bandwidth="scott")`
///   and `"silverman"` (`sklearn/neighbors/_kde.py`), the same factors as a scalar bandwidth
///   on the raw coordinates, `H = h²I` with `h = n^(−1/(d+4))` or `(n(d + 2)/4)^(−1/(d+4))`
///   (so not scale-equivariant: the data's units set the smoothing);
/// - a fixed bandwidth `h`, `H = h²I`.
/// Sampling picks a training point uniformly and adds
/// `N(0, H)` noise, so each refit adds `H` to the spread: the fit's covariance is
/// `Σ̂_MLE + H` (see `totalVariance`).
///
/// A singular `H` (training points on a line or a single point, or a Scott/Silverman kernel
/// whose covariance collapsed or exploded to near rank 1 along the chain) is a state of the
/// chain, not an error: sampling uses a symmetric root of `H` (`CovarianceRoot`), the total
/// variance is reported as usual, and the held-out NLL is +∞ (no density).
public struct KernelDensityModel: GenerativeModel, Sendable {
    public typealias Data = PointSet

    public enum Bandwidth: Sendable, Equatable {
        case fixed(Double)
        /// `H = f²Σ̂`, Scott's factor (scipy's `gaussian_kde`).
        case scott
        /// `H = f²Σ̂`, Silverman's factor (scipy's `gaussian_kde`).
        case silverman
        /// `H = h²I`, `h = n^(−1/(d+4))` (scikit-learn's `KernelDensity(bandwidth="scott")`).
        case sklearnScott
        /// `H = h²I`, `h = (n(d + 2)/4)^(−1/(d+4))` (scikit-learn's `"silverman"`).
        case sklearnSilverman

        /// The factor `f` (or `h`) for `n` points in `d` dimensions.
        public func factor(count n: Int, dimension d: Int) -> Double {
            switch self {
            case let .fixed(h): return h
            case .scott, .sklearnScott: return pow(Double(n), -1 / Double(d + 4))
            case .silverman, .sklearnSilverman: return pow(Double(n) * Double(d + 2) / 4, -1 / Double(d + 4))
            }
        }

        public var name: String {
            switch self {
            case let .fixed(h): return "fixed(\(h))"
            case .scott: return "scott"
            case .silverman: return "silverman"
            case .sklearnScott: return "sklearn-scott"
            case .sklearnSilverman: return "sklearn-silverman"
            }
        }
    }

    public let dimension: Int
    public let bandwidth: Bandwidth
    public var test: PointSet?
    /// The training points.
    public private(set) var points = PointSet(dimension: 1, values: [])
    /// `H`, row-major.
    public private(set) var kernelCovariance: [Double] = []
    public private(set) var kernel: CovarianceRoot?
    /// `L_H⁻¹xᵢ` for every training point, coordinate-major (`[j·n + i]`, so the density's
    /// loops over points are contiguous and vectorise).
    private var whitened: [Double] = []
    /// `tr` of the training points' MLE covariance.
    private var dataTotalVariance = 0.0

    public init(dimension: Int, bandwidth: Bandwidth, test: PointSet? = nil) {
        precondition(dimension >= 1, "dimension must be ≥ 1, got \(dimension)")
        if case let .fixed(h) = bandwidth { precondition(h > 0 && h.isFinite, "bandwidth must be > 0, got \(h)") }
        self.dimension = dimension
        self.bandwidth = bandwidth
        self.test = test
    }

    public mutating func fit(_ data: PointSet) throws {
        precondition(data.dimension == dimension, "KernelDensityModel: data of dimension \(data.dimension), model \(dimension)")
        let n = data.count, d = dimension
        guard n >= 2 else { throw GenerativeFitError.tooFewPoints(what: "kernel density estimate", count: n, needed: 2) }
        let (_, scatter) = Moments.meanAndScatter(data)
        dataTotalVariance = (0..<d).reduce(0) { $0 + scatter[$1 * d + $1] } / Double(n)
        let f = bandwidth.factor(count: n, dimension: d)
        switch bandwidth {
        case .fixed, .sklearnScott, .sklearnSilverman:
            var h = [Double](repeating: 0, count: d * d)
            for j in 0..<d { h[j * d + j] = f * f }
            kernelCovariance = h
        case .scott, .silverman:
            kernelCovariance = scatter.map { $0 / Double(n - 1) * f * f }
        }
        let root = try CovarianceRoot(kernelCovariance, dimension: d, what: "kernel covariance (bandwidth × data covariance)")
        kernel = root
        points = data
        guard let k = root.cholesky else { whitened = []; return }
        whitened = [Double](repeating: 0, count: n * d)
        var y = [Double](repeating: 0, count: d)
        data.values.withUnsafeBufferPointer { x in
            for i in 0..<n {
                k.whiten(x.baseAddress! + i * d, into: &y)
                for j in 0..<d { whitened[j * n + i] = y[j] }
            }
        }
    }

    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> PointSet {
        guard let kernel else { preconditionFailure("KernelDensityModel.sample before fit") }
        let d = dimension, n = points.count
        var out = [Double](repeating: 0, count: count * d)
        var z = [Double](repeating: 0, count: d), y = [Double](repeating: 0, count: d)
        for i in 0..<count {
            let centre = rng.nextIndex(below: n)
            for j in 0..<d { z[j] = Normal.next(using: &rng) }
            kernel.colour(z, into: &y)
            for j in 0..<d { out[i * d + j] = points.values[centre * d + j] + y[j] }
        }
        return PointSet(dimension: d, values: out)
    }

    /// `log p̂(x) = logΣᵢ exp(−½‖L_H⁻¹(x − xᵢ)‖²) − log n − ½(d log 2π + log det H)`, the sum by
    /// log-sum-exp (stable when `x` is far from every training point); −∞ when `H` is singular.
    public func logDensity(_ x: ArraySlice<Double>) -> Double {
        var terms = [Double](repeating: 0, count: points.count)
        return logDensity(x, scratch: &terms)
    }

    func logDensity(_ x: ArraySlice<Double>, scratch terms: inout [Double]) -> Double {
        guard let root = kernel else { preconditionFailure("KernelDensityModel.logDensity before fit") }
        guard let kernel = root.cholesky else { return -.infinity }
        let d = dimension, n = points.count
        var xs = Array(x), y = [Double](repeating: 0, count: d)
        kernel.whiten(&xs, into: &y)
        // q_i = ‖y − L_H⁻¹x_i‖², then log Σ exp(−q_i/2) = −q_min/2 + log Σ exp(−(q_i − q_min)/2).
        let lse: Double = whitened.withUnsafeBufferPointer { w in
            terms.withUnsafeMutableBufferPointer { t in
                for i in 0..<n { t[i] = 0 }
                for j in 0..<d {
                    let yj = y[j], column = w.baseAddress! + j * n
                    for i in 0..<n { let u = yj - column[i]; t[i] += u * u }
                }
                let qMin = Reduction.minimum(UnsafeBufferPointer(t))
                for i in 0..<n { t[i] = expNonPositive(-0.5 * (t[i] - qMin)) }
                return -0.5 * qMin + log(Reduction.sum(UnsafeBufferPointer(t)))
            }
        }
        return lse - log(Double(n)) - 0.5 * (Double(d) * logTwoPi + kernel.logDeterminant)
    }

    /// Mean negative log-likelihood of the held-out real points (nats per point); O(test · n · d).
    public func evaluate() -> Double {
        guard let test else { return .nan }
        var terms = [Double](repeating: 0, count: points.count)
        var s = 0.0
        for i in 0..<test.count { s -= logDensity(test.point(i), scratch: &terms) }
        return s / Double(test.count)
    }

    /// `tr Cov(p̂) = tr Σ̂_MLE + tr H`: each refit adds the kernel's spread.
    public var totalVariance: Double {
        dataTotalVariance + (0..<dimension).reduce(0) { $0 + kernelCovariance[$1 * dimension + $1] }
    }

    /// `E tr Cov(p̂_n)` under replace with `M` points per generation, `q = (M − 1)/M`, from truth
    /// total variance `v = tr Σ`. The MLE scatter of `M` draws from any law of covariance `C`
    /// has mean `qC`, and `Cov(p̂) = Σ̂_MLE + H`, so with `H = h²I` (fixed, or scikit-learn's
    /// scalar rules with `h` at `n = M`)
    /// `E tr Cov(p̂_n) = qⁿv + d·h²·(1 − qⁿ)/(1 − q)`, and with `H = f²Σ̂_unbiased = (f²/q)Σ̂_MLE`
    /// (Scott, Silverman; `f` at `n = M`) `E Cov(p̂_n) = (q + f²)·E Cov(p̂_{n−1})`, so
    /// `E tr Cov(p̂_n) = (q + f²)ⁿ v`: the spread grows geometrically whenever `f² > 1/M`
    /// (which Scott and Silverman satisfy for every `M ≥ 2`, `d ≥ 1`). `n = 1` is the fit to the
    /// real data; only finite second moments of the real data are needed. Proved in proof K1
    /// (`proofs/K1-kde-refit-chain.md`).
    public static func expectedTotalVarianceUnderReplace(
        _ bandwidth: Bandwidth, generation n: Int, samples m: Int,
        dimension d: Int, truthTotalVariance v: Double
    ) -> Double {
        precondition(n >= 1 && m >= 2 && d >= 1, "need n ≥ 1, M ≥ 2, d ≥ 1")
        let q = Double(m - 1) / Double(m), qn = pow(q, Double(n))
        let f = bandwidth.factor(count: m, dimension: d)
        switch bandwidth {
        case .fixed, .sklearnScott, .sklearnSilverman: return qn * v + Double(d) * f * f * (1 - qn) / (1 - q)
        case .scott, .silverman: return pow(q + f * f, Double(n)) * v
        }
    }
}
