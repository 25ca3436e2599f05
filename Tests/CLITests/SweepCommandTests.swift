import Foundation
import XCTest

/// End-to-end tests of `collapse sweep` and `collapse merge`: config files, named experiments,
/// interruption and resume, shards and merge.
final class SweepCommandTests: CLITestCase {
    /// A sweep long enough (about 1.5 s on 2 cores) to be interrupted part-way.
    let config = """
        name = "kill-test"
        dimension = [10, 20]
        samples = [200, 400]
        noise_variance = [1, 3]
        generations = 30
        regimes = ["replace", "accumulate", "mix"]
        real_fraction = 0.5
        repeats = 1500
        seed = 5
        """

    func writeConfig(_ text: String, name: String = "sweep.toml") throws -> String {
        let url = work.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func bytes(_ dir: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(dir).appendingPathComponent("results.csv")) }

    /// Starts `collapse args`, sends `signal` after `delay` seconds (if still running), waits.
    func runAndSignal(_ args: [String], signal: Int32, after delay: TimeInterval) throws -> (status: Int32, signalled: Bool) {
        let p = Process()
        p.executableURL = try CLIHarness.binary()
        p.arguments = args
        p.currentDirectoryURL = work
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: delay)
        if p.isRunning { kill(p.processIdentifier, signal) }
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal)
    }

    func testConfigFileAndFlagOverrides() throws {
        let path = try writeConfig(config)
        let r = try collapse("sweep", "--config", path, "--repeats", "20", "--generations", "3", "--output", "out", "--quiet")
        assertSuccess(r, "sweep --config")
        let csv = try SimpleCSV(contents("results.csv", under: work.appendingPathComponent("out")))
        XCTAssertEqual(csv.rows.count, 8 * 3 * 3, "8 cells × 3 regimes × 3 generations")
        let recorded = try contents("experiment.toml", under: work.appendingPathComponent("out"))
        XCTAssertTrue(
            recorded.contains("family = \"linear\"") && recorded.contains("name = \"kill-test\"") && recorded.contains("repeats = [20]")
                && recorded.contains("generations = [3]"), recorded)
        // Without --output, the directory is results/NAME (the config's name).
        assertSuccess(try collapse("sweep", "--config", path, "--repeats", "2", "--generations", "1", "--quiet"), "default output")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("results/kill-test/results.csv").path))
        let m = try manifest(in: work.appendingPathComponent("out"))
        XCTAssertEqual(m["status"] as? String, "complete")
        XCTAssertEqual(m["seed"] as? String, "5")
    }

    func testListAndShowExperiments() throws {
        let list = try collapse("sweep", "--list")
        assertSuccess(list, "sweep --list")
        XCTAssertTrue(list.stdout.contains("paper-linear") && list.stdout.contains("collapse-or-thrive-linear"))
        let show = try collapse("sweep", "--show", "paper-linear")
        assertSuccess(show, "sweep --show")
        // The shown definition is a valid config that reproduces the experiment.
        let path = try writeConfig(show.stdout, name: "paper.toml")
        let a = try collapse("sweep", "--config", path, "--repeats", "10", "--output", "a", "--quiet")
        let b = try collapse("sweep", "--experiment", "paper-linear", "--repeats", "10", "--output", "b", "--quiet")
        assertSuccess(a, "from shown config"); assertSuccess(b, "from experiment")
        XCTAssertEqual(try bytes("a"), try bytes("b"))
    }

    func testBadConfigsNameFileLineAndKeyAndWriteNothing() throws {
        let cases: [(String, String)] = [
            ("samples = 100\nsampels = 3\n", ":2: key 'sampels': unknown key (did you mean 'samples'?)"),
            ("dimension = \"ten\"\n", ":1: key 'dimension': ten is not an integer in 1...100000"),
            ("family = \"quantum\"\n", ":1: key 'family': unknown family \"quantum\""),
            ("noise_variance = [1, -2]\n", ":1: key 'noise_variance'"),
            ("regimes = [\"replace\"\n", ":1: key 'regimes': unterminated array"),
            ("[grid]\nsamples = 3\n", ":1: key 'grid': tables such as [grid] are not supported")
        ]
        for (i, (text, fragment)) in cases.enumerated() {
            let path = try writeConfig(text, name: "bad\(i).toml")
            let r = try collapse("sweep", "--config", path, "--output", "bad-out-\(i)")
            XCTAssertNotEqual(r.status, 0, text)
            XCTAssertTrue(r.stderr.contains("bad\(i).toml" + fragment), "\(text) → \(r.stderr)")
            assertNoCrashReport(r, text)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("bad-out-\(i)").path))
        }
        let missing = try collapse("sweep", "--config", "nope.toml")
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--config nope.toml: cannot read the file"), missing.stderr)
        // Regression: a FIFO given as --config blocked forever waiting for a writer.
        let fifo = work.appendingPathComponent("fifo.toml").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let piped = try collapse("sweep", "--config", fifo, "--output", "fifo-out")
        XCTAssertEqual(piped.status, 64, piped.stderr)
        XCTAssertTrue(piped.stderr.contains("--config \(fifo): not a regular file"), piped.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("fifo-out").path))
    }

    /// SIGKILL at several points, then --resume: the same bytes as an uninterrupted run.
    func testKilledSweepResumesToIdenticalBytes() throws {
        let path = try writeConfig(config)
        let full = try collapse("sweep", "--config", path, "--output", "full", "--quiet")
        assertSuccess(full, "uninterrupted sweep")
        // Kill delays from a fixed seed, spread over the run (deterministic test, varied points).
        var state: UInt64 = 0x2545F4914F6CDD1D
        var killedMidRun = 0
        for attempt in 0..<4 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let delay = 0.15 + Double(state >> 11) / Double(1 << 53) * 1.2
            let dir = "killed\(attempt)"
            let killed = try runAndSignal(["sweep", "--config", path, "--output", dir, "--quiet"], signal: SIGKILL, after: delay)
            if killed.signalled { killedMidRun += 1 }
            let resumed = try collapse("sweep", "--config", path, "--output", dir, "--resume", "--quiet")
            assertSuccess(resumed, "resume after SIGKILL at \(delay) s (signalled: \(killed.signalled))")
            XCTAssertEqual(try bytes(dir), try bytes("full"), "killed at \(delay) s")
        }
        XCTAssertGreaterThan(killedMidRun, 0, "no attempt was killed before finishing: the test sweep is too short")
    }

    /// SIGINT: finished cells kept, manifest marked interrupted, exit status 130; resume completes.
    func testInterruptMarksManifestAndExits130() throws {
        let path = try writeConfig(config)
        let full = try collapse("sweep", "--config", path, "--output", "full", "--quiet")
        assertSuccess(full, "uninterrupted sweep")
        let r = try runAndSignal(["sweep", "--config", path, "--output", "int", "--quiet"], signal: SIGINT, after: 0.5)
        // The sweep takes ~1.5 s, so the signal at 0.5 s arrives mid-run.
        XCTAssertFalse(r.signalled)
        XCTAssertEqual(r.status, 130)
        XCTAssertEqual(try manifest(in: work.appendingPathComponent("int"))["status"] as? String, "interrupted")
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("int/results.csv").path))
        let resumed = try collapse("sweep", "--config", path, "--output", "int", "--resume", "--quiet")
        assertSuccess(resumed, "resume after SIGINT")
        XCTAssertEqual(try bytes("int"), try bytes("full"))
    }

    func testShardsMergeToUnshardedBytesAndOutputRules() throws {
        let path = try writeConfig(config)
        let args = ["sweep", "--config", path, "--repeats", "30", "--quiet"]
        assertSuccess(try collapse(arguments: args + ["--output", "full"]), "unsharded")
        for i in 0..<3 { assertSuccess(try collapse(arguments: args + ["--shard", "\(i)/3", "--output", "s\(i)"]), "shard \(i)") }
        let merged = try collapse("merge", "s0", "s1", "s2", "--output", "merged")
        assertSuccess(merged, "merge")
        XCTAssertEqual(try bytes("merged"), try bytes("full"))
        // Incomplete shards, a non-empty output without --resume/--force, and bad shard specs fail.
        let incomplete = try collapse("merge", "s0", "s1", "--output", "m2")
        XCTAssertNotEqual(incomplete.status, 0)
        XCTAssertTrue(incomplete.stderr.contains("is missing"), incomplete.stderr)
        let again = try collapse(arguments: args + ["--output", "full"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("not empty") && again.stderr.contains("--resume"), again.stderr)
        assertSuccess(try collapse(arguments: args + ["--output", "full", "--force"]), "--force")
        for bad in ["3/3", "a/b", "1", "-1/2"] {
            let r = try collapse(arguments: args + ["--shard", bad, "--output", "x"])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.stderr.contains("--shard"), r.stderr)
        }
    }
}

/// The progress bar goes to stderr only when asked for (stderr is not a terminal in tests).
final class SweepProgressTests: CLITestCase {
    func testProgressBarOnlyWhenAskedFor() throws {
        let base = ["sweep", "--experiment", "paper-linear", "--repeats", "20", "--generations", "5"]
        let shown = try collapse(arguments: base + ["--progress", "--output", "p"])
        assertSuccess(shown, "--progress")
        XCTAssertTrue(shown.stderr.contains("cells 15/15") && shown.stderr.contains("rep/s") && shown.stderr.contains("ETA"), shown.stderr)
        XCTAssertFalse(shown.stdout.contains("rep/s"), "progress must not go to stdout")
        let quiet = try collapse(arguments: base + ["--quiet", "--output", "q"])
        assertSuccess(quiet, "--quiet")
        XCTAssertFalse(quiet.stderr.contains("rep/s"), quiet.stderr)
        let plain = try collapse(arguments: base + ["--output", "r"])
        XCTAssertFalse(plain.stderr.contains("rep/s"), "no bar when stderr is not a terminal: \(plain.stderr)")
        let both = try collapse(arguments: base + ["--progress", "--quiet", "--output", "s"])
        XCTAssertNotEqual(both.status, 0)
        // Not a terminal (a log, a batch job): a plain line per interval (60 s; shortened here).
        let logged = try collapse(
            arguments: [
                "simulate", "--dimension", "10", "--samples", "200,400", "--repeats", "20000",
                "--generations", "30", "--seed", "1", "--output", "l"
            ],
            environment: ["COLLAPSE_PROGRESS_INTERVAL": "0.05"])
        assertSuccess(logged, "simulate with periodic progress")
        let lines = logged.stderr.split(separator: "\n").filter { $0.hasPrefix("progress: cells ") }
        XCTAssertGreaterThan(lines.count, 0, logged.stderr)
        XCTAssertFalse(logged.stderr.contains("\r"), "plain lines, no carriage returns")
        let quietLog = try collapse(arguments: base + ["--quiet", "--output", "lq"], environment: ["COLLAPSE_PROGRESS_INTERVAL": "0.001"])
        XCTAssertFalse(quietLog.stderr.contains("progress:"), quietLog.stderr)
    }
}

/// simulate and reproduce replace their own previous outputs but refuse foreign files.
final class OutputPolicyTests: CLITestCase {
    func testForeignFilesNeedForce() throws {
        let dir = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        for command in [["simulate", "--repeats", "10", "--seed", "1"], ["reproduce", "--repeats", "10"]] {
            let refused = try collapse(arguments: command + ["--output", "out"])
            XCTAssertEqual(refused.status, 64, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("not empty (holds notes.txt") && refused.stderr.contains("--force"), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results.csv").path))
        }
        assertSuccess(try collapse("simulate", "--repeats", "10", "--seed", "1", "--output", "out", "--force"), "--force")
        // reproduce replaces its own previous run (same or other settings) without --force.
        assertSuccess(try collapse("reproduce", "--repeats", "4", "--output", "rep"), "reproduce")
        assertSuccess(try collapse("reproduce", "--repeats", "5", "--output", "rep"), "reproduce again")
        XCTAssertTrue(try contents("results.csv", under: work.appendingPathComponent("rep")).contains(",5,"))
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("notes.txt"), encoding: .utf8), "mine")
        // A previous run's directory is never silently replaced: --resume continues it (the
        // same run only), --force overwrites its files.
        assertSuccess(try collapse("simulate", "--repeats", "10", "--seed", "1", "--output", "again"), "first run")
        let rerun = try collapse("simulate", "--repeats", "10", "--seed", "2", "--output", "again")
        XCTAssertEqual(rerun.status, 64, rerun.stderr)
        XCTAssertTrue(rerun.stderr.contains("--resume") && rerun.stderr.contains("--force"), rerun.stderr)
        let differentResume = try collapse("simulate", "--repeats", "10", "--seed", "2", "--output", "again", "--resume")
        XCTAssertTrue(differentResume.stderr.contains("different run") && differentResume.stderr.contains("seed: 1 vs 2"), differentResume.stderr)
        assertSuccess(try collapse("simulate", "--repeats", "10", "--seed", "1", "--output", "again", "--resume"), "resume finished run")
        assertSuccess(try collapse("simulate", "--repeats", "10", "--seed", "2", "--output", "again", "--force"), "second run, --force")
    }
}

/// Same seed ⇒ same bytes for every command that samples, whatever --threads.
final class DeterminismTests: CLITestCase {
    func testSweepReproduceAndVerifyAreIdenticalAcrossThreadCounts() throws {
        func bytes(_ dir: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(dir).appendingPathComponent("results.csv")) }
        let sweep = [
            "sweep", "--experiment", "collapse-or-thrive-linear", "--dimension", "3,10", "--samples", "10,32",
            "--noise-variance", "1", "--generations", "6", "--repeats", "40", "--regimes",
            "replace,accumulate,accumulate-subsample,mix", "--real-fraction", "0.3", "--quiet"
        ]
        let reproduce = ["reproduce", "--repeats", "30"]
        for (name, args) in [("sweep", sweep), ("reproduce", reproduce)] {
            for threads in ["1", "2", "8"] {
                assertSuccess(try collapse(arguments: args + ["--threads", threads, "--output", "\(name)-\(threads)"]), "\(name) --threads \(threads)")
            }
            XCTAssertEqual(try bytes("\(name)-1"), try bytes("\(name)-2"), name)
            XCTAssertEqual(try bytes("\(name)-1"), try bytes("\(name)-8"), name)
            // And across repeated runs.
            assertSuccess(try collapse(arguments: args + ["--threads", "2", "--output", "\(name)-again"]), "\(name) again")
            XCTAssertEqual(try bytes("\(name)-2"), try bytes("\(name)-again"), name)
        }
        // verify: every check line identical (the summary line carries the wall time).
        let one = try collapse("verify", "--threads", "1", "--output", "verify-1"), two = try collapse("verify", "--threads", "2", "--output", "verify-2")
        assertSuccess(one, "verify 1"); assertSuccess(two, "verify 2")
        XCTAssertEqual(one.stdout.split(separator: "\n").dropLast(), two.stdout.split(separator: "\n").dropLast())
        XCTAssertEqual(try bytes("verify-1"), try bytes("verify-2"))
    }
}

/// Regressions (issue 14, output safety): no command writes over one of its inputs, whether
/// named directly, inside the output directory or through a symlink.
final class OutputSafetyTests: CLITestCase {
    func points(_ name: String) throws -> URL {
        let url = work.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let text = (0..<60).map { i in "\(Double(i % 7) * 0.3),\(Double(i % 5) * -0.2)" }.joined(separator: "\n") + "\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testAnOutputThatHoldsOrAliasesAnInputIsRefused() throws {
        // generative --data out/points.csv --output out (and the same through a symlink, with --force).
        let data = try points("out/points.csv")
        let before = try Data(contentsOf: data)
        let base = [
            "generative", "--model", "gaussian", "--dataset", "csv", "--data", data.path, "--samples", "20", "--test-size", "10",
            "--generations", "2", "--repeats", "2", "--seed", "1"
        ]
        try FileManager.default.createSymbolicLink(at: work.appendingPathComponent("alias"), withDestinationURL: work.appendingPathComponent("out"))
        for output in ["out", "alias"] {
            let r = try collapse(arguments: base + ["--output", output, "--force"])
            XCTAssertEqual(r.status, 64, "\(output): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("contains the input") && r.stderr.contains("--data"), r.stderr)
            assertNoCrashReport(r, output)
        }
        XCTAssertEqual(try Data(contentsOf: data), before, "the input is untouched")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("out").path), ["points.csv"])
        assertSuccess(try collapse(arguments: base + ["--output", "elsewhere"]), "a separate output")

        // plot RESULTS --output RESULTS, directly and through a symlink; and a non-SVG name.
        let results = work.appendingPathComponent("elsewhere/results.csv")
        let csv = try Data(contentsOf: results)
        try FileManager.default.createSymbolicLink(at: work.appendingPathComponent("link.csv"), withDestinationURL: results)
        for output in [results.path, "link.csv"] {
            let r = try collapse("plot", results.path, "--output", output)
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("is the results file being drawn"), r.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: results), csv)
        let pdf = try collapse("plot", results.path, "--format", "png", "--output", "figure.pdf")
        XCTAssertEqual(pdf.status, 64, pdf.stderr)
        XCTAssertTrue(pdf.stderr.contains("--format png disagrees with --output figure.pdf"), pdf.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("figure.pdf").path))
    }

    func testMergeNeverWritesIntoAShardOrOverAnotherResult() throws {
        let args = ["sweep", "--dimension", "2", "--samples", "10,20", "--generations", "2", "--repeats", "4", "--seed", "3", "--quiet"]
        for i in 0..<2 { assertSuccess(try collapse(arguments: args + ["--shard", "\(i)/2", "--output", "runs/shard-\(i)"]), "shard \(i)") }
        let shard0 = try contents("results.csv", under: work.appendingPathComponent("runs/shard-0"))
        let into = try collapse("merge", "runs/shard-0", "runs/shard-1", "--output", "runs/shard-0")
        XCTAssertEqual(into.status, 64, into.stderr)
        XCTAssertTrue(into.stderr.contains("a directory to merge"), into.stderr)
        XCTAssertEqual(try contents("results.csv", under: work.appendingPathComponent("runs/shard-0")), shard0)
        // The SLURM layout (shards below the output) is allowed.
        assertSuccess(try collapse("merge", "runs/shard-0", "runs/shard-1", "--output", "runs"), "merge into the shards' parent")
        // An unrelated results.csv is not replaced without --force.
        try FileManager.default.createDirectory(at: work.appendingPathComponent("other"), withIntermediateDirectories: true)
        try "mine\n".write(to: work.appendingPathComponent("other/results.csv"), atomically: true, encoding: .utf8)
        let over = try collapse("merge", "runs/shard-0", "runs/shard-1", "--output", "other")
        XCTAssertEqual(over.status, 64, over.stderr)
        XCTAssertTrue(over.stderr.contains("already holds results.csv") && over.stderr.contains("--force"), over.stderr)
        XCTAssertEqual(try contents("results.csv", under: work.appendingPathComponent("other")), "mine\n")
        assertSuccess(try collapse("merge", "runs/shard-0", "runs/shard-1", "--output", "other", "--force"), "merge --force")
    }
}
