import CLapack

/// The eigendecomposition `A = V·diag(λ)·Vᵀ` of a symmetric matrix (`dsyevd`), eigenvalues
/// ascending, eigenvectors the columns of `vectors`.
public struct SymmetricEigen: Sendable {
    public let values: [Double]
    public let vectors: Matrix

    public init(_ a: Matrix) throws {
        precondition(a.rows == a.columns, "SymmetricEigen needs a square matrix, got \(a.rows)×\(a.columns)")
        guard a.storage.allSatisfy({ $0.isFinite }) else { throw LinearAlgebraError.nonFinite(what: "symmetric matrix") }
        let n = a.rows
        var v = a.storage
        var w = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = BLAS.serialised { LAPACKE_dsyevd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), Int32(n), &v, Int32(n), &w) }
            if info != 0 { throw LinearAlgebraError.lapack(routine: "dsyevd", info: info) }
        }
        values = w
        vectors = Matrix(rows: n, columns: n, columnMajor: v)
    }
}
