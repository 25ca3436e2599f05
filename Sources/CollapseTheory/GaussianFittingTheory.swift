import Foundation

/// Refitting a Gaussian to its own samples (Shumailov et al. 2024, arXiv 2305.17493; proof
/// G3): `M` samples per generation, generation 1 fit to real `N(μ, σ²)` data, later ones to
/// samples from the previous fit; replace. With `q = (M − 1)/M`:
/// - mean: `E(μ̂_n − μ)² = (σ²/M)·Σ_{k<n} E σ̂²_k/σ²` = `nσ²/M` (unbiased variance) or
///   `(σ²/M)·Σ_{k=0}^{n−1} q^k` (MLE variance);
/// - variance: `E σ̂²_n = σ²` (unbiased: a martingale) or `qⁿσ²` (MLE); in `d` dimensions the
///   MLE covariance has `E Σ̂_n = qⁿΣ`;
/// - collapse: `σ̂²_n = σ² ∏_{k≤n} χ²_{M−1,k}/c` with independent factors (`c = M − 1` unbiased,
///   `M` MLE), so `E log σ̂²_n = log σ² + n·(ψ((M−1)/2) + log(2/c))`, which decreases linearly:
///   `σ̂²_n → 0` almost surely even though the unbiased `E σ̂²_n = σ²` for every `n`.
public enum GaussianFittingTheory {
    public enum Estimator: String, Sendable, CaseIterable {
        /// `σ̂² = Σ(x − x̄)²/(M − 1)`.
        case unbiased
        /// `σ̂² = Σ(x − x̄)²/M`.
        case mle
    }

    /// `E σ̂²_n / σ²`.
    public static func varianceRatio(_ e: Estimator, generation n: Int, samples m: Int) -> Double {
        precondition(m >= 2 && n >= 1, "need M ≥ 2 and n ≥ 1")
        return e == .unbiased ? 1 : pow(Double(m - 1) / Double(m), Double(n))
    }

    /// `E(μ̂_n − μ)² / σ²`.
    public static func meanErrorRatio(_ e: Estimator, generation n: Int, samples m: Int) -> Double {
        precondition(m >= 2 && n >= 1, "need M ≥ 2 and n ≥ 1")
        var s = 0.0
        for k in 0..<n { s += k == 0 ? 1 : varianceRatio(e, generation: k, samples: m) }
        return s / Double(m)
    }

    /// `E log(σ̂²_n/σ²) = n·(ψ((M−1)/2) + log(2/c))`.
    public static func expectedLogVarianceRatio(_ e: Estimator, generation n: Int, samples m: Int) -> Double {
        precondition(m >= 2 && n >= 1, "need M ≥ 2 and n ≥ 1")
        let c = e == .unbiased ? Double(m - 1) : Double(m)
        return Double(n) * (digamma(Double(m - 1) / 2) + log(2 / c))
    }

    /// Accumulate (every generation's samples pooled; proof G3, accumulate section):
    /// `E σ̂²_n/σ² = ∏_{k≤n}(1 − 1/(Mk²))` (MLE) or `∏_{2≤k≤n}(1 − 1/(k(kM − 1)))` (unbiased),
    /// bounded away from 0: no collapse.
    public static func accumulateVarianceRatio(_ e: Estimator, generation n: Int, samples m: Int) -> Double {
        precondition(m >= 2 && n >= 1, "need M ≥ 2 and n ≥ 1")
        var p = 1.0
        for k in 1...n {
            let kd = Double(k), md = Double(m)
            if e == .mle { p *= 1 - 1 / (md * kd * kd) } else if k >= 2 { p *= 1 - 1 / (kd * (kd * md - 1)) }
        }
        return p
    }

    /// Accumulate: `E(μ̂_n − μ)²/σ² = (1/M)·Σ_{k≤n} (E σ̂²_{k−1}/σ²)/k²` with `σ̂²_0 := σ²`.
    public static func accumulateMeanErrorRatio(_ e: Estimator, generation n: Int, samples m: Int) -> Double {
        precondition(m >= 2 && n >= 1, "need M ≥ 2 and n ≥ 1")
        var s = 0.0
        for k in 1...n {
            let previous = k == 1 ? 1 : accumulateVarianceRatio(e, generation: k - 1, samples: m)
            s += previous / Double(k * k)
        }
        return s / Double(m)
    }

    /// The digamma function `ψ(x)` for `x > 0`: recurrence `ψ(x) = ψ(x + 1) − 1/x` up to
    /// `x ≥ 20`, then the asymptotic series through the x⁻¹⁰ term (truncation error < 1e-17 there).
    public static func digamma(_ x: Double) -> Double {
        precondition(x > 0, "digamma needs x > 0, got \(x)")
        var x = x, shift = 0.0
        while x < 20 { shift -= 1 / x; x += 1 }
        let f = 1 / (x * x)
        let series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))))
        return shift + log(x) - 0.5 / x - series
    }
}

/// Refitting a categorical distribution to its own samples: a Wright–Fisher chain (Shumailov
/// et al. 2024; Seddik et al. 2024, arXiv 2404.05090; proof W1). With `M` samples per
/// generation, the collision probability `S = Σ_i p_i²` satisfies, under replace,
/// `1 − E S_n = (1 − 1/M)ⁿ(1 − S₀)`, with `S₀` that of the truth: the chain ends at a point mass.
public enum CategoricalChainTheory {
    public static func expectedCollision(generation n: Int, samples m: Int, truthCollision s0: Double) -> Double {
        precondition(m >= 1 && n >= 1 && s0 >= 0 && s0 <= 1, "need M ≥ 1, n ≥ 1, 0 ≤ S₀ ≤ 1")
        return 1 - pow(1 - 1 / Double(m), Double(n)) * (1 - s0)
    }

    /// Accumulate (pooled counts; proof W1): `1 − E S_n = (1 − S₀)·∏_{k≤n}(1 − 1/(Mk²))`, which
    /// stays above `(1 − S₀)·sin(π/√M)/(π/√M)`: diversity is not lost.
    public static func accumulateExpectedCollision(generation n: Int, samples m: Int, truthCollision s0: Double) -> Double {
        precondition(m >= 1 && n >= 1 && s0 >= 0 && s0 <= 1, "need M ≥ 1, n ≥ 1, 0 ≤ S₀ ≤ 1")
        var p = 1.0
        for k in 1...n { p *= 1 - 1 / (Double(m) * Double(k * k)) }
        return 1 - (1 - s0) * p
    }

    /// The Zipf law `p_i ∝ i^{−s}`, `i = 1…K`, and its collision probability.
    public static func zipf(support k: Int, exponent s: Double) -> [Double] {
        precondition(k >= 1 && s >= 0 && s.isFinite, "Zipf needs K ≥ 1 and s ≥ 0")
        let w = (1...k).map { pow(Double($0), -s) }
        let z = w.reduce(0, +)
        return w.map { $0 / z }
    }
}
