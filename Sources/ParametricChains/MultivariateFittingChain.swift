import CollapseTheory
import Foundation
import LinearAlgebra
import Randomness

/// A `d`-dimensional Gaussian refit to its own samples (proofs G3 item 6 and G4), simulated
/// literally. Truth `N(0, Σ)`; generation `n` draws `M` points `x = μ̂_{n−1} + B_{n−1}ε`,
/// `ε ~ N(0, I_d)`, with `B_{n−1} = Σ̂_{n−1}^{1/2}` the symmetric p.s.d. root (eigendecomposition;
/// it exists for singular fits too, `M ≤ d`), generation 1 from the truth. It refits the mean
/// and the covariance `S/c`, with `S` the scatter about the mean: replace fits the newest `M`
/// points (`c = M − 1` or `M`); accumulate fits all `nM` points so far (`c_n = nM − 1` or `nM`),
/// exactly as G3 defines the pooled 1-D fit.
public struct MultivariateGaussianFittingChain: Sendable, Equatable {
    /// `Σ`, row-major `d × d`, symmetric positive definite.
    public let covariance: [Double]
    public let dimension: Int
    public let estimator: GaussianFittingTheory.Estimator
    /// `Σ^{1/2}` (row-major) and the eigenvalues of `Σ`, ascending.
    public let covarianceRoot: [Double]
    public let eigenvalues: [Double]

    /// `covariance` must be square, symmetric and positive definite (checked: precondition).
    public init(covariance rows: [[Double]], estimator: GaussianFittingTheory.Estimator) {
        let d = rows.count
        precondition(d >= 1 && rows.allSatisfy { $0.count == d && $0.allSatisfy(\.isFinite) }, "covariance must be a finite square matrix")
        for i in 0..<d {
            for j in 0..<i {
                precondition(abs(rows[i][j] - rows[j][i]) <= 1e-12 * max(abs(rows[i][j]), 1), "covariance must be symmetric")
            }
        }
        covariance = rows.flatMap { $0 }
        dimension = d
        self.estimator = estimator
        let (root, values) = Self.symmetricRoot(covariance, d)
        precondition(values[0] > 0, "covariance must be positive definite")
        covarianceRoot = root
        eigenvalues = values
    }

    /// The statistics written per generation, each a series of `generations` values; then the
    /// upper triangles (`i ≤ j`, row by row) of `Σ̂_n` and of `(μ̂_n − μ)(μ̂_n − μ)ᵀ`.
    public enum Series: Int, CaseIterable {
        /// `‖μ̂_n − μ‖²`.
        case meanSquaredError
        /// `tr Σ̂_n`.
        case trace
        /// `log det Σ̂_n − log det Σ` (`−∞` when `M ≤ d`).
        case logDeterminantRatio
        /// `W₂²(N(μ̂_n, Σ̂_n), N(μ, Σ))`.
        case wassersteinSquared
    }

    public var triangle: Int { dimension * (dimension + 1) / 2 }
    public var seriesCount: Int { Series.allCases.count + 2 * triangle }

    /// Index of series `Σ̂_n[i, j]` (`i ≤ j`) or, with `meanOuter`, of `(μ̂_n − μ)_i(μ̂_n − μ)_j`.
    public func entrySeries(_ i: Int, _ j: Int, meanOuter: Bool = false) -> Int {
        precondition(i <= j && j < dimension, "entrySeries needs i ≤ j < d")
        let offset = i * dimension - i * (i - 1) / 2 + (j - i)
        return Series.allCases.count + (meanOuter ? triangle : 0) + offset
    }

    /// Writes `seriesCount × generations` values, series-major: `out[s·generations + n − 1]`.
    public func run(
        regime: ClosedFormRegime, samples m: Int, generations: Int, rng: inout Xoshiro256StarStar,
        out: UnsafeMutableBufferPointer<Double>
    ) {
        let d = dimension, g = generations
        precondition(m >= 2 && g >= 1 && out.count >= seriesCount * g, "MultivariateGaussianFittingChain.run: bad sizes")
        let logDetTruth = eigenvalues.reduce(0) { $0 + log($1) }
        var mu = [Double](repeating: 0, count: d), root = covarianceRoot
        var x = [Double](repeating: 0, count: d), eps = [Double](repeating: 0, count: d)
        // Welford accumulators, pooled (accumulate) or reset per generation (replace); the 1-D
        // chain's update m2 += δ·(x − mean) entrywise, symmetrised when the fit is formed.
        var count = 0.0
        var mean = [Double](repeating: 0, count: d), m2 = [Double](repeating: 0, count: d * d)
        var fit = [Double](repeating: 0, count: d * d)
        let divisorShift = estimator == .unbiased ? 1.0 : 0.0
        for n in 1...g {
            if regime == .replace { count = 0; for i in 0..<d { mean[i] = 0 }; for i in 0..<(d * d) { m2[i] = 0 } }
            for _ in 0..<m {
                for i in 0..<d { eps[i] = Normal.next(using: &rng) }
                for i in 0..<d {
                    var s = mu[i]
                    for k in 0..<d { s += root[i * d + k] * eps[k] }
                    x[i] = s
                }
                count += 1
                for i in 0..<d { let delta = x[i] - mean[i]; eps[i] = delta; mean[i] += delta / count }
                for i in 0..<d { for j in 0..<d { m2[i * d + j] += eps[i] * (x[j] - mean[j]) } }
            }
            for i in 0..<d { for j in 0..<d { fit[i * d + j] = 0.5 * (m2[i * d + j] + m2[j * d + i]) / (count - divisorShift) } }
            mu = mean
            let (nextRoot, fitValues) = Self.symmetricRoot(fit, d)
            root = nextRoot
            var squaredError = 0.0, trace = 0.0, logDet = 0.0
            for i in 0..<d { squaredError += mu[i] * mu[i]; trace += fit[i * d + i] }
            for v in fitValues { logDet += v > 0 ? log(v) : -.infinity }
            out[Series.meanSquaredError.rawValue * g + n - 1] = squaredError
            out[Series.trace.rawValue * g + n - 1] = trace
            out[Series.logDeterminantRatio.rawValue * g + n - 1] = logDet - logDetTruth
            out[Series.wassersteinSquared.rawValue * g + n - 1] =
                squaredError + Self.gaussianCovarianceTerm(rootA: covarianceRoot, traceA: eigenvalues.reduce(0, +), b: fit, d)
            for i in 0..<d {
                for j in i..<d {
                    out[entrySeries(i, j) * g + n - 1] = fit[i * d + j]
                    out[entrySeries(i, j, meanOuter: true) * g + n - 1] = mu[i] * mu[j]
                }
            }
        }
    }

    /// `W₂²(N(a, A), N(b, B)) = ‖a − b‖² + tr A + tr B − 2 tr((A^{1/2} B A^{1/2})^{1/2})`
    /// (Dowson & Landau 1982; Olkin & Pukelsheim 1982), for p.s.d. `A`, `B` (row-major `d × d`).
    public static func wassersteinSquared(meanA a: [Double], covarianceA: [Double], meanB b: [Double], covarianceB: [Double]) -> Double {
        let d = a.count
        precondition(b.count == d && covarianceA.count == d * d && covarianceB.count == d * d, "wassersteinSquared: bad sizes")
        var distance = 0.0
        for i in 0..<d { distance += (a[i] - b[i]) * (a[i] - b[i]) }
        var traceA = 0.0
        for i in 0..<d { traceA += covarianceA[i * d + i] }
        return distance + gaussianCovarianceTerm(rootA: symmetricRoot(covarianceA, d).root, traceA: traceA, b: covarianceB, d)
    }

    /// `tr A + tr B − 2 tr((A^{1/2} B A^{1/2})^{1/2})`, given `A^{1/2}` and `tr A`.
    static func gaussianCovarianceTerm(rootA: [Double], traceA: Double, b: [Double], _ d: Int) -> Double {
        var product = [Double](repeating: 0, count: d * d), sandwich = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d {
                var s = 0.0
                for k in 0..<d { s += b[i * d + k] * rootA[k * d + j] }
                product[i * d + j] = s
            }
        }
        for i in 0..<d {
            for j in i..<d {
                var s = 0.0
                for k in 0..<d { s += rootA[i * d + k] * product[k * d + j] }
                sandwich[i * d + j] = s
                sandwich[j * d + i] = s
            }
        }
        var traceB = 0.0, cross = 0.0
        for i in 0..<d { traceB += b[i * d + i] }
        for v in eigenvaluesOf(sandwich, d) { cross += max(v, 0).squareRoot() }
        return traceA + traceB - 2 * cross
    }

    static func eigenvaluesOf(_ a: [Double], _ d: Int) -> [Double] { decompose(a, d).values }

    static func decompose(_ a: [Double], _ d: Int) -> SymmetricEigen {
        // Symmetric, so the row-major entries are also the column-major ones.
        guard let eigen = try? SymmetricEigen(Matrix(rows: d, columns: d, columnMajor: a)) else {
            preconditionFailure("eigendecomposition of a \(d)×\(d) covariance failed (non-finite entries)")
        }
        return eigen
    }

    /// The symmetric p.s.d. root `V·diag(√max(λ, 0))·Vᵀ` (row-major) and the eigenvalues, ascending.
    static func symmetricRoot(_ a: [Double], _ d: Int) -> (root: [Double], values: [Double]) {
        let eigen = decompose(a, d)
        var root = [Double](repeating: 0, count: d * d)
        for k in 0..<d {
            let r = max(eigen.values[k], 0).squareRoot()
            for i in 0..<d {
                let vik = eigen.vectors[i, k] * r
                for j in 0..<d { root[i * d + j] += vik * eigen.vectors[j, k] }
            }
        }
        return (root, eigen.values)
    }
}
