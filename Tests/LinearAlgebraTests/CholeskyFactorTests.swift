import LinearAlgebra
import XCTest

/// `CholeskyFactor`'s `tr(G⁻¹)` and `tr(G⁻²)` for `G = LLᵀ`, on the Swift path (d ≤ 128) and on
/// LAPACK's (`dpotri`, d = 130), against `G⁻¹` by Gaussian elimination (`ReferenceLinearAlgebra`).
///
/// Bound: each computed inverse X̂ of G (the Swift path inverts L, the reference eliminates G)
/// has ‖X̂ − G⁻¹‖₂ ≤ c·d·κ(G)·ε·‖G⁻¹‖₂ (Higham, Accuracy and Stability, §14.3), with
/// κ₁(G) ≤ κ₁(L)κ∞(L) (since ‖Lᵀ‖₁ = ‖L‖∞). For positive definite X, |tr ΔX| ≤ d‖ΔX‖₂ and
/// ‖X‖₂ ≤ tr X, so the trace moves by a relative d times that; tr(X²) = ‖X‖²_F by twice a
/// relative √d times it. We assert a relative 16·d²·κ₁(L)κ∞(L)·ε on both traces (c = 4 and
/// norms within √d of each other, for margin).
final class CholeskyFactorTests: XCTestCase {
    /// A lower factor like the Bartlett decomposition's for T = 200 (its diagonal is √χ²_{T−i},
    /// about √(T − i)): √(T − i) on the diagonal, standard normals below it. Well conditioned, so
    /// the bound below is tight enough to mean something at every d tried.
    private func lowerFactor(_ d: Int, seed: UInt64) -> Dense {
        var l = dense(gaussianMatrix(rows: d, columns: d, seed: seed))
        for i in 0..<d {
            l[i][i] = Double(200 - i).squareRoot()
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
            let tolerance = 16 * Double(d * d) * kappa * Double.ulpOfOne
            XCTAssertLessThan(tolerance, 1e-5, "d = \(d): the factor is too ill conditioned for the bound to mean anything")
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
    /// and infinities are refused before any arithmetic; on both paths (d = 2 and d = 130). The
    /// entries above the diagonal are ignored.
    func testSingularOrNonFiniteFactorsThrow() {
        for d in [2, 130] {
            var identity = [Double](repeating: 0, count: d * d)
            for i in 0..<d { identity[i + i * d] = 1 }
            var singular = identity
            singular[(d - 1) + (d - 1) * d] = 0
            singular[d - 1] = 3
            XCTAssertThrowsError(try CholeskyFactor(lower: singular, dimension: d), "d = \(d)") {
                XCTAssertEqual($0 as? LinearAlgebraError, .lapack(routine: "dpotri", info: Int32(d)))
            }
            for bad in [Double.nan, .infinity] {
                var nonFinite = identity
                nonFinite[1] = bad
                XCTAssertThrowsError(try CholeskyFactor(lower: nonFinite, dimension: d), "d = \(d), \(bad)") {
                    XCTAssertEqual($0 as? LinearAlgebraError, .nonFinite(what: "the Cholesky factor"))
                }
            }
            var above = identity
            above[d] = .nan  // (0, 1): above the diagonal
            XCTAssertNoThrow(try CholeskyFactor(lower: above, dimension: d), "d = \(d)")
        }
    }
}
