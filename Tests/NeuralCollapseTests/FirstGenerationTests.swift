import CollapseCore
import Foundation
import NeuralCollapse
import XCTest

/// Generation 1 trained once and shared by the regimes: the same rows as training it in each.
final class FirstGenerationTests: XCTestCase {
    /// The DDPM (whose diagnostics sample, so a shared generation 1 must carry them) and the LM:
    /// every regime run with a supplied generation 1 gives the rows of running it alone.
    func testSharedFirstGenerationGivesTheSameRows() throws {
        let lm = try LanguageModelTask.make(.smoke, seed: 2, dataPath: nil)
        let diffusion = try DiffusionTask.make(.smoke, seed: 2, dataPath: nil)
        func check<M: NeuralGenerativeModel>(_ make: @escaping () -> M, _ real: M.Data) throws {
            let first = try FirstGeneration.fit(make: make, real: real)
            for regime in [Regime.replace, .accumulate, .accumulateSubsample] {
                let alone = try NeuralExperiment.run(regimes: [regime], generations: 2, threads: 1, seed: 2, realData: real, makeModel: make)
                let shared = try NeuralExperiment.run(
                    regimes: [regime], generations: 2, threads: 1, seed: 2, realData: real, makeModel: make,
                    firstGeneration: { first })
                XCTAssertEqual(shared.rows, alone.rows, "\(M.name) \(regime)")
                XCTAssertEqual(shared.metricNames, alone.metricNames)
            }
        }
        try check(lm.make, lm.train)
        try check(diffusion.make, diffusion.train)
    }

    /// The first of several concurrent askers computes, the others wait and reuse; after `uses`
    /// takes the entry is gone (the next asker computes again); a failed computation is not kept.
    func testSharedValuesAreComputedOnceAndDropped() throws {
        let shared = SharedFirstGenerations()
        final class Counter: @unchecked Sendable {
            let lock = NSLock(); var n = 0;
            func bump() -> Int {
                lock.withLock {
                    n += 1; return n
                }
            }
        }
        let counter = Counter()
        let results = Counter()
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            let v = try! shared.value(key: "k", uses: 3) { () -> Int in
                Thread.sleep(forTimeInterval: 0.05); return 100 + counter.bump()
            }
            XCTAssertEqual(v, 101)
            _ = results.bump()
        }
        XCTAssertEqual(counter.n, 1)
        XCTAssertEqual(results.n, 3)
        XCTAssertEqual(try shared.value(key: "k", uses: 3) { 100 + counter.bump() }, 102, "dropped after its uses")
        struct Failure: Error {}
        XCTAssertThrowsError(try shared.value(key: "f", uses: 2) { () -> Int in throw Failure() })
        XCTAssertEqual(try shared.value(key: "f", uses: 2) { 7 }, 7, "a failure is not kept")
    }
}
