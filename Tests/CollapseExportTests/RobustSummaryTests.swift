import CollapseExport
import Foundation
import XCTest

/// Order statistics: type-7 quantiles and the distribution-free median interval.
final class RobustSummaryTests: XCTestCase {
    func testQuantilesAreType7() throws {
        // numpy.quantile([1, 2, 3, 4, 10], [.05, .25, .5, .75, .95]) = [1.2, 2, 3, 4, 8.8]
        let s = try XCTUnwrap(RobustSummary([10, 1, 4, 3, 2]))
        XCTAssertEqual(s.q05, 1.2, accuracy: 1e-14)
        XCTAssertEqual(s.q25, 2)
        XCTAssertEqual(s.median, 3)
        XCTAssertEqual(s.q75, 4)
        XCTAssertEqual(s.q95, 8.8, accuracy: 1e-14)
        XCTAssertNil(s.medianLow, "5 values cannot give a 95 % median interval")
        XCTAssertEqual(RobustSummary([7])?.median, 7)
        XCTAssertNil(RobustSummary([]))
        XCTAssertNil(RobustSummary([1, .nan, 2]))
        // Infinite values are ordered, and ties of ∞ give ∞, not NaN.
        let inf = try XCTUnwrap(RobustSummary([1, .infinity, .infinity, .infinity]))
        XCTAssertEqual(inf.median, .infinity)
        XCTAssertEqual(inf.q25, (1 + 0.75 * (Double.infinity - 1)))
    }

    /// The rank l of the median interval: the largest with P(B ≤ l − 1) ≤ 0.025 for
    /// B ~ Binomial(R, ½), checked against an exact rational computation and the classic table
    /// (R = 6: 1; 10: 2; 20: 6; 100: 40).
    func testMedianRankIsTheExactBinomialRank() {
        XCTAssertNil(RobustSummary.medianRank(count: 5))
        for (r, l) in [(6, 1), (10, 2), (20, 6), (100, 40)] { XCTAssertEqual(RobustSummary.medianRank(count: r), l, "R = \(r)") }
        for r in 6...300 {
            // P(B ≤ k) by exact recursion in Double (fine at these sizes).
            var pmf = pow(0.5, Double(r)), cdf = pmf, expected = 0, k = 0
            while cdf <= 0.025 { expected = k + 1; pmf *= Double(r - k) / Double(k + 1); k += 1; cdf += pmf }
            XCTAssertEqual(RobustSummary.medianRank(count: r), expected, "R = \(r)")
        }
        // Large R: near the normal approximation R/2 − 1.96·√R/2 (within a couple of ranks).
        for r in [1001, 10_000, 1_000_000] {
            let l = Double(RobustSummary.medianRank(count: r)!)
            XCTAssertEqual(l, Double(r) / 2 - 1.959964 * Double(r).squareRoot() / 2, accuracy: 2, "R = \(r)")
        }
    }

    func testMedianIntervalUsesOrderStatistics() throws {
        let values = (1...20).map(Double.init).reversed()
        let s = try XCTUnwrap(RobustSummary(Array(values)))
        XCTAssertEqual(s.medianLow, 6)
        XCTAssertEqual(s.medianHigh, 15)
        XCTAssertEqual(s.median, 10.5)
    }
}
