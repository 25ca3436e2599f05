import CollapseCore
import Randomness
import XCTest

/// A point tagged with the generation that produced it (0 = real data) and its index.
struct Tagged: Equatable { var generation: Int; var index: Int }

struct TaggedData: TrainingData, Equatable {
    var points: [Tagged]
    var count: Int { points.count }
    static func concatenating(_ parts: [TaggedData]) -> TaggedData { TaggedData(points: parts.flatMap(\.points)) }
    func subset(_ indices: [Int]) -> TaggedData { TaggedData(points: indices.map { points[$0] }) }
}

/// Records every training set it is fit on; "samples" points tagged with its fit count.
struct RecordingModel: GenerativeModel {
    var fits: [TaggedData] = []
    mutating func fit(_ data: TaggedData) throws { fits.append(data) }
    mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> TaggedData {
        _ = rng.next()
        return TaggedData(points: (0..<count).map { Tagged(generation: fits.count, index: $0) })
    }
    func evaluate() -> Double { Double(fits.count) }
}

final class GenerationSchedulerTests: XCTestCase {
    let t = 8
    var real: TaggedData { TaggedData(points: (0..<t).map { Tagged(generation: 0, index: $0) }) }

    func run(_ regime: Regime, generations: Int = 4) throws -> (RecordingModel, [Double]) {
        var model = RecordingModel()
        var g = Xoshiro256StarStar(seed: 1)
        var h = Xoshiro256StarStar(seed: 2)
        let metrics = try GenerationScheduler<RecordingModel>(regime: regime, generations: generations)
            .run(model: &model, realData: real, sampling: &g, subsampling: &h)
        return (model, metrics)
    }

    func testEveryRegimeFitsRealDataFirstAndEvaluatesEachGeneration() throws {
        for regime in [Regime.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.5)] {
            let (model, metrics) = try run(regime)
            XCTAssertEqual(model.fits.count, 4, "\(regime)")
            XCTAssertEqual(model.fits[0], real, "\(regime): generation 1 must fit the real data")
            XCTAssertEqual(metrics, [1, 2, 3, 4], "\(regime): evaluate() after each fit")
        }
    }

    func testReplaceTrainsOnNewestSyntheticDataOnly() throws {
        let (model, _) = try run(.replace)
        for n in 2...4 {
            XCTAssertEqual(model.fits[n - 1].points, (0..<t).map { Tagged(generation: n - 1, index: $0) })
        }
    }

    func testAccumulateStacksRealAndEverySyntheticGenerationInOrder() throws {
        let (model, _) = try run(.accumulate)
        for n in 1...4 {
            let expected = (0..<n).flatMap { g in (0..<t).map { Tagged(generation: g, index: $0) } }
            XCTAssertEqual(model.fits[n - 1].points, expected)
        }
    }

    func testAccumulateSubsampleDrawsTDistinctPointsFromThePool() throws {
        let (model, _) = try run(.accumulateSubsample, generations: 6)
        for n in 2...6 {
            let pts = model.fits[n - 1].points
            XCTAssertEqual(pts.count, t)
            let keys = Set(pts.map { $0.generation * 1000 + $0.index })
            XCTAssertEqual(keys.count, t, "generation \(n): points must be drawn without replacement")
            XCTAssertTrue(pts.allSatisfy { $0.generation < n && $0.index < t }, "only pooled points")
        }
    }

    func testMixKeepsFirstRealPointsAndNewestSyntheticRest() throws {
        let (model, _) = try run(.mix(realFraction: 0.25))
        let m = 2  // round(0.25·8)
        for n in 2...4 {
            let expected =
                (0..<m).map { Tagged(generation: 0, index: $0) }
                + (m..<t).map { Tagged(generation: n - 1, index: $0) }
            XCTAssertEqual(model.fits[n - 1].points, expected)
        }
    }

    func testSingleGenerationOnlyFitsRealData() throws {
        let (model, metrics) = try run(.accumulate, generations: 1)
        XCTAssertEqual(model.fits, [real])
        XCTAssertEqual(metrics, [1])
    }

    func testRegimeNamesAndRealCount() {
        XCTAssertEqual(Regime.replace.name, "replace")
        XCTAssertEqual(Regime.accumulateSubsample.name, "accumulate-subsample")
        XCTAssertEqual(Regime.mix(realFraction: 0.3).name, "mix")
        XCTAssertEqual(Regime.mix(realFraction: 0.3).realFraction, 0.3)
        XCTAssertNil(Regime.accumulate.realFraction)
        XCTAssertEqual(Regime.realCount(fraction: 0, of: 10), 0)
        XCTAssertEqual(Regime.realCount(fraction: 1, of: 10), 10)
        XCTAssertEqual(Regime.realCount(fraction: 0.25, of: 10), 2)  // 2.5 rounds to even
        XCTAssertEqual(Regime.realCount(fraction: 0.35, of: 10), 4)
    }
}
