import CLapack

/// A factorised design `X ∈ R^{T×d}` that solves least-squares problems `min_w ‖Xw − y‖`
/// for many right-hand sides `y`, returning the minimum-norm solution `ŵ = X⁺y`.
///
/// **Method.** By default the Gram matrix `G = XᵀX` is formed with `dsyrk` and factorised by
/// Cholesky (`dpotrf`, `G = UᵀU`); each solve is then one `Xᵀy` and two triangular solves,
/// O(Td + d²) (the triangular solves in Swift, see `Triangular`). For at most
/// `SmallProducts.maximumColumns` columns `XᵀX` and `Xᵀy` are formed in Swift (`SmallProducts`,
/// one fixed summation order) and for at most `smallFactorisationLimit` the factorisation too,
/// so a small design's Cholesky path makes no BLAS call. Cholesky does not reliably detect rank deficiency and squares the condition
/// number, so the factorisation falls back to a rank-revealing SVD (`dgesdd`) when
/// `T < d`, when `dpotrf` fails, or when LAPACK's estimate of `rcond(G)` (`dpocon`) is below
/// `choleskyRcondThreshold`. The SVD path computes `X⁺y = V_r S_r⁻¹ U_rᵀ y` with the numerical
/// rank `r = #{ s_i > max(T, d)·ε·s_max }` (NumPy's and LAPACK's `dgelsd` default cut-off).
///
/// **Mathematical properties.** For full column rank, `ŵ = G⁻¹Xᵀy`; otherwise `ŵ` is the
/// minimum-norm least-squares solution and `ŵ ∈ row(X)`. `traceOfGramPseudoInverse` is
/// `tr(G⁺)` and `traceOfGramPseudoInverseSquared` is `tr((G⁺)²)`: with `Σ = I` they are
/// `K(X)` of THEORY §1 and the variance constant of proof L2.
public struct LeastSquaresSolver: Sendable {
    /// Which factorisation backs the solves.
    public enum Method: String, Sendable { case cholesky, svd }

    /// Below this estimated reciprocal condition number of `G = XᵀX` (i.e. `cond(X) ≳ 10⁴`)
    /// the Cholesky path loses more than ~8 digits, and the SVD path is used instead.
    public static let choleskyRcondThreshold = 1e-8

    public let rows: Int
    public let columns: Int
    public let method: Method
    /// Numerical rank of `X`.
    public let rank: Int
    /// `tr(G⁺)`, with `G = XᵀX` (`= tr(G⁻¹)` at full column rank).
    public let traceOfGramPseudoInverse: Double
    /// `tr((G⁺)²)`.
    public let traceOfGramPseudoInverseSquared: Double

    // Cholesky: `x` (T×d), `u` upper Cholesky factor (d×d).
    // SVD: `x` holds U_r (T×r), `u` holds V_rᵀ (r×d), `inverseSingular` holds 1/s_i.
    private let x: [Double]
    private let u: [Double]
    /// Cholesky: `u` stored by rows (`Triangular.upperRows`), for the per-generation solves and
    /// products, which read U's rows; empty for SVD.
    private let uRows: [Double]
    private let inverseSingular: [Double]

    /// Factorises `design`.
    ///
    /// - Throws: `LinearAlgebraError.nonFinite` if `design` has NaN/∞ entries;
    ///   `LinearAlgebraError.lapack` if the SVD fails to converge.
    public init(design: Matrix) throws {
        let t = design.rows, d = design.columns
        precondition(t >= 1 && d >= 1, "LeastSquaresSolver needs a non-empty design, got \(t)×\(d)")
        guard design.storage.allSatisfy({ $0.isFinite }) else {
            throw LinearAlgebraError.nonFinite(what: "design matrix")
        }
        rows = t
        columns = d
        if t >= d, let chol = Self.cholesky(design) {
            method = .cholesky
            rank = d
            x = design.storage
            u = chol.factor
            uRows = Triangular.upperRows(chol.factor, dimension: d)
            inverseSingular = []
            traceOfGramPseudoInverse = chol.traceInverse
            traceOfGramPseudoInverseSquared = chol.traceInverseSquared
        } else {
            let svd = try Self.svd(design)
            method = .svd
            rank = svd.rank
            x = svd.u
            u = svd.vt
            uRows = []
            inverseSingular = svd.inverseSingular
            var t1 = 0.0, t2 = 0.0
            for s in svd.inverseSingular { let s2 = s * s; t1 += s2; t2 += s2 * s2 }
            traceOfGramPseudoInverse = t1
            traceOfGramPseudoInverseSquared = t2
        }
    }

    /// Scratch space for allocation-free solves; one per thread.
    public struct Workspace {
        fileprivate var buffer: [Double]
        public init(for solver: LeastSquaresSolver) {
            buffer = [Double](repeating: 0, count: max(solver.columns, 1))
        }
    }

    /// Writes the minimum-norm least-squares solution `X⁺y` into `w` (count `d`).
    /// `y` has count `T`.
    @inlinable
    public func solve(
        _ y: UnsafeBufferPointer<Double>, into w: UnsafeMutableBufferPointer<Double>,
        workspace: inout Workspace
    ) {
        solveImpl(y, w, &workspace)
    }

    /// Convenience: `X⁺y` as a new array.
    public func solve(_ y: [Double]) -> [Double] {
        precondition(y.count == rows, "solve: labels have \(y.count) entries, expected \(rows)")
        var w = [Double](repeating: 0, count: columns)
        var ws = Workspace(for: self)
        y.withUnsafeBufferPointer { yp in
            w.withUnsafeMutableBufferPointer { wp in solveImpl(yp, wp, &ws) }
        }
        return w
    }

    @usableFromInline
    func solveImpl(
        _ y: UnsafeBufferPointer<Double>, _ w: UnsafeMutableBufferPointer<Double>,
        _ ws: inout Workspace
    ) {
        precondition(y.count == rows && w.count == columns, "solve: shape mismatch")
        let t = Int32(rows), d = Int32(columns)
        x.withUnsafeBufferPointer { xp in
            u.withUnsafeBufferPointer { up in
                switch method {
                case .cholesky:
                    // w = Xᵀy, then Uᵀz = w, U w = z.
                    DesignProducts.transposeMultiply(xp.baseAddress!, rows: rows, columns: columns, by: y.baseAddress!, into: w.baseAddress!)
                    uRows.withUnsafeBufferPointer { rp in
                        Triangular.upperTransposeSolve(rows: rp.baseAddress!, dimension: columns, w.baseAddress!)
                        Triangular.upperSolve(rows: rp.baseAddress!, dimension: columns, w.baseAddress!)
                    }
                case .svd:
                    let r = Int32(rank)
                    if r == 0 {
                        for i in 0..<columns { w[i] = 0 }
                        return
                    }
                    ws.buffer.withUnsafeMutableBufferPointer { c in
                        // c = U_rᵀ y; c_i /= s_i; w = (V_rᵀ)ᵀ c.
                        BLAS.serialised {
                            cblas_dgemv(
                                CblasColMajor, CblasTrans, t, r, 1, xp.baseAddress!, t,
                                y.baseAddress!, 1, 0, c.baseAddress!, 1)
                        }
                        for i in 0..<rank { c[i] *= inverseSingular[i] }
                        BLAS.serialised {
                            cblas_dgemv(
                                CblasColMajor, CblasTrans, r, d, 1, up.baseAddress!, r,
                                c.baseAddress!, 1, 0, w.baseAddress!, 1)
                        }
                    }
                }
            }
        }
    }

    // MARK: - Solves through projected labels
    //
    // Every fit depends on the labels only through a `k`-vector of projected labels
    // `h(y) = Xᵀy` (Cholesky, k = d) or `h(y) = U_rᵀy` (SVD, k = r), and `X⁺y = solve(h(y))`.
    // Since `h` is linear, a chain's labels `y = Xŵ + E` project to `h(Xŵ) + h(E)` with
    // `h(Xŵ) = Gŵ` (Cholesky) or `S_r V_rᵀŵ` (SVD): the noise of many generations can be
    // projected with one matrix product and each refit costs O(d²).

    /// `k`, the length of a projected label vector: `d` (Cholesky) or the rank `r` (SVD).
    public var projectedCount: Int { method == .cholesky ? columns : rank }

    /// `H = h(E)` for the `columns` label vectors stored column-major in `e` (leading dimension
    /// `T`): one `dgemm`, writing `k × columns` values to `h` (leading dimension `k`). On the
    /// Cholesky path with at most `SmallProducts.maximumColumns` columns, `XᵀE` in Swift instead,
    /// column by column, each bit for bit the `Xᵀy` of `solve`.
    public func projectLabels(_ e: UnsafePointer<Double>, columns m: Int, into h: UnsafeMutablePointer<Double>) {
        let k = projectedCount
        guard m > 0, k > 0 else { return }
        x.withUnsafeBufferPointer { xp in
            if method == .cholesky && DesignProducts.inSwift(columns: columns) {
                for c in 0..<m {
                    SmallProducts.transposeMultiply(xp.baseAddress!, rows: rows, columns: columns, by: e + c * rows, into: h + c * k)
                }
                return
            }
            BLAS.serialised {
                cblas_dgemm(
                    CblasColMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(m), Int32(rows), 1,
                    xp.baseAddress!, Int32(rows), e, Int32(rows), 0, h, Int32(k))
            }
        }
    }

    /// `h(Xw)`: `Gw = Uᵀ(Uw)` (Cholesky) or `S_r V_rᵀ w` (SVD), written to `h` (count `k`).
    public func projectFit(_ w: UnsafePointer<Double>, into h: UnsafeMutablePointer<Double>) {
        let d = columns
        u.withUnsafeBufferPointer { up in
            switch method {
            case .cholesky:
                h.update(from: w, count: d)
                Triangular.upperMultiply(up.baseAddress!, dimension: d, h)
                uRows.withUnsafeBufferPointer { Triangular.upperTransposeMultiply(rows: $0.baseAddress!, dimension: d, h) }
            case .svd:
                let r = rank
                guard r > 0 else { return }
                BLAS.serialised { cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(r), Int32(d), 1, up.baseAddress!, Int32(r), w, 1, 0, h, 1) }
                for i in 0..<r { h[i] /= inverseSingular[i] }
            }
        }
    }

    /// `X⁺y` from `h = h(y)` (count `k`), written to `w` (count `d`); `h` is not modified.
    /// `scratch` needs `k` doubles.
    public func solveProjected(
        _ h: UnsafePointer<Double>, into w: UnsafeMutablePointer<Double>,
        scratch: UnsafeMutablePointer<Double>
    ) {
        let d = columns
        u.withUnsafeBufferPointer { up in
            switch method {
            case .cholesky:
                w.update(from: h, count: d)
                uRows.withUnsafeBufferPointer { rp in
                    Triangular.upperTransposeSolve(rows: rp.baseAddress!, dimension: d, w)
                    Triangular.upperSolve(rows: rp.baseAddress!, dimension: d, w)
                }
            case .svd:
                let r = rank
                guard r > 0 else { for j in 0..<d { w[j] = 0 }; return }
                for i in 0..<r { scratch[i] = h[i] * inverseSingular[i] }
                BLAS.serialised { cblas_dgemv(CblasColMajor, CblasTrans, Int32(r), Int32(d), 1, up.baseAddress!, Int32(r), scratch, 1, 0, w, 1) }
            }
        }
    }

    /// `(I − P)v`, the component of `v` orthogonal to the row space of `X`
    /// (`P = X⁺X`). Zero at full column rank.
    public func nullSpaceComponent(of v: [Double]) -> [Double] {
        precondition(v.count == columns, "nullSpaceComponent: vector has \(v.count) entries, expected \(columns)")
        if method == .cholesky || rank == columns { return [Double](repeating: 0, count: columns) }
        // v − V_r (V_rᵀ v), with V_rᵀ stored r×d in `u`.
        var out = v
        for k in 0..<rank {
            var c = 0.0
            for j in 0..<columns { c += u[k + j * rank] * v[j] }
            for j in 0..<columns { out[j] -= u[k + j * rank] * c }
        }
        return out
    }

    // MARK: - Factorisations

    struct CholeskyResult { var factor: [Double]; var traceInverse: Double; var traceInverseSquared: Double }

    /// Cholesky of `XᵀX` if it succeeds and is well conditioned, else nil.
    private static func cholesky(_ design: Matrix) -> CholeskyResult? {
        let d = design.columns
        let n = Int32(d)
        var g = [Double](repeating: 0, count: d * d)
        design.storage.withUnsafeBufferPointer { xp in
            g.withUnsafeMutableBufferPointer { DesignProducts.gram(xp.baseAddress!, rows: design.rows, columns: d, into: $0.baseAddress!) }
        }
        if d <= smallFactorisationLimit { return smallCholesky(gram: g, dimension: d) }
        let upper = CChar(UInt8(ascii: "U"))
        let norm1 = BLAS.serialised { LAPACKE_dlansy(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "1")), upper, n, g, n) }
        guard BLAS.serialised({ LAPACKE_dpotrf(LAPACK_COL_MAJOR, upper, n, &g, n) }) == 0 else { return nil }
        var rcond = 0.0
        guard BLAS.serialised({ LAPACKE_dpocon(LAPACK_COL_MAJOR, upper, n, g, n, norm1, &rcond) }) == 0,
            rcond >= choleskyRcondThreshold
        else { return nil }
        // Zero the strictly lower triangle so `g` is exactly U.
        for j in 0..<d { for i in (j + 1)..<d { g[i + j * d] = 0 } }
        // G⁻¹ = U⁻¹U⁻ᵀ from dpotri (upper triangle), then tr(G⁻¹) and ‖G⁻¹‖_F² = tr(G⁻²).
        var inv = g
        guard BLAS.serialised({ LAPACKE_dpotri(LAPACK_COL_MAJOR, upper, n, &inv, n) }) == 0 else { return nil }
        var t1 = 0.0, t2 = 0.0
        for j in 0..<d {
            for i in 0...j {
                let a = inv[i + j * d]
                if i == j { t1 += a; t2 += a * a } else { t2 += 2 * a * a }
            }
        }
        return CholeskyResult(factor: g, traceInverse: t1, traceInverseSquared: t2)
    }

    /// Up to this dimension the O(d³) steps of the Cholesky path (factor, inverse, condition
    /// number) run in Swift: LAPACK's `dpotrf`, `dpocon` (about ten `dtrsv` calls inside) and
    /// `dpotri` each take OpenBLAS's global buffer lock (see `Triangular`), which parallel
    /// replicates of small problems queue on. Above it LAPACK's blocked code is faster.
    public static let smallFactorisationLimit = 128

    /// The Cholesky path in Swift for `d ≤ smallFactorisationLimit` (`SmallCholesky`: the
    /// factor, `G⁻¹` and the exact `rcond₁` test). `gram` holds `G`'s upper triangle
    /// (column-major, as `dsyrk` leaves it).
    static func smallCholesky(gram g: [Double], dimension d: Int) -> CholeskyResult? {
        var cholesky = SmallCholesky(dimension: d)
        guard g.withUnsafeBufferPointer({ cholesky.factor(gram: $0.baseAddress!) }) else { return nil }
        return CholeskyResult(
            factor: cholesky.factor, traceInverse: cholesky.traceOfInverse, traceInverseSquared: cholesky.traceOfInverseSquared)
    }

    private struct SVDResult { var u: [Double]; var vt: [Double]; var inverseSingular: [Double]; var rank: Int }

    /// Thin SVD `X = U S Vᵀ` (`dgesdd`), truncated to the numerical rank.
    private static func svd(_ design: Matrix) throws -> SVDResult {
        let t = design.rows, d = design.columns, k = min(t, d)
        var a = design.storage
        var s = [Double](repeating: 0, count: k)
        var uFull = [Double](repeating: 0, count: t * k)
        var vtFull = [Double](repeating: 0, count: k * d)
        let info = BLAS.serialised {
            LAPACKE_dgesdd(
                LAPACK_COL_MAJOR, CChar(UInt8(ascii: "S")), Int32(t), Int32(d),
                &a, Int32(t), &s, &uFull, Int32(t), &vtFull, Int32(k))
        }
        if info != 0 { throw LinearAlgebraError.lapack(routine: "dgesdd", info: info) }
        let cutoff = Double(max(t, d)) * Double.ulpOfOne * (s.first ?? 0)
        let r = s.prefix { $0 > cutoff && $0 > 0 }.count
        // Keep the first r columns of U (contiguous) and the first r rows of Vᵀ (strided).
        let u = Array(uFull[0..<(t * r)])
        var vt = [Double](repeating: 0, count: r * d)
        for j in 0..<d { for i in 0..<r { vt[i + j * r] = vtFull[i + j * k] } }
        return SVDResult(u: u, vt: vt, inverseSingular: s[0..<r].map { 1 / $0 }, rank: r)
    }
}
