import Foundation
import XCTest

/// `collapse neural …`: smoke presets end to end, thread-count independence, and bad input.
final class NeuralCLITests: CLITestCase {
    static let models = ["lm", "vae", "diffusion"]

    func smoke(
        _ model: String, threads: Int, regimes: String = "replace,accumulate,accumulate-subsample",
        output: String, extra: [String] = []
    ) throws -> CLIResult {
        try collapse(
            arguments: [
                "neural", model, "--preset", "smoke", "--generations", "3", "--regimes", regimes,
                "--seed", "11", "--threads", String(threads), "--output", output
            ] + extra)
    }

    /// Every model's smoke preset writes a complete table, a manifest and a figure; the regimes
    /// share generation 1 exactly (same data, init and batches) and the chains differ later.
    func testSmokePresetsRunEndToEnd() throws {
        for model in Self.models {
            let r = try smoke(model, threads: 2, output: "out-\(model)", extra: ["--max-memory", "1G"])
            assertSuccess(r, model)
            let dir = work.appendingPathComponent("out-\(model)")
            let csv = try SimpleCSV(try contents("results.csv", under: dir))
            // The long results format: one row per regime × generation × metric.
            XCTAssertEqual(csv.header, Schema.long, model)
            let recs = csv.records
            let metrics = recs.reduce(into: [String]()) { if !$0.contains($1["metric"]!) { $0.append($1["metric"]!) } }
            XCTAssertEqual(metrics.first, "test_loss", model)
            XCTAssertEqual(csv.rows.count, 9 * metrics.count, model)
            XCTAssertEqual(Set(recs.map { $0["model"]! }), [model])
            for rec in recs {
                XCTAssertNotNil(Double(rec["mean"]!), "\(model): \(rec)")
                XCTAssertEqual(rec["std_error"], "", "one run has no standard error")
                XCTAssertEqual(rec["repeats"], "1")
                XCTAssertNotNil(Int(rec["samples"]!), "\(model): \(rec)")
            }
            let loss = recs.filter { $0["metric"] == "test_loss" }
            XCTAssertTrue(loss.allSatisfy { Double($0["mean"]!)!.isFinite }, "\(model): \(loss)")
            let first = loss.filter { $0["generation"] == "1" }
            XCTAssertEqual(first.count, 3)
            XCTAssertEqual(Set(first.map { $0["mean"]! }).count, 1, "\(model): generation 1 differs between regimes: \(first)")
            let last = loss.filter { $0["generation"] == "3" }.map { $0["mean"]! }
            XCTAssertEqual(Set(last).count, 3, "\(model): the regimes should differ by generation 3: \(last)")
            let manifest = try manifest(in: dir)
            XCTAssertEqual(manifest["command"] as? String, "neural \(model)")
            XCTAssertEqual(manifest["outputs"] as? [String], ["results.csv", "cells", "samples"], model)
            // The memory guard's estimate (two smoke chains at once) is recorded.
            let estimate = ((manifest["parameters"] as? [String: Any])?["estimated_bytes"] as? NSNumber)?.intValue ?? 0
            XCTAssertTrue(estimate > 100_000 && estimate < 1 << 30, "\(model): estimated_bytes \(estimate)")
            let svg = try contents("figure.svg", under: dir)
            XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("data-regime=\"accumulate-subsample\""), model)
            XCTAssertEqual(occurrences(of: "class=\"mc\"", in: svg), 3 * metrics.count, "\(model): one line per regime and metric")
            // collapse plot draws the same file.
            assertSuccess(try collapse("plot", dir.appendingPathComponent("results.csv").path, "--output", "p-\(model).svg"), "plot \(model)")
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
            // Samples: one file per regime and generation, the same bytes for any --threads,
            // and generation 1's the same for every regime (one model).
            let ext = ["lm": "txt", "vae": "png", "diffusion": "xyz"][model]!
            let one = try sampleFiles(under: work.appendingPathComponent("t1-\(model)"))
            let two = try sampleFiles(under: work.appendingPathComponent("t2-\(model)"))
            let expected = ["replace", "accumulate", "accumulate-subsample"].flatMap { r in
                (1...3).map { "\(r)/generation-00\($0).\(ext)" }
            }
            XCTAssertEqual(one.keys.sorted(), expected.sorted(), model)
            XCTAssertEqual(one, two, "\(model): samples differ between --threads 1 and 2")
            XCTAssertEqual(one["replace/generation-001.\(ext)"], one["accumulate/generation-001.\(ext)"], model)
            XCTAssertNotEqual(one["replace/generation-003.\(ext)"], one["accumulate/generation-003.\(ext)"], model)
            let first = one["replace/generation-001.\(ext)"]!
            switch model {
            case "lm":
                let lines = String(decoding: first, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                XCTAssertEqual(lines.count, 9, "8 stories and a final newline")
            case "vae":
                XCTAssertEqual(Array(first.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
                // 4 × 4 images of 28 × 28 with 2-pixel gaps: 122 × 122.
                XCTAssertEqual(Array(first[16..<24]), [0, 0, 0, 122, 0, 0, 0, 122])
            default:
                let lines = String(decoding: first, as: UTF8.self).split(separator: "\n")
                XCTAssertEqual(lines.count, 4 * 10, "4 frames of 8 atoms")
            }
        }
    }

    /// The files under `dir/samples` (but its marker), by path relative to it.
    func sampleFiles(under dir: URL) throws -> [String: Data] {
        let root = dir.appendingPathComponent("samples")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent(".collapse-samples").path))
        var out: [String: Data] = [:]
        for sub in try FileManager.default.contentsOfDirectory(atPath: root.path) where !sub.hasPrefix(".") {
            for name in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(sub).path) {
                out["\(sub)/\(name)"] = try Data(contentsOf: root.appendingPathComponent(sub).appendingPathComponent(name))
            }
        }
        return out
    }

    /// --force replaces a run's samples directory; one without the run's marker is left alone.
    func testForceReplacesSamplesButNotAForeignSamplesDirectory() throws {
        let args = ["neural", "lm", "--preset", "smoke", "--generations", "2", "--regimes", "replace", "--seed", "5", "--quiet"]
        assertSuccess(try collapse(arguments: args + ["--output", "f"]), "first run")
        let before = try sampleFiles(under: work.appendingPathComponent("f"))
        XCTAssertEqual(before.keys.sorted(), ["replace/generation-001.txt", "replace/generation-002.txt"])
        assertSuccess(try collapse(arguments: args + ["--generations", "1", "--output", "f", "--force"]), "forced run")
        let after = try sampleFiles(under: work.appendingPathComponent("f"))
        XCTAssertEqual(after, before.filter { $0.key.hasSuffix("001.txt") }, "the old run's generation 2 is gone")
        let foreign = work.appendingPathComponent("g/samples")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: foreign.appendingPathComponent("keep.txt"))
        let r = try collapse(arguments: args + ["--output", "g", "--force"])
        XCTAssertEqual(r.status, 64, r.stderr)
        for needle in ["g/samples", ".collapse-samples", "left alone"] { XCTAssertTrue(r.stderr.contains(needle), r.stderr) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: foreign.path), ["keep.txt"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: foreign.appendingPathComponent("keep.txt").path))
    }

    /// SIGINT part-way through the second regime's chain (one cell per regime): the finished
    /// regime's cell is kept, the interrupted regime's finished generations are kept in its
    /// .partial file (a prefix of the uninterrupted rows), the manifest says "interrupted",
    /// exit status 130, and --resume completes the run to the uninterrupted bytes.
    func testInterruptKeepsFinishedCellsAndGenerationsAndResumes() throws {
        let args = [
            "neural", "vae", "--preset", "smoke", "--steps", "300", "--generations", "20", "--regimes", "replace,accumulate",
            "--seed", "3", "--threads", "1", "--quiet"
        ]
        let p = Process()
        p.executableURL = try CLIHarness.binary()
        p.arguments = args + ["--output", "cut"]
        p.currentDirectoryURL = work
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Signal once the first regime's cell is written and the second has finished its second
        // generation (its sample is written then), not after a fixed wait: a whole chain takes
        // about a second, so a fixed wait races the run's end on a fast machine.
        let first = work.appendingPathComponent("cut/cells/cell-00000.csv").path
        let secondGeneration = work.appendingPathComponent("cut/samples/accumulate/generation-002.png").path
        while p.isRunning && !(FileManager.default.fileExists(atPath: first) && FileManager.default.fileExists(atPath: secondGeneration)) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertTrue(p.isRunning, "the run ended before the signal: lengthen it")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 130)
        let dir = work.appendingPathComponent("cut")
        XCTAssertEqual(try manifest(in: dir)["status"] as? String, "interrupted")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results.csv").path))
        let partial = try contents("cells/cell-00001.partial.csv", under: dir)
        let kept = try SimpleCSV(partial).rows.count
        XCTAssertTrue(kept >= 1 && kept < 20 * 5, "kept \(kept) rows (5 metrics per generation)")

        assertSuccess(try collapse(arguments: args + ["--output", "full"]), "uninterrupted run")
        let full = try contents("results.csv", under: work.appendingPathComponent("full"))
        let accumulateRows = full.split(separator: "\n").filter { $0.hasPrefix("vae,glyphs,accumulate,") }
        XCTAssertEqual(partial.split(separator: "\n").dropFirst().map(String.init), accumulateRows.prefix(kept).map(String.init))
        assertSuccess(try collapse(arguments: args + ["--output", "cut", "--resume"]), "resume")
        XCTAssertEqual(try contents("results.csv", under: dir), full)
        // The samples of the resumed run (the finished cell's, and the rerun cell's rewritten)
        // are the uninterrupted run's, every generation of both regimes.
        let samples = try sampleFiles(under: dir)
        XCTAssertEqual(samples.count, 2 * 20)
        XCTAssertEqual(samples, try sampleFiles(under: work.appendingPathComponent("full")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cells/cell-00001.partial.csv").path))
    }

    /// The neural family sweeps from a config file, shards and merges to the unsharded bytes,
    /// and its named experiment resolves.
    func testConfigSweepShardsAndMerges() throws {
        let config = try write(
            "nn.toml",
            Array(
                """
                family = "neural"
                model = "lm"
                preset = "smoke"
                regimes = ["replace", "accumulate", "accumulate-subsample"]
                generations = 2
                seed = 9
                """.utf8))
        assertSuccess(try collapse("sweep", "--config", config, "--output", "whole", "--quiet"), "neural sweep")
        for i in 0..<2 {
            assertSuccess(try collapse("sweep", "--config", config, "--shard", "\(i)/2", "--output", "part\(i)", "--quiet"), "shard \(i)")
        }
        assertSuccess(try collapse("merge", "part0", "part1", "--output", "merged"), "merge")
        let whole = try contents("results.csv", under: work.appendingPathComponent("whole"))
        XCTAssertEqual(try contents("results.csv", under: work.appendingPathComponent("merged")), whole)
        XCTAssertEqual(try SimpleCSV(whole).rows.count, 3 * 2 * 3, "regimes × generations × metrics")
        // The shards' samples are merged too: the unsharded run's files, marked as a run's.
        let wholeSamples = try sampleFiles(under: work.appendingPathComponent("whole"))
        XCTAssertEqual(wholeSamples.count, 3 * 2)
        XCTAssertEqual(try sampleFiles(under: work.appendingPathComponent("merged")), wholeSamples)
        XCTAssertEqual(try manifest(in: work.appendingPathComponent("merged"))["outputs"] as? [String], ["results.csv", "samples"])
        // Merging again over it (--force) finds identical files; a shard whose sample differs
        // from the merged one is refused, naming both files, and nothing is replaced.
        assertSuccess(try collapse("merge", "part0", "part1", "--output", "merged", "--force"), "merge again")
        let edited = work.appendingPathComponent("part1/samples/accumulate/generation-002.txt")
        XCTAssertTrue(FileManager.default.fileExists(atPath: edited.path), "shard 1 runs the accumulate cell")
        try Data("edited\n".utf8).write(to: edited)
        let conflict = try collapse("merge", "part0", "part1", "--output", "merged", "--force")
        XCTAssertNotEqual(conflict.status, 0)
        for needle in ["merged/samples/accumulate/generation-002.txt", "part1/samples/accumulate/generation-002.txt", "differs"] {
            XCTAssertTrue(conflict.stderr.contains(needle), conflict.stderr)
        }
        XCTAssertEqual(try sampleFiles(under: work.appendingPathComponent("merged")), wholeSamples)
        // The same run from the model command gives the same bytes.
        assertSuccess(
            try collapse(
                "neural", "lm", "--preset", "smoke", "--regimes", "replace,accumulate,accumulate-subsample",
                "--generations", "2", "--seed", "9", "--output", "direct", "--quiet"), "neural lm")
        XCTAssertEqual(try contents("results.csv", under: work.appendingPathComponent("direct")), whole)
        let list = try collapse("sweep", "--list")
        XCTAssertTrue(list.stdout.contains("vae-regimes") && list.stdout.contains("[neural]"), list.stdout)
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
        let config = try write("c.toml", Array("family = \"neural\"\ngenerations = 2\ntemperature = 2\n".utf8))
        try assertRejected(["neural", "vae", "--preset", "smoke", "--config", config], needles: ["c.toml:3: key 'temperature'", "applies only to --model lm"])
        // The memory guard applies (it used to refuse --max-memory for want of an estimate).
        for model in ["lm", "vae", "diffusion"] {
            try assertRejected(["neural", model, "--preset", "smoke", "--max-memory", "1K"], needles: ["--max-memory", "needs about"])
        }
        try assertRejected(
            ["neural", "diffusion", "--preset", "smoke", "--data", root.appendingPathComponent("missing.xyz").path],
            needles: ["--data", "missing.xyz", "no such file"])
        let r = try collapse("neural", "bench", "--runs", "0")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--runs"), r.stderr)
    }

    /// `--anchor`: each step's ratio to PyTorch's time beside the fraction of peak; a bad file
    /// is refused before anything runs, naming the flag and the file.
    func testBenchAnchor() throws {
        let anchor = try write(
            "anchor.txt",
            Array(
                """
                torch 2.11.0 cuda=False
                sgemm 64^3\tcpu\t0.010 ms\t52.4 GFLOP/s
                lm-smoke\tcpu\tNone\tcompile=False\t1.00 ms/step\t1.0 GFLOP/s\tparams=1
                diffusion-smoke (made up)\tcpu\t0.500 ms/step\t1.0 GFLOP/s

                """.utf8))
        let r = try collapse("neural", "bench", "--preset", "smoke", "--runs", "1", "--sgemm-size", "64", "--anchor", anchor)
        assertSuccess(r, "bench --anchor")
        let rows = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(rows[0].hasSuffix("of peak  PyTorch ms  vs PyTorch"), r.stdout)
        for (name, ms) in [("sgemm 64×64×64", "0.010"), ("lm training step", "1.000"), ("diffusion training step", "0.500")] {
            let row = try XCTUnwrap(rows.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name) }, r.stdout)
            XCTAssertTrue(row.contains("%  ") && row.contains(" \(ms) ") && row.hasSuffix("×"), row)
        }
        let vae = try XCTUnwrap(rows.first { $0.contains("vae training step") })
        XCTAssertTrue(vae.hasSuffix("—           —"), vae)
        XCTAssertTrue(r.stdout.contains("anchor torch 2.11.0 cuda=False"), r.stdout)

        let json = try write("anchor.json", Array("{\"lm-smoke\": 1.0}".utf8))
        for (path, reason) in [(json, "no CPU measurement lines"), (root.appendingPathComponent("missing.txt").path, "no such file")] {
            let bad = try collapse("neural", "bench", "--preset", "smoke", "--anchor", path)
            XCTAssertEqual(bad.status, 64, bad.stderr)
            XCTAssertTrue(bad.stderr.hasPrefix("Error: --anchor \(path): \(reason)"), bad.stderr)
            assertNoCrashReport(bad, "bench --anchor \(path)")
            XCTAssertEqual(bad.stdout, "", "nothing measured")
        }
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
