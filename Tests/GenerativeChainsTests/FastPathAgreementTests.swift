import CollapseCore
import CollapseTheory
import GenerativeChains
import ParametricChains
import Randomness
import XCTest

/// The exactly solvable chains of `ParametricChains` (what `collapse verify` U1, U2 and W1 and
/// `theory` rely on) are fast paths: each runs its own loop over generations. These tests tie
/// them to the one generation loop, `GenerationScheduler`, with the corresponding
/// `GenerativeModel`: fed the same random stream in the same order, both paths make the same
/// draws and must give the same fits, generation by generation.
///
/// Bit-exact where both compute the same arithmetic (integer sums for Poisson and categorical
/// counts); within a relative 1e-12 where only the order of a floating-point sum differs (the
/// Gaussian mean, whose accumulate fit sums the pooled points one by one while the fast path
/// adds per-generation sums).
final class FastPathAgreementTests: XCTestCase {
    let generations = 12
    let samples = 15

    /// The scheduler path's fits: `parameter(model)` after each generation. Real data are drawn
    /// by `drawReal` from `rng`, which then serves as the sampling stream, as in the fast path.
    func schedulerFits<M: GenerativeModel>(
        _ model: M, regime: Regime, rng: inout Xoshiro256StarStar,
        drawReal: (inout Xoshiro256StarStar) -> M.Data,
        parameter: (M) -> [Double]
    ) throws -> [[Double]] {
        var model = model
        let real = drawReal(&rng)
        var unused = Xoshiro256StarStar(seed: 0)
        var fits: [[Double]] = []
        _ = try GenerationScheduler<M>(regime: regime, generations: generations)
            .run(model: &model, realData: real, sampling: &rng, subsampling: &unused, observe: { _, m, _ in fits.append(parameter(m)) })
        return fits
    }

    func testPoissonMeanChainIsTheSchedulerPathBitForBit() throws {
        let rate = 2.5
        for regime in [ClosedFormRegime.replace, .accumulate] {
            for replicate in 0..<20 {
                var fastRNG = Xoshiro256StarStar(seed: 77, stream: [UInt64(replicate)])
                var errors = [Double](repeating: .nan, count: generations)
                errors.withUnsafeMutableBufferPointer {
                    MeanChain.poisson(rate: rate).run(regime: regime, samples: samples, generations: generations, rng: &fastRNG, errors: $0)
                }
                var rng = Xoshiro256StarStar(seed: 77, stream: [UInt64(replicate)])
                let fits = try schedulerFits(
                    PoissonModel(), regime: regime == .replace ? .replace : .accumulate, rng: &rng,
                    drawReal: { g in IntegerSample((0..<samples).map { _ in Poisson.next(mean: rate, using: &g) }) },
                    parameter: { [$0.rate] })
                XCTAssertEqual(fits.map { ($0[0] - rate) * ($0[0] - rate) }, errors, "\(regime) replicate \(replicate)")
            }
        }
    }

    /// A Gaussian with known variance whose fit is the sample mean (the model of proof U1's
    /// Gaussian case), for the scheduler path.
    struct KnownVarianceMean: GenerativeModel {
        struct Sample: TrainingData {
            var values: [Double]
            var count: Int { values.count }
            static func concatenating(_ parts: [Sample]) -> Sample { Sample(values: parts.flatMap(\.values)) }
            func subset(_ indices: [Int]) -> Sample { Sample(values: indices.map { values[$0] }) }
        }
        var sd: Double
        var mean = 0.0
        mutating func fit(_ data: Sample) throws { mean = data.values.reduce(0, +) / Double(data.count) }
        mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> Sample {
            Sample(values: (0..<count).map { _ in mean + sd * Normal.next(using: &rng) })
        }
        func evaluate() -> Double { mean * mean }
    }

    func testGaussianMeanChainIsTheSchedulerPath() throws {
        let variance = 2.0, sd = variance.squareRoot()
        for regime in [ClosedFormRegime.replace, .accumulate] {
            for replicate in 0..<20 {
                var fastRNG = Xoshiro256StarStar(seed: 78, stream: [UInt64(replicate)])
                var errors = [Double](repeating: .nan, count: generations)
                errors.withUnsafeMutableBufferPointer {
                    MeanChain.gaussianMean(variance: variance).run(
                        regime: regime, samples: samples, generations: generations,
                        rng: &fastRNG, errors: $0)
                }
                var rng = Xoshiro256StarStar(seed: 78, stream: [UInt64(replicate)])
                let fits = try schedulerFits(
                    KnownVarianceMean(sd: sd), regime: regime == .replace ? .replace : .accumulate, rng: &rng,
                    drawReal: { g in .init(values: (0..<samples).map { _ in 0 + sd * Normal.next(using: &g) }) },
                    parameter: { [$0.mean] })
                for n in 0..<generations {
                    let slow = fits[n][0] * fits[n][0]
                    if regime == .replace {
                        XCTAssertEqual(slow, errors[n], "replace replicate \(replicate) generation \(n + 1)")
                    } else {
                        XCTAssertEqual(
                            slow, errors[n], accuracy: 1e-12 * max(errors[n], 1e-300) + 1e-300,
                            "accumulate replicate \(replicate) generation \(n + 1)")
                    }
                }
            }
        }
    }

    func testCategoricalChainIsTheSchedulerPathBitForBit() throws {
        let truth = CategoricalChainTheory.zipf(support: 8, exponent: 1.1)
        for regime in [ClosedFormRegime.replace, .accumulate] {
            for replicate in 0..<20 {
                var fastRNG = Xoshiro256StarStar(seed: 79, stream: [UInt64(replicate)])
                var out = [Double](repeating: .nan, count: 3 * generations)
                out.withUnsafeMutableBufferPointer {
                    CategoricalChain(truth: truth).run(regime: regime, samples: samples, generations: generations, rng: &fastRNG, out: $0)
                }
                var rng = Xoshiro256StarStar(seed: 79, stream: [UInt64(replicate)])
                // Generation 1 draws from the truth by the same inverse CDF the fast path uses.
                let drawReal: (inout Xoshiro256StarStar) -> IntegerSample = { g in
                    var cdf: [Double] = [], acc = 0.0
                    for p in truth { acc += p; cdf.append(acc) }
                    return IntegerSample(
                        (0..<self.samples).map { _ in
                            let u = g.nextUniform() * acc
                            var lo = 0, hi = truth.count - 1
                            while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] > u { hi = mid } else { lo = mid + 1 } }
                            return lo
                        })
                }
                let fits = try schedulerFits(
                    CategoricalModel(support: truth.count), regime: regime == .replace ? .replace : .accumulate,
                    rng: &rng, drawReal: drawReal, parameter: \.probabilities)
                let collision = fits.map { $0.reduce(0) { $0 + $1 * $1 } }
                let support = fits.map { Double($0.filter { $0 > 0 }.count) }
                XCTAssertEqual(collision, Array(out[0..<generations]), "\(regime) replicate \(replicate)")
                XCTAssertEqual(support, Array(out[generations..<(2 * generations)]), "\(regime) replicate \(replicate)")
            }
        }
    }

    /// The Gaussian refit (proof G3) in one dimension, and the d-dimensional chain (G4) at d = 1:
    /// the fast paths' Welford updates and the model's two-pass moments round differently, so
    /// the fits agree to a relative 1e-9 (the chains are smooth in their draws; 12 generations
    /// amplify round-off far less than that).
    func testGaussianRefitChainsAreTheSchedulerPathInOneDimension() throws {
        let variance = 2.0
        for estimator in [GaussianFittingTheory.Estimator.unbiased, .mle] {
            for regime in [ClosedFormRegime.replace, .accumulate] {
                for replicate in 0..<10 {
                    var fastRNG = Xoshiro256StarStar(seed: 80, stream: [UInt64(replicate)])
                    var out = [Double](repeating: .nan, count: 4 * generations)
                    out.withUnsafeMutableBufferPointer {
                        GaussianFittingChain(variance: variance, estimator: estimator)
                            .run(regime: regime, samples: samples, generations: generations, rng: &fastRNG, out: $0)
                    }
                    var multiRNG = Xoshiro256StarStar(seed: 80, stream: [UInt64(replicate)])
                    let chain = MultivariateGaussianFittingChain(covariance: [[variance]], estimator: estimator)
                    var multi = [Double](repeating: .nan, count: chain.seriesCount * generations)
                    multi.withUnsafeMutableBufferPointer {
                        chain.run(regime: regime, samples: samples, generations: generations, rng: &multiRNG, out: $0)
                    }
                    var rng = Xoshiro256StarStar(seed: 80, stream: [UInt64(replicate)])
                    let sd = variance.squareRoot()
                    let fits = try schedulerFits(
                        GaussianModel(dimension: 1, estimator: estimator), regime: regime == .replace ? .replace : .accumulate,
                        rng: &rng,
                        drawReal: { g in
                            PointSet(dimension: 1, values: (0..<self.samples).map { _ in 0 + sd * Normal.next(using: &g) })
                        }, parameter: { [$0.mean[0], $0.covariance[0]] })
                    for n in 0..<generations {
                        let what = "\(estimator) \(regime) replicate \(replicate) generation \(n + 1)"
                        XCTAssertEqual(fits[n][1], out[generations + n], accuracy: 1e-9 * out[generations + n], "σ̂², " + what)
                        XCTAssertEqual(
                            fits[n][1], multi[MultivariateGaussianFittingChain.Series.trace.rawValue * generations + n],
                            accuracy: 1e-9 * out[generations + n], "tr Σ̂, " + what)
                        XCTAssertEqual(fits[n][0] * fits[n][0], out[n], accuracy: 1e-9 * max(out[n], fits[n][1] / Double(samples)), "μ̂², " + what)
                    }
                }
            }
        }
    }

    /// For d > 1 the fast path colours its draws with the symmetric root Σ̂^{1/2} and the model
    /// with the Cholesky factor: the same law, different draws. A two-sample test on E tr Σ̂_n
    /// (finite variance for M > d + 4) at every generation under both regimes: Welch
    /// z = (mean_fast − mean_scheduler)/√(SE²_fast + SE²_scheduler) against the Bonferroni
    /// threshold of family-wise false alarm 1e-4 over the 16 statistics (any seed passes with
    /// probability about 1 − 1e-4).
    func testMultivariateGaussianChainMatchesTheSchedulerInDistribution() throws {
        let sigma = [[4.0, 1.0, 0.5], [1.0, 2.0, 0.3], [0.5, 0.3, 1.0]]
        let m = 12, g = 8, replicates = 3000
        let chain = MultivariateGaussianFittingChain(covariance: sigma, estimator: .unbiased)
        let zStar = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-4 / 16)
        // The truth's Cholesky factor, to draw the scheduler path's real data.
        var l = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 {
            for j in 0...i {
                var s = sigma[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                l[i][j] = i == j ? s.squareRoot() : s / l[j][j]
            }
        }
        for regime in [ClosedFormRegime.replace, .accumulate] {
            var fast = [[Double]](repeating: [], count: g), slow = [[Double]](repeating: [], count: g)
            for r in 0..<replicates {
                var rng = Xoshiro256StarStar(seed: 81, stream: [UInt64(r)])
                var out = [Double](repeating: .nan, count: chain.seriesCount * g)
                out.withUnsafeMutableBufferPointer { chain.run(regime: regime, samples: m, generations: g, rng: &rng, out: $0) }
                for n in 0..<g { fast[n].append(out[MultivariateGaussianFittingChain.Series.trace.rawValue * g + n]) }
                var srng = Xoshiro256StarStar(seed: 82, stream: [UInt64(r)])
                var model = GaussianModel(dimension: 3, estimator: .unbiased)
                var unused = Xoshiro256StarStar(seed: 0)
                var values: [Double] = []
                for _ in 0..<m {
                    let z = (0..<3).map { _ in Normal.next(using: &srng) }
                    for i in 0..<3 { values.append((0...i).reduce(0) { $0 + l[i][$1] * z[$1] }) }
                }
                _ = try GenerationScheduler<GaussianModel>(regime: regime == .replace ? .replace : .accumulate, generations: g)
                    .run(
                        model: &model, realData: PointSet(dimension: 3, values: values), sampling: &srng, subsampling: &unused,
                        observe: { n, fit, _ in slow[n - 1].append(fit.totalVariance) })
            }
            func meanAndSE(_ x: [Double]) -> (Double, Double) {
                let mean = x.reduce(0, +) / Double(x.count)
                let v = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
                return (mean, (v / Double(x.count)).squareRoot())
            }
            for n in 0..<g {
                let (a, sa) = meanAndSE(fast[n]), (b, sb) = meanAndSE(slow[n])
                let z = (a - b) / (sa * sa + sb * sb).squareRoot()
                XCTAssertLessThan(abs(z), zStar, "\(regime) generation \(n + 1): fast \(a) ± \(sa), scheduler \(b) ± \(sb)")
            }
        }
    }
}
