import CollapseTheory
import Foundation
import GenerativeChains
import Randomness
import XCTest

/// The fits are right: each model against its textbook definition, exactly where it can be,
/// statistically (tolerance z·SE, false-alarm probability 1e-6 per check) where it cannot.
final class FitTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per check.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func testFastExponentialMatchesTheLibrary() {
        // Relative error a few ulps on [−708, 0] (polynomial truncation < 4e-18, rounding of
        // 14 Horner steps and the reduction); exact at 0.
        var x = -708.0
        var worst = 0.0
        while x <= 0 {
            let e = exp(x)
            worst = max(worst, abs(expNonPositive(x) - e) / e)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 8 * Double.ulpOfOne)
        XCTAssertEqual(expNonPositive(0), 1)
        XCTAssertEqual(expNonPositive(-1e-300), 1)
        XCTAssertLessThanOrEqual(expNonPositive(-1e6), 4e-308)  // clamped at e^−708
    }

    func testReductionsAreExact() {
        let a: [Double] = [3, -1, 4, 1, -5, 9, 2, 6, 5]
        a.withUnsafeBufferPointer { p in
            XCTAssertEqual(Reduction.sum(p), 24)
            XCTAssertEqual(Reduction.minimum(p), -5)
        }
    }

    /// Scott `n^(−1/(d+4))` and Silverman `(n(d+2)/4)^(−1/(d+4))` (scipy.stats.gaussian_kde's
    /// factors), golden values computed independently, and H = f²·(unbiased covariance).
    func testKernelBandwidthRulesMatchTheirFormulas() throws {
        XCTAssertEqual(KernelDensityModel.Bandwidth.scott.factor(count: 100, dimension: 1), 0.3981071705534972, accuracy: 1e-15)
        XCTAssertEqual(KernelDensityModel.Bandwidth.silverman.factor(count: 100, dimension: 1), 0.42168460634274996, accuracy: 1e-15)
        XCTAssertEqual(KernelDensityModel.Bandwidth.scott.factor(count: 100, dimension: 2), 0.4641588833612779, accuracy: 1e-15)
        XCTAssertEqual(KernelDensityModel.Bandwidth.silverman.factor(count: 100, dimension: 3), 0.5016969106227039, accuracy: 1e-15)
        XCTAssertEqual(KernelDensityModel.Bandwidth.fixed(0.3).factor(count: 100, dimension: 3), 0.3)
        var rng = Xoshiro256StarStar(seed: 11)
        for d in 1...3 {
            let n = 57
            let data = PointSet(dimension: d, values: (0..<(n * d)).map { _ in Normal.next(using: &rng) * 2 + 1 })
            for rule in [KernelDensityModel.Bandwidth.scott, .silverman] {
                var kde = KernelDensityModel(dimension: d, bandwidth: rule)
                try kde.fit(data)
                let f = rule.factor(count: n, dimension: d)
                for j in 0..<d {
                    for l in 0..<d {
                        var mj = 0.0, ml = 0.0
                        for i in 0..<n { mj += data.values[i * d + j]; ml += data.values[i * d + l] }
                        mj /= Double(n); ml /= Double(n)
                        var c = 0.0
                        for i in 0..<n { c += (data.values[i * d + j] - mj) * (data.values[i * d + l] - ml) }
                        XCTAssertEqual(kde.kernelCovariance[j * d + l], f * f * c / Double(n - 1), accuracy: 1e-12 * max(1, abs(c)))
                    }
                }
            }
            var fixed = KernelDensityModel(dimension: d, bandwidth: .fixed(0.25))
            try fixed.fit(data)
            for j in 0..<d { for l in 0..<d { XCTAssertEqual(fixed.kernelCovariance[j * d + l], j == l ? 0.0625 : 0) } }
        }
    }

    /// The KDE density is the average of the kernels (direct sum where it does not underflow),
    /// and stays finite and exact far from every point, where the direct sum is 0.
    func testKernelDensityIsTheAverageKernelAndStableFarAway() throws {
        let data = PointSet(dimension: 1, values: [0, 1, 3])
        var kde = KernelDensityModel(dimension: 1, bandwidth: .fixed(0.5))
        try kde.fit(data)
        func kernelLog(_ x: Double, _ c: Double) -> Double { -0.5 * log(2 * Double.pi * 0.25) - (x - c) * (x - c) / (2 * 0.25) }
        for x in [-1.0, 0.4, 2.2] {
            let direct = log(data.values.map { exp(kernelLog(x, $0)) }.reduce(0, +) / 3)
            XCTAssertEqual(kde.logDensity([x][...]), direct, accuracy: 1e-13)
        }
        // At x = 60 every kernel underflows (e^−6962); the log-density is the nearest kernel's
        // log plus log(1 + e^(−Δ)) for the others, minus log 3.
        let x = 60.0
        XCTAssertEqual(data.values.map { exp(kernelLog(x, $0)) }.reduce(0, +), 0)
        let a = kernelLog(x, 3), b = kernelLog(x, 1), c = kernelLog(x, 0)
        let expected = a + log(1 + exp(b - a) + exp(c - a)) - log(3)
        XCTAssertEqual(kde.logDensity([x][...]), expected, accuracy: 1e-12 * abs(expected))
        // Test NLL is the mean of −log p̂ over the test points.
        kde.test = PointSet(dimension: 1, values: [0.5, 60])
        XCTAssertEqual(kde.evaluate(), -(kde.logDensity([0.5][...]) + kde.logDensity([60][...])) / 2, accuracy: 1e-12 * abs(expected))
    }

    /// KDE samples have mean x̄ and covariance Σ̂_MLE + H (the fit's own moments).
    func testKernelDensitySamplesHaveTheFitsMoments() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let data = PointSet(dimension: 1, values: (0..<40).map { _ in Normal.next(using: &rng) })
        var kde = KernelDensityModel(dimension: 1, bandwidth: .scott)
        try kde.fit(data)
        let m = 400_000
        let s = kde.sample(count: m, using: &rng).values
        let mean = s.reduce(0, +) / Double(m)
        let variance = s.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(m - 1)
        let dataMean = data.values.reduce(0, +) / 40
        XCTAssertEqual(mean, dataMean, accuracy: z * (kde.totalVariance / Double(m)).squareRoot())
        // SE of a sample variance ≈ √((μ₄ − σ⁴)/m); μ₄ estimated from the draws.
        let mu4 = s.reduce(0) { $0 + pow($1 - mean, 4) } / Double(m)
        XCTAssertEqual(variance, kde.totalVariance, accuracy: z * ((mu4 - variance * variance) / Double(m)).squareRoot())
    }

    /// Moments fit: MLE divides the scatter by M, unbiased by M − 1; and the Gaussian log-density.
    func testGaussianFitIsTheSampleMoments() throws {
        let data = PointSet(dimension: 2, values: [0, 0, 2, 0, 0, 4, 2, 4])
        var mle = GaussianModel(dimension: 2, estimator: .mle)
        try mle.fit(data)
        XCTAssertEqual(mle.mean, [1, 2])
        XCTAssertEqual(mle.covariance, [1, 0, 0, 4])
        var unbiased = GaussianModel(dimension: 2, estimator: .unbiased)
        try unbiased.fit(data)
        XCTAssertEqual(unbiased.covariance, [4.0 / 3, 0, 0, 16.0 / 3])
        // log N((2, 3); (1, 2), diag(1, 4)) = −log 2π − ½ log 4 − ½(1 + 1/4).
        XCTAssertEqual(mle.logDensity([2, 3][...]), -log(2 * Double.pi) - 0.5 * log(4) - 0.5 * 1.25, accuracy: 1e-14)
        // Collinear points: Σ̂ is singular, an absorbing state rather than an error (no density).
        try mle.fit(PointSet(dimension: 2, values: [1, 1, 2, 2, 3, 3]))
        XCTAssertEqual(mle.factor?.isSingular, true)
        XCTAssertEqual(mle.logDensity([2, 2][...]), -.infinity)
        XCTAssertThrowsError(try mle.fit(PointSet(dimension: 2, values: [1, .infinity, 2, 2, 3, 3])))  // non-finite: an error
    }

    /// W₂² in 1-D is (μ̂ − μ)² + (σ̂ − σ)², and for commuting covariances Σ(√λ̂ − √λ)².
    func testWassersteinDistanceClosedForms() throws {
        let one = try GaussianWasserstein(mean: [1], covariance: [4])
        XCTAssertEqual(try one.squaredDistance(mean: [0.5], covariance: [9]), 0.25 + 1, accuracy: 1e-12)
        let two = try GaussianWasserstein(mean: [0, 0], covariance: [1, 0, 0, 9])
        XCTAssertEqual(try two.squaredDistance(mean: [1, 1], covariance: [4, 0, 0, 1]), 2 + 1 + 4, accuracy: 1e-12)
        XCTAssertEqual(try two.squaredDistance(mean: [0, 0], covariance: [1, 0, 0, 9]), 0, accuracy: 1e-12)
    }

    /// EM recovers the three blobs (scikit-learn's defaults: σ = 1, centres in (−10, 10)², here
    /// at least 5σ apart) from 3000 points: the matched component means within the
    /// sampling error (E Σ_k‖μ̂_k − μ_k‖² = Σ_k tr Σ_k/n_k = 6·10⁻³; its 1 − 10⁻⁶ quantile is
    /// below 10× that, as a χ²₆ scaled by the mean has its 1 − 10⁻⁶ quantile at 6.4× the mean),
    /// weights within z·√(w(1 − w)/n), variances within z·σ²√(2/n_k), and a log-likelihood at
    /// least that of its first start alone (the kept fit is the best of its starts).
    func testEMRecoversAKnownMixture() throws {
        let n = 3000
        let truth = try XCTUnwrap(SyntheticPoints.blobs.truth(dimension: 2, count: n)?.mixture)
        for a in 0..<3 {
            for b in 0..<a {
                XCTAssertGreaterThan(hypot(truth.means[a][0] - truth.means[b][0], truth.means[a][1] - truth.means[b][1]), 5, "centres \(truth.means)")
            }
        }
        var rng = Xoshiro256StarStar(seed: 2024, stream: [1])
        let data = SyntheticPoints.blobs.draw(count: n, dimension: 2, using: &rng)
        var gmm = GaussianMixtureModel(
            dimension: 2, components: 3, restarts: 3,
            initialisation: Xoshiro256StarStar(seed: 2024, stream: [2]))
        try gmm.fit(data)
        let p = try XCTUnwrap(gmm.parameters)
        let expectedError = 3 * 2 * 1.0 / (Double(n) / 3)
        XCTAssertLessThan(gmm.componentMeanError(truth: truth.means), 10 * expectedError)
        for k in 0..<3 {
            XCTAssertEqual(p.weights[k], 1.0 / 3, accuracy: z * (2.0 / 9 / Double(n)).squareRoot())
            XCTAssertEqual(p.covariances[k][0], 1, accuracy: z * (2 / (Double(n) / 3)).squareRoot() + 1e-6)
            XCTAssertEqual(p.covariances[k][3], 1, accuracy: z * (2 / (Double(n) / 3)).squareRoot() + 1e-6)
        }
        // The kept fit is the best of its starts: a model with one restart from the same
        // initialisation stream runs EM from the first of those starts (the same k-means++
        // draws, the same deterministic EM), so the 3-restart fit's log-likelihood is at least
        // its own. (EM only reaches a local maximum, so no comparison with the truth's
        // log-likelihood is guaranteed.)
        var single = GaussianMixtureModel(
            dimension: 2, components: 3, restarts: 1,
            initialisation: Xoshiro256StarStar(seed: 2024, stream: [2]))
        try single.fit(data)
        XCTAssertGreaterThanOrEqual(gmm.trainingLogLikelihood, single.trainingLogLikelihood)
        // The held-out NLL agrees with a direct computation.
        var scored = gmm
        scored.test = PointSet(dimension: 2, values: truth.means[0] + truth.means[1])
        var direct = 0.0
        for (x, y) in [(truth.means[0][0], truth.means[0][1]), (truth.means[1][0], truth.means[1][1])] {
            var s = 0.0
            for k in 0..<3 {
                let c = p.covariances[k], det = c[0] * c[3] - c[1] * c[2]
                let dx = x - p.means[k][0], dy = y - p.means[k][1]
                let q = (c[3] * dx * dx - 2 * c[1] * dx * dy + c[0] * dy * dy) / det
                s += p.weights[k] * exp(-q / 2) / (2 * Double.pi * det.squareRoot())
            }
            direct -= log(s) / 2
        }
        XCTAssertEqual(scored.evaluate(), direct, accuracy: 1e-10 * abs(direct))
    }

    /// The variance floor keeps a component off a single point: every covariance eigenvalue is
    /// at least the floor even when the data are one repeated point.
    func testVarianceFloorHoldsOnDegenerateData() throws {
        var gmm = GaussianMixtureModel(
            dimension: 2, components: 2, varianceFloor: 1e-3,
            initialisation: Xoshiro256StarStar(seed: 3))
        try gmm.fit(PointSet(dimension: 2, values: [Double](repeating: 1.5, count: 20)))
        for c in try XCTUnwrap(gmm.parameters).covariances {
            XCTAssertEqual(c[0], 1e-3, accuracy: 1e-12)
            XCTAssertEqual(c[3], 1e-3, accuracy: 1e-12)
        }
    }

    func testCategoricalFitEntropyAndDivergence() throws {
        var m = CategoricalModel(support: 4, smoothing: 0)
        try m.fit(IntegerSample([0, 0, 1, 3]))
        XCTAssertEqual(m.probabilities, [0.5, 0.25, 0, 0.25])
        XCTAssertEqual(m.supportSize, 3)
        XCTAssertEqual(m.collision, 0.375)
        XCTAssertEqual(m.entropy, 1.5 * log(2), accuracy: 1e-15)
        m.test = IntegerSample([0, 2])
        XCTAssertEqual(m.evaluate(), .infinity)
        XCTAssertEqual(Categorical.divergence([0.25, 0.25, 0.25, 0.25], m.probabilities), .infinity)
        // Σ p̂ log(p̂/¼) = ½ log 2 + ¼ log 1 + ¼ log 1.
        let uniform: [Double] = [0.25, 0.25, 0.25, 0.25]
        XCTAssertEqual(Categorical.divergence(m.probabilities, uniform), log(2.0) / 2, accuracy: 1e-15)
        var smoothed = CategoricalModel(support: 4, smoothing: 1)
        try smoothed.fit(IntegerSample([0, 0, 1, 3]))
        XCTAssertEqual(smoothed.probabilities, [3.0 / 8, 2.0 / 8, 1.0 / 8, 2.0 / 8])
    }

    /// The n-gram model's exact per-token quantities against Monte Carlo over sequences:
    /// KL(truth ‖ fit) = E_truth[log P(x) − log p̂(x)]/L and entropy = E_fit[−log p̂(x)]/L.
    func testNGramExactDivergenceAndEntropyMatchMonteCarlo() throws {
        let truth = SyntheticMarkov.truth(vocabulary: 4)
        for order in [1, 2, 3] {
            var rng = Xoshiro256StarStar(seed: 77, stream: [UInt64(order)])
            var model = NGramModel(order: order, vocabulary: 4, smoothing: 0.5, sequenceLength: 6)
            try model.fit(truth.sequences(count: 60, length: 6, using: &rng))
            let exactKL = model.divergence(fromTruth: truth), exactH = model.entropy
            let exactReverse = model.divergence(toTruth: truth)
            let draws = 200_000
            var kl = [Double](), h = [Double](), reverse = [Double]()
            let fromTruth = truth.sequences(count: draws, length: 6, using: &rng)
            let fromFit = model.sample(count: draws, using: &rng)
            for i in 0..<draws {
                kl.append((logProbability(truth, fromTruth.sequence(i)) - logProbability(model, fromTruth.sequence(i))) / 6)
                h.append(-logProbability(model, fromFit.sequence(i)) / 6)
                reverse.append((logProbability(model, fromFit.sequence(i)) - logProbability(truth, fromFit.sequence(i))) / 6)
            }
            for (estimates, exact, what) in [(kl, exactKL, "KL(truth‖fit)"), (h, exactH, "entropy"), (reverse, exactReverse, "KL(fit‖truth)")] {
                let mean = estimates.reduce(0, +) / Double(draws)
                let sd = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws - 1)).squareRoot()
                XCTAssertEqual(mean, exact, accuracy: z * sd / Double(draws).squareRoot(), "order \(order): \(what)")
            }
        }
    }

    /// With more data the bigram fit approaches the true chain: the mean KL over replicates
    /// falls from 50 to 500 to 5000 sequences by more than z standard errors of the difference.
    func testNGramDivergenceFromTruthShrinksWithData() throws {
        let truth = SyntheticMarkov.truth(vocabulary: 8)
        var means: [(Double, Double)] = []
        for count in [50, 500, 5000] {
            var values: [Double] = []
            for r in 0..<40 {
                var rng = Xoshiro256StarStar(seed: 9, stream: [UInt64(count), UInt64(r)])
                var model = NGramModel(order: 2, vocabulary: 8, smoothing: 0.1, sequenceLength: 10)
                try model.fit(truth.sequences(count: count, length: 10, using: &rng))
                values.append(model.divergence(fromTruth: truth))
            }
            let mean = values.reduce(0, +) / 40
            let se = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 39 / 40).squareRoot()
            means.append((mean, se))
        }
        for (a, b) in zip(means, means.dropFirst()) {
            XCTAssertGreaterThan(a.0 - b.0, z * (a.1 * a.1 + b.1 * b.1).squareRoot(), "\(means)")
        }
    }

    func logProbability(_ truth: MarkovChainTruth, _ seq: ArraySlice<Int32>) -> Double {
        var last = truth.vocabulary, s = 0.0
        for w in seq { s += log(truth.probability(Int(w), after: last)); last = Int(w) }
        return s
    }

    func logProbability(_ model: NGramModel, _ seq: ArraySlice<Int32>) -> Double {
        var m = model
        m.test = TokenSequences(length: seq.count, tokens: Array(seq))
        return -m.evaluate() * Double(seq.count)
    }

    func testPoissonFitAndNLL() throws {
        var m = PoissonModel(test: IntegerSample([0, 2, 5]))
        try m.fit(IntegerSample([1, 2, 3, 6]))
        XCTAssertEqual(m.rate, 3)
        let expected = (3 * 3 - 7 * log(3.0) + lgamma(1) + lgamma(3) + lgamma(6)) / 3
        XCTAssertEqual(m.evaluate(), expected, accuracy: 1e-14)
        try m.fit(IntegerSample([0, 0]))
        XCTAssertEqual(m.evaluate(), .infinity)
    }
}
