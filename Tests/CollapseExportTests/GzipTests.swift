import CollapseExport
import Foundation
import XCTest

/// The pure-Swift gzip encoder, read back by the system's `gzip -dc` (an independent decoder).
final class GzipTests: XCTestCase {
    func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-test-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(bytes).write(to: url)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-dc", url.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "gzip -dc refused the stream")
        return Array(out)
    }

    func testRoundTripsThroughGzip() throws {
        // A fixed pseudo-random sequence (a 64-bit LCG), so the test is the same every run.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt8(state >> 56) }
        let random = (0..<100_000).map { _ in next() }
        var csv = "model,regime,generation,replicate,value\n"
        for g in 1...40 { for r in 1...1000 { csv += "linear,replace,\(g),\(r),\(Double(next()) / 7 + Double(g))\n" } }
        let cases: [(String, [UInt8])] = [
            ("empty", []), ("one byte", [65]), ("two bytes", [0, 255]),
            ("a run (matches of 258, overlapping)", Array(repeating: 120, count: 70_000)),
            ("a short period", Array(String(repeating: "abc", count: 5000).utf8)),
            ("incompressible bytes (every literal code)", random),
            ("CSV text (distances across the 32 KiB window)", Array(csv.utf8))
        ]
        for (name, bytes) in cases {
            let gz = Gzip.compress(bytes)
            XCTAssertEqual(Array(gz.prefix(4)), [0x1F, 0x8B, 8, 0], name)
            XCTAssertEqual(try gunzip(gz), bytes, name)
            XCTAssertEqual(Gzip.compress(bytes), gz, "\(name): not deterministic")
        }
        let text = Array(csv.utf8)
        XCTAssertLessThan(Gzip.compress(text).count, text.count / 2, "CSV text should at least halve")
    }
}
