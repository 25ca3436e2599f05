import CLapack

/// A Gram matrix given by its lower Cholesky factor, `G = LLᵀ` (`L` lower triangular with a
/// positive diagonal), for chains that work with `G` alone (the sufficient-statistic engine,
/// where `G` is drawn as a Wishart matrix by the Bartlett decomposition).
public struct CholeskyFactor: Sendable {
    public let dimension: Int
    /// `L`, column-major, strictly upper part zero.
    public let lower: [Double]
    /// `tr(G⁻¹)`.
    public let traceOfInverse: Double
    /// `tr(G⁻²) = ‖G⁻¹‖²_F`.
    public let traceOfInverseSquared: Double

    /// `tr(G⁻¹)` and `tr(G⁻²)` come from `G⁻¹ = L⁻ᵀL⁻¹`: in Swift up to
    /// `LeastSquaresSolver.smallFactorisationLimit` (`SmallCholesky.invert`, with `L` as `U = Lᵀ`
    /// stored by rows), by LAPACK's `dpotri` above. The sufficient-statistic engine builds one
    /// per replicate, and `dpotri` makes level-2 calls per column whose triangular ones (`dtrmv`)
    /// take OpenBLAS's process-wide buffer lock, which parallel replicates queue on (`futex`
    /// calls of a d = 4, 4000-replicate run on 2 threads: 199 with `dpotri`, 7 without).
    ///
    /// - Throws: `LinearAlgebraError.lapack(routine: "dpotri", info: i)` if `L_ii = 0` (`L` is
    ///   singular; what `dpotri` reports), `.nonFinite` if `L` holds NaN or an infinity.
    public init(lower: [Double], dimension d: Int) throws {
        precondition(d >= 1 && lower.count == d * d, "CholeskyFactor needs a \(d)×\(d) column-major factor")
        var l = lower
        for j in 0..<d { for i in 0..<j { l[i + j * d] = 0 } }
        self.dimension = d
        self.lower = l
        guard l.allSatisfy(\.isFinite) else { throw LinearAlgebraError.nonFinite(what: "the Cholesky factor") }
        if let i = (0..<d).first(where: { l[$0 + $0 * d] == 0 }) { throw LinearAlgebraError.lapack(routine: "dpotri", info: Int32(i + 1)) }
        if d <= LeastSquaresSolver.smallFactorisationLimit {
            // W and G⁻¹ in one temporary buffer: no array allocation (and no trip to the Swift
            // runtime's metadata lock) per replicate.
            let traces = withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * d * d) { buffer in
                buffer.initialize(repeating: 0)
                return l.withUnsafeBufferPointer { lp in
                    let w = buffer.baseAddress!
                    return SmallCholesky.invert(rows: lp.baseAddress!, dimension: d, inverseFactor: w, inverse: w + d * d)
                }
            }
            traceOfInverse = traces.trace
            traceOfInverseSquared = traces.traceSquared
            return
        }
        var inv = l
        let info = BLAS.serialised { LAPACKE_dpotri(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(d), &inv, Int32(d)) }
        if info != 0 { throw LinearAlgebraError.lapack(routine: "dpotri", info: info) }
        var t1 = 0.0, t2 = 0.0
        for j in 0..<d {
            for i in j..<d {
                let a = inv[i + j * d]
                if i == j { t1 += a; t2 += a * a } else { t2 += 2 * a * a }
            }
        }
        traceOfInverse = t1
        traceOfInverseSquared = t2
    }

    /// `x ← Lx` (or `Lᵀx`), in place (`Triangular`, no BLAS lock).
    @inlinable
    public func multiply(_ x: UnsafeMutablePointer<Double>, transpose: Bool) {
        lowerMultiply(x, transpose)
    }

    /// `x ← L⁻¹x` (or `L⁻ᵀx`), in place (`Triangular`, no BLAS lock).
    @inlinable
    public func solve(_ x: UnsafeMutablePointer<Double>, transpose: Bool) {
        lowerSolve(x, transpose)
    }

    /// `x ← G⁻¹x = L⁻ᵀL⁻¹x`, in place.
    @inlinable
    public func solveGram(_ x: UnsafeMutablePointer<Double>) {
        lowerSolve(x, false)
        lowerSolve(x, true)
    }

    /// `x ← L⁻ᵀx`, in place, by back substitution in Swift: row `i` of `Lᵀ` is column `i` of
    /// `L`, contiguous in memory, so each step is one dot product (`Triangular.dot`: four
    /// partial sums in a fixed order). For the small `d` of a
    /// per-generation solve this avoids BLAS call overhead (several times faster than `dtrsv`
    /// at d = 32).
    @inlinable
    public func solveTransposed(_ x: UnsafeMutablePointer<Double>) {
        let d = dimension
        lower.withUnsafeBufferPointer { lp in
            let l = lp.baseAddress!
            var i = d - 1
            while i >= 0 {
                let column = l + i * d
                x[i] = (x[i] - Triangular.dot(column + i + 1, x + i + 1, count: d - i - 1)) / column[i]
                i -= 1
            }
        }
    }

    /// `x ← Gx = L(Lᵀx)`, in place.
    @inlinable
    public func multiplyGram(_ x: UnsafeMutablePointer<Double>) {
        lowerMultiply(x, true)
        lowerMultiply(x, false)
    }

    @usableFromInline
    func lowerMultiply(_ x: UnsafeMutablePointer<Double>, _ transpose: Bool) {
        lower.withUnsafeBufferPointer { lp in
            if transpose {
                Triangular.lowerTransposeMultiply(lp.baseAddress!, dimension: dimension, x)
            } else {
                Triangular.lowerMultiply(lp.baseAddress!, dimension: dimension, x)
            }
        }
    }

    @usableFromInline
    func lowerSolve(_ x: UnsafeMutablePointer<Double>, _ transpose: Bool) {
        lower.withUnsafeBufferPointer { lp in
            if transpose {
                Triangular.lowerTransposeSolve(lp.baseAddress!, dimension: dimension, x)
            } else {
                Triangular.lowerSolve(lp.baseAddress!, dimension: dimension, x)
            }
        }
    }
}
