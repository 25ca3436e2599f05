import ExperimentEngine
import CollapseSweep
import Foundation
import Synchronization
import XCTest

final class SweepRunnerTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    let spec = try! SweepSpec.parse("""
        name = "small"
        dimension = [2, 4]
        samples = [3, 12]
        noise_variance = [1, 5]
        generations = 4
        regimes = ["replace", "accumulate", "accumulate-subsample", "mix"]
        real_fraction = [0.5]
        repeats = 70
        """, file: "inline")

    func runner(_ dir: String, shard: Shard? = nil, resume: Bool = false, force: Bool = false, threads: Int = 2) -> SweepRunner {
        SweepRunner(options: .init(spec: spec, seed: 11, threads: threads, shard: shard, output: root.appendingPathComponent(dir),
                                   resume: resume, force: force, arguments: ["test"]))
    }

    func results(_ dir: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(dir).appendingPathComponent("results.csv")) }

    func testCompleteRunWritesCellsResultsAndManifest() throws {
        let outcome = try runner("a").run()
        XCTAssertEqual(outcome.status, .complete)
        XCTAssertEqual(outcome.cellsRun, 8)
        XCTAssertEqual(outcome.rows, 8 * 4 * 4)
        let csv = String(decoding: try results("a"), as: UTF8.self)
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 128)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("a/manifest.json"))) as? [String: Any]
        XCTAssertEqual(manifest?["status"] as? String, "complete")
        XCTAssertEqual(try SweepRunner.recordedSpec(in: root.appendingPathComponent("a"))?.seed, 11)
        // Thread count does not change a byte.
        _ = try runner("b", threads: 1).run()
        XCTAssertEqual(try results("a"), try results("b"))
    }

    func testShardsMergeToTheUnshardedBytes() throws {
        _ = try runner("full").run()
        for i in 0..<3 { _ = try runner("s\(i)", shard: Shard(index: i, count: 3)).run() }
        let merged = try SweepMerge.merge((0..<3).map { root.appendingPathComponent("s\($0)") }, into: root.appendingPathComponent("m"))
        XCTAssertEqual(merged.rows, 128)
        XCTAssertEqual(try results("m"), try results("full"))
        // A missing shard is an error naming the missing cell.
        XCTAssertThrowsError(try SweepMerge.merge([root.appendingPathComponent("s0")], into: root.appendingPathComponent("m2"))) {
            XCTAssertTrue("\($0)".contains("is missing"), "\($0)")
        }
    }

    func testInterruptedThenResumedRunIsByteIdentical() throws {
        _ = try runner("full").run()
        for stopAfter in [1, 5, 13] {
            let dir = "cut\(stopAfter)"
            let polls = Atomic<Int>(0)
            let first = try runner(dir).run(isCancelled: { polls.add(1, ordering: .relaxed).newValue > stopAfter })
            XCTAssertEqual(first.status, .interrupted)
            XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("\(dir)/results.csv").path))
            let second = runner(dir, resume: true)
            try second.prepareOutput()
            let outcome = try second.run()
            XCTAssertEqual(outcome.status, .complete)
            XCTAssertEqual(outcome.cellsReused + outcome.cellsRun, 8)
            XCTAssertEqual(try results(dir), try results("full"), "stopped after \(stopAfter) polls")
        }
    }

    func testOutputDirectoryRules() throws {
        _ = try runner("x").run()
        XCTAssertThrowsError(try runner("x").prepareOutput()) { XCTAssertTrue("\($0)".contains("--resume")) }
        XCTAssertNoThrow(try runner("x", resume: true).prepareOutput())
        var other = spec
        other.repeats = 71
        let mismatched = SweepRunner(options: .init(spec: other, seed: 11, threads: 1, shard: nil,
                                                    output: root.appendingPathComponent("x"), resume: true, force: false, arguments: []))
        XCTAssertThrowsError(try mismatched.prepareOutput()) { XCTAssertTrue("\($0)".contains("repeats: 70 vs 71"), "\($0)") }
        try runner("x", force: true).prepareOutput()
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("x/cells").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("x/results.csv").path))
        // A directory with foreign files is not resumable.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("y"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: root.appendingPathComponent("y/notes.txt"))
        XCTAssertThrowsError(try runner("y", resume: true).prepareOutput()) { XCTAssertTrue("\($0)".contains("not a sweep directory")) }
    }
}

/// Merge and resume check every cell file against the sweep before using it.
final class CellValidationTests: XCTestCase {
    func testDamagedCellFilesAreRejectedWithFileAndLine() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cells-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let spec = try SweepSpec.parse("dimension = 3\nsamples = [10, 20]\ngenerations = 3\nregimes = [\"replace\", \"mix\"]\nrepeats = 20\n", file: "x")
        let dir = root.appendingPathComponent("a")
        _ = try SweepRunner(options: .init(spec: spec, seed: 1, threads: 1, shard: nil, output: dir, resume: false,
                                           force: false, arguments: [])).run()
        let cell = dir.appendingPathComponent("cells/cell-00001.csv")
        let original = try String(contentsOf: cell, encoding: .utf8)
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let damaged: [(String, String)] = [
            (lines.dropLast(2).joined(separator: "\n") + "\n", "rows, expected 6"),
            (String(original.dropLast()), "does not end with a newline"),
            (original.replacingOccurrences(of: "replace,2,3,20", with: "replace,2,3,21"), ":3: row does not belong"),
            (original.replacingOccurrences(of: "mix,3,3,20,1.0,20,", with: "mix,3,3,20,1.0,20,abc"), ":7: column 'mean_test_error'"),
            ("garbage\n", ":1: unexpected header"),
        ]
        for (text, fragment) in damaged {
            try text.write(to: cell, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try SweepMerge.merge([dir], into: root.appendingPathComponent("m"))) { error in
                XCTAssertTrue("\(error)".contains("cell-00001.csv") && "\(error)".contains(fragment), "\(error)")
            }
            let resumed = SweepRunner(options: .init(spec: spec, seed: 1, threads: 1, shard: nil, output: dir, resume: true,
                                                     force: false, arguments: []))
            XCTAssertThrowsError(try resumed.run()) { XCTAssertTrue("\($0)".contains("delete that file"), "\($0)") }
        }
        try original.write(to: cell, atomically: true, encoding: .utf8)
        XCTAssertEqual(try SweepMerge.merge([dir], into: root.appendingPathComponent("m")).rows, 12)
    }
}
