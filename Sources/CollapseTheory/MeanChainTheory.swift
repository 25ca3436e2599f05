import Foundation

/// Exact risk of the two simplest refitting chains (proof U1; Dey & Donoho 2024, arXiv
/// 2410.22812): the Poisson-rate MLE and the Gaussian-mean MLE with known variance, each fit to
/// `M` samples per generation, generation 1 on real data.
///
/// Both estimates are martingales (`E θ̂_n = θ`), and with `v = λ` (Poisson) or `v = σ²`
/// (Gaussian) the mean squared error is exactly, at every finite `M`:
/// - replace: `E(θ̂_n − θ)² = n·v/M` (unbounded);
/// - accumulate: `E(θ̂_n − θ)² = (v/M)·Σ_{i≤n} 1/i² ≤ (v/M)·π²/6`.
/// The same noise multiplier `c_n` as the linear chain (proofs T1, T2): the π²/6 pathway.
public enum MeanChainTheory {
    /// `E(θ̂_n − θ)²` for per-sample variance `v` (`λ` or `σ²`) and `M` samples per generation.
    public static func meanSquaredError(_ regime: ClosedFormRegime, generation n: Int, variance v: Double, samples m: Int) -> Double {
        precondition(m >= 1, "samples per generation must be ≥ 1, got \(m)")
        precondition(v >= 0 && v.isFinite, "variance must be finite and ≥ 0, got \(v)")
        return v / Double(m) * LinearCollapseTheory.noiseMultiplier(regime, generation: n)
    }
}

/// Mixing fresh real data with synthetic data (proof G1), for a Gaussian mean with known
/// variance and `M` real plus `M` synthetic samples per generation: `μ̂_n = w·r_n + (1 − w)·s_n`
/// with `r_n` the fresh real mean, `s_n` the mean of samples from the previous fit, and `w` the
/// real-data weight; generation 1 fits real data only. With `b = σ²/M`:
/// `v_n = v_∞ + (1 − w)^{2(n−1)}(b − v_∞)`, `v_∞ = b·(w² + (1 − w)²)/(w(2 − w))`, minimised at
/// `w* = (√5 − 1)/2` where `v_∞ = w*·b ≈ 0.618·b`.
public enum GoldenRatioMixing {
    /// `w* = (√5 − 1)/2`, the real-data weight that minimises the long-run error.
    public static let optimalWeight = (5.0.squareRoot() - 1) / 2

    /// `v_∞/b = (w² + (1 − w)²)/(w(2 − w))` for `0 < w ≤ 1`.
    public static func longRunFactor(weight w: Double) -> Double {
        precondition(w > 0 && w <= 1, "real-data weight must be in (0, 1], got \(w)")
        return (w * w + (1 - w) * (1 - w)) / (w * (2 - w))
    }

    /// `v_n` at generation `n ≥ 1` for base error `b = σ²/M`:
    /// `v_n = q^{n−1}·b + (1 − q^{n−1})·v_∞`, `q = (1 − w)²` (proof G1).
    ///
    /// Computed as `b·q^{n−1} + b·(w² + (1−w)²)/(2 − w)·[(1 − q^{n−1})/w]` with
    /// `q^{n−1} = exp(2(n−1)·log1p(−w))` and `1 − q^{n−1} = −expm1(2(n−1)·log1p(−w))`: the textbook
    /// form `v_∞ + q^{n−1}(b − v_∞)` cancels catastrophically for small `w` (v_∞ ≈ b/(2w) is
    /// huge while v_n ≈ n·b), giving 0 or a wrong value at w = 1e−15; this form keeps full
    /// relative accuracy for every `w ∈ (0, 1]`.
    public static func meanSquaredError(generation n: Int, weight w: Double, base b: Double) -> Double {
        precondition(n >= 1, "generation must be ≥ 1, got \(n)")
        precondition(w > 0 && w <= 1, "real-data weight must be in (0, 1], got \(w)")
        if n == 1 { return b }
        let exponent = 2 * Double(n - 1) * Foundation.log1p(-w)
        let decay = Foundation.exp(exponent), complement = -Foundation.expm1(exponent)
        return b * decay + b * (w * w + (1 - w) * (1 - w)) / (2 - w) * (complement / w)
    }
}
