import Foundation
import XCTest

/// Executes the three notebooks headless against small CSVs written by the CLI
/// (`scripts/notebooks/test_notebooks.py`): every cell must run without error and each notebook must
/// draw at least one figure. Needs the Python packages of scripts/requirements-notebooks.txt
/// (installed by scripts/install-deps.sh, which the README's test command runs first).
final class NotebookTests: CLITestCase {
    func testNotebooksExecuteAgainstSmallCSVs() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/notebooks/test_notebooks.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw CLITestError("missing \(script.path)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script.path, "--binary", try CLIHarness.binary().path]
        p.currentDirectoryURL = root
        let out = self.root.appendingPathComponent("notebooks.log")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        let log = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(p.terminationStatus, 0, "notebook test failed (run scripts/install-deps.sh if Python packages are missing):\n\(log)")
        XCTAssertTrue(log.contains("3 passed, 0 failed"), log)
    }
}
