import CollapseCore
import CollapseTheory
import LinearAlgebra
import LinearCollapse
import Randomness
import XCTest

/// Proof D1: the chain with a fresh design every generation.
final class FreshDesignTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    /// Against an independent literal computation from the same draws: replace refits X_k⁺y_k;
    /// accumulate refits min-norm OLS on the vertically stacked designs and labels.
    func testSimulatorMatchesLiteralStackedRefits() throws {
        // Full-rank stacks (Cholesky path) and T₁ < d stacks that stay rank deficient for two
        // generations (the min-norm eigen path of SymmetricSolve).
        try compareWithLiteralRefits(d: 3, schedule: [(5, 1.0), (2, 0.5), (6, 2.0), (4, 1.0)])
        try compareWithLiteralRefits(d: 6, schedule: [(2, 1.0), (3, 0.5), (4, 2.0), (5, 1.0)])
    }

    func compareWithLiteralRefits(d: Int, schedule: [(samples: Int, noiseVariance: Double)]) throws {
        let sim = FreshDesignSimulator(dimension: d, schedule: schedule, regimes: [.replace, .accumulate])
        let nGen = schedule.count
        var errors = [Double](repeating: 0, count: 2 * nGen)
        var rng = Xoshiro256StarStar(seed: 12)
        try errors.withUnsafeMutableBufferPointer { try sim.run(rng: &rng, errors: $0) }
        // Replay the draws: w*, then per generation the design and the noise.
        var replay = Xoshiro256StarStar(seed: 12)
        let truth = Normal.array(count: d, using: &replay)
        var wReplace = truth, wAccumulate = truth
        var designs: [Matrix] = [], labels: [[Double]] = []
        for (k, (t, s2)) in schedule.enumerated() {
            let x = Matrix(rows: t, columns: d, columnMajor: Normal.array(count: t * d, using: &replay))
            let e = Normal.array(count: t, scale: s2.squareRoot(), using: &replay)
            let yR = zip(BLAS.multiply(x, wReplace), e).map(+)
            let yA = zip(BLAS.multiply(x, wAccumulate), e).map(+)
            wReplace = try LeastSquaresSolver(design: x).solve(yR)
            designs.append(x); labels.append(yA)
            wAccumulate = try LeastSquaresSolver(design: Matrix.vstack(designs)).solve(labels.flatMap { $0 })
            let eR = zip(wReplace, truth).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
            let eA = zip(wAccumulate, truth).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
            // Same draws, algebraically equal refits: agreement to round-off.
            XCTAssertEqual(errors[k], eR, accuracy: 1e-9 * max(eR, 1e-12), "replace generation \(k + 1)")
            XCTAssertEqual(errors[nGen + k], eA, accuracy: 1e-9 * max(eA, 1e-12), "accumulate generation \(k + 1) (d = \(d))")
        }
    }

    /// Monte Carlo against Σ_k σ_k² d/(T_k − d − 1), including Dohmatob et al.'s two-size chain.
    func testFreshDesignBatteryMatchesTheory() throws {
        let checks = try Verification.runFreshDesign(seed: 4, threads: 2)
        XCTAssertEqual(checks.map(\.id), ["F1", "F3", "O1", "F2"])
        for c in checks { XCTAssertLessThan(abs(c.z), z, "\(c.id): \(c.mean) vs \(c.target)") }
        // Dohmatob indexing: 5 synthetic generations are our generation 6.
        let downstream: Double = 0.5 * 4 / 55
        let generators: Double = 5 * 2 * 4 / 11
        let dohmatob = try XCTUnwrap(
            FreshDesignTheory.dohmatob(
                dimension: 4, syntheticGenerations: 5, generatorSamples: 16,
                generatorNoiseVariance: 2, samples: 60, noiseVariance: 0.5))
        XCTAssertEqual(dohmatob, downstream + generators, accuracy: 1e-12)
        XCTAssertNil(FreshDesignTheory.expectedTestError(dimension: 4, schedule: [(5, 1)]))
    }

    /// Through the Monte Carlo runner: replace and accumulate have their fresh-design closed
    /// forms (D1), the given-design columns are empty, and fixed-design-only settings are refused.
    func testMonteCarloWithFreshDesign() throws {
        let cell = LinearCell(dimension: 4, samples: 30, noiseVariance: 1)
        let rows = try MonteCarlo.run(
            cell: cell,
            settings: MonteCarloSettings(
                repeats: 4000, generations: 5, regimes: [.replace, .accumulate], seed: 2, threads: 2, design: .fresh))
        for r in rows {
            XCTAssertNil(r.theoryGivenDesign); XCTAssertNil(r.zGivenDesign)
            XCTAssertLessThan(abs(try XCTUnwrap(r.zScore)), z, "\(r.regime) n=\(r.generation)")
        }
        XCTAssertThrowsError(
            try MonteCarlo.run(
                cell: cell,
                settings: MonteCarloSettings(
                    repeats: 4, generations: 2, regimes: [.mix(realFraction: 0.5)], seed: 1, threads: 1, design: .fresh)))
        XCTAssertThrowsError(
            try MonteCarlo.run(
                cell: cell,
                settings: MonteCarloSettings(
                    repeats: 4, generations: 2, regimes: [.replace], seed: 1, threads: 1, engine: .sufficient, design: .fresh)))
    }
}

/// Closed forms of proofs D1 (accumulate) and O1 against direct evaluation.
final class FreshDesignTheoryTests: XCTestCase {
    func testAccumulateAndOverparameterisedFormulas() throws {
        // Equal sizes: σ²Σ_i d/(i(iT − d − 1)), below the fixed-design σ²·d/(T−d−1)·Σ1/i² for n ≥ 2.
        let d = 5, t = 20
        for n in 1...12 {
            let schedule = Array(repeating: (t, 1.0), count: n)
            var direct = 0.0
            for i in 1...n { direct += Double(d) / (Double(i) * Double(i * t - d - 1)) }
            let fresh = try XCTUnwrap(FreshDesignTheory.accumulateExpectedTestError(dimension: d, schedule: schedule))
            XCTAssertEqual(fresh, direct, accuracy: 1e-13)
            let fixed = try XCTUnwrap(LinearCollapseTheory.expectedTestError(.accumulate, generation: n, dimension: d, samples: t, noiseVariance: 1))
            if n == 1 { XCTAssertEqual(fresh, fixed, accuracy: 1e-15) } else { XCTAssertLessThan(fresh, fixed) }
        }
        XCTAssertNil(FreshDesignTheory.accumulateExpectedTestError(dimension: 5, schedule: [(6, 1)]))
        // O1 at n = 1 is the fixed-design min-norm value: (1 − q)‖w*‖² + σ²T/(d − T − 1).
        let o1 = try XCTUnwrap(FreshDesignTheory.overparameterisedExpectedTestError(dimension: 30, samples: 8, noiseVariance: 2, generation: 1))
        XCTAssertEqual(o1, (1 - 8.0 / 30) * 30 + 2 * 8.0 / 21, accuracy: 1e-12)
        // Limit: ‖w*‖² + σ²T·d/((d − T)(d − T − 1)).
        let far = try XCTUnwrap(FreshDesignTheory.overparameterisedExpectedTestError(dimension: 30, samples: 8, noiseVariance: 2, generation: 400))
        XCTAssertEqual(far, 30 + 2 * 8.0 * 30 / (22 * 21), accuracy: 1e-9)
        XCTAssertNil(FreshDesignTheory.overparameterisedExpectedTestError(dimension: 10, samples: 9, noiseVariance: 1, generation: 1))
    }
}
