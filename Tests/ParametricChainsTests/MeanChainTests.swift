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

    /// Poisson sampler: mean and variance (both μ; the sample variance's SE uses μ₄ = μ + 3μ²),
    /// across the piece boundary at μ = 16, false-alarm 1e-6 each.
    func testPoissonSamplerMoments() {
        for mu in [0.2, 3, 16, 40.5, 300] {
            var rng = Xoshiro256StarStar(seed: 11, stream: [UInt64(mu * 10)])
            let n = 100_000
            let xs = (0..<n).map { _ in Double(Poisson.next(mean: mu, using: &rng)) }
            let mean = xs.reduce(0, +) / Double(n)
            let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            XCTAssertLessThan(abs(mean - mu), z * (mu / Double(n)).squareRoot(), "μ=\(mu) mean")
            let mu4 = mu + 3 * mu * mu
            XCTAssertLessThan(abs(variance - mu), z * ((mu4 - mu * mu) / Double(n)).squareRoot(), "μ=\(mu) variance")
        }
        var rng = Xoshiro256StarStar(seed: 1)
        XCTAssertEqual(Poisson.next(mean: 0, using: &rng), 0)
        // The pmf across the piece boundary (μ = 16.5 = 16 + 0.5): chi-square over bins with
        // expected count ≥ 50, critical value for false-alarm 1e-6 by Wilson–Hilferty.
        let mu = 16.5, n = 200_000
        var counts = [Int](repeating: 0, count: 60)
        for _ in 0..<n { counts[min(Poisson.next(mean: mu, using: &rng), 59)] += 1 }
        var chi2 = 0.0, bins = 0, pending = 0.0, pendingCount = 0
        for k in 0..<60 {
            pending += (k == 59 ? 1 - (0..<59).reduce(0) { $0 + poissonPMF($1, mu) } : poissonPMF(k, mu)) * Double(n)
            pendingCount += counts[k]
            if pending >= 50 || k == 59 {
                chi2 += (Double(pendingCount) - pending) * (Double(pendingCount) - pending) / pending
                bins += 1; pending = 0; pendingCount = 0
            }
        }
        let df = Double(bins - 1), zq = NormalDistribution.quantile(1 - 1e-6)
        let critical = df * pow(1 - 2 / (9 * df) + zq * (2 / (9 * df)).squareRoot(), 3)
        XCTAssertLessThan(chi2, critical, "Poisson(16.5) pmf: χ² = \(chi2) on \(bins - 1) df")
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
