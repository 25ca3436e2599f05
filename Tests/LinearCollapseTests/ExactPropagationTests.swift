import CollapseTheory
import LinearAlgebra
import LinearCollapse
import Randomness
import XCTest

/// Proof E1: the eigenbasis recursions against (a) the closed forms of T1/T2 given X,
/// (b) a dense matrix recursion written independently here, and (c) Monte Carlo.
final class ExactPropagationTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func draw(_ t: Int, _ d: Int, seed: UInt64) -> (Matrix, [Double]) {
        var rng = Xoshiro256StarStar(seed: seed)
        return (Matrix(rows: t, columns: d, columnMajor: Normal.array(count: t * d, using: &rng)), Normal.array(count: d, using: &rng))
    }

    func testOLSMatchesTheGivenDesignClosedForms() throws {
        let (x, w) = draw(12, 4, seed: 1)
        let exact = try ExactPropagation(design: x, truth: w, noiseVariance: 1.7, ridge: 0)
        let k = try LeastSquaresSolver(design: x).traceOfGramPseudoInverse
        let replace = exact.testErrorCurve(.replace, generations: 9), accumulate = exact.testErrorCurve(.accumulate, generations: 9)
        for n in 1...9 {
            XCTAssertEqual(replace[n - 1], 1.7 * Double(n) * k, accuracy: 1e-10 * replace[n - 1])
            XCTAssertEqual(accumulate[n - 1], 1.7 * LinearCollapseTheory.sumOfInverseSquares(n) * k, accuracy: 1e-10 * accumulate[n - 1])
        }
        // Discounting interpolates: γ = 0 is replace, γ = 1 accumulate.
        let g0 = exact.testErrorCurve(.discounted(gamma: 0), generations: 9), g1 = exact.testErrorCurve(.discounted(gamma: 1), generations: 9)
        for n in 0..<9 {
            XCTAssertEqual(g0[n], replace[n], accuracy: 1e-10 * replace[n])
            XCTAssertEqual(g1[n], accumulate[n], accuracy: 1e-10 * accumulate[n])
        }
    }

    /// Dense recursion for the weighted sum A_n = Σ_j γ^{n−j}Xᵀy_j (mean vector and covariance
    /// matrix), with ŵ_n = (W_nG + λI)⁻¹A_n — no eigendecomposition.
    func denseCurve(_ x: Matrix, _ w: [Double], s2: Double, lambda: Double, gamma: Double, generations: Int) -> [Double] {
        let d = x.columns
        let g = BLAS.gram(x)
        func solve(_ a: Matrix, _ b: Matrix) -> Matrix {     // a⁻¹b by Gauss–Jordan (a is SPD here)
            var m = a, r = b
            for c in 0..<d {
                let p = m[c, c]
                for j in 0..<d { m[c, j] /= p }
                for j in 0..<r.columns { r[c, j] /= p }
                for i in 0..<d where i != c {
                    let f = m[i, c]
                    for j in 0..<d { m[i, j] -= f * m[c, j] }
                    for j in 0..<r.columns { r[i, j] -= f * r[c, j] }
                }
            }
            return r
        }
        func system(_ weight: Double) -> Matrix {
            var s = g
            for k in 0..<(d * d) { s.storage[k] *= weight }
            for j in 0..<d { s[j, j] += lambda }
            return s
        }
        var meanA = BLAS.multiply(g, w)
        var covA = g
        for k in 0..<(d * d) { covA.storage[k] *= s2 }
        var weight = 1.0
        var curve: [Double] = []
        for n in 1...generations {
            if n > 1 {
                // A_n = (γI + G·S⁻¹) A_{n−1} + ε_n, S = W_{n−1}G + λI.
                var c = BLAS.multiply(g, solve(system(weight), Matrix.identity(d)))
                for j in 0..<d { c[j, j] += gamma }
                meanA = BLAS.multiply(c, meanA)
                covA = BLAS.multiply(BLAS.multiply(c, covA), c, transposeB: true)
                for k in 0..<(d * d) { covA.storage[k] += s2 * g.storage[k] }
                weight = gamma * weight + 1
            }
            let inv = solve(system(weight), Matrix.identity(d))
            let mean = BLAS.multiply(inv, meanA)
            let cov = BLAS.multiply(BLAS.multiply(inv, covA), inv, transposeB: true)
            var e = 0.0
            for j in 0..<d { e += (mean[j] - w[j]) * (mean[j] - w[j]) + cov[j, j] }
            curve.append(e)
        }
        return curve
    }

    func testRidgeCurvesMatchDenseRecursion() throws {
        let (x, w) = draw(7, 4, seed: 5)
        for (lambda, gamma) in [(0.3, 0.0), (0.3, 1.0), (0.3, 0.6), (2.0, 0.85)] {
            let exact = try ExactPropagation(design: x, truth: w, noiseVariance: 0.8, ridge: lambda)
            let scheme: ExactPropagation.Scheme = gamma == 0 ? .replace : gamma == 1 ? .accumulate : .discounted(gamma: gamma)
            let fast = exact.testErrorCurve(scheme, generations: 12)
            let dense = denseCurve(x, w, s2: 0.8, lambda: lambda, gamma: gamma, generations: 12)
            for n in 0..<12 {
                XCTAssertEqual(fast[n], dense[n], accuracy: 1e-9 * dense[n], "λ=\(lambda) γ=\(gamma) n=\(n + 1)")
            }
        }
    }

    func testMonteCarloOfLiteralRidgeRefitsMatchesExactCurves() throws {
        let checks = try Verification.runPropagation(seed: 6, threads: 2)
        XCTAssertEqual(Set(checks.map(\.point.id)), ["E1", "E2"])
        for c in checks {
            XCTAssertLessThan(abs(c.z), z, "\(c.point.id) \(Verification.schemeName(c.scheme)) n=\(c.generation): \(c.mean) vs \(c.exact)")
        }
    }
}
