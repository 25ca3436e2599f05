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

    /// Selection puts exactly the values a full sort would at the wanted ranks, and the summary
    /// equals the one read from the sorted values, for sizes around the insertion-sort cut-off,
    /// heavy ties and infinities.
    func testSelectionAgreesWithSorting() {
        var g = SystemRandomNumberGenerator()
        // Sizes around the insertion-sort cut-off and around 256, where the bucketing pass starts.
        for n in [1, 2, 5, 6, 15, 16, 17, 31, 100, 255, 256, 257, 1000, 1001, 4096] {
            for kind in 0..<7 {
                var values: [Double] = (0..<n).map { i in
                    switch kind {
                    case 0: return Double.random(in: -1...1, using: &g)
                    case 1: return Double(Int.random(in: 0...3, using: &g))  // heavy ties
                    case 2: return [Double.infinity, -Double.infinity, 0, 1].randomElement(using: &g)!
                    case 3: return exp(Double.random(in: 0...20, using: &g))  // heavy tail
                    case 4: return Double(i)  // sorted: the sample is then exact
                    case 5: return 7  // all equal: one bucket holds everything
                    default: return i % 10 == 0 ? Double.random(in: 0...1, using: &g) : 0.5  // one value dominates
                    }
                }
                if kind == 4 && n % 2 == 1 { values.reverse() }
                let sorted = values.sorted()
                let ranks = Array(Set((0..<min(n, 12)).map { _ in Int.random(in: 0..<n, using: &g) })).sorted()
                var selected = values
                RobustSummary.select(&selected, ranks: ranks)
                for k in ranks { XCTAssertEqual(selected[k], sorted[k], "n \(n) kind \(kind) rank \(k)") }
                XCTAssertEqual(selected.sorted(), sorted, "a permutation")
                let q = { (p: Double) in RobustSummary.quantile(sorted, p) }
                let s = RobustSummary(values)!
                XCTAssertEqual(
                    [s.median, s.q05, s.q25, s.q75, s.q95].map(\.description),  // −∞ next to +∞ interpolates to nan on both sides
                    [q(0.5), q(0.05), q(0.25), q(0.75), q(0.95)].map(\.description), "n \(n) kind \(kind)")
                let l = RobustSummary.medianRank(count: n)
                XCTAssertEqual(s.medianLow, l.map { sorted[$0 - 1] })
                XCTAssertEqual(s.medianHigh, l.map { sorted[n - $0] })
            }
        }
    }
}
