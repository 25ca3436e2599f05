import Foundation
import LinearAlgebra

/// A numerical failure of a fit, carrying the value that caused it.
public enum GenerativeFitError: Error, Equatable, CustomStringConvertible {
    /// A covariance (or kernel) matrix is not positive definite: Cholesky failed at `pivot`.
    case notPositiveDefinite(what: String, pivot: Int, value: Double)
    /// The fit needs more points than it was given.
    case tooFewPoints(what: String, count: Int, needed: Int)
    /// A covariance (or kernel) matrix has a NaN or infinite entry.
    case nonFinite(what: String)

    public var description: String {
        switch self {
        case let .notPositiveDefinite(what, pivot, value):
            return "\(what) is not positive definite (Cholesky pivot \(pivot) = \(value))"
        case let .tooFewPoints(what, count, needed):
            return "\(what) needs at least \(needed) points, got \(count)"
        case let .nonFinite(what):
            return "\(what) has a non-finite (NaN or infinite) entry"
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

/// A square root `B` (`A = BBᵀ`) of a symmetric positive semi-definite covariance `A`, for
/// sampling `Bz ~ N(0, A)`, `z ~ N(0, I)`, and its density where `A` is non-singular.
///
/// The Cholesky factor is tried first, so a positive-definite `A` takes exactly the path (and
/// the random stream) of `DenseCholesky`. When Cholesky breaks down (a pivot ≤ 8dε times its
/// diagonal entry, round-off included: the smallest eigenvalue of `A` is 0 up to round-off
/// relative to the largest) `A` is singular to working
/// precision: a fitted covariance collapsed onto a subspace, which is an absorbing state of a
/// refit chain, not an error. Then `B = V diag(√max(λ, 0)) Vᵀ` from the symmetric eigen
/// decomposition `A = V diag(λ) Vᵀ` (negative round-off eigenvalues clamped to 0), so `BBᵀ` is
/// the nearest PSD matrix to `A`, and the density is singular: `log det A = −∞`, and a point has
/// log-density −∞ (the held-out NLL is +∞). Only a non-finite `A` is an error.
public struct CovarianceRoot: Sendable, Equatable {
    public let dimension: Int
    /// The Cholesky factor, or nil when `A` is singular to working precision.
    public let cholesky: DenseCholesky?
    /// The symmetric root `V diag(√max(λ, 0)) Vᵀ` (row-major) when `cholesky` is nil, else empty.
    public let symmetricRoot: [Double]

    /// - Throws: `GenerativeFitError.nonFinite` when `a` has a NaN or infinite entry.
    public init(_ a: [Double], dimension d: Int, what: String = "covariance") throws {
        precondition(d >= 1 && a.count == d * d, "CovarianceRoot needs a \(d)×\(d) matrix, got \(a.count) entries")
        guard a.allSatisfy({ $0.isFinite }) else { throw GenerativeFitError.nonFinite(what: what) }
        dimension = d
        // A pivot at or below the round-off of its diagonal entry (8dε·a_jj) means the same as
        // a failed one: `A` is singular to working precision, and its computed density is noise.
        if let c = try? DenseCholesky(a, dimension: d, what: what),
            (0..<d).allSatisfy({ j in c.lower[j * d + j] * c.lower[j * d + j] > 8 * Double(d) * .ulpOfOne * a[j * d + j] })
        {
            cholesky = c
            symmetricRoot = []
            return
        }
        // Symmetrise from the lower triangle (the only part DenseCholesky reads).
        var s = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0...i { s[i * d + j] = a[i * d + j]; s[j * d + i] = a[i * d + j] } }
        let e: SymmetricEigen
        do { e = try SymmetricEigen(Matrix(rows: d, columns: d, columnMajor: s)) } catch {
            throw GenerativeFitError.nonFinite(what: what)
        }
        var r = [Double](repeating: 0, count: d * d)
        for k in 0..<d {
            let root = max(e.values[k], 0).squareRoot()
            if root == 0 { continue }
            for i in 0..<d { for j in 0..<d { r[i * d + j] += root * e.vectors[i, k] * e.vectors[j, k] } }
        }
        cholesky = nil
        symmetricRoot = r
    }

    /// Whether `A` is singular to working precision (no density).
    public var isSingular: Bool { cholesky == nil }

    /// `log det A`, −∞ when singular.
    public var logDeterminant: Double { cholesky?.logDeterminant ?? -.infinity }

    /// `y ← Bz`: maps a standard normal vector `z` to one with covariance `A`.
    @inlinable
    public func colour(_ z: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        if let cholesky { cholesky.colour(z, into: y); return }
        let d = dimension
        symmetricRoot.withUnsafeBufferPointer { b in
            for i in 0..<d {
                var s = 0.0
                for k in 0..<d { s += b[i * d + k] * z[k] }
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

/// `log(2π)`.
let logTwoPi = log(2 * Double.pi)

/// `exp(x)` for `x ≤ 0` without a library call or a branch, so loops over it vectorise.
/// Cody–Waite reduction `x = k·ln 2 + r`, `|r| ≤ ln 2/2` (`k` rounded by the 1.5·2⁵² shifter,
/// `ln 2` split in a high and a low part), `e^r` by its Taylor polynomial of degree 13
/// (truncation `< (ln 2/2)¹⁴/14! ≈ 4·10⁻¹⁸`, relative), and `2^k` written into the exponent
/// bits. Arguments below −708 are clamped there (`e^−708 ≈ 3·10⁻³⁰⁸`, negligible next to the
/// largest term 1 of a shifted log-sum-exp).
@inlinable @inline(__always)
public func expNonPositive(_ x: Double) -> Double {
    let xc = max(x, -708.0)
    let shifter = 0x1.8p52
    let t = xc * 1.4426950408889634 + shifter
    let k = t - shifter
    // fdlibm's split: ln2Hi has 11 trailing zero bits, so k·ln2Hi is exact for |k| < 2¹¹.
    let r = (xc - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
    // Estrin's scheme (pairs, then powers r², r⁴, r⁸): a dependency chain of depth 4 instead
    // of Horner's 13, which is what bounds a vectorised loop over many arguments.
    let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
    let a0 = 1 + r, a1 = 1.0 / 2 + r * (1.0 / 6), a2 = 1.0 / 24 + r * (1.0 / 120)
    let a3 = 1.0 / 720 + r * (1.0 / 5040), a4 = 1.0 / 40320 + r * (1.0 / 362880)
    let a5 = 1.0 / 3628800 + r * (1.0 / 39916800), a6 = 1.0 / 479001600 + r * (1.0 / 6227020800)
    let b0 = a0 + r2 * a1, b1 = a2 + r2 * a3, b2 = a4 + r2 * a5
    let p = (b0 + r4 * b1) + r8 * (b2 + r4 * a6)
    let scale = Double(bitPattern: (t.bitPattern &+ 1023) << 52)
    return p * scale
}

/// Reductions in a fixed order with four partial results (so the loops vectorise, and the
/// result does not depend on the machine).
public enum Reduction {
    @inlinable
    public static func sum(_ a: UnsafeBufferPointer<Double>) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        let n = a.count, m = n & ~3
        var i = 0
        while i < m { s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3]; i += 4 }
        while i < n { s0 += a[i]; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    @inlinable
    public static func minimum(_ a: UnsafeBufferPointer<Double>) -> Double {
        var m0 = Double.infinity, m1 = m0, m2 = m0, m3 = m0
        let n = a.count, m = n & ~3
        var i = 0
        while i < m {
            m0 = a[i] < m0 ? a[i] : m0; m1 = a[i + 1] < m1 ? a[i + 1] : m1
            m2 = a[i + 2] < m2 ? a[i + 2] : m2; m3 = a[i + 3] < m3 ? a[i + 3] : m3
            i += 4
        }
        while i < n { m0 = a[i] < m0 ? a[i] : m0; i += 1 }
        return min(min(m0, m1), min(m2, m3))
    }
}
