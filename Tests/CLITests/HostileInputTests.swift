import Foundation
import XCTest

/// The hostile-input harness (`scripts/hostile-inputs.py`): about 500 bad invocations and files
/// across every command, each of which must exit ≠ 0 without a crash report, name its flag or
/// file on stderr, write nothing and leave its inputs unchanged.
final class HostileInputTests: CLITestCase {
    func testEveryHostileInputIsHandledCleanly() throws {
        let (status, log) = try python("scripts/hostile-inputs.py", ["--binary", try CLIHarness.binary().path])
        XCTAssertEqual(status, 0, log)
        let count = log.split(separator: "\n").first { $0.hasSuffix(" failed") && $0.contains("hostile cases") }
        XCTAssertNotNil(count, log)
        XCTAssertGreaterThanOrEqual(Int(count?.split(separator: " ").first ?? "") ?? 0, 300, log)
        XCTAssertTrue(log.contains(" 0 failed"), log)
    }
}
