import Foundation
import XCTest

/// `collapse neural …`: smoke presets end to end, thread-count independence, and bad input.
final class NeuralCLITests: CLITestCase {
    static let models = ["lm", "vae", "diffusion"]

    func smoke(_ model: String, threads: Int, regimes: String = "replace,accumulate,accumulate-subsample",
               output: String) throws -> CLIResult {
        try collapse(arguments: ["neural", model, "--preset", "smoke", "--generations", "3", "--regimes", regimes,
                                 "--seed", "11", "--threads", String(threads), "--output", output])
    }

    /// Every model's smoke preset writes a complete table, a manifest and a figure; the regimes
    /// share generation 1 exactly (same data, init and batches) and the chains differ later.
    func testSmokePresetsRunEndToEnd() throws {
        for model in Self.models {
            let r = try smoke(model, threads: 2, output: "out-\(model)")
            assertSuccess(r, model)
            let dir = work.appendingPathComponent("out-\(model)")
            let csv = try SimpleCSV(try contents("results.csv", under: dir))
            XCTAssertEqual(Array(csv.header.prefix(4)), ["model", "regime", "generation", "test_loss"], model)
            XCTAssertEqual(csv.rows.count, 9, model)
            let recs = csv.records
            XCTAssertEqual(Set(recs.map { $0["model"]! }), [model])
            for rec in recs {
                for name in csv.header.dropFirst(3) { XCTAssertNotNil(Double(rec[name]!), "\(model): \(name) = \(rec[name]!)") }
                XCTAssertTrue(Double(rec["test_loss"]!)!.isFinite, "\(model): \(rec)")
            }
            let first = recs.filter { $0["generation"] == "1" }
            XCTAssertEqual(first.count, 3)
            XCTAssertEqual(Set(first.map { $0["test_loss"]! }).count, 1, "\(model): generation 1 differs between regimes: \(first)")
            let last = recs.filter { $0["generation"] == "3" }.map { $0["test_loss"]! }
            XCTAssertEqual(Set(last).count, 3, "\(model): the regimes should differ by generation 3: \(last)")
            let manifest = try manifest(in: dir)
            XCTAssertEqual(manifest["command"] as? String, "neural \(model)")
            let svg = try contents("figure.svg", under: dir)
            XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("data-regime=\"accumulate-subsample\""), model)
            XCTAssertEqual(occurrences(of: "class=\"series\"", in: svg), 3 * (csv.header.count - 3), "\(model): one line per regime and metric")
        }
    }

    /// BLAS is pinned to one thread and regimes run as independent chains, so the CSV is
    /// byte-identical for any --threads.
    func testResultsDoNotDependOnThreads() throws {
        for model in Self.models {
            assertSuccess(try smoke(model, threads: 1, output: "t1-\(model)"), model)
            assertSuccess(try smoke(model, threads: 2, output: "t2-\(model)"), model)
            let a = try contents("results.csv", under: work.appendingPathComponent("t1-\(model)"))
            let b = try contents("results.csv", under: work.appendingPathComponent("t2-\(model)"))
            XCTAssertEqual(a, b, "\(model): results.csv differs between --threads 1 and 2")
        }
    }

    /// SIGINT part-way: the generations finished before the signal are written (a prefix of
    /// the uninterrupted run, byte for byte), the manifest says "interrupted", exit status 130.
    /// `--epochs 100` (640 steps per fit) stretches the 100 generations to tens of seconds, so
    /// the signal, sent once generation 2 is reported, lands long before the run could end.
    func testInterruptKeepsFinishedGenerations() throws {
        let args = ["neural", "vae", "--preset", "smoke", "--epochs", "100", "--regimes", "replace", "--seed", "3", "--threads", "1"]
        let p = Process()
        p.executableURL = try CLIHarness.binary()
        p.arguments = args + ["--generations", "100", "--output", "cut"]
        p.currentDirectoryURL = work
        p.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        p.standardError = pipe
        try p.run()
        // Signal once generation 2 is reported, so at least two rows exist.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("generation 2/100") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        kill(p.processIdentifier, SIGINT)
        _ = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 130)
        let dir = work.appendingPathComponent("cut")
        XCTAssertEqual(try manifest(in: dir)["status"] as? String, "interrupted")
        let cut = try contents("results.csv", under: dir)
        let kept = try SimpleCSV(cut).rows.count
        XCTAssertTrue(kept >= 2 && kept < 100, "kept \(kept) generations")
        let full = try collapse(arguments: args + ["--generations", String(kept), "--output", "full"])
        assertSuccess(full, "uninterrupted run")
        XCTAssertEqual(cut, try contents("results.csv", under: work.appendingPathComponent("full")))
    }

    // MARK: Bad input

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = root.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func assertRejected(_ args: [String], needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let out = work.appendingPathComponent("out")
        let r = try collapse(arguments: args + ["--output", out.path, "--seed", "1"])
        let what = args.joined(separator: " ")
        XCTAssertTrue(r.exitedNormally, what, file: file, line: line)
        XCTAssertEqual(r.status, 64, "\(what): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("Error: "), "\(what): \(r.stderr)", file: file, line: line)
        for n in needles { XCTAssertTrue(r.stderr.contains(n), "\(what): stderr lacks '\(n)':\n\(r.stderr)", file: file, line: line) }
        assertNoCrashReport(r, what, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(what): wrote output", file: file, line: line)
    }

    func testBadFlagsAreRejected() throws {
        let base = ["neural", "lm", "--preset", "smoke", "--generations", "2"]
        try assertRejected(["neural", "lm", "--preset", "huge"], needles: ["--preset", "huge", "smoke, small, paper"])
        try assertRejected(base + ["--regimes", "mix"], needles: ["--regimes", "mix", "replace, accumulate, accumulate-subsample"])
        try assertRejected(base + ["--regimes", "foo"], needles: ["--regimes", "foo"])
        try assertRejected(base + ["--regimes", ""], needles: ["--regimes", "empty list"])
        try assertRejected(base + ["--regimes", "replace,replace"], needles: ["--regimes", "twice"])
        try assertRejected(["neural", "vae", "--preset", "smoke", "--generations", "0"], needles: ["--generations", "0", "1...100"])
        try assertRejected(base + ["--temperature", "0"], needles: ["--temperature", "(0, 10]"])
        try assertRejected(base + ["--threads", "0"], needles: ["--threads", "0"])
        try assertRejected(base + ["--steps", "0"], needles: ["--steps", "0", "1...10000000"])
        try assertRejected(base + ["--epochs", "0"], needles: ["--epochs", "0", "(0, 100000]"])
        try assertRejected(base + ["--epochs", "nan"], needles: ["--epochs", "(0, 100000]"])
        try assertRejected(base + ["--steps", "5", "--epochs", "2"], needles: ["--steps and --epochs", "at most one"])
        try assertRejected(base + ["--max-memory", "1G"], needles: ["--max-memory", "not supported"])
        try assertRejected(["neural", "diffusion", "--preset", "smoke", "--data", root.appendingPathComponent("missing.xyz").path],
                           needles: ["--data", "missing.xyz", "no such file"])
        let r = try collapse("neural", "bench", "--runs", "0")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--runs"), r.stderr)
    }

    func testMalformedDataFilesNameFileAndPosition() throws {
        // Text corpus: invalid UTF-8 at byte 7.
        let corpus = try write("bad.txt", Array("story\nab".utf8) + [0xff] + Array("\nmore\n".utf8))
        try assertRejected(["neural", "lm", "--preset", "smoke", "--data", corpus], needles: ["bad.txt", "byte 9", "UTF-8"])
        let few = try write("few.txt", Array("one\ntwo\n".utf8))
        try assertRejected(["neural", "lm", "--preset", "smoke", "--data", few], needles: ["few.txt", "2 stories", "at least 10"])
        // IDX: a labels file (1 dimension), and an image file cut short inside image 2.
        let labels = try write("labels.idx", [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3])
        try assertRejected(["neural", "vae", "--preset", "smoke", "--data", labels], needles: ["labels.idx", "byte", "expected"])
        var images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28]
        images += [UInt8](repeating: 7, count: 784 + 100)
        let cut = try write("cut.idx", images)
        try assertRejected(["neural", "vae", "--preset", "smoke", "--data", cut], needles: ["cut.idx", "byte \(16 + 884 + 1)", "image 2 of 3"])
        // XYZ: a non-numeric coordinate on line 4.
        let xyz = try write("bad.xyz", Array("3\nframe\nC 0 0 0\nC 1.5 x 0\nC 3 0 0\n".utf8))
        try assertRejected(["neural", "diffusion", "--preset", "smoke", "--data", xyz], needles: ["bad.xyz", "line 4", "coordinate 2"])
    }

    /// User data files run end to end (one format each).
    func testUserDataFilesAreUsed() throws {
        let text = (0..<40).map { "Story number \($0) is about a cat and a dog who play in the garden all day." }.joined(separator: "\n")
        let corpus = try write("stories.txt", Array(text.utf8))
        let r = try collapse("neural", "lm", "--preset", "smoke", "--generations", "2", "--data", corpus, "--seed", "3", "--output", "u")
        assertSuccess(r, "lm --data")
        let m = try manifest(in: work.appendingPathComponent("u"))
        XCTAssertTrue("\(m)".contains("stories.txt (40 stories)"), "\(m)")
    }
}
