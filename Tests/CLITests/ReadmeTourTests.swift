import Foundation
import XCTest

/// The README as a newcomer meets it: its ten-minute tour runs, its two commands at the top are
/// the ones CI runs, its links resolve and its module graph is the one `LayeringTests` enforces.
final class ReadmeTourTests: CLITestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func readme() throws -> String {
        try String(contentsOf: repo.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// A fenced code block of the README: its language, its text and the line of its opening fence.
    struct Block {
        var language: String
        var code: String
        var line: Int
    }

    /// Every fenced block of `text` (1-based line numbers), in order.
    static func blocks(_ text: String) throws -> [Block] {
        var result: [Block] = []
        var open: (language: String, line: Int, lines: [String])?
        for (i, line) in text.components(separatedBy: "\n").enumerated() {
            if var current = open {
                if line == "```" {
                    result.append(Block(language: current.language, code: current.lines.joined(separator: "\n"), line: current.line))
                    open = nil
                } else {
                    current.lines.append(line)
                    open = current
                }
            } else if line.hasPrefix("```") {
                open = (String(line.dropFirst(3)), i + 1, [])
            }
        }
        if let open { throw CLITestError("README.md: the code block opened at line \(open.line) is never closed") }
        return result
    }

    /// The blocks between `<!-- tour:begin -->` and `<!-- tour:end -->`.
    static func tourBlocks() throws -> [Block] {
        let text = try readme()
        guard let begin = text.range(of: "<!-- tour:begin -->"), let end = text.range(of: "<!-- tour:end -->"),
            begin.upperBound < end.lowerBound
        else {
            throw CLITestError("README.md lacks the markers <!-- tour:begin --> … <!-- tour:end --> around the tour")
        }
        let offset = text[..<begin.upperBound].components(separatedBy: "\n").count - 1
        return try blocks(String(text[begin.upperBound..<end.lowerBound])).map {
            Block(language: $0.language, code: $0.code, line: $0.line + offset)
        }
    }

    /// The files a block says it writes: the paths after `# writes ` on its comment lines.
    static func promisedFiles(_ block: Block) -> [String] {
        block.code.components(separatedBy: "\n").flatMap { line -> [String] in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("# writes ") else { return [] }
            return t.dropFirst("# writes ".count).split(separator: " ").map(String.init)
        }
    }

    /// Runs `executable arguments…` in the working directory with `environment` added; returns
    /// the exit status and the combined output.
    func shell(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        timeout: TimeInterval = 120
    ) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable] + arguments
        p.currentDirectoryURL = work
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = root.appendingPathComponent("shell-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning {
            if Date() > deadline {
                p.terminate()
                p.waitUntilExit()
                throw CLITestError("`\(executable) \(arguments.joined(separator: " "))` did not finish within \(timeout) s")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        p.waitUntilExit()
        try handle.close()
        return (p.terminationStatus, try String(contentsOf: log, encoding: .utf8))
    }

    /// Every block of the tour, in order, in one fresh directory laid out like the repository root
    /// as far as the tour reaches: `.build/release` is the directory of the binary under test
    /// and `examples` the repository's. Shell blocks run in bash with `-e -o pipefail`, after the
    /// `export` lines of the blocks before them (so the tour's own `export PATH=…` is what puts
    /// `collapse` on the path); Python blocks run in python3. Each must exit 0 and leave every file
    /// its `# writes` comment names, non-empty. Where pandas cannot be imported the Python block
    /// cannot run: the test says so, and checks instead that the block compiles and that the
    /// file it reads exists with the columns of the results schema.
    func testTourRunsAsWritten() throws {
        let blocks = try Self.tourBlocks()
        XCTAssertGreaterThanOrEqual(blocks.count, 9, "the tour has its eight steps and the PATH line")
        let fm = FileManager.default
        let binary = try CLIHarness.binary()
        try fm.createDirectory(at: work.appendingPathComponent(".build"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(at: work.appendingPathComponent(".build/release"), withDestinationURL: binary.deletingLastPathComponent())
        try fm.createSymbolicLink(at: work.appendingPathComponent("examples"), withDestinationURL: Self.repo.appendingPathComponent("examples"))
        // The caller's PATH without the binary's directory, so the tour's export is what finds it.
        let binaryDirectory = binary.deletingLastPathComponent().path
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .filter { $0 != binaryDirectory }.joined(separator: ":")
        let pandas = try shell("python3", ["-c", "import pandas"]).status == 0
        var exports: [String] = []
        let started = Date()
        for block in blocks {
            let what = "README.md line \(block.line) (\(block.language))"
            switch block.language {
            case "sh":
                let script = (exports + [block.code]).joined(separator: "\n")
                let r = try shell("bash", ["-e", "-o", "pipefail", "-c", script], environment: ["PATH": path])
                XCTAssertEqual(r.status, 0, "\(what) failed:\n\(block.code)\n--- output:\n\(r.output)")
                exports += block.code.components(separatedBy: "\n").filter { $0.hasPrefix("export ") }
            case "python":
                if pandas {
                    let r = try shell("python3", ["-c", block.code])
                    XCTAssertEqual(r.status, 0, "\(what) failed:\n\(block.code)\n--- output:\n\(r.output)")
                } else {
                    print(
                        "ReadmeTourTests: pandas cannot be imported, so \(what) was not run; checked instead that it "
                            + "compiles and that the results file it reads has the results schema's columns "
                            + "(scripts/install-deps.sh installs pandas)")
                    let compiled = try shell("python3", ["-c", "import sys; compile(sys.argv[1], 'tour', 'exec')", block.code])
                    XCTAssertEqual(compiled.status, 0, "\(what) does not compile:\n\(compiled.output)")
                    let read = try XCTUnwrap(
                        block.code.range(of: #"read_csv\("([^"]+)"\)"#, options: .regularExpression),
                        "\(what) reads no file with read_csv(\"…\")")
                    let name = String(block.code[read].dropFirst("read_csv(\"".count).dropLast(2))
                    let text = try XCTUnwrap(try? contents(name, under: work), "\(what) reads \(name), which the tour did not write")
                    let csv = try SimpleCSV(text)
                    XCTAssertEqual(Array(csv.header.prefix(Schema.linear.count)), Schema.linear, "\(name)")
                    XCTAssertFalse(csv.rows.isEmpty, "\(name) has no rows")
                }
            default:
                XCTFail("\(what): the tour has a block in '\(block.language)', which this test cannot run (sh or python)")
            }
            for file in Self.promisedFiles(block) {
                let attributes = try? fm.attributesOfItem(atPath: work.appendingPathComponent(file).path)
                let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
                XCTAssertGreaterThan(size, 0, "\(what) says it writes \(file), which is missing or empty")
            }
        }
        print("ReadmeTourTests: the tour's \(blocks.count) blocks ran in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// The two commands at the top are the install+build+reproduce line and the test line, and
    /// `.ci/run` runs exactly the README's test command.
    func testTopCommandsAreTheOnesCIRuns() throws {
        let first = try Self.blocks(try Self.readme()).prefix(2).map(\.code)
        XCTAssertEqual(
            first,
            [
                "scripts/install-deps.sh && swift build -c release && .build/release/collapse reproduce",
                "scripts/install-deps.sh && swift test -c release --disable-swift-testing"
            ])
        let ci = try String(contentsOf: Self.repo.appendingPathComponent(".ci/run"), encoding: .utf8)
        let last = ci.components(separatedBy: "\n").filter { !$0.isEmpty && !$0.hasPrefix("#") }.last
        XCTAssertEqual(last, first.last, ".ci/run must run exactly the README's test command")
    }

    /// Every relative link of README.md and docs/*.md names a file that exists.
    func testRelativeLinksResolve() throws {
        let fm = FileManager.default
        let docs = try fm.contentsOfDirectory(atPath: Self.repo.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        let link = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        var checked = 0
        for page in ["README.md"] + docs.sorted() {
            let url = Self.repo.appendingPathComponent(page)
            // Links inside code blocks are code, not links.
            let text = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "```").enumerated()
                .filter { $0.offset % 2 == 0 }.map(\.element).joined(separator: "\n")
            for match in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(match.range(at: 1), in: text)!])
                if target.hasPrefix("http") || target.hasPrefix("#") { continue }
                let file = String(target.split(separator: "#", maxSplits: 1)[0])
                let resolved = url.deletingLastPathComponent().appendingPathComponent(file).standardizedFileURL
                XCTAssertTrue(fm.fileExists(atPath: resolved.path), "\(page): the link \(target) names no file")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 50, "the README and docs link to each other")
    }

    /// The README's module graph puts every target on the layer `LayeringTests` checks it against.
    func testLayoutGraphIsTheCheckedOne() throws {
        let text = try Self.readme()
        let section = try XCTUnwrap(text.range(of: "## Layout"), "README.md has no Layout section")
        let graph = try XCTUnwrap(try Self.blocks(String(text[section.upperBound...])).first, "no graph under ## Layout")
        var drawn: [String: Int] = [:]
        for line in graph.code.components(separatedBy: "\n") {
            guard let layer = line.first?.wholeNumberValue else { continue }
            // The modules of a line come before any description (":" or "(") and before "→ CLapack".
            let names = line.dropFirst().prefix { !":(→".contains($0) }.split(separator: " ").map(String.init)
            for name in names { XCTAssertNil(drawn.updateValue(layer, forKey: name), "\(name) is drawn twice") }
        }
        var expected = LayeringTests.layers
        expected["CLapack"] = nil  // the system library below layer 0, drawn after LinearAlgebra's arrow
        XCTAssertEqual(drawn, expected)
    }
}
