import Foundation
import XCTest

final class SimulateCommandTests: CLITestCase {
    static let numericColumns = Schema.linearNumeric

    private func closedForm(_ regime: String, n: Int, d: Int, t: Int, s2: Double) -> Double? {
        let c = s2 * Double(d) / Double(t - d - 1)
        switch regime {
        case "replace": return c * Double(n)
        case "accumulate": return c * (1...n).reduce(0.0) { $0 + 1.0 / Double($1 * $1) }
        default: return nil
        }
    }

    func testGridWritesResultsAndManifest() throws {
        let out = work.appendingPathComponent("nested/run")
        let r = try collapse(
            "simulate", "--dimension", "3,5", "--samples", "20", "--noise-variance", "0.5,2",
            "--generations", "4", "--repeats", "50",
            "--regimes", "replace,accumulate,accumulate-subsample,mix",
            "--real-fraction", "0.25,0.75", "--seed", "7", "--threads", "2", "--output", out.path)
        assertSuccess(r, "simulate grid")
        // T ≥ d + 2 everywhere, but T = 20 ≤ (d + 3)·4 for d = 3, 5: accumulate-subsample's error has no
        // variance at generation 4 (proof A1), in all 4 cells; that note only.
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("note: accumulate-subsample in 4 cell(s)"), r.stderr)
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: out.path)),
            ["results.csv", "manifest.json", "experiment.toml", "cells"])
        XCTAssertTrue(r.stdout.contains("wrote 80 rows to \(out.appendingPathComponent("results.csv").path)"), r.stdout)

        let text = try contents("results.csv", under: out)
        XCTAssertTrue(text.hasPrefix(Schema.linear.joined(separator: ",") + "\n"), String(text.prefix(200)))
        let csv = try SimpleCSV(text)
        XCTAssertEqual(csv.header, Schema.linear)
        XCTAssertEqual(
            Set(csv.records.map { "\($0["model"]!)|\($0["dataset"]!)|\($0["metric"]!)|\($0["engine"]!)|\($0["design"]!)" }),
            ["linear||test_error|literal|fixed"])
        XCTAssertEqual(Set(csv.header).count, csv.header.count, "duplicate column names")
        for name in Self.numericColumns { _ = try csv.column(name) }

        // cells (2 d × 1 T × 2 σ²) × regimes (replace, accumulate, accumulate-subsample, mix×2) × 4 generations
        let regimes: [(String, String)] = [
            ("replace", ""), ("accumulate", ""), ("accumulate-subsample", ""),
            ("mix", "0.25"), ("mix", "0.75")
        ]
        XCTAssertEqual(csv.rows.count, 2 * 1 * 2 * regimes.count * 4)
        let records = csv.records
        var expectedKeys: [String] = []
        for d in [3, 5] {
            for s2 in ["0.5", "2.0"] {
                for (name, f) in regimes {
                    for n in 1...4 {
                        expectedKeys.append("\(name)|\(f)|\(n)|\(d)|20|\(s2)")
                    }
                }
            }
        }
        XCTAssertEqual(
            records.map { "\($0["regime"]!)|\($0["real_fraction"]!)|\($0["generation"]!)|\($0["dimension"]!)|\($0["samples"]!)|\($0["noise_variance"]!)" },
            expectedKeys, "rows are one per (cell, regime, generation) in grid order")

        for rec in records {
            XCTAssertEqual(rec["repeats"], "50")
            for name in Self.numericColumns {
                let field = rec[name]!
                if !field.isEmpty {
                    let v = try XCTUnwrap(Double(field), "\(name) = '\(field)' does not parse")
                    XCTAssertTrue(v.isFinite, "\(name) = \(field)")
                    XCTAssertEqual(v.description, field, "\(name) is not in shortest round-trip form")
                }
            }
            let mean = Double(rec["mean"]!)!, se = Double(rec["std_error"]!)!
            XCTAssertGreaterThan(mean, 0)
            XCTAssertGreaterThan(se, 0)
            assertRelativelyEqual(Double(rec["ci95_low"]!)!, mean - 1.959963984540054 * se, 1e-9, "ci95_low")
            assertRelativelyEqual(Double(rec["ci95_high"]!)!, mean + 1.959963984540054 * se, 1e-9, "ci95_high")

            let regime = rec["regime"]!
            let n = Int(rec["generation"]!)!, d = Int(rec["dimension"]!)!, t = Int(rec["samples"]!)!
            let s2 = Double(rec["noise_variance"]!)!
            if let expected = closedForm(regime, n: n, d: d, t: t, s2: s2) {
                let theory = try XCTUnwrap(Double(rec["theory"]!), "theory for \(regime)")
                assertRelativelyEqual(theory, expected, 1e-12, "\(regime) n=\(n) d=\(d) σ²=\(s2)")
                XCTAssertFalse(rec["theory_given_design"]!.isEmpty)
                let z = try XCTUnwrap(Double(rec["z"]!))
                assertRelativelyEqual(z, (mean - theory) / se, 1e-9, "z")
                XCTAssertFalse(rec["z_given_design"]!.isEmpty)
                XCTAssertEqual(rec["real_fraction"], "")
            } else {
                for empty in ["theory", "theory_given_design", "z", "z_given_design"] {
                    XCTAssertEqual(rec[empty], "", "\(empty) should be empty for \(regime)")
                }
                XCTAssertEqual(rec["real_fraction"]!.isEmpty, regime != "mix")
            }
        }

        // Generation 1 trains on the shared real data: identical across regimes within a cell.
        let genOne = records.filter { $0["generation"] == "1" }
        let byCell = Dictionary(grouping: genOne) { "\($0["dimension"]!)|\($0["noise_variance"]!)" }
        XCTAssertEqual(byCell.count, 4)
        for (cell, rows) in byCell {
            XCTAssertEqual(rows.count, regimes.count)
            for key in ["mean", "std_error", "ci95_low", "ci95_high"] {
                XCTAssertEqual(Set(rows.map { $0[key]! }).count, 1, "generation 1 \(key) differs across regimes in \(cell)")
            }
        }
        // Later generations differ between replace and accumulate.
        let lastReplace = records.first { $0["regime"] == "replace" && $0["generation"] == "4" }!
        let lastAccumulate = records.first { $0["regime"] == "accumulate" && $0["generation"] == "4" }!
        XCTAssertNotEqual(lastReplace["mean"], lastAccumulate["mean"])

        // Manifest
        let m = try manifest(in: out)
        for key in [
            "tool", "version", "git_commit", "command", "arguments", "seed", "threads", "wall_seconds",
            "parameters", "outputs", "status"
        ] {
            XCTAssertNotNil(m[key], "manifest lacks \(key)")
        }
        XCTAssertEqual(m["tool"] as? String, "collapse")
        XCTAssertEqual(m["command"] as? String, "simulate")
        XCTAssertEqual(m["seed"] as? String, "7")
        XCTAssertEqual((m["threads"] as? NSNumber)?.intValue, 2)
        XCTAssertEqual(m["status"] as? String, "complete")
        XCTAssertEqual(m["outputs"] as? [String], ["results.csv", "cells"])
        XCTAssertFalse((m["git_commit"] as? String ?? "").isEmpty)
        XCTAssertGreaterThanOrEqual((m["wall_seconds"] as? NSNumber)?.doubleValue ?? -1, 0)
        let arguments = try XCTUnwrap(m["arguments"] as? [String])
        XCTAssertEqual(Array(arguments.dropFirst().prefix(3)), ["simulate", "--dimension", "3,5"])
        let p = try XCTUnwrap(m["parameters"] as? [String: Any])
        XCTAssertEqual((p["dimension"] as? [NSNumber])?.map(\.intValue), [3, 5])
        XCTAssertEqual((p["samples"] as? [NSNumber])?.map(\.intValue), [20])
        XCTAssertEqual((p["noise_variance"] as? [NSNumber])?.map(\.doubleValue), [0.5, 2])
        XCTAssertEqual((p["generations"] as? [NSNumber])?.map(\.intValue), [4])
        XCTAssertEqual((p["repeats"] as? [NSNumber])?.map(\.intValue), [50])
        XCTAssertEqual((p["rows"] as? NSNumber)?.intValue, 80)
        XCTAssertEqual(p["regimes"] as? [String], ["replace", "accumulate", "accumulate-subsample", "mix"])
        XCTAssertEqual((p["real_fraction"] as? [NSNumber])?.map(\.doubleValue), [0.25, 0.75])
        XCTAssertEqual(p["family"] as? String, "linear")
    }

    func testSameSeedIsByteIdenticalForAnyThreadCount() throws {
        // 640 replicates = 10 blocks of 64, so 8 threads really split the work.
        func run(seed: String, threads: String) throws -> Data {
            let out = work.appendingPathComponent("seed\(seed)-threads\(threads)")
            let r = try collapse(
                "simulate", "--dimension", "4", "--samples", "9,30", "--noise-variance", "1",
                "--generations", "5", "--repeats", "640",
                "--regimes", "replace,accumulate,accumulate-subsample,mix", "--real-fraction", "0.5",
                "--seed", seed, "--threads", threads, "--output", out.path)
            assertSuccess(r, "simulate --seed \(seed) --threads \(threads)")
            return try Data(contentsOf: out.appendingPathComponent("results.csv"))
        }
        let one = try run(seed: "12345", threads: "1")
        let two = try run(seed: "12345", threads: "2")
        let eight = try run(seed: "12345", threads: "8")
        XCTAssertGreaterThan(one.count, 1000)
        XCTAssertEqual(one, two, "--threads 1 and 2 differ")
        XCTAssertEqual(one, eight, "--threads 1 and 8 differ")
        let other = try run(seed: "12346", threads: "2")
        XCTAssertNotEqual(one, other, "a different seed gave identical results")
        let big = try run(seed: "18446744073709551615", threads: "2")
        XCTAssertNotEqual(one, big)
    }

    func testRandomSeedIsAnnouncedAndRecorded() throws {
        let out = work.appendingPathComponent("out")
        let r = try collapse(
            "simulate", "--dimension", "2", "--samples", "8", "--generations", "2", "--repeats", "3",
            "--threads", "1", "--output", out.path)
        assertSuccess(r, "simulate without --seed")
        let line = try XCTUnwrap(r.stderr.split(separator: "\n").first { $0.hasPrefix("seed: ") }, r.stderr)
        let seed = try XCTUnwrap(line.dropFirst("seed: ".count).split(separator: " ").first.map(String.init))
        XCTAssertNotNil(UInt64(seed), String(line))
        XCTAssertTrue(line.contains("--seed \(seed)"), String(line))
        XCTAssertEqual(try manifest(in: out)["seed"] as? String, seed)
        // Rerunning with the announced seed reproduces the results.
        let again = work.appendingPathComponent("again")
        let r2 = try collapse(
            "simulate", "--dimension", "2", "--samples", "8", "--generations", "2", "--repeats", "3",
            "--threads", "2", "--seed", seed, "--output", again.path)
        assertSuccess(r2, "simulate with the announced seed")
        XCTAssertEqual(r2.stderr, "")
        XCTAssertEqual(
            try Data(contentsOf: out.appendingPathComponent("results.csv")),
            try Data(contentsOf: again.appendingPathComponent("results.csv")))
    }

    func testOverParameterisedCellsFitMinimumNorm() throws {
        let out = work.appendingPathComponent("out")
        let r = try collapse(
            "simulate", "--dimension", "10", "--samples", "5,8,11", "--noise-variance", "1",
            "--generations", "3", "--repeats", "20", "--seed", "3", "--threads", "2",
            "--output", out.path)
        assertSuccess(r, "simulate T < d")
        XCTAssertEqual(occurrences(of: "minimum-norm", in: r.stderr), 1, r.stderr)
        XCTAssertEqual(occurrences(of: "note: T < d in 2 cell(s)", in: r.stderr), 1, r.stderr)
        XCTAssertEqual(occurrences(of: "note: T < d + 2 in 1 cell(s)", in: r.stderr), 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("infinite"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 2, r.stderr)
        let csv = try SimpleCSV(try contents("results.csv", under: out))
        XCTAssertEqual(csv.rows.count, 3 * 2 * 3)
        for rec in csv.records {
            XCTAssertEqual(rec["theory"], "", "T < d + 2: no Gaussian-design expectation")
            XCTAssertEqual(rec["z"], "")
            let given = try XCTUnwrap(Double(rec["theory_given_design"]!), "theory_given_design must be filled")
            XCTAssertGreaterThan(given, 0)
            XCTAssertNotNil(Double(rec["z_given_design"]!))
            XCTAssertTrue(Double(rec["mean"]!)!.isFinite)
        }
    }

    func testSingleOverParameterisedCell() throws {
        let out = work.appendingPathComponent("out")
        let r = try collapse(
            "simulate", "--dimension", "10", "--samples", "5", "--generations", "2",
            "--repeats", "10", "--seed", "1", "--threads", "1", "--output", out.path)
        assertSuccess(r, "simulate d = 10, T = 5")
        XCTAssertEqual(r.stderr, "note: T < d in 1 cell(s) (d=10 T=5 σ²=1.0): fitting minimum-norm least squares; " + "theory is empty there\n")
        let csv = try SimpleCSV(try contents("results.csv", under: out))
        XCTAssertEqual(csv.rows.count, 4)
        for rec in csv.records {
            XCTAssertEqual(rec["theory"], "")
            XCTAssertNotNil(Double(rec["theory_given_design"]!))
        }
    }
}

/// `simulate --spectrum --fit --ridge --discount --test-noise`: the option columns appear only
/// when used, the discounted series are rows of their own, and the default bytes are unchanged
/// (the golden hashes pin those).
final class SimulateDesignOptionsCLITests: CLITestCase {
    func testOptionColumnsAndSeries() throws {
        let out = work.appendingPathComponent("opts")
        let r = try collapse(
            "simulate", "--dimension", "4", "--samples", "20", "--generations", "3", "--repeats", "40", "--seed", "5",
            "--threads", "2", "--spectrum", "power-law", "--beta", "2", "--fit", "ridge", "--ridge", "0.05",
            "--discount", "0.5,0.9", "--test-noise", "--output", out.path)
        assertSuccess(r, "simulate with options")
        XCTAssertTrue(r.stderr.contains("--spectrum power-law: w* is the spectrum's fixed truth"), r.stderr)
        let csv = try SimpleCSV(try contents("results.csv", under: out))
        XCTAssertEqual(Array(csv.header.suffix(7)), ["spectrum", "beta", "source", "fit", "ridge", "discount", "test_noise"])
        XCTAssertEqual(
            csv.records.map { "\($0["regime"]!)|\($0["discount"]!)" },
            [
                "replace|", "replace|", "replace|", "accumulate|", "accumulate|", "accumulate|",
                "discounted|0.5", "discounted|0.5", "discounted|0.5", "discounted|0.9", "discounted|0.9", "discounted|0.9"
            ])
        for rec in csv.records {
            XCTAssertEqual(
                [rec["spectrum"]!, rec["beta"]!, rec["source"]!, rec["fit"]!, rec["ridge"]!, rec["test_noise"]!],
                ["power-law", "2.0", "0.5", "ridge", "0.05", "true"])
            XCTAssertEqual(rec["theory"], "", "ridge fits have no design-averaged closed form")
            XCTAssertNotNil(Double(rec["theory_given_design"]!))
            XCTAssertNotNil(Double(rec["z_given_design"]!))
            XCTAssertEqual(rec["moments"], "")
            // Test noise: every error is at least σ² = 1.
            XCTAssertGreaterThan(Double(rec["q05"]!)!, 1)
        }
        // Generation 1 is the same ridge fit on real data in every series.
        let first = csv.records.filter { $0["generation"] == "1" }.map { $0["mean"]! }
        XCTAssertEqual(Set(first).count, 1, "\(first)")
    }

    func testOLSOnPowerLawKeepsTheClosedForm() throws {
        let out = work.appendingPathComponent("ols")
        let r = try collapse(
            "simulate", "--dimension", "3", "--samples", "20", "--noise-variance", "2", "--generations", "2", "--repeats", "30",
            "--seed", "5", "--threads", "1", "--spectrum", "power-law", "--output", out.path)
        assertSuccess(r, "simulate power-law OLS")
        let csv = try SimpleCSV(try contents("results.csv", under: out))
        XCTAssertEqual(Array(csv.header.suffix(3)), ["spectrum", "beta", "source"])
        for rec in csv.records {
            let n = Double(rec["generation"]!)!
            let c = rec["regime"] == "replace" ? n : (n == 1 ? 1 : 1.25)
            assertRelativelyEqual(Double(rec["theory"]!)!, 2 * 3 / 16 * c, 1e-12, "σ²c_n d/(T−d−1) for every Σ")
            XCTAssertEqual(rec["beta"], "1.5")
            XCTAssertEqual(rec["moments"], "mean+variance")
        }
    }
}
