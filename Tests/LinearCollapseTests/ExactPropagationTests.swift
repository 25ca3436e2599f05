import CollapseCore
import CollapseTheory
import LinearAlgebra
import LinearCollapse
import Randomness
import XCTest

/// `a⁻¹b` by Gauss–Jordan without pivoting (`a` is SPD in these tests): independent of LAPACK.
func gaussJordanSolve(_ a: Matrix, _ b: Matrix) -> Matrix {
    let d = a.rows
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
        let solve = gaussJordanSolve
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
        XCTAssertEqual(Set(checks.map(\.point.id)), ["E1", "E2", "E3", "E4", "E5"])
        for c in checks {
            XCTAssertLessThan(abs(c.z), z, "\(c.point.id) \(Verification.schemeName(c.scheme)) n=\(c.generation): \(c.mean) vs \(c.exact)")
        }
    }
}

/// Proof E1 item 5: the fresh-real chain's symmetrised recursion against the dense recursion
/// `m_n = B m_{n−1} + h`, `C_n = B C_{n−1} Bᵀ + σ² K G K` written independently here, its two
/// limiting cases, and its long-run behaviour.
final class FreshRealPropagationTests: XCTestCase {
    func draw(_ t: Int, _ d: Int, seed: UInt64) -> (Matrix, [Double]) {
        var rng = Xoshiro256StarStar(seed: seed)
        return (Matrix(rows: t, columns: d, columnMajor: Normal.array(count: t * d, using: &rng)), Normal.array(count: d, using: &rng))
    }

    /// K = (G + λI)⁻¹ for λ > 0 by Gauss–Jordan; the dense recursion of E1 (5.1).
    func denseCurve(_ x: Matrix, _ w: [Double], m: Int, s2: Double, lambda: Double, generations: Int) -> [Double] {
        let d = x.columns
        let g = BLAS.gram(x), gS = BLAS.gram(x.selectingRows(Array(m..<x.rows)))
        var a = g
        for j in 0..<d { a[j, j] += lambda }
        let k = gaussJordanSolve(a, Matrix.identity(d))
        var gR = g
        for i in 0..<(d * d) { gR.storage[i] -= gS.storage[i] }
        let b = BLAS.multiply(k, gS)
        let h = BLAS.multiply(BLAS.multiply(k, gR), w)
        var noise = BLAS.multiply(BLAS.multiply(k, g), k)
        for i in 0..<(d * d) { noise.storage[i] *= s2 }
        var mean = w, cov = Matrix(rows: d, columns: d)
        var curve: [Double] = []
        for _ in 0..<generations {
            mean = BLAS.multiply(b, mean)
            for j in 0..<d { mean[j] += h[j] }
            cov = BLAS.multiply(BLAS.multiply(b, cov), b, transposeB: true)
            for i in 0..<(d * d) { cov.storage[i] += noise.storage[i] }
            var e = 0.0
            for j in 0..<d { e += (mean[j] - w[j]) * (mean[j] - w[j]) + cov[j, j] }
            curve.append(e)
        }
        return curve
    }

    func testSymmetrisedRecursionMatchesDenseRecursion() throws {
        let (x, w) = draw(9, 4, seed: 11)
        for (m, lambda) in [(3, 0.5), (1, 0.05), (6, 2.0), (2, 1e-3)] {
            let fast = try FreshRealPropagation(design: x, truth: w, realRows: m, noiseVariance: 0.7, ridge: lambda)
                .testErrorCurve(generations: 15)
            let dense = denseCurve(x, w, m: m, s2: 0.7, lambda: lambda, generations: 15)
            for n in 0..<15 {
                XCTAssertEqual(fast[n], dense[n], accuracy: 1e-9 * dense[n], "m=\(m) λ=\(lambda) n=\(n + 1)")
            }
        }
    }

    /// m = 0 is replace (E1 item 1); m = T refits fresh real data, so every generation has the
    /// first fit's error: ‖(I−P)w*‖² + σ² tr G⁺ at λ = 0.
    func testLimitingCases() throws {
        let (x, w) = draw(6, 8, seed: 3)  // T < d: min-norm, a null space
        for lambda in [0.0, 0.3] {
            let replace = try ExactPropagation(design: x, truth: w, noiseVariance: 1.3, ridge: lambda).testErrorCurve(.replace, generations: 7)
            let none = try FreshRealPropagation(design: x, truth: w, realRows: 0, noiseVariance: 1.3, ridge: lambda).testErrorCurve(generations: 7)
            let all = try FreshRealPropagation(design: x, truth: w, realRows: 6, noiseVariance: 1.3, ridge: lambda).testErrorCurve(generations: 7)
            for n in 0..<7 {
                XCTAssertEqual(none[n], replace[n], accuracy: 1e-9 * replace[n], "λ=\(lambda) n=\(n + 1)")
                XCTAssertEqual(all[n], replace[0], accuracy: 1e-9 * replace[0], "λ=\(lambda) n=\(n + 1)")
            }
        }
        let solver = try LeastSquaresSolver(design: x)
        let bias = solver.nullSpaceComponent(of: w).reduce(0) { $0 + $1 * $1 }
        let first = try FreshRealPropagation(design: x, truth: w, realRows: 2, noiseVariance: 1.3, ridge: 0).testErrorCurve(generations: 1)[0]
        XCTAssertEqual(first, bias + 1.3 * solver.traceOfGramPseudoInverse, accuracy: 1e-9 * first)
    }

    /// The literal engine's fresh-real regime (`LinearChainSimulator`, min-norm OLS on a design
    /// drawn per replicate) against E1 item 5 given each replicate's own design: the per-replicate
    /// differences `error − exact(X, w*)` have mean 0. Two-sided false alarm 1e-6 per generation.
    func testLiteralEngineFreshRealMatchesExactCurveGivenDesign() throws {
        let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)
        let cell = LinearCell(dimension: 3, samples: 10, noiseVariance: 1)
        let regime = Regime.freshReal(realFraction: 0.4), generations = 6, repeats = 4000
        let sim = LinearChainSimulator(cell: cell, regimes: [regime], generations: generations)
        var sum = [Double](repeating: 0, count: generations), sumSq = sum
        for rep in 0..<repeats {
            var errors = [Double](repeating: 0, count: generations)
            _ = try errors.withUnsafeMutableBufferPointer { try sim.runReplicate(seed: 17, replicate: rep, errors: $0) }
            var rng = cell.stream(seed: 17, replicate: rep, purpose: .data)
            let real = LinearRealData.draw(cell: cell, using: &rng)
            let exact = try FreshRealPropagation(design: real.design, truth: real.truth, realRows: 4, noiseVariance: 1, ridge: 0)
                .testErrorCurve(generations: generations)
            for n in 0..<generations {
                let diff = errors[n] - exact[n]
                sum[n] += diff; sumSq[n] += diff * diff
            }
        }
        let r = Double(repeats)
        for n in 0..<generations {
            let mean = sum[n] / r, se = ((sumSq[n] - r * mean * mean) / (r - 1) / r).squareRoot()
            XCTAssertLessThan(abs(mean / se), z, "generation \(n + 1): mean difference \(mean) ± \(se)")
        }
    }

    /// E1 Step 5(e): with λ = 0 the curve is bounded iff rank X_R = rank X; otherwise it grows at
    /// least like nσ²/max g. Here rank X_R = 2 < 3 = rank X, and then rank X_R = 3.
    func testBoundedIffRealRowsSpanTheRange() throws {
        let (x, w) = draw(10, 3, seed: 8)
        let growing = try FreshRealPropagation(design: x, truth: w, realRows: 2, noiseVariance: 1, ridge: 0).testErrorCurve(generations: 400)
        let maxG = try SymmetricEigen(BLAS.gram(x)).values.max()!
        XCTAssertGreaterThan(growing[399] - growing[199], 200 / maxG)
        let bounded = try FreshRealPropagation(design: x, truth: w, realRows: 3, noiseVariance: 1, ridge: 0).testErrorCurve(generations: 4000)
        XCTAssertEqual(bounded[3999], bounded[1999], accuracy: 1e-9 * bounded[3999])
    }
}
