import ExternalTrainer
import Foundation
import XCTest

final class TrainerProcessTests: XCTestCase {
    /// A cancelled run starts no new step: `run` throws `StepCancelled` without spawning the
    /// trainer (here a command that would leave a marker file), so a Ctrl-C between steps
    /// shorter than the 0.1 s polling interval is not lost.
    func testCancelledRunStartsNoStep() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-process-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let marker = dir.appendingPathComponent("ran")
        let trainer = TrainerProcess(command: "touch '\(marker.path)'; echo '{\"test_loss\": 1}' #")
        func run(cancelled: Bool) throws -> (line: String, object: [String: JSONReply]) {
            try trainer.run(
                step: "evaluate", arguments: [], environment: [:], stdoutLog: dir.appendingPathComponent("out"),
                stderrLog: dir.appendingPathComponent("err"), describe: "test step", isCancelled: { cancelled })
        }
        XCTAssertThrowsError(try run(cancelled: true)) { XCTAssertTrue($0 is StepCancelled, "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "the step was started")
        // The same step, not cancelled, runs and replies.
        XCTAssertEqual(try run(cancelled: false).line, "{\"test_loss\": 1}")
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker.path))
    }
}
