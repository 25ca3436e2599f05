import LinearAlgebra
import XCTest

/// `CholeskyFactor`'s `tr(G⁻¹)` and `tr(G⁻²)` for `G = LLᵀ`, on the Swift path (d ≤ 128) and on
/// LAPACK's (`dpotri`, d = 130), against `G⁻¹` by Gaussian elimination (`ReferenceLinearAlgebra`).
///
/// Bound: both inverses are backward stable, so each is within a relative c·d·κ(G)·ε of the
/// exact one (Higham, Accuracy and Stability, §14.3), and κ₁(G) ≤ κ₁(L)·κ₁(Lᵀ). We assert a
/// relative 8·d·κ₁(L)κ∞(L)·ε on both traces (a trace of a positive definite matrix, and a
/// Frobenius norm, move by at most that relative amount when every entry does).
final class CholeskyFactorTests: XCTestCase {
    /// A lower factor like the Bartlett decomposition's: a positive diagonal (here 1 + |z|) and
    /// normals below it.
    private func lowerFactor(_ d: Int, seed: UInt64) -> Dense {
        var l = dense(gaussianMatrix(rows: d, columns: d, seed: seed))
        for i in 0..<d {
            l[i][i] = 1 + abs(l[i][i])
            for j in (i + 1)..<max(d, i + 1) { l[i][j] = 0 }
        }
        return l
    }

    private func norm1(_ a: Dense) -> Double { (0..<a.count).map { j in a.reduce(0) { $0 + abs($1[j]) } }.max() ?? 0 }
    private func normInfinity(_ a: Dense) -> Double { a.map { $0.reduce(0) { $0 + abs($1) } }.max() ?? 0 }

    func testTracesOfTheInverseOnBothPaths() throws {
        for (k, d) in [1, 2, 3, 7, 12, 32, 130].enumerated() {
            let l = lowerFactor(d, seed: 8000 + UInt64(k))
            let factor = try CholeskyFactor(lower: matrix(l).storage, dimension: d)
            let gInverse = inverse(multiply(l, transpose(l)))
            let lInverse = inverse(l)
            let kappa = norm1(l) * norm1(lInverse) * normInfinity(l) * normInfinity(lInverse)
            let tolerance = 8 * Double(d) * kappa * Double.ulpOfOne
            assertRelativelyClose(factor.traceOfInverse, trace(gInverse), tolerance, "tr(G⁻¹), d = \(d)")
            assertRelativelyClose(factor.traceOfInverseSquared, frobeniusSquared(gInverse), tolerance, "tr(G⁻²), d = \(d)")
        }
    }

    /// Integer example: L = [[1, 0], [2, 1]], G = [[1, 2], [2, 5]], G⁻¹ = [[5, −2], [−2, 1]].
    func testSmallExactExample() throws {
        let factor = try CholeskyFactor(lower: [1, 2, 0, 1], dimension: 2)
        XCTAssertEqual(factor.traceOfInverse, 6)
        XCTAssertEqual(factor.traceOfInverseSquared, 34)
    }

    /// A zero on the diagonal is the singular factor `dpotri` rejects, with the same info; NaN
    /// is refused before any arithmetic. The entries above the diagonal are ignored.
    func testSingularOrNonFiniteFactorsThrow() {
        XCTAssertThrowsError(try CholeskyFactor(lower: [1, 3, 0, 0], dimension: 2)) {
            XCTAssertEqual($0 as? LinearAlgebraError, .lapack(routine: "dpotri", info: 2))
        }
        XCTAssertThrowsError(try CholeskyFactor(lower: [1, .nan, 0, 1], dimension: 2)) {
            XCTAssertEqual($0 as? LinearAlgebraError, .nonFinite(what: "the Cholesky factor"))
        }
        XCTAssertNoThrow(try CholeskyFactor(lower: [1, 3, .nan, 1], dimension: 2))
    }
}
