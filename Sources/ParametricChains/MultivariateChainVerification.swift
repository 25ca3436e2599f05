import CollapseCore
import CollapseTheory
import Randomness

/// The `d`-dimensional Gaussian refit points of the chain battery (proof G4): per regime and
/// reported generation, two-sided z-checks of the exact moments (`E‖μ̂_n − μ‖²`, `E tr Σ̂_n`, one
/// off-diagonal entry of `E Σ̂_n` and of `E(μ̂_n − μ)(μ̂_n − μ)ᵀ`, and under replace
/// `E log det Σ̂_n`), and one-sided checks that the simulated `E W₂²` lies within the proved
/// bounds: `z = max(0, (mean − upper)/SE)` and `z = min(0, (mean − lower)/SE)`.
extension ChainVerification {
    /// `Σ` of the verification points: non-diagonal, eigenvalues ≈ 4.63, 2.08, 0.29.
    public static let multivariateCovariance: [[Double]] = [[4, 1.2, 0.5], [1.2, 2, -0.6], [0.5, -0.6, 1]]

    static func multivariateChecks(
        _ point: Point, index: Int, chain: MultivariateGaussianFittingChain,
        seed: UInt64, threads: Int
    ) -> [Check] {
        let m = point.samples, g = point.generations, e = chain.estimator, d = chain.dimension
        var checks: [Check] = []
        for (ri, regime) in [ClosedFormRegime.replace, .accumulate].enumerated() {
            let summary = ParallelReplicates.run(repeats: point.repeats, series: chain.seriesCount * g, threads: threads) { rep, buffer in
                var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.parametricChecks + UInt64(index), UInt64(ri), UInt64(rep)])
                chain.run(regime: regime, samples: m, generations: g, rng: &rng, out: buffer)
            }
            let prefix = regime == .replace ? "" : "acc "
            for n in point.reported {
                let theory = MultivariateGaussianFittingTheory.moments(
                    e, regime: regime, generation: n, samples: m,
                    eigenvalues: chain.eigenvalues)
                let s = MultivariateGaussianFittingTheory.covarianceRatio(e, regime: regime, generation: n, samples: m)
                let meanRatio = MultivariateGaussianFittingTheory.meanErrorRatio(e, regime: regime, generation: n, samples: m)
                let sigma12 = chain.covariance[1]
                typealias S = MultivariateGaussianFittingChain.Series
                var rows: [(String, Int, Double)] = [
                    ("‖μ̂−μ‖²", S.meanSquaredError.rawValue, theory.meanSquaredError),
                    ("tr Σ̂", S.trace.rawValue, theory.expectedTrace),
                    ("Σ̂₁₂", chain.entrySeries(0, 1), s * sigma12),
                    ("(μ̂−μ)₁(μ̂−μ)₂", chain.entrySeries(0, 1, meanOuter: true), meanRatio * sigma12)
                ]
                if let logDet = theory.expectedLogDeterminantRatio, m > d { rows.append(("log det", S.logDeterminantRatio.rawValue, logDet)) }
                for (label, series, value) in rows {
                    let i = series * g + n - 1
                    checks.append(check(point, label: prefix + label, n: n, mean: summary.mean[i], se: summary.standardError[i], theory: value))
                }
                let i = S.wassersteinSquared.rawValue * g + n - 1
                let mean = summary.mean[i], se = summary.standardError[i]
                var upper = check(point, label: prefix + "W₂² ≤", n: n, mean: mean, se: se, theory: theory.wassersteinUpper)
                upper.z = max(0, upper.z)
                var lower = check(point, label: prefix + "W₂² ≥", n: n, mean: mean, se: se, theory: theory.wassersteinLower)
                lower.z = min(0, lower.z)
                checks += [upper, lower]
            }
        }
        return checks
    }
}
