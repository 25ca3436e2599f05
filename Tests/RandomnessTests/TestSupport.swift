import Foundation
import XCTest

// Shared statistical helpers for the Randomness tests.
//
// Every statistical assertion in this target uses a fixed seed (so the suite is
// deterministic) and a tolerance of the form `z · SE`, where SE is the standard error under
// the hypothesis that the generator is correct and `z` is chosen so that a correct generator
// would fail with probability `q = 1e-6` (two-sided unless stated otherwise). A test that
// makes `k` such checks therefore has a family-wise false-alarm probability of at most
// `k · 1e-6` (union bound) for a freshly chosen seed.

/// Two-sided critical value for false-alarm probability 1e-6: `P(|Z| > z) = 1e-6`,
/// i.e. `Φ⁻¹(1 − 5e-7)` = 4.89163847569859… (high-precision value computed with mpmath;
/// `testCriticalValuesAreConsistentWithErfc` re-checks it with Foundation's `erfc`).
let zTwoSided: Double = 4.8916384756985904

/// One-sided critical value for false-alarm probability 1e-6: `P(Z > z) = 1e-6`,
/// `Φ⁻¹(1 − 1e-6)` = 4.75342430882289… (mpmath; re-checked with `erfc` below).
let zOneSided: Double = 4.7534243088228989

/// The false-alarm probability `q` used throughout.
let falseAlarm = 1e-6

/// Standard normal CDF `Φ(x) = erfc(−x/√2)/2` (Foundation's `erfc`; independent of the
/// CollapseTheory module, which this test target does not depend on).
func standardNormalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

/// Two-sided tail probability `P(|Z| > t) = erfc(t/√2)`.
func standardNormalTwoSidedTail(_ t: Double) -> Double { erfc(t / 2.0.squareRoot()) }

/// Regularised upper incomplete gamma `Q(a, x) = Γ(a, x)/Γ(a)` (series for `x < a + 1`,
/// Lentz continued fraction otherwise; Numerical Recipes §6.2). Accurate to ~1e-14 relative
/// in the range used here.
func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
    precondition(a > 0 && x >= 0)
    if x == 0 { return 1 }
    let logPrefactor = -x + a * log(x) - lgamma(a)
    if x < a + 1 {
        var sum = 1 / a, term = 1 / a, ap = a
        for _ in 0..<10_000 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
        }
        return 1 - sum * exp(logPrefactor)
    }
    let tiny = 1e-300
    var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
    for i in 1..<10_000 {
        let an = -Double(i) * (Double(i) - a)
        b += 2
        d = an * d + b; if abs(d) < tiny { d = tiny }
        c = b + an / c; if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16 { break }
    }
    return exp(logPrefactor) * h
}

/// `P(χ²_df > x)`.
func chiSquareSurvival(_ x: Double, degreesOfFreedom df: Int) -> Double {
    regularizedUpperGamma(Double(df) / 2, x / 2)
}

/// The Wilson–Hilferty cube-root normal approximation to the `1 − 1e-6` quantile of `χ²_df`:
/// `df·(1 − 2/(9df) + z·√(2/(9df)))³` with the one-sided `z` for 1e-6.
func wilsonHilfertyCriticalValue(degreesOfFreedom df: Int) -> Double {
    let k = Double(df)
    let h = 2 / (9 * k)
    let c = 1 - h + zOneSided * h.squareRoot()
    return k * c * c * c
}

/// The exact `1 − 1e-6` quantile of `χ²_df`: Wilson–Hilferty gives the starting bracket,
/// then bisection on the exact survival function `Q(df/2, x/2)` (so the false-alarm
/// probability is 1e-6 to ~1e-12 relative, rather than WH's few-percent tail error, which is
/// large and conservative for small df).
func chiSquareCriticalValue(degreesOfFreedom df: Int) -> Double {
    let wh = wilsonHilfertyCriticalValue(degreesOfFreedom: df)
    var lo = 0.5 * wh, hi = 2 * wh
    precondition(
        chiSquareSurvival(lo, degreesOfFreedom: df) > falseAlarm
            && chiSquareSurvival(hi, degreesOfFreedom: df) < falseAlarm)
    for _ in 0..<200 {
        let mid = 0.5 * (lo + hi)
        if chiSquareSurvival(mid, degreesOfFreedom: df) > falseAlarm { lo = mid } else { hi = mid }
        if hi - lo <= 1e-13 * hi { break }
    }
    return 0.5 * (lo + hi)
}

/// Pearson's statistic `Σ (O − E)²/E` for equal expected counts.
func chiSquareStatistic(_ counts: [Int], expectedEach e: Double) -> Double {
    counts.reduce(0) { acc, o in
        let dlt = Double(o) - e; return acc + dlt * dlt / e
    }
}

/// Asserts that `counts` (equiprobable cells) pass Pearson's χ² test at false-alarm 1e-6
/// (asymptotic χ² law; every use here has ≥ 3 000 expected counts per cell).
func assertChiSquareUniform(
    _ counts: [Int], _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let n = counts.reduce(0, +)
    let e = Double(n) / Double(counts.count)
    let stat = chiSquareStatistic(counts, expectedEach: e)
    let crit = chiSquareCriticalValue(degreesOfFreedom: counts.count - 1)
    XCTAssertLessThan(
        stat, crit,
        "\(label): χ² = \(stat) with \(counts.count - 1) d.o.f. exceeds the 1e-6 critical value \(crit)",
        file: file, line: line)
}

/// Asserts `|observed − expected| ≤ zTwoSided · se` (false-alarm 1e-6).
func assertWithinZ(
    _ observed: Double, _ expected: Double, se: Double, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertLessThanOrEqual(
        abs(observed - expected), zTwoSided * se,
        "\(label): observed \(observed), expected \(expected), SE \(se), z = \((observed - expected) / se)",
        file: file, line: line)
}

/// Asserts a binomial count is consistent with probability `p`: the normal approximation
/// with `SE = √(n p (1 − p))` (all expected counts here are ≥ 500, where it is adequate).
func assertBinomial(
    count: Int, trials n: Int, probability p: Double, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let se = (Double(n) * p * (1 - p)).squareRoot()
    assertWithinZ(Double(count), Double(n) * p, se: se, label, file: file, line: line)
}

/// Sample Pearson correlation.
func sampleCorrelation(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count && a.count > 1)
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices {
        let da = a[i] - ma, db = b[i] - mb
        sab += da * db; saa += da * da; sbb += db * db
    }
    return sab / (saa * sbb).squareRoot()
}

/// A "generator" that replays a fixed list of words, for deterministic tests of the
/// bit-level contracts; it traps if more words are requested than supplied.
struct ReplayGenerator: RandomNumberGenerator {
    var words: [UInt64]
    var position = 0
    init(_ words: [UInt64]) { self.words = words }
    mutating func next() -> UInt64 {
        precondition(position < words.count, "ReplayGenerator exhausted after \(words.count) words")
        defer { position += 1 }
        return words[position]
    }
    var consumed: Int { position }
}

final class StatisticalHelperTests: XCTestCase {
    func testCriticalValuesAreConsistentWithErfc() {
        // The hard-coded z values must reproduce their false-alarm probabilities.
        XCTAssertEqual(standardNormalTwoSidedTail(zTwoSided) / falseAlarm, 1, accuracy: 1e-9)
        XCTAssertEqual(0.5 * erfc(zOneSided / 2.0.squareRoot()) / falseAlarm, 1, accuracy: 1e-9)
    }

    func testRegularizedGammaAgainstClosedForms() {
        // χ²₂ survival is exp(−x/2); χ²₁ survival is erfc(√(x/2)).
        for x in [0.1, 1.0, 3.0, 10.0, 50.0] {
            XCTAssertEqual(chiSquareSurvival(x, degreesOfFreedom: 2), exp(-x / 2), accuracy: 1e-14 * max(1, exp(-x / 2)))
            let ref1 = erfc((x / 2).squareRoot())
            XCTAssertEqual(chiSquareSurvival(x, degreesOfFreedom: 1) / ref1, 1, accuracy: 1e-12)
        }
        // χ²₄ survival is exp(−x/2)(1 + x/2).
        for x in [0.5, 2.0, 8.0, 40.0] {
            let ref = exp(-x / 2) * (1 + x / 2)
            XCTAssertEqual(chiSquareSurvival(x, degreesOfFreedom: 4) / ref, 1, accuracy: 1e-12)
        }
    }

    func testChiSquareCriticalValueIsHonest() {
        // The critical values used in this target have tail probability 1e-6 under the exact
        // χ² law; and Wilson–Hilferty (the starting point) is within 10 % of them for every
        // d.o.f. used here (≈ 9.5 % at df = 2, ≈ 1.2 % at df = 19): a sanity check of both the
        // approximation and the gamma code.
        for df in [2, 5, 6, 19, 47, 49, 63] {
            let crit = chiSquareCriticalValue(degreesOfFreedom: df)
            XCTAssertEqual(chiSquareSurvival(crit, degreesOfFreedom: df) / falseAlarm, 1, accuracy: 1e-9, "df \(df)")
            XCTAssertEqual(
                wilsonHilfertyCriticalValue(degreesOfFreedom: df) / crit, 1,
                accuracy: 0.1, "df \(df)")
        }
        // Closed form: χ²₂ is exponential with mean 2, so its 1 − 1e-6 quantile is −2 ln(1e-6) = 27.631021115928547.
        XCTAssertEqual(chiSquareCriticalValue(degreesOfFreedom: 2), -2 * log(1e-6), accuracy: 1e-9)
    }
}
