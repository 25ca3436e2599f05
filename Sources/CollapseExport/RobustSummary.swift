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

    /// Rearranges `a` so that for every `k` in `ranks` (0-based, ascending) `a[k]` is the value
    /// a full sort would put there (Hoare's FIND, recursing only into the parts that hold a
    /// wanted rank; median-of-three pivots).
    public static func select(_ a: inout [Double], ranks: [Int]) {
        a.withUnsafeMutableBufferPointer { p in select(p, 0, p.count - 1, ranks[...]) }
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
