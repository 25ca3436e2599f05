import CollapseExport
import CollapsePlot
import Foundation
import XCTest

final class ResultsTableTests: XCTestCase {
    func testLoadsAFileWithTheFullSchema() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("results.csv")
        try SyntheticResults.csv(regimes: ["replace", "accumulate", "mix(0.25)", "mix(0.5)"]).write(to: url, atomically: true, encoding: .utf8)
        let table = try ResultsTable(contentsOf: url)
        XCTAssertEqual(table.source, url.path)
        XCTAssertEqual(table.rows.count, 4 * 1 * 2 * 3 * 6)
        XCTAssertEqual(table.series, ["replace", "accumulate", "mix(0.25)", "mix(0.5)"])
        XCTAssertEqual(table.dimensions, [4])
        XCTAssertEqual(table.sampleSizes, [20, 50])
        XCTAssertEqual(table.noiseVariances, [0.1, 1, 10])
        XCTAssertEqual(table.generations, Array(1...6))
        let first = table.rows[0]
        XCTAssertEqual(first.line, 2)
        XCTAssertEqual(first.regime, "replace")
        XCTAssertNotNil(first.theory)
        let mix = try XCTUnwrap(table.rows.first { $0.regime == "mix" })
        XCTAssertEqual(mix.realFraction, 0.25)
        XCTAssertNil(mix.theory)
        XCTAssertEqual(table.series("replace", dimension: 4, samples: 20, noiseVariance: 1).map(\.generation), Array(1...6))
    }

    func testBandComesFromTheConfidenceColumnsOrTheStandardError() throws {
        let withCI =
            "regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,theory_test_error,ci95_low,ci95_high\n"
            + "replace,1,2,10,1,50,2.0,0.5,,1.1,2.9\nreplace,2,2,10,1,50,3.0,0.5,,,\n"
        let t = try ResultsTable(csv: withCI, source: "ci.csv")
        XCTAssertEqual(t.rows[0].bandLow, 1.1)
        XCTAssertEqual(t.rows[0].bandHigh, 2.9)
        XCTAssertEqual(t.rows[1].bandLow, 3.0 - 1.959964 * 0.5, accuracy: 1e-12, "empty CI fields: mean ± 1.959964·SE")
        XCTAssertEqual(t.rows[1].bandHigh, 3.0 + 1.959964 * 0.5, accuracy: 1e-12)

        let core = try ResultsTable(csv: SyntheticResults.csv(withConfidenceColumns: false), source: "core.csv")
        let r = core.rows[3]
        XCTAssertEqual(r.bandLow, r.mean - 1.959964 * r.standardError, accuracy: 1e-12)
        XCTAssertEqual(r.bandHigh, r.mean + 1.959964 * r.standardError, accuracy: 1e-12)
        XCTAssertNil(r.realFraction)
    }

    func testMinimalCoreColumnsInAnyOrder() throws {
        let text =
            "theory_test_error,mean_test_error,std_error,repeats,noise_variance,samples,dimension,generation,regime,extra\n"
            + ",1.5,0.1,10,2,8,3,1,accumulate-subsample,whatever\n"
        let t = try ResultsTable(csv: text, source: "m.csv")
        XCTAssertEqual(
            t.rows,
            [
                ResultsRow(
                    regime: "accumulate-subsample", generation: 1, dimension: 3, samples: 8,
                    noiseVariance: 2, repeats: 10, mean: 1.5, standardError: 0.1, line: 2)
            ])
    }

    func testMissingColumnNamesFileAndColumn() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("no-mean.csv")
        let text = SyntheticResults.csv().replacingOccurrences(of: "mean_test_error", with: "mean_error")
        try text.write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsTable(contentsOf: url)) { error in
            let e = error as? ResultsTableError
            XCTAssertEqual(e?.file, url.path)
            XCTAssertEqual(e?.column, "mean_test_error")
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("\(url.path): missing required column 'mean_test_error'"), message)
            XCTAssertTrue(message.contains("mean_error"), "lists the header: \(message)")
        }
    }

    func testNonNumericValueNamesFileLineColumnAndValue() throws {
        var lines = SyntheticResults.csv().split(separator: "\n").map(String.init)
        var fields = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[7] = "abc"  // std_error of the third data row, on line 4
        lines[3] = fields.joined(separator: ",")
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("bad.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsTable(contentsOf: url)) { error in
            let e = error as? ResultsTableError
            XCTAssertEqual(e?.line, 4)
            XCTAssertEqual(e?.column, "std_error")
            XCTAssertEqual(e?.value, "abc")
            XCTAssertEqual("\(error)", "\(url.path):4: column 'std_error': 'abc' is not a number")
        }
    }

    func testIntegerAndRangeErrors() {
        let head = "regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,theory_test_error\n"
        let cases: [(String, String)] = [
            ("replace,1.5,2,10,1,50,2,0.5,\n", "b.csv:2: column 'generation': '1.5' is not an integer; expected an integer ≥ 1"),
            ("replace,0,2,10,1,50,2,0.5,\n", "b.csv:2: column 'generation': 0 is out of range; expected an integer ≥ 1"),
            ("replace,1,2,10,-1,50,2,0.5,\n", "b.csv:2: column 'noise_variance': -1 is not a finite number > 0"),
            ("replace,1,2,10,1,50,,0.5,\n", "b.csv:2: column 'mean_test_error': empty value; expected a number"),
            (",1,2,10,1,50,2,0.5,\n", "b.csv:2: column 'regime': empty value; expected a regime name"),
            ("replace,1,2,10,1,50,2,0.5,x1\n", "b.csv:2: column 'theory_test_error': 'x1' is not a number")
        ]
        for (row, expected) in cases {
            XCTAssertThrowsError(try ResultsTable(csv: head + row, source: "b.csv")) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
    }

    func testHeaderOnlyDuplicateRowsAndCSVErrors() {
        XCTAssertThrowsError(try ResultsTable(csv: SyntheticResults.header + "\n", source: "h.csv")) { error in
            XCTAssertEqual("\(error)", "h.csv: no data rows (only a header)")
        }
        let head = "regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,theory_test_error\n"
        let row = "replace,1,2,10,1,50,2,0.5,\n"
        XCTAssertThrowsError(try ResultsTable(csv: head + row + row, source: "d.csv")) { error in
            XCTAssertEqual("\(error)", "d.csv:3: duplicate row for replace, d = 2, T = 10, σ² = 1, generation 1 (first at line 2)")
        }
        XCTAssertThrowsError(try ResultsTable(csv: head + "replace,1,2\n", source: "r.csv")) { error in
            XCTAssertEqual("\(error)", "r.csv:2: row has 3 fields, the header (line 1) has 9")
        }
        XCTAssertThrowsError(try ResultsTable(contentsOf: URL(fileURLWithPath: "/nonexistent/results.csv"))) { error in
            XCTAssertEqual("\(error)", "/nonexistent/results.csv: cannot read the file (No such file or directory)")
        }
    }

    func testMixSeriesAreDistinguishedByRealFraction() throws {
        let t = try SyntheticResults.table(SyntheticResults.csv(regimes: ["mix(0.25)", "mix(0.5)", "replace"]))
        XCTAssertEqual(t.series, ["mix(0.25)", "mix(0.5)", "replace"])
        XCTAssertEqual(
            ResultsRow(
                regime: "mix", generation: 1, dimension: 1, samples: 3, noiseVariance: 1, repeats: 2,
                mean: 1, standardError: 0, realFraction: 1
            ).series, "mix(1)")
    }

    /// The wide linear layout rewritten in the long results format (the columns `LinearResultsCSV`
    /// writes), with a row of another metric that the linear figures must skip.
    static func longForm(_ wide: String) throws -> String {
        let doc = try CSVReader.parse(wide, file: "wide.csv")
        let longHeader = [
            "model", "dataset", "regime", "real_fraction", "generation", "metric", "mean", "std_error", "ci95_low",
            "ci95_high", "median", "q05", "q25", "q75", "q95", "median_ci95_low", "median_ci95_high", "theory", "z", "samples", "repeats",
            "theory_given_design", "z_given_design",
            "moments", "dimension", "noise_variance", "engine", "design"
        ]
        let rename = ["mean": "mean_test_error", "theory": "theory_test_error", "z": "z_score"]
        var out = longHeader.joined(separator: ",") + "\n"
        for row in doc.rows {
            let rec = Dictionary(uniqueKeysWithValues: zip(doc.header, row))
            out +=
                longHeader.map { name -> String in
                    switch name {
                    case "model": return "linear"
                    case "dataset": return ""
                    case "metric": return "test_error"
                    case "engine": return "literal"
                    case "design": return "fixed"
                    default: return rec[rename[name] ?? name] ?? ""
                    }
                }.joined(separator: ",") + "\n"
            let bound =
                ["linear", "", rec["regime"]!, "", rec["generation"]!, "bound", "", "", "", ""] + Array(repeating: "", count: 7)
                + ["1", "", rec["samples"]!, "", "", "", "", rec["dimension"]!, rec["noise_variance"]!, "literal", "fixed"]
            out += bound.joined(separator: ",") + "\n"
        }
        return out
    }

    /// The long format gives the figures the same rows, and the same figures, as the wide layout.
    func testTheLongFormatReadsAsTheWideLayout() throws {
        let wide = SyntheticResults.csv(regimes: ["replace", "accumulate", "mix(0.25)"], dimensions: [4, 8], samples: [20, 50])
        let long = try Self.longForm(wide)
        let a = try ResultsTable(csv: wide, source: "r.csv"), b = try ResultsTable(csv: long, source: "r.csv")
        XCTAssertEqual(a.rows.count, b.rows.count)
        for (x, y) in zip(a.rows, b.rows) {
            var y = y
            y.line = x.line
            XCTAssertEqual(x, y)
        }
        XCTAssertEqual(try Figure.panelGrid(a), try Figure.panelGrid(b))
        XCTAssertEqual(try Figure.ratioHeatmap(a), try Figure.ratioHeatmap(b))
        XCTAssertTrue(ResultsTable.holdsLinearResults(try CSVReader.parse(long, file: "r.csv")))
        // A closed-form table alone (no mean) is not drawn by these figures.
        let theoryOnly =
            long.split(separator: "\n").enumerated().map { i, line -> String in
                guard i > 0 else { return String(line) }
                var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                for c in [6, 7, 8, 9] { f[c] = "" }
                return f.joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        XCTAssertFalse(ResultsTable.holdsLinearResults(try CSVReader.parse(theoryOnly, file: "t.csv")))
        XCTAssertFalse(
            ResultsTable.holdsLinearResults(
                try CSVReader.parse(
                    "model,dataset,regime,generation,metric,mean,std_error,theory\nkde,moons,replace,1,nll,1,0.1,\n", file: "g.csv")))
    }
}

/// Where the `moments` column says the variance is infinite, the figure draws the median and
/// its quartiles (the mean's band estimates nothing there); elsewhere the mean and its band.
final class MedianWhereTheVarianceIsInfiniteTests: XCTestCase {
    func testRowsWithAnInfiniteVarianceDrawTheMedian() throws {
        let header = LongResults.columns + ["theory_given_design", "z_given_design", "moments", "dimension", "noise_variance", "engine", "design"]
        func row(_ samples: Int, _ moments: String) -> String {
            var f = [String](repeating: "", count: header.count)
            func set(_ k: String, _ v: String) { f[header.firstIndex(of: k)!] = v }
            set("model", "linear"); set("regime", "replace"); set("generation", "1"); set("metric", "test_error")
            set("mean", "5.0"); set("std_error", "1.0"); set("median", "3.0"); set("q25", "2.0"); set("q75", "4.5")
            set("samples", String(samples)); set("repeats", "100"); set("moments", moments); set("dimension", "10")
            set("noise_variance", "1.0"); set("engine", "literal"); set("design", "fixed")
            return f.joined(separator: ",")
        }
        let csv =
            ([header.joined(separator: ",")] + [row(13, "mean"), row(11, "none"), row(12, "infinite-variance"), row(20, "mean+variance")])
            .joined(separator: "\n") + "\n"
        let table = try ResultsTable(csv: csv, source: "r.csv")
        let byT = Dictionary(uniqueKeysWithValues: table.rows.map { ($0.samples, $0) })
        for t in [13, 11, 12] {
            XCTAssertTrue(byT[t]!.drawsMedian)
            XCTAssertEqual([byT[t]!.centre, byT[t]!.low, byT[t]!.high], [3, 2, 4.5])
        }
        XCTAssertFalse(byT[20]!.drawsMedian)
        XCTAssertEqual(byT[20]!.centre, 5)
        XCTAssertEqual(byT[20]!.low, 5 - ResultsTable.z95, accuracy: 1e-12)
    }
}
