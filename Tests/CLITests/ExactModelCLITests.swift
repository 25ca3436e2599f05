import Foundation
import XCTest

/// `collapse theory --model exact` (proof E1) end to end: values against closed forms computed
/// here from a design whose Gram matrix is known, and file errors that name file and line.
final class ExactModelCLITests: CLITestCase {
    func write(_ name: String, _ text: String) throws -> String {
        let url = root.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// X = [[2, 0], [0, 1], [0, 0]]: G = diag(4, 1), tr G⁻¹ = 1.25. Min-norm replace is
    /// σ² n tr G⁻¹ (T1 given X), accumulate σ² tr G⁻¹ Σ1/i² (T2); ridge replace has coordinates
    /// with s = g/(g+λ): (1−sⁿ)² a*² + σ² g/(g+λ)² Σ_{k<n} s^{2k} (E1 item 1). Fresh-real with all
    /// rows real refits fresh data every generation: the first fit's error at every n.
    func testValuesMatchClosedFormsForAKnownDesign() throws {
        let x = try write("x.csv", "x1,x2\n2,0\n0,1\n0,0\n")
        let w = try write("w.csv", "w\n1.5\n-2\n")
        let r = try collapse(
            "theory", "--model", "exact", "--design-file", x, "--truth-file", w, "--noise-variance", "0.7",
            "--ridge", "0,0.5", "--regimes", "replace,accumulate,fresh-real", "--real-fraction", "1",
            "--generations", "5", "--format", "wide")
        assertSuccess(r, "theory --model exact")
        let csv = try SimpleCSV(r.stdout)
        XCTAssertEqual(
            csv.header,
            [
                "model", "regime", "real_fraction", "discount", "generation", "dimension", "samples",
                "noise_variance", "ridge", "theory_given_design"
            ])
        XCTAssertEqual(csv.rows.count, 2 * 3 * 5)
        let g = [4.0, 1.0], a = [1.5, -2.0], s2 = 0.7
        func ridgeReplace(_ lambda: Double, _ n: Int) -> Double {
            (0..<2).reduce(0.0) { sum, i in
                let s = g[i] / (g[i] + lambda)
                let variance = s2 * g[i] / ((g[i] + lambda) * (g[i] + lambda)) * (0..<n).reduce(0.0) { $0 + pow(s, 2 * Double($1)) }
                return sum + pow(1 - pow(s, Double(n)), 2) * a[i] * a[i] + variance
            }
        }
        for row in csv.rows {
            // --ridge is the penalty on the mean squared loss: (XᵀX + Tλ I) with T = 3.
            let n = try XCTUnwrap(Int(row[4])), lambda = 3 * (try XCTUnwrap(Double(row[8]))), value = try XCTUnwrap(Double(row[9]))
            XCTAssertEqual(Array(row[5...6]), ["2", "3"])
            let expected: Double
            switch row[1] {
            case "replace": expected = lambda == 0 ? s2 * Double(n) * 1.25 : ridgeReplace(lambda, n)
            case "accumulate" where lambda == 0: expected = s2 * 1.25 * (1...n).reduce(0.0) { $0 + 1 / Double($1 * $1) }
            case "fresh-real": expected = lambda == 0 ? s2 * 1.25 : ridgeReplace(lambda, 1)
            default: continue
            }
            assertRelativelyEqual(value, expected, 1e-12, "\(row[1]) λ=\(lambda) n=\(n)")
        }
    }

    /// Without files the design is replicate R of `simulate --seed S`; different replicates give
    /// different designs, the same arguments the same bytes.
    func testSeededDesignsAreReproducible() throws {
        let args = ["theory", "--model", "exact", "--dimension", "3", "--samples", "8", "--generations", "3", "--format", "wide", "--seed", "5"]
        let a = try collapse(arguments: args), b = try collapse(arguments: args)
        let c = try collapse(arguments: args + ["--replicate", "1"])
        assertSuccess(a, "exact"); assertSuccess(c, "exact replicate 1")
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertNotEqual(a.stdout, c.stdout)
    }

    func testMalformedFilesNameFileAndLine() throws {
        let bad = try write("bad.csv", "x1,x2\n1,2\n3,oops\n")
        var r = try collapse("theory", "--model", "exact", "--design-file", bad)
        XCTAssertNotEqual(r.status, 0)
        assertNoCrashReport(r, "bad design")
        XCTAssertTrue(r.stderr.hasPrefix("Error: --design-file: \(bad):3: column 2 is 'oops'"), r.stderr)
        XCTAssertEqual(r.stdout, "")
        let x = try write("x.csv", "x1,x2\n1,2\n3,4\n5,6\n")
        let w = try write("w.csv", "w\n1\n2\n3\n")
        r = try collapse("theory", "--model", "exact", "--design-file", x, "--truth-file", w)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--truth-file: \(w): expected 2 rows of one number"), r.stderr)
        let ragged = try write("r.csv", "x1,x2\n1,2\n3\n")
        r = try collapse("theory", "--model", "exact", "--design-file", ragged)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--design-file: ") && r.stderr.contains(":3:"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.path), [])
    }
}
