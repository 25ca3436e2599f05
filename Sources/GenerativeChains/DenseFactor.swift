import Foundation

/// A numerical failure of a fit, carrying the value that caused it.
public enum GenerativeFitError: Error, Equatable, CustomStringConvertible {
    /// A covariance (or kernel) matrix is not positive definite: Cholesky failed at `pivot`.
    case notPositiveDefinite(what: String, pivot: Int, value: Double)
    /// The fit needs more points than it was given.
    case tooFewPoints(what: String, count: Int, needed: Int)

    public var description: String {
        switch self {
        case let .notPositiveDefinite(what, pivot, value):
            return "\(what) is not positive definite (Cholesky pivot \(pivot) = \(value))"
        case let .tooFewPoints(what, count, needed):
            return "\(what) needs at least \(needed) points, got \(count)"
        }
    }
}

/// The Cholesky factor `L` (`A = LLᵀ`, lower triangular, positive diagonal) of a small dense
/// symmetric positive-definite `d×d` matrix, in pure Swift: the covariance matrices of the
/// continuous models are 1×1 to a few tens square, where calling LAPACK costs more than it saves.
/// Row-major storage; `log det A = 2 Σ log L_ii`.
public struct DenseCholesky: Sendable, Equatable {
    public let dimension: Int
    /// `L`, row-major (`lower[i·d + j]`, zero above the diagonal).
    public let lower: [Double]
    /// `log det A`.
    public let logDeterminant: Double

    /// Factors the symmetric `a` (row-major, only the lower triangle is read).
    /// - Throws: `GenerativeFitError.notPositiveDefinite` when a pivot is not positive and finite.
    public init(_ a: [Double], dimension d: Int, what: String = "covariance") throws {
        precondition(d >= 1 && a.count == d * d, "DenseCholesky needs a \(d)×\(d) matrix, got \(a.count) entries")
        var l = [Double](repeating: 0, count: d * d)
        var logDet = 0.0
        for j in 0..<d {
            var s = a[j * d + j]
            for k in 0..<j { s -= l[j * d + k] * l[j * d + k] }
            guard s > 0 && s.isFinite else { throw GenerativeFitError.notPositiveDefinite(what: what, pivot: j, value: s) }
            let pivot = s.squareRoot()
            l[j * d + j] = pivot
            logDet += 2 * log(pivot)
            for i in (j + 1)..<max(j + 1, d) {
                var t = a[i * d + j]
                for k in 0..<j { t -= l[i * d + k] * l[j * d + k] }
                l[i * d + j] = t / pivot
            }
        }
        dimension = d
        lower = l
        logDeterminant = logDet
    }

    /// `y ← L⁻¹x` (forward substitution), so that `‖y‖² = xᵀA⁻¹x`.
    @inlinable
    public func whiten(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        let d = dimension
        lower.withUnsafeBufferPointer { l in
            for i in 0..<d {
                var s = x[i]
                for k in 0..<i { s -= l[i * d + k] * y[k] }
                y[i] = s / l[i * d + i]
            }
        }
    }

    /// `y ← Lz`: maps a standard normal vector `z` to one with covariance `A`.
    @inlinable
    public func colour(_ z: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        let d = dimension
        lower.withUnsafeBufferPointer { l in
            for i in 0..<d {
                var s = 0.0
                for k in 0...i { s += l[i * d + k] * z[k] }
                y[i] = s
            }
        }
    }
}

/// Sample moments of a point set, by two passes (stable when the spread is tiny relative to
/// the mean, as in a collapsing chain).
enum Moments {
    /// The mean vector and the scatter matrix `S = Σ (x − x̄)(x − x̄)ᵀ` (row-major).
    static func meanAndScatter(_ data: PointSet) -> (mean: [Double], scatter: [Double]) {
        let d = data.dimension, n = data.count
        var mean = [Double](repeating: 0, count: d)
        var scatter = [Double](repeating: 0, count: d * d)
        data.values.withUnsafeBufferPointer { x in
            for i in 0..<n { for j in 0..<d { mean[j] += x[i * d + j] } }
            for j in 0..<d { mean[j] /= Double(n) }
            var c = [Double](repeating: 0, count: d)
            for i in 0..<n {
                for j in 0..<d { c[j] = x[i * d + j] - mean[j] }
                for j in 0..<d { for k in 0...j { scatter[j * d + k] += c[j] * c[k] } }
            }
        }
        for j in 0..<d { for k in 0..<j { scatter[k * d + j] = scatter[j * d + k] } }
        return (mean, scatter)
    }
}

/// `log Σ exp(a_i)` without overflow: `m + log Σ exp(a_i − m)` with `m = max a_i`
/// (`−∞` for no terms or all terms `−∞`).
@inlinable
public func logSumExp(_ a: UnsafeBufferPointer<Double>) -> Double {
    var m = -Double.infinity
    for v in a where v > m { m = v }
    guard m.isFinite else { return m }
    var s = 0.0
    for v in a { s += exp(v - m) }
    return m + log(s)
}

/// `log(2π)`.
let logTwoPi = log(2 * Double.pi)
