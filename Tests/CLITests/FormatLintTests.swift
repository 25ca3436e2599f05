import Foundation
import XCTest

/// The code follows the repository's `.swift-format` configuration: `swift format lint --strict`
/// over every Swift file of the package and of Benchmarks/ reports nothing, so a formatting or
/// lint finding fails the suite (and with it `.ci/run`). Fix findings with
/// `swift format format --in-place --recursive --parallel Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Benchmarks`.
final class FormatLintTests: XCTestCase {
    func testSwiftFormatLintFindsNothing() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.currentDirectoryURL = root
        process.arguments = [
            "swift", "format", "lint", "--strict", "--recursive", "--parallel",
            "--configuration", ".swift-format",
            "Package.swift", "Sources", "Tests", "Benchmarks/Package.swift", "Benchmarks/Benchmarks"
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "swift format lint found (run `swift format format --in-place …` as above):\n\(text)")
        XCTAssertTrue(text.isEmpty, text)
    }
}
