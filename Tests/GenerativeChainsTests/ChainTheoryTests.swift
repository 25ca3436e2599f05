import CollapseCore
import CollapseTheory
import Foundation
import GenerativeChains
import ParametricChains
import Randomness
import XCTest

/// The chains, run through `GenerativeExperiment` and the one scheduler, against the closed
/// forms (proofs G3, U1, W1): every Monte Carlo mean within z·SE of theory, false-alarm
/// probability 1e-6 per check.
final class ChainTheoryTests: XCTestCase {
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func run(
        _ model: GenerativeModelSpec, _ dataset: GenerativeDataset, samples: Int, generations: Int,
        regimes: [Regime], repeats: Int, seed: UInt64 = 1, threads: Int = 2
    ) throws -> [GenerativeResultRow] {
        try GenerativeExperiment(
            model: model, dataset: dataset, samples: samples, testSize: 10, generations: generations,
            regimes: regimes, repeats: repeats, seed: seed, threads: threads
        ).run()
    }

    /// Asserts every row of `metric` with a theory value agrees with it; returns how many.
    @discardableResult
    func assertAgreesWithTheory(
        _ rows: [GenerativeResultRow], metric: String, generations: Set<Int>? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Int {
        var checked = 0
        for r in rows where r.metric == metric && (generations?.contains(r.generation) ?? true) {
            guard let t = r.theory else { continue }
            XCTAssertEqual(
                r.mean, t, accuracy: z * r.standardError,
                "\(r.model) \(r.regime) \(metric) n=\(r.generation)", file: file, line: line)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0, "no theory values for \(metric)", file: file, line: line)
        return checked
    }

    /// MLE covariance under replace: E tr Σ̂_n = ((M − 1)/M)ⁿ tr Σ; unbiased: tr Σ for every n
    /// (a martingale); mean error tr Σ·e_n; accumulate: the G3 products. Checks stop at n = 10,
    /// where the log-normal-like tails still leave the standard error reliable.
    func testGaussianChainsFollowProofG3() throws {
        let dataset = GenerativeDataset.points(.gaussian, dimension: 2)
        for estimator in [GaussianFittingTheory.Estimator.mle, .unbiased] {
            let rows = try run(
                .gaussian(estimator), dataset, samples: 20, generations: 10,
                regimes: [.replace, .accumulate], repeats: 20_000)
            assertAgreesWithTheory(rows, metric: "total_variance")
            assertAgreesWithTheory(rows, metric: "mean_error")
            if estimator == .mle {
                // The decay is visible: q¹⁰ = 0.95¹⁰ ≈ 0.60 of tr Σ = 2.
                let last = try XCTUnwrap(rows.first { $0.metric == "total_variance" && $0.regime == .replace && $0.generation == 10 })
                XCTAssertEqual(last.theory!, 2 * pow(0.95, 10), accuracy: 1e-12)
            }
        }
    }

    /// Generation 1's moments are distribution-free, so the G3 forms hold for blobs too.
    func testGaussianFitToBlobsFollowsTheSameMoments() throws {
        let rows = try run(
            .gaussian(.mle), .points(.blobs, dimension: 2), samples: 30, generations: 6,
            regimes: [.replace, .accumulate], repeats: 20_000)
        assertAgreesWithTheory(rows, metric: "total_variance")
        assertAgreesWithTheory(rows, metric: "mean_error")
    }

    /// Poisson rate (proof U1): E λ̂_n = λ for every regime; E(λ̂_n − λ)² = nλ/M under replace
    /// and (λ/M)Σ_{i≤n} 1/i² under accumulate.
    func testPoissonRateVarianceFollowsProofU1() throws {
        let rows = try run(
            .poisson, .poisson(rate: 3), samples: 20, generations: 20,
            regimes: [.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.3)], repeats: 20_000)
        assertAgreesWithTheory(rows, metric: "rate_error")
        let rateChecks = assertAgreesWithTheory(rows, metric: "rate")
        XCTAssertEqual(rateChecks, 4 * 20)
        let accumulate = try XCTUnwrap(rows.first { $0.metric == "rate_error" && $0.regime == .accumulate && $0.generation == 20 })
        let sum = (1...20).reduce(0.0) { $0 + 1 / Double($1 * $1) }
        XCTAssertEqual(accumulate.theory!, 3.0 / 20 * sum, accuracy: 1e-15)
    }

    /// Categorical MLE (proof W1): 1 − E S_n = (1 − 1/M)ⁿ(1 − S₀) under replace, the product
    /// form under accumulate; no closed form once smoothed.
    func testCategoricalCollisionFollowsProofW1() throws {
        let rows = try run(
            .categorical(smoothing: 0), .zipf(support: 12, exponent: 1.1), samples: 15, generations: 15,
            regimes: [.replace, .accumulate], repeats: 20_000)
        assertAgreesWithTheory(rows, metric: "collision")
        // Support only shrinks under replace (lost symbols never return).
        let support = rows.filter { $0.metric == "support" && $0.regime == .replace }.map(\.mean)
        XCTAssertTrue(zip(support, support.dropFirst()).allSatisfy { $0 >= $1 }, "\(support)")
        let smoothed = try run(
            .categorical(smoothing: 1), .zipf(support: 12, exponent: 1.1), samples: 15, generations: 3,
            regimes: [.replace], repeats: 4)
        XCTAssertTrue(smoothed.allSatisfy { $0.theory == nil })
        XCTAssertTrue(smoothed.filter { $0.metric == "nll" || $0.metric == "kl_truth_fit" }.allSatisfy { $0.mean.isFinite })
        // Unsmoothed, a test symbol lost in some replicate makes the mean NLL +∞ (not NaN), with
        // no standard error; K = 200 symbols at M = 15 lose most of them at once.
        // kl_truth_fit is +∞ with certainty: a fit to 15 draws has at most 15 of the 200
        // symbols. The NLL is +∞ unless, in all 8 replicates, all 10 test symbols (drawn from
        // their own stream, independent of training) fall in the fit's support at both
        // generations. A support of ≤ 15 symbols has Zipf(1) mass ≤ H₁₅/H₂₀₀ = 3.3182/5.8780
        // = 0.5645, so this fails with probability ≤ 0.5645^(8·10) ≈ 1.3e-20.
        let lost = try run(
            .categorical(smoothing: 0), .zipf(support: 200, exponent: 1), samples: 15, generations: 2,
            regimes: [.replace], repeats: 8)
        for r in lost where r.metric == "nll" || r.metric == "kl_truth_fit" {
            XCTAssertEqual(r.mean, .infinity, r.metric)
            XCTAssertTrue(r.standardError.isNaN, r.metric)
        }
    }

    /// KDE under replace: E tr Cov(p̂_n) = qⁿ tr Σ + d h²(1 − qⁿ)/(1 − q) (fixed h), (q + f²)ⁿ tr Σ (Scott).
    func testKernelDensitySpreadUnderReplace() throws {
        for bandwidth in [KernelDensityModel.Bandwidth.fixed(0.3), .scott] {
            let rows = try run(
                .kde(bandwidth), .points(.gaussian, dimension: 2), samples: 25, generations: 8,
                regimes: [.replace], repeats: 20_000)
            assertAgreesWithTheory(rows, metric: "total_variance")
        }
    }

    /// mix(1) trains on the real data every generation: every generation repeats generation 1
    /// exactly. fresh-real(1) trains on new real data each time: the rate error stays λ/M.
    func testFullRealFractionRegimes() throws {
        let rows = try run(
            .poisson, .poisson(rate: 2), samples: 10, generations: 6,
            regimes: [.mix(realFraction: 1), .freshReal(realFraction: 1)], repeats: 20_000)
        for metric in ["nll", "rate", "rate_error"] {
            let mix = rows.filter { $0.metric == metric && $0.regime == .mix(realFraction: 1) }
            XCTAssertTrue(mix.allSatisfy { $0.mean == mix[0].mean && $0.standardError == mix[0].standardError }, metric)
        }
        for r in rows where r.metric == "rate_error" && r.regime == .freshReal(realFraction: 1) {
            XCTAssertEqual(r.mean, 2.0 / 10, accuracy: z * r.standardError, "n=\(r.generation)")
        }
    }

    /// Every regime of a replicate starts from the same real data: generation 1 is identical
    /// across regimes; results do not depend on the thread count; the seed matters.
    func testRegimesShareRealDataAndThreadsDoNotMatter() throws {
        let regimes: [Regime] = [.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.5), .freshReal(realFraction: 0.25)]
        let models: [(GenerativeModelSpec, GenerativeDataset)] = [
            (.gaussian(.mle), .points(.moons, dimension: 2)),
            (.kde(.silverman), .points(.circles, dimension: 2)),
            (.mixture(components: 2, restarts: 2, maxIterations: 50, tolerance: 1e-6, varianceFloor: 1e-6), .points(.swissRoll, dimension: 2)),
            (.categorical(smoothing: 0.5), .zipf(support: 30, exponent: 1)),
            (.poisson, .poisson(rate: 5)),
            (.ngram(order: 2, smoothing: 0.1), .markov(vocabulary: 5, sequenceLength: 8))
        ]
        for (model, dataset) in models {
            let one = try run(model, dataset, samples: 30, generations: 4, regimes: regimes, repeats: 37, seed: 5, threads: 1)
            let three = try run(model, dataset, samples: 30, generations: 4, regimes: regimes, repeats: 37, seed: 5, threads: 3)
            XCTAssertEqual(one, three, model.name)
            let other = try run(model, dataset, samples: 30, generations: 4, regimes: regimes, repeats: 37, seed: 6, threads: 2)
            XCTAssertNotEqual(one, other, model.name)
            for r in one where r.generation == 1 {
                let first = try XCTUnwrap(one.first { $0.generation == 1 && $0.metric == r.metric })
                XCTAssertEqual(r.mean, first.mean, "\(model.name) \(r.metric) \(r.regime)")
            }
            XCTAssertTrue(one.allSatisfy { $0.mean.isFinite }, model.name)
        }
    }

    /// The general path (model + scheduler) against the specialised 1-D chain of
    /// ParametricChains (its own loop and streams): the two Monte Carlo means of the squared
    /// mean error and of the variance agree within z·√(SE₁² + SE₂²).
    func testGeneralPathAgreesWithTheSpecialisedGaussianChain() throws {
        let m = 15, n = 8, repeats = 20_000
        for (regime, closed) in [(Regime.replace, ClosedFormRegime.replace), (.accumulate, .accumulate)] {
            let rows = try run(
                .gaussian(.mle), .points(.gaussian, dimension: 1), samples: m, generations: n,
                regimes: [regime], repeats: repeats, seed: 31)
            let chain = GaussianFittingChain(variance: 1, estimator: .mle)
            let summary = ParallelReplicates.run(repeats: repeats, series: 4 * n, threads: 2) { r, out in
                var rng = Xoshiro256StarStar(seed: 32, stream: [UInt64(r)])
                chain.run(regime: closed, samples: m, generations: n, rng: &rng, out: out)
            }
            for g in 1...n {
                for (metric, series) in [("mean_error", 0), ("total_variance", 1)] {
                    let row = try XCTUnwrap(rows.first { $0.metric == metric && $0.generation == g })
                    let s = series * n + g - 1
                    XCTAssertEqual(
                        row.mean, summary.mean[s],
                        accuracy: z * (row.standardError * row.standardError + summary.standardError[s] * summary.standardError[s]).squareRoot(),
                        "\(regime) \(metric) n=\(g)")
                }
            }
        }
    }
}
