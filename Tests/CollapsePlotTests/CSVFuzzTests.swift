import CollapseExport
import CollapsePlot
import Foundation
import XCTest

/// Mutated results CSVs (the input of `plot` and of merged shards) must load or fail with a
/// located error; never crash. Bounded; COLLAPSE_FUZZ_ITERATIONS makes it longer.
final class CSVFuzzTests: XCTestCase {
    static let valid = """
        regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,theory_test_error,real_fraction,ci95_low,ci95_high,theory_given_design,z_score,z_given_design
        replace,1,3,20,1.0,50,0.19,0.02,0.1875,,0.15,0.23,0.19,0.12,0.3
        replace,2,3,20,1.0,50,0.38,0.05,0.375,,0.28,0.48,0.37,0.1,0.2
        accumulate,1,3,20,1.0,50,0.19,0.02,0.1875,,0.15,0.23,0.19,0.12,0.3
        accumulate,2,3,20,1.0,50,0.23,0.03,0.234375,,0.17,0.29,0.23,-0.1,0.0
        mix,2,3,20,1.0,50,0.3,0.04,,0.5,0.22,0.38,,,

        """

    func testMutatedResultsCSVLoadsOrFailsWithLocatedError() throws {
        let iterations = Int(ProcessInfo.processInfo.environment["COLLAPSE_FUZZ_ITERATIONS"] ?? "") ?? 4000
        var state: UInt64 = 7
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let fragments = [",", "\"", "\n", "\r\n", "nan", "inf", "-1", "0", "1e999", "x", "", "replace", "mix", "\u{FEFF}", "é"]
        var loaded = 0, rejected = 0
        for _ in 0..<iterations {
            var chars = Array(Self.valid)
            for _ in 0..<(1 + Int(next() % 3)) {
                let at = Int(next() % UInt64(chars.count + 1))
                switch next() % 3 {
                case 0 where !chars.isEmpty: chars.remove(at: min(at, chars.count - 1))
                case 1: chars = Array(chars.prefix(at))
                default: chars.insert(contentsOf: fragments[Int(next() % UInt64(fragments.count))], at: at)
                }
            }
            let text = String(chars)
            do {
                let table = try ResultsTable(csv: text, source: "fuzz.csv")
                XCTAssertFalse(table.rows.isEmpty)
                // Anything that loads must also draw (or refuse with a typed error).
                _ = try? Figure.panelGrid(table)
                loaded += 1
            } catch let e as ResultsTableError {
                XCTAssertTrue(e.description.hasPrefix("fuzz.csv"), e.description)
                rejected += 1
            } catch let e as CSVReadError {
                XCTAssertTrue(e.description.hasPrefix("fuzz.csv"), e.description)
                rejected += 1
            }
        }
        XCTAssertGreaterThan(loaded, 0)
        XCTAssertGreaterThan(rejected, 0)
    }
}
