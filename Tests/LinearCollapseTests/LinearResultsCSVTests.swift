import CollapseCore
import CollapseExport
import Foundation
import LinearCollapse
import XCTest

final class LinearResultsCSVTests: XCTestCase {
    func testRunEnvironmentNamesTheBLASThatRan() throws {
        let blas = try XCTUnwrap(RunEnvironment.entries.first { $0.0 == "blas" }?.1)
        XCTAssertTrue(blas.rendered().hasPrefix("\"OpenBLAS "), blas.rendered())
        XCTAssertTrue(blas.rendered().contains("build)"), "names the threading model: \(blas.rendered())")
    }

    static let coreHeader = ["regime", "generation", "dimension", "samples", "noise_variance", "repeats",
                             "mean_test_error", "std_error", "theory_test_error"]

    /// `GenerationSummary` has no public initialiser, so real summaries come from a tiny run.
    private func summaries() throws -> [GenerationSummary] {
        let settings = MonteCarloSettings(repeats: 5, generations: 3,
                                          regimes: [.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.25)],
                                          seed: 42, threads: 1)
        return try MonteCarlo.run(cell: LinearCell(dimension: 2, samples: 7, noiseVariance: 0.5), settings: settings)
    }

    func testHeader() {
        XCTAssertEqual(Array(LinearResultsCSV.header.prefix(9)), Self.coreHeader)
        XCTAssertEqual(Set(LinearResultsCSV.header).count, LinearResultsCSV.header.count, "duplicate column")
        for name in ["real_fraction", "ci95_low", "ci95_high", "theory_given_design", "z_score", "z_given_design"] {
            XCTAssertTrue(LinearResultsCSV.header.contains(name), name)
        }
    }

    func testFieldsMatchHeader() throws {
        let rows = try summaries()
        XCTAssertEqual(rows.count, 4 * 3)
        let col = { (name: String) in LinearResultsCSV.header.firstIndex(of: name)! }
        for s in rows {
            let f = LinearResultsCSV.fields(s)
            XCTAssertEqual(f.count, LinearResultsCSV.header.count)
            XCTAssertEqual(f[col("regime")], s.regime.name)
            XCTAssertEqual(f[col("generation")], String(s.generation))
            XCTAssertEqual(f[col("dimension")], "2")
            XCTAssertEqual(f[col("samples")], "7")
            XCTAssertEqual(f[col("noise_variance")], "0.5")
            XCTAssertEqual(f[col("repeats")], "5")
            XCTAssertEqual(Double(f[col("mean_test_error")]), s.mean)
            XCTAssertEqual(Double(f[col("std_error")]), s.standardError)
            XCTAssertEqual(Double(f[col("ci95_low")]), s.confidenceLow)
            XCTAssertEqual(Double(f[col("ci95_high")]), s.confidenceHigh)
            XCTAssertEqual(f[col("theory_test_error")], s.theory.map { $0.description } ?? "")
            XCTAssertEqual(f[col("theory_given_design")], s.theoryGivenDesign.map { $0.description } ?? "")
            XCTAssertEqual(f[col("z_score")], s.zScore.map { $0.description } ?? "")
            XCTAssertEqual(f[col("z_given_design")], s.zGivenDesign.map { $0.description } ?? "")
            switch s.regime {
            case .replace, .accumulate:
                XCTAssertFalse(f[col("theory_test_error")].isEmpty)
                XCTAssertEqual(f[col("real_fraction")], "")
            case .accumulateSubsample:
                XCTAssertEqual(f[col("theory_test_error")], "")
                XCTAssertEqual(f[col("real_fraction")], "")
            case .mix, .freshReal:
                XCTAssertEqual(f[col("theory_test_error")], "")
                XCTAssertEqual(f[col("real_fraction")], "0.25")
            }
        }
    }

    func testTableRendersInOrder() throws {
        let rows = try summaries()
        let table = LinearResultsCSV.table(rows)
        XCTAssertEqual(table.header, LinearResultsCSV.header)
        XCTAssertEqual(table.rows, rows.map(LinearResultsCSV.fields))
        let text = table.rendered()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, rows.count + 2, "header, one line per summary, trailing newline")
        XCTAssertEqual(lines.first.map(String.init), LinearResultsCSV.header.joined(separator: ","))
        XCTAssertEqual(lines.last, "")
        XCTAssertFalse(text.contains("\""), "results never need quoting")
        XCTAssertEqual(lines[1].split(separator: ",", omittingEmptySubsequences: false).prefix(2).joined(separator: ","),
                       "replace,1")
        XCTAssertEqual(LinearResultsCSV.table([]).rendered(), LinearResultsCSV.header.joined(separator: ",") + "\n")
    }
}
