import CollapseExport
import CollapseSweep
import ExperimentEngine
import Foundation
import XCTest

/// The verify family's results rows carry everything its table and verdict need: a row read
/// back gives the statistic that was written, bit for bit.
final class VerificationFamilyTests: XCTestCase {
    func testRowsReadBackToTheSameStatistics() throws {
        let outcomes = [
            VerificationSuite.Outcome(
                id: "V1", check: "design-averaged", setting: "replace d=10 T=100 σ²=1.0", generation: 2,
                mean: 0.1 + 0.2, standardError: 1e-3 / 3, target: 0.3, z: 1.0 / 3, rule: .twoSided, regime: "replace"),
            VerificationSuite.Outcome(
                id: "V1", check: "given-design", setting: "replace d=10 T=100 σ²=1.0", generation: 2,
                mean: 0.3, standardError: nil, target: 0.29, z: -2.5, rule: .twoSided, regime: "replace"),
            VerificationSuite.Outcome(
                id: "V4", check: "bound", setting: "accumulate, d=5", generation: 10,
                mean: 1, standardError: 0.1, target: 1.2, z: -2, rule: .oneSided, regime: "accumulate"),
            VerificationSuite.Outcome(
                id: "R1", check: "det. equivalent", setting: "d=50 T=100 λ=0.1", generation: 3,
                mean: 2, standardError: 0.01, target: 2.1, z: -10, rule: .withAllowance(0.125))
        ]
        let header = (LongResults.columns + VerificationFamily.columns + ["seed"]).joined(separator: ",") + "\n"
        let body = outcomes.map { VerificationFamily.row($0, battery: "linear", repeats: 1000, extra: ["7"]) }.joined()
        let read = try VerificationFamily.outcomes(try CSVReader.parse(header + body, file: "r.csv"))
        XCTAssertEqual(read.count, outcomes.count)
        for (got, want) in zip(read, outcomes) {
            XCTAssertEqual(got.seed, 7)
            let o = got.outcome
            XCTAssertEqual([o.id, o.check, o.setting, o.regime ?? "-"], [want.id, want.check, want.setting, want.regime ?? "-"])
            XCTAssertEqual(o.generation, want.generation)
            XCTAssertEqual(o.mean.bitPattern, want.mean.bitPattern)
            XCTAssertEqual(o.standardError?.bitPattern, want.standardError?.bitPattern)
            XCTAssertEqual(o.target.bitPattern, want.target.bitPattern)
            XCTAssertEqual(o.z.bitPattern, want.z.bitPattern)
            XCTAssertEqual(o.passes(threshold: 2.2), want.passes(threshold: 2.2))
        }
        if case let .withAllowance(a) = read[3].outcome.rule { XCTAssertEqual(a, 0.125) } else { XCTFail("rule lost") }
        if case .oneSided = read[2].outcome.rule {} else { XCTFail("rule lost") }
    }

    /// The verdict: K statistics against z* = Φ⁻¹(1 − α/(2K)); one-sided rows fail only above.
    func testVerdictIsBonferroniOverEveryStatistic() {
        func o(_ z: Double, _ rule: VerificationSuite.Outcome.Rule = .twoSided) -> VerificationSuite.Outcome {
            VerificationSuite.Outcome(id: "U1", check: "replace", setting: "", generation: 1, mean: z, standardError: 1, target: 0, z: z, rule: rule)
        }
        // K = 4, α = 0.01: z* = Φ⁻¹(1 − 0.00125) = 3.0233.
        let v = VerificationFamily.verdict([o(0), o(-3.1, .oneSided), o(3.0), o(-3.05)], falseAlarm: 0.01)
        XCTAssertEqual(v.statistics, 4)
        XCTAssertEqual(v.threshold, 3.0233414397, accuracy: 1e-8)
        XCTAssertEqual(v.failed, 1)
        XCTAssertFalse(v.passes)
    }

    func testSeedRangesExpandAndAreBounded() throws {
        XCTAssertEqual(try VerificationFamily.seedList("3-5"), "3,4,5")
        XCTAssertEqual(try VerificationFamily.seedList("7,1"), "7,1")
        XCTAssertThrowsError(try VerificationFamily.seedList("5-3"))
        XCTAssertThrowsError(try VerificationFamily.seedList("0-1000"))
        XCTAssertEqual(try VerificationFamily.seedList("0-999").split(separator: ",").count, 1000)
    }

    /// A damaged file names its line and column.
    func testDamagedResultsNameTheLine() throws {
        let header = (LongResults.columns + VerificationFamily.columns).joined(separator: ",") + "\n"
        let o = VerificationSuite.Outcome(
            id: "U1", check: "replace", setting: "s", generation: 1, mean: 1, standardError: 1, target: 1,
            z: 0, rule: .twoSided)
        let good = VerificationFamily.row(o, battery: "chain", repeats: 10)
        let bad = good.replacingOccurrences(of: ",U1,", with: ",Q9,")
        XCTAssertThrowsError(try VerificationFamily.outcomes(try CSVReader.parse(header + good + bad, file: "r.csv"))) { e in
            XCTAssertEqual((e as? SpecError)?.description, "r.csv:3: column 'check': 'Q9' is not a check id of `collapse verify --list`")
        }
        XCTAssertThrowsError(try VerificationFamily.outcomes(try CSVReader.parse("a,b\n1,2\n", file: "o.csv"))) { e in
            XCTAssertTrue("\(e)".contains("not a results file of collapse verify"), "\(e)")
        }
    }

    /// `--format csv`: results.csv's rows in file order plus z_threshold and passes; `json`: one
    /// object with the verdict, the threshold and every check's fields; `table`: the report.
    func testReportFormats() throws {
        let a = VerificationSuite.Outcome(
            id: "U1", check: "replace", setting: "λ=3.0 M=20", generation: 1, mean: 0.15, standardError: 0.001,
            target: 0.15, z: 0.5, rule: .twoSided)
        let b = VerificationSuite.Outcome(
            id: "V4", check: "bound", setting: "accumulate, d=5", generation: 10, mean: 2, standardError: 0.1,
            target: 1, z: 10, rule: .oneSided, regime: "accumulate")
        let rows: [(seed: UInt64?, outcome: VerificationSuite.Outcome)] = [(nil, a), (nil, b)]
        let verdict = VerificationFamily.verdict([a, b], falseAlarm: 1e-3)
        XCTAssertEqual(verdict.failed, 1)

        let table = VerificationFamily.render(rows, runSeed: 4, falseAlarm: 1e-3, format: .table)
        XCTAssertEqual(table.text, VerificationFamily.report(rows, runSeed: 4, falseAlarm: 1e-3).text)

        let csv = VerificationFamily.render(rows, runSeed: 4, falseAlarm: 1e-3, format: .csv)
        XCTAssertFalse(csv.verdict.passes)
        let lines = csv.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, 4)  // header, two rows, the final newline
        XCTAssertEqual(lines[0], (LongResults.columns + VerificationFamily.columns + ["z_threshold", "passes"]).joined(separator: ","))
        let expected = [a, b].map { o -> String in
            let point = VerificationSuite.point(o.id)!
            var r = VerificationFamily.row(o, battery: point.battery, repeats: point.repeats)
            r.removeLast()
            return r + "," + CSVField.number(verdict.threshold) + "," + String(o.passes(threshold: verdict.threshold))
        }
        XCTAssertEqual(Array(lines[1...2]), expected)
        XCTAssertTrue(lines[1].hasSuffix(",true") && lines[2].hasSuffix(",false"))
        // The rows read back as the statistics (the two extra columns are ignored).
        XCTAssertEqual(try VerificationFamily.outcomes(CSVReader.parse(csv.text, file: "f.csv")).map(\.outcome.z), [0.5, 10])

        let json = VerificationFamily.render(rows, runSeed: 4, falseAlarm: 1e-3, format: .json)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [String: Any])
        XCTAssertEqual(object["verdict"] as? String, "fail")
        XCTAssertEqual(object["statistics"] as? Int, 2)
        XCTAssertEqual(object["failed"] as? Int, 1)
        // Foundation's JSON reader may round the last bit; the text is Double.description (exact).
        XCTAssertEqual(try XCTUnwrap(object["z_threshold"] as? Double), verdict.threshold, accuracy: 1e-14)
        XCTAssertTrue(json.text.contains("\"z_threshold\": \(verdict.threshold.description)"))
        XCTAssertEqual(object["family_false_alarm"] as? Double, 1e-3)
        XCTAssertEqual(object["seeds"] as? [String], ["4"])
        let checks = try XCTUnwrap(object["checks"] as? [[String: Any]])
        XCTAssertEqual(checks.map { $0["check"] as? String }, ["U1", "V4"])
        XCTAssertEqual(checks.map { $0["passes"] as? Bool }, [true, false])
        XCTAssertEqual(checks[1]["rule"] as? String, "one-sided")
        XCTAssertEqual(checks[1]["regime"] as? String, "accumulate")
        XCTAssertTrue(checks[0]["regime"] is NSNull)
        XCTAssertEqual(checks[0]["std_error"] as? Double, 0.001)
        XCTAssertEqual(checks[0]["seed"] as? String, "4")
    }
}
