import CollapseCore
import CollapseTheory
import Foundation
import ParametricChains
import Randomness
import XCTest

/// Proof G4 (d-dimensional Gaussian refit): closed forms against independent computations
/// (the 1-D chain of G3, Γ-function golden values, direct sums), the `W₂` formula against the
/// diagonal case, and the literal simulator against the closed forms by Monte Carlo.
final class MultivariateFittingChainTests: XCTestCase {
    typealias Theory = MultivariateGaussianFittingTheory
    /// Two-sided false-alarm probability 1e-6 per statistic (one-sided bound checks: 5e-7).
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    /// E√(χ²_k) = √2·Γ((k+1)/2)/Γ(k/2): √(2/π), √(π/2), 2√(2/π), (3/2)√(π/2); and G3's quoted ρ.
    func testChiRootMeanGoldenValues() {
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 1, divisor: 1), (2 / Double.pi).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 2, divisor: 1), (Double.pi / 2).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 3, divisor: 1), 2 * (2 / Double.pi).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 4, divisor: 1), 1.5 * (Double.pi / 2).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 0, divisor: 3), 0)
        // G3 Step 5: M = 2: 0.7979 (c = 1), 0.5642 (c = 2); M = 5: 0.9400 (c = 4), 0.8408 (c = 5).
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 1, divisor: 1), 0.7979, accuracy: 5e-5)
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 1, divisor: 2), 0.5642, accuracy: 5e-5)
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 4, divisor: 4), 0.9400, accuracy: 5e-5)
        // G3 printed 0.8408 here; √(2/5)·Γ(5/2)/Γ(2) = 0.840749, so 0.8407 (corrected in G3).
        XCTAssertEqual(Theory.chiRootMean(degreesOfFreedom: 4, divisor: 5), 0.8407, accuracy: 5e-5)
    }

    /// d = 1 is G3: the moments equal the 1-D closed forms, and the W₂ bounds coincide with
    /// G3 item 5, σ²(n/M + 2(1 − ρⁿ)) (unbiased) or 2σ²(1 − ρⁿ) (MLE), written out here with tgamma.
    func testOneDimensionReducesToG3() {
        let v = 2.5
        for m in [2, 3, 10] {
            for e in GaussianFittingTheory.Estimator.allCases {
                for n in [1, 2, 5, 12] {
                    let c = e == .unbiased ? Double(m - 1) : Double(m)
                    let rho = (2 / c).squareRoot() * tgamma(Double(m) / 2) / tgamma(Double(m - 1) / 2)
                    let w2 = e == .unbiased ? v * (Double(n) / Double(m) + 2 * (1 - pow(rho, Double(n)))) : 2 * v * (1 - pow(rho, Double(n)))
                    let t = Theory.moments(e, regime: .replace, generation: n, samples: m, eigenvalues: [v])
                    XCTAssertEqual(t.meanSquaredError, v * GaussianFittingTheory.meanErrorRatio(e, generation: n, samples: m), accuracy: 1e-13)
                    XCTAssertEqual(t.expectedTrace, v * GaussianFittingTheory.varianceRatio(e, generation: n, samples: m), accuracy: 1e-13)
                    XCTAssertEqual(
                        t.expectedLogDeterminantRatio!, GaussianFittingTheory.expectedLogVarianceRatio(e, generation: n, samples: m), accuracy: 1e-12)
                    XCTAssertEqual(t.wassersteinExact!, w2, accuracy: 1e-12 * max(1, w2), "M=\(m) \(e) n=\(n)")
                    XCTAssertEqual(t.wassersteinLower, t.wassersteinUpper, accuracy: 1e-12 * max(1, w2))
                    let a = Theory.moments(e, regime: .accumulate, generation: n, samples: m, eigenvalues: [v])
                    XCTAssertEqual(a.expectedTrace, v * GaussianFittingTheory.accumulateVarianceRatio(e, generation: n, samples: m), accuracy: 1e-13)
                    XCTAssertEqual(a.meanSquaredError, v * GaussianFittingTheory.accumulateMeanErrorRatio(e, generation: n, samples: m), accuracy: 1e-13)
                    XCTAssertNil(a.expectedLogDeterminantRatio)
                    if n == 1 { XCTAssertEqual(a.wassersteinExact!, t.wassersteinExact!, accuracy: 1e-13) } else { XCTAssertNil(a.wassersteinExact) }
                }
            }
        }
    }

    /// The O(n·d) recursion of `curve` against the 1-D product and sum formulas of G3 far out.
    func testCurveRecursionAgainstProductFormulasAtLargeN() {
        for e in GaussianFittingTheory.Estimator.allCases {
            for regime in ClosedFormRegime.allCases {
                let curve = Theory.curve(e, regime: regime, generations: 2000, samples: 7, eigenvalues: [1.5, 0.5])
                for n in [1, 10, 2000] {
                    let s =
                        regime == .replace
                        ? GaussianFittingTheory.varianceRatio(e, generation: n, samples: 7)
                        : GaussianFittingTheory.accumulateVarianceRatio(e, generation: n, samples: 7)
                    let r =
                        regime == .replace
                        ? GaussianFittingTheory.meanErrorRatio(e, generation: n, samples: 7)
                        : GaussianFittingTheory.accumulateMeanErrorRatio(e, generation: n, samples: 7)
                    XCTAssertEqual(curve[n - 1].covarianceRatio, s, accuracy: 1e-12 * max(s, 1e-300), "\(e) \(regime) n=\(n)")
                    XCTAssertEqual(curve[n - 1].meanErrorRatio, r, accuracy: 1e-12 * r, "\(e) \(regime) n=\(n)")
                    XCTAssertEqual(curve[n - 1], Theory.moments(e, regime: regime, generation: n, samples: 7, eigenvalues: [0.5, 1.5]))
                }
            }
        }
    }

    /// The d-dimensional forms against direct sums: E log det is the Bartlett sum over d
    /// χ² factors, the mean error is e_n·tr Σ, and the W₂ bounds are ordered, with the upper one
    /// the replace sum Σλ_iρ_iⁿ sorted descending (rearrangement) and isotropic Σ giving λ·Σρ_iⁿ.
    func testMultivariateFormsAgainstDirectSums() {
        let spectrum = [0.3, 4.6, 2.1]
        for m in [2, 3, 4, 10] {
            for e in GaussianFittingTheory.Estimator.allCases {
                for n in [1, 3, 8] {
                    let c = e == .unbiased ? Double(m - 1) : Double(m)
                    let t = Theory.moments(e, regime: .replace, generation: n, samples: m, eigenvalues: spectrum)
                    XCTAssertEqual(t.meanSquaredError, 7 * GaussianFittingTheory.meanErrorRatio(e, generation: n, samples: m), accuracy: 1e-12)
                    if m >= 4 {
                        var direct = 0.0
                        for i in 1...3 { direct += GaussianFittingTheory.digamma(Double(m - i) / 2) + log(2 / c) }
                        XCTAssertEqual(t.expectedLogDeterminantRatio!, Double(n) * direct, accuracy: 1e-12)
                    } else {
                        XCTAssertNil(t.expectedLogDeterminantRatio)
                    }
                    let rho = (1...3).map { i in m - i > 0 ? (2 / c).squareRoot() * tgamma(Double(m - i + 1) / 2) / tgamma(Double(m - i) / 2) : 0 }
                    let meanError = GaussianFittingTheory.meanErrorRatio(e, generation: n, samples: m)
                    let base = 7 * (meanError + GaussianFittingTheory.varianceRatio(e, generation: n, samples: m) + 1)
                    let powers = rho.map { pow($0, Double(n)) }
                    let sumDescending: Double = 4.6 * powers[0] + 2.1 * powers[1] + 0.3 * powers[2]
                    XCTAssertEqual(t.wassersteinUpper, base - 2 * sumDescending, accuracy: 1e-12)
                    XCTAssertEqual(t.wassersteinLower, base - 2 * 7 * pow(rho[0], Double(n)), accuracy: 1e-12)
                    XCTAssertLessThanOrEqual(t.wassersteinLower, t.wassersteinUpper)
                    XCTAssertGreaterThanOrEqual(t.wassersteinLower, t.meanSquaredError - 1e-12)  // W₂² ≥ ‖μ̂ − μ‖²
                    XCTAssertNil(t.wassersteinExact)
                    let a = Theory.moments(e, regime: .accumulate, generation: n, samples: m, eigenvalues: spectrum)
                    XCTAssertLessThanOrEqual(a.wassersteinLower, a.wassersteinUpper)
                    XCTAssertGreaterThanOrEqual(a.wassersteinLower, a.meanSquaredError - 1e-12)
                }
            }
        }
    }

    /// The Hölder bound h(c, j) ≤ E√(c + χ²_j), against E√(c + V) for V ~ χ²₂ = Exp(mean 2)
    /// by the trapezoid rule on [0, 80] (tail beyond < e⁻⁴⁰; it is a bound, so only validity and
    /// the gain over √c are asserted); and the accumulate W₂ upper bound
    /// written out for d = 2, n = 3 with the weights ρ_i·h(c₁, M−i)/√c₂·h(c₂, M−i)/√c₃.
    func testAccumulateBoundAgainstQuadratureAndDirectProduct() {
        for c in [0.5, 4.0, 19.0] {
            var integral = 0.0
            let steps = 200_000, width = 80.0 / Double(steps)
            for k in 0...steps {
                let v = Double(k) * width, f = (c + v).squareRoot() * exp(-v / 2) / 2
                integral += (k == 0 || k == steps ? 0.5 : 1) * f * width
            }
            let h = Theory.rootMeanLowerBound(shift: c, degreesOfFreedom: 2)
            XCTAssertLessThanOrEqual(h, integral, "c = \(c)")
            XCTAssertGreaterThan(h, (c + 0.5).squareRoot(), "c = \(c)")  // better than √c, the bound with χ² dropped
        }
        XCTAssertEqual(Theory.rootMeanLowerBound(shift: 9, degreesOfFreedom: 0), 3, accuracy: 1e-15)
        let m = 6, lambda = [3.0, 0.5]
        for e in GaussianFittingTheory.Estimator.allCases {
            let shift = e == .unbiased ? 1.0 : 0.0
            let c1 = Double(m) - shift, c2 = Double(2 * m) - shift, c3 = Double(3 * m) - shift
            var lower = 0.0
            for i in 1...2 {
                let rho = (2 / c1).squareRoot() * tgamma(Double(m - i + 1) / 2) / tgamma(Double(m - i) / 2)
                let mean1 = c1 + Double(m - i), mean2 = c2 + Double(m - i)
                let h1 = mean1.squareRoot() / (1 + 2 * Double(m - i) / (mean1 * mean1)).squareRoot()
                let h2 = mean2.squareRoot() / (1 + 2 * Double(m - i) / (mean2 * mean2)).squareRoot()
                lower += lambda[i - 1] * rho * h1 / c2.squareRoot() * h2 / c3.squareRoot()
            }
            let meanError = GaussianFittingTheory.accumulateMeanErrorRatio(e, generation: 3, samples: m)
            let s = GaussianFittingTheory.accumulateVarianceRatio(e, generation: 3, samples: m)
            let t = Theory.moments(e, regime: .accumulate, generation: 3, samples: m, eigenvalues: lambda)
            XCTAssertEqual(t.wassersteinUpper, 3.5 * (meanError + s + 1) - 2 * lower, accuracy: 1e-12)
        }
    }

    /// Gaussians with commuting covariances: W₂² = ‖a − b‖² + Σ(√αᵢ − √βᵢ)² in the common
    /// eigenbasis (diagonal case, then the same pair rotated); non-commuting pairs: W₂ is symmetric.
    func testWassersteinFormulaAgainstDiagonalCase() {
        let a = [0.5, -1.0, 2.0], b = [0.0, 0.3, 1.0], alpha = [4.0, 1.0, 0.25]
        func expected(_ beta: [Double]) -> Double {
            var sum = 0.0
            for i in 0..<3 {
                let dm = a[i] - b[i], ds = alpha[i].squareRoot() - beta[i].squareRoot()
                sum += dm * dm + ds * ds
            }
            return sum
        }
        func diag(_ v: [Double]) -> [Double] { (0..<9).map { $0 % 4 == 0 ? v[$0 / 4] : 0 } }
        // A singular B (β₃ = 0) is allowed; in the diagonal case the eigenvalues are exact.
        for beta in [[1.0, 2.0, 0.0], [1.0, 2.0, 0.5]] {
            let w = MultivariateGaussianFittingChain.wassersteinSquared(meanA: a, covarianceA: diag(alpha), meanB: b, covarianceB: diag(beta))
            XCTAssertEqual(w, expected(beta), accuracy: 1e-12)
        }
        let beta = [1.0, 2.0, 0.5]
        // Rotation Q (Givens in planes (0,1) then (1,2)): W₂ is invariant under x ↦ Qx.
        let c1 = cos(0.7), s1 = sin(0.7), c2 = cos(-1.3), s2 = sin(-1.3)
        let q1: [Double] = [c1, -s1, 0, s1, c1, 0, 0, 0, 1], q2: [Double] = [1, 0, 0, 0, c2, -s2, 0, s2, c2]
        func mul(_ x: [Double], _ y: [Double]) -> [Double] {
            var p = [Double](repeating: 0, count: 9)
            for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { p[i * 3 + j] += x[i * 3 + k] * y[k * 3 + j] } } }
            return p
        }
        func tr(_ x: [Double]) -> [Double] { (0..<9).map { x[($0 % 3) * 3 + $0 / 3] } }
        let q = mul(q2, q1)
        func rotate(_ s: [Double]) -> [Double] { mul(mul(q, s), tr(q)) }
        func apply(_ v: [Double]) -> [Double] {
            var p = [Double](repeating: 0, count: 3)
            for i in 0..<3 { for k in 0..<3 { p[i] += q[i * 3 + k] * v[k] } }
            return p
        }
        let rotated = MultivariateGaussianFittingChain.wassersteinSquared(
            meanA: apply(a), covarianceA: rotate(diag(alpha)),
            meanB: apply(b), covarianceB: rotate(diag(beta)))
        // Positive β here: a zero eigenvalue rotated away comes back as ±1e-16 and its square root
        // as 1e-8, the conditioning of √· at 0, not an error of the formula.
        XCTAssertEqual(rotated, expected(beta), accuracy: 1e-10)
        let other = rotate(diag([3, 0.5, 1]))
        let ab = MultivariateGaussianFittingChain.wassersteinSquared(meanA: a, covarianceA: diag(alpha), meanB: b, covarianceB: other)
        let ba = MultivariateGaussianFittingChain.wassersteinSquared(meanA: b, covarianceA: other, meanB: a, covarianceB: diag(alpha))
        XCTAssertEqual(ab, ba, accuracy: 1e-10)
        XCTAssertGreaterThan(ab, 0)
        XCTAssertEqual(MultivariateGaussianFittingChain.wassersteinSquared(meanA: a, covarianceA: other, meanB: a, covarianceB: other), 0, accuracy: 1e-12)
    }

    /// At d = 1 the literal d-dimensional simulator consumes the same normals as the 1-D chain
    /// of G3 and must reproduce its path (up to rounding in the W₂ formula).
    func testOneDimensionalPathMatchesTheOneDimensionalChain() {
        for e in GaussianFittingTheory.Estimator.allCases {
            for regime in ClosedFormRegime.allCases {
                let g = 30
                let multi = MultivariateGaussianFittingChain(covariance: [[2.0]], estimator: e)
                let single = GaussianFittingChain(variance: 2, estimator: e)
                var outMulti = [Double](repeating: 0, count: multi.seriesCount * g), outSingle = [Double](repeating: 0, count: 4 * g)
                var rng = Xoshiro256StarStar(seed: 5, stream: [1])
                outMulti.withUnsafeMutableBufferPointer { multi.run(regime: regime, samples: 4, generations: g, rng: &rng, out: $0) }
                rng = Xoshiro256StarStar(seed: 5, stream: [1])
                outSingle.withUnsafeMutableBufferPointer { single.run(regime: regime, samples: 4, generations: g, rng: &rng, out: $0) }
                for n in 0..<g {
                    XCTAssertEqual(outMulti[n], outSingle[n], accuracy: 1e-12 * max(1, outSingle[n]))  // (μ̂ − μ)²
                    XCTAssertEqual(outMulti[g + n], outSingle[g + n], accuracy: 1e-12 * outSingle[g + n])  // σ̂²
                    XCTAssertEqual(outMulti[2 * g + n], outSingle[2 * g + n], accuracy: 1e-9)  // log σ̂²/σ²
                    XCTAssertEqual(outMulti[3 * g + n], outSingle[3 * g + n], accuracy: 1e-10 * max(1, outSingle[3 * g + n]))  // W₂²
                }
            }
        }
    }

    /// Per-replicate streams: the summary is bit-identical for any thread count.
    func testReplicatesIndependentOfThreadCount() {
        let chain = MultivariateGaussianFittingChain(covariance: ChainVerification.multivariateCovariance, estimator: .mle)
        func summary(_ threads: Int) -> ParallelReplicates.Summary {
            ParallelReplicates.run(repeats: 100, series: chain.seriesCount * 3, threads: threads) { rep, buffer in
                var rng = Xoshiro256StarStar(seed: 11, stream: [UInt64(rep)])
                chain.run(regime: .accumulate, samples: 5, generations: 3, rng: &rng, out: buffer)
            }
        }
        XCTAssertEqual(summary(1), summary(3))
    }

    /// Monte Carlo at d = 3 with a non-diagonal Σ: every entry of E Σ̂_n = s_n·Σ and of
    /// E(μ̂_n − μ)(μ̂_n − μ)ᵀ = e_n·Σ, E‖μ̂_n − μ‖², E tr Σ̂_n, E log det Σ̂_n (replace, M > d), and
    /// the simulated E W₂² inside the proved bounds; M = 10, 20 with both estimators and M = 3
    /// (singular fits, M ≤ d) with the MLE, both regimes. Each check: |mean − theory| ≤ z·SE
    /// (false alarm 1e-6 each, about 5e-4 over the test's ≈ 500 checks).
    func testClosedFormsByMonteCarlo() {
        let sigma = ChainVerification.multivariateCovariance
        let configs: [(Int, GaussianFittingTheory.Estimator)] = [(10, .unbiased), (10, .mle), (20, .unbiased), (20, .mle), (3, .mle)]
        for (ci, (m, e)) in configs.enumerated() {
            let chain = MultivariateGaussianFittingChain(covariance: sigma, estimator: e)
            let g = 4, d = 3
            for (ri, regime) in ClosedFormRegime.allCases.enumerated() {
                let summary = ParallelReplicates.run(repeats: 4000, series: chain.seriesCount * g, threads: 2) { rep, buffer in
                    var rng = Xoshiro256StarStar(seed: 21, stream: [UInt64(ci), UInt64(ri), UInt64(rep)])
                    chain.run(regime: regime, samples: m, generations: g, rng: &rng, out: buffer)
                }
                func at(_ series: Int, _ n: Int) -> (Double, Double) { (summary.mean[series * g + n - 1], summary.standardError[series * g + n - 1]) }
                for n in 1...g {
                    let what = "M=\(m) \(e) \(regime) n=\(n)"
                    let s = Theory.covarianceRatio(e, regime: regime, generation: n, samples: m)
                    let r = Theory.meanErrorRatio(e, regime: regime, generation: n, samples: m)
                    let t = Theory.moments(e, regime: regime, generation: n, samples: m, eigenvalues: chain.eigenvalues)
                    var exact: [(String, Int, Double)] = [
                        ("‖μ̂−μ‖²", MultivariateGaussianFittingChain.Series.meanSquaredError.rawValue, t.meanSquaredError),
                        ("tr Σ̂", MultivariateGaussianFittingChain.Series.trace.rawValue, t.expectedTrace)
                    ]
                    for i in 0..<d {
                        for j in i..<d {
                            exact.append(("Σ̂[\(i),\(j)]", chain.entrySeries(i, j), s * sigma[i][j]))
                            exact.append(("(μ̂−μ)(μ̂−μ)ᵀ[\(i),\(j)]", chain.entrySeries(i, j, meanOuter: true), r * sigma[i][j]))
                        }
                    }
                    if let logDet = t.expectedLogDeterminantRatio {
                        exact.append(("log det", MultivariateGaussianFittingChain.Series.logDeterminantRatio.rawValue, logDet))
                    }
                    XCTAssertEqual(t.expectedLogDeterminantRatio == nil, regime == .accumulate || m <= d)
                    for (label, series, theory) in exact {
                        let (mean, se) = at(series, n)
                        XCTAssertLessThan(abs(mean - theory), z * se, "\(what) \(label): \(mean) ± \(se) vs \(theory)")
                    }
                    let (w, se) = at(MultivariateGaussianFittingChain.Series.wassersteinSquared.rawValue, n)
                    XCTAssertLessThan(w, t.wassersteinUpper + z * se, "\(what) W₂² \(w) ± \(se) above \(t.wassersteinUpper)")
                    XCTAssertGreaterThan(w, t.wassersteinLower - z * se, "\(what) W₂² \(w) ± \(se) below \(t.wassersteinLower)")
                }
            }
        }
    }

    /// G4 item 2 (and the invariance under rotations of Σ) by a two-sample test: the cross term
    /// D_n = tr((Σ^{1/2}Σ̂_nΣ^{1/2})^{1/2}) of the literal chain with the non-diagonal Σ has the
    /// mean of ‖ΛR_n‖_*, R_n = K_1⋯K_n, built from independent triangular factors only: replace
    /// K = T/√c (Bartlett: T_ii = √χ²_{M−i}, T_il ~ N(0, 1) below the diagonal); accumulate K_n the
    /// Cholesky factor of (c_{n−1}I + TTᵀ + (1 − 1/n)ZZᵀ)/c_n. |z| < 4.89 per comparison
    /// (two-sided false alarm 1e-6; 32 comparisons).
    func testFactorRepresentationMatchesLiteralChain() {
        let g = 4, d = 3, repeats = 3000
        for m in [3, 8] {
            for e in GaussianFittingTheory.Estimator.allCases {
                for (ri, regime) in ClosedFormRegime.allCases.enumerated() {
                    let chain = MultivariateGaussianFittingChain(covariance: ChainVerification.multivariateCovariance, estimator: e)
                    let lambda = chain.eigenvalues, trace = lambda.reduce(0, +)
                    let literal = ParallelReplicates.run(repeats: repeats, series: g, threads: 2) { rep, buffer in
                        var rng = Xoshiro256StarStar(seed: 31, stream: [UInt64(m), UInt64(ri), UInt64(rep)])
                        var out = [Double](repeating: 0, count: chain.seriesCount * g)
                        out.withUnsafeMutableBufferPointer { chain.run(regime: regime, samples: m, generations: g, rng: &rng, out: $0) }
                        typealias S = MultivariateGaussianFittingChain.Series
                        for n in 0..<g {
                            // W₂² = ‖μ̂−μ‖² + tr Σ̂ + tr Σ − 2D_n.
                            buffer[n] =
                                (out[S.meanSquaredError.rawValue * g + n] + out[S.trace.rawValue * g + n] + trace
                                    - out[S.wassersteinSquared.rawValue * g + n]) / 2
                        }
                    }
                    let shift = e == .unbiased ? 1 : 0
                    let factor = ParallelReplicates.run(repeats: repeats, series: g, threads: 2) { rep, buffer in
                        var rng = Xoshiro256StarStar(seed: 32, stream: [UInt64(m), UInt64(ri), UInt64(rep)])
                        var r = [Double](repeating: 0, count: d * d)  // R_n, row-major, starts at I
                        for i in 0..<d { r[i * d + i] = 1 }
                        for n in 1...g {
                            var t = [Double](repeating: 0, count: d * d)
                            for i in 0..<d {
                                t[i * d + i] = m - 1 - i > 0 ? Gamma.chiSquare(degreesOfFreedom: Double(m - 1 - i), using: &rng).squareRoot() : 0
                                for l in 0..<i { t[i * d + l] = Normal.next(using: &rng) }
                            }
                            var k = [Double](repeating: 0, count: d * d)
                            if regime == .replace || n == 1 {
                                let c = Double(m - shift)
                                for i in 0..<(d * d) { k[i] = t[i] / c.squareRoot() }
                            } else {
                                let previous = Double((n - 1) * m - shift), current = Double(n * m - shift)
                                let z = (0..<d).map { _ in Normal.next(using: &rng) }
                                var x = [Double](repeating: 0, count: d * d)
                                for i in 0..<d {
                                    for j in 0..<d {
                                        var w = 0.0
                                        for l in 0..<d { w += t[i * d + l] * t[j * d + l] }
                                        x[i * d + j] = ((i == j ? previous : 0) + w + (1 - 1 / Double(n)) * z[i] * z[j]) / current
                                    }
                                }
                                for j in 0..<d {  // Cholesky, lower
                                    var diagonal = x[j * d + j]
                                    for l in 0..<j { diagonal -= k[j * d + l] * k[j * d + l] }
                                    k[j * d + j] = diagonal.squareRoot()
                                    for i in (j + 1)..<d {
                                        var v = x[i * d + j]
                                        for l in 0..<j { v -= k[i * d + l] * k[j * d + l] }
                                        k[i * d + j] = v / k[j * d + j]
                                    }
                                }
                            }
                            var next = [Double](repeating: 0, count: d * d)
                            for i in 0..<d { for j in 0..<d { for l in 0..<d { next[i * d + j] += r[i * d + l] * k[l * d + j] } } }
                            r = next
                            // ‖ΛR‖_* = tr((FFᵀ)^{1/2}) with F = ΛR, via W₂²(N(0, I), N(0, FFᵀ)) = d + tr FFᵀ − 2‖F‖_*.
                            var ffT = [Double](repeating: 0, count: d * d), traceFF = 0.0
                            for i in 0..<d {
                                for j in 0..<d {
                                    var v = 0.0
                                    for l in 0..<d { v += lambda[i] * r[i * d + l] * lambda[j] * r[j * d + l] }
                                    ffT[i * d + j] = v
                                }
                            }
                            for i in 0..<d { traceFF += ffT[i * d + i] }
                            let identity = (0..<(d * d)).map { $0 % (d + 1) == 0 ? 1.0 : 0 }
                            let w = MultivariateGaussianFittingChain.wassersteinSquared(
                                meanA: [0, 0, 0], covarianceA: identity,
                                meanB: [0, 0, 0], covarianceB: ffT)
                            buffer[n - 1] = (Double(d) + traceFF - w) / 2
                        }
                    }
                    for n in 0..<g {
                        let se = (literal.standardError[n] * literal.standardError[n] + factor.standardError[n] * factor.standardError[n]).squareRoot()
                        XCTAssertLessThan(
                            abs(literal.mean[n] - factor.mean[n]), z * se,
                            "M=\(m) \(e) \(regime) n=\(n + 1): literal \(literal.mean[n]) vs factor chain \(factor.mean[n]) ± \(se)")
                    }
                }
            }
        }
    }

    func testVerifyPointsPass() {
        let checks = ChainVerification.run(seed: 9, threads: 2, only: ["G5", "G6"])
        XCTAssertEqual(Set(checks.map(\.id)), ["G5", "G6"])
        XCTAssertEqual(checks.count, 2 * 3 * (7 + 6))
        for c in checks { XCTAssertLessThan(abs(c.z), z, "\(c.id) \(c.label) n=\(c.generation): \(c.mean) vs \(c.theory)") }
    }
}
