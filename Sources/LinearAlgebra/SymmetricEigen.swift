import CLapack

/// The eigendecomposition `A = V·diag(λ)·Vᵀ` of a symmetric matrix, eigenvalues ascending,
/// eigenvectors the (orthonormal) columns of `vectors`, each determined up to its sign (and
/// within an eigenspace of a repeated eigenvalue, up to a rotation).
///
/// **Method.** Up to `jacobiLimit` rows, the cyclic Jacobi method in Swift (`jacobi`); above it
/// LAPACK's `dsyevd`. `dsyevd` reduces `A` to tridiagonal form with `dsytrd`, whose unblocked
/// code calls `dsymv` once per column, and every such OpenBLAS call takes OpenBLAS's
/// process-wide buffer lock (see `Triangular`): chains that decompose a small matrix every
/// generation (the d-dimensional Gaussian refit, `MultivariateGaussianFittingChain`; the
/// power-law and ridge refits) queued on it on many threads. `collapse verify --threads 2` made
/// 47,374 `futex` calls (3 on one thread), 91 % of them from here, and ran at 84 % parallel
/// efficiency. The Swift path also gives the same bits on every CPU and OpenBLAS kernel (IEEE
/// arithmetic only, no fused multiply-add, one fixed order).
///
/// Both are backward stable: the computed pairs are exact for some `A + E` with
/// `‖E‖₂ = O(ε‖A‖₂)`, so every eigenvalue is within `O(ε‖A‖₂)` of the exact one (Weyl) and the
/// vectors are orthonormal to `O(ε)` (Golub & Van Loan, Matrix Computations, §8.5 for Jacobi).
public struct SymmetricEigen: Sendable {
    public let values: [Double]
    public let vectors: Matrix

    /// Up to this dimension `jacobi` decomposes in Swift. Measured on one core, no contention
    /// (AMD EPYC, Zen kernels; Gram matrices of n + 5 Gaussian rows, medians of 9, two runs),
    /// Jacobi took 0.4–0.5× `dsyevd`'s time for n = 2–4, 0.7× at n = 6–8, 0.9× at n = 10, 1.1× at
    /// n = 12, 1.3× at n = 16 and 2.1–2.2× at n = 24: up to 12 the lock it avoids is worth more than
    /// the extra arithmetic. It is `SmallProducts.maximumColumns`, so a chain whose products go
    /// through `DesignProducts` and whose decompositions through here makes neither in OpenBLAS
    /// up to that many dimensions.
    public static let jacobiLimit = SmallProducts.maximumColumns

    /// Which algorithm decomposes: `automatic` (Jacobi up to `jacobiLimit`, else LAPACK), or one
    /// of them for any size (to compare them).
    public enum Method: Sendable { case automatic, jacobi, lapack }

    public init(_ a: Matrix, method: Method = .automatic) throws {
        precondition(a.rows == a.columns, "SymmetricEigen needs a square matrix, got \(a.rows)×\(a.columns)")
        guard a.storage.allSatisfy({ $0.isFinite }) else { throw LinearAlgebraError.nonFinite(what: "symmetric matrix") }
        let n = a.rows
        let useJacobi = method == .jacobi || (method == .automatic && n <= Self.jacobiLimit)
        if useJacobi, let (values, vectors) = Self.jacobi(a.storage, n) {
            self.values = values
            self.vectors = Matrix(rows: n, columns: n, columnMajor: vectors)
            return
        }
        var v = a.storage
        var w = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = BLAS.serialised { LAPACKE_dsyevd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), Int32(n), &v, Int32(n), &w) }
            if info != 0 { throw LinearAlgebraError.lapack(routine: "dsyevd", info: info) }
        }
        values = w
        vectors = Matrix(rows: n, columns: n, columnMajor: v)
    }

    /// The cyclic Jacobi method on the symmetric `n × n` column-major `a` (read from its upper
    /// triangle): sweeps over the pairs (p, q), p < q, in row order; each rotation
    /// `J = [c s; −s c]` in the (p, q) plane zeroes `a_pq` (`θ = (a_qq − a_pp)/(2a_pq)`,
    /// `t = sign(θ)/(|θ| + √(θ² + 1))`, `c = 1/√(t² + 1)`, `s = tc`: the smaller rotation, Golub &
    /// Van Loan Algorithm 8.5.1), `A ← JᵀAJ`, `V ← VJ`. A rotation is skipped when
    /// `|a_pq| ≤ ε·√(|a_pp a_qq|)` (Demmel and Veselić's test: what is left is below the diagonal's
    /// round-off) or `|a_pq| ≤ ε²·‖A‖_F` (below the round-off of the rotations themselves); the
    /// method stops after a sweep that rotates nothing. Off-diagonal mass falls quadratically once
    /// small, so about 5–10 sweeps suffice for n ≤ 12; nil after 100 (not seen), and the caller
    /// uses LAPACK. Eigenvalues are sorted ascending (ties in their order on the diagonal), the
    /// columns of V with them.
    static func jacobi(_ input: [Double], _ n: Int) -> (values: [Double], vectors: [Double])? {
        guard n > 0 else { return ([], []) }
        var a = [Double](repeating: 0, count: n * n)
        var v = [Double](repeating: 0, count: n * n)
        var largest = 0.0
        for j in 0..<n { for i in 0...j { largest = max(largest, abs(input[i + j * n])) } }
        // Work on 2⁻ᵉA with 2ᵉ ≈ the largest entry: an exact scaling (a power of two) that keeps
        // every intermediate, θ² included, far from overflow and underflow; λ = 2ᵉ·λ(2⁻ᵉA).
        // (At least −1022, so that 2⁻ᵉ stays finite for a subnormal largest entry.)
        let exponent = largest > 0 ? max(largest.exponent, -1022) : 0
        let down = Double(sign: .plus, exponent: -exponent, significand: 1)
        var frobenius2 = 0.0
        for j in 0..<n {
            for i in 0...j {
                let x = input[i + j * n] * down
                a[i + j * n] = x
                a[j + i * n] = x
                frobenius2 += i == j ? x * x : 2 * x * x
            }
            v[j + j * n] = 1
        }
        let eps = Double.ulpOfOne / 2
        let floor = eps * eps * frobenius2.squareRoot()
        var converged = false
        a.withUnsafeMutableBufferPointer { ap in
            v.withUnsafeMutableBufferPointer { vp in
                let a = ap.baseAddress!, v = vp.baseAddress!
                for _ in 0..<100 {
                    var rotated = false
                    for p in 0..<(n - 1) {
                        for q in (p + 1)..<n {
                            let apq = a[p + q * n]
                            let app = a[p + p * n], aqq = a[q + q * n]
                            if abs(apq) <= floor || abs(apq) <= eps * (abs(app) * abs(aqq)).squareRoot() {
                                a[p + q * n] = 0
                                a[q + p * n] = 0
                                continue
                            }
                            rotated = true
                            // |θ| ≤ 4/floor ≈ 1e32 on the scaled matrix, so θ² cannot overflow.
                            let theta = (aqq - app) / (2 * apq)
                            let m = abs(theta) + (theta * theta + 1).squareRoot()
                            let t = theta >= 0 ? 1 / m : -1 / m
                            let c = 1 / (t * t + 1).squareRoot(), s = t * c
                            a[p + p * n] = app - t * apq
                            a[q + q * n] = aqq + t * apq
                            a[p + q * n] = 0
                            a[q + p * n] = 0
                            let cp = a + p * n, cq = a + q * n
                            for r in 0..<n where r != p && r != q {
                                let arp = cp[r], arq = cq[r]
                                let x = c * arp - s * arq, y = s * arp + c * arq
                                cp[r] = x
                                cq[r] = y
                                a[p + r * n] = x
                                a[q + r * n] = y
                            }
                            let vp = v + p * n, vq = v + q * n
                            for r in 0..<n {
                                let x = vp[r], y = vq[r]
                                vp[r] = c * x - s * y
                                vq[r] = s * x + c * y
                            }
                        }
                    }
                    if !rotated {
                        converged = true
                        return
                    }
                }
            }
        }
        guard converged else { return nil }
        let up = Double(sign: .plus, exponent: exponent, significand: 1)
        let order = (0..<n).sorted { a[$0 + $0 * n] < a[$1 + $1 * n] || (a[$0 + $0 * n] == a[$1 + $1 * n] && $0 < $1) }
        var values = [Double](repeating: 0, count: n), vectors = [Double](repeating: 0, count: n * n)
        for (k, j) in order.enumerated() {
            values[k] = a[j + j * n] * up
            for i in 0..<n { vectors[i + k * n] = v[i + j * n] }
        }
        return (values, vectors)
    }
}
