import CollapseCore
import CollapseTheory
import Foundation
import ParametricChains
import Randomness
import XCTest

/// Ties the mixing chain of proof G1 — the literal loop `MixingChain` (`collapse verify` G1,
/// G2) and the closed form `GoldenRatioMixing.meanSquaredError` (`collapse theory --model
/// mixing`) — to `GenerationScheduler`.
///
/// **The scheduler's version of the chain.** `fresh-real(1/2)` with `T = 2M` trains generation
/// `n ≥ 2` on `M` fresh real points and `M` points sampled from the previous fit, and
/// `WeightedMixingMean` fits `μ̂_n = w·r_n + (1 − w)·s_n` (the means of the real and the
/// synthetic points): generations `n ≥ 2` are exactly G1's. Generation 1 is not: the scheduler
/// keeps every training set at `T` points, so generation 1 fits `2M` real points (`Var δ₁ = b/2`,
/// `b = σ²/M`) where G1 fits `M` (`Var δ₁ = b`). No regime of the scheduler trains on `M` points
/// and then on `2M`, so the tie accounts for that one difference exactly: unrolling G1's
/// eq. (1), `δ_n = (1 − w)^{n−1}δ₁ + ξ_n`, where `ξ_n` is a fixed combination of the draws of
/// generations `2 … n` — independent of `δ₁` and with the same law in both paths. Hence
/// `E δ_n²(G1) − E δ_n²(scheduler) = q^{n−1}(b − b/2)`, `q = (1 − w)²`, for every `n ≥ 1`,
/// and the scheduler's exact curve is `GoldenRatioMixing(n) − q^{n−1}·b/2`.
///
/// The streams differ (the scheduler samples `2M` synthetic points and uses the last `M`, and
/// draws the synthetic data before the fresh real data), so the ties are statistical.
final class MixingSchedulerTieTests: XCTestCase {
    /// A Gaussian-mean model with known `σ` whose fit weights the real and the synthetic points:
    /// `μ̂ = w·mean(real) + (1 − w)·mean(synthetic)`, or the plain mean when the set has one kind.
    struct WeightedMixingMean: GenerativeModel {
        struct Sample: TrainingData {
            var values: [Double]
            var isReal: [Bool]
            var count: Int { values.count }
            static func concatenating(_ parts: [Sample]) -> Sample {
                Sample(values: parts.flatMap(\.values), isReal: parts.flatMap(\.isReal))
            }
            func subset(_ indices: [Int]) -> Sample { Sample(values: indices.map { values[$0] }, isReal: indices.map { isReal[$0] }) }
        }
        let sd: Double
        let weight: Double
        var mean = 0.0

        mutating func fit(_ data: Sample) throws {
            var real = 0.0, synthetic = 0.0, realCount = 0, syntheticCount = 0
            for i in 0..<data.count {
                if data.isReal[i] { real += data.values[i]; realCount += 1 } else { synthetic += data.values[i]; syntheticCount += 1 }
            }
            if syntheticCount == 0 {
                mean = real / Double(realCount)
            } else if realCount == 0 {
                mean = synthetic / Double(syntheticCount)
            } else {
                mean = weight * real / Double(realCount) + (1 - weight) * synthetic / Double(syntheticCount)
            }
        }

        mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Sample {
            Sample(values: (0..<count).map { _ in mean + sd * Normal.next(using: &rng) }, isReal: [Bool](repeating: false, count: count))
        }

        /// `(μ̂ − μ)²` with truth `μ = 0`.
        func evaluate() -> Double { mean * mean }
    }

    static func realSample(_ count: Int, sd: Double, rng: inout Xoshiro256StarStar) -> WeightedMixingMean.Sample {
        .init(values: (0..<count).map { _ in sd * Normal.next(using: &rng) }, isReal: [Bool](repeating: true, count: count))
    }

    /// Per weight (w*, the G2 weight 0.3, and 0.9) and generation 1 … 10, with `R = 20000`
    /// replicates of each path (σ² = 1, M = 10):
    /// - one-sample: scheduler mean of `δ_n²` against its exact value `GoldenRatioMixing(n) − q^{n−1}b/2`;
    /// - two-sample: `MixingChain` against the scheduler, Welch
    ///   `z = (mean_fast − mean_scheduler − q^{n−1}b/2)/√(SE²_fast + SE²_scheduler)`.
    /// Threshold z* for a family-wise two-sided false alarm of 1e-4 over the 60 statistics
    /// (Bonferroni, z* ≈ 4.8 each): any seed passes with probability ≥ 1 − 1e-4. `δ_n` is
    /// Gaussian, so `δ_n²` has every moment and R = 20000 makes its mean's normal
    /// approximation accurate in that tail. Swapping `w` and `1 − w`, or fitting the plain
    /// pooled mean, moves some statistic by more than 20 SE.
    func testMixingChainMatchesTheSchedulerPath() {
        let variance = 1.0, m = 10, generations = 10, repeats = 20000
        let b = variance / Double(m), sd = variance.squareRoot()
        let weights = [GoldenRatioMixing.optimalWeight, 0.3, 0.9]
        let zStar = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-4 / Double(2 * weights.count * generations))
        for (wi, w) in weights.enumerated() {
            let chain = MixingChain(variance: variance, weight: w)
            let fast = ParallelReplicates.run(repeats: repeats, series: generations, threads: 2) { rep, buffer in
                var rng = Xoshiro256StarStar(seed: 64, stream: [UInt64(wi), UInt64(rep)])
                chain.run(samples: m, generations: generations, rng: &rng, errors: buffer)
            }
            let scheduler = ParallelReplicates.run(repeats: repeats, series: generations, threads: 2) { rep, buffer in
                var rng = Xoshiro256StarStar(seed: 65, stream: [UInt64(wi), UInt64(rep)])
                var fresh = Xoshiro256StarStar(seed: 65, stream: [UInt64(wi), UInt64(rep), 1])
                var unused = Xoshiro256StarStar(seed: 0)
                var model = WeightedMixingMean(sd: sd, weight: w)
                let real = MixingSchedulerTieTests.realSample(2 * m, sd: sd, rng: &rng)
                let errors = try! GenerationScheduler<WeightedMixingMean>(regime: .freshReal(realFraction: 0.5), generations: generations)
                    .run(
                        model: &model, realData: real, sampling: &rng, subsampling: &unused,
                        freshReal: { _ in MixingSchedulerTieTests.realSample(m, sd: sd, rng: &fresh) })
                for n in 0..<generations { buffer[n] = errors[n] }
            }
            let q = (1 - w) * (1 - w)
            for n in 1...generations {
                let offset = pow(q, Double(n - 1)) * b / 2  // E δ_n²(G1) − E δ_n²(scheduler)
                let exact = GoldenRatioMixing.meanSquaredError(generation: n, weight: w, base: b) - offset
                let (ms, ss) = (scheduler.mean[n - 1], scheduler.standardError[n - 1])
                let (mf, sf) = (fast.mean[n - 1], fast.standardError[n - 1])
                let zExact = (ms - exact) / ss
                let zTwo = (mf - ms - offset) / (sf * sf + ss * ss).squareRoot()
                XCTAssertLessThan(abs(zExact), zStar, "w=\(w) generation \(n): scheduler \(ms) ± \(ss) vs exact \(exact)")
                XCTAssertLessThan(abs(zTwo), zStar, "w=\(w) generation \(n): MixingChain \(mf) ± \(sf) vs scheduler \(ms) ± \(ss) + \(offset)")
            }
        }
    }
}
