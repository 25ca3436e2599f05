import Foundation
import XCTest

/// The hostile-input harness (`scripts/hostile-inputs.py`): about 500 bad invocations and files
/// across every command, each of which must exit ≠ 0 without a crash report, name its flag or
/// file on stderr, write nothing and leave its inputs unchanged.
final class HostileInputTests: CLITestCase {
    func testEveryHostileInputIsHandledCleanly() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repo.appendingPathComponent("scripts/hostile-inputs.py").path, "--binary", try CLIHarness.binary().path]
        p.currentDirectoryURL = repo
        let out = root.appendingPathComponent("hostile.log")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        let log = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(p.terminationStatus, 0, log)
        let count = log.split(separator: "\n").first { $0.hasSuffix(" failed") && $0.contains("hostile cases") }
        XCTAssertNotNil(count, log)
        XCTAssertGreaterThanOrEqual(Int(count?.split(separator: " ").first ?? "") ?? 0, 300, log)
        XCTAssertTrue(log.contains(" 0 failed"), log)
    }
}
