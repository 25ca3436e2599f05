import Foundation
import XCTest

/// `--per-replicate`: every replicate's value of every metric beside results.csv, written through
/// the engine's one output path (durable cells, resume, shards and merge, gzip above a size).
final class PerReplicateCLITests: CLITestCase {
    let linear = [
        "simulate", "--dimension", "3", "--samples", "12", "--noise-variance", "1", "--generations", "4", "--repeats", "40",
        "--regimes", "replace,accumulate", "--seed", "7", "--quiet", "--per-replicate"
    ]
    let generative = ["generative", "--model", "gaussian", "--generations", "3", "--repeats", "30", "--seed", "9", "--quiet", "--per-replicate"]

    func testValuesReproduceTheResults() throws {
        let neural = ["neural", "lm", "--preset", "smoke", "--generations", "2", "--regimes", "replace", "--seed", "5", "--quiet", "--per-replicate"]
        for (name, args) in [("linear", linear), ("generative", generative), ("neural", neural)] {
            let r = try collapse(arguments: args + ["--output", name])
            assertSuccess(r, name)
            let dir = work.appendingPathComponent(name)
            XCTAssertTrue(r.stdout.contains("per-replicate values to \(dir.path)/per-replicate.csv"), r.stdout)
            try assertReproducesResults(dir, perReplicate: try contents("per-replicate.csv", under: dir))
            XCTAssertTrue((try manifest(in: dir)["outputs"] as? [String])?.contains("per-replicate.csv") ?? false, name)
        }
        let header = try SimpleCSV(try contents("per-replicate.csv", under: work.appendingPathComponent("linear"))).header
        XCTAssertEqual(
            header,
            [
                "model", "dataset", "regime", "real_fraction", "samples", "dimension", "noise_variance", "engine", "design",
                "generation", "metric", "replicate", "value"
            ])
        // Without the flag no file, and results.csv is the same bytes.
        assertSuccess(try collapse(arguments: linear.dropLast() + ["--output", "plain"]), "without --per-replicate")
        XCTAssertEqual(
            try contents("results.csv", under: work.appendingPathComponent("plain")),
            try contents("results.csv", under: work.appendingPathComponent("linear")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("plain").path).filter { $0.hasPrefix("per-") }, [])
    }

    func testBytesDoNotDependOnThreads() throws {
        for (name, args) in [("linear", linear), ("generative", generative)] {
            assertSuccess(try collapse(arguments: args + ["--threads", "1", "--output", "\(name)-1"]), name)
            assertSuccess(try collapse(arguments: args + ["--threads", "3", "--output", "\(name)-3"]), name)
            XCTAssertEqual(
                try contents("per-replicate.csv", under: work.appendingPathComponent("\(name)-1")),
                try contents("per-replicate.csv", under: work.appendingPathComponent("\(name)-3")), name)
        }
    }

    /// A cell lost (as after Ctrl-C) is recomputed by --resume to the same bytes; a run finished
    /// without --per-replicate and resumed with it computes every cell's values again.
    func testResumeCompletesTheFileToIdenticalBytes() throws {
        let grid = Array(linear.dropLast()) + ["--dimension", "3,4,5", "--per-replicate"]
        assertSuccess(try collapse(arguments: grid + ["--output", "whole"]), "whole")
        let whole = try contents("per-replicate.csv", under: work.appendingPathComponent("whole"))
        assertSuccess(try collapse(arguments: grid + ["--output", "cut"]), "cut")
        let cells = work.appendingPathComponent("cut/cells")
        for name in ["cell-00001.csv", "cell-00001.replicates.csv", "cell-00002.replicates.csv"] {
            try FileManager.default.removeItem(at: cells.appendingPathComponent(name))
        }
        try FileManager.default.removeItem(at: work.appendingPathComponent("cut/per-replicate.csv"))
        let r = try collapse(arguments: grid + ["--output", "cut", "--resume"])
        assertSuccess(r, "resume")
        XCTAssertTrue(r.stdout.contains("2 cell(s) run, 1 reused"), r.stdout)
        XCTAssertEqual(try contents("per-replicate.csv", under: work.appendingPathComponent("cut")), whole)
        assertSuccess(try collapse(arguments: grid.dropLast() + ["--output", "late"]), "without the flag")
        assertSuccess(try collapse(arguments: grid + ["--output", "late", "--resume"]), "resumed with it")
        XCTAssertEqual(try contents("per-replicate.csv", under: work.appendingPathComponent("late")), whole)
        XCTAssertEqual(
            try contents("results.csv", under: work.appendingPathComponent("late")),
            try contents("results.csv", under: work.appendingPathComponent("whole")))
    }

    /// Shards' per-replicate files merge into the unsharded run's bytes; a shard without them
    /// is refused, naming the cell and what to do.
    func testMergeCombinesShards() throws {
        let grid = Array(linear.dropLast()) + ["--dimension", "3,4,5", "--per-replicate"]
        assertSuccess(try collapse(arguments: grid + ["--output", "whole"]), "whole")
        for i in 0..<2 { assertSuccess(try collapse(arguments: grid + ["--shard", "\(i)/2", "--output", "s\(i)"]), "shard \(i)") }
        assertSuccess(try collapse("merge", "s0", "s1", "--output", "merged"), "merge")
        XCTAssertEqual(
            try contents("per-replicate.csv", under: work.appendingPathComponent("merged")),
            try contents("per-replicate.csv", under: work.appendingPathComponent("whole")))
        XCTAssertTrue((try manifest(in: work.appendingPathComponent("merged"))["outputs"] as? [String])?.contains("per-replicate.csv") ?? false)
        assertSuccess(try collapse(arguments: grid.dropLast() + ["--shard", "1/2", "--output", "plain1"]), "shard without values")
        let r = try collapse("merge", "s0", "plain1", "--output", "mixed")
        XCTAssertNotEqual(r.status, 0)
        for needle in ["cell 1", "cell-00001.replicates.csv", "--per-replicate --resume"] { XCTAssertTrue(r.stderr.contains(needle), r.stderr) }
    }

    /// Above 100,000 rows the file is gzip: `gzip -dc` reads it, and its values reproduce the results.
    func testLargeRunIsGzipped() throws {
        let big = [
            "simulate", "--dimension", "3", "--samples", "12", "--noise-variance", "1", "--generations", "10", "--repeats", "6000",
            "--regimes", "replace,accumulate", "--seed", "3", "--quiet", "--per-replicate", "--output", "big"
        ]
        assertSuccess(try collapse(arguments: big), "big run")
        let dir = work.appendingPathComponent("big")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("per-replicate.csv").path))
        let gz = dir.appendingPathComponent("per-replicate.csv.gz")
        let compressed = try Data(contentsOf: gz)
        let plain = root.appendingPathComponent("per-replicate.csv")
        let gunzip = try Process.run(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "gzip -dc \"$0\" > \"$1\"", gz.path, plain.path])
        gunzip.waitUntilExit()
        XCTAssertEqual(gunzip.terminationStatus, 0, "gzip -dc failed")
        let text = try Data(contentsOf: plain)
        XCTAssertEqual(try SimpleCSV(String(decoding: text, as: UTF8.self)).rows.count, 2 * 10 * 6000)
        XCTAssertLessThan(compressed.count, text.count / 2, "compressed to \(compressed.count) of \(text.count) bytes")
        try assertReproducesResults(dir, perReplicate: String(decoding: text, as: UTF8.self))
        XCTAssertEqual(((try manifest(in: dir)["parameters"] as? [String: Any])?["per_replicate_rows"] as? NSNumber)?.intValue, 120_000)
    }

    /// A family whose rows are not summaries of replicates refuses the flag before writing.
    func testRefusedWhereThereAreNoReplicates() throws {
        let r = try collapse("verify", "--per-replicate", "--output", "v")
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--per-replicate") && r.stderr.contains("the verify family"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("v").path))
    }
}

extension CLITestCase {
    /// The type-7 quantile (R's default) of `values`, as the results' `median` defines it.
    func quantile(_ values: [Double], _ p: Double) -> Double {
        let s = values.sorted(), h = Double(s.count - 1) * p, j = Int(h.rounded(.down)), g = h - Double(j)
        if j + 1 >= s.count || g == 0 || s[j] == s[j + 1] { return s[j] }
        return s[j] + g * (s[j + 1] - s[j])
    }

    /// Every results row has exactly `repeats` per-replicate rows (replicates 1…R in order) with
    /// its identifying fields, their median is the row's median exactly (same values, same
    /// order statistic), and their mean is the row's mean up to summation order: the results
    /// sum in blocks (Welford, then Chan's merge), this sums left to right; each rounds within
    /// R·ε·mean|x| of the exact mean, R·ε < 10⁻¹³ here, so 10⁻¹²·mean|x| cannot fail by rounding.
    func assertReproducesResults(_ dir: URL, perReplicate text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let results = try SimpleCSV(try contents("results.csv", under: dir))
        let values = try SimpleCSV(text)
        XCTAssertEqual(Array(values.header.suffix(4)), ["generation", "metric", "replicate", "value"], file: file, line: line)
        let identifying = Array(values.header.dropLast(2))
        for name in identifying { XCTAssertTrue(results.header.contains(name), "\(name) is not a results column", file: file, line: line) }
        var groups: [[String]: [(Int, Double)]] = [:]
        for row in values.rows { groups[Array(row.dropLast(2)), default: []].append((Int(row[row.count - 2])!, Double(row.last!)!)) }
        let columns = try identifying.map { try results.column($0) }
        for rec in results.rows {
            let key = columns.map { rec[$0] }
            let group = try XCTUnwrap(groups.removeValue(forKey: key), "no per-replicate rows for \(key)", file: file, line: line)
            let repeats = Int(rec[try results.column("repeats")])!
            XCTAssertEqual(group.map(\.0), Array(1...repeats), "\(key)", file: file, line: line)
            let xs = group.map(\.1)
            XCTAssertEqual(quantile(xs, 0.5), Double(rec[try results.column("median")]), "\(key)", file: file, line: line)
            let mean = Double(rec[try results.column("mean")])!, scale = xs.reduce(0) { $0 + abs($1) } / Double(xs.count)
            XCTAssertLessThanOrEqual(abs(xs.reduce(0, +) / Double(xs.count) - mean), 1e-12 * scale, "\(key)", file: file, line: line)
        }
        XCTAssertTrue(groups.isEmpty, "per-replicate rows without a results row: \(groups.keys.prefix(3))", file: file, line: line)
    }
}
