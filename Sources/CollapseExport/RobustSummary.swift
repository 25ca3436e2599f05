import Foundation

/// Order statistics of a metric's per-replicate values: the median, the 5, 25, 75 and 95 %
/// quantiles, and a distribution-free 95 % interval for the median. They exist for every
/// distribution, so they stay meaningful where the mean or the variance does not (the linear
/// chain at T < d + 4, proof L1; heavy-tailed accumulate-subsample cells).
///
/// - Quantiles: the sample quantile of type 7 (Hyndman & Fan 1996; R's default and numpy's
///   `linear`): with the values sorted, x₍₁₎ ≤ … ≤ x₍ᵣ₎, Q(p) = x₍ⱼ₎ + g·(x₍ⱼ₊₁₎ − x₍ⱼ₎) where
///   h = (R − 1)p + 1, j = ⌊h⌋, g = h − j.
/// - Median interval: [x₍ₗ₎, x₍ᵣ₊₁₋ₗ₎] with l the largest integer such that
///   P(B ≤ l − 1) ≤ 0.025, B ~ Binomial(R, ½). For any continuous distribution
///   P(x₍ₗ₎ ≤ median ≤ x₍ᵣ₊₁₋ₗ₎) = 1 − 2·P(B ≤ l − 1) ≥ 0.95 exactly (the number of values
///   below the median is B); with ties the coverage is at least that. It needs R ≥ 6 (for R ≤ 5
///   even l = 1 gives coverage below 95 %), and is nil otherwise.
///
/// Values that are NaN leave every statistic undefined (nil); ±∞ are ordered as usual.
public struct RobustSummary: Equatable, Sendable {
    public var median: Double
    public var q05: Double
    public var q25: Double
    public var q75: Double
    public var q95: Double
    public var medianLow: Double?
    public var medianHigh: Double?

    /// The column names, in the order `LongResults` writes them.
    public static let columns = ["median", "q05", "q25", "q75", "q95", "median_ci95_low", "median_ci95_high"]

    /// The summary of `values`; nil for no values or any NaN.
    public init?(_ values: [Double]) {
        var values = values
        self.init(selectingIn: &values, medianRank: Self.medianRank(count: values.count))
    }

    /// The summary of `values`, which it reorders, given `medianRank(count: values.count)`
    /// (callers summarising many series of one length compute it once). Only the order
    /// statistics the summary reads are put in place (`select`), not the whole sort: the same
    /// values, in O(R) expected time instead of O(R log R).
    public init?(selectingIn values: inout [Double], medianRank: Int?) {
        guard !values.isEmpty, !values.contains(where: { $0.isNaN }) else { return nil }
        let r = values.count
        // The ranks `quantile` reads (⌊(R − 1)p⌋ and the one above, for p = 0.05 … 0.95) and
        // the median interval's, ascending and distinct.
        var ranks: [Int] = []
        ranks.reserveCapacity(12)
        for p in [0.05, 0.25, 0.5, 0.75, 0.95] {
            let j = Int((Double(r - 1) * p).rounded(.down))
            ranks += [j, min(j + 1, r - 1)]
        }
        if let l = medianRank { ranks += [l - 1, r - l] }
        ranks.sort()
        var distinct = 0
        for k in ranks where distinct == 0 || ranks[distinct - 1] != k {
            ranks[distinct] = k
            distinct += 1
        }
        ranks.removeLast(ranks.count - distinct)
        Self.select(&values, ranks: ranks)
        func q(_ p: Double) -> Double { Self.quantile(values, p) }
        median = q(0.5); q05 = q(0.05); q25 = q(0.25); q75 = q(0.75); q95 = q(0.95)
        if let l = medianRank {
            medianLow = values[l - 1]
            medianHigh = values[r - l]
        }
    }

    /// Rearranges `a` (no NaN) so that for every `k` in `ranks` (0-based, ascending, distinct)
    /// `a[k]` is the value a full sort would put there.
    ///
    /// From 256 values on, one bucketing pass first (a sample sort's first level): 15 splitters
    /// s₁ ≤ … ≤ s₁₅ from a sorted sample of 63 values, each value's bucket
    /// b = #{j : sⱼ < x} found by a branch-free binary search, and the values moved, bucket
    /// after bucket, into their buckets; every value of bucket b is then ≤ every value of bucket
    /// b + 1, so a rank's value is the matching rank within its bucket (about R/16 values).
    /// Then, and for fewer values throughout, Hoare's FIND recursing only into the parts that
    /// hold a wanted rank (median-of-three pivots). The sample decides only the speed, never the
    /// result. On random data the partition loop's comparisons mispredict about half the time;
    /// the bucketing pass has no data-dependent branch, so it replaces the costliest levels of
    /// the recursion. Measured in the benchmarks package (`MonteCarlo.run` sufficient, R = 1000,
    /// 1,500 series; 2-core machine): the order statistics' share of the run fell from about 45
    /// to about 25 ms.
    public static func select(_ a: inout [Double], ranks: [Int]) {
        let n = a.count
        guard n >= 256, !ranks.isEmpty else {
            a.withUnsafeMutableBufferPointer { p in select(p, 0, n - 1, ranks[...]) }
            return
        }
        // Splitters: every 4th of a sorted sample of 63 values at evenly spaced positions.
        var sample = (0..<63).map { a[($0 * n) / 63 + n / 126] }
        sample.sort()
        let splitters = (1...15).map { sample[4 * $0 - 1] }
        var bucketOf = [UInt8](repeating: 0, count: n)
        var start = [Int](repeating: 0, count: 17)
        a.withUnsafeBufferPointer { x in
            splitters.withUnsafeBufferPointer { sp in
                bucketOf.withUnsafeMutableBufferPointer { id in
                    start.withUnsafeMutableBufferPointer { count in
                        for i in 0..<n {
                            let v = x[i]
                            // b = #{j : s_j < v}: binary search over the 15 sorted splitters,
                            // comparing with s[b + h − 1] for h = 8, 4, 2, 1.
                            var b = v > sp[7] ? 8 : 0
                            b += v > sp[b + 3] ? 4 : 0
                            b += v > sp[b + 1] ? 2 : 0
                            b += v > sp[b] ? 1 : 0
                            id[i] = UInt8(truncatingIfNeeded: b)
                            count[b + 1] += 1
                        }
                    }
                }
            }
        }
        for b in 1...16 { start[b] += start[b - 1] }
        // Only buckets holding a wanted rank are selected in; values move all the same.
        var moved = [Double](repeating: 0, count: n)
        var next = start
        a.withUnsafeBufferPointer { x in
            moved.withUnsafeMutableBufferPointer { out in
                bucketOf.withUnsafeBufferPointer { id in
                    next.withUnsafeMutableBufferPointer { next in
                        for i in 0..<n {
                            let b = Int(id[i])
                            out[next[b]] = x[i]
                            next[b] += 1
                        }
                    }
                }
            }
        }
        moved.withUnsafeMutableBufferPointer { p in
            var r = ranks[...]
            for b in 0..<16 where !r.isEmpty {
                let lo = start[b], hi = start[b + 1] - 1
                let inBucket = r.prefix { $0 <= hi }
                r = r.dropFirst(inBucket.count)
                if !inBucket.isEmpty { select(p, lo, hi, inBucket) }
            }
        }
        a = moved
    }

    /// `ranks`: the wanted ranks within `lo...hi`, ascending.
    private static func select(_ a: UnsafeMutableBufferPointer<Double>, _ lo: Int, _ hi: Int, _ ranks: ArraySlice<Int>) {
        guard !ranks.isEmpty, lo < hi else { return }
        if hi - lo < 16 {  // insertion sort
            for i in (lo + 1)...hi {
                let x = a[i]
                var j = i - 1
                while j >= lo && a[j] > x { a[j + 1] = a[j]; j -= 1 }
                a[j + 1] = x
            }
            return
        }
        let mid = lo + (hi - lo) / 2
        if a[mid] < a[lo] { a.swapAt(mid, lo) }
        if a[hi] < a[lo] { a.swapAt(hi, lo) }
        if a[hi] < a[mid] { a.swapAt(hi, mid) }
        let pivot = a[mid]
        var i = lo, j = hi
        while i <= j {
            while a[i] < pivot { i += 1 }
            while a[j] > pivot { j -= 1 }
            if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
        }
        // a[lo...j] ≤ pivot ≤ a[i...hi], and everything strictly between j and i equals pivot.
        // The ranks are ascending: those ≤ j are a prefix, those ≥ i a suffix.
        select(a, lo, j, ranks.prefix { $0 <= j })
        select(a, i, hi, ranks.suffix(from: ranks.firstIndex { $0 >= i } ?? ranks.endIndex))
    }

    /// Type-7 quantile of sorted values.
    public static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        precondition(!sorted.isEmpty && p >= 0 && p <= 1)
        let h = Double(sorted.count - 1) * p
        let j = Int(h.rounded(.down))
        let g = h - Double(j)
        if j + 1 >= sorted.count || g == 0 { return sorted[j] }
        let a = sorted[j], b = sorted[j + 1]
        if a == b { return a }  // also keeps ±∞ ties from giving NaN
        return a + g * (b - a)
    }

    /// The 1-based rank l of the lower end of the distribution-free 95 % median interval: the
    /// largest l with P(Binomial(R, ½) ≤ l − 1) ≤ 0.025; nil for R < 6. The binomial
    /// probabilities are summed in log space from k = 0, or for R > 1000 from 8 standard
    /// deviations below the mean (the mass below it, under 10⁻¹⁴, is left out).
    public static func medianRank(count r: Int) -> Int? {
        guard r >= 6 else { return nil }
        var k = r > 1000 ? max(0, Int(Double(r) / 2 - 4 * Double(r).squareRoot())) : 0
        var logPMF = lgamma(Double(r + 1)) - lgamma(Double(k + 1)) - lgamma(Double(r - k + 1)) + Double(r) * log(0.5)  // log P(B = k)
        var cdf = exp(logPMF)  // P(B ≤ k), up to the omitted tail
        var l = 0  // largest l with P(B ≤ l − 1) ≤ 0.025 found so far
        while cdf <= 0.025 {
            l = k + 1  // P(B ≤ (k + 1) − 1) = cdf ≤ 0.025
            // P(B = k + 1) = P(B = k) · (R − k)/(k + 1)
            logPMF += log(Double(r - k)) - log(Double(k + 1))
            k += 1
            cdf += exp(logPMF)
        }
        return l >= 1 ? l : nil
    }

    /// The CSV fields of `summary` (empty fields without one).
    public static func fields(_ summary: RobustSummary?) -> [String] {
        guard let s = summary else { return Array(repeating: "", count: columns.count) }
        return [
            CSVField.number(s.median), CSVField.number(s.q05), CSVField.number(s.q25), CSVField.number(s.q75),
            CSVField.number(s.q95), CSVField.number(s.medianLow), CSVField.number(s.medianHigh)
        ]
    }
}
