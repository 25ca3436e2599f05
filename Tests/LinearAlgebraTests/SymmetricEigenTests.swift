import LinearAlgebra
import XCTest

/// `SymmetricEigen`: the Jacobi path (up to `jacobiLimit`) and LAPACK's `dsyevd` are both
/// backward stable (the computed pairs are exact for some `A + E`, `‖E‖ = O(nε‖A‖)`; Golub & Van
/// Loan §8.5), so each must pass the residual tests LAPACK's own eigenvalue tests apply
/// (`xSYT21`: the ratios ‖AV − VΛ‖/(n·ε·‖A‖) and ‖VᵀV − I‖/(n·ε), ε = `Double.ulpOfOne / 2`,
/// Frobenius norms), here required below 20, and their eigenvalues must agree within the sum of
/// two such errors (Weyl: each eigenvalue moves by at most ‖E‖₂ ≤ ‖E‖_F).
final class SymmetricEigenTests: XCTestCase {
    let eps = Double.ulpOfOne / 2

    private func symmetric(_ n: Int, seed: UInt64, scale: Double = 1) -> Matrix {
        let g = gaussianMatrix(rows: n, columns: n, seed: seed)
        var s = [Double](repeating: 0, count: n * n)
        for j in 0..<n { for i in 0..<n { s[i + j * n] = scale * (g[i, j] + g[j, i]) / 2 } }
        return Matrix(rows: n, columns: n, columnMajor: s)
    }

    /// Matrices the chains decompose and edge cases: Gaussian symmetric (indefinite), Gram
    /// matrices of full and deficient rank (zero eigenvalues), a repeated eigenvalue, diagonal,
    /// zero, widely scaled, and 1 × 1.
    private func cases(_ n: Int) -> [(String, Matrix)] {
        var out: [(String, Matrix)] = [("gaussian", symmetric(n, seed: 100 + UInt64(n)))]
        out.append(("gram", BLAS.gram(gaussianMatrix(rows: n + 3, columns: n, seed: 200 + UInt64(n)))))
        if n >= 2 { out.append(("rank-deficient gram", BLAS.gram(gaussianMatrix(rows: n - 1, columns: n, seed: 300 + UInt64(n))))) }
        // Q diag(1, 1, …, 1, 2) Qᵀ: an (n−1)-fold eigenvalue.
        let q = gaussianMatrix(rows: n, columns: n, seed: 400 + UInt64(n))
        let qr = dense(q)
        var rep = Dense(repeating: [Double](repeating: 0, count: n), count: n)
        // Gram–Schmidt for an orthonormal Q.
        var cols = transpose(qr)
        for j in 0..<n {
            for k in 0..<j {
                let d = zip(cols[j], cols[k]).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<n { cols[j][i] -= d * cols[k][i] }
            }
            let r = norm(cols[j])
            for i in 0..<n { cols[j][i] /= r }
        }
        for i in 0..<n { for j in 0..<n { rep[i][j] = (0..<n).reduce(0) { $0 + cols[$1][i] * cols[$1][j] * ($1 == n - 1 ? 2 : 1) } } }
        for i in 0..<n { for j in 0..<i { let m = (rep[i][j] + rep[j][i]) / 2; rep[i][j] = m; rep[j][i] = m } }
        out.append(("repeated eigenvalue", matrix(rep)))
        out.append(("diagonal", matrix((0..<n).map { i in (0..<n).map { j in i == j ? Double(n - i) * 1.5 - 2 : 0 } })))
        out.append(("zero", Matrix(rows: n, columns: n)))
        out.append(("scaled 1e-150", symmetric(n, seed: 500 + UInt64(n), scale: 1e-150)))
        out.append(("scaled 1e150", symmetric(n, seed: 600 + UInt64(n), scale: 1e150)))
        out.append(("scaled 1e300", symmetric(n, seed: 800 + UInt64(n), scale: 1e300)))
        return out
    }

    /// ‖A‖_F, scaled so that 1e300 entries do not overflow.
    private func frobenius(_ a: Matrix) -> Double {
        let m = a.storage.map(abs).max() ?? 0
        guard m > 0 else { return 0 }
        return m * a.storage.reduce(0) { $0 + ($1 / m) * ($1 / m) }.squareRoot()
    }

    private func check(_ a: Matrix, _ e: SymmetricEigen, _ what: String) {
        let n = a.rows
        let ad = dense(a), v = dense(e.vectors)
        let normA = frobenius(a)
        XCTAssertEqual(e.values.count, n, what)
        for k in 1..<max(n, 1) { XCTAssertLessThanOrEqual(e.values[k - 1], e.values[k], "\(what): ascending") }
        let av = multiply(ad, v)
        var residual = 0.0
        let unit = normA > 0 ? normA : 1  // relative to ‖A‖, so that squares of 1e300 do not overflow
        for i in 0..<n { for k in 0..<n { let r = (av[i][k] - v[i][k] * e.values[k]) / unit; residual += r * r } }
        XCTAssertLessThanOrEqual(residual.squareRoot() * unit, 20 * Double(n) * eps * normA, "\(what): ‖AV − VΛ‖")
        let vtv = multiply(transpose(v), v)
        var orthogonality = 0.0
        for i in 0..<n { for j in 0..<n { let r = vtv[i][j] - (i == j ? 1 : 0); orthogonality += r * r } }
        XCTAssertLessThanOrEqual(orthogonality.squareRoot(), 20 * Double(n) * eps, "\(what): ‖VᵀV − I‖")
    }

    func testBothMethodsAreBackwardStableAndAgree() throws {
        for n in [1, 2, 3, 4, 5, 8, 12, 13, 20] {
            for (name, a) in cases(n) {
                let jacobi = try SymmetricEigen(a, method: .jacobi)
                let lapack = try SymmetricEigen(a, method: .lapack)
                check(a, jacobi, "Jacobi n = \(n) \(name)")
                check(a, lapack, "dsyevd n = \(n) \(name)")
                let normA = frobenius(a)
                for k in 0..<n {
                    XCTAssertEqual(jacobi.values[k], lapack.values[k], accuracy: 40 * Double(n) * eps * normA, "n = \(n) \(name) λ\(k)")
                }
            }
        }
    }

    /// Exact cases: a diagonal matrix is already decomposed (no rotation, eigenvectors the unit
    /// vectors), and [[2, 1], [1, 2]] has eigenvalues 1 and 3.
    func testExactCases() throws {
        let diagonal = try SymmetricEigen(matrix([[3, 0, 0], [0, -1, 0], [0, 0, 2]]), method: .jacobi)
        XCTAssertEqual(diagonal.values, [-1, 2, 3])
        XCTAssertEqual(dense(diagonal.vectors), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
        let two = try SymmetricEigen(matrix([[2, 1], [1, 2]]), method: .jacobi)
        XCTAssertEqual(two.values[0], 1, accuracy: 4 * eps)
        XCTAssertEqual(two.values[1], 3, accuracy: 8 * eps)
        XCTAssertEqual(abs(two.vectors[0, 0]), 0.5.squareRoot(), accuracy: 4 * eps)
    }

    /// Jacobi works on 2⁻ᵉA, an exact scaling, and its steps are invariant under scaling by a
    /// power of two away from overflow and underflow, so scaling A by 2ᵏ scales the eigenvalues
    /// by it and leaves the vectors' bits alone.
    func testJacobiScalesExactlyByPowersOfTwo() throws {
        for n in [1, 3, 7, SymmetricEigen.jacobiLimit] {
            let a = symmetric(n, seed: 1000 + UInt64(n))
            let base = try SymmetricEigen(a, method: .jacobi)
            for k in [-1000, -100, 100, 1000] {
                let factor = Double(sign: .plus, exponent: k, significand: 1)
                let scaled = try SymmetricEigen(Matrix(rows: n, columns: n, columnMajor: a.storage.map { $0 * factor }), method: .jacobi)
                XCTAssertEqual(scaled.values.map(\.bitPattern), base.values.map { ($0 * factor).bitPattern }, "n = \(n), 2^\(k)")
                XCTAssertEqual(scaled.vectors.storage.map(\.bitPattern), base.vectors.storage.map(\.bitPattern), "n = \(n), 2^\(k)")
            }
        }
    }

    /// A matrix of subnormal entries (largest below 2⁻¹⁰²², where 2⁻ᵉ itself would overflow) is
    /// decomposed as the same matrix scaled up by 2¹⁰⁰⁰ (exact for subnormals): the same vectors,
    /// and the eigenvalues scaled back down (one rounding into the subnormal range).
    func testSubnormalMatrices() throws {
        let up = Double(sign: .plus, exponent: 1000, significand: 1), down = Double(sign: .plus, exponent: -1000, significand: 1)
        for n in [1, 2, 5, SymmetricEigen.jacobiLimit] {
            let tiny = symmetric(n, seed: 1100 + UInt64(n), scale: 1e-310)
            let e = try SymmetricEigen(tiny, method: .jacobi)
            let reference = try SymmetricEigen(Matrix(rows: n, columns: n, columnMajor: tiny.storage.map { $0 * up }), method: .jacobi)
            XCTAssertTrue(e.values.allSatisfy { $0.isFinite }, "n = \(n)")
            XCTAssertEqual(e.values.map(\.bitPattern), reference.values.map { ($0 * down).bitPattern }, "n = \(n)")
            XCTAssertEqual(e.vectors.storage.map(\.bitPattern), reference.vectors.storage.map(\.bitPattern), "n = \(n)")
        }
    }

    /// `automatic` takes Jacobi up to the cut-off (the same bits as `.jacobi`) and LAPACK above.
    func testAutomaticChoosesByDimension() throws {
        for n in [3, SymmetricEigen.jacobiLimit, SymmetricEigen.jacobiLimit + 1] {
            let a = symmetric(n, seed: 700 + UInt64(n))
            let auto = try SymmetricEigen(a)
            let expected = try SymmetricEigen(a, method: n <= SymmetricEigen.jacobiLimit ? .jacobi : .lapack)
            XCTAssertEqual(auto.values.map(\.bitPattern), expected.values.map(\.bitPattern), "n = \(n)")
            XCTAssertEqual(auto.vectors.storage.map(\.bitPattern), expected.vectors.storage.map(\.bitPattern), "n = \(n)")
        }
    }

    func testRefusesNonFiniteEntries() {
        for method in [SymmetricEigen.Method.jacobi, .lapack] {
            XCTAssertThrowsError(try SymmetricEigen(matrix([[1, .nan], [.nan, 1]]), method: method))
            XCTAssertThrowsError(try SymmetricEigen(matrix([[.infinity, 0], [0, 1]]), method: method))
        }
    }
}
