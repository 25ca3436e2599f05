import Foundation
import XCTest

/// `collapse external` end to end with the pure-Python reference trainer
/// (examples/trainers/unigram.py): every regime's bookkeeping, the step store (shared
/// generation 1, SIGKILL and Ctrl-C then --resume to identical bytes), each failure mode, and
/// sweeps that shard and merge.
final class ExternalCommandTests: CLITestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let unigram = "python3 " + repo.appendingPathComponent("examples/trainers/unigram.py").path

    /// 300 real and 60 held-out lines of a small language (fixed, so runs are reproducible).
    func writeData() throws {
        var state: UInt64 = 12345
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        let words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "to", "big", "red", "sun"]
        func lines(_ n: Int) -> String {
            (0..<n).map { _ in (0..<(3 + next() % 6)).map { _ in words[next() % words.count] }.joined(separator: " ") }.joined(separator: "\n") + "\n"
        }
        try lines(300).write(to: work.appendingPathComponent("real.txt"), atomically: true, encoding: .utf8)
        try lines(60).write(to: work.appendingPathComponent("test.txt"), atomically: true, encoding: .utf8)
    }

    func args(_ trainer: String = unigram, _ extra: [String] = []) -> [String] {
        ["external", "--trainer", trainer, "--data", "real.txt", "--test", "test.txt", "--seed", "7", "--quiet"] + extra
    }

    func results(_ dir: String) throws -> [[String: String]] {
        let text = try String(contentsOf: work.appendingPathComponent(dir).appendingPathComponent("results.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
    }

    func bytes(_ dir: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(dir).appendingPathComponent("results.csv")) }

    func steps(_ dir: String, _ kind: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent(dir).appendingPathComponent("work").path)) ?? [])
            .filter { kind.isEmpty ? !$0.hasPrefix(".") : $0.hasPrefix(kind + "-") }
    }

    /// The training set each regime hands the trainer, as the trainer counted it (`fit_records`):
    /// T for replace, accumulate-subsample, mix and fresh-real; nT for accumulate at generation n.
    func testEveryRegimeTrainsOnWhatItMeans() throws {
        try writeData()
        let r = try collapse(
            arguments: args(
                Self.unigram,
                [
                    "--regimes", "replace,accumulate,accumulate-subsample,mix,fresh-real",
                    "--real-fraction", "0.25", "--generations", "3", "--samples", "50",
                    "--repeats", "2", "--output", "all"
                ]))
        assertSuccess(r, "external, every regime")
        let rows = try results("all")
        let regimes = ["replace", "accumulate", "accumulate-subsample", "mix", "fresh-real"]
        for regime in regimes {
            for n in 1...3 {
                let fit = rows.filter { $0["regime"] == regime && $0["generation"] == String(n) && $0["metric"] == "fit_records" }
                XCTAssertEqual(fit.count, 1, "\(regime) \(n)")
                XCTAssertEqual(fit.first?["mean"], regime == "accumulate" ? "\(50 * n).0" : "50.0", "\(regime) generation \(n)")
                XCTAssertEqual(fit.first?["std_error"], "0.0")
                let loss = rows.first { $0["regime"] == regime && $0["generation"] == String(n) && $0["metric"] == "test_loss" }
                XCTAssertNotNil(loss.flatMap { Double($0["mean"] ?? "") }, "\(regime) \(n): no test_loss")
                XCTAssertEqual(loss?["repeats"], "2")
                XCTAssertEqual(loss?["samples"], "50")
                XCTAssertEqual(loss?["real_fraction"], regime == "mix" || regime == "fresh-real" ? "0.25" : "")
            }
        }
        // Generation 1 is one step per replicate, shared by every regime: identical rows, and
        // fits = 2 replicates × (1 + 5 regimes × 2 later generations).
        let first = Set(rows.filter { $0["generation"] == "1" && $0["metric"] == "test_loss" }.map { $0["mean"]! })
        XCTAssertEqual(first.count, 1, "generation 1 differs across regimes")
        XCTAssertEqual(steps("all", "fit").count, 2 * (1 + 5 * 2))
        // --keep-models last: each chain's last model is kept, no earlier one.
        let models = steps("all", "fit").filter {
            FileManager.default.fileExists(atPath: work.appendingPathComponent("all/work/\($0)/model").path)
        }
        XCTAssertEqual(models.count, 2 * 5)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("all/figure.svg").path))
    }

    /// SIGKILL at several moments (after the k-th committed step), then --resume: only the
    /// unfinished steps rerun and the results are the uninterrupted bytes.
    func testSigkillAtAnyStepThenResumeGivesTheSameBytes() throws {
        try writeData()
        let grid = args(Self.unigram, ["--regimes", "replace,accumulate", "--generations", "3", "--samples", "60"])
        assertSuccess(try collapse(arguments: grid + ["--output", "full"]), "uninterrupted")
        let total = steps("full", "").count
        for k in [1, 4, 9] {
            let dir = "cut\(k)"
            let p = try start(grid + ["--output", dir])
            let deadline = Date().addingTimeInterval(60)
            func committed() -> Int {
                steps(dir, "").filter { FileManager.default.fileExists(atPath: work.appendingPathComponent("\(dir)/work/\($0)/result.json").path) }.count
            }
            while p.isRunning && committed() < k && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
            XCTAssertTrue(p.isRunning, "the run finished before the kill")
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let kept = committed()
            XCTAssertGreaterThanOrEqual(kept, k)
            let resumed = try collapse(arguments: grid + ["--output", dir, "--resume"])
            assertSuccess(resumed, "resume after SIGKILL at step \(k)")
            XCTAssertEqual(try bytes(dir), try bytes("full"), "SIGKILL after \(kept) of \(total) steps")
        }
    }

    /// Ctrl-C stops the running step and keeps the finished ones (exit 130); --resume completes.
    func testCtrlCThenResume() throws {
        try writeData()
        let grid = args(Self.unigram, ["--regimes", "replace,accumulate", "--generations", "4", "--samples", "60"])
        assertSuccess(try collapse(arguments: grid + ["--output", "full"]), "uninterrupted")
        let p = try start(grid + ["--output", "cut"])
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && steps("cut", "sample").count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
        XCTAssertTrue(p.isRunning)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertEqual(try manifest(in: work.appendingPathComponent("cut"))["status"] as? String, "interrupted")
        let resumed = try collapse(arguments: grid + ["--output", "cut", "--resume"])
        assertSuccess(resumed, "resume after Ctrl-C")
        XCTAssertEqual(try bytes("cut"), try bytes("full"))
    }

    /// A wrapper around unigram.py that misbehaves in one step (and only while `flag` exists).
    func faulty(_ name: String, step: String, generation: Int = 2, action: String) throws -> String {
        let script = work.appendingPathComponent(name + ".sh")
        let flag = work.appendingPathComponent(name + ".flag")
        try Data().write(to: flag)
        try """
        #!/bin/sh
        if [ "$1" = "\(step)" ] && [ "$COLLAPSE_GENERATION" = "\(generation)" ] && [ -f "\(flag.path)" ]; then
        \(action)
        fi
        exec \(Self.unigram) "$@"

        """.write(to: script, atomically: true, encoding: .utf8)
        return "sh " + script.path
    }

    /// Each failure names the step, the generation and the command, shows the trainer's stderr,
    /// exits 1 and keeps the finished steps; once the trainer is fixed, --resume completes the
    /// run to the bytes of a run that never failed.
    func testFailingStepsAreReportedAndFinishedStepsKept() throws {
        try writeData()
        let grid = ["--regimes", "replace", "--generations", "3", "--samples", "40"]
        assertSuccess(try collapse(arguments: args(Self.unigram, grid + ["--output", "good"])), "a run that never fails")
        let cases: [(name: String, step: String, action: String, needles: [String], extra: [String])] = [
            ("exit", "fit", "echo 'CUDA out of memory' >&2; exit 3", ["fit of generation 2", "exit status 3", "CUDA out of memory"], []),
            ("garbage", "evaluate", "echo 'loss is 1.5'; exit 0", ["evaluate of generation 2", "not a JSON object", "loss is 1.5"], []),
            ("silent", "evaluate", "exit 0", ["evaluate of generation 2", "printed nothing"], []),
            ("noloss", "evaluate", "echo '{\"loss\": 1}'; exit 0", ["evaluate of generation 2", "no number test_loss"], []),
            ("nosamples", "sample", "echo '{}'; exit 0", ["sample of generation 2", "no readable samples file"], []),
            (
                "short", "sample", "shift; while [ \"$1\" != --output ]; do shift; done; echo 'one line' > \"$2\"; echo '{}'; exit 0",
                ["sample of generation 2", "wrote 1 records", "asked for 40"], []
            ),
            ("hang", "fit", "sleep 30", ["fit of generation 2", "--step-timeout 1"], ["--step-timeout", "1"])
        ]
        for c in cases {
            let trainer = try faulty(c.name, step: c.step, action: c.action)
            let dir = "fail-\(c.name)"
            let r = try collapse(arguments: args(trainer, grid + c.extra + ["--output", dir]))
            XCTAssertEqual(r.status, 1, "\(c.name): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("Error: external trainer: the "), "\(c.name): \(r.stderr)")
            for needle in c.needles + ["command: sh ", "--resume"] { XCTAssertTrue(r.stderr.contains(needle), "\(c.name): no '\(needle)' in \(r.stderr)") }
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertFalse(steps(dir, "fit").isEmpty, "\(c.name): finished steps not kept")
            // Fixed (the flag removed), the run resumes to the bytes of a run that never failed.
            try FileManager.default.removeItem(at: work.appendingPathComponent(c.name + ".flag"))
            let resumed = try collapse(arguments: args(trainer, grid + c.extra + ["--output", dir, "--resume"]))
            assertSuccess(resumed, "\(c.name): resume")
            XCTAssertEqual(try bytes(dir), try bytes("good"), c.name)
        }
    }

    /// Bad input is refused before anything is written, naming the flag or file.
    func testBadInputIsRefusedBeforeAnythingIsWritten() throws {
        try writeData()
        try Data().write(to: work.appendingPathComponent("empty.txt"))
        let cases: [([String], [String])] = [
            (["external", "--data", "real.txt", "--test", "test.txt"], ["--trainer", "required"]),
            (args(Self.unigram, []).filter { $0 != "real.txt" && $0 != "--data" }, ["--data", "required"]),
            (args(Self.unigram, []).map { $0 == "real.txt" ? "missing.txt" : $0 }, ["--data missing.txt", "No such file"]),
            (args(Self.unigram, []).map { $0 == "test.txt" ? "empty.txt" : $0 }, ["--test empty.txt", "no records"]),
            (args("no-such-trainer-command", []), ["--trainer", "info", "exit status 127", "not found"]),
            (args("echo hello", []), ["--trainer", "info", "not a JSON object"]),
            (args(Self.unigram, ["--format", "jsonl"]), ["--format", "jsonl", "not a format the trainer declares", "lines"]),
            (args(Self.unigram, ["--format", "csv"]), ["--format", "'csv' is not a record format"]),
            (args(Self.unigram, ["--samples", "301"]), ["--samples 301", "only 300 records"]),
            (args(Self.unigram, ["--regimes", "fresh-real", "--generations", "4", "--samples", "100"]), ["--data", "fresh-real", "400"]),
            (args(Self.unigram, ["--keep-models", "some"]), ["--keep-models", "some", "last"]),
            (args(Self.unigram, ["--step-timeout", "0"]), ["--step-timeout", "0"])
        ]
        for (arguments, needles) in cases {
            let r = try collapse(arguments: arguments + ["--output", "out"])
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
            for n in needles { XCTAssertTrue(r.stderr.contains(n), "\(arguments): no '\(n)' in \(r.stderr)") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("out").path), "\(arguments): wrote out/")
        }
    }

    /// Lists make a grid; shards merge to the unsharded bytes; a config file names the family.
    /// --per-replicate: each row's values are its chains', and they reproduce the row.
    func testPerReplicateValuesAreTheChains() throws {
        try writeData()
        assertSuccess(
            try collapse(
                arguments: args(
                    Self.unigram,
                    [
                        "--regimes", "replace,accumulate", "--generations", "2", "--repeats", "3",
                        "--per-replicate", "--output", "pr"
                    ])), "external --per-replicate")
        let dir = work.appendingPathComponent("pr")
        try assertReproducesResults(dir, perReplicate: try contents("per-replicate.csv", under: dir))
    }

    func testSweepShardsAndConfig() throws {
        try writeData()
        let grid = args(Self.unigram, ["--regimes", "replace,accumulate", "--generations", "2,3", "--samples", "30,60"])
        assertSuccess(try collapse(arguments: grid + ["--output", "whole"]), "grid")
        XCTAssertEqual(Set(try results("whole").map { "\($0["samples"]!)/\($0["generations"]!)" }), ["30/2", "30/3", "60/2", "60/3"])
        for i in 0..<2 { assertSuccess(try collapse(arguments: grid + ["--shard", "\(i)/2", "--output", "s\(i)"]), "shard \(i)") }
        assertSuccess(try collapse("merge", "s0", "s1", "--output", "merged"), "merge")
        XCTAssertEqual(try bytes("merged"), try bytes("whole"))
        try """
        family = "external"
        trainer = "\(Self.unigram)"
        data = "real.txt"
        test = "test.txt"
        regimes = ["replace", "accumulate"]
        generations = [2, 3]
        samples = [30, 60]
        seed = 7

        """.write(to: work.appendingPathComponent("ext.toml"), atomically: true, encoding: .utf8)
        assertSuccess(try collapse("sweep", "--config", "ext.toml", "--output", "swept", "--quiet"), "sweep --config")
        XCTAssertEqual(try bytes("swept"), try bytes("whole"))
    }
}

/// The reference trainers speak the protocol (examples/trainers/test_trainers.py drives them
/// as collapse does); the PyTorch one is tested where PyTorch is installed and skipped with a
/// message where it is not.
final class ReferenceTrainerTests: CLITestCase {
    func testReferenceTrainersSpeakTheProtocol() throws {
        let (status, log) = try python("examples/trainers/test_trainers.py", [])
        XCTAssertEqual(status, 0, log)
        XCTAssertTrue(log.contains("unigram"), log)
        XCTAssertTrue(log.contains("SKIP torch_lm: PyTorch is not installed") || log.contains("torch_lm"), log)
    }
}
