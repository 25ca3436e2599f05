import Foundation
import Randomness
import XCTest

/// Gamma and chi-square sampling (used for the Bartlett decomposition of Wishart matrices).
final class GammaTests: XCTestCase {
    /// Mean and variance of Gamma(a, 1) are both `a`; the sample variance's SE uses the fourth
    /// central moment `3a² + 6a`. Tolerances z·SE with false-alarm 1e-6 each.
    func testMomentsForSeveralShapes() {
        for shape in [0.3, 0.5, 1, 2.5, 40] {
            var rng = Xoshiro256StarStar(seed: 17, stream: [UInt64(shape * 1000)])
            let n = 200_000
            let xs = (0..<n).map { _ in Gamma.next(shape: shape, using: &rng) }
            XCTAssertTrue(xs.allSatisfy { $0 > 0 && $0.isFinite }, "shape \(shape): non-positive or non-finite draw")
            let mean = xs.reduce(0, +) / Double(n)
            let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            assertWithinZ(mean, shape, se: (shape / Double(n)).squareRoot(), "Gamma(\(shape)) mean")
            let mu4 = 3 * shape * shape + 6 * shape
            assertWithinZ(variance, shape, se: ((mu4 - shape * shape) / Double(n)).squareRoot(), "Gamma(\(shape)) variance")
        }
    }

    /// Kolmogorov–Smirnov against the exact chi-square CDF `P(k/2, x/2)` for the degrees of
    /// freedom the Bartlett factor uses (small k included). Critical value for q = 1e-6:
    /// `√(−ln(q/2)/2)/√n`.
    func testChiSquareMatchesItsCDF() {
        let n = 50_000
        let critical = (-log(falseAlarm / 2) / 2).squareRoot() / Double(n).squareRoot()
        for k in [1, 2, 3, 7, 30] {
            var rng = Xoshiro256StarStar(seed: 99, stream: [UInt64(k)])
            let xs = (0..<n).map { _ in Gamma.chiSquare(degreesOfFreedom: Double(k), using: &rng) }.sorted()
            var d = 0.0
            for (i, x) in xs.enumerated() {
                let f = 1 - chiSquareSurvival(x, degreesOfFreedom: k)
                d = max(d, abs(f - Double(i) / Double(n)), abs(f - Double(i + 1) / Double(n)))
            }
            XCTAssertLessThan(d, critical, "χ²(\(k)): KS distance \(d)")
        }
    }
}
