import CollapseExport
import Foundation
import XCTest

final class AtomicFileTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("collapse-export-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
        dir = nil
        try super.tearDownWithError()
    }

    private func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    func testCreatesFileWithExactBytes() throws {
        let url = dir.appendingPathComponent("bytes.bin")
        let bytes = Data((0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) } + Array(0...255))
        try AtomicFile.write(bytes, to: url)
        XCTAssertEqual(try Data(contentsOf: url), bytes)
        XCTAssertEqual(try listing(), ["bytes.bin"], "no temporary file left behind")
    }

    func testWritesTextAsUTF8() throws {
        let url = dir.appendingPathComponent("text.csv")
        let text = "a,b\nσ²,\"x\"\n"
        try AtomicFile.write(text, to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data(text.utf8))
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), text)
    }

    func testEmptyContents() throws {
        let url = dir.appendingPathComponent("empty")
        try AtomicFile.write(Data(), to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data())
        XCTAssertEqual(try listing(), ["empty"])
    }

    func testLargeContents() throws {
        let url = dir.appendingPathComponent("large")
        let bytes = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 8)) })
        try AtomicFile.write(bytes, to: url)
        XCTAssertEqual(try Data(contentsOf: url), bytes)
    }

    func testReplacesExistingFile() throws {
        let url = dir.appendingPathComponent("results.csv")
        try Data(String(repeating: "old contents, longer than the new ones\n", count: 100).utf8).write(to: url)
        try AtomicFile.write("new\n", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new\n")
        try AtomicFile.write("newer\n", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "newer\n")
        XCTAssertEqual(try listing(), ["results.csv"], "no temporary file left behind")
    }

    func testSeveralFilesInOneDirectory() throws {
        try AtomicFile.write("a", to: dir.appendingPathComponent("results.csv"))
        try AtomicFile.write("b", to: dir.appendingPathComponent("manifest.json"))
        XCTAssertEqual(try listing(), ["manifest.json", "results.csv"])
    }

    func testMissingDirectoryThrowsClearError() throws {
        let url = dir.appendingPathComponent("no/such/dir/results.csv")
        XCTAssertThrowsError(try AtomicFile.write("x", to: url)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains(url.path), text)
            XCTAssertTrue(text.hasPrefix("cannot write "), text)
            XCTAssertTrue(text.contains("No such file or directory"), text)
            guard case let AtomicFile.WriteError.cannotWrite(path, reason)? = error as? AtomicFile.WriteError else {
                return XCTFail("unexpected error type \(type(of: error))")
            }
            XCTAssertEqual(path, url.path)
            XCTAssertFalse(reason.isEmpty)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("no").path))
        XCTAssertEqual(try listing(), [])
    }

    func testDestinationIsADirectoryFailsAndCleansUp() throws {
        let url = dir.appendingPathComponent("results.csv")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicFile.write("x", to: url)) { error in
            XCTAssertTrue(String(describing: error).contains(url.path), "\(error)")
        }
        XCTAssertEqual(try listing(), ["results.csv"], "the temporary file was removed")
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue)
    }
}
