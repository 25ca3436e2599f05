import LinearAlgebra
import Randomness
import XCTest

/// `SmallCholesky` and `SymmetricSolve.pseudoInverseSolve`, which runs on it up to
/// `LeastSquaresSolver.smallFactorisationLimit` and on LAPACK above.
///
/// Residual bound: the Cholesky solve is backward stable, `(G + ΔG)w = h` with
/// `‖ΔG‖₂ ≤ c·d·ε‖G‖₂` for a small constant `c` (Higham, Accuracy and Stability, Thm 10.4), so
/// `‖Gw − h‖₂ ≤ c·d·ε‖G‖₂‖w‖₂`. We assert it with `c = 8` and `‖G‖₂ ≤ ‖G‖_F`.
final class SmallCholeskyTests: XCTestCase {
    private func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    private func residual(_ g: Matrix, _ w: [Double], _ h: [Double]) -> Double {
        norm(zip(BLAS.multiply(g, w), h).map { $0 - $1 })
    }

    func testSolvesWellConditionedGramMatricesOnBothPaths() throws {
        // d = 129 exceeds the limit: LAPACK's path.
        for (k, (t, d)) in [(3, 1), (20, 3), (50, 4), (40, 12), (300, 64), (400, 129)].enumerated() {
            let g = BLAS.gram(gaussianMatrix(rows: t, columns: d, seed: 4000 + UInt64(k)))
            let h = gaussianVector(d, seed: 5000 + UInt64(k))
            let w = try SymmetricSolve.pseudoInverseSolve(g, h)
            let frobenius = norm(g.storage)
            let bound = 8 * Double(d) * Double.ulpOfOne * frobenius * norm(w)
            XCTAssertLessThanOrEqual(residual(g, w, h), bound, "T = \(t), d = \(d)")
        }
    }

    /// A singular `G` fails the factorisation and takes the eigendecomposition: the
    /// minimum-norm solution `G⁺h`.
    func testSingularGramGivesTheMinimumNormSolution() throws {
        let g = Matrix(rowsOf: [[4, 0, 0], [0, 0, 0], [0, 0, 1]])
        let w = try SymmetricSolve.pseudoInverseSolve(g, [2, 3, 5])
        XCTAssertEqual(w[0], 0.5, accuracy: 4 * Double.ulpOfOne)
        XCTAssertEqual(w[1], 0, accuracy: 1e-300)
        XCTAssertEqual(w[2], 5, accuracy: 16 * Double.ulpOfOne)
    }

    /// The acceptance rule: positive pivots and the exact `rcond₁ = 1/(‖G‖₁‖G⁻¹‖₁)` at least
    /// `LeastSquaresSolver.choleskyRcondThreshold` (1e-8); the traces of `G⁻¹` and `G⁻²`.
    func testAcceptanceAndTraces() {
        var c = SmallCholesky(dimension: 2)
        func factor(_ g: [Double]) -> Bool { g.withUnsafeBufferPointer { c.factor(gram: $0.baseAddress!) } }
        XCTAssertTrue(factor([4, 0, 0, 0.25]))  // rcond = 1/16
        XCTAssertEqual(c.traceOfInverse, 0.25 + 4)
        XCTAssertEqual(c.traceOfInverseSquared, 0.0625 + 16)
        var x = [8.0, 1.0]
        x.withUnsafeMutableBufferPointer { c.solve($0.baseAddress!) }
        XCTAssertEqual(x, [2, 4])
        XCTAssertTrue(factor([1, 0, 0, 2e-8]))  // rcond = 2e-8
        XCTAssertFalse(factor([1, 0, 0, 5e-9]))  // rcond = 5e-9
        XCTAssertFalse(factor([1, 2, 2, 1]))  // indefinite: the second pivot is −3
        XCTAssertFalse(factor([0, 0, 0, 1]))  // a zero pivot
        XCTAssertFalse(factor([.nan, 0, 0, 1]))
    }

    /// The strictly lower triangle of the input is never read (dsyrk leaves it untouched), and
    /// a reused instance gives the same bits as a fresh one.
    func testReadsTheUpperTriangleAndReuseIsExact() {
        let d = 5
        let g = BLAS.gram(gaussianMatrix(rows: 30, columns: d, seed: 6001)).storage
        var upperOnly = g
        for j in 0..<d { for i in (j + 1)..<d { upperOnly[i + j * d] = .nan } }
        var fresh = SmallCholesky(dimension: d), reused = SmallCholesky(dimension: d)
        let other = BLAS.gram(gaussianMatrix(rows: 9, columns: d, seed: 6002)).storage
        XCTAssertTrue(other.withUnsafeBufferPointer { reused.factor(gram: $0.baseAddress!) })
        XCTAssertTrue(g.withUnsafeBufferPointer { fresh.factor(gram: $0.baseAddress!) })
        XCTAssertTrue(upperOnly.withUnsafeBufferPointer { reused.factor(gram: $0.baseAddress!) })
        XCTAssertEqual(fresh.factor, reused.factor)
        XCTAssertEqual(fresh.rows, reused.rows)
        XCTAssertEqual(fresh.traceOfInverse, reused.traceOfInverse)
        XCTAssertEqual(fresh.traceOfInverseSquared, reused.traceOfInverseSquared)
    }
}
