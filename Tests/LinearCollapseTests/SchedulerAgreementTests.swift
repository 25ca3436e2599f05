import CollapseCore
import LinearAlgebra
import LinearCollapse
import Randomness
import XCTest

/// The fast path (`LinearChainSimulator`) must reproduce the reference path
/// (`GenerationScheduler` + `OLSRegressionModel`, which literally stacks and refits) when both
/// read the same streams.
final class SchedulerAgreementTests: XCTestCase {
    /// Both paths do the same arithmetic up to the order of floating-point sums (BLAS kernels
    /// on stacked vs. summed data): agreement to 1e-8 relative leaves room for the
    /// condition-number amplification of round-off (≤ 1e4·ε·cond, with cond(G) ≤ 1e4 here).
    let relativeTolerance = 1e-8

    func schedulerPath(cell: LinearCell, regime: Regime, generations: Int, seed: UInt64, replicate: Int) throws -> [Double] {
        var rng = cell.stream(seed: seed, replicate: replicate, purpose: .data)
        var srng = cell.stream(seed: seed, replicate: replicate, purpose: .subsample)
        var frng = cell.stream(seed: seed, replicate: replicate, purpose: .freshReal)
        let real = LinearRealData.draw(cell: cell, using: &rng)
        var model = OLSRegressionModel(
            design: real.design, truth: real.truth,
            noiseStandardDeviation: cell.noiseVariance.squareRoot())
        // Fresh real data: new labels Xw* + E' on the fixed design (the truth "samples" them).
        var truthModel = OLSRegressionModel(
            design: real.design, truth: real.truth,
            noiseStandardDeviation: cell.noiseVariance.squareRoot())
        try truthModel.fit(RegressionData(x: real.design, y: BLAS.multiply(real.design, real.truth)))
        return try GenerationScheduler<OLSRegressionModel>(regime: regime, generations: generations)
            .run(
                model: &model, realData: RegressionData(x: real.design, y: real.labels),
                sampling: &rng, subsampling: &srng,
                freshReal: { _ in truthModel.sample(count: cell.samples, using: &frng) })
    }

    func fastPath(cell: LinearCell, regimes: [Regime], generations: Int, seed: UInt64, replicate: Int) throws -> [Double] {
        let sim = LinearChainSimulator(cell: cell, regimes: regimes, generations: generations)
        var errors = [Double](repeating: .nan, count: regimes.count * generations)
        _ = try errors.withUnsafeMutableBufferPointer { try sim.runReplicate(seed: seed, replicate: replicate, errors: $0) }
        return errors
    }

    let regimes: [Regime] = [.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.3), .freshReal(realFraction: 0.4)]
    let cells = [
        LinearCell(dimension: 4, samples: 20, noiseVariance: 1),  // well-posed
        LinearCell(dimension: 3, samples: 5, noiseVariance: 0.5),  // T = d + 2
        LinearCell(dimension: 6, samples: 4, noiseVariance: 2)  // over-parameterised, min-norm
    ]

    func testFastPathMatchesSchedulerForEveryRegime() throws {
        for cell in cells {
            for regime in regimes {
                for replicate in 0..<3 {
                    let slow = try schedulerPath(cell: cell, regime: regime, generations: 8, seed: 42, replicate: replicate)
                    let fast = try fastPath(cell: cell, regimes: [regime], generations: 8, seed: 42, replicate: replicate)
                    for n in 0..<8 {
                        XCTAssertEqual(
                            fast[n], slow[n], accuracy: relativeTolerance * abs(slow[n]),
                            "\(cell) \(regime) replicate \(replicate) generation \(n + 1)")
                    }
                }
            }
        }
    }

    /// A regime's numbers do not depend on which other regimes run beside it (the shared
    /// draws are consumed identically): bit-for-bit equality.
    func testRegimeResultsDoNotDependOnCompanions() throws {
        let cell = cells[0]
        let all = try fastPath(cell: cell, regimes: regimes, generations: 6, seed: 7, replicate: 11)
        for (i, regime) in regimes.enumerated() {
            let alone = try fastPath(cell: cell, regimes: [regime], generations: 6, seed: 7, replicate: 11)
            XCTAssertEqual(Array(all[(i * 6)..<((i + 1) * 6)]), alone, "\(regime)")
        }
    }

    /// Streams do not depend on the number of generations: a shorter run is a prefix of a longer
    /// one — bit for bit where the labels are formed one generation at a time, and to round-off
    /// (1e-12 relative) for replace/accumulate, whose noise projections are batched in blocks of
    /// up to 64 generations (a different matrix-product shape changes the last bits).
    func testShorterRunIsAPrefixOfALongerOne() throws {
        let cell = cells[0]
        let short = try fastPath(cell: cell, regimes: [.accumulateSubsample, .mix(realFraction: 0.5)], generations: 4, seed: 3, replicate: 0)
        let long = try fastPath(cell: cell, regimes: [.accumulateSubsample, .mix(realFraction: 0.5)], generations: 9, seed: 3, replicate: 0)
        XCTAssertEqual(Array(short[0..<4]), Array(long[0..<4]))
        XCTAssertEqual(Array(short[4..<8]), Array(long[9..<13]))
        let a = try fastPath(cell: cell, regimes: [.replace, .accumulate], generations: 3, seed: 3, replicate: 0)
        let b = try fastPath(cell: cell, regimes: [.replace, .accumulate], generations: 70, seed: 3, replicate: 0)
        for n in 0..<3 {
            XCTAssertEqual(a[n], b[n], accuracy: 1e-12 * b[n], "replace n=\(n + 1)")
            XCTAssertEqual(a[3 + n], b[70 + n], accuracy: 1e-12 * b[70 + n], "accumulate n=\(n + 1)")
        }
    }

    /// Generation 1 is the fit on real data for every regime, and mix(0) is replace while mix(1)
    /// refits the real data forever. mix forms its labels explicitly while replace works with
    /// projected labels (`Xᵀy = Gŵ + XᵀE`), so the identities hold to round-off (1e-10 relative).
    func testRegimeIdentities() throws {
        let cell = cells[0]
        let r = try fastPath(
            cell: cell,
            regimes: [
                .replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0),
                .mix(realFraction: 1)
            ], generations: 5, seed: 9, replicate: 2)
        let gen1 = (0..<5).map { r[$0 * 5] }
        XCTAssertTrue(gen1.allSatisfy { $0 == gen1[0] }, "generation 1 must agree across regimes: \(gen1)")
        for n in 0..<5 {
            XCTAssertEqual(r[15 + n], r[n], accuracy: 1e-10 * r[n], "mix(0) must equal replace at generation \(n + 1)")
            XCTAssertEqual(r[20 + n], gen1[0], accuracy: 1e-10 * gen1[0], "mix(1) must refit the real data")
        }
    }
}

/// The fresh-design fast path (`FreshDesignSimulator`, proof D1) against the scheduler with a
/// model that draws a new design every generation, on the same stream in the same order (w*,
/// then per generation the design column-major and the noise). Replace does the model's
/// arithmetic (`LeastSquaresSolver`, products with `X_k` through `DesignProducts`), so it agrees
/// bit for bit at every d. Accumulate solves the normal equations of the summed Gram matrices
/// where the model refactorises the stacked design (as above), to a relative 1e-8.
final class FreshDesignSchedulerAgreementTests: XCTestCase {
    struct FreshDesignOLS: GenerativeModel {
        typealias Data = RegressionData
        let truth: [Double]
        let sigma: Double
        var coefficients: [Double] = []

        mutating func fit(_ data: RegressionData) throws { coefficients = try LeastSquaresSolver(design: data.x).solve(data.y) }

        mutating func sample<G: RandomNumberGenerator>(count t: Int, using rng: inout G) -> RegressionData {
            let x = Matrix(rows: t, columns: truth.count, columnMajor: Normal.array(count: t * truth.count, using: &rng))
            let noise = Normal.array(count: t, scale: sigma, using: &rng)
            var y = [Double](repeating: 0, count: t)
            x.storage.withUnsafeBufferPointer { xp in
                coefficients.withUnsafeBufferPointer { wp in
                    y.withUnsafeMutableBufferPointer {
                        DesignProducts.multiply(xp.baseAddress!, rows: t, columns: truth.count, by: wp.baseAddress!, into: $0.baseAddress!)
                    }
                }
            }
            for i in 0..<t { y[i] += noise[i] }
            return RegressionData(x: x, y: y)
        }

        func evaluate() -> Double { zip(coefficients, truth).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
    }

    func testFreshDesignFastPathIsTheSchedulerPath() throws {
        let generations = 8
        // d = 16 > SmallProducts.maximumColumns: the BLAS branch (T ≥ d, and T < d with the SVD);
        // d = 6, T = 4: Swift's products with the SVD.
        for (d, t, s2) in [(3, 20, 1.0), (5, 8, 0.5), (6, 4, 2.0), (16, 30, 1.0), (16, 10, 1.0)] {
            for regime in [Regime.replace, .accumulate] {
                for replicate in 0..<4 {
                    let sim = FreshDesignSimulator(dimension: d, schedule: Array(repeating: (t, s2), count: generations), regimes: [regime])
                    var errors = [Double](repeating: .nan, count: generations)
                    var fastRNG = Xoshiro256StarStar(seed: 90, stream: [UInt64(replicate)])
                    try errors.withUnsafeMutableBufferPointer { try sim.run(rng: &fastRNG, errors: $0) }

                    var rng = Xoshiro256StarStar(seed: 90, stream: [UInt64(replicate)])
                    let truth = Normal.array(count: d, using: &rng)
                    var model = FreshDesignOLS(truth: truth, sigma: s2.squareRoot(), coefficients: truth)
                    let real = model.sample(count: t, using: &rng)  // y = X w* + E, drawn as the fast path draws it
                    var unused = Xoshiro256StarStar(seed: 0)
                    let slow = try GenerationScheduler<FreshDesignOLS>(regime: regime, generations: generations)
                        .run(model: &model, realData: real, sampling: &rng, subsampling: &unused)
                    for n in 0..<generations {
                        let what = "d=\(d) T=\(t) \(regime) replicate \(replicate) generation \(n + 1)"
                        if regime == .replace {
                            XCTAssertEqual(errors[n], slow[n], what)  // the model's arithmetic, bit for bit
                        } else {
                            XCTAssertEqual(errors[n], slow[n], accuracy: 1e-8 * slow[n], what)
                        }
                    }
                }
            }
        }
    }
}
