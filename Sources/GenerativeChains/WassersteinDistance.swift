import Foundation
import LinearAlgebra

/// The squared Wasserstein-2 distance between Gaussians (Dowson & Landau 1982; Givens & Shortt
/// 1984): `W₂²(N(μ̂, Σ̂), N(μ, Σ)) = ‖μ̂ − μ‖² + tr Σ̂ + tr Σ − 2 tr (Σ^½ Σ̂ Σ^½)^½`.
public struct GaussianWasserstein: Sendable {
    public let mean: [Double]
    public let covariance: [Double]
    /// `Σ^½`, row-major.
    let root: [Double]
    let trace: Double

    /// - Throws: `LinearAlgebraError` if the eigendecomposition of `Σ` fails.
    public init(mean: [Double], covariance: [Double]) throws {
        let d = mean.count
        precondition(covariance.count == d * d, "GaussianWasserstein: covariance must be \(d)×\(d)")
        self.mean = mean
        self.covariance = covariance
        root = try Self.squareRoot(covariance, d)
        trace = (0..<d).reduce(0) { $0 + covariance[$1 * d + $1] }
    }

    /// `A^½ = V diag(√λ) Vᵀ` for symmetric positive semi-definite `A` (negative round-off
    /// eigenvalues clipped to 0).
    static func squareRoot(_ a: [Double], _ d: Int) throws -> [Double] {
        let e = try SymmetricEigen(Matrix(rows: d, columns: d, columnMajor: a))
        var r = [Double](repeating: 0, count: d * d)
        for k in 0..<d {
            let s = max(e.values[k], 0).squareRoot()
            for i in 0..<d { for j in 0..<d { r[i * d + j] += s * e.vectors[i, k] * e.vectors[j, k] } }
        }
        return r
    }

    public func squaredDistance(mean m: [Double], covariance c: [Double]) throws -> Double {
        let d = mean.count
        var dm = 0.0
        for j in 0..<d { dm += (m[j] - mean[j]) * (m[j] - mean[j]) }
        // B = Σ^½ Σ̂ Σ^½, then tr B^½ = Σ √λ(B).
        var t = [Double](repeating: 0, count: d * d), b = t
        for i in 0..<d { for j in 0..<d { var s = 0.0; for k in 0..<d { s += root[i * d + k] * c[k * d + j] }; t[i * d + j] = s } }
        for i in 0..<d { for j in 0..<d { var s = 0.0; for k in 0..<d { s += t[i * d + k] * root[k * d + j] }; b[i * d + j] = s } }
        for i in 0..<d { for j in 0..<i { let s = (b[i * d + j] + b[j * d + i]) / 2; b[i * d + j] = s; b[j * d + i] = s } }
        let e = try SymmetricEigen(Matrix(rows: d, columns: d, columnMajor: b))
        let cross = e.values.reduce(0) { $0 + max($1, 0).squareRoot() }
        let traceHat = (0..<d).reduce(0) { $0 + c[$1 * d + $1] }
        return max(0, dm + traceHat + trace - 2 * cross)
    }
}
