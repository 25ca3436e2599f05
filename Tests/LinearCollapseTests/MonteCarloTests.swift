import CollapseCore
import CollapseTheory
import LinearCollapse
import XCTest

final class MonteCarloTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic: z = Φ⁻¹(1 − 5e-7) ≈ 4.89.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func settings(_ regimes: [Regime], repeats: Int, generations: Int, seed: UInt64 = 2024, threads: Int = 2) -> MonteCarloSettings {
        MonteCarloSettings(repeats: repeats, generations: generations, regimes: regimes, seed: seed, threads: threads)
    }

    /// Same seed ⇒ identical summaries for any thread count (fixed blocks, fixed merge order).
    func testResultsAreIdenticalForAnyThreadCount() throws {
        let cell = LinearCell(dimension: 5, samples: 12, noiseVariance: 0.7)
        let regimes: [Regime] = [.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.5)]
        let one = try MonteCarlo.run(cell: cell, settings: settings(regimes, repeats: 300, generations: 6, threads: 1))
        for threads in [2, 3, 8] {
            let other = try MonteCarlo.run(cell: cell, settings: settings(regimes, repeats: 300, generations: 6, threads: threads))
            XCTAssertEqual(one, other, "threads = \(threads)")
        }
        let otherSeed = try MonteCarlo.run(cell: cell, settings: settings(regimes, repeats: 300, generations: 6, seed: 2025))
        XCTAssertNotEqual(one.map(\.mean), otherSeed.map(\.mean))
    }

    /// Design-averaged check of proofs T1/T2 at T = d + 40 (all needed moments finite, L1).
    func testMonteCarloMatchesClosedForms() throws {
        let cell = LinearCell(dimension: 8, samples: 48, noiseVariance: 2)
        let rows = try MonteCarlo.run(cell: cell, settings: settings([.replace, .accumulate], repeats: 3000, generations: 12))
        XCTAssertEqual(rows.count, 24)
        for r in rows {
            let form: ClosedFormRegime = r.regime == .replace ? .replace : .accumulate
            let theory = try XCTUnwrap(
                LinearCollapseTheory.expectedTestError(
                    form, generation: r.generation, dimension: 8, samples: 48, noiseVariance: 2))
            XCTAssertEqual(r.theory, theory)
            XCTAssertLessThan(abs(r.mean - theory), z * r.standardError, "\(r.regime) n=\(r.generation)")
            XCTAssertLessThan(abs(try XCTUnwrap(r.zGivenDesign)), z, "\(r.regime) n=\(r.generation)")
        }
        // Replace grows linearly, accumulate stays below the π²/6 bound.
        let last = rows.filter { $0.generation == 12 }
        let bound = try XCTUnwrap(LinearCollapseTheory.accumulateBound(dimension: 8, samples: 48, noiseVariance: 2))
        XCTAssertLessThan(last[1].mean, bound + z * last[1].standardError)
        XCTAssertGreaterThan(last[0].mean, 5 * bound)
    }

    /// Over-parameterised (T < d) and T = d + 1 cells: no design-averaged theory, but the
    /// given-design theory (proof L2, with the bias ‖(I − P)w*‖²) holds.
    func testGivenDesignTheoryHoldsWithoutDesignAveragedExpectation() throws {
        for cell in [
            LinearCell(dimension: 12, samples: 6, noiseVariance: 1),
            LinearCell(dimension: 6, samples: 7, noiseVariance: 1)
        ] {
            let rows = try MonteCarlo.run(cell: cell, settings: settings([.replace, .accumulate], repeats: 2000, generations: 5))
            for r in rows {
                XCTAssertNil(r.theory, "\(cell)")
                XCTAssertNil(r.zScore)
                XCTAssertLessThan(abs(try XCTUnwrap(r.zGivenDesign)), z, "\(cell) \(r.regime) n=\(r.generation)")
            }
        }
    }

    /// Regimes without a closed form leave the theory columns empty.
    func testNoTheoryForSubsampleAndMix() throws {
        let rows = try MonteCarlo.run(
            cell: LinearCell(dimension: 3, samples: 30, noiseVariance: 1),
            settings: settings([.accumulateSubsample, .mix(realFraction: 0.2)], repeats: 64, generations: 3))
        for r in rows {
            XCTAssertNil(r.theory); XCTAssertNil(r.theoryGivenDesign); XCTAssertNil(r.zScore); XCTAssertNil(r.zGivenDesign)
            XCTAssertEqual(r.confidenceLow, r.mean - 1.959963984540054 * r.standardError, accuracy: 1e-12 * r.mean)
        }
    }

    /// Kazdan et al.'s accumulate-subsample sits between the two headline regimes: worse than
    /// accumulate (it sees only T points), far better than replace at late generations.
    /// The two-sample z needs finite variances: accumulate-subsample's error at generation n has
    /// a finite p-th moment if 2pn < ⌈T/n⌉ − d + 1 (proof A1; with T ≤ (d + 1)n its mean is
    /// infinite), so d = 5, n = 10 and T = 650 keep moments up to p = 3 finite in every series.
    func testAccumulateSubsampleLiesBetweenAccumulateAndReplace() throws {
        let cell = LinearCell(dimension: 5, samples: 650, noiseVariance: 1)
        let rows = try MonteCarlo.run(
            cell: cell,
            settings: settings([.replace, .accumulate, .accumulateSubsample], repeats: 2000, generations: 10))
        let last = rows.filter { $0.generation == 10 }
        XCTAssertEqual(
            LinearResultsCSV.finiteMoments(cell: cell, regime: .accumulateSubsample, generation: 10, design: .fixed),
            "mean+variance")
        let (rep, acc, sub) = (last[0], last[1], last[2])
        let se = { (a: GenerationSummary, b: GenerationSummary) in (a.standardError * a.standardError + b.standardError * b.standardError).squareRoot() }
        XCTAssertGreaterThan(sub.mean - acc.mean, z * se(sub, acc))
        XCTAssertGreaterThan(rep.mean - sub.mean, z * se(rep, sub))
    }
}
