import CollapseCore
import CollapseExport
import XCTest

/// `ParallelReplicates.orderStatistics` gathers each series out of replicate-major blocks (eight
/// adjacent series per pass) and summarises it: every series' summary must be the summary of
/// exactly its own values, whatever the series count, the block sizes and the threads.
final class ParallelReplicatesTests: XCTestCase {
    func testOrderStatisticsAreEachSeriesOwnSummary() {
        for series in [1, 7, 8, 9, 13, 24] {
            let counts = [5, 17, 1, 40]  // replicates per block, blocks in replicate order
            var state: UInt64 = 0x9E3779B97F4A7C15 &* UInt64(series)
            func next() -> Double {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Double(state >> 11) / Double(1 << 53)
            }
            let blocks = counts.map { n in (0..<(n * series)).map { _ in next() } }
            var expected: [RobustSummary?] = []
            for s in 0..<series {
                let values = zip(blocks, counts).flatMap { block, n in (0..<n).map { block[$0 * series + s] } }
                expected.append(RobustSummary(values))
            }
            for threads in [1, 3] {
                let got = ParallelReplicates.orderStatistics(blocks: blocks, counts: counts, series: series, threads: threads)
                XCTAssertEqual(got, expected, "series \(series), threads \(threads)")
            }
        }
    }
}
