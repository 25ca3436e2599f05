import CollapseCore
import CollapseTheory
import Foundation
import ParametricChains
import Randomness
import XCTest

/// Proofs U1 and G1: closed forms against independent computations, the Poisson sampler, and
/// the literal chains against the closed forms by Monte Carlo.
final class MeanChainTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func poissonPMF(_ k: Int, _ mean: Double) -> Double { exp(Double(k) * log(mean) - mean - lgamma(Double(k) + 1)) }

    /// Brute force over the first generation's count (M = 1, two generations), independent of
    /// the martingale argument: replace E(λ̂₂ − λ)² = Σ_k p(k)[k + (k − λ)²] = 2λ; accumulate
    /// λ̂₂ = (k + X₂)/2 gives Σ_k p(k)[(k − λ)² + k/4] = 1.25λ.
    func testPoissonClosedFormsAgainstBruteForceSums() {
        for lambda in [0.3, 2.0, 7.5] {
            var replace = 0.0, accumulate = 0.0
            for k in 0..<200 {
                let p = poissonPMF(k, lambda), kd = Double(k)
                replace += p * (kd + (kd - lambda) * (kd - lambda))
                accumulate += p * ((kd - lambda) * (kd - lambda) + kd / 4)
            }
            XCTAssertEqual(MeanChainTheory.meanSquaredError(.replace, generation: 2, variance: lambda, samples: 1), replace, accuracy: 1e-12 * replace)
            XCTAssertEqual(MeanChainTheory.meanSquaredError(.accumulate, generation: 2, variance: lambda, samples: 1), accumulate, accuracy: 1e-12 * accumulate)
        }
        XCTAssertEqual(MeanChainTheory.meanSquaredError(.replace, generation: 7, variance: 2, samples: 4), 3.5)
        XCTAssertEqual(MeanChainTheory.meanSquaredError(.accumulate, generation: 1, variance: 2, samples: 4), 0.5)
    }

    /// The closed form of G1 against its defining recursion v₁ = b, v_n = w²b + (1 − w)²(v_{n−1} + b),
    /// and the optimum: w* minimises v_∞ (checked on a fine grid) with v_∞(w*) = w*·b.
    func testMixingClosedFormAgainstRecursionAndOptimum() {
        let b = 0.37
        for w in [0.05, 0.3, GoldenRatioMixing.optimalWeight, 0.9, 1.0] {
            var v = b
            for n in 1...60 {
                if n > 1 { v = w * w * b + (1 - w) * (1 - w) * (v + b) }
                XCTAssertEqual(GoldenRatioMixing.meanSquaredError(generation: n, weight: w, base: b), v, accuracy: 1e-13, "w=\(w) n=\(n)")
            }
        }
        let wStar = GoldenRatioMixing.optimalWeight
        XCTAssertEqual(wStar, 0.6180339887498949, accuracy: 1e-15)
        XCTAssertEqual(GoldenRatioMixing.longRunFactor(weight: wStar), wStar, accuracy: 1e-14)
        let grid = stride(from: 0.001, through: 1.0, by: 0.001).map { ($0, GoldenRatioMixing.longRunFactor(weight: $0)) }
        let best = grid.min { $0.1 < $1.1 }!
        XCTAssertEqual(best.0, wStar, accuracy: 0.001)
        XCTAssertEqual(GoldenRatioMixing.longRunFactor(weight: 1), 1)
    }

    /// The chain battery of `collapse verify` (U1, U2, G1–G6, W1), each z within its 1e-6 bound.
    func testChainsMatchTheirClosedForms() {
        let checks = ChainVerification.run(seed: 5, threads: 2)
        XCTAssertEqual(Set(checks.map(\.id)), ["U1", "U2", "G1", "G2", "G3", "G4", "G5", "G6", "W1"])
        for c in checks {
            XCTAssertLessThan(abs(c.z), z, "\(c.id) \(c.label) n=\(c.generation): \(c.mean) vs \(c.theory)")
        }
        // Power: the off-by-one curve (n+1)·λ/M is rejected (here at n = 2: 0.45 against 0.30).
        let second = checks.first { $0.id == "U1" && $0.label == "replace" && $0.generation == 2 }!
        XCTAssertGreaterThan(abs(second.mean - 3 * 3.0 / 20) / second.standardError, z)
    }

    /// Same seed, same summaries, whatever the thread count.
    func testParallelReplicatesAreDeterministic() {
        let simulate: @Sendable (Int, UnsafeMutableBufferPointer<Double>) -> Void = { rep, buffer in
            var rng = Xoshiro256StarStar(seed: 3, stream: [UInt64(rep)])
            MeanChain.poisson(rate: 2).run(regime: .accumulate, samples: 5, generations: 6, rng: &rng, errors: buffer)
        }
        let one = ParallelReplicates.run(repeats: 333, series: 6, threads: 1, simulate: simulate)
        for threads in [2, 5] {
            XCTAssertEqual(ParallelReplicates.run(repeats: 333, series: 6, threads: threads, simulate: simulate), one)
        }
    }

    /// w = 1 is real data alone: every generation's error has mean b exactly.
    func testMixingWithWeightOneIsRealDataAlone() {
        XCTAssertTrue((1...20).allSatisfy { GoldenRatioMixing.meanSquaredError(generation: $0, weight: 1, base: 0.2) == 0.2 })
    }
}
