import Foundation
import XCTest

/// `collapse plot --format --width --height --font-size` end to end: PNG and PDF from
/// rsvg-convert (skipped where it is not installed; CI installs it with scripts/install-deps.sh),
/// the refusals and their exit status, and the message when the renderer is missing.
final class FigureCLITests: CLITestCase {
    /// Whether rsvg-convert is on this process's PATH (the binary looks on the same PATH).
    static var hasConverter: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/rsvg-convert")
        }
    }

    /// A small linear run to draw.
    func results() throws -> String {
        let r = try collapse(
            "simulate", "--dimension", "3", "--samples", "10,20", "--noise-variance", "1", "--generations", "3",
            "--repeats", "10", "--seed", "1", "--threads", "2", "--output", "sim")
        assertSuccess(r, "simulate")
        return "sim/results.csv"
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: work.appendingPathComponent(name).path) }

    func testPNGAndPDFAreRendered() throws {
        guard Self.hasConverter else { throw XCTSkip("rsvg-convert is not installed (Debian: librsvg2-bin)") }
        let csv = try results()
        let png = try collapse("plot", csv, "--output", "fig.png", "--width", "900", "--height", "600", "--font-size", "13")
        assertSuccess(png, "plot png")
        XCTAssertEqual(png.stdout, "wrote fig.png\n")
        let bytes = [UInt8](try Data(contentsOf: work.appendingPathComponent("fig.png")))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        func int(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(String(decoding: bytes[12..<16], as: UTF8.self), "IHDR")
        XCTAssertEqual(int(16), 900, "width")
        XCTAssertEqual(int(20), 600, "height")

        assertSuccess(try collapse("plot", csv, "--format", "pdf", "--output", "fig.pdf"), "plot pdf")
        XCTAssertTrue(try Data(contentsOf: work.appendingPathComponent("fig.pdf")).starts(with: Data("%PDF-".utf8)))
    }

    func testRefusalsWriteNothing() throws {
        let csv = try results()
        let cases: [([String], String)] = [
            (["--format", "png", "--output", "fig.svg"], "--format png disagrees with --output fig.svg"),
            (["--output", "fig.jpeg"], "--output fig.jpeg: unknown figure extension '.jpeg'"),
            (["--format", "gif", "--output", "fig"], "--format: unknown format 'gif'; allowed: svg, png, pdf"),
            (["--width", "10", "--output", "fig.svg"], "--width: 10 is out of range"),
            (["--font-size", "0", "--output", "fig.svg"], "--font-size: 0 is out of range")
        ]
        for (flags, message) in cases {
            let r = try collapse(arguments: ["plot", csv] + flags)
            XCTAssertEqual(r.status, 64, "\(flags): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("Error: \(message)"), "\(flags): \(r.stderr)")
        }
        for name in ["fig.svg", "fig.jpeg", "fig"] { XCTAssertFalse(exists(name), name) }
    }

    func testAMissingRendererIsNamedAndSVGStillWorks() throws {
        let csv = try results()
        let noRenderer = ["PATH": "/nonexistent"]
        for (format, name) in [("PNG", "fig.png"), ("PDF", "fig.pdf")] {
            let r = try collapse(arguments: ["plot", csv, "--output", name], environment: noRenderer)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(
                r.stderr.contains("Error: \(format) output needs rsvg-convert, which is not on PATH: install Debian's librsvg2-bin"),
                r.stderr)
            XCTAssertFalse(exists(name), name)
        }
        assertSuccess(try collapse(arguments: ["plot", csv, "--output", "fig.svg", "--width", "700"], environment: noRenderer), "svg")
        XCTAssertTrue(try String(contentsOf: work.appendingPathComponent("fig.svg"), encoding: .utf8).contains("width=\"700\""))
    }

    /// A Ctrl-C that ends collapse at once (`plot` has no handler; a run's second Ctrl-C exits
    /// at once too) while rsvg-convert renders leaves no temporary directory behind: the files
    /// rsvg-convert reads and writes are unlinked as soon as it has them open. A stand-in
    /// rsvg-convert waits for that, says it has started, and ends once the signal was sent or
    /// collapse is gone.
    func testAnInterruptedConversionLeavesNoTemporaryFiles() throws {
        let fm = FileManager.default
        let csv = try results()
        let bin = root.appendingPathComponent("bin"), tmp = root.appendingPathComponent("tmp")
        let started = root.appendingPathComponent("converter-started"), go = root.appendingPathComponent("signal-sent")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        let converter = bin.appendingPathComponent("rsvg-convert")
        try Data(
            """
            #!/bin/sh
            i=0
            while ls '\(tmp.path)' | grep -q '^collapse-figure-' && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
            : > '\(started.path)'
            i=0
            while [ ! -e '\(go.path)' ] && kill -0 $PPID 2> /dev/null && [ $i -lt 6000 ]; do sleep 0.01; i=$((i + 1)); done
            cat > /dev/null
            printf 'stand-in PNG'

            """.utf8
        ).write(to: converter)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: converter.path)

        let p = Process()
        p.executableURL = try CLIHarness.binary()
        p.arguments = ["plot", csv, "--output", "fig.png"]
        p.currentDirectoryURL = work
        p.environment = ProcessInfo.processInfo.environment.merging(["PATH": bin.path + ":/usr/bin:/bin", "TMPDIR": tmp.path]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        defer { _ = fm.createFile(atPath: go.path, contents: nil) }
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && !fm.fileExists(atPath: started.path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        XCTAssertTrue(fm.fileExists(atPath: started.path), "the stand-in rsvg-convert never started")
        kill(p.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.05)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertTrue(
            p.terminationReason == .uncaughtSignal || p.terminationStatus == 130, "\(p.terminationReason) \(p.terminationStatus)")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix("collapse-figure-") }, [])
        XCTAssertFalse(exists("fig.png"))
    }
}
