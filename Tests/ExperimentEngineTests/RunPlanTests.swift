import ExperimentEngine
import Foundation
import XCTest

/// `RunPlan`: what every engine command refuses before writing, how it picks the seed, and what
/// it reports.
final class RunPlanTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("runplan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func plan(
        _ flags: [String: String] = [:], seed: UInt64? = nil, maxMemory: Double? = nil, output: String? = nil,
        force: Bool = false, shard: String? = nil, resume: Bool = false
    ) throws -> RunPlan {
        try RunPlan(
            family: ToyFamily(), config: nil, flags: flags, seed: seed, threads: 1, maxMemory: maxMemory,
            output: output ?? root.appendingPathComponent("out").path, force: force, shard: shard, resume: resume)
    }

    func refusal(_ make: () throws -> RunPlan) -> String? {
        do { _ = try make(); return nil } catch { XCTAssertTrue(error is SpecError, "\(error)"); return "\(error)" }
    }

    func testRefusalsComeBeforeAnythingIsWritten() {
        XCTAssertEqual(refusal { try self.plan(["size": "13"]) }, "--size: 13 is unlucky")
        XCTAssertEqual(refusal { try self.plan(shard: "2/2") }, "--shard: '2/2' is not I/N with 0 ≤ I < N")
        XCTAssertEqual(refusal { try self.plan(force: true, resume: true) }, "--resume and --force are exclusive")
        XCTAssertTrue(refusal { try self.plan(["size": "3"], maxMemory: 1e9) }?.contains("--max-memory") ?? false)
        XCTAssertEqual(refusal { try self.plan(output: "") }, "--output: empty path; expected a directory path")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("out").path))
    }

    func testTheSeedIsGivenRecordedOrDrawnAndAShardNeedsAFixedOne() throws {
        XCTAssertEqual(
            try plan(seed: 7).seed(draw: {
                XCTFail("no draw with a seed"); return 0
            }), 7)
        XCTAssertEqual(try plan().seed(draw: { 99 }), 99)
        XCTAssertThrowsError(try plan(shard: "0/2").seed(draw: { 1 })) { XCTAssertTrue("\($0)".hasPrefix("--shard needs a fixed seed"), "\($0)") }
        // A complete run records its seed; resuming it without --seed reuses that seed.
        let first = try plan(seed: 5)
        let outcome = try first.runner(seed: 5, command: "test", arguments: [], environment: []).run()
        XCTAssertEqual(first.report(outcome, command: "test", seed: 5).first, "test: 1 cell(s) run, 0 reused, seed 5")
        XCTAssertEqual(
            try plan(resume: true).seed(draw: {
                XCTFail("no draw when resuming"); return 0
            }), 5)
    }
}
