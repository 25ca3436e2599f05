import Foundation
import XCTest

/// Executes the three notebooks headless against small CSVs written by the CLI
/// (`scripts/notebooks/test_notebooks.py`): every cell must run without error and each notebook must
/// draw at least one figure. Needs the Python packages of scripts/requirements-notebooks.txt
/// (installed by scripts/install-deps.sh, which the README's test command runs first).
final class NotebookTests: CLITestCase {
    func testNotebooksExecuteAgainstSmallCSVs() throws {
        let (status, log) = try python("scripts/notebooks/test_notebooks.py", ["--binary", try CLIHarness.binary().path])
        XCTAssertEqual(status, 0, "notebook test failed (run scripts/install-deps.sh if Python packages are missing):\n\(log)")
        XCTAssertTrue(log.contains("3 passed, 0 failed"), log)
    }
}
