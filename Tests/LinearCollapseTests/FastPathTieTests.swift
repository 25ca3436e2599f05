import CollapseCore
import CollapseTheory
import Foundation
import LinearAlgebra
import LinearCollapse
import Randomness
import XCTest

/// A ridge refit on a fixed design, for the scheduler path of proof E1's chains: `fit` solves
/// `min_w Σ_b γ^{age_b}‖y_b − Xw‖² + λ‖w‖²` over the blocks `y_b` of `T` rows of its training
/// set (oldest first, as the scheduler stacks the pool; age 0 is the newest) by the library's
/// least-squares solver on the augmented design `[√γ^{age}·X …; √λ·I]` — not the eigenbasis
/// solve of `RidgeChainSimulator` / `ExactPropagation`. `λ` is the penalty on the *sum* of
/// squares (what `ExactPropagation` takes; `collapse theory --model exact --ridge λ` passes
/// `T·λ`). Under `replace` the set is one block; under `accumulate` with `γ = 1` this is the
/// stacked ridge fit, and `γ < 1` is discounted accumulation (the discount lives in the fit,
/// because the scheduler's pool has no weights). `λ = 0` is the min-norm fit.
struct RidgeRefitModel: GenerativeModel {
    typealias Data = RegressionData
    let design: Matrix
    let truth: [Double]
    let sigma: Double
    let ridge: Double
    let discount: Double
    var coefficients: [Double]

    init(design: Matrix, truth: [Double], sigma: Double, ridge: Double, discount: Double = 1) {
        self.design = design; self.truth = truth; self.sigma = sigma; self.ridge = ridge; self.discount = discount
        coefficients = truth
    }

    mutating func fit(_ data: RegressionData) throws {
        let t = design.rows, d = design.columns, rows = data.count
        precondition(rows % t == 0, "the pool is made of whole generations")
        let blocks = rows / t, extra = ridge > 0 ? d : 0
        var x = Matrix(rows: rows + extra, columns: d)
        var y = [Double](repeating: 0, count: rows + extra)
        for b in 0..<blocks {
            let scale = pow(discount, Double(blocks - 1 - b)).squareRoot()
            for i in (b * t)..<((b + 1) * t) {
                y[i] = scale * data.y[i]
                for j in 0..<d { x[i, j] = scale * data.x[i, j] }
            }
        }
        for j in 0..<extra { x[rows + j, j] = ridge.squareRoot() }
        coefficients = try LeastSquaresSolver(design: x).solve(y)
    }

    /// `y = Xŵ + σξ`, the `T` normals of `ξ` drawn in row order (as `RidgeChainSimulator` draws them).
    mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> RegressionData {
        precondition(count == design.rows)
        var y = Normal.array(count: count, scale: sigma, using: &rng)
        let mean = BLAS.multiply(design, coefficients)
        for i in 0..<count { y[i] += mean[i] }
        return RegressionData(x: design, y: y)
    }

    /// `‖ŵ − w*‖²` (Σ = I).
    func evaluate() -> Double { zip(coefficients, truth).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
}

/// Ties the fast paths of proof E1 — the exact risk curves of `ExactPropagation` (what
/// `collapse theory --model exact [--ridge λ] [--discount γ]` prints) and the literal refit
/// loop `RidgeChainSimulator` (the Monte Carlo side of `collapse verify` E1, E2) — to
/// `GenerationScheduler` with `RidgeRefitModel`, for ridge replace, ridge accumulate,
/// discounted accumulation and the min-norm chain.
final class ExactPropagationSchedulerTieTests: XCTestCase {
    /// One design and truth, drawn from a fixed seed.
    func problem(_ t: Int, _ d: Int, seed: UInt64) -> (Matrix, [Double]) {
        var rng = Xoshiro256StarStar(seed: seed)
        return (Matrix(rows: t, columns: d, columnMajor: Normal.array(count: t * d, using: &rng)), Normal.array(count: d, using: &rng))
    }

    /// The scheduler path on stream `rng`: real labels `Xw* + E` drawn first, then the same
    /// stream samples every generation. `discounted` runs under `accumulate` with `γ` in the fit.
    static func schedulerCurve(
        _ x: Matrix, _ w: [Double], s2: Double, lambda: Double, scheme: ExactPropagation.Scheme, generations: Int,
        rng: inout Xoshiro256StarStar
    ) throws -> [Double] {
        let regime: Regime, gamma: Double
        switch scheme {
        case .replace: (regime, gamma) = (.replace, 1)
        case .accumulate: (regime, gamma) = (.accumulate, 1)
        case let .discounted(g): (regime, gamma) = (.accumulate, g)
        }
        var model = RidgeRefitModel(design: x, truth: w, sigma: s2.squareRoot(), ridge: lambda, discount: gamma)
        let real = model.sample(count: x.rows, using: &rng)  // coefficients start at w*: y = Xw* + E
        var unused = Xoshiro256StarStar(seed: 0)
        return try GenerationScheduler<RidgeRefitModel>(regime: regime, generations: generations)
            .run(model: &model, realData: real, sampling: &rng, subsampling: &unused)
    }

    /// Same streams, same draws: `RidgeChainSimulator` forms `y = Xŵ + E` with the same normals
    /// in the same order, so only the solves differ (its eigenbasis solve of `(W_nG + λI)ŵ =
    /// Σγ^{age}Xᵀy` against the model's Cholesky/SVD of the augmented, stacked design). Agreement
    /// to a relative 1e-8: round-off of either solve is of order cond·ε per generation (the
    /// largest relative difference observed here is 7e-14), while any wrong weight, penalty or
    /// draw order moves the error by O(1) (a discount off by 0.1 moves it by 5% at generation 2).
    func testRidgeChainSimulatorIsTheSchedulerPathOnTheSameStreams() throws {
        let generations = 10
        let cases: [(t: Int, d: Int, s2: Double, lambda: Double, schemes: [ExactPropagation.Scheme])] = [
            (10, 6, 1, 0.5, [.replace, .accumulate, .discounted(gamma: 0.7)]),  // verify E1's shape
            (5, 8, 2, 0, [.replace, .accumulate, .discounted(gamma: 0.4)]),  // verify E2's: min-norm, T < d
            (20, 4, 0.5, 3, [.replace, .accumulate, .discounted(gamma: 0.9)])
        ]
        for (index, c) in cases.enumerated() {
            let (x, w) = problem(c.t, c.d, seed: 500 + UInt64(index))
            for scheme in c.schemes {
                let sim = try RidgeChainSimulator(design: x, truth: w, noiseVariance: c.s2, ridge: c.lambda, scheme: scheme)
                for replicate in 0..<5 {
                    var fastRNG = Xoshiro256StarStar(seed: 61, stream: [UInt64(index), UInt64(replicate)])
                    var fast = [Double](repeating: .nan, count: generations)
                    try fast.withUnsafeMutableBufferPointer { try sim.run(generations: generations, rng: &fastRNG, errors: $0) }
                    var rng = Xoshiro256StarStar(seed: 61, stream: [UInt64(index), UInt64(replicate)])
                    let slow = try Self.schedulerCurve(x, w, s2: c.s2, lambda: c.lambda, scheme: scheme, generations: generations, rng: &rng)
                    for n in 0..<generations {
                        XCTAssertEqual(
                            fast[n], slow[n], accuracy: 1e-8 * slow[n],
                            "T=\(c.t) d=\(c.d) λ=\(c.lambda) \(Verification.schemeName(scheme)) replicate \(replicate) generation \(n + 1)")
                    }
                }
            }
        }
    }

    /// `ExactPropagation.testErrorCurve` is an exact expectation `E‖ŵ_n − w*‖² | X, w*`: the
    /// scheduler path's Monte Carlo mean over `R` noise replicates (same X, w*) must match it.
    /// One-sample z = (mean − exact)/SE per scheme and generation; threshold z* for a
    /// family-wise two-sided false alarm of 1e-4 over all 50 statistics (Bonferroni,
    /// z* ≈ 4.75 per statistic): any seed passes with probability ≥ 1 − 1e-4. The errors are
    /// quadratic forms in Gaussians (finite moments of every order), so at R = 3000 the normal
    /// approximation of the mean is good far into the tail used here. The designs are the
    /// first two of the same-stream test (ridge, and min-norm with T < d).
    func testSchedulerMonteCarloMatchesTheExactCurves() throws {
        let generations = 10, repeats = 3000
        let cases: [(t: Int, d: Int, s2: Double, lambda: Double, schemes: [ExactPropagation.Scheme])] = [
            (10, 6, 1, 0.5, [.replace, .accumulate, .discounted(gamma: 0.7)]),
            (5, 8, 2, 0, [.replace, .accumulate])
        ]
        let statistics = cases.reduce(0) { $0 + $1.schemes.count } * generations
        let zStar = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-4 / Double(statistics))
        MonteCarlo.configureBLASForParallelReplicates()
        for (index, c) in cases.enumerated() {
            let (x, w) = problem(c.t, c.d, seed: 500 + UInt64(index))
            let exact = try ExactPropagation(design: x, truth: w, noiseVariance: c.s2, ridge: c.lambda)
            for (si, scheme) in c.schemes.enumerated() {
                let failure = ErrorBox()
                let summary = ParallelReplicates.run(repeats: repeats, series: generations, threads: 2) { rep, buffer in
                    var rng = Xoshiro256StarStar(seed: 62, stream: [UInt64(index), UInt64(si), UInt64(rep)])
                    do {
                        let curve = try ExactPropagationSchedulerTieTests.schedulerCurve(
                            x, w, s2: c.s2, lambda: c.lambda, scheme: scheme, generations: generations, rng: &rng)
                        for n in 0..<generations { buffer[n] = curve[n] }
                    } catch { failure.set(error) }
                }
                if let error = failure.error { throw error }
                let curve = exact.testErrorCurve(scheme, generations: generations)
                for n in 0..<generations {
                    let z = (summary.mean[n] - curve[n]) / summary.standardError[n]
                    XCTAssertLessThan(
                        abs(z), zStar,
                        "T=\(c.t) d=\(c.d) λ=\(c.lambda) \(Verification.schemeName(scheme)) generation \(n + 1): "
                            + "scheduler \(summary.mean[n]) ± \(summary.standardError[n]) vs exact \(curve[n])")
                }
            }
        }
    }

    /// The fresh-real curves of `collapse theory --model exact` (`FreshRealPropagation`, proof E1
    /// item 5, exact given X, w*), with a ridge penalty and min-norm: the scheduler's
    /// `fresh-real(m/T)` regime with `RidgeRefitModel` (fresh labels `Xw* + E'` from a model at
    /// `w*` on its own stream; rows `0..<m` of them train). Shapes of `collapse verify` E3
    /// (bounded) and E4 (rank X_R < rank X: linear growth). One-sample z per generation against
    /// z* for a family-wise two-sided false alarm of 1e-4 over the 24 statistics (Bonferroni,
    /// z* ≈ 4.6 each); normal approximation as above.
    func testSchedulerFreshRealMonteCarloMatchesTheExactCurves() throws {
        let generations = 12, repeats = 3000
        let cases: [(t: Int, d: Int, m: Int, lambda: Double)] = [(10, 3, 4, 0.4), (10, 6, 3, 0)]
        let zStar = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-4 / Double(cases.count * generations))
        MonteCarlo.configureBLASForParallelReplicates()
        for (index, c) in cases.enumerated() {
            let (x, w) = problem(c.t, c.d, seed: 510 + UInt64(index))
            let regime = Regime.freshReal(realFraction: Double(c.m) / Double(c.t))
            XCTAssertEqual(Regime.realCount(fraction: regime.realFraction!, of: c.t), c.m)
            let failure = ErrorBox()
            let summary = ParallelReplicates.run(repeats: repeats, series: generations, threads: 2) { rep, buffer in
                var rng = Xoshiro256StarStar(seed: 66, stream: [UInt64(index), UInt64(rep)])
                var fresh = Xoshiro256StarStar(seed: 66, stream: [UInt64(index), UInt64(rep), 1])
                var unused = Xoshiro256StarStar(seed: 0)
                var model = RidgeRefitModel(design: x, truth: w, sigma: 1, ridge: c.lambda)
                var truthModel = model  // coefficients w*: samples Xw* + E'
                let real = model.sample(count: c.t, using: &rng)
                do {
                    let curve = try GenerationScheduler<RidgeRefitModel>(regime: regime, generations: generations)
                        .run(
                            model: &model, realData: real, sampling: &rng, subsampling: &unused,
                            freshReal: { _ in truthModel.sample(count: c.t, using: &fresh) })
                    for n in 0..<generations { buffer[n] = curve[n] }
                } catch { failure.set(error) }
            }
            if let error = failure.error { throw error }
            let curve = try FreshRealPropagation(design: x, truth: w, realRows: c.m, noiseVariance: 1, ridge: c.lambda)
                .testErrorCurve(generations: generations)
            for n in 0..<generations {
                let z = (summary.mean[n] - curve[n]) / summary.standardError[n]
                XCTAssertLessThan(
                    abs(z), zStar,
                    "T=\(c.t) d=\(c.d) m=\(c.m) λ=\(c.lambda) generation \(n + 1): "
                        + "scheduler \(summary.mean[n]) ± \(summary.standardError[n]) vs exact \(curve[n])")
            }
        }
    }
}

/// The generator chain of Dohmatob et al. with a coloured design (`Σ = diag(s)`), for the
/// scheduler: each fit is OLS on a fresh design `Z·diag(√s)` labelled by the previous fit plus
/// `N(0, σ₀²)` noise (drawn design first, column-major, then the noise). `evaluate()` is the
/// downstream risk `‖ŵ − w*‖²_Σ` of the ridge fit `(XᵀX/T + λI)ŵ = Xᵀy/T` on labels
/// `y = X·(this generator) + E` for the one downstream design `X` and noise `E` it is given,
/// solved independently of `RidgeDownstreamFit` (augmented least squares `[X/√T; √λI]`,
/// min-norm `X⁺y` at λ = 0).
struct ColouredGeneratorModel: GenerativeModel {
    typealias Data = RegressionData
    let spectrum: RidgeSpectrum
    let generatorSigma: Double
    let downstream: Matrix
    let downstreamNoise: [Double]
    let ridge: Double
    var coefficients: [Double]

    mutating func fit(_ data: RegressionData) throws { coefficients = try LeastSquaresSolver(design: data.x).solve(data.y) }

    mutating func sample<G: RandomNumberGenerator>(count t: Int, using rng: inout G) -> RegressionData {
        let d = spectrum.dimension
        var x = Matrix(rows: t, columns: d, columnMajor: Normal.array(count: t * d, using: &rng))
        for j in 0..<d {
            let r = spectrum.eigenvalues[j].squareRoot()
            for i in 0..<t { x[i, j] *= r }
        }
        let noise = Normal.array(count: t, scale: generatorSigma, using: &rng)
        var y = BLAS.multiply(x, coefficients)
        for i in 0..<t { y[i] += noise[i] }
        return RegressionData(x: x, y: y)
    }

    func evaluate() -> Double {
        let t = downstream.rows, d = spectrum.dimension
        var y = BLAS.multiply(downstream, coefficients)
        for i in 0..<t { y[i] += downstreamNoise[i] }
        let w: [Double]
        do {
            if ridge == 0 {
                w = try LeastSquaresSolver(design: downstream).solve(y)
            } else {
                var a = Matrix(rows: t + d, columns: d)
                let root = Double(t).squareRoot()
                for j in 0..<d { for i in 0..<t { a[i, j] = downstream[i, j] / root } }
                for j in 0..<d { a[t + j, j] = ridge.squareRoot() }
                w = try LeastSquaresSolver(design: a).solve(y.map { $0 / root } + [Double](repeating: 0, count: d))
            }
        } catch { return .nan }
        var risk = 0.0
        for j in 0..<d { risk += spectrum.eigenvalues[j] * (w[j] - spectrum.truth[j]) * (w[j] - spectrum.truth[j]) }
        return risk
    }
}

/// Ties `FreshDesignRidgeSimulator` (ridge after generators, proof R1; `collapse verify` R1–R3
/// and the Monte Carlo side of `collapse theory --model ridge`) to `GenerationScheduler`.
///
/// The simulator's generation `N` fits downstream on generator `N − 1` (generator 0 is `w*`);
/// generator `k ≥ 1` is the scheduler's generation `k` with `ColouredGeneratorModel`, whose
/// real data (generation 1's training set) is a sample of the model at `w*`. Fed one stream in
/// the simulator's order — downstream `X` and `E`, then per generator its design and noise —
/// both paths make the same draws and the same generator fits (the same `LeastSquaresSolver`
/// on the same numbers, bit for bit); only the downstream ridge solve differs (eigenbasis of
/// `XᵀX/T` against augmented least squares), so the risks agree to a relative 1e-8: round-off
/// is of order cond·ε (the largest relative difference observed here is 4e-15), while any
/// wrong index shift, draw order, colouring or penalty scaling moves the risk by far more (a
/// penalty 5% off moves it by 1–2%).
final class RidgeDownstreamSchedulerTieTests: XCTestCase {
    func testSimulatorIsTheSchedulerPathOnTheSameStreams() throws {
        let generations = 5
        let cases: [(spectrum: RidgeSpectrum, t: Int, lambda: Double, t0: Int)] = [
            (.powerLaw(dimension: 4, beta: 1, source: 0.5), 7, 0.2, 9),  // the replay test's shape
            (.powerLaw(dimension: 6, beta: 1.5, source: 0.5), 4, 0.05, 12),  // over-parameterised downstream
            (.powerLaw(dimension: 5, beta: 2, source: 0.5), 30, 0, 12),  // downstream OLS (verify R-style λ = 0)
            (.isotropic(dimension: 6), 3, 0, 10)  // min-norm downstream, T < d
        ]
        let s2 = 0.6, s0 = 1.5
        for (index, c) in cases.enumerated() {
            let sim = FreshDesignRidgeSimulator(
                spectrum: c.spectrum, samples: c.t, noiseVariance: s2, ridge: c.lambda,
                generatorSamples: c.t0, generatorNoiseVariance: s0, generations: generations)
            for replicate in 0..<5 {
                var values = [Double](repeating: .nan, count: 3 * generations)
                var fastRNG = Xoshiro256StarStar(seed: 63, stream: [UInt64(index), UInt64(replicate)])
                try values.withUnsafeMutableBufferPointer { try sim.run(rng: &fastRNG, values: $0) }

                var rng = Xoshiro256StarStar(seed: 63, stream: [UInt64(index), UInt64(replicate)])
                let d = c.spectrum.dimension
                var x = Matrix(rows: c.t, columns: d, columnMajor: Normal.array(count: c.t * d, using: &rng))
                for j in 0..<d { for i in 0..<c.t { x[i, j] *= c.spectrum.eigenvalues[j].squareRoot() } }
                let e = Normal.array(count: c.t, scale: s2.squareRoot(), using: &rng)
                var model = ColouredGeneratorModel(
                    spectrum: c.spectrum, generatorSigma: s0.squareRoot(), downstream: x, downstreamNoise: e,
                    ridge: c.lambda, coefficients: c.spectrum.truth)
                var slow = [model.evaluate()]  // N = 1: labels from w*
                let real = model.sample(count: c.t0, using: &rng)  // generator 1's data: X₁w* + E₁
                var unused = Xoshiro256StarStar(seed: 0)
                slow += try GenerationScheduler<ColouredGeneratorModel>(regime: .replace, generations: generations - 1)
                    .run(model: &model, realData: real, sampling: &rng, subsampling: &unused)
                for n in 0..<generations {
                    XCTAssertEqual(values[n], slow[n], accuracy: 1e-8 * slow[n], "case \(index) replicate \(replicate) generation \(n + 1)")
                }
            }
        }
    }
}
