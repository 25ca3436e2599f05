import Foundation
import XCTest

final class TheoryCommandTests: CLITestCase {
    /// σ² d/(T−d−1), computed independently of the library.
    private func factor(d: Int, t: Int, s2: Double) -> Double { s2 * Double(d) / Double(t - d - 1) }

    func testCSVMatchesClosedFormsAndTheoryNumbers() throws {
        let r = try collapse(
            "theory", "--dimension", "10", "--samples", "100", "--noise-variance", "1",
            "--generations", "10", "--format", "wide")
        assertSuccess(r, "theory --format csv")
        XCTAssertEqual(r.stderr, "")
        let csv = try SimpleCSV(r.stdout)
        XCTAssertEqual(
            csv.header,
            [
                "regime", "generation", "dimension", "samples", "noise_variance",
                "theory_test_error", "accumulate_bound"
            ])
        XCTAssertEqual(csv.rows.count, 20)

        let c = factor(d: 10, t: 100, s2: 1)
        let bound = c * Double.pi * Double.pi / 6
        var expectedOrder: [String] = []
        for regime in ["replace", "accumulate"] { for n in 1...10 { expectedOrder.append("\(regime),\(n)") } }
        XCTAssertEqual(csv.rows.map { "\($0[0]),\($0[1])" }, expectedOrder)

        var byKey: [String: Double] = [:]
        for row in csv.rows {
            XCTAssertEqual(Array(row[2...3]), ["10", "100"])
            XCTAssertEqual(Double(row[4]), 1.0)
            let n = try XCTUnwrap(Int(row[1]))
            let value = try XCTUnwrap(Double(row[5]), "theory_test_error '\(row[5])'")
            // Round-trip formatting: the printed decimal is the exact double.
            XCTAssertEqual(CSVFieldCheck.roundTrips(row[5]), true, row[5])
            let expected: Double
            if row[0] == "replace" {
                expected = c * Double(n)
            } else {
                expected = c * (1...n).reduce(0.0) { $0 + 1.0 / Double($1 * $1) }
            }
            assertRelativelyEqual(value, expected, 1e-12, "\(row[0]) n=\(n)")
            assertRelativelyEqual(try XCTUnwrap(Double(row[6])), bound, 1e-12, "bound")
            XCTAssertLessThan(row[0] == "accumulate" ? value : 0, bound)
            byKey["\(row[0]),\(n)"] = value
        }
        // THEORY §1 checked numbers (d = 10, T = 100, σ² = 1).
        let replace = ["0.1124", "0.2247", "0.5618", "1.1236"]
        let accumulate = ["0.1124", "0.1404", "0.1645", "0.1741"]
        for (i, n) in [1, 2, 5, 10].enumerated() {
            XCTAssertEqual(String(format: "%.4f", try XCTUnwrap(byKey["replace,\(n)"])), replace[i], "replace n=\(n)")
            XCTAssertEqual(String(format: "%.4f", try XCTUnwrap(byKey["accumulate,\(n)"])), accumulate[i], "accumulate n=\(n)")
        }
    }

    func testTableContainsTheoryNumbers() throws {
        let r = try collapse(
            "theory", "--dimension", "10", "--samples", "100", "--noise-variance", "1",
            "--generations", "10")
        assertSuccess(r, "theory (table)")
        XCTAssertEqual(r.stderr, "")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("d = 10, T = 100, σ² = 1") ?? false, lines.first ?? "")
        XCTAssertTrue(r.stdout.contains("accumulate bound ·π²/6 = 0.184824"), r.stdout)
        let heading = try XCTUnwrap(lines.firstIndex { $0.contains("generation") && $0.contains("replace") })
        XCTAssertEqual(lines[heading].split(separator: " ").map(String.init), ["generation", "replace", "accumulate"])
        var table: [Int: (Double, Double)] = [:]
        for line in lines[(heading + 1)...] {
            let f = line.split(separator: " ").map(String.init)
            XCTAssertEqual(f.count, 3, line)
            guard f.count == 3 else { continue }
            table[try XCTUnwrap(Int(f[0]))] = (try XCTUnwrap(Double(f[1])), try XCTUnwrap(Double(f[2])))
        }
        XCTAssertEqual(table.keys.sorted(), Array(1...10))
        let replace = ["0.1124", "0.2247", "0.5618", "1.1236"]
        let accumulate = ["0.1124", "0.1404", "0.1645", "0.1741"]
        for (i, n) in [1, 2, 5, 10].enumerated() {
            let (rv, av) = try XCTUnwrap(table[n])
            XCTAssertEqual(String(format: "%.4f", rv), replace[i], "replace n=\(n)")
            XCTAssertEqual(String(format: "%.4f", av), accumulate[i], "accumulate n=\(n)")
        }
    }

    func testGridOrderAndSingleRegime() throws {
        // dimension outermost, noise variance innermost; one regime only.
        let r = try collapse(
            "theory", "--dimension", "2,3", "--samples", "10,40", "--noise-variance", "0.5,4",
            "--generations", "3", "--regimes", "accumulate", "--format", "wide")
        assertSuccess(r, "theory grid")
        let csv = try SimpleCSV(r.stdout)
        XCTAssertEqual(csv.rows.count, 2 * 2 * 2 * 3)
        var i = 0
        for d in [2, 3] {
            for t in [10, 40] {
                for s2 in [0.5, 4.0] {
                    for n in 1...3 {
                        let row = csv.rows[i]; i += 1
                        XCTAssertEqual(row[0], "accumulate")
                        XCTAssertEqual([row[1], row[2], row[3]], [String(n), String(d), String(t)])
                        XCTAssertEqual(Double(row[4]), s2)
                        let expected = factor(d: d, t: t, s2: s2) * (1...n).reduce(0.0) { $0 + 1.0 / Double($1 * $1) }
                        assertRelativelyEqual(try XCTUnwrap(Double(row[5])), expected)
                    }
                }
            }
        }
    }

    func testBoundaryTEqualsDPlus2IsAccepted() throws {
        let r = try collapse("theory", "--dimension", "10", "--samples", "12", "--generations", "2", "--format", "wide")
        assertSuccess(r, "theory T = d + 2")
        let csv = try SimpleCSV(r.stdout)
        XCTAssertEqual(csv.rows.count, 4)
        assertRelativelyEqual(try XCTUnwrap(Double(csv.rows[0][5])), 10.0)
    }
}

/// `theory --format csv` writes the long results format every command writes, with the same
/// numbers as the wide table, and `collapse plot` draws it alone.
final class TheoryLongFormatTests: CLITestCase {
    func testLongFormatCarriesTheWideValuesAndPlotsAlone() throws {
        for model in ["linear", "exact", "fresh-design", "ridge", "poisson", "gaussian-mean", "gaussian-refit", "gaussian-refit-d", "categorical", "mixing"] {
            let args = ["theory", "--model", model, "--generations", "6"]
            let long = try collapse(arguments: args + ["--format", "csv"]), wide = try collapse(arguments: args + ["--format", "wide"])
            assertSuccess(long, model); assertSuccess(wide, model)
            let l = try SimpleCSV(long.stdout), w = try SimpleCSV(wide.stdout)
            XCTAssertEqual(Array(l.header.prefix(Schema.long.count)), Schema.long, model)
            // Every long value is a value of the wide table, and every row has one.
            let wideValues = Set(w.rows.flatMap { $0 })
            for rec in l.records {
                XCTAssertEqual(
                    [rec["mean"], rec["std_error"], rec["ci95_low"], rec["ci95_high"], rec["z"], rec["repeats"]],
                    ["", "", "", "", "", ""], model)
                XCTAssertTrue(wideValues.contains(rec["theory"]!), "\(model): \(rec)")
            }
            XCTAssertGreaterThanOrEqual(l.rows.count, w.rows.count, model)
            try long.stdout.write(to: work.appendingPathComponent("\(model).csv"), atomically: true, encoding: .utf8)
            let plot = try collapse("plot", "\(model).csv", "--output", "\(model).svg")
            assertSuccess(plot, "plot \(model)")
            XCTAssertTrue(try contents("\(model).svg", under: work).contains("closed forms (no simulation)"), model)
        }
    }
}

enum CSVFieldCheck {
    /// Whether `s` is the shortest round-trip representation of the double it parses to.
    static func roundTrips(_ s: String) -> Bool {
        guard let v = Double(s) else { return false }
        return v.description == s
    }
}

/// `collapse theory --model` for the chains of proofs U1 and G1.
final class TheoryModelTests: CLITestCase {
    func testChainModelsPrintTheirClosedForms() throws {
        let list = try collapse("theory", "--list")
        assertSuccess(list, "theory --list")
        for m in ["linear", "poisson", "gaussian-mean", "mixing"] { XCTAssertTrue(list.stdout.contains(m), m) }
        let poisson = try collapse("theory", "--model", "poisson", "--rate", "3", "--samples", "20", "--generations", "4", "--format", "wide")
        assertSuccess(poisson, "poisson")
        let csv = try SimpleCSV(poisson.stdout)
        XCTAssertEqual(csv.header, ["model", "regime", "generation", "samples", "variance", "weight", "theory_mse"])
        let mse = try csv.column("theory_mse")
        let values = csv.rows.map { Double($0[mse])! }
        // replace n·λ/M, accumulate (λ/M)Σ1/i² computed here independently.
        var expected: [Double] = (1...4).map { Double($0) * 0.15 }
        for n in 1...4 {
            var h = 0.0
            for i in 1...n { h += 1 / Double(i * i) }
            expected.append(0.15 * h)
        }
        for (a, b) in zip(values, expected) { assertRelativelyEqual(a, b) }
        let mixing = try collapse("theory", "--model", "mixing", "--samples", "10", "--generations", "200", "--format", "wide")
        assertSuccess(mixing, "mixing")
        let last = try SimpleCSV(mixing.stdout).rows.last!
        assertRelativelyEqual(Double(last[6])!, 0.1 * (5.0.squareRoot() - 1) / 2, 1e-12)
        let bad = try collapse("theory", "--model", "poisson", "--rate", "-1")
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--rate"), bad.stderr)
        let badWeight = try collapse("theory", "--model", "mixing", "--weight", "0")
        XCTAssertEqual(badWeight.status, 64)
        XCTAssertTrue(badWeight.stderr.contains("--weight"), badWeight.stderr)
    }
}

/// `collapse theory --model gaussian-refit | categorical` (proofs G3, W1).
final class TheoryRefitModelTests: CLITestCase {
    func testRefitModels() throws {
        let g = try collapse("theory", "--model", "gaussian-refit", "--samples", "10", "--generations", "3", "--estimator", "mle", "--format", "wide")
        assertSuccess(g, "gaussian-refit")
        let csv = try SimpleCSV(g.stdout)
        let variance = try csv.column("expected_variance"), mse = try csv.column("mean_squared_error")
        // replace, MLE: E σ̂² = 0.9ⁿ, E(μ̂−μ)² = 1 − 0.9ⁿ (σ² = 1); computed here independently.
        for n in 1...3 {
            assertRelativelyEqual(Double(csv.rows[n - 1][variance])!, pow(0.9, Double(n)))
            assertRelativelyEqual(Double(csv.rows[n - 1][mse])!, 1 - pow(0.9, Double(n)))
        }
        let c = try collapse(
            "theory", "--model", "categorical", "--samples", "20", "--generations", "1", "--zipf-support", "2",
            "--zipf-exponent", "0", "--regimes", "replace", "--format", "wide")
        assertSuccess(c, "categorical")
        // Uniform on 2 symbols: S₀ = 1/2, E S₁ = 1 − (19/20)(1/2).
        assertRelativelyEqual(Double(try SimpleCSV(c.stdout).rows[0][6])!, 1 - 0.95 * 0.5)
        for bad in [["--model", "gaussian-refit", "--estimator", "mode"], ["--model", "categorical", "--zipf-support", "0"]] {
            let r = try collapse(arguments: ["theory"] + bad)
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains(bad[2]), r.stderr)
        }
    }
}
