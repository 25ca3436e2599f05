import Randomness
import XCTest

/// The stream registry: frozen values (every golden hash depends on them) and no two owners on
/// one root word among the owners that share a path shape.
final class StreamRegistryTests: XCTestCase {
    func testRootsAreFrozenAndDistinct() {
        let linear = [
            StreamRegistry.linearData, StreamRegistry.linearSubsample, StreamRegistry.linearSufficient,
            StreamRegistry.linearFreshDesign, StreamRegistry.linearFreshReal
        ]
        XCTAssertEqual(linear, [0, 1, 2, 3, 4])
        let checks = [StreamRegistry.parametricChecks, StreamRegistry.freshDesignChecks, StreamRegistry.propagationChecks, StreamRegistry.ridgeChecks]
        XCTAssertEqual(checks, [100, 200, 300, 400])
        // Each battery has fewer than 100 checks, so the ranges root…root+99 do not meet, nor meet
        // the linear roots or the exact-propagation truth.
        let roots = linear + checks.flatMap { r in (0..<100).map { r + $0 } } + [StreamRegistry.exactTruth]
        XCTAssertEqual(Set(roots).count, roots.count)
        XCTAssertEqual(
            [
                StreamRegistry.neuralData, StreamRegistry.neuralTraining, StreamRegistry.neuralSampling,
                StreamRegistry.neuralSubsampling, StreamRegistry.neuralEvaluation, StreamRegistry.neuralSplit,
                StreamRegistry.neuralSamples
            ], [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(StreamRegistry.code(""), 0xCBF2_9CE4_8422_2325, "FNV-1a offset basis")
        XCTAssertEqual(StreamRegistry.code("a"), 0xAF63_DC4C_8601_EC8C, "FNV-1a of 'a'")
    }
}
