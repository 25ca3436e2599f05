import CollapseCore
import CollapseTheory
import Foundation
import Randomness

/// A multivariate Gaussian `N(μ̂, Σ̂)` fit by moments (Shumailov et al. 2024, arXiv 2305.17493;
/// proof G3): `μ̂ = x̄`, `Σ̂ = S/M` (MLE) or `S/(M − 1)` (unbiased), `S` the scatter matrix of the
/// `M` training points. Samples are `μ̂ + L̂z`, `z ~ N(0, I)`, `Σ̂ = L̂L̂ᵀ` (`L̂` the Cholesky
/// factor, or a symmetric root when `Σ̂` is singular: see `CovarianceRoot`).
///
/// A singular `Σ̂` (fewer than `d + 1` distinct points in general position, or a chain that has
/// collapsed onto a subspace) is an absorbing state of the chain, not an error: its samples stay
/// in the subspace, `totalVariance` is reported as usual, and the held-out NLL is +∞ (the fitted
/// law has no density).
///
/// Each coordinate of the chain is exactly the 1-D chain of proof G3 (a marginal of a Gaussian
/// fit is the 1-D fit of that coordinate), so `E Σ̂_n = r_n Σ` with the 1-D variance ratio `r_n`
/// (`qⁿ` for the MLE under replace, `q = (M − 1)/M`), and `E‖μ̂_n − μ‖² = tr Σ · e_n` with the
/// 1-D mean-error ratio `e_n`. Generation 1's moments are distribution-free, so these hold for
/// any real data with covariance `Σ` (a Gaussian only from generation 2 on).
public struct GaussianModel: GenerativeModel, Sendable {
    public typealias Data = PointSet

    public let dimension: Int
    public let estimator: GaussianFittingTheory.Estimator
    /// Real held-out points that `evaluate()` scores (nil: `evaluate()` is NaN).
    public var test: PointSet?
    public private(set) var mean: [Double]
    /// `Σ̂`, row-major.
    public private(set) var covariance: [Double]
    public private(set) var factor: CovarianceRoot?

    public init(dimension: Int, estimator: GaussianFittingTheory.Estimator, test: PointSet? = nil) {
        precondition(dimension >= 1, "dimension must be ≥ 1, got \(dimension)")
        self.dimension = dimension
        self.estimator = estimator
        self.test = test
        mean = [Double](repeating: 0, count: dimension)
        covariance = [Double](repeating: 0, count: dimension * dimension)
    }

    /// - Throws: `GenerativeFitError` when there are too few points for the estimator or `Σ̂`
    ///   has a non-finite entry.
    public mutating func fit(_ data: PointSet) throws {
        precondition(data.dimension == dimension, "GaussianModel: data of dimension \(data.dimension), model \(dimension)")
        let n = data.count
        let needed = estimator == .unbiased ? 2 : 1
        guard n >= needed else { throw GenerativeFitError.tooFewPoints(what: "Gaussian fit", count: n, needed: needed) }
        let (m, s) = Moments.meanAndScatter(data)
        let divisor = Double(estimator == .unbiased ? n - 1 : n)
        mean = m
        covariance = s.map { $0 / divisor }
        factor = try CovarianceRoot(covariance, dimension: dimension, what: "fitted covariance")
    }

    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> PointSet {
        guard let factor else { preconditionFailure("GaussianModel.sample before fit") }
        let d = dimension
        var out = [Double](repeating: 0, count: count * d)
        var z = [Double](repeating: 0, count: d), y = [Double](repeating: 0, count: d)
        for i in 0..<count {
            for j in 0..<d { z[j] = Normal.next(using: &rng) }
            factor.colour(z, into: &y)
            for j in 0..<d { out[i * d + j] = mean[j] + y[j] }
        }
        return PointSet(dimension: d, values: out)
    }

    /// `log N(x; μ̂, Σ̂) = −½(d log 2π + log det Σ̂ + ‖L̂⁻¹(x − μ̂)‖²)`; −∞ when `Σ̂` is singular.
    public func logDensity(_ x: ArraySlice<Double>) -> Double {
        guard let root = factor else { preconditionFailure("GaussianModel.logDensity before fit") }
        guard let factor = root.cholesky else { return -.infinity }
        let d = dimension
        var c = [Double](repeating: 0, count: d), y = [Double](repeating: 0, count: d)
        var k = 0
        for v in x { c[k] = v - mean[k]; k += 1 }
        factor.whiten(c, into: &y)
        var q = 0.0
        for v in y { q += v * v }
        return -0.5 * (Double(d) * logTwoPi + factor.logDeterminant + q)
    }

    /// Mean negative log-likelihood of the held-out real points `test` (nats per point).
    public func evaluate() -> Double {
        guard let test else { return .nan }
        var s = 0.0
        for i in 0..<test.count { s -= logDensity(test.point(i)) }
        return s / Double(test.count)
    }

    /// `tr Σ̂`, the total variance of the fit.
    public var totalVariance: Double { (0..<dimension).reduce(0) { $0 + covariance[$1 * dimension + $1] } }
}
