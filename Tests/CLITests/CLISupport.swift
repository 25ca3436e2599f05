import Foundation
import XCTest

/// The result of one run of the `collapse` binary.
struct CLIResult {
    var status: Int32
    /// Whether the process exited normally (as opposed to being killed by a signal).
    var exitedNormally: Bool
    var stdout: String
    var stderr: String
    var stdoutData: Data

    var combined: String { stdout + stderr }
}

enum CLIHarness {
    /// Candidate directories for the built products: the directory of the running test
    /// executable (Linux: `…/release/ModelCollapsePackageTests.xctest`), of `Bundle.main`, and of
    /// every loaded `.xctest` bundle (macOS: `…/release/ModelCollapsePackageTests.xctest/Contents/…`).
    static func candidateDirectories() -> [URL] {
        var dirs: [URL] = []
        if let override = ProcessInfo.processInfo.environment["COLLAPSE_BINARY"], !override.isEmpty {
            dirs.append(URL(fileURLWithPath: override).deletingLastPathComponent())
        }
        if let arg0 = CommandLine.arguments.first, !arg0.isEmpty {
            let url = URL(fileURLWithPath: arg0).resolvingSymlinksInPath()
            dirs.append(url.deletingLastPathComponent())
        }
        dirs.append(Bundle.main.bundleURL)
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            dirs.append(bundle.bundleURL.deletingLastPathComponent())
        }
        return dirs
    }

    /// The `collapse` executable built beside the test bundle.
    static func binary() throws -> URL {
        let fm = FileManager.default
        if let override = ProcessInfo.processInfo.environment["COLLAPSE_BINARY"], !override.isEmpty,
            fm.isExecutableFile(atPath: override)
        {
            return URL(fileURLWithPath: override)
        }
        let dirs = candidateDirectories()
        for dir in dirs {
            let candidate = dir.appendingPathComponent("collapse")
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue,
                fm.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
        }
        throw CLITestError(
            """
            CLITests: the `collapse` executable was not found beside the test bundle; looked in \
            \(dirs.map(\.path).joined(separator: ", ")). Build it with `swift build -c release` \
            (or run `swift test`, which builds every product), or set COLLAPSE_BINARY.
            """)
    }

    /// Runs `collapse arguments…` with `directory` as working directory; stdout and stderr are
    /// captured through files in `captureDirectory` (outside `directory`), so a chatty command can
    /// never block on a full pipe.
    static func run(
        _ arguments: [String], in directory: URL, captureDirectory: URL, environment: [String: String] = [:],
        timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line
    ) throws -> CLIResult {
        let exe = try binary()
        let id = UUID().uuidString
        let outURL = captureDirectory.appendingPathComponent("stdout-\(id)")
        let errURL = captureDirectory.appendingPathComponent("stderr-\(id)")
        let fm = FileManager.default
        guard fm.createFile(atPath: outURL.path, contents: nil), fm.createFile(atPath: errURL.path, contents: nil) else {
            throw CLITestError("cannot create capture files in \(captureDirectory.path)")
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = exe
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                try? outHandle.close(); try? errHandle.close()
                throw CLITestError("`collapse \(arguments.joined(separator: " "))` did not finish within \(timeout) s")
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        let outData = try Data(contentsOf: outURL)
        let errData = try Data(contentsOf: errURL)
        try? fm.removeItem(at: outURL)
        try? fm.removeItem(at: errURL)
        return CLIResult(
            status: process.terminationStatus,
            exitedNormally: process.terminationReason == .exit,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self),
            stdoutData: outData)
    }
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A parsed CSV file without quoted fields (the results files never need quoting).
struct SimpleCSV {
    var header: [String]
    var rows: [[String]]

    init(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard text.hasSuffix("\n") else { throw CLITestError("CSV does not end in a newline") }
        XCTAssertFalse(text.contains("\""), "unexpected quoted field in CSV", file: file, line: line)
        XCTAssertFalse(text.contains("\r"), "unexpected CR in CSV", file: file, line: line)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.last, "", file: file, line: line)
        lines.removeLast()
        guard let first = lines.first else { throw CLITestError("empty CSV") }
        header = first.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        for (i, r) in rows.enumerated() where r.count != header.count {
            throw CLITestError("CSV row \(i + 1) has \(r.count) fields, header has \(header.count): \(r)")
        }
    }

    func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else { throw CLITestError("no column \(name) in \(header)") }
        return i
    }

    /// The rows as dictionaries keyed by column name.
    var records: [[String: String]] {
        rows.map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }
}

/// `|a − b| ≤ tol·max(|a|, |b|)`.
func assertRelativelyEqual(
    _ a: Double, _ b: Double, _ tol: Double = 1e-12, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    let scale = max(abs(a), abs(b))
    XCTAssertLessThanOrEqual(abs(a - b), tol * scale, "\(a) vs \(b) \(message())", file: file, line: line)
}

/// Number of non-overlapping occurrences of `needle` in `haystack`.
func occurrences(of needle: String, in haystack: String) -> Int {
    haystack.components(separatedBy: needle).count - 1
}

/// Base class: a fresh temporary directory per test, with `work/` as the command's working
/// directory and captured output kept outside it; removed in tearDown.
class CLITestCase: XCTestCase {
    var root: URL!
    var work: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        let fm = FileManager.default
        root = fm.temporaryDirectory.appendingPathComponent("collapse-cli-tests-\(UUID().uuidString)", isDirectory: true)
        work = root.appendingPathComponent("work", isDirectory: true)
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let root { try? FileManager.default.removeItem(at: root) }
        root = nil
        work = nil
        try super.tearDownWithError()
    }

    func collapse(
        _ arguments: String..., timeout: TimeInterval = 120,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> CLIResult {
        try CLIHarness.run(arguments, in: work, captureDirectory: root, timeout: timeout, file: file, line: line)
    }

    func collapse(
        arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 120,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> CLIResult {
        try CLIHarness.run(arguments, in: work, captureDirectory: root, environment: environment, timeout: timeout, file: file, line: line)
    }

    /// Runs `python3 SCRIPT ARGUMENTS…` (a path relative to the repository root, which is the
    /// working directory) and returns its exit status and combined stdout and stderr.
    func python(_ script: String, _ arguments: [String]) throws -> (status: Int32, log: String) {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repo.appendingPathComponent(script).path] + arguments
        p.currentDirectoryURL = repo
        let out = root.appendingPathComponent("python-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        return (p.terminationStatus, try String(contentsOf: out, encoding: .utf8))
    }

    /// Asserts a clean successful run: exit 0 and no crash report.
    func assertSuccess(_ r: CLIResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(r.exitedNormally, "\(what): killed by a signal", file: file, line: line)
        XCTAssertEqual(r.status, 0, "\(what): exit status \(r.status); stderr:\n\(r.stderr)", file: file, line: line)
        assertNoCrashReport(r, what, file: file, line: line)
    }

    func assertNoCrashReport(_ r: CLIResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for marker in ["Stack trace", "Fatal error", "Current stack", "Stack dump", "💣"] {
            XCTAssertFalse(
                r.combined.contains(marker), "\(what): output contains \(marker):\n\(r.combined)",
                file: file, line: line)
        }
    }

    func contents(_ name: String, under dir: URL) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    }

    func manifest(in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let data = try Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLITestError("manifest.json is not a JSON object")
        }
        return object
    }
}

/// The results schema as a user sees it (the CLI tests run the binary, not the libraries).
enum Schema {
    /// `LongResults.columns`: every results file starts with these.
    static let long = [
        "model", "dataset", "regime", "real_fraction", "generation", "metric", "mean", "std_error",
        "ci95_low", "ci95_high", "median", "q05", "q25", "q75", "q95", "median_ci95_low", "median_ci95_high", "theory", "z", "samples", "repeats"
    ]
    /// The linear chain's file: the long columns, then its statistics and parameters.
    static let linear = long + ["theory_given_design", "z_given_design", "moments", "dimension", "noise_variance", "engine", "design"]
    /// The numeric columns of a linear file.
    static let linearNumeric = [
        "real_fraction", "mean", "std_error", "ci95_low", "ci95_high", "median", "q05", "q25", "q75", "q95", "median_ci95_low", "median_ci95_high", "theory",
        "z",
        "theory_given_design", "z_given_design", "noise_variance"
    ]
}
