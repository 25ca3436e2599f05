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
/// arithmetic order is fixed (one running sum per output, in index order, starting from 0 or
/// from the right-hand side), so results do not depend on the CPU's kernels.
///
/// **Loop order.** A sum's terms must be added in index order, but the outputs are independent.
/// Where the order allows, the loops run over the factor's columns ("axpy" form: once an input
/// is known, add its multiple of a column to every output that needs it) rather than over rows
/// (one dot product per output). Each output then receives exactly the same terms in the same
/// order (bit-identical results; `TriangularTests` checks it against the row forms), but the
/// inner loop updates independent outputs, which pipelines or vectorises, instead of adding to
/// one running sum, where each addition waits for the one before (about 4 cycles each).
/// Back substitution cannot be reordered so (its inputs become known in descending order, its
/// sums run ascending): `upperSolve(rows:)` splits its dot products into four partial sums (a
/// different, fixed order). The products and solves with `Uᵀ` and `U⁻¹` read U by rows
/// (`upperRows`), where each of U's rows is contiguous.
public enum Triangular {
    /// `x ← U x` for upper-triangular `U`.
    @inlinable
    public static func upperMultiply(_ u: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        // (Ux)_i = 0 + U_ii x_i + U_i,i+1 x_i+1 + … (j ascending). By columns, j ascending:
        // column j starts output j (0 + U_jj x_j) and adds U_ij x_j to the outputs i < j, which
        // hold their sums so far where their inputs were (x_i, i < j, is no longer needed).
        for j in 0..<d {
            let t = x[j], column = u + j * d
            for i in 0..<j { x[i] += column[i] * t }
            x[j] = 0 + column[j] * t
        }
    }

    // MARK: Upper factor stored by rows

    // `r` holds U row by row (`r[j + i·d] = U_ij`: the column-major storage of Uᵀ), so that
    // U's rows are contiguous. Each output's terms are added in index order (the row forms'
    // order, bit for bit), except in `upperSolve(rows:)` (see there).

    /// `x ← Uᵀ x` with `U` stored by rows: row j of U is added, times x_j, to the outputs i ≥ j.
    @inlinable
    public static func upperTransposeMultiply(rows r: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { y in
            let y = y.baseAddress!
            y.initialize(repeating: 0, count: d)
            for j in 0..<d {
                let t = x[j], row = r + j * d
                for i in j..<d { y[i] += row[i] * t }
            }
            x.update(from: y, count: d)
        }
    }

    /// `x ← U⁻ᵀ x` with `U` stored by rows: once z_j is known, row j of U times z_j is
    /// subtracted from the later x_i.
    @inlinable
    public static func upperTransposeSolve(rows r: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        for j in 0..<d {
            let row = r + j * d
            let z = x[j] / row[j]
            x[j] = z
            for i in (j + 1)..<max(d, j + 1) { x[i] -= row[i] * z }
        }
    }

    /// `x ← U⁻¹ x` with `U` stored by rows: back substitution, one dot product with a
    /// contiguous row per output.
    ///
    /// The one kernel here whose order differs from the row form's: back substitution learns
    /// z_d−1, z_d−2, … in descending order while each sum runs ascending, so no loop order keeps
    /// the terms in sequence and lets outputs proceed independently. The dot product
    /// Σ_{j > i} U_ij z_j is therefore summed in four interleaved partial sums (terms j ≡ i + 1,
    /// i + 2, i + 3, i + 4 mod 4, each ascending), combined as (p₀ + p₁) + (p₂ + p₃) plus the
    /// leftover terms in order, and z_i = (x_i − dot)/U_ii: four independent chains of additions
    /// instead of one. The order is fixed in this source, so results still do not depend on the
    /// CPU; they differ from the single running sum's in the last bits (`TriangularTests` checks
    /// the solve against the dense reference).
    @inlinable
    public static func upperSolve(rows r: UnsafePointer<Double>, dimension d: Int, _ x: UnsafeMutablePointer<Double>) {
        var i = d - 1
        while i >= 0 {
            let row = r + i * d
            x[i] = (x[i] - dot(row + i + 1, x + i + 1, count: d - i - 1)) / row[i]
            i -= 1
        }
    }

    /// `Σ_k a_k b_k` over `count` terms in four interleaved partial sums p_m (terms k ≡ m mod 4
    /// of the whole blocks of four, each ascending), combined as (p₀ + p₁) + (p₂ + p₃), then
    /// the leftover terms added in order. A fixed order (results do not depend on the CPU) with
    /// four independent chains of additions instead of one.
    @inlinable
    public static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count n: Int) -> Double {
        var p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0
        var k = 0
        while k + 4 <= n {
            p0 += a[k] * b[k]
            p1 += a[k + 1] * b[k + 1]
            p2 += a[k + 2] * b[k + 2]
            p3 += a[k + 3] * b[k + 3]
            k += 4
        }
        var s = (p0 + p1) + (p2 + p3)
        while k < n { s += a[k] * b[k]; k += 1 }
        return s
    }

    /// `U` (column-major, `d × d`) stored by rows, for the functions above; the lower triangle
    /// of the result is zero.
    public static func upperRows(_ u: [Double], dimension d: Int) -> [Double] {
        var r = [Double](repeating: 0, count: d * d)
        for j in 0..<d { for i in 0...j { r[j + i * d] = u[i + j * d] } }
        return r
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
