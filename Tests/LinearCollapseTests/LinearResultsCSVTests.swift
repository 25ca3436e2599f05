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
        XCTAssertTrue(
            ["; pthreads build", "; sequential build", "; OpenMP build"].contains { blas.rendered().contains($0) },
            "names the threading model: \(blas.rendered())")
    }

    /// `GenerationSummary` has no public initialiser, so real summaries come from a tiny run.
    private func summaries() throws -> [GenerationSummary] {
        let settings = MonteCarloSettings(
            repeats: 5, generations: 3,
            regimes: [.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.25)],
            seed: 42, threads: 1)
        return try MonteCarlo.run(cell: LinearCell(dimension: 2, samples: 7, noiseVariance: 0.5), settings: settings)
    }

    /// The long results format's columns, then the linear chain's statistics and parameters.
    func testHeader() {
        XCTAssertEqual(Array(LinearResultsCSV.header.prefix(LongResults.columns.count)), LongResults.columns)
        XCTAssertEqual(Set(LinearResultsCSV.header).count, LinearResultsCSV.header.count, "duplicate column")
        XCTAssertEqual(
            Array(LinearResultsCSV.header.suffix(7)),
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
            // d = 2, T = 7: L1 for replace/accumulate; A1 per generation for accumulate-subsample
            // (n = 2: (d+1)n = 6 < T ≤ (d+3)n = 10; n = 3: T ≤ (d+1)n = 9).
            let subsample = ["mean+variance", "infinite-variance", "none"][s.generation - 1]
            XCTAssertEqual(
                f[col("moments")],
                s.regime == .replace || s.regime == .accumulate
                    ? "mean+variance"
                    : s.regime == .accumulateSubsample ? subsample : "")
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
        XCTAssertEqual(
            lines[1].split(separator: ",", omittingEmptySubsequences: false).prefix(6).joined(separator: ","),
            "linear,,replace,,1,test_error")
        XCTAssertEqual(LinearResultsCSV.rendered([], engine: .literal, design: .fixed), LinearResultsCSV.header.joined(separator: ",") + "\n")
    }
}

/// The linear cell's stream purposes are the registry's linear roots.
final class LinearStreamPurposeTests: XCTestCase {
    func testPurposesAreTheRegistryRoots() {
        XCTAssertEqual(
            [LinearCell.StreamPurpose.data, .subsample, .sufficient, .freshDesign, .freshReal].map(\.rawValue),
            [
                StreamRegistry.linearData, StreamRegistry.linearSubsample, StreamRegistry.linearSufficient,
                StreamRegistry.linearFreshDesign, StreamRegistry.linearFreshReal
            ])
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
            let rows = try MonteCarlo.run(
                cell: cell,
                settings: MonteCarloSettings(
                    repeats: r, generations: n, regimes: regimes, seed: 9,
                    threads: threads))
            for (s, row) in rows.enumerated() {
                XCTAssertEqual(row.robust, RobustSummary(perSeries[s]), "series \(s), \(threads) threads")
                XCTAssertNotNil(row.robust?.medianLow)
            }
        }
        // T = d + 3: the variance is infinite (L1), the mean finite.
        XCTAssertEqual(LinearResultsCSV.finiteMoments(cell: cell, regime: .replace, generation: 4, design: .fixed), "mean")
        XCTAssertEqual(
            LinearResultsCSV.finiteMoments(
                cell: LinearCell(dimension: 3, samples: 4, noiseVariance: 1), regime: .accumulate,
                generation: 1, design: .fixed), "none")
        XCTAssertEqual(LinearResultsCSV.finiteMoments(cell: cell, regime: .accumulateSubsample, generation: 1, design: .fixed), "mean")
        XCTAssertNil(LinearResultsCSV.finiteMoments(cell: cell, regime: .replace, generation: 1, design: .fresh))
        XCTAssertNil(
            LinearResultsCSV.finiteMoments(
                cell: LinearCell(dimension: 5, samples: 3, noiseVariance: 1), regime: .replace,
                generation: 1, design: .fixed))
    }
}

/// The accumulate-subsample rule of the `moments` column (proof A1), per generation n.
final class AccumulateSubsampleMomentsTests: XCTestCase {
    private func moments(d: Int, t: Int, n: Int, design: DesignMode = .fixed, options: ChainOptions = .standard) -> String? {
        LinearResultsCSV.finiteMoments(
            cell: LinearCell(dimension: d, samples: t, noiseVariance: 1), regime: .accumulateSubsample,
            generation: n, design: design, options: options)
    }

    /// The boundaries of A1's items 1–3 at d = 3.
    func testBoundaries() {
        // n = 1 is the real-data fit: L1 exactly, as for replace.
        for t in 3...9 {
            XCTAssertEqual(
                moments(d: 3, t: t, n: 1),
                LinearResultsCSV.finiteMoments(
                    cell: LinearCell(dimension: 3, samples: t, noiseVariance: 1), regime: .replace, generation: 1, design: .fixed), "T = \(t)")
        }
        // n = 2: mean infinite for T ≤ (d+1)n = 8; second moment infinite for T ≤ (d+3)n = 12;
        // variance proved finite from ⌈T/2⌉ − d + 1 > 4n = 8, i.e. T ≥ 21. Then the cell
        // d = 3, T = 10 at generation 10, and the n = 10 boundaries 40, 60 and 421.
        let cases: [(t: Int, n: Int, expected: String?)] = [
            (3, 2, "none"), (8, 2, "none"), (9, 2, "infinite-variance"), (12, 2, "infinite-variance"), (13, 2, nil), (20, 2, nil),
            (21, 2, "mean+variance"),
            (10, 10, "none"), (40, 10, "none"), (41, 10, "infinite-variance"), (60, 10, "infinite-variance"), (61, 10, nil),
            (420, 10, nil), (421, 10, "mean+variance")
        ]
        for c in cases { XCTAssertEqual(moments(d: 3, t: c.t, n: c.n), c.expected, "T = \(c.t), n = \(c.n)") }
        // Not settled: T < d, fresh designs, ridge fits.
        XCTAssertNil(moments(d: 5, t: 4, n: 1))
        XCTAssertNil(moments(d: 5, t: 4, n: 3))
        XCTAssertNil(moments(d: 3, t: 10, n: 10, design: .fresh))
        XCTAssertNil(moments(d: 3, t: 10, n: 10, options: ChainOptions(ridge: 0.1)))
    }

    /// The closed-form conditions T ≤ (d+1)n and T ≤ (d+3)n are A1 Step 1's: some subsample
    /// has k distinct rows with d ≤ k ≤ d+1 (resp. d+3) and at least one copy from the newest block, i.e.
    /// multiplicities 1 ≤ m_i ≤ n with Σ m_i = T exist, i.e. k ≤ T ≤ kn. Checked by
    /// enumerating k, and item 3's ⌈T/n⌉ by the smallest feasible k.
    func testRuleMatchesTheFeasibleDistinctCounts() {
        for d in 1...6 {
            for t in d...80 {
                for n in 1...12 {
                    let feasible = (1...t).filter { k in k <= t && t <= k * n }
                    let kMin = feasible.min()!
                    let meanInfinite = feasible.contains { (d...(d + 1)).contains($0) }
                    let secondInfinite = feasible.contains { (d...(d + 3)).contains($0) }
                    let expected: String?
                    if meanInfinite {
                        expected = "none"
                    } else if secondInfinite {
                        expected = kMin - d + 1 > 2 * n ? "mean" : "infinite-variance"
                    } else {
                        expected = kMin - d + 1 > 4 * n ? "mean+variance" : nil
                    }
                    XCTAssertEqual(moments(d: d, t: t, n: n), expected, "d = \(d), T = \(t), n = \(n)")
                }
            }
        }
    }

    /// The column is per generation: one run's rows carry each generation's own value.
    func testRowsCarryEachGenerationsValue() throws {
        let cell = LinearCell(dimension: 3, samples: 10, noiseVariance: 1)
        let rows = try MonteCarlo.run(
            cell: cell,
            settings: MonteCarloSettings(
                repeats: 4, generations: 4,
                regimes: [.replace, .accumulateSubsample], seed: 3, threads: 1))
        let text = LinearResultsCSV.rows(rows, engine: .literal, design: .fixed)
        let m = LinearResultsCSV.header.firstIndex(of: "moments")!, g = LinearResultsCSV.header.firstIndex(of: "generation")!
        let r = LinearResultsCSV.header.firstIndex(of: "regime")!
        let got = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .map { "\($0[r]) \($0[g]) \($0[m])" }
        // T = 10 = d + 7: L1 gives mean+variance; A1: n = 2, (d+1)n = 8 < T ≤ 12; n ≥ 3, T ≤ (d+1)n.
        XCTAssertEqual(
            got,
            [
                "replace 1 mean+variance", "replace 2 mean+variance", "replace 3 mean+variance", "replace 4 mean+variance",
                "accumulate-subsample 1 mean+variance", "accumulate-subsample 2 infinite-variance",
                "accumulate-subsample 3 none", "accumulate-subsample 4 none"
            ])
    }
}
