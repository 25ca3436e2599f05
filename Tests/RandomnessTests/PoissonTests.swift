import Foundation
import Randomness
import XCTest

/// The exact Poisson sampler (Knuth's method on pieces of mean ≤ 16).
final class PoissonTests: XCTestCase {
    func poissonPMF(_ k: Int, _ mean: Double) -> Double { exp(Double(k) * log(mean) - mean - lgamma(Double(k) + 1)) }

    /// Poisson sampler: mean and variance (both μ; the sample variance's SE uses μ₄ = μ + 3μ²),
    /// across the piece boundary at μ = 16, false-alarm 1e-6 each.
    func testPoissonSamplerMoments() {
        for mu in [0.2, 3, 16, 40.5, 300] {
            var rng = Xoshiro256StarStar(seed: 11, stream: [UInt64(mu * 10)])
            let n = 100_000
            let xs = (0..<n).map { _ in Double(Poisson.next(mean: mu, using: &rng)) }
            let mean = xs.reduce(0, +) / Double(n)
            let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            XCTAssertLessThan(abs(mean - mu), zTwoSided * (mu / Double(n)).squareRoot(), "μ=\(mu) mean")
            let mu4 = mu + 3 * mu * mu
            XCTAssertLessThan(abs(variance - mu), zTwoSided * ((mu4 - mu * mu) / Double(n)).squareRoot(), "μ=\(mu) variance")
        }
        var rng = Xoshiro256StarStar(seed: 1)
        XCTAssertEqual(Poisson.next(mean: 0, using: &rng), 0)
        // The pmf across the piece boundary (μ = 16.5 = 16 + 0.5): chi-square over bins with
        // expected count ≥ 50, critical value for false-alarm 1e-6 by Wilson–Hilferty.
        let mu = 16.5, n = 200_000
        var counts = [Int](repeating: 0, count: 60)
        for _ in 0..<n { counts[min(Poisson.next(mean: mu, using: &rng), 59)] += 1 }
        var chi2 = 0.0, bins = 0, pending = 0.0, pendingCount = 0
        for k in 0..<60 {
            pending += (k == 59 ? 1 - (0..<59).reduce(0) { $0 + poissonPMF($1, mu) } : poissonPMF(k, mu)) * Double(n)
            pendingCount += counts[k]
            if pending >= 50 || k == 59 {
                chi2 += (Double(pendingCount) - pending) * (Double(pendingCount) - pending) / pending
                bins += 1; pending = 0; pendingCount = 0
            }
        }
        let critical = wilsonHilfertyCriticalValue(degreesOfFreedom: bins - 1)
        XCTAssertLessThan(chi2, critical, "Poisson(16.5) pmf: χ² = \(chi2) on \(bins - 1) df")
    }
}
