import CollapseTheory
import Foundation
import XCTest

/// Reference values were computed with mpmath at 50 significant digits (Φ via erfc;
/// Φ⁻¹ by root-finding on log Q), independently of this module. For the upper-tail grid
/// points the reference is the quantile of the double actually passed (e.g. the double
/// nearest to 1 − 1e-10, which is 1 − 1.00000008274037e-10), not of the decimal.
final class NormalDistributionTests: XCTestCase {
    func testCDFKnownValues() {
        XCTAssertEqual(NormalDistribution.cdf(0), 0.5)
        XCTAssertEqual(NormalDistribution.cdf(-.infinity), 0)
        XCTAssertEqual(NormalDistribution.cdf(.infinity), 1)
        // (x, Φ(x)) from mpmath. Φ(x) = erfc(−x/√2)/2: rounding the argument −x/√2 (relative
        // 2⁻⁵³) is amplified by the condition number of Φ in the lower tail, |x|φ(x)/Φ(x) ≈ x²,
        // and erfc itself is accurate to a few ulp; tolerance 4·(1 + x²)·ε relative
        // (≈ 1.2e-12 at x = −37, 1.8e-15 at x = −1).
        let lower: [(Double, Double)] = [
            (-1, 0.1586552539314570514148),
            (-5, 2.866515718791939116738e-7),
            (-10, 7.619853024160526065973e-24),
            (-37, 5.725571222524576822683e-300)
        ]
        for (x, p) in lower {
            XCTAssertEqual(NormalDistribution.cdf(x) / p, 1, accuracy: 4 * (1 + x * x) * Double.ulpOfOne, "Φ(\(x))")
        }
        // Upper half: values near 1 are resolved only to the spacing of doubles near 1 (1.1e-16).
        let upper: [(Double, Double)] = [
            (1, 0.8413447460685429485852),
            (1.959963984540054, 0.9749999999999999862347),
            (3, 0.9986501019683699054733),
            (8, 0.9999999999999993779039)
        ]
        for (x, p) in upper {
            XCTAssertEqual(NormalDistribution.cdf(x), p, accuracy: 2.3e-16, "Φ(\(x))")
        }
        XCTAssertEqual(NormalDistribution.cdf(1.959963984540054), 0.975, accuracy: 2.3e-16)
    }

    func testCDFSymmetryAndMonotonicity() {
        var previous = 0.0
        for k in -400...400 {
            let x = Double(k) / 50
            let c = NormalDistribution.cdf(x)
            XCTAssertEqual(c + NormalDistribution.cdf(-x), 1, accuracy: 2.3e-16, "Φ(x) + Φ(−x) = 1 at \(x)")
            XCTAssertGreaterThanOrEqual(c, previous, "monotone at \(x)")
            previous = c
        }
    }

    /// Grid of (p, Φ⁻¹(p)) including both extreme tails and the boundaries (0.02425, 0.97575)
    /// between Acklam's central and tail branches.
    static let quantileReference: [(Double, Double)] = [
        (1e-300, -37.047096299361199237),
        (2.2250738585072014e-308, -37.519379347144499821),  // smallest normal double
        (1e-100, -21.273453560965324294),
        (1e-20, -9.2623400897984075796),
        (1e-10, -6.3613409024040561991),
        (1e-6, -4.7534243088228989573),
        (1e-3, -3.0902323061678135354),
        (0.02425, -1.9729610513118848376),
        (0.1, -1.2815515655446004353),
        (0.3, -0.52440051270804081597),
        (0.5, 0),
        (0.7, 0.52440051270804065631),
        (0.9, 1.2815515655446005935),
        (0.97575, 1.9729610513118849594),
        (0.999, 3.0902323061678132778),
        (1 - 1e-6, 4.7534243088170877657),
        (1 - 1e-10, 6.3613408896974218642),
        (1 - 0x1p-53, 8.2095361516013868556)  // largest double below 1
    ]

    func testQuantileMatchesHighPrecisionReference() {
        // The documentation promises "close to full double precision". In the lower tail Φ⁻¹
        // is well conditioned (relative condition number p/(|x|φ(x)) ≈ 1/x²). Near p = 1 it is
        // ill conditioned with respect to perturbations of p, but the input p is an exact
        // double and 1 − p is computed exactly for p ≥ ½ (Sterbenz), so an implementation that
        // works with the complement attains ~1e-15 there too. We ask for 1e-12 relative
        // (absolute at p = ½).
        for (p, x) in Self.quantileReference {
            let q = NormalDistribution.quantile(p)
            if x == 0 {
                XCTAssertEqual(q, 0, accuracy: 1e-15, "Φ⁻¹(\(p))")
            } else {
                XCTAssertEqual(q / x, 1, accuracy: 1e-12, "Φ⁻¹(\(p)) = \(q), reference \(x), abs error \(q - x)")
            }
        }
    }

    func testQuantileIsAntisymmetric() {
        // Φ⁻¹(1 − p) = −Φ⁻¹(p). For p ≥ ½ the complement 1 − p is computed exactly
        // (Sterbenz), so both sides are evaluated at exactly complementary probabilities.
        for p in [0.5 + 0x1p-53, 0.6, 0.9, 0.97575, 0.99, 0.999, 1 - 1e-6, 1 - 1e-8, 1 - 1e-10, 1 - 1e-12, 1 - 0x1p-53] {
            let upper = NormalDistribution.quantile(p)
            let lower = NormalDistribution.quantile(1 - p)
            XCTAssertEqual(
                upper, -lower, accuracy: 1e-12 * abs(lower) + 1e-15,
                "Φ⁻¹(\(p)) = \(upper) vs −Φ⁻¹(\(1 - p)) = \(-lower)")
        }
    }

    func testQuantileInvertsCDF() {
        // p-space round trip on the grid: |Φ(Φ⁻¹(p)) − p| ≤ 1e-12·min(p, 1−p) in the lower
        // half (Φ is evaluated to a few ulp relative there); in the upper half Φ(x) ∈ (½, 1)
        // is resolved only to ~1.1e-16 absolute, so we require 2.3e-16 absolute (this part is
        // weak: Φ cannot see the error of Φ⁻¹ near p = 1; the reference test above does).
        for (p, _) in Self.quantileReference {
            let back = NormalDistribution.cdf(NormalDistribution.quantile(p))
            if p <= 0.5 {
                XCTAssertEqual(back, p, accuracy: 1e-12 * p, "Φ(Φ⁻¹(\(p)))")
            } else {
                XCTAssertEqual(back, p, accuracy: 2.3e-16, "Φ(Φ⁻¹(\(p)))")
            }
        }
        // x-space round trip where Φ(x) carries full relative information (x ≤ 1).
        for k in -370...10 {
            let x = Double(k) / 10
            let q = NormalDistribution.quantile(NormalDistribution.cdf(x))
            XCTAssertEqual(q, x, accuracy: 1e-12 * max(abs(x), 1), "Φ⁻¹(Φ(\(x)))")
        }
    }

    func testQuantileIsMonotoneAndFiniteOnWholeDomain() {
        // The documented domain is 0 < p < 1, which includes the subnormal probabilities.
        // Φ⁻¹ of the smallest positive double 2⁻¹⁰⁷⁴ ≈ 4.94e-324 is −38.467405617144346 (mpmath).
        // Subnormals written as powers of two: 2⁻¹⁰⁶³ ≈ 1.0e-320, 2⁻¹⁰⁴⁶ ≈ 1.3e-315, 2⁻¹⁰³⁰ ≈ 8.7e-311.
        let tiny: [Double] = [.leastNonzeroMagnitude, 0x1p-1063, 0x1p-1046, 0x1p-1030, .leastNormalMagnitude, 1e-300]
        for p in tiny {
            let q = NormalDistribution.quantile(p)
            XCTAssertTrue(q.isFinite, "Φ⁻¹(\(p)) = \(q) is not finite")
        }
        // Φ near 2⁻¹⁰⁷⁴ is itself subnormal with ~1 significant bit, so a refinement step on Φ
        // cannot improve on the rational start (relative error ≤ 1.2e-9, i.e. ≤ 5e-8 here);
        // allow 1e-6 absolute.
        XCTAssertEqual(NormalDistribution.quantile(.leastNonzeroMagnitude), -38.467405617144346251, accuracy: 1e-6)
        var previous = -Double.infinity
        for k in 1..<1000 {
            let q = NormalDistribution.quantile(Double(k) / 1000)
            XCTAssertGreaterThan(q, previous, "monotone at p = \(Double(k) / 1000)")
            previous = q
        }
    }

    func testTwoSidedCriticalValues() {
        // z with P(|Z| > z) = q, exact values (mpmath, for the exact decimal q). The function
        // computes Φ⁻¹(1 − q/2); rounding 1 − q/2 to a double moves the tail q/2 by up to
        // 2⁻⁵⁴ ≈ 5.6e-17 absolute, i.e. z by 5.6e-17/φ(z) ≈ 2e-11 at q = 1e-6 (φ(4.89) ≈ 2.6e-6),
        // and Φ evaluated near 1 has similar absolute resolution. We allow 1e-9 absolute
        // (4.891638475… to 9 decimals), and 1e-8 relative on the implied tail
        // erfc(z/√2) (≈ 2φ(z)·δz/q ≤ 1e-9).
        let cases: [(Double, Double)] = [
            (0.05, 1.9599639845400542355),
            (0.01, 2.575829303548900761),
            (1e-3, 3.2905267314918947932),
            (1e-6, 4.8916384756985903862)
        ]
        for (q, z) in cases {
            XCTAssertEqual(NormalDistribution.twoSidedCriticalValue(falseAlarm: q), z, accuracy: 1e-9, "q = \(q)")
            // And the defining property, via Foundation's erfc: P(|Z| > z) = erfc(z/√2) = q.
            let z0 = NormalDistribution.twoSidedCriticalValue(falseAlarm: q)
            XCTAssertEqual(erfc(z0 / 2.0.squareRoot()) / q, 1, accuracy: 1e-8, "tail at q = \(q)")
        }
        XCTAssertEqual(NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6), 4.891638475, accuracy: 1e-9)
    }
}
