/// Triangular products and solves with a `d × d` factor, in Swift.
///
/// **Why not `dtrmv`/`dtrsv`.** Every OpenBLAS level-2 triangular call takes a work buffer from
/// OpenBLAS's process-wide buffer pool, guarded by one mutex (`blas_memory_alloc`). Monte Carlo
/// workers make one or two such calls per generation of every replicate, so on many threads they
/// queue on that mutex: measured on 2 cores (d = 4, T = 50, 40,000 replicates), 71,000 `futex`
/// calls and 1.7 s of system time against 1.3 s of user time, and slower on 2 threads than on 1.
/// Debian's serial OpenBLAS has no such lock but is not safe for concurrent callers (its results
/// changed from run to run on 2 threads). These O(d²) loops need no buffer and no lock; the
/// O(Td) and O(Td²) products stay in BLAS.
///
/// Storage: column-major with leading dimension `d`; only the named triangle is read. The
/// arithmetic order is fixed (one running sum per output, in index order), so results do not
/// depend on the CPU's kernels.
public enum Triangular {
    /// `x ← U x` for upper-triangular `U`.
    @inlinable
    public static func upperMultiply(_ u: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        // Row i uses x[j] for j ≥ i, none overwritten yet when i ascends.
        for i in 0..<d {
            var s = 0.0
            for j in i..<d { s += u[i + j * d] * x[j] }
            x[i] = s
        }
    }

    /// `x ← Uᵀ x` for upper-triangular `U`.
    @inlinable
    public static func upperTransposeMultiply(_ u: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        // (Uᵀx)_i = Σ_{j ≤ i} U[j, i] x_j: column i of U, contiguous; i descends.
        var i = d - 1
        while i >= 0 {
            let column = u + i * d
            var s = 0.0
            for j in 0...i { s += column[j] * x[j] }
            x[i] = s
            i -= 1
        }
    }

    /// `x ← U⁻ᵀ x` (solves `Uᵀz = x`, forward substitution) for upper-triangular `U`.
    @inlinable
    public static func upperTransposeSolve(_ u: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        for i in 0..<d {
            let column = u + i * d
            var s = x[i]
            for j in 0..<i { s -= column[j] * x[j] }
            x[i] = s / column[i]
        }
    }

    /// `x ← U⁻¹ x` (solves `Uz = x`, back substitution) for upper-triangular `U`.
    @inlinable
    public static func upperSolve(_ u: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        var i = d - 1
        while i >= 0 {
            var s = x[i]
            for j in (i + 1)..<d { s -= u[i + j * d] * x[j] }
            x[i] = s / u[i + i * d]
            i -= 1
        }
    }

    /// `x ← L x` for lower-triangular `L`.
    @inlinable
    public static func lowerMultiply(_ l: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        var i = d - 1
        while i >= 0 {
            var s = 0.0
            for j in 0...i { s += l[i + j * d] * x[j] }
            x[i] = s
            i -= 1
        }
    }

    /// `x ← Lᵀ x` for lower-triangular `L`.
    @inlinable
    public static func lowerTransposeMultiply(_ l: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        // (Lᵀx)_i = Σ_{j ≥ i} L[j, i] x_j: column i of L, contiguous; i ascends.
        for i in 0..<d {
            let column = l + i * d
            var s = 0.0
            for j in i..<d { s += column[j] * x[j] }
            x[i] = s
        }
    }

    /// `x ← L⁻¹ x` (forward substitution) for lower-triangular `L`.
    @inlinable
    public static func lowerSolve(_ l: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        for i in 0..<d {
            var s = x[i]
            for j in 0..<i { s -= l[i + j * d] * x[j] }
            x[i] = s / l[i + i * d]
        }
    }

    /// `x ← L⁻ᵀ x` (back substitution) for lower-triangular `L`.
    @inlinable
    public static func lowerTransposeSolve(_ l: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        var i = d - 1
        while i >= 0 {
            let column = l + i * d
            var s = x[i]
            for j in (i + 1)..<d { s -= column[j] * x[j] }
            x[i] = s / column[i]
            i -= 1
        }
    }
}
