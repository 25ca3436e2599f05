import CollapseTheory
import Foundation
import ParametricChains
import Randomness
import XCTest

/// Proofs G3 (Gaussian refit) and W1 (categorical refit): closed forms against independent
/// computations, and the chains against the closed forms by Monte Carlo.
final class FittingChainTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func testDigammaAgainstKnownValues() {
        // ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2, ψ(n+1) = ψ(n) + 1/n.
        let gamma = 0.5772156649015329
        XCTAssertEqual(GaussianFittingTheory.digamma(1), -gamma, accuracy: 1e-14)
        XCTAssertEqual(GaussianFittingTheory.digamma(0.5), -gamma - 2 * log(2), accuracy: 1e-14)
        XCTAssertEqual(GaussianFittingTheory.digamma(5), -gamma + 1 + 0.5 + 1.0 / 3 + 0.25, accuracy: 1e-14)
        XCTAssertEqual(GaussianFittingTheory.digamma(123.4) - GaussianFittingTheory.digamma(122.4), 1 / 122.4, accuracy: 1e-14)
    }

    /// The MLE mean error sums a geometric series: (σ²/M)Σ_{k<n} q^k = σ²(1 − qⁿ).
    func testClosedFormsAgainstDirectSums() {
        for m in [2, 5, 30] {
            let q = Double(m - 1) / Double(m)
            for n in [1, 2, 7, 40] {
                XCTAssertEqual(GaussianFittingTheory.meanErrorRatio(.mle, generation: n, samples: m), 1 - pow(q, Double(n)), accuracy: 1e-13)
                XCTAssertEqual(GaussianFittingTheory.meanErrorRatio(.unbiased, generation: n, samples: m), Double(n) / Double(m), accuracy: 1e-13)
                XCTAssertEqual(GaussianFittingTheory.varianceRatio(.mle, generation: n, samples: m), pow(q, Double(n)), accuracy: 1e-15)
            }
        }
        // Collision: 1 − E S_n = (1 − 1/M)ⁿ(1 − S₀), checked against the one-step recursion.
        var s = 0.3
        for n in 1...25 {
            s += (1 - s) / 7
            XCTAssertEqual(CategoricalChainTheory.expectedCollision(generation: n, samples: 7, truthCollision: 0.3), s, accuracy: 1e-14)
        }
        // Zipf(1) on 4 symbols is ∝ 1, 1/2, 1/3, 1/4, i.e. (12, 6, 4, 3)/25.
        let zipf = CategoricalChainTheory.zipf(support: 4, exponent: 1)
        let expected: [Double] = [12, 6, 4, 3].map { $0 / 25 }
        for i in 0..<4 { XCTAssertEqual(zipf[i], expected[i], accuracy: 1e-15) }
    }

    /// Accumulate closed forms (proofs G3, W1): the MLE product tends to sin(π/√M)/(π/√M)
    /// (Euler's product for sine), and the mean error is the weighted Σ of the previous ratios.
    func testAccumulateClosedForms() {
        for m in [2, 5, 20] {
            let x = Double.pi / Double(m).squareRoot()
            let limit = sin(x) / x
            let far = GaussianFittingTheory.accumulateVarianceRatio(.mle, generation: 100_000, samples: m)
            XCTAssertEqual(far, limit, accuracy: 2e-5, "M=\(m)")  // tail of the product ≈ 1/(M·n)
            XCTAssertEqual(
                CategoricalChainTheory.accumulateExpectedCollision(generation: 100_000, samples: m, truthCollision: 0.2),
                1 - 0.8 * limit, accuracy: 2e-5)
            var direct = 0.0
            for k in 1...6 {
                let previous = k == 1 ? 1 : GaussianFittingTheory.accumulateVarianceRatio(.unbiased, generation: k - 1, samples: m)
                direct += previous / Double(k * k)
            }
            XCTAssertEqual(GaussianFittingTheory.accumulateMeanErrorRatio(.unbiased, generation: 6, samples: m), direct / Double(m), accuracy: 1e-15)
        }
        // Unbiased, M = 2: the product's limit is 2/3 (proof G3).
        XCTAssertEqual(GaussianFittingTheory.accumulateVarianceRatio(.unbiased, generation: 200_000, samples: 2), 2.0 / 3, accuracy: 1e-5)
    }

    func testChainsMatchClosedFormsByMonteCarlo() {
        let checks = ChainVerification.run(seed: 9, threads: 2, only: ["G3", "G4", "W1"])
        XCTAssertEqual(Set(checks.map(\.id)), ["G3", "G4", "W1"])
        for c in checks { XCTAssertLessThan(abs(c.z), z, "\(c.id) \(c.label) n=\(c.generation): \(c.mean) vs \(c.theory)") }
    }

    /// Replace absorbs at a point mass; accumulate keeps every symbol it has seen.
    func testCategoricalAbsorptionUnderReplaceNotUnderAccumulate() {
        let chain = CategoricalChain(truth: [0.5, 0.5])
        var absorbedReplace = 0, absorbedAccumulate = 0
        var out = [Double](repeating: 0, count: 3 * 200)
        for rep in 0..<200 {
            var rng = Xoshiro256StarStar(seed: 2, stream: [UInt64(rep)])
            out.withUnsafeMutableBufferPointer { chain.run(regime: .replace, samples: 10, generations: 200, rng: &rng, out: $0) }
            absorbedReplace += Int(out[3 * 200 - 1])
            rng = Xoshiro256StarStar(seed: 3, stream: [UInt64(rep)])
            out.withUnsafeMutableBufferPointer { chain.run(regime: .accumulate, samples: 10, generations: 200, rng: &rng, out: $0) }
            absorbedAccumulate += Int(out[3 * 200 - 1])
        }
        // Wright–Fisher with M = 10 from (1/2, 1/2): E[2p̂(1 − p̂)] = 0.5·0.9²⁰⁰ ≈ 3.5e-10 and a
        // non-absorbed state has 2p̂(1 − p̂) ≥ 0.18, so P(not absorbed) ≤ 2e-9 per replicate
        // (false alarm ≤ 4e-7 over 200).
        XCTAssertEqual(absorbedReplace, 200)
        // Accumulate is absorbed only if generation 1 draws a single symbol (2·2⁻¹⁰ per replicate,
        // ≈ 0.39 expected of 200): P(≥ 8) ≈ 1e-8.
        XCTAssertLessThan(absorbedAccumulate, 8)
    }
}
