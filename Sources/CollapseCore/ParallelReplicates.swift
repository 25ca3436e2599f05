import CollapseExport
import Dispatch
import Foundation

/// Mean and standard error over replicates of a per-generation statistic, and its order
/// statistics (`RobustSummary`), computed in parallel with bit-identical results for any thread
/// count: replicates are summarised in fixed blocks (Welford) merged in block order (Chan et
/// al.), and workers only choose which block they run.
public enum ParallelReplicates {
    public static let blockSize = 16

    public struct Summary: Sendable, Equatable {
        public var mean: [Double]
        public var standardError: [Double]
        /// Per series: the median, quantiles and median interval of its replicates' values.
        public var robust: [RobustSummary?]
        /// Per series: every replicate's value in replicate order (with `keepValues`; else empty).
        public var values: [[Double]] = []
    }

    /// Runs `simulate(replicate, buffer)` for `replicate` in `0..<repeats`; the closure writes
    /// `series` values into its buffer. With `orderStatistics` every value is kept (8 bytes ×
    /// repeats × series) and `Summary.robust` filled; without, `robust` is empty.
    /// With `keepValues` the values are handed back too (`Summary.values`). With a `budget`
    /// (threads shared with other cells in flight) the calling thread must hold a share of it.
    public static func run(
        repeats: Int, series: Int, threads: Int, orderStatistics: Bool = false, keepValues: Bool = false,
        budget: ThreadBudget? = nil,
        simulate: @escaping @Sendable (Int, UnsafeMutableBufferPointer<Double>) -> Void
    ) -> Summary {
        let orderStatistics = orderStatistics || keepValues
        precondition(repeats >= 2 && series >= 1 && threads >= 1, "ParallelReplicates.run: bad sizes")
        let blocks = (repeats + blockSize - 1) / blockSize
        final class Store: @unchecked Sendable {
            var mean: [[Double]], m2: [[Double]], values: [[Double]], count: [Int]
            var next = 0
            let lock = NSLock()
            init(_ b: Int) {
                mean = .init(repeating: [], count: b); m2 = .init(repeating: [], count: b); values = .init(repeating: [], count: b)
                count = .init(repeating: 0, count: b)
            }
        }
        let store = Store(blocks)
        let hasWork: @Sendable () -> Bool = {
            store.lock.lock(); defer { store.lock.unlock() }
            return store.next < blocks
        }
        ParallelPhase.run(workers: min(threads, blocks), budget: budget, hasWork: hasWork) { _ in
            var values = [Double](repeating: 0, count: series)
            while true {
                store.lock.lock(); let b = store.next; store.next += 1; store.lock.unlock()
                if b >= blocks { return }
                var mean = [Double](repeating: 0, count: series), m2 = [Double](repeating: 0, count: series)
                let lo = b * blockSize, hi = min(repeats, lo + blockSize)
                var kept: [Double] = []
                kept.reserveCapacity((hi - lo) * series)
                for (k, rep) in (lo..<hi).enumerated() {
                    for s in 0..<series { values[s] = 0 }  // nothing carries over between replicates
                    values.withUnsafeMutableBufferPointer { simulate(rep, $0) }
                    if orderStatistics { kept.append(contentsOf: values) }
                    let c = Double(k + 1)
                    for s in 0..<series {
                        let delta = values[s] - mean[s]
                        mean[s] += delta / c
                        m2[s] += delta * (values[s] - mean[s])
                    }
                }
                store.lock.lock(); store.mean[b] = mean; store.m2[b] = m2; store.values[b] = kept; store.count[b] = hi - lo; store.lock.unlock()
            }
        }
        var mean = store.mean[0], m2 = store.m2[0], n = Double(store.count[0])
        for b in 1..<blocks {
            let nb = Double(store.count[b]), total = n + nb
            for s in 0..<series {
                let delta = store.mean[b][s] - mean[s]
                mean[s] += delta * nb / total
                m2[s] += store.m2[b][s] + delta * delta * n * nb / total
            }
            n = total
        }
        let r = Double(repeats)
        return Summary(
            mean: mean, standardError: m2.map { ($0 / (r - 1)).squareRoot() / r.squareRoot() },
            robust: orderStatistics
                ? Self.orderStatistics(blocks: store.values, counts: store.count, series: series, threads: threads, budget: budget) : [],
            values: keepValues ? Self.seriesValues(blocks: store.values, counts: store.count, series: series) : [])
    }

    /// Each series' values in replicate order, from blocks laid out as `orderStatistics` reads them.
    public static func seriesValues(blocks: [[Double]], counts: [Int], series: Int) -> [[Double]] {
        (0..<series).map { s in
            var out: [Double] = []
            out.reserveCapacity(counts.reduce(0, +))
            for (b, block) in blocks.enumerated() { for i in 0..<counts[b] { out.append(block[i * series + s]) } }
            return out
        }
    }

    /// The order statistics (`RobustSummary`) of each of `series` series whose values lie in
    /// blocks of replicates, replicate-major: block `b` holds `counts[b]` replicates × `series`
    /// values, blocks in replicate order. Computed series by series on `threads` workers (on
    /// `budget` when given), which claim groups of series in turn; each series' summary depends
    /// only on its own values, so not on the threads.
    public static func orderStatistics(
        blocks: [[Double]], counts: [Int], series: Int, threads: Int, budget: ThreadBudget? = nil
    ) -> [RobustSummary?] {
        final class Slots: @unchecked Sendable {
            var summaries: [RobustSummary?]
            var nextGroup = 0
            let lock = NSLock()
            init(_ n: Int) { summaries = Array(repeating: nil, count: n) }
            /// The next unclaimed group of `groups`, or nil.
            func claim(_ groups: Int) -> Int? {
                lock.lock(); defer { lock.unlock() }
                guard nextGroup < groups else { return nil }
                nextGroup += 1
                return nextGroup - 1
            }
            func hasWork(_ groups: Int) -> Bool { lock.lock(); defer { lock.unlock() }; return nextGroup < groups }
        }
        let slots = Slots(series)
        // Series are gathered `group` at a time: a block row holds a series' value next to its
        // neighbours', so reading `group` adjacent series per row uses whole cache lines where
        // gathering one series at a time would use one value of each.
        let group = 8, groups = (series + group - 1) / group
        let repeats = counts.reduce(0, +), workers = max(1, min(threads, groups))
        let medianRank = RobustSummary.medianRank(count: repeats)
        let hasWork: @Sendable () -> Bool = { slots.hasWork(groups) }
        ParallelPhase.run(workers: workers, budget: budget, hasWork: hasWork) { _ in
            var gathered = [Double](repeating: 0, count: group * repeats), values = [Double](repeating: 0, count: repeats)
            while let g = slots.claim(groups) {
                let first = g * group, width = min(group, series - first)
                gathered.withUnsafeMutableBufferPointer { out in
                    var r = 0
                    for (b, block) in blocks.enumerated() {
                        block.withUnsafeBufferPointer { p in
                            for i in 0..<counts[b] {
                                let row = i * series + first
                                for k in 0..<width { out[k * repeats + r] = p[row + k] }
                                r += 1
                            }
                        }
                    }
                }
                for k in 0..<width {
                    values.withUnsafeMutableBufferPointer { v in
                        gathered.withUnsafeBufferPointer { v.baseAddress!.update(from: $0.baseAddress! + k * repeats, count: repeats) }
                    }
                    let summary = RobustSummary(selectingIn: &values, medianRank: medianRank)
                    slots.lock.lock(); slots.summaries[first + k] = summary; slots.lock.unlock()
                }
            }
        }
        return slots.summaries
    }
}
