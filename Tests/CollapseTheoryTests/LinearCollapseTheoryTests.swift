import CollapseTheory
import XCTest

final class LinearCollapseTheoryTests: XCTestCase {
    typealias T = LinearCollapseTheory

    // MARK: - Σ 1/i²

    func testSumOfInverseSquaresSmallValues() {
        XCTAssertEqual(T.sumOfInverseSquares(0), 0)
        XCTAssertEqual(T.sumOfInverseSquares(1), 1)
        XCTAssertEqual(T.sumOfInverseSquares(2), 1.25)
        XCTAssertEqual(T.sumOfInverseSquares(3), 49.0 / 36, accuracy: 1e-15)
        // Σ_{i≤10} 1/i² = 1968329/1270080 exactly (rational arithmetic).
        XCTAssertEqual(T.sumOfInverseSquares(10), 1_968_329.0 / 1_270_080, accuracy: 4e-16)
    }

    func testSumOfInverseSquaresIsIncreasingAndBelowLimit() {
        var previous = -1.0
        for n in 0...2000 {
            let s = T.sumOfInverseSquares(n)
            XCTAssertGreaterThan(s, previous, "strictly increasing at n = \(n)")
            XCTAssertLessThan(s, T.baselLimit, "below π²/6 at n = \(n)")
            previous = s
        }
    }

    func testSumOfInverseSquaresApproachesBaselLimit() {
        // Integral bounds: 1/(n+1) < π²/6 − S_n < 1/n for n ≥ 1.
        for n in [1, 2, 10, 100, 1000, 100_000, 1_000_000] {
            let gap = T.baselLimit - T.sumOfInverseSquares(n)
            let dn = Double(n)
            XCTAssertGreaterThan(gap, 1 / (dn + 1), "n = \(n)")
            XCTAssertLessThan(gap, 1 / dn, "n = \(n)")
        }
        // Euler–Maclaurin: π²/6 − S_n = 1/n − 1/(2n²) + 1/(6n³) − 1/(30n⁵) + O(n⁻⁷). At n = 1000
        // the truncation is ~1e-21 and the summation error of S_n is a few ulp (~1e-15 absolute
        // on a gap of ~1e-3), so 1e-11 relative on the gap is conservative.
        let n = 1000.0
        let expected = 1 / n - 1 / (2 * n * n) + 1 / (6 * n * n * n) - 1 / (30 * n * n * n * n * n)
        XCTAssertEqual((T.baselLimit - T.sumOfInverseSquares(1000)) / expected, 1, accuracy: 1e-11)
    }

    func testBaselLimit() {
        XCTAssertEqual(T.baselLimit, 1.6449340668482264365, accuracy: 2.3e-16)  // mpmath
    }

    // MARK: - Noise multiplier

    func testNoiseMultiplier() {
        for n in [1, 2, 3, 7, 50] {
            XCTAssertEqual(T.noiseMultiplier(.replace, generation: n), Double(n))
            XCTAssertEqual(T.noiseMultiplier(.accumulate, generation: n), T.sumOfInverseSquares(n))
        }
        XCTAssertEqual(T.noiseMultiplier(.accumulate, generation: 1), 1, "generation 1 is the real-data fit")
        XCTAssertEqual(T.noiseMultiplier(.replace, generation: 1), 1)
    }

    func testRegimes() {
        XCTAssertEqual(ClosedFormRegime.allCases, [.replace, .accumulate])
        XCTAssertEqual(ClosedFormRegime.replace.rawValue, "replace")
        XCTAssertEqual(ClosedFormRegime(rawValue: "accumulate"), .accumulate)
    }

    // MARK: - Expected trace and test error

    func testExpectedTraceOfInverseGram() {
        XCTAssertEqual(T.expectedTraceOfInverseGram(dimension: 10, samples: 100)!, 10.0 / 89, accuracy: 1e-17)
        XCTAssertEqual(T.expectedTraceOfInverseGram(dimension: 1, samples: 3), 1)  // T = d + 2: d/1
        XCTAssertEqual(T.expectedTraceOfInverseGram(dimension: 5, samples: 7), 5)
        for d in [1, 5, 10] {
            XCTAssertNil(T.expectedTraceOfInverseGram(dimension: d, samples: d + 1), "T = d + 1: infinite mean")
            XCTAssertNil(T.expectedTraceOfInverseGram(dimension: d, samples: d), "T = d")
            if d > 1 { XCTAssertNil(T.expectedTraceOfInverseGram(dimension: d, samples: d - 1), "T < d") }
            XCTAssertNotNil(T.expectedTraceOfInverseGram(dimension: d, samples: d + 2))
        }
    }

    func testExpectedTestErrorReplaceExact() throws {
        // d = 10, T = 100, σ² = 1: c = d/(T − d − 1) = 10/89 = 0.11235955056…; replace c·n.
        let c = 10.0 / 89
        for n in [1, 2, 5, 10] {
            let e = try XCTUnwrap(T.expectedTestError(.replace, generation: n, dimension: 10, samples: 100, noiseVariance: 1))
            XCTAssertEqual(e, c * Double(n), accuracy: 1e-15 * Double(n))
        }
        // THEORY's checked values, to 4 decimals.
        let fourDecimals = [1: 0.1124, 2: 0.2247, 5: 0.5618, 10: 1.1236]
        for (n, v) in fourDecimals {
            let e = try XCTUnwrap(T.expectedTestError(.replace, generation: n, dimension: 10, samples: 100, noiseVariance: 1))
            XCTAssertEqual((e * 1e4).rounded() / 1e4, v, accuracy: 1e-12, "replace n = \(n): \(e)")
        }
    }

    func testExpectedTestErrorAccumulateExact() throws {
        // accumulate: c·Σ_{i≤n} 1/i² (0.11235955…, 0.14044943…, 0.16445068…, 0.17413120…, mpmath).
        let c = 10.0 / 89
        let exact = [
            1: 0.11235955056179775281, 2: 0.14044943820224719101, 5: 0.16445068664169787765,
            10: 0.17413120574904951578
        ]
        for (n, v) in exact {
            let e = try XCTUnwrap(T.expectedTestError(.accumulate, generation: n, dimension: 10, samples: 100, noiseVariance: 1))
            XCTAssertEqual(e, v, accuracy: 1e-15, "accumulate n = \(n)")
            XCTAssertEqual(e, c * T.sumOfInverseSquares(n), accuracy: 1e-16)
        }
        let fourDecimals = [1: 0.1124, 2: 0.1404, 5: 0.1645, 10: 0.1741]
        for (n, v) in fourDecimals {
            let e = try XCTUnwrap(T.expectedTestError(.accumulate, generation: n, dimension: 10, samples: 100, noiseVariance: 1))
            XCTAssertEqual((e * 1e4).rounded() / 1e4, v, accuracy: 1e-12, "accumulate n = \(n): \(e)")
        }
    }

    func testExpectedTestErrorScalesWithNoiseVariance() throws {
        for regime in ClosedFormRegime.allCases {
            let base = try XCTUnwrap(T.expectedTestError(regime, generation: 4, dimension: 3, samples: 20, noiseVariance: 1))
            let scaled = try XCTUnwrap(T.expectedTestError(regime, generation: 4, dimension: 3, samples: 20, noiseVariance: 2.5))
            XCTAssertEqual(scaled, 2.5 * base, accuracy: 1e-15)
            XCTAssertEqual(T.expectedTestError(regime, generation: 4, dimension: 3, samples: 20, noiseVariance: 0), 0)
            // Exact formula: σ²·d/(T − d − 1)·c_n.
            XCTAssertEqual(base, 3.0 / 16 * T.noiseMultiplier(regime, generation: 4), accuracy: 1e-15)
        }
    }

    func testExpectedTestErrorUndefinedBelowDPlus2() {
        for regime in ClosedFormRegime.allCases {
            XCTAssertNil(T.expectedTestError(regime, generation: 1, dimension: 10, samples: 11, noiseVariance: 1), "T = d + 1")
            XCTAssertNil(T.expectedTestError(regime, generation: 3, dimension: 10, samples: 10, noiseVariance: 1), "T = d")
            XCTAssertNil(T.expectedTestError(regime, generation: 3, dimension: 10, samples: 4, noiseVariance: 1), "T < d")
            XCTAssertNotNil(T.expectedTestError(regime, generation: 3, dimension: 10, samples: 12, noiseVariance: 1), "T = d + 2")
        }
    }

    func testReplaceGrowsLinearlyAccumulateStaysBounded() throws {
        // Replace grows without bound (c·n); accumulate is increasing and bounded by the limit.
        let c = 10.0 / 89
        let bound = try XCTUnwrap(T.accumulateBound(dimension: 10, samples: 100, noiseVariance: 1))
        XCTAssertEqual(bound, c * Double.pi * Double.pi / 6, accuracy: 1e-15)
        var previous = 0.0
        for n in 1...1000 {
            let acc = try XCTUnwrap(T.expectedTestError(.accumulate, generation: n, dimension: 10, samples: 100, noiseVariance: 1))
            let rep = try XCTUnwrap(T.expectedTestError(.replace, generation: n, dimension: 10, samples: 100, noiseVariance: 1))
            XCTAssertLessThanOrEqual(acc, bound, "accumulate bound at n = \(n)")
            XCTAssertGreaterThan(acc, previous)
            XCTAssertGreaterThanOrEqual(rep, acc)
            previous = acc
        }
        // Bound − E_n = c·(π²/6 − S_n) ∈ (c/(n+1), c/n): the bound is the limit.
        let e1000 = try XCTUnwrap(T.expectedTestError(.accumulate, generation: 1000, dimension: 10, samples: 100, noiseVariance: 1))
        XCTAssertGreaterThan(bound - e1000, c / 1001)
        XCTAssertLessThan(bound - e1000, c / 1000)
        XCTAssertNil(T.accumulateBound(dimension: 10, samples: 11, noiseVariance: 1))
        XCTAssertNil(T.accumulateBound(dimension: 10, samples: 5, noiseVariance: 1))
    }

    // MARK: - Given-design formulas

    func testTestErrorGivenDesign() {
        // bias + σ²·c_n·K.
        XCTAssertEqual(
            T.testErrorGivenDesign(
                .replace, generation: 3, noiseVariance: 2,
                traceOfGramPseudoInverse: 0.5, bias: 0.25), 3.25)
        XCTAssertEqual(
            T.testErrorGivenDesign(
                .accumulate, generation: 2, noiseVariance: 2,
                traceOfGramPseudoInverse: 0.5, bias: 0.25), 1.5)
        XCTAssertEqual(
            T.testErrorGivenDesign(
                .accumulate, generation: 2, noiseVariance: 2,
                traceOfGramPseudoInverse: 0.5), 1.25, "bias defaults to 0")
        XCTAssertEqual(
            T.testErrorGivenDesign(
                .replace, generation: 7, noiseVariance: 0,
                traceOfGramPseudoInverse: 3, bias: 0.4), 0.4)
        // Consistency: averaging K over designs gives expectedTestError (linear in K).
        for regime in ClosedFormRegime.allCases {
            let k = T.expectedTraceOfInverseGram(dimension: 10, samples: 100)!
            XCTAssertEqual(
                T.testErrorGivenDesign(regime, generation: 6, noiseVariance: 1.7, traceOfGramPseudoInverse: k),
                T.expectedTestError(regime, generation: 6, dimension: 10, samples: 100, noiseVariance: 1.7)!,
                accuracy: 1e-15)
        }
    }

    func testTestErrorVarianceGivenDesign() {
        // 2σ⁴·c_n²·tr((G⁺)²).
        XCTAssertEqual(
            T.testErrorVarianceGivenDesign(
                .replace, generation: 3, noiseVariance: 2,
                traceOfGramPseudoInverseSquared: 0.1), 7.2, accuracy: 1e-14)
        XCTAssertEqual(
            T.testErrorVarianceGivenDesign(
                .accumulate, generation: 2, noiseVariance: 2,
                traceOfGramPseudoInverseSquared: 0.1), 1.25, accuracy: 1e-15)
        XCTAssertEqual(
            T.testErrorVarianceGivenDesign(
                .replace, generation: 1, noiseVariance: 0,
                traceOfGramPseudoInverseSquared: 5), 0)
        // Scaling: quadratic in c_n, quartic in σ.
        let v1 = T.testErrorVarianceGivenDesign(.replace, generation: 1, noiseVariance: 1, traceOfGramPseudoInverseSquared: 1)
        XCTAssertEqual(v1, 2)
        XCTAssertEqual(
            T.testErrorVarianceGivenDesign(
                .replace, generation: 4, noiseVariance: 3,
                traceOfGramPseudoInverseSquared: 1), 2 * 9 * 16)
    }

    func testVarianceMatchesChiSquareLawForIsotropicDesign() {
        // Independent derivation for G = g·I_d (so G⁺ = I/g): ŵ_n − w* ~ N(0, σ²c_n/g · I_d),
        // hence ‖ŵ_n − w*‖² = (σ²c_n/g)·χ²_d with mean σ²c_n d/g and variance 2d(σ²c_n/g)².
        let d = 4, g = 8.0, sigma2 = 1.5
        for regime in ClosedFormRegime.allCases {
            let c = T.noiseMultiplier(regime, generation: 5)
            let scale = sigma2 * c / g
            XCTAssertEqual(
                T.testErrorGivenDesign(
                    regime, generation: 5, noiseVariance: sigma2,
                    traceOfGramPseudoInverse: Double(d) / g),
                scale * Double(d), accuracy: 1e-14)
            XCTAssertEqual(
                T.testErrorVarianceGivenDesign(
                    regime, generation: 5, noiseVariance: sigma2,
                    traceOfGramPseudoInverseSquared: Double(d) / (g * g)),
                2 * Double(d) * scale * scale, accuracy: 1e-14)
        }
    }
}
