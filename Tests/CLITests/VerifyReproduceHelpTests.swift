import Foundation
import XCTest

final class VerifyCommandTests: CLITestCase {
    func testVerifyPasses() throws {
        let r = try collapse("verify", "--threads", "2")
        assertSuccess(r, "verify")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let last = try XCTUnwrap(lines.last)
        XCTAssertTrue(last.contains(" checks, 0 failed;"), last)
        XCTAssertTrue(last.contains("seed 1;"), last)
        let checks = try XCTUnwrap(Int(last.split(separator: " ").first ?? ""), last)
        // One line per check; otherwise only table headers, the notes on given-design and ridge rows and the summary.
        let other = lines.filter { !$0.hasSuffix("  ok") }
        XCTAssertTrue(other.allSatisfy { $0.hasPrefix("  id") || $0.hasPrefix("given-design rows") || $0.hasPrefix("bound rows") || $0 == last }, r.stdout)
        XCTAssertEqual(lines.count, checks + other.count, r.stdout)
        XCTAssertEqual(lines.filter { $0.hasSuffix("  ok") }.count, checks)
        XCTAssertFalse(r.stdout.contains("FAIL"), r.stdout)
        for id in [
            "V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "F1", "F2", "F3", "O1", "E1", "E2", "E3", "E4", "E5", "U1", "U2", "G1", "G2", "G3", "G4", "G5",
            "G6", "W1", "R1", "R2", "R3"
        ] {
            XCTAssertTrue(lines.contains { $0.hasPrefix("  \(id) ") }, "no check from \(id)")
        }
        // The run's files: one row per statistic, the verdict in the manifest; nothing else.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.path), ["results"], "verify wrote files")
        let dir = work.appendingPathComponent("results/verify")
        let csv = try String(contentsOf: dir.appendingPathComponent("results.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, checks + 1)
        let parameters = try XCTUnwrap(try manifest(in: dir)["parameters"] as? [String: Any])
        XCTAssertEqual(parameters["verdict"] as? String, "pass")
        XCTAssertEqual(parameters["statistics"] as? Int, checks)
        XCTAssertEqual(parameters["failed"] as? Int, 0)
        XCTAssertTrue(r.stderr.contains("wrote \(checks) rows to "), r.stderr)
    }

    func testVerifyListAndOnly() throws {
        let list = try collapse("verify", "--list")
        assertSuccess(list, "verify --list")
        for id in ["V1", "V8", "U1", "U2", "G1", "G2"] { XCTAssertTrue(list.stdout.contains("\n\(id) ") || list.stdout.hasPrefix("\(id) "), id) }
        let only = try collapse("verify", "--only", "U1,G1")
        assertSuccess(only, "verify --only")
        let rows = only.stdout.split(separator: "\n").filter { $0.hasSuffix("  ok") }
        XCTAssertEqual(rows.count, 12, only.stdout)
        XCTAssertTrue(rows.allSatisfy { $0.hasPrefix("  U1") || $0.hasPrefix("  G1") }, only.stdout)
        XCTAssertTrue(only.stdout.contains("12 checks, 0 failed"), only.stdout)
        let bad = try collapse("verify", "--only", "V9")
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--only: unknown value 'V9'; allowed: V1, V2"), bad.stderr)
    }

    /// Slow mode: one Bonferroni family over every seed; per-seed summary lines, failing rows only.
    func testVerifyAcrossSeeds() throws {
        let r = try collapse("verify", "--only", "E3,E5,U1", "--seeds", "3-5", "--threads", "2")
        assertSuccess(r, "verify --seeds")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("seed ") }.count, 3, r.stdout)
        for seed in 3...5 { XCTAssertTrue(lines.contains { $0.hasPrefix("seed \(seed): 14 checks, 0 failed") }, r.stdout) }
        XCTAssertTrue(
            lines.last!.hasPrefix("42 checks, 0 failed;") && lines.last!.contains("Bonferroni over 42") && lines.last!.contains("3 seeds (3…5)"), r.stdout)
        // The same statistics as three single-seed runs (the seed is the only input).
        let single = try collapse("verify", "--only", "E3,E5,U1", "--seed", "4", "--threads", "1")
        let maxZ = single.stdout.split(separator: "\n").filter { $0.hasSuffix("  ok") }
            .compactMap { Double($0.split(separator: " ").dropLast().last ?? "") }.map(abs).max()!
        XCTAssertTrue(lines.contains("seed 4: 14 checks, 0 failed, max |z| = \(String(format: "%.2f", maxZ))"), r.stdout + single.stdout)
        for args in [["--seeds", "5-3"], ["--seeds", "a-b"], ["--seeds", "1", "--seed", "1"], ["--seeds", "0-5000"]] {
            let bad = try collapse(arguments: ["verify"] + args)
            XCTAssertEqual(bad.status, 64, "\(args): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.hasPrefix("Error: --seeds"), bad.stderr)
        }
    }

    /// verify on the engine: Ctrl-C keeps the finished checks (exit 130) and --resume completes
    /// to the uninterrupted bytes; shards merge to the unsharded bytes, print no verdict of
    /// their own, and --results judges the merged file as the unsharded run does.
    func testVerifyResumesShardsAndJudgesMergedResults() throws {
        let args = ["verify", "--only", "U1,G1,G3,E1,E3", "--seeds", "2-3", "--threads", "2"]
        let whole = try collapse(arguments: args + ["--output", "whole"])
        assertSuccess(whole, "verify whole")
        func bytes(_ dir: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(dir).appendingPathComponent("results.csv")) }
        func table(_ stdout: String) -> [Substring] { stdout.split(separator: "\n").dropLast() }

        try interruptAfterFirstCell(args, dir: "cut")
        let resumed = try collapse(arguments: args + ["--output", "cut", "--resume"])
        assertSuccess(resumed, "verify --resume")
        XCTAssertEqual(try bytes("cut"), try bytes("whole"))
        XCTAssertEqual(table(resumed.stdout), table(whole.stdout))
        XCTAssertTrue(resumed.stderr.contains("reused"), resumed.stderr)

        for i in 0..<2 {
            let shard = try collapse(arguments: args + ["--shard", "\(i)/2", "--output", "s\(i)"])
            assertSuccess(shard, "shard \(i)")
            XCTAssertEqual(shard.stdout, "", "a shard prints no table or verdict")
            XCTAssertTrue(shard.stderr.contains("no verdict"), shard.stderr)
        }
        assertSuccess(try collapse("merge", "s0", "s1", "--output", "merged"), "merge")
        XCTAssertEqual(try bytes("merged"), try bytes("whole"))
        let judged = try collapse("verify", "--results", "merged/results.csv")
        assertSuccess(judged, "verify --results")
        XCTAssertEqual(table(judged.stdout), table(whole.stdout))
        XCTAssertTrue(
            whole.stdout.split(separator: "\n").last!.hasPrefix(judged.stdout.split(separator: "\n").last! + "; "),
            whole.stdout + judged.stdout)
        // A stricter α judges the same statistics again: the threshold moves, nothing reruns.
        let strict = try collapse("verify", "--results", "merged/results.csv", "--false-alarm", "0.4")
        XCTAssertTrue(strict.stdout.contains("α = 0.4,"), strict.stdout)
    }
}

/// A check draws from its own streams whatever else runs: `--only E2` gives E2's rows of
/// `--only E1,E2` (the streams are the check's index in its battery, not in the selection).
final class VerifySelectionTests: CLITestCase {
    func testACheckGivesTheSameNumbersAloneAndInAGroup() throws {
        for (alone, group) in [("E2", "E1,E2"), ("F2", "F1,F2"), ("R2", "R1,R2")] {
            func rows(_ ids: String) throws -> [String] {
                let r = try collapse("verify", "--only", ids, "--threads", "2")
                XCTAssertTrue(r.status == 0 || r.status == 1, r.stderr)
                // Each row's fields without its verdict (the threshold and the column widths depend
                // on what else runs).
                return r.stdout.split(separator: "\n").filter { $0.hasPrefix("  \(alone) ") }
                    .map { $0.split(separator: " ").dropLast().joined(separator: " ") }
            }
            let a = try rows(alone)
            XCTAssertFalse(a.isEmpty, alone)
            XCTAssertEqual(a, try rows(group), "\(alone) alone vs in \(group)")
        }
    }
}

final class ReproduceCommandTests: CLITestCase {
    /// A terminal's Ctrl-C signals its whole foreground process group. Pressed while reproduce
    /// renders its PNG figures (its last step, after the results are written), it must not kill
    /// rsvg-convert half-way: the figures are finished and the run ends complete, as it did when
    /// Foundation's Process started rsvg-convert in a process group of its own. A stand-in
    /// rsvg-convert says it has started and waits until the signal has been sent.
    func testCtrlCWhileFiguresRenderFinishesThem() throws {
        let fm = FileManager.default
        let bin = root.appendingPathComponent("bin"), started = root.appendingPathComponent("converter-started")
        let go = root.appendingPathComponent("signal-sent"), out = work.appendingPathComponent("linear")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        let converter = bin.appendingPathComponent("rsvg-convert")
        try Data(
            """
            #!/bin/sh
            : > '\(started.path)'
            i=0
            while [ ! -e '\(go.path)' ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i + 1)); done
            printf 'stand-in PNG'

            """.utf8
        ).write(to: converter)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: converter.path)

        let p = Process()
        p.executableURL = try CLIHarness.binary()
        p.arguments = ["reproduce", "--repeats", "2", "--threads", "2", "--output", out.path]
        p.currentDirectoryURL = work
        p.environment = ProcessInfo.processInfo.environment.merging(["PATH": bin.path + ":/usr/bin:/bin"]) { $1 }
        let log = root.appendingPathComponent("stdout.txt"), errLog = root.appendingPathComponent("stderr.txt")
        _ = fm.createFile(atPath: log.path, contents: nil)
        _ = fm.createFile(atPath: errLog.path, contents: nil)
        let (outHandle, errHandle) = (try FileHandle(forWritingTo: log), try FileHandle(forWritingTo: errLog))
        p.standardOutput = outHandle
        p.standardError = errHandle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && !fm.fileExists(atPath: started.path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        XCTAssertTrue(fm.fileExists(atPath: started.path), "the stand-in rsvg-convert never started")
        // Foundation's Process made collapse the leader of its own group: signal that group, as
        // a terminal would.
        XCTAssertEqual(getpgid(p.processIdentifier), p.processIdentifier)
        kill(-p.processIdentifier, SIGINT)
        _ = fm.createFile(atPath: go.path, contents: nil)
        p.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        let stdout = try String(contentsOf: log, encoding: .utf8), stderr = try String(contentsOf: errLog, encoding: .utf8)
        XCTAssertEqual(p.terminationReason, .exit, stderr)
        XCTAssertEqual(p.terminationStatus, 0, stderr)
        XCTAssertEqual(stderr, "")
        XCTAssertTrue(stdout.contains("the paper's figure: \(out.appendingPathComponent("figure.svg").path), "), stdout)
        for name in ["figure.png", "figure-ratio.png"] {
            XCTAssertEqual(try? Data(contentsOf: out.appendingPathComponent(name)), Data("stand-in PNG".utf8), name)
        }
        XCTAssertEqual(try manifest(in: out)["status"] as? String, "complete")
    }

    /// When rsvg-convert fails on one figure, the other figures and every SVG are still written,
    /// and reproduce names the PNG it could not write with rsvg-convert's reason (before, one
    /// failure stopped the rest and the note said that no figure was written, beside a
    /// figure.svg on disk). A stand-in rsvg-convert renders the panel grid and fails on the
    /// ratio heat map.
    func testOneFailingPNGLeavesTheOtherFigures() throws {
        let fm = FileManager.default
        let bin = root.appendingPathComponent("bin"), out = work.appendingPathComponent("linear")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        let converter = bin.appendingPathComponent("rsvg-convert")
        try Data(
            """
            #!/bin/sh
            if grep -q 'data-view="grid"'; then
                printf 'stand-in PNG'
                exit 0
            fi
            echo 'stand-in cannot draw this one' >&2
            exit 3

            """.utf8
        ).write(to: converter)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: converter.path)
        let r = try collapse(
            arguments: ["reproduce", "--repeats", "2", "--threads", "2", "--output", out.path],
            environment: ["PATH": bin.path + ":/usr/bin:/bin"])
        assertSuccess(r, "reproduce with a failing rsvg-convert")
        for name in ["figure.svg", "figure-ratio.svg"] { XCTAssertTrue(fm.fileExists(atPath: out.appendingPathComponent(name).path), name) }
        XCTAssertEqual(try? Data(contentsOf: out.appendingPathComponent("figure.png")), Data("stand-in PNG".utf8))
        XCTAssertFalse(fm.fileExists(atPath: out.appendingPathComponent("figure-ratio.png").path))
        XCTAssertTrue(
            r.stdout.contains("the paper's figure: \(out.appendingPathComponent("figure.svg").path), \(out.appendingPathComponent("figure.png").path)\n"),
            r.stdout)
        XCTAssertTrue(r.stdout.contains("also wrote figure-ratio.svg ("), r.stdout)
        let note = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("not written: figure-ratio.png (") }, r.stdout)
        XCTAssertTrue(note.contains("exit status 3") && note.contains("stand-in cannot draw this one"), String(note))
        XCTAssertFalse(r.stderr.contains("no figure written"), r.stderr)
        XCTAssertEqual(try manifest(in: out)["status"] as? String, "complete")
    }

    func testReproduceWithFewReplicates() throws {
        let out = work.appendingPathComponent("linear")
        let r = try collapse("reproduce", "--repeats", "50", "--threads", "2", "--output", out.path)
        assertSuccess(r, "reproduce --repeats 50")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("wrote 1500 rows to ") }, r.stdout)
        XCTAssertTrue(r.stdout.contains("agrees with theory"), r.stdout)
        XCTAssertFalse(r.stdout.contains("DISAGREES"), r.stdout)
        // σ² = 1 at generation 50: 3 T × 2 regimes, Monte Carlo beside theory.
        XCTAssertEqual(lines.filter { $0.hasPrefix("  T = ") && $0.contains("σ² = 1, n = 50") && $0.contains("theory ") }.count, 6, r.stdout)
        XCTAssertTrue(r.stdout.contains("seed 20240402"), r.stdout)
        // The paper's figure beside the CSV: SVG always, PNG where rsvg-convert is installed (CI installs it).
        let png = FigureCLITests.hasConverter
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: out.path)),
            Set(
                ["results.csv", "manifest.json", "experiment.toml", "cells", "figure.svg", "figure-ratio.svg"] + (png ? ["figure.png", "figure-ratio.png"] : [])
            ))
        let paper = out.appendingPathComponent("figure.svg").path + (png ? ", " + out.appendingPathComponent("figure.png").path : "")
        XCTAssertTrue(lines.contains("the paper's figure: \(paper)"), r.stdout)
        XCTAssertEqual(lines.contains { $0.hasPrefix("no PNG written: rsvg-convert is not on PATH") }, !png, r.stdout)

        let csv = try SimpleCSV(try contents("results.csv", under: out))
        XCTAssertEqual(csv.header, Schema.linear)
        XCTAssertEqual(csv.rows.count, 1500)  // 3 T × 5 σ² × 2 regimes × 50 generations
        let records = csv.records
        XCTAssertEqual(Set(records.map { $0["dimension"]! }), ["32"])
        XCTAssertEqual(Set(records.map { $0["samples"]! }), ["100", "316", "1000"])
        XCTAssertEqual(Set(records.map { $0["regime"]! }), ["replace", "accumulate"])
        XCTAssertEqual(Set(records.map { $0["repeats"]! }), ["50"])
        for rec in records {
            XCTAssertNotNil(Double(rec["theory"]!), "reproduce cells all have a closed form")
        }

        let m = try manifest(in: out)
        XCTAssertEqual(m["command"] as? String, "reproduce")
        XCTAssertEqual(m["seed"] as? String, "20240402")
        let p = try XCTUnwrap(m["parameters"] as? [String: Any])
        XCTAssertEqual((p["samples"] as? [NSNumber])?.map(\.intValue), [100, 316, 1000])
        XCTAssertEqual((p["dimension"] as? [NSNumber])?.map(\.intValue), [32])
        XCTAssertEqual((p["noise_variance"] as? [NSNumber])?.map(\.doubleValue), [0.01, 0.1, 1, 10, 100])
        XCTAssertEqual((p["generations"] as? [NSNumber])?.map(\.intValue), [50])
        XCTAssertEqual((p["repeats"] as? [NSNumber])?.map(\.intValue), [50])
        XCTAssertEqual((p["rows"] as? NSNumber)?.intValue, 1500)
        XCTAssertEqual(p["agrees_with_theory"] as? Bool, true)
        XCTAssertEqual(p["name"] as? String, "paper-linear")
        let zStar = try XCTUnwrap((p["z_threshold"] as? NSNumber)?.doubleValue)
        XCTAssertLessThanOrEqual(try XCTUnwrap((p["max_abs_z_score"] as? NSNumber)?.doubleValue), zStar)
        XCTAssertLessThanOrEqual(try XCTUnwrap((p["max_abs_z_given_design"] as? NSNumber)?.doubleValue), zStar)
    }
}

final class HelpTests: CLITestCase {
    func testHelpOfEverySubcommand() throws {
        for sub in ["theory", "simulate", "verify", "reproduce"] {
            for form in [[sub, "--help"], ["help", sub], [sub, "-h"]] {
                let r = try collapse(arguments: form)
                let what = "collapse " + form.joined(separator: " ")
                assertSuccess(r, what)
                XCTAssertTrue(r.stdout.contains("USAGE: collapse \(sub)"), "\(what):\n\(r.stdout)")
                XCTAssertTrue(r.stdout.contains("OVERVIEW:"), what)
            }
        }
        let top = try collapse("--help")
        assertSuccess(top, "collapse --help")
        for sub in ["theory", "simulate", "verify", "reproduce"] {
            XCTAssertTrue(top.stdout.contains("  \(sub) "), "top-level help lacks \(sub)")
        }
        let version = try collapse("--version")
        assertSuccess(version, "collapse --version")
        XCTAssertEqual(version.stdout, "0.1.0\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.path), [])
    }

    func testSimulateHelpDocumentsDefaults() throws {
        let r = try collapse("simulate", "--help")
        assertSuccess(r, "simulate --help")
        for flag in [
            "--dimension", "--samples", "--noise-variance", "--generations", "--regimes", "--real-fraction",
            "--repeats", "--seed", "--threads", "--output"
        ] {
            XCTAssertTrue(r.stdout.contains(flag), "simulate --help lacks \(flag)")
        }
    }
}
