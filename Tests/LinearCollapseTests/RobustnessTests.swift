import CollapseCore
import CollapseTheory
import LinearAlgebra
import LinearCollapse
import Randomness
import XCTest

/// Edge cases of the chain: extreme noise, T = d, d = 1, over-parameterised cells, and
/// ill-conditioned designs in the solver.
final class RobustnessTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func testExtremeCellsGiveFiniteResultsThatMatchTheGivenDesignTheory() throws {
        let cells = [
            LinearCell(dimension: 5, samples: 30, noiseVariance: 1e-12),
            LinearCell(dimension: 5, samples: 30, noiseVariance: 1e12),
            LinearCell(dimension: 1, samples: 1, noiseVariance: 1),  // d = 1, T = d
            LinearCell(dimension: 1, samples: 2, noiseVariance: 1),
            LinearCell(dimension: 8, samples: 8, noiseVariance: 1),  // T = d (heavy tails)
            LinearCell(dimension: 30, samples: 3, noiseVariance: 1)
        ]  // T ≪ d
        for cell in cells {
            let rows = try MonteCarlo.run(
                cell: cell,
                settings: MonteCarloSettings(
                    repeats: 2000, generations: 6, regimes: [.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.5)],
                    seed: 4, threads: 2))
            for r in rows {
                XCTAssertTrue(r.mean.isFinite && r.standardError.isFinite && r.mean >= 0, "\(cell) \(r.regime) n=\(r.generation): \(r.mean)")
                if r.regime == .replace || r.regime == .accumulate {
                    let zg = try XCTUnwrap(r.zGivenDesign, "\(cell) \(r.regime): given-design z missing")
                    XCTAssertLessThan(abs(zg), z, "\(cell) \(r.regime) n=\(r.generation)")
                }
            }
        }
    }

    /// A design with cond(X) = 1e12 (so cond(XᵀX) = 1e24): the solver must not use Cholesky and
    /// must return the minimum-norm least-squares solution of a rank-revealing solve. Built as
    /// X = Q·diag(s)·Vᵀ with known orthogonal factors, so the exact X⁺y = V·diag(1/s)·Qᵀy is
    /// available independently; singular values below max(T,d)·ε·s_max count as zero.
    func testConditionNumbersUpTo1e12() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let t = 12, d = 4
        // Orthonormal Q (t×d) and V (d×d) by Gram–Schmidt on Gaussian columns.
        func orthonormal(_ rows: Int, _ cols: Int) -> [[Double]] {
            var q: [[Double]] = []
            while q.count < cols {
                var v = Normal.array(count: rows, using: &rng)
                for u in q { let p = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }; for i in 0..<rows { v[i] -= p * u[i] } }
                let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                q.append(v.map { $0 / n })
            }
            return q
        }
        for condition in [1e3, 1e6, 1e8, 1e12] {
            let q = orthonormal(t, d), v = orthonormal(d, d)
            let s = (0..<d).map { pow(condition, -Double($0) / Double(d - 1)) }  // 1 … 1/condition
            var x = Matrix(rows: t, columns: d)
            for i in 0..<t { for j in 0..<d { x[i, j] = (0..<d).reduce(0) { $0 + q[$1][i] * s[$1] * v[$1][j] } } }
            let y = Normal.array(count: t, using: &rng)
            let solver = try LeastSquaresSolver(design: x)
            // cond(XᵀX) = cond² ≥ 1e12 is past the Cholesky threshold (rcond 1e-8): SVD.
            if condition >= 1e6 { XCTAssertEqual(solver.method, .svd, "cond \(condition)") }
            if condition <= 1e3 { XCTAssertEqual(solver.method, .cholesky, "cond \(condition)") }
            let w = solver.solve(y)
            var exact = [Double](repeating: 0, count: d)
            for k in 0..<d {
                let c = (0..<t).reduce(0) { $0 + q[k][$1] * y[$1] } / s[k]
                for j in 0..<d { exact[j] += v[k][j] * c }
            }
            // Forward error bounds, with a factor 100 of slack for the constants of LAPACK and of
            // building X in floating point: the SVD path is backward stable (≲ cond·ε); the
            // normal equations square the condition number (≲ cond²·ε).
            let err = zip(w, exact).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let norm = exact.map { $0 * $0 }.reduce(0, +).squareRoot()
            let amplification = solver.method == .svd ? condition : condition * condition
            XCTAssertLessThan(err / norm, 100 * amplification * Double.ulpOfOne, "cond \(condition)")
            XCTAssertTrue(w.allSatisfy(\.isFinite))
        }
    }

    /// Exactly collinear columns: rank-deficient, min-norm solution, finite chain results.
    func testCollinearDesignChain() throws {
        var rng = Xoshiro256StarStar(seed: 9)
        let t = 20
        let a = Normal.array(count: t, using: &rng), b = Normal.array(count: t, using: &rng)
        var x = Matrix(rows: t, columns: 3)
        for i in 0..<t { x[i, 0] = a[i]; x[i, 1] = b[i]; x[i, 2] = a[i] + b[i] }
        let solver = try LeastSquaresSolver(design: x)
        XCTAssertEqual(solver.method, .svd)
        XCTAssertEqual(solver.rank, 2)
        var model = OLSRegressionModel(design: x, truth: [1, -1, 0.5], noiseStandardDeviation: 0.3)
        var g = Xoshiro256StarStar(seed: 1), h = Xoshiro256StarStar(seed: 2)
        let y = (0..<t).map { x[$0, 0] - x[$0, 1] + 0.5 * x[$0, 2] }
        for regime in [Regime.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.4)] {
            let errors = try GenerationScheduler<OLSRegressionModel>(regime: regime, generations: 5)
                .run(model: &model, realData: RegressionData(x: x, y: y), sampling: &g, subsampling: &h)
            XCTAssertTrue(errors.allSatisfy { $0.isFinite && $0 >= 0 }, "\(regime): \(errors)")
            // The null-space component of w* ((1,1,-1)/√3 direction) is never learned.
            let nullDirection = [1.0, 1, -1].map { $0 / 3.0.squareRoot() }
            let bias = pow(zip([1.0, -1, 0.5], nullDirection).reduce(0) { $0 + $1.0 * $1.1 }, 2)
            XCTAssertTrue(errors.allSatisfy { $0 >= bias * (1 - 1e-9) }, "\(regime): error below the irreducible bias \(bias)")
        }
    }

    /// Accumulate-subsample's subsample can hold fewer than d distinct design rows (proof A1,
    /// Step 1: k ≥ ⌈T/n⌉ only), each repeated exactly. The solve is then the minimum-norm
    /// least-squares fit: the SVD path, rank k, a solution in the span of the k rows that
    /// satisfies the normal equations (the two conditions that characterise X⁺y).
    func testSubsampleWithFewerDistinctRowsThanFeaturesIsTheMinimumNormFit() throws {
        var rng = Xoshiro256StarStar(seed: 8)
        let t = 9, d = 4
        let x = Matrix(rows: t, columns: d, columnMajor: Normal.array(count: t * d, using: &rng))
        for pattern in [[0, 0, 0, 5, 5, 5, 5, 5, 5], [2, 2, 2, 2, 2, 2, 2, 2, 2], [1, 3, 7, 1, 3, 7, 1, 3, 7]] {
            let sub = x.selectingRows(pattern)
            let y = Normal.array(count: t, using: &rng)
            let solver = try LeastSquaresSolver(design: sub)
            let w = solver.solve(y)
            let distinct = Array(Set(pattern)).sorted()
            XCTAssertEqual(solver.method, .svd, "\(pattern)")
            XCTAssertEqual(solver.rank, distinct.count, "\(pattern)")
            // w ∈ span{x_i}: its least-squares residual on the distinct rows' span is ~0.
            let span = Matrix(rows: d, columns: distinct.count, columnMajor: distinct.flatMap { i in (0..<d).map { x[i, $0] } })
            let coefficients = try LeastSquaresSolver(design: span).solve(w)
            let back = (0..<d).map { j in (0..<distinct.count).reduce(0) { $0 + span[j, $1] * coefficients[$1] } }
            let scale = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in 0..<d { XCTAssertEqual(back[j], w[j], accuracy: 1e-12 * scale, "\(pattern): w leaves the rows' span") }
            // Normal equations X_Sᵀ(X_S w − y) = 0, to round-off (‖X_S‖_F²‖w‖ + ‖X_S‖_F‖y‖ times 1e-10).
            let residual = (0..<t).map { i in (0..<d).reduce(-y[i]) { $0 + sub[i, $1] * w[$1] } }
            let frobenius = sub.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let tolerance = 1e-10 * (frobenius * frobenius * scale + frobenius * y.reduce(0) { $0 + $1 * $1 }.squareRoot())
            for j in 0..<d {
                let g = (0..<t).reduce(0) { $0 + sub[$1, j] * residual[$1] }
                XCTAssertEqual(g, 0, accuracy: tolerance, "\(pattern): normal equation \(j)")
            }
        }
    }
}
