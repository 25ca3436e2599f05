import ExperimentEngine
import Foundation
import XCTest

/// The engine's input and output checks: every refusal names the flag and says why.
final class RunFilesTests: XCTestCase {
    func testTextFileReadsRegularFilesOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.toml")
        try "generations = 3\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TextFile.read(file.path, flag: "--config"), "generations = 3\n")
        XCTAssertThrowsError(try TextFile.read(dir.path, flag: "--config")) {
            XCTAssertEqual("\($0)", "--config \(dir.path): cannot read the file (it is a directory)")
        }
        let fifo = dir.appendingPathComponent("fifo")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try TextFile.read(fifo.path, flag: "--config")) { XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)") }
        try Data([0xff, 0xfe, 0x00]).write(to: file)
        XCTAssertThrowsError(try TextFile.read(file.path, flag: "--config")) { XCTAssertTrue("\($0)".hasSuffix("not UTF-8 text"), "\($0)") }
        XCTAssertThrowsError(try TextFile.read(dir.appendingPathComponent("none").path, flag: "--config")) {
            XCTAssertTrue("\($0)".contains("cannot read the file (No such file or directory)"), "\($0)")
        }
    }

    func testOutputDirectoryIsCheckedBeforeAnythingIsWritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(try OutputDirectory(path: dir.appendingPathComponent("a/b").path).url.lastPathComponent, "b")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a").path), "nothing created")
        let file = dir.appendingPathComponent("f")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try OutputDirectory(path: file.path)) { XCTAssertTrue("\($0)".contains("exists and is not a directory"), "\($0)") }
        XCTAssertThrowsError(try OutputDirectory(path: file.appendingPathComponent("sub").path)) {
            XCTAssertTrue("\($0)".contains("is a file, not a directory"), "\($0)")
        }
        XCTAssertThrowsError(try OutputDirectory(path: "")) { XCTAssertEqual("\($0)", "--output: empty path; expected a directory path") }
    }

    func testMemorySizes() throws {
        XCTAssertEqual(try MemoryGuard.parseSize("512", flag: "--max-memory"), 512)
        XCTAssertEqual(try MemoryGuard.parseSize("4G", flag: "--max-memory"), 4 * 1024 * 1024 * 1024)
        XCTAssertEqual(try MemoryGuard.parseSize(" 1.5mib ", flag: "--max-memory"), 1.5 * 1024 * 1024)
        for bad in ["", "0", "-1G", "G", "1X", "nan", "inf"] {
            XCTAssertThrowsError(try MemoryGuard.parseSize(bad, flag: "--max-memory"), bad) {
                XCTAssertTrue("\($0)".hasPrefix("--max-memory: '\(bad)' is not a memory size"), "\($0)")
            }
        }
    }

    func testProgressClock() {
        XCTAssertEqual(TextProgress.clock(59.6), "1:00")
        XCTAssertEqual(TextProgress.clock(3725), "1:02:05")
        XCTAssertEqual(TextProgress.clock(.nan), "--:--")
    }

    func testListParsingNamesTheFlag() {
        XCTAssertEqual(try ListParsing.integers("1, 2,3", flag: "--n", minimum: 1), [1, 2, 3])
        XCTAssertThrowsError(try ListParsing.integers("1,,2", flag: "--n", minimum: 1)) {
            XCTAssertTrue("\($0)".hasPrefix("--n '1,,2': item 2 is empty"), "\($0)")
        }
        XCTAssertThrowsError(try ListParsing.positiveDoubles("1,1.0", flag: "--s")) {
            XCTAssertTrue("\($0)".contains("the value 1.0 is listed twice"), "\($0)")
        }
        XCTAssertThrowsError(try ListParsing.positiveDoubles("nan", flag: "--s")) {
            XCTAssertTrue("\($0)".hasPrefix("--s: nan is not a number (NaN)"), "\($0)")
        }
        XCTAssertThrowsError(try ListParsing.fractions("1.5", flag: "--f")) {
            XCTAssertTrue("\($0)".hasPrefix("--f: '1.5' is not a fraction in [0, 1]"), "\($0)")
        }
    }

    /// A run directory whose experiment.toml is a FIFO is refused at once (resume and merge read it).
    func testARunFileThatIsAFIFOIsRefusedWithoutBlocking() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(mkfifo(dir.appendingPathComponent(ExperimentRunner.specFile).path, 0o600), 0)
        XCTAssertThrowsError(try ExperimentRunner.recordedSpec(in: dir, family: ToyFamily())) {
            XCTAssertTrue("\($0)".hasSuffix("not a regular file (a pipe, socket or device); give a file"), "\($0)")
        }
        XCTAssertThrowsError(try ExperimentMerge.familyName(in: dir)) { XCTAssertTrue("\($0)".contains("not a regular file"), "\($0)") }
    }
}
