/// The Cholesky factorisation of a small symmetric positive definite `G = UᵀU` in Swift, in
/// buffers it owns and reuses: no allocation and no OpenBLAS call per factorisation, so chains
/// that factor a `d × d` Gram matrix every generation (the fresh-design chain) run on many
/// threads without meeting the Swift runtime's metadata lock (every array allocation takes it)
/// or OpenBLAS's buffer lock (`dpotrf`, `dpocon`, `dpotrs` take it). One per thread.
///
/// `factor` is `LeastSquaresSolver`'s Cholesky path for `d ≤ smallFactorisationLimit`, and
/// `SymmetricSolve.pseudoInverseSolve`'s: the column-oriented recurrence
/// `U_jj = √(G_jj − Σ_{k<j} U_kj²)`, `U_ji = (G_ji − Σ_{k<j} U_kj U_ki)/U_jj`, then `W = U⁻ᵀ`
/// by forward substitution and `G⁻¹ = U⁻¹U⁻ᵀ = WᵀW` (every loop reads contiguous columns; the
/// sums in `Triangular.dot`'s order). It accepts `G` when every pivot is positive and the exact
/// `rcond₁(G) = 1/(‖G‖₁‖G⁻¹‖₁) ≥ LeastSquaresSolver.choleskyRcondThreshold` (LAPACK's `dpocon`
/// estimates the same quantity from above).
public struct SmallCholesky {
    public let dimension: Int
    /// `U`, column-major; only its upper triangle is meaningful.
    public private(set) var factor: [Double]
    /// `U` stored by rows (`Triangular.upperRows`), for the solves.
    public private(set) var rows: [Double]
    /// `tr(G⁻¹)` and `tr(G⁻²) = ‖G⁻¹‖²_F` of the last accepted factorisation.
    public private(set) var traceOfInverse = 0.0
    public private(set) var traceOfInverseSquared = 0.0
    private var inverseFactor: [Double]  // W = U⁻ᵀ, column-major
    private var inverse: [Double]  // G⁻¹, column-major

    public init(dimension d: Int) {
        precondition(d >= 1, "SmallCholesky needs d ≥ 1, got \(d)")
        dimension = d
        factor = [Double](repeating: 0, count: d * d)
        rows = [Double](repeating: 0, count: d * d)
        inverseFactor = [Double](repeating: 0, count: d * d)
        inverse = [Double](repeating: 0, count: d * d)
    }

    /// Factorises `G`, read from the upper triangle of `gram` (column-major, `d × d`, as
    /// `dsyrk` leaves it). Returns false, leaving nothing usable, when a pivot is not positive
    /// or `rcond₁(G)` is below the threshold.
    public mutating func factor(gram g: UnsafePointer<Double>) -> Bool {
        let d = dimension
        var norm1 = 0.0
        for j in 0..<d {
            var column = 0.0
            for i in 0..<d { column += abs(i <= j ? g[i + j * d] : g[j + i * d]) }
            norm1 = max(norm1, column)
        }
        // Sums of products run in `Triangular.dot`'s fixed order of four partial sums.
        let ok = factor.withUnsafeMutableBufferPointer { up -> Bool in
            let u = up.baseAddress!
            for j in 0..<d {
                let cj = u + j * d
                let s = g[j + j * d] - Triangular.dot(cj, cj, count: j)
                guard s > 0, s.isFinite else { return false }
                let ujj = s.squareRoot()
                cj[j] = ujj
                for i in (j + 1)..<max(d, j + 1) {
                    u[j + i * d] = (g[j + i * d] - Triangular.dot(cj, u + i * d, count: j)) / ujj
                }
            }
            return true
        }
        guard ok else { return false }
        // U by rows: row i holds U_ij for j ≥ i (`Triangular.upperRows`' layout).
        factor.withUnsafeBufferPointer { up in
            rows.withUnsafeMutableBufferPointer { rp in
                for j in 0..<d { for i in 0...j { rp[j + i * d] = up[i + j * d] } }
            }
        }
        let (t1, t2, inverseNorm1) = rows.withUnsafeBufferPointer { rp in
            inverseFactor.withUnsafeMutableBufferPointer { wp in
                inverse.withUnsafeMutableBufferPointer { inv in
                    Self.invert(rows: rp.baseAddress!, dimension: d, inverseFactor: wp.baseAddress!, inverse: inv.baseAddress!)
                }
            }
        }
        let rcond = 1 / (norm1 * inverseNorm1)
        guard rcond.isFinite, rcond >= LeastSquaresSolver.choleskyRcondThreshold else { return false }
        traceOfInverse = t1
        traceOfInverseSquared = t2
        return true
    }

    /// `G⁻¹` from `U` (`G = UᵀU`, positive diagonal) stored by rows (`r[j + i·d] = U_ij`, row i
    /// contiguous; a lower factor `L = Uᵀ` stored by columns is the same array): `W = U⁻ᵀ` by
    /// forward substitution into `inverseFactor`, `G⁻¹ = WᵀW` into `inverse` (both `d × d`,
    /// column-major), and `tr(G⁻¹)`, `tr(G⁻²) = ‖G⁻¹‖²_F` and `‖G⁻¹‖₁`.
    static func invert(
        rows r: UnsafePointer<Double>, dimension d: Int, inverseFactor w: UnsafeMutablePointer<Double>,
        inverse inv: UnsafeMutablePointer<Double>
    ) -> (trace: Double, traceSquared: Double, norm1: Double) {
        // W = U⁻ᵀ (lower triangular), column by column: Uᵀw_j = e_j by forward substitution over
        // U's rows (`Triangular.upperTransposeSolve(rows:)`'s order, from row j on).
        w.update(repeating: 0, count: d * d)
        for j in 0..<d {
            let column = w + j * d
            column[j] = 1
            for k in j..<d {
                let row = r + k * d
                let z = column[k] / row[k]
                column[k] = z
                for i in (k + 1)..<max(d, k + 1) { column[i] -= row[i] * z }
            }
        }
        // G⁻¹ = U⁻¹U⁻ᵀ = WᵀW: (G⁻¹)_ij = Σ_{k ≥ max(i,j)} W_ki W_kj, columns of W.
        for j in 0..<d {
            for i in 0...j {
                let s = Triangular.dot(w + i * d + j, w + j * d + j, count: d - j)
                inv[i + j * d] = s
                inv[j + i * d] = s
            }
        }
        var inverseNorm1 = 0.0, t1 = 0.0, t2 = 0.0
        for j in 0..<d {
            var column = 0.0
            for i in 0..<d {
                let a = inv[i + j * d]
                column += abs(a)
                t2 += a * a
            }
            t1 += inv[j + j * d]
            inverseNorm1 = max(inverseNorm1, column)
        }
        return (t1, t2, inverseNorm1)
    }

    /// `x ← G⁻¹x` by `Uᵀz = x`, `Ux = z` (`Triangular`), after an accepted `factor`.
    public func solve(_ x: UnsafeMutablePointer<Double>) {
        rows.withUnsafeBufferPointer { r in
            Triangular.upperTransposeSolve(rows: r.baseAddress!, dimension: dimension, x)
            Triangular.upperSolve(rows: r.baseAddress!, dimension: dimension, x)
        }
    }
}
