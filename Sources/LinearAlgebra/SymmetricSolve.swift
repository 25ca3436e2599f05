import CLapack

/// Minimum-norm solutions of `G w = h` for a symmetric positive semi-definite `G` (a sum of
/// Gram matrices): `w = G⁺h`. Cholesky `G = UᵀU` when `G` is well conditioned (`rcond₁(G) ≥
/// LeastSquaresSolver.choleskyRcondThreshold`), then `Uᵀz = h`, `Uw = z`; otherwise the
/// eigendecomposition (`dsyevd`) with eigenvalues below `d·ε·λ_max` treated as zero.
///
/// Up to `LeastSquaresSolver.smallFactorisationLimit` the Cholesky path runs in Swift
/// (`SmallCholesky`, the exact `rcond₁`, as `LeastSquaresSolver` does): LAPACK's `dpotrf`, `dpocon` and `dpotrs` take
/// OpenBLAS's global buffer lock about fifteen times per solve, and the fresh-design chain makes
/// one solve per generation and accumulate series, so parallel replicates queued on that lock
/// (docs/performance.md). Above it, LAPACK's factorisation and its `rcond` estimate.
public enum SymmetricSolve {
    public static func pseudoInverseSolve(_ g: Matrix, _ h: [Double]) throws -> [Double] {
        let d = g.rows
        precondition(g.columns == d && h.count == d, "pseudoInverseSolve: shape mismatch")
        if d <= LeastSquaresSolver.smallFactorisationLimit {
            var cholesky = SmallCholesky(dimension: d)
            guard g.storage.withUnsafeBufferPointer({ cholesky.factor(gram: $0.baseAddress!) }) else { return try eigenSolve(g, h) }
            var w = h
            w.withUnsafeMutableBufferPointer { cholesky.solve($0.baseAddress!) }
            return w
        }
        let n = Int32(d)
        let upper = CChar(UInt8(ascii: "U"))
        var a = g.storage
        let norm1 = BLAS.serialised { LAPACKE_dlansy(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "1")), upper, n, a, n) }
        if BLAS.serialised({ LAPACKE_dpotrf(LAPACK_COL_MAJOR, upper, n, &a, n) }) == 0 {
            var rcond = 0.0
            if BLAS.serialised({ LAPACKE_dpocon(LAPACK_COL_MAJOR, upper, n, a, n, norm1, &rcond) }) == 0,
                rcond >= LeastSquaresSolver.choleskyRcondThreshold
            {
                var w = h
                let info = BLAS.serialised { LAPACKE_dpotrs(LAPACK_COL_MAJOR, upper, n, 1, a, n, &w, n) }
                if info != 0 { throw LinearAlgebraError.lapack(routine: "dpotrs", info: info) }
                return w
            }
        }
        return try eigenSolve(g, h)
    }

    /// `G⁺h` from the eigendecomposition `G = VΛVᵀ` (`dsyevd`), eigenvalues below `d·ε·λ_max`
    /// treated as zero.
    static func eigenSolve(_ g: Matrix, _ h: [Double]) throws -> [Double] {
        let d = g.rows, n = Int32(d)
        let upper = CChar(UInt8(ascii: "U"))
        var v = g.storage
        var lambda = [Double](repeating: 0, count: d)
        let info = BLAS.serialised { LAPACKE_dsyevd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), upper, n, &v, n, &lambda) }
        if info != 0 { throw LinearAlgebraError.lapack(routine: "dsyevd", info: info) }
        let cutoff = Double(d) * Double.ulpOfOne * (lambda.max() ?? 0)
        var w = [Double](repeating: 0, count: d)
        for k in 0..<d where lambda[k] > cutoff {
            var c = 0.0
            for i in 0..<d { c += v[i + k * d] * h[i] }
            c /= lambda[k]
            for i in 0..<d { w[i] += c * v[i + k * d] }
        }
        return w
    }
}
