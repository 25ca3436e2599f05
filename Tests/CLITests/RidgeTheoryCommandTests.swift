import Foundation
import XCTest

/// `collapse theory --model ridge` (proof R1) and its bad input.
final class RidgeTheoryCommandTests: CLITestCase {
    func testRidgelessIsotropicRowsMatchTheClosedForm() throws {
        // λ = 0, Σ = I, T > d: κ = 0, so the DE is σ²d/(T − d) + nσ₀²d/(T₀ − d − 1) (computed here).
        let r = try collapse(
            "theory", "--model", "ridge", "--ridge", "0,0.05,optimal", "--dimension", "20", "--samples", "60",
            "--generator-samples", "50", "--noise-variance", "0.5", "--generator-noise-variance", "2",
            "--generations", "4", "--format", "wide")
        assertSuccess(r, "theory --model ridge --format csv")
        let csv = try SimpleCSV(r.stdout)
        XCTAssertEqual(csv.rows.count, 12)
        let records = csv.records
        for row in records {
            let total = try XCTUnwrap(Double(row["theory_test_error"]!))
            let parts = try ["bias", "variance", "collapse"].map { try XCTUnwrap(Double(row[$0]!)) }
            assertRelativelyEqual(total, parts.reduce(0, +), 1e-12, "total = bias + variance + collapse")
            let n = try XCTUnwrap(Int(row["generation"]!))
            XCTAssertEqual(row["synthetic_generations"], String(n - 1))
            if row["ridge_choice"] == "given" && row["ridge"] == "0" {
                assertRelativelyEqual(total, 0.5 * 20 / 40 + Double(n - 1) * 2 * 20 / 29, 1e-12, "ridgeless n=\(n)")
            }
        }
        // The optimal penalty is never worse than the listed ones.
        for n in 1...4 {
            let rows = records.filter { $0["generation"] == String(n) }
            let optimal = try XCTUnwrap(rows.first { $0["ridge_choice"] == "optimal" }.flatMap { Double($0["theory_test_error"]!) })
            for given in rows where given["ridge_choice"] == "given" {
                XCTAssertLessThanOrEqual(optimal, try XCTUnwrap(Double(given["theory_test_error"]!)) * (1 + 1e-12))
            }
        }
    }

    func testPowerLawTableAndListings() throws {
        let r = try collapse(
            "theory", "--model", "ridge", "--spectrum", "power-law", "--beta", "2", "--source", "0.3",
            "--dimension", "50", "--samples", "30", "--generator-samples", "80", "--generations", "3")
        assertSuccess(r, "theory --model ridge power-law table")
        XCTAssertTrue(r.stdout.contains("proof R1"))
        XCTAssertEqual(occurrences(of: "*", in: r.stdout.split(separator: "\n").dropFirst(2).joined(separator: "\n")), 4, r.stdout)
        let list = try collapse("theory", "--list")
        XCTAssertTrue(list.stdout.contains("ridge "), list.stdout)
        let verify = try collapse("verify", "--list")
        for id in ["R1", "R2", "R3"] { XCTAssertTrue(verify.stdout.contains("\n\(id) ") || verify.stdout.hasPrefix("\(id) "), id) }
    }

    func testBadRidgeInputIsRejectedWithUsageStatus() throws {
        let base = ["theory", "--model", "ridge", "--dimension", "10", "--samples", "20", "--generator-samples", "30"]
        let cases: [([String], [String])] = [
            (["--spectrum", "wishart"], ["--spectrum", "wishart", "isotropic, power-law"]),
            (["--spectrum", "power-law", "--beta", "0"], ["--beta", "0", "(0, 10]"]),
            (["--spectrum", "power-law", "--beta", "nan"], ["--beta", "nan"]),
            (["--beta", "1"], ["--beta", "power-law only"]),
            (["--source", "1"], ["--source", "power-law only"]),
            (["--spectrum", "power-law", "--source=-1"], ["--source", "-1", "[0, 10]"]),
            (["--ridge=-0.1"], ["--ridge", "-0.1", "λ ≥ 0"]),
            (["--ridge", "abc"], ["--ridge", "'abc'", "optimal"]),
            (["--ridge", "inf"], ["--ridge", "inf", "infinite"]),
            (["--ridge", ""], ["--ridge", "empty list"]),
            (["--ridge", "0.1,optimal,0.1"], ["--ridge", "twice"]),
            (["--regimes", "accumulate"], ["--regimes", "replace chain"]),
            (["--generator-samples", "11"], ["--generator-samples 11", "--dimension 10", "T₀ ≥ d + 2 = 12"]),
            (["--samples", "10", "--ridge", "0"], ["--ridge 0", "--samples 10", "T = d"]),
            (["--generator-noise-variance", "0"], ["--generator-noise-variance", "0", "> 0"])
        ]
        for (extra, needles) in cases {
            let args = base + extra
            let what = "collapse " + args.map { $0.isEmpty ? "''" : $0 }.joined(separator: " ")
            let r = try collapse(arguments: args)
            XCTAssertEqual(r.status, 64, "\(what): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", what)
            assertNoCrashReport(r, what)
            XCTAssertTrue(r.stderr.hasPrefix("Error: "), "\(what): \(r.stderr)")
            for needle in needles { XCTAssertTrue(r.stderr.contains(needle), "\(what): stderr lacks '\(needle)':\n\(r.stderr)") }
        }
    }
}
