import CLapack

extension BLAS {
    /// Row-major single-precision GEMM, `C ← α·op(A)·op(B) + β·C` (`cblas_sgemm`), on raw
    /// pointers with leading dimensions, so sub-blocks (one attention head) can be used in
    /// place. The neural module's only BLAS routine.
    @inlinable
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        serialised {
            cblas_sgemm(
                CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }
}
