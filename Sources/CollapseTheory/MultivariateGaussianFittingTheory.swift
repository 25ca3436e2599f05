import Foundation

/// Refitting a `d`-dimensional Gaussian to its own samples (Shumailov et al. 2024, arXiv
/// 2305.17493; proof G4, which extends G3). Truth `N(μ, Σ)`, `Σ ≻ 0` with eigenvalues
/// `λ₁ ≥ … ≥ λ_d`; each generation draws `M ≥ 2` points from the previous fit and refits the mean
/// and the covariance `Σ̂ = S/c` (`S` the scatter about the mean; `c = M − 1` unbiased, `M` MLE;
/// under accumulate the pooled scatter of all `nM` points over `c_n = nM − 1` or `nM`).
///
/// Exact (G3 item 6, G4 items 1 and 3), with `s_n` = `covarianceRatio` and `e_n` = `meanErrorRatio`:
/// - `E Σ̂_n = s_n·Σ` and `E(μ̂_n − μ)(μ̂_n − μ)ᵀ = e_n·Σ`, with the *same* scalars as the 1-D
///   chain (G3 items 2, 3, 7) in both regimes; hence `E‖μ̂_n − μ‖² = e_n·tr Σ` (Euclidean, the
///   one `W₂` uses), `E‖μ̂_n − μ‖²_{Σ⁻¹} = e_n·d`, `E tr Σ̂_n = s_n·tr Σ`;
/// - replace, `M ≥ d + 1`: `E log det Σ̂_n − log det Σ = n·Σ_{i≤d}(ψ((M−i)/2) + log(2/c)) < 0`
///   (Bartlett), so `det Σ̂_n → 0` a.s.
///
/// `W₂` (G4 items 4–5, Steps 4–6): `E W₂²(N(μ̂_n, Σ̂_n), N(μ, Σ)) = tr Σ·(e_n + s_n + 1) − 2C_n` with
/// `C_n = E tr((Σ^{1/2} Σ̂_n Σ^{1/2})^{1/2})`. `C_n` depends on `Σ` only through its spectrum and
/// is proved to lie in
/// - replace: `Σ_i λ_i ρ_iⁿ ≤ C_n ≤ ρ₁ⁿ·tr Σ`, `ρ_i = E√(χ²_{M−i}/c)` (`ρ_i = 0` for `i ≥ M`);
/// - accumulate: `Σ_i λ_i ρ_i ∏_{k=2}^{n} h(c_{k−1}, M−i)/√c_k ≤ C_n ≤ ρ₁·√(s_n/s₁)·tr Σ`, with
///   `h(c, j) = √(c + j)/√(1 + 2j/(c + j)²) ≤ E√(c + χ²_j)`;
/// (in the lower bounds the eigenvalues and the weights are both sorted in decreasing order).
/// Both bounds coincide for `d = 1` (replace; accumulate at `n = 1`), giving G3 item 5 exactly.
/// For `d > 1` no closed form of `C_n` is derived: `E W₂²` is a simulated column with these bounds.
public enum MultivariateGaussianFittingTheory {
    public typealias Estimator = GaussianFittingTheory.Estimator

    /// The divisor `c_n` of the pooled scatter at generation `n` (`c₁ = c` under replace).
    static func divisor(_ e: Estimator, regime: ClosedFormRegime, generation n: Int, samples m: Int) -> Double {
        let pooled = regime == .replace ? m : n * m
        return Double(e == .unbiased ? pooled - 1 : pooled)
    }

    /// `s_n` with `E Σ̂_n = s_n·Σ`: replace `((M − 1)/c)ⁿ`; accumulate `∏_{k≤n}(1 − 1/(Mk²))` (MLE)
    /// or `∏_{2≤k≤n}(1 − 1/(k(kM − 1)))` (unbiased). Proof G3 items 6–7 and G4 item 1.
    public static func covarianceRatio(_ e: Estimator, regime: ClosedFormRegime, generation n: Int, samples m: Int) -> Double {
        regime == .replace
            ? GaussianFittingTheory.varianceRatio(e, generation: n, samples: m)
            : GaussianFittingTheory.accumulateVarianceRatio(e, generation: n, samples: m)
    }

    /// `e_n` with `E(μ̂_n − μ)(μ̂_n − μ)ᵀ = e_n·Σ`: `(1/M)Σ_{k<n} s_k` (replace) or
    /// `(1/M)Σ_{k≤n} s_{k−1}/k²` (accumulate), `s₀ = 1`. Proof G3 item 6 and G4 item 1.
    public static func meanErrorRatio(_ e: Estimator, regime: ClosedFormRegime, generation n: Int, samples m: Int) -> Double {
        regime == .replace
            ? GaussianFittingTheory.meanErrorRatio(e, generation: n, samples: m)
            : GaussianFittingTheory.accumulateMeanErrorRatio(e, generation: n, samples: m)
    }

    /// `E√(χ²_k/c) = √(2/c)·Γ((k+1)/2)/Γ(k/2)`, and `0` for `k = 0` (`χ²₀ ≡ 0`).
    public static func chiRootMean(degreesOfFreedom k: Int, divisor c: Double) -> Double {
        precondition(k >= 0 && c > 0, "need k ≥ 0 and c > 0")
        if k == 0 { return 0 }
        return (2 / c).squareRoot() * exp(lgamma(Double(k + 1) / 2) - lgamma(Double(k) / 2))
    }

    /// `√(c + j)/√(1 + 2j/(c + j)²) ≤ E√(c + χ²_j)` (Hölder: `E Y ≤ (E√Y)^{2/3}(E Y²)^{1/3}`, G4 Step 6).
    public static func rootMeanLowerBound(shift c: Double, degreesOfFreedom j: Int) -> Double {
        precondition(c >= 0 && j >= 0 && c + Double(j) > 0, "need c ≥ 0, j ≥ 0, c + j > 0")
        let mean = c + Double(j)
        return mean.squareRoot() / (1 + 2 * Double(j) / (mean * mean)).squareRoot()
    }

    /// Replace, `M ≥ d + 1`: `E log det Σ̂_n − log det Σ = n·Σ_{i=1}^{d}(ψ((M−i)/2) + log(2/c))`
    /// (G4 item 3); nil for `M ≤ d`, where `Σ̂_n` is singular and the expectation is `−∞`.
    public static func expectedLogDeterminantRatio(_ e: Estimator, generation n: Int, samples m: Int, dimension d: Int) -> Double? {
        precondition(m >= 2 && n >= 1 && d >= 1, "need M ≥ 2, n ≥ 1, d ≥ 1")
        guard m >= d + 1 else { return nil }
        let c = e == .unbiased ? Double(m - 1) : Double(m)
        var s = 0.0
        for i in 1...d { s += GaussianFittingTheory.digamma(Double(m - i) / 2) + log(2 / c) }
        return Double(n) * s
    }

    /// The exact moments and the `W₂` bounds at one generation, for a truth with eigenvalues
    /// `eigenvalues` (any order; all that matters of `Σ`, G4 item 2).
    public struct Moments: Sendable, Equatable {
        /// `s_n`, with `E Σ̂_n = s_n·Σ`.
        public var covarianceRatio: Double
        /// `e_n`, with `E(μ̂_n − μ)(μ̂_n − μ)ᵀ = e_n·Σ`.
        public var meanErrorRatio: Double
        /// `E‖μ̂_n − μ‖² = e_n·tr Σ`.
        public var meanSquaredError: Double
        /// `E tr Σ̂_n = s_n·tr Σ`.
        public var expectedTrace: Double
        /// `E log det Σ̂_n − log det Σ` (replace with `M ≥ d + 1`; nil otherwise).
        public var expectedLogDeterminantRatio: Double?
        /// Lower and upper bounds on `E W₂²(N(μ̂_n, Σ̂_n), N(μ, Σ))`.
        public var wassersteinLower: Double
        public var wassersteinUpper: Double
        /// `E W₂²` where the bounds coincide by theorem (`d = 1`: replace, or accumulate at `n = 1`).
        public var wassersteinExact: Double?
    }

    /// `Moments` at generation `n`.
    public static func moments(
        _ e: Estimator, regime: ClosedFormRegime, generation n: Int, samples m: Int,
        eigenvalues: [Double]
    ) -> Moments {
        curve(e, regime: regime, generations: n, samples: m, eigenvalues: eigenvalues)[n - 1]
    }

    /// `Moments` at generations `1…generations`, by the one-step recursions (`O(generations·d)`):
    /// `s_n = s_{n−1}·r_n` with `r_n = (M−1)/c` (replace) or `(c_{n−1} + M − 1/n)/c_n`
    /// (accumulate, `n ≥ 2`; G3 Step 7, G4 Step 1), and `e_n = e_{n−1} + s_{n−1}/M` (replace) or
    /// `+ s_{n−1}/(Mn²)` (accumulate).
    public static func curve(
        _ e: Estimator, regime: ClosedFormRegime, generations g: Int, samples m: Int,
        eigenvalues: [Double]
    ) -> [Moments] {
        precondition(
            m >= 2 && g >= 1 && !eigenvalues.isEmpty && eigenvalues.allSatisfy { $0 > 0 && $0.isFinite },
            "need M ≥ 2, generations ≥ 1 and positive finite eigenvalues")
        let lambda = eigenvalues.sorted(by: >), d = lambda.count
        let trace = lambda.reduce(0, +), md = Double(m)
        let c1 = divisor(e, regime: regime, generation: 1, samples: m)
        // ρ_i = E√(χ²_{M−i}/c₁), the first factor of both bounds (G4 Steps 5–6), decreasing in i.
        let rho = (1...d).map { chiRootMean(degreesOfFreedom: max(m - $0, 0), divisor: c1) }
        let logDetStep = regime == .replace ? expectedLogDeterminantRatio(e, generation: 1, samples: m, dimension: d) : nil
        var s = 1.0, meanError = 0.0, upperFactor = 1.0
        var weights = [Double](repeating: 1, count: d)
        var out: [Moments] = []
        out.reserveCapacity(g)
        for n in 1...g {
            let nd = Double(n)
            if regime == .replace || n == 1 {
                meanError += s / md
                s *= (md - 1) / c1
                upperFactor *= rho[0]
                for i in 0..<d { weights[i] *= rho[i] }
            } else {
                let previous = divisor(e, regime: .accumulate, generation: n - 1, samples: m)
                let current = divisor(e, regime: .accumulate, generation: n, samples: m)
                meanError += s / (md * nd * nd)
                let r = (previous + md - 1 / nd) / current
                s *= r
                upperFactor *= r.squareRoot()
                for i in 0..<d { weights[i] *= rootMeanLowerBound(shift: previous, degreesOfFreedom: max(m - i - 1, 0)) / current.squareRoot() }
            }
            // Any pairing of eigenvalues with weights is a valid lower bound; descending with
            // descending is the largest (rearrangement inequality).
            let lowerCross = zip(lambda, weights.sorted(by: >)).reduce(0) { $0 + $1.0 * $1.1 }
            let upperCross = upperFactor * trace
            let base = trace * (meanError + s + 1)
            let exact = d == 1 && (regime == .replace || n == 1)
            out.append(
                Moments(
                    covarianceRatio: s, meanErrorRatio: meanError, meanSquaredError: meanError * trace, expectedTrace: s * trace,
                    expectedLogDeterminantRatio: logDetStep.map { nd * $0 },
                    wassersteinLower: base - 2 * upperCross, wassersteinUpper: base - 2 * lowerCross,
                    wassersteinExact: exact ? base - 2 * upperCross : nil))
        }
        return out
    }
}
