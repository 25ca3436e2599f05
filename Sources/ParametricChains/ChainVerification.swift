import CollapseCore
import CollapseTheory
import Randomness

/// Monte Carlo against the exact results of proofs U1 (Poisson and Gaussian-mean chains), G1
/// (mixing fresh real with synthetic data), G3 and G4 (Gaussian refits, 1-D and d-dimensional)
/// and W1 (categorical refits).
/// Each check is `z = (mean − theory)/SE` over `R` replicates of a per-replicate statistic
/// (squared error, variance estimate, log-variance or collision probability); the caller
/// compares every z with one Bonferroni threshold.
public enum ChainVerification {
    /// One parameter point of the battery.
    public struct Point: Sendable {
        public var id: String
        public var purpose: String
        public var samples: Int
        public var generations: Int
        public var reported: [Int]
        public var repeats: Int
        public var model: Model
    }

    public enum Model: Sendable {
        case mean(MeanChain)
        case mixing(MixingChain)
        case gaussianFitting(GaussianFittingChain)
        case categorical(CategoricalChain)
        case multivariateFitting(MultivariateGaussianFittingChain)
    }

    /// One check: which statistic, at which generation, against which closed form.
    public struct Check: Sendable {
        public var id: String
        public var label: String
        public var parameters: String
        public var generation: Int
        public var mean: Double
        public var standardError: Double
        public var theory: Double
        public var z: Double
    }

    public static let battery: [Point] = [
        Point(
            id: "U1", purpose: "Poisson-rate MLE: replace n·λ/M, accumulate (λ/M)Σ1/i² (proof U1)",
            samples: 20, generations: 20, reported: [1, 2, 5, 20], repeats: 20000, model: .mean(.poisson(rate: 3))),
        Point(
            id: "U2", purpose: "Gaussian-mean MLE: replace n·σ²/M, accumulate (σ²/M)Σ1/i² (proof U1)",
            samples: 10, generations: 20, reported: [1, 2, 5, 20], repeats: 20000, model: .mean(.gaussianMean(variance: 2))),
        Point(
            id: "G1", purpose: "mixing real and synthetic at w* = (√5−1)/2: v_n → 0.618·σ²/M (proof G1)",
            samples: 10, generations: 30, reported: [1, 2, 5, 30], repeats: 20000,
            model: .mixing(MixingChain(variance: 1, weight: GoldenRatioMixing.optimalWeight))),
        Point(
            id: "G2", purpose: "mixing with w = 0.3: v_n → 1.14·σ²/M, worse than real data alone (proof G1)",
            samples: 10, generations: 30, reported: [1, 30], repeats: 20000, model: .mixing(MixingChain(variance: 1, weight: 0.3))),
        Point(
            id: "G3", purpose: "Gaussian refit, unbiased variance: E(μ̂−μ)² = nσ²/M, E σ̂² = σ², E log σ̂² ↓ linearly (proof G3)",
            samples: 10, generations: 10, reported: [1, 5, 10], repeats: 20000,
            model: .gaussianFitting(GaussianFittingChain(variance: 1, estimator: .unbiased))),
        Point(
            id: "G4", purpose: "Gaussian refit, MLE variance: E σ̂² = ((M−1)/M)ⁿσ², E(μ̂−μ)² = σ²(1−((M−1)/M)ⁿ) (proof G3)",
            samples: 10, generations: 10, reported: [1, 5, 10], repeats: 20000,
            model: .gaussianFitting(GaussianFittingChain(variance: 1, estimator: .mle))),
        Point(
            id: "W1", purpose: "categorical refit (Zipf K = 10, s = 1.1): 1 − E S_n = (1 − 1/M)ⁿ(1 − S₀) (proof W1)",
            samples: 20, generations: 30, reported: [1, 5, 30], repeats: 20000,
            model: .categorical(CategoricalChain(truth: CategoricalChainTheory.zipf(support: 10, exponent: 1.1)))),
        Point(
            id: "G5", purpose: "d = 3 Gaussian refit, unbiased covariance: E Σ̂ = Σ, E(μ̂−μ)(μ̂−μ)ᵀ = nΣ/M, E log det, W₂² bounds; accumulate (proof G4)",
            samples: 10, generations: 5, reported: [1, 3, 5], repeats: 20000,
            model: .multivariateFitting(MultivariateGaussianFittingChain(covariance: multivariateCovariance, estimator: .unbiased))),
        Point(
            id: "G6", purpose: "d = 3 Gaussian refit, MLE covariance: E Σ̂ = qⁿΣ, E(μ̂−μ)(μ̂−μ)ᵀ = (1−qⁿ)Σ, E log det, W₂² bounds; accumulate (proof G4)",
            samples: 20, generations: 5, reported: [1, 3, 5], repeats: 20000,
            model: .multivariateFitting(MultivariateGaussianFittingChain(covariance: multivariateCovariance, estimator: .mle)))
    ]

    /// Runs the points whose ids are in `only` (all when nil).
    public static func run(seed: UInt64, threads: Int, only: Set<String>? = nil) -> [Check] {
        var checks: [Check] = []
        for (index, point) in battery.enumerated() where only?.contains(point.id) ?? true {
            let m = point.samples, nGen = point.generations
            switch point.model {
            case let .mean(chain):
                for (ri, regime) in [ClosedFormRegime.replace, .accumulate].enumerated() {
                    let summary = ParallelReplicates.run(repeats: point.repeats, series: nGen, threads: threads) { rep, buffer in
                        var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.parametricChecks + UInt64(index), UInt64(ri), UInt64(rep)])
                        chain.run(regime: regime, samples: m, generations: nGen, rng: &rng, errors: buffer)
                    }
                    for n in point.reported {
                        let theory = MeanChainTheory.meanSquaredError(regime, generation: n, variance: chain.sampleVariance, samples: m)
                        checks.append(check(point, label: regime.rawValue, n: n, summary: summary, theory: theory))
                    }
                }
            case let .gaussianFitting(chain):
                let summary = ParallelReplicates.run(repeats: point.repeats, series: 4 * nGen, threads: threads) { rep, buffer in
                    var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.parametricChecks + UInt64(index), UInt64(rep)])
                    chain.run(regime: .replace, samples: m, generations: nGen, rng: &rng, out: buffer)
                }
                let accumulated = ParallelReplicates.run(repeats: point.repeats, series: 4 * nGen, threads: threads) { rep, buffer in
                    var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.parametricChecks + UInt64(index), 1, UInt64(rep)])
                    chain.run(regime: .accumulate, samples: m, generations: nGen, rng: &rng, out: buffer)
                }
                let e = chain.estimator, v = chain.variance
                for n in point.reported {
                    checks.append(
                        check(
                            point, label: "acc (μ̂−μ)²", n: n, mean: accumulated.mean[n - 1], se: accumulated.standardError[n - 1],
                            theory: v * GaussianFittingTheory.accumulateMeanErrorRatio(e, generation: n, samples: m)))
                    checks.append(
                        check(
                            point, label: "acc σ̂²", n: n, mean: accumulated.mean[nGen + n - 1],
                            se: accumulated.standardError[nGen + n - 1],
                            theory: v * GaussianFittingTheory.accumulateVarianceRatio(e, generation: n, samples: m)))
                    let rows: [(String, Int, Double)] = [
                        ("(μ̂−μ)²", n - 1, v * GaussianFittingTheory.meanErrorRatio(e, generation: n, samples: m)),
                        ("σ̂²", nGen + n - 1, v * GaussianFittingTheory.varianceRatio(e, generation: n, samples: m)),
                        ("log σ̂²/σ²", 2 * nGen + n - 1, GaussianFittingTheory.expectedLogVarianceRatio(e, generation: n, samples: m))
                    ]
                    // σ̂²_n is a product of n independent χ² factors: its relative variance
                    // ((M+1)/(M−1))ⁿ − 1 grows geometrically and the mean's normal approximation
                    // degrades, so σ̂² itself is checked only up to n = 5; log σ̂² (a sum) at all
                    // reported n. (μ̂_n − μ)² inherits the same tails through Σ σ̂²_{k−1}/M, so the
                    // Gaussian points stop at n = 10 (skewness of the replicate mean ≈ 0.08 at M = 10).
                    for (label, s, theory) in rows where !(label == "σ̂²" && n > 5) {
                        checks.append(check(point, label: label, n: n, mean: summary.mean[s], se: summary.standardError[s], theory: theory))
                    }
                }
            case let .multivariateFitting(chain):
                checks += multivariateChecks(point, index: index, chain: chain, seed: seed, threads: threads)
            case let .categorical(chain):
                let summary = ParallelReplicates.run(repeats: point.repeats, series: 3 * nGen, threads: threads) { rep, buffer in
                    var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.parametricChecks + UInt64(index), UInt64(rep)])
                    chain.run(regime: .replace, samples: m, generations: nGen, rng: &rng, out: buffer)
                }
                let accumulated = ParallelReplicates.run(repeats: point.repeats, series: 3 * nGen, threads: threads) { rep, buffer in
                    var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.parametricChecks + UInt64(index), 1, UInt64(rep)])
                    chain.run(regime: .accumulate, samples: m, generations: nGen, rng: &rng, out: buffer)
                }
                let s0 = chain.truth.reduce(0) { $0 + $1 * $1 }
                for n in point.reported {
                    let theory = CategoricalChainTheory.expectedCollision(generation: n, samples: m, truthCollision: s0)
                    checks.append(check(point, label: "Σp̂²", n: n, mean: summary.mean[n - 1], se: summary.standardError[n - 1], theory: theory))
                    let pooled = CategoricalChainTheory.accumulateExpectedCollision(generation: n, samples: m, truthCollision: s0)
                    checks.append(
                        check(
                            point, label: "acc Σp̂²", n: n, mean: accumulated.mean[n - 1], se: accumulated.standardError[n - 1],
                            theory: pooled))
                }
            case let .mixing(chain):
                let summary = ParallelReplicates.run(repeats: point.repeats, series: nGen, threads: threads) { rep, buffer in
                    var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.parametricChecks + UInt64(index), UInt64(rep)])
                    chain.run(samples: m, generations: nGen, rng: &rng, errors: buffer)
                }
                for n in point.reported {
                    let theory = GoldenRatioMixing.meanSquaredError(generation: n, weight: chain.weight, base: chain.variance / Double(m))
                    checks.append(check(point, label: "w=\(String(format: "%.3f", chain.weight))", n: n, summary: summary, theory: theory))
                }
            }
        }
        return checks
    }

    static func check(_ p: Point, label: String, n: Int, summary: ParallelReplicates.Summary, theory: Double) -> Check {
        check(p, label: label, n: n, mean: summary.mean[n - 1], se: summary.standardError[n - 1], theory: theory)
    }

    static func check(_ p: Point, label: String, n: Int, mean: Double, se: Double, theory: Double) -> Check {
        let parameters: String
        switch p.model {
        case let .mean(.poisson(rate)): parameters = "λ=\(rate) M=\(p.samples)"
        case let .mean(.gaussianMean(v)): parameters = "σ²=\(v) M=\(p.samples)"
        case let .mixing(c): parameters = "σ²=\(c.variance) M=\(p.samples)"
        case let .gaussianFitting(c): parameters = "\(c.estimator.rawValue) M=\(p.samples)"
        case let .categorical(c): parameters = "K=\(c.truth.count) M=\(p.samples)"
        case let .multivariateFitting(c): parameters = "\(c.estimator.rawValue) d=\(c.dimension) M=\(p.samples)"
        }
        return Check(
            id: p.id, label: label, parameters: parameters, generation: n, mean: mean, standardError: se,
            theory: theory, z: (mean - theory) / se)
    }
}
