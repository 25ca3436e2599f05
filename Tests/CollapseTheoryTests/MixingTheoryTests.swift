import CollapseTheory
import XCTest

/// Proof G1's mixing curve `v_n = v_∞ + (1−w)^{2(n−1)}(b − v_∞)`, evaluated without cancellation.
final class MixingTheoryTests: XCTestCase {
    /// The recursion `v_n = w²b + (1−w)²(v_{n−1} + b)`, `v_1 = b` (the real part's variance plus the
    /// synthetic part's, proof G1 step 1), run in exact rational-free double steps: no cancellation,
    /// so it is an independent reference for moderate n.
    func recursion(_ n: Int, _ w: Double, _ b: Double) -> Double {
        var v = b
        if n == 1 { return v }
        for _ in 2...n { v = w * w * b + (1 - w) * (1 - w) * (v + b) }
        return v
    }

    func testAgreesWithTheRecursionForEveryWeight() {
        for w in [1e-300, 1e-15, 1e-8, 0.01, 0.3, (5.0.squareRoot() - 1) / 2, 0.9, 1] {
            for n in [1, 2, 3, 10, 50] {
                let closed = GoldenRatioMixing.meanSquaredError(generation: n, weight: w, base: 0.01)
                let reference = recursion(n, w, 0.01)
                XCTAssertEqual(closed, reference, accuracy: 1e-12 * reference, "w = \(w), n = \(n)")
            }
        }
    }

    /// Regression (issue 14): at w = 1e−15 the textbook form gave 0.00977 at n = 1 and 0 at
    /// w = 1e−300; the limits are v_n → n·b as w → 0 and v_n = b at w = 1.
    func testLimits() {
        XCTAssertEqual(GoldenRatioMixing.meanSquaredError(generation: 1, weight: 1e-15, base: 0.01), 0.01)
        XCTAssertEqual(GoldenRatioMixing.meanSquaredError(generation: 3, weight: 1e-300, base: 0.01), 0.03, accuracy: 1e-15)
        XCTAssertEqual(GoldenRatioMixing.meanSquaredError(generation: 7, weight: 1, base: 0.01), 0.01)
    }
}
