import CollapseTheory
import Foundation
import Randomness

/// A 1-D Gaussian refit to its own samples (proof G3). Truth `N(0, σ²)`; each generation draws
/// `M` samples from the previous fit (generation 1 from the truth) and refits the mean and the
/// variance (`estimator`). Replace fits the newest samples; accumulate fits every sample so far.
public struct GaussianFittingChain: Sendable, Equatable {
    public var variance: Double
    public var estimator: GaussianFittingTheory.Estimator

    public init(variance: Double, estimator: GaussianFittingTheory.Estimator) {
        precondition(variance > 0, "variance must be > 0")
        self.variance = variance
        self.estimator = estimator
    }

    /// Per generation `n` (index `n − 1`) writes four series, each `generations` long:
    /// `(μ̂_n − μ)²`, `σ̂²_n`, `log(σ̂²_n/σ²)`, and the squared Wasserstein-2 distance
    /// `(μ̂_n − μ)² + (σ̂_n − σ)²` to the truth.
    public func run(
        regime: ClosedFormRegime, samples m: Int, generations: Int, rng: inout Xoshiro256StarStar,
        out: UnsafeMutableBufferPointer<Double>
    ) {
        precondition(m >= 2 && out.count >= 4 * generations, "GaussianFittingChain.run: bad sizes")
        var mu = 0.0, sd = variance.squareRoot()
        // Welford accumulators (stable when the fit's spread collapses far below its mean):
        // pooled over every generation (accumulate) or reset each generation (replace).
        var count = 0.0, mean = 0.0, m2 = 0.0
        let divisorShift = estimator == .unbiased ? 1.0 : 0.0
        for n in 1...generations {
            if regime == .replace { count = 0; mean = 0; m2 = 0 }
            for _ in 0..<m {
                let x = mu + sd * Normal.next(using: &rng)
                count += 1
                let delta = x - mean
                mean += delta / count
                m2 += delta * (x - mean)
            }
            let v = m2 / (count - divisorShift)
            mu = mean
            sd = v.squareRoot()
            let g = generations
            out[n - 1] = mean * mean
            out[g + n - 1] = v
            out[2 * g + n - 1] = log(v / variance)
            let dsd = sd - variance.squareRoot()
            out[3 * g + n - 1] = mean * mean + dsd * dsd
        }
    }
}

/// A categorical distribution refit to its own samples: Wright–Fisher (proof W1). Truth `p`
/// over `K` symbols; each generation draws `M` symbols from the previous fit (generation 1 from
/// the truth) and refits the empirical frequencies. Replace uses the newest `M` symbols;
/// accumulate pools every generation's counts.
public struct CategoricalChain: Sendable, Equatable {
    public var truth: [Double]

    public init(truth: [Double]) {
        precondition(
            !truth.isEmpty && truth.allSatisfy { $0 >= 0 } && abs(truth.reduce(0, +) - 1) < 1e-9,
            "truth must be a probability vector")
        self.truth = truth
    }

    /// Writes per generation: the collision probability `Σ p̂_i²`, the support size (symbols
    /// with p̂ > 0), and 1 if the fit is a point mass (absorbed), else 0 — three series.
    public func run(
        regime: ClosedFormRegime, samples m: Int, generations: Int, rng: inout Xoshiro256StarStar,
        out: UnsafeMutableBufferPointer<Double>
    ) {
        let k = truth.count
        precondition(m >= 1 && out.count >= 3 * generations, "CategoricalChain.run: bad sizes")
        var p = truth
        var pooled = [Double](repeating: 0, count: k)
        var counts = [Double](repeating: 0, count: k)
        for n in 1...generations {
            // Inverse-CDF sampling of M symbols from p.
            var cdf = [Double](repeating: 0, count: k)
            var acc = 0.0
            for i in 0..<k { acc += p[i]; cdf[i] = acc }
            for i in 0..<k { counts[i] = 0 }
            for _ in 0..<m {
                let u = rng.nextUniform() * acc
                var lo = 0, hi = k - 1
                while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] > u { hi = mid } else { lo = mid + 1 } }
                counts[lo] += 1
            }
            let total: Double
            if regime == .replace {
                total = Double(m)
                for i in 0..<k { p[i] = counts[i] / total }
            } else {
                for i in 0..<k { pooled[i] += counts[i] }
                total = Double(n * m)
                for i in 0..<k { p[i] = pooled[i] / total }
            }
            var collision = 0.0, support = 0
            for q in p { collision += q * q; if q > 0 { support += 1 } }
            out[n - 1] = collision
            out[generations + n - 1] = Double(support)
            out[2 * generations + n - 1] = support == 1 ? 1 : 0
        }
    }
}
