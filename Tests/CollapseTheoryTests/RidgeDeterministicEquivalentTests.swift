import CollapseTheory
import Foundation
import XCTest

/// Proof R1: the ridge deterministic equivalent, against independent computations.
final class RidgeDeterministicEquivalentTests: XCTestCase {
    typealias DE = RidgeDeterministicEquivalent

    /// Σ = I: `κ − λ = κγ/(1 + κ)` (γ = d/T) is the quadratic `κ² + (1 − λ − γ)κ − λ = 0`,
    /// whose positive root is `κ = [(λ + γ − 1) + √((1 − λ − γ)² + 4λ)]/2`.
    func testIsotropicKappaIsTheQuadraticRoot() {
        for (d, t) in [(50, 100), (100, 50), (100, 100), (1, 7)] {
            for lambda in [1e-6, 0.01, 0.3, 1, 20] {
                let gamma = Double(d) / Double(t)
                let expected = ((lambda + gamma - 1) + ((1 - lambda - gamma) * (1 - lambda - gamma) + 4 * lambda).squareRoot()) / 2
                let k = DE.kappa(eigenvalues: Array(repeating: 1, count: d), samples: t, ridge: lambda)!
                XCTAssertEqual(k, expected, accuracy: 1e-12 * max(1, expected), "d=\(d) T=\(t) λ=\(lambda)")
            }
        }
    }

    /// The fixed-point equation holds for a general spectrum, and κ is increasing in λ.
    func testKappaSolvesTheFixedPointForPowerLaws() {
        for beta in [0.5, 1.0, 2.5] {
            let s = RidgeSpectrum.powerLaw(dimension: 300, beta: beta, source: 0.5).eigenvalues
            for t in [30, 300, 1000] {
                var previous = 0.0
                for lambda in [0.0, 1e-9, 1e-5, 1e-2, 1] {
                    guard let k = DE.kappa(eigenvalues: s, samples: t, ridge: lambda) else {
                        XCTAssertTrue(lambda == 0 && t == 300); continue
                    }
                    let residual = k - lambda - k * DE.degreesOfFreedom(1, eigenvalues: s, kappa: k) / Double(t)
                    XCTAssertEqual(residual, 0, accuracy: 1e-12 * max(k, 1e-300) + 1e-300, "β=\(beta) T=\(t) λ=\(lambda)")
                    XCTAssertGreaterThanOrEqual(k, previous)
                    XCTAssertLessThan(DE.degreesOfFreedom(2, eigenvalues: s, kappa: k), Double(t), "1 − df₂/T > 0 at the root")
                    previous = k
                }
            }
        }
    }

    /// Golden values: Hastie, Montanari, Rosset & Tibshirani (2022), isotropic ridgeless
    /// least squares with `γ = d/T`, `r² = ‖w*‖²`: `γ < 1`: bias 0, variance `σ²γ/(1 − γ)`;
    /// `γ > 1`: bias `r²(1 − 1/γ)`, variance `σ²/(γ − 1)`. The DE's ridgeless collapse factor is
    /// `d` for `γ < 1` and `T` for `γ > 1` — exactly `tr(X⁺X) = rank X` as Σ = I.
    func testIsotropicRidgelessMatchesHastieEtAl() {
        let s2 = 0.7, r2 = 2.0
        for (d, t) in [(40, 100), (200, 100), (300, 60)] {
            let gamma = Double(d) / Double(t)
            let terms = DE.terms(
                spectrum: .isotropic(dimension: d, signalVariance: r2), samples: t, noiseVariance: s2, ridge: 0,
                syntheticGenerations: 0, generatorSamples: 0, generatorNoiseVariance: 0)!
            if gamma < 1 {
                XCTAssertEqual(terms.bias, 0)
                XCTAssertEqual(terms.variance, s2 * gamma / (1 - gamma), accuracy: 1e-12)
                XCTAssertEqual(terms.collapseFactor, Double(d), accuracy: 1e-9)
            } else {
                XCTAssertEqual(terms.bias, r2 * (1 - 1 / gamma), accuracy: 1e-12)
                XCTAssertEqual(terms.variance, s2 / (gamma - 1), accuracy: 1e-12)
                XCTAssertEqual(terms.collapseFactor, Double(t), accuracy: 1e-9)
            }
        }
        XCTAssertNil(
            DE.terms(
                spectrum: .isotropic(dimension: 50), samples: 50, noiseVariance: 1, ridge: 0,
                syntheticGenerations: 0, generatorSamples: 0, generatorNoiseVariance: 0), "d = T ridgeless: infinite")
    }

    /// λ → 0 with `T > d`: the DE tends to `σ²d/(T − d) + nσ₀²d/(T₀ − d − 1)`. The exact
    /// Gaussian-design OLS value (proof D1, `FreshDesignTheory.dohmatob`) has `T − d − 1` in the
    /// first denominator: the collapse terms agree exactly, the variance to `O(1/(T − d))`.
    func testSmallRidgeLimitMatchesTheOLSClosedForm() {
        let d = 30, t = 90, t0 = 50, s2 = 0.5, s0 = 2.0, n = 4
        for spectrum in [RidgeSpectrum.isotropic(dimension: d), .powerLaw(dimension: d, beta: 1.5, source: 0.3)] {
            let ols = FreshDesignTheory.dohmatob(
                dimension: d, syntheticGenerations: n, generatorSamples: t0, generatorNoiseVariance: s0,
                samples: t, noiseVariance: s2)!
            let collapse = Double(n) * s0 * Double(d) / Double(t0 - d - 1)
            XCTAssertEqual(ols - collapse, s2 * Double(d) / Double(t - d - 1), accuracy: 1e-12)
            for lambda in [1e-7, 1e-9] {
                let terms = DE.terms(
                    spectrum: spectrum, samples: t, noiseVariance: s2, ridge: lambda, syntheticGenerations: n,
                    generatorSamples: t0, generatorNoiseVariance: s0)!
                XCTAssertEqual(terms.collapse, collapse, accuracy: 1e-4 * collapse)
                XCTAssertEqual(terms.variance, s2 * Double(d) / Double(t - d), accuracy: 1e-4)
                XCTAssertEqual(terms.bias, 0, accuracy: 1e-6)
            }
        }
    }

    /// THEORY §3.3's collapse bracket `df₂ + κ²tr(Σ+κ)⁻²·df₂/(T − df₂)` equals the direct DE of
    /// `d − 2λ tr R + λ² tr(RΣRΣ⁻¹)` (R1, Step 4): `2df₁ − d + κ²tr(Σ+κ)⁻²·T/(T − df₂)`.
    func testCollapseFactorEqualsTheDirectForm() {
        let spectrum = RidgeSpectrum.powerLaw(dimension: 120, beta: 1.2, source: 0.8)
        for (t, lambda) in [(60, 0.01), (240, 0.001), (120, 0.5)] {
            let terms = DE.terms(
                spectrum: spectrum, samples: t, noiseVariance: 1, ridge: lambda, syntheticGenerations: 1,
                generatorSamples: 200, generatorNoiseVariance: 1)!
            let k = terms.kappa
            let shrunk = spectrum.eigenvalues.reduce(0) { $0 + k * k / (($1 + k) * ($1 + k)) }
            let direct = 2 * terms.df1 - Double(spectrum.dimension) + shrunk * Double(t) / (Double(t) - terms.df2)
            XCTAssertEqual(terms.collapseFactor, direct, accuracy: 1e-10 * direct)
            // And the bias against its definition with the explicit sum.
            let biasSum = zip(spectrum.eigenvalues, spectrum.truth).reduce(0) { $0 + k * k * $1.0 * $1.1 * $1.1 / (($1.0 + k) * ($1.0 + k)) }
            XCTAssertEqual(terms.bias, biasSum / (1 - terms.df2 / Double(t)), accuracy: 1e-12)
        }
    }

    /// R1, Step 6: in the deterministic equivalent the collapse term is extra label noise,
    /// `V + C = σ̃²·df₂/(T − df₂)` with `σ̃² = σ² + c(T − df₂ + K)`, `K = κ²tr(Σ+κI)⁻² ∈ [0, d]`.
    func testCollapseActsAsExtraLabelNoise() {
        let spectrum = RidgeSpectrum.powerLaw(dimension: 80, beta: 1.7, source: 0.6)
        for (t, lambda, n) in [(40, 0.02, 3), (400, 0.001, 1), (90, 0.3, 7)] {
            let e = DE.terms(
                spectrum: spectrum, samples: t, noiseVariance: 0.3, ridge: lambda, syntheticGenerations: n,
                generatorSamples: 150, generatorNoiseVariance: 0.8)!
            let k = e.kappa, tt = Double(t)
            let shrunk = spectrum.eigenvalues.reduce(0) { $0 + k * k / (($1 + k) * ($1 + k)) }
            XCTAssertTrue(shrunk >= 0 && shrunk <= 80)
            let c = Double(n) * 0.8 / Double(150 - 80 - 1)
            XCTAssertEqual(e.collapseScale, c, accuracy: 1e-15)
            let effective = 0.3 + c * (tt - e.df2 + shrunk)
            XCTAssertEqual(e.variance + e.collapse, effective * e.df2 / (tt - e.df2), accuracy: 1e-12 * (e.variance + e.collapse))
        }
    }

    /// Power-law spectrum and source normalisation as documented.
    func testPowerLawConstructor() {
        let sp = RidgeSpectrum.powerLaw(dimension: 10, beta: 2, source: 0.25, signalVariance: 3)
        XCTAssertEqual(sp.eigenvalues[0], 1)
        XCTAssertEqual(sp.eigenvalues[9], 0.01, accuracy: 1e-15)
        XCTAssertEqual(sp.signalVariance, 3, accuracy: 1e-12)
        // s_i w_i² ∝ i^{−(1 + 2βr)} = i^{−2}.
        let ratio = (sp.eigenvalues[4] * sp.truth[4] * sp.truth[4]) / (sp.eigenvalues[0] * sp.truth[0] * sp.truth[0])
        XCTAssertEqual(ratio, pow(5, -2), accuracy: 1e-14)
        XCTAssertNil(RidgeSpectrum(eigenvalues: [1, 0], truth: [1, 1]))
        XCTAssertNil(RidgeSpectrum(eigenvalues: [1], truth: [1, 1]))
    }

    /// The optimiser against a dense grid (4001 points per 14 decades): its value is never above
    /// the grid minimum (beyond rounding), and λ* lies within one dense-grid cell of the grid argmin.
    func testOptimalRidgeBeatsADenseGrid() {
        let cases: [(RidgeSpectrum, Int, Double, Int, Int, Double)] = [
            (.isotropic(dimension: 50), 100, 1, 0, 0, 0),
            (.isotropic(dimension: 50), 100, 0.2, 5, 80, 1),
            (.powerLaw(dimension: 200, beta: 1.5, source: 0.5), 100, 0.05, 3, 400, 0.5),
            (.powerLaw(dimension: 200, beta: 1, source: 1), 400, 0.01, 10, 300, 1)
        ]
        for (spectrum, t, s2, n, t0, s0) in cases {
            guard
                let (opt, atBoundary) = DE.optimalRidge(
                    spectrum: spectrum, samples: t, noiseVariance: s2, syntheticGenerations: n,
                    generatorSamples: t0, generatorNoiseVariance: s0)
            else {
                return XCTFail("no optimum")
            }
            XCTAssertFalse(atBoundary)
            var bestValue = Double.infinity, bestLambda = 0.0
            let top = spectrum.eigenvalues.max()!
            for j in 0...4000 {
                let l = top * pow(10, -10 + 14 * Double(j) / 4000)
                let v = DE.terms(
                    spectrum: spectrum, samples: t, noiseVariance: s2, ridge: l, syntheticGenerations: n,
                    generatorSamples: t0, generatorNoiseVariance: s0)!.total
                if v < bestValue { bestValue = v; bestLambda = l }
            }
            XCTAssertLessThanOrEqual(opt.total, bestValue * (1 + 1e-12))
            XCTAssertEqual(log10(opt.ridge), log10(bestLambda), accuracy: 14.0 / 4000 * 1.01)
        }
    }

    /// Synthetic generations raise the optimal penalty (the collapse term is a variance-like
    /// term, so more of it calls for more shrinkage) and the optimal risk.
    func testOptimalRidgeGrowsWithGenerations() {
        let spectrum = RidgeSpectrum.powerLaw(dimension: 150, beta: 1.5, source: 0.5)
        var previous: RidgeDeterministicEquivalent.Terms?
        for n in [0, 1, 4, 16] {
            let opt = DE.optimalRidge(
                spectrum: spectrum, samples: 200, noiseVariance: 0.1, syntheticGenerations: n,
                generatorSamples: 400, generatorNoiseVariance: 0.5)!.terms
            if let p = previous {
                XCTAssertGreaterThan(opt.ridge, p.ridge)
                XCTAssertGreaterThan(opt.total, p.total)
            }
            previous = opt
        }
        XCTAssertNil(
            DE.optimalRidge(
                spectrum: spectrum, samples: 200, noiseVariance: 0.1, syntheticGenerations: 1,
                generatorSamples: 151, generatorNoiseVariance: 0.5), "T₀ < d + 2: infinite collapse term")
    }
}
