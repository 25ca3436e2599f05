import CollapseExport
import Foundation
import XCTest

/// A minimal RFC 4180 reader (quoted fields, doubled quotes, embedded line breaks), used to
/// check that rendered tables parse back to their fields.
func parseRFC4180(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
            } else {
                field.append(c)
            }
        } else {
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\n": row.append(field); field = ""; rows.append(row); row = []
            default: field.append(c)
            }
        }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}

final class CSVTableTests: XCTestCase {
    func testHeaderOnly() {
        XCTAssertEqual(CSVTable(header: ["a", "b", "c"]).rendered(), "a,b,c\n")
    }

    func testPlainRowsAndTrailingNewline() {
        var t = CSVTable(header: ["x", "y"])
        t.append(["1", "2"])
        t.append(["", "3.5"])
        XCTAssertEqual(t.rendered(), "x,y\n1,2\n,3.5\n")
        XCTAssertEqual(t.rows, [["1", "2"], ["", "3.5"]])
    }

    func testEscaping() {
        var t = CSVTable(header: ["name", "note"])
        t.append(["a,b", "plain"])
        t.append(["say \"hi\"", "line1\nline2"])
        t.append(["cr\rhere", "\"\""])
        t.append(["σ² = 1", " spaces kept "])
        let text = t.rendered()
        let expected =
            "name,note\n"
            + "\"a,b\",plain\n"
            + "\"say \"\"hi\"\"\",\"line1\nline2\"\n"
            + "\"cr\rhere\",\"\"\"\"\"\"\n"
            + "σ² = 1, spaces kept \n"
        XCTAssertEqual(text, expected)
        XCTAssertTrue(text.hasSuffix("\n"))
        XCTAssertEqual(parseRFC4180(text), [t.header] + t.rows)
    }

    func testEscapeField() {
        XCTAssertEqual(CSVField.escape("abc"), "abc")
        XCTAssertEqual(CSVField.escape(""), "")
        XCTAssertEqual(CSVField.escape("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVField.escape("a\"b"), "\"a\"\"b\"")
        XCTAssertEqual(CSVField.escape("a\nb"), "\"a\nb\"")
        XCTAssertEqual(CSVField.escape("\""), "\"\"\"\"")
        XCTAssertEqual(CSVField.escape("a;b\tc"), "a;b\tc")
    }

    /// In Swift "\r\n" is a single Character, equal to neither "\r" nor "\n": a field holding a
    /// CRLF line break must still be quoted.
    func testCRLFFieldIsQuoted() {
        XCTAssertEqual(CSVField.escape("a\r\nb"), "\"a\r\nb\"")
        XCTAssertEqual(CSVField.escape("\r\n"), "\"\r\n\"")
        var t = CSVTable(header: ["h", "i"])
        t.append(["line1\r\nline2", "x"])
        XCTAssertEqual(t.rendered(), "h,i\n\"line1\r\nline2\",x\n")
    }

    func testRowsInitialiserAndEquality() {
        let a = CSVTable(header: ["h"], rows: [["1"], ["2"]])
        var b = CSVTable(header: ["h"])
        b.append(["1"])
        b.append(["2"])
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.rendered(), "h\n1\n2\n")
    }

    func testManyFieldsParseBack() {
        var t = CSVTable(header: ["a", "b", "c"])
        // "\r" never directly precedes "\n" here (CRLF is one Character; see testCRLFFieldIsQuoted).
        let alphabet: [String] = ["x", ",", "\"", "\n", "\r", " ", "é", "0", ""]
        for i in 0..<200 {
            t.append(
                (0..<3).map { j in
                    (0..<((i + j) % 5)).map { k in alphabet[(i * 7 + j * 3 + k) % alphabet.count] }.joined()
                        .replacingOccurrences(of: "\r\n", with: "\r-\n")
                })
        }
        XCTAssertEqual(parseRFC4180(t.rendered()), [t.header] + t.rows)
    }
}

final class CSVFieldNumberTests: XCTestCase {
    func testRoundTrip() {
        let values: [Double] = [
            0.1, 1e-300, 123456789.123456789, 1, 2, 0.5, 1.0 / 3.0, .pi, 100, 1e22, 1e-5,
            Double.leastNonzeroMagnitude, Double.leastNormalMagnitude,
            Double.greatestFiniteMagnitude, -1.5, -Double.ulpOfOne, 0.11235955056179775,
            2.2250738585072014e-308, 0.1 + 0.2
        ]
        for x in values {
            let s = CSVField.number(x)
            XCTAssertEqual(Double(s), x, "\(x) → '\(s)'")
            XCTAssertEqual(Double(s)?.bitPattern, x.bitPattern, "\(x) → '\(s)'")
            XCTAssertFalse(s.contains(","), s)
            XCTAssertEqual(CSVField.escape(s), s, "numbers never need quoting")
        }
    }

    func testExactSpellings() {
        XCTAssertEqual(CSVField.number(0.1), "0.1")
        XCTAssertEqual(CSVField.number(1e-300), "1e-300")
        XCTAssertEqual(CSVField.number(1.0), "1.0")
        XCTAssertEqual(CSVField.number(0.0), "0.0")
        XCTAssertEqual(CSVField.number(123456789.123456789), "123456789.12345679")
    }

    func testNegativeZeroKeepsItsSign() throws {
        let s = CSVField.number(-0.0)
        XCTAssertEqual(s, "-0.0")
        let back = try XCTUnwrap(Double(s))
        XCTAssertEqual(back, 0)
        XCTAssertEqual(back.sign, .minus)
    }

    func testMissingAndNonFinite() {
        XCTAssertEqual(CSVField.number(nil as Double?), "")
        XCTAssertEqual(CSVField.number(Double.nan), "nan")
        XCTAssertEqual(CSVField.number(-Double.nan), "nan")
        XCTAssertEqual(CSVField.number(Double.signalingNaN), "nan")
        XCTAssertEqual(CSVField.number(Double.infinity), "inf")
        XCTAssertEqual(CSVField.number(-Double.infinity), "-inf")
        XCTAssertEqual(Double("inf"), .infinity)
        XCTAssertEqual(Double("-inf"), -.infinity)
        XCTAssertTrue(Double("nan")?.isNaN ?? false)
    }

    func testIntegers() {
        XCTAssertEqual(CSVField.number(42 as Int?), "42")
        XCTAssertEqual(CSVField.number(-7 as Int?), "-7")
        XCTAssertEqual(CSVField.number(Int.max as Int?), "9223372036854775807")
        XCTAssertEqual(CSVField.number(nil as Int?), "")
    }
}

/// A wide closed-form table becomes the long results format.
final class LongResultsTests: XCTestCase {
    func testClosedFormsBecomeOneRowPerMetricWithParametersKept() {
        var wide = CSVTable(header: ["model", "regime", "generation", "synthetic_generations", "samples", "dimension", "theory_test_error", "bound"])
        wide.append(["m", "accumulate", "1", "0", "100", "10", "0.1", "0.2"])
        wide.append(["m", "", "2", "1", "100", "10", "", "0.3"])
        let long = LongResults.fromClosedForms(
            wide, model: "fallback", metrics: [("theory_test_error", "test_error"), ("bound", "bound")],
            derived: ["synthetic_generations"])
        XCTAssertEqual(long.header, LongResults.columns + ["dimension"])
        XCTAssertEqual(
            long.rows,
            [
                ["m", "", "accumulate", "", "1", "test_error", "", "", "", "", "", "", "", "", "", "", "", "0.1", "", "100", "", "10"],
                ["m", "", "accumulate", "", "1", "bound", "", "", "", "", "", "", "", "", "", "", "", "0.2", "", "100", "", "10"],
                // An empty value gives no row; an empty regime is the default.
                ["m", "", "replace", "", "2", "bound", "", "", "", "", "", "", "", "", "", "", "", "0.3", "", "100", "", "10"]
            ])
        XCTAssertEqual(
            LongResults.row(
                model: "a,b", dataset: "d", regime: "mix", realFraction: 0.5, generation: 3, metric: "nll", mean: 1.5,
                standardError: nil, theory: nil, samples: 10, repeats: 1),
            "\"a,b\",d,mix,0.5,3,nll,1.5,,,,,,,,,,,,,10,1\n")
    }

    /// The interval is mean ∓ Φ⁻¹(0.975)·SE, computed once here; `z` is written as given, and
    /// `zScore` is defined only for a finite mean, theory and a positive finite standard error.
    func testIntervalAndZ() {
        let z95 = 1.959963984540054
        let row = LongResults.row(
            model: "g", dataset: "", regime: "replace", realFraction: nil, generation: 1, metric: "m", mean: 2,
            standardError: 0.25, theory: 1.5, z: 2, samples: 5, repeats: 4)
        XCTAssertEqual(row, "g,,replace,,1,m,2.0,0.25,\(2 - z95 * 0.25),\(2 + z95 * 0.25),,,,,,,,1.5,2.0,5,4\n")
        XCTAssertEqual(LongResults.zScore(mean: 2, standardError: 0.25, theory: 1.5), 2)
        XCTAssertNil(LongResults.zScore(mean: 2, standardError: 0, theory: 1.5))
        XCTAssertNil(LongResults.zScore(mean: .infinity, standardError: .nan, theory: 1.5))
        XCTAssertNil(LongResults.zScore(mean: 2, standardError: 0.25, theory: .infinity))
        XCTAssertNil(LongResults.zScore(mean: 2, standardError: 0.25, theory: nil))
        // An infinite mean (a lost symbol) has no interval.
        XCTAssertEqual(
            LongResults.row(
                model: "g", dataset: "", regime: "replace", realFraction: nil, generation: 2, metric: "nll",
                mean: .infinity, standardError: .nan, theory: nil, samples: 5, repeats: 4),
            "g,,replace,,2,nll,inf,nan,,,,,,,,,,,,5,4\n")
    }
}

/// The summary table the simulating commands print after a run.
final class LongResultsSummaryTests: XCTestCase {
    func testSummaryShowsTheCellTheMetricAndZOnlyWhenTheyVary() throws {
        let robust = ["1.4", "0.2", "0.9", "2", "3", "1.1", "1.7"]  // median, q05, q25, q75, q95, median interval
        let h = LongResults.columns + ["dimension", "noise_variance"]
        func row(_ regime: String, _ g: Int, _ d: Int, metric: String = "test_error", z: String = "") -> [String] {
            ["linear", "", regime, regime == "mix" ? "0.25" : "", String(g), metric, "1.5", "0.1", "", ""] + robust + ["1.25", z, "20", "50", String(d), "1.0"]
        }
        let doc = CSVDocument(header: h, rows: [row("replace", 1, 3, z: "2.5"), row("replace", 2, 3), row("mix", 1, 5)], lines: [2, 3, 4], file: "r.csv")
        let text = LongResults.summary(doc, generations: [1])
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, text)
        XCTAssertEqual(lines[0].split(separator: " "), ["regime", "d", "T", "σ²", "gen", "mean", "±", "SE", "median", "theory", "z"])
        XCTAssertEqual(lines[1].split(separator: " "), ["replace", "3", "20", "1", "1", "1.5", "0.1", "1.4", "1.25", "2.50"])
        XCTAssertEqual(lines[2].split(separator: " "), ["mix(0.25)", "5", "20", "1", "1", "1.5", "0.1", "1.4", "1.25", "—"])
        // A generative file: no linear cell; the metric shown because it varies; no z column.
        let g = CSVDocument(
            header: LongResults.columns,
            rows: [
                ["kde", "moons", "replace", "", "1", "nll", "2", "", "", ""] + robust + ["", "", "30", "4"],
                ["kde", "moons", "replace", "", "1", "mmd", "0.1", "", "", ""] + robust + ["", "", "30", "4"]
            ], lines: [2, 3], file: "g.csv")
        XCTAssertEqual(
            LongResults.summary(g, generations: [1]).split(separator: "\n").first?.split(separator: " "),
            ["regime", "metric", "gen", "mean", "±", "SE", "median", "theory"])
        // A swept N: each row's own last generation is shown, not the other cells'.
        let n = CSVDocument(
            header: LongResults.columns + ["generations"],
            rows: [2, 4].flatMap { last in
                (1...last).map { gen in
                    ["linear", "", "replace", "", String(gen), "test_error", "1", "0.1", "", ""] + robust + ["", "", "20", "50", String(last)]
                }
            }, lines: Array(2...7), file: "n.csv")
        XCTAssertEqual(
            LongResults.summary(n, generations: [1]).split(separator: "\n").dropFirst().map { $0.split(separator: " ")[2] },
            ["1", "2", "1", "4"])
    }

    /// Rows whose `moments` value says the variance is infinite (L1, A1) get a column saying
    /// which moments exist, and a note naming the conditions; otherwise neither appears.
    func testSummaryMarksInfiniteMoments() {
        let robust = ["1.4", "0.2", "0.9", "2", "3", "1.1", "1.7"]
        let h = LongResults.columns + ["moments", "dimension", "noise_variance"]
        func row(_ regime: String, _ g: Int, _ moments: String) -> [String] {
            ["linear", "", regime, "", String(g), "test_error", "1.5", "0.1", "", ""] + robust + ["", "", "10", "50", moments, "3", "1.0"]
        }
        let doc = CSVDocument(
            header: h,
            rows: [
                row("replace", 2, "mean+variance"), row("accumulate-subsample", 2, "infinite-variance"),
                row("accumulate-subsample", 3, "none"), row("mix", 2, "")
            ],
            lines: [2, 3, 4, 5], file: "r.csv")
        let text = LongResults.summary(doc, generations: [2, 3])
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6, text)
        XCTAssertTrue(lines[0].hasSuffix("finite moments"), lines[0])
        XCTAssertTrue(lines[1].hasSuffix("mean, var"), lines[1])
        XCTAssertTrue(lines[2].hasSuffix("no var, mean ?"), lines[2])
        XCTAssertTrue(lines[3].hasSuffix("none"), lines[3])
        XCTAssertTrue(lines[4].hasSuffix("?"), lines[4])
        XCTAssertTrue(lines[5].hasPrefix("note: ") && lines[5].contains("proof A1") && lines[5].contains("'no var, mean ?'"), lines[5])
        let finite = CSVDocument(header: h, rows: [row("replace", 2, "mean+variance"), row("mix", 2, "")], lines: [2, 3], file: "r.csv")
        let plain = LongResults.summary(finite, generations: [2])
        XCTAssertFalse(plain.contains("finite moments") || plain.contains("note:"), plain)
    }

    /// The byte-level splitters and trim give exactly what the Character-level ones give,
    /// including fields with multi-byte characters, empty fields and Unicode spaces.
    func testByteLevelSplittingAndTrimmingAgreeWithFoundation() {
        let lines: [Substring] = ["a,b,c", "", ",", "1.5,,x,", "é,ñ̃,日本,🙂", "  x , y\t,\u{00A0}z\u{00A0}", "single"]
        // Also slices that start and end inside a larger string (byte offsets ≠ 0).
        let whole = "é,x,,日本,y"
        let slices = [whole.dropFirst(2), whole.dropFirst(3).dropLast(2), whole.dropFirst(4)]
        for line in lines + slices {
            XCTAssertEqual(CSVField.unquotedFields(line), line.split(separator: ",", omittingEmptySubsequences: false), "\(line)")
            XCTAssertEqual(CSVField.unquotedFieldCount(line), line.split(separator: ",", omittingEmptySubsequences: false).count)
            for field in line.split(separator: ",", omittingEmptySubsequences: false) {
                XCTAssertEqual(CSVField.trimmed(field), field.trimmingCharacters(in: .whitespaces), "'\(field)'")
            }
        }
        let text: Substring = "h1,h2\n1,2\n\n3,é\n"
        XCTAssertEqual(CSVField.lines(text), text.split(separator: "\n"))
        XCTAssertEqual(CSVField.lines(text.dropFirst(6)), text.dropFirst(6).split(separator: "\n"))
        XCTAssertEqual(CSVField.lines("no newline"), ["no newline"])
        XCTAssertEqual(CSVField.lines(""), [])
    }
}
