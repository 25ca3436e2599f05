import CollapseCore
import CollapseExport
import Foundation
import LinearCollapse
import Randomness
import XCTest

final class LinearResultsCSVTests: XCTestCase {
    func testRunEnvironmentNamesTheBLASThatRan() throws {
        let blas = try XCTUnwrap(RunEnvironment.entries.first { $0.0 == "blas" }?.1)
        XCTAssertTrue(blas.rendered().hasPrefix("\"OpenBLAS "), blas.rendered())
        XCTAssertTrue(["; pthreads build", "; sequential build", "; OpenMP build"].contains { blas.rendered().contains($0) },
                      "names the threading model: \(blas.rendered())")
    }

    /// `GenerationSummary` has no public initialiser, so real summaries come from a tiny run.
    private func summaries() throws -> [GenerationSummary] {
        let settings = MonteCarloSettings(repeats: 5, generations: 3,
                                          regimes: [.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.25)],
                                          seed: 42, threads: 1)
        return try MonteCarlo.run(cell: LinearCell(dimension: 2, samples: 7, noiseVariance: 0.5), settings: settings)
    }

    /// The long results format's columns, then the linear chain's statistics and parameters.
    func testHeader() {
        XCTAssertEqual(Array(LinearResultsCSV.header.prefix(LongResults.columns.count)), LongResults.columns)
        XCTAssertEqual(Set(LinearResultsCSV.header).count, LinearResultsCSV.header.count, "duplicate column")
        XCTAssertEqual(Array(LinearResultsCSV.header.suffix(7)),
                       ["theory_given_design", "z_given_design", "moments", "dimension", "noise_variance", "engine", "design"])
        XCTAssertTrue(Set(LongResults.familyStatistics).isSubset(of: LinearResultsCSV.header))
    }

    /// Every field of every row is the summary's value, printed exactly (CSVField.number), and
    /// the interval is mean ∓ Φ⁻¹(0.975)·SE as `MonteCarlo` computed it.
    func testFieldsMatchHeader() throws {
        let rows = try summaries()
        XCTAssertEqual(rows.count, 4 * 3)
        let col = { (name: String) in LinearResultsCSV.header.firstIndex(of: name)! }
        for s in rows {
            let line = LinearResultsCSV.row(s, engine: .literal, design: .fixed)
            XCTAssertTrue(line.hasSuffix("\n"))
            let f = line.dropLast().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(f.count, LinearResultsCSV.header.count)
            XCTAssertEqual(f[col("model")], "linear")
            XCTAssertEqual(f[col("dataset")], "")
            XCTAssertEqual(f[col("metric")], "test_error")
            XCTAssertEqual(f[col("regime")], s.regime.name)
            XCTAssertEqual(f[col("generation")], String(s.generation))
            XCTAssertEqual(f[col("dimension")], "2")
            XCTAssertEqual(f[col("samples")], "7")
            XCTAssertEqual(f[col("noise_variance")], "0.5")
            XCTAssertEqual(f[col("repeats")], "5")
            XCTAssertEqual(f[col("engine")], "literal")
            XCTAssertEqual(f[col("design")], "fixed")
            XCTAssertEqual(Double(f[col("mean")]), s.mean)
            XCTAssertEqual(Double(f[col("std_error")]), s.standardError)
            XCTAssertEqual(Double(f[col("ci95_low")]), s.confidenceLow)
            XCTAssertEqual(Double(f[col("ci95_high")]), s.confidenceHigh)
            XCTAssertEqual(f[col("theory")], s.theory.map { $0.description } ?? "")
            XCTAssertEqual(f[col("theory_given_design")], s.theoryGivenDesign.map { $0.description } ?? "")
            XCTAssertEqual(f[col("z")], s.zScore.map { $0.description } ?? "")
            XCTAssertEqual(f[col("z_given_design")], s.zGivenDesign.map { $0.description } ?? "")
            let robust = try XCTUnwrap(s.robust)
            XCTAssertEqual(f[col("median")], robust.median.description)
            XCTAssertEqual(f[col("q95")], robust.q95.description)
            XCTAssertEqual(f[col("median_ci95_low")], "", "5 replicates give no 95 % median interval")
            XCTAssertEqual(f[col("moments")], s.regime == .replace || s.regime == .accumulate ? "mean+variance" : "")
            switch s.regime {
            case .replace, .accumulate:
                XCTAssertFalse(f[col("theory")].isEmpty)
                XCTAssertEqual(f[col("real_fraction")], "")
            case .accumulateSubsample:
                XCTAssertEqual(f[col("theory")], "")
                XCTAssertEqual(f[col("real_fraction")], "")
            case .mix, .freshReal:
                XCTAssertEqual(f[col("theory")], "")
                XCTAssertEqual(f[col("real_fraction")], "0.25")
            }
        }
    }

    func testRenderedInOrder() throws {
        let rows = try summaries()
        let text = LinearResultsCSV.rendered(rows, engine: .sufficient, design: .fixed)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, rows.count + 2, "header, one line per summary, trailing newline")
        XCTAssertEqual(lines.first.map(String.init), LinearResultsCSV.header.joined(separator: ","))
        XCTAssertEqual(lines.last, "")
        XCTAssertFalse(text.contains("\""), "results never need quoting")
        XCTAssertEqual(lines[1].split(separator: ",", omittingEmptySubsequences: false).prefix(6).joined(separator: ","),
                       "linear,,replace,,1,test_error")
        XCTAssertEqual(LinearResultsCSV.rendered([], engine: .literal, design: .fixed), LinearResultsCSV.header.joined(separator: ",") + "\n")
    }
}

/// The linear cell's stream purposes are the registry's linear roots.
final class LinearStreamPurposeTests: XCTestCase {
    func testPurposesAreTheRegistryRoots() {
        XCTAssertEqual([LinearCell.StreamPurpose.data, .subsample, .sufficient, .freshDesign, .freshReal].map(\.rawValue),
                       [StreamRegistry.linearData, StreamRegistry.linearSubsample, StreamRegistry.linearSufficient,
                        StreamRegistry.linearFreshDesign, StreamRegistry.linearFreshReal])
    }
}

/// The order statistics are those of the same replicates as the mean: each replicate's errors
/// recomputed one by one give MonteCarlo's median, quantiles and median interval, for any
/// thread count.
final class MonteCarloOrderStatisticsTests: XCTestCase {
    func testOrderStatisticsAreOfTheReplicatesErrors() throws {
        let cell = LinearCell(dimension: 3, samples: 6, noiseVariance: 1)
        let regimes: [Regime] = [.replace, .accumulate, .accumulateSubsample]
        let r = 45, n = 4
        let sim = LinearChainSimulator(cell: cell, regimes: regimes, generations: n)
        let workspace = sim.makeWorkspace()
        var perSeries = [[Double]](repeating: [], count: regimes.count * n)
        var errors = [Double](repeating: 0, count: regimes.count * n)
        for rep in 0..<r {
            _ = try errors.withUnsafeMutableBufferPointer { try sim.runReplicate(seed: 9, replicate: rep, errors: $0, workspace: workspace) }
            for s in perSeries.indices { perSeries[s].append(errors[s]) }
        }
        for threads in [1, 3] {
            let rows = try MonteCarlo.run(cell: cell, settings: MonteCarloSettings(repeats: r, generations: n, regimes: regimes, seed: 9,
                                                                                  threads: threads))
            for (s, row) in rows.enumerated() {
                XCTAssertEqual(row.robust, RobustSummary(perSeries[s]), "series \(s), \(threads) threads")
                XCTAssertNotNil(row.robust?.medianLow)
            }
        }
        // T = d + 3: the variance is infinite (L1), the mean finite.
        XCTAssertEqual(LinearResultsCSV.finiteMoments(cell: cell, regime: .replace, design: .fixed), "mean")
        XCTAssertEqual(LinearResultsCSV.finiteMoments(cell: LinearCell(dimension: 3, samples: 4, noiseVariance: 1), regime: .accumulate,
                                                      design: .fixed), "none")
        XCTAssertNil(LinearResultsCSV.finiteMoments(cell: cell, regime: .accumulateSubsample, design: .fixed))
        XCTAssertNil(LinearResultsCSV.finiteMoments(cell: cell, regime: .replace, design: .fresh))
        XCTAssertNil(LinearResultsCSV.finiteMoments(cell: LinearCell(dimension: 5, samples: 3, noiseVariance: 1), regime: .replace, design: .fixed))
    }
}
