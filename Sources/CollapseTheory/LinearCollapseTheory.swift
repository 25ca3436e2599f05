/// Closed-form test error of the fixed-design OLS collapse chain (THEORY §1).
///
/// Setting (proofs/README.md): design `X ∈ R^{T×d}` with i.i.d. `N(0, Σ)` rows, drawn once and
/// reused by every generation; `y₁ = Xw* + E₁`, `y_k = Xŵ_{k−1} + E_k`, `E_k ~ N(0, σ²I_T)`;
/// generation `n = 1` is the fit on real data only. Test error is the excess risk
/// `‖ŵ_n − w*‖²_Σ`. With `A = X⁺`, the estimation error is `ŵ_n − w* = A·Σ_{i≤n} E_i·a_i` where
/// `a_i = 1` (replace, proof T1) or `a_i = 1/i` (accumulate, proof T2); every formula below
/// follows from the noise multiplier `c_n = Σ_{i≤n} a_i²`.
///
/// This type never samples: Monte Carlo lives in `LinearCollapse` and is compared against it.
public enum LinearCollapseTheory {
    /// `Σ_{i≤n} 1/i²`, summed from the smallest term for accuracy. Increases to `π²/6`.
    public static func sumOfInverseSquares(_ n: Int) -> Double {
        precondition(n >= 0, "sumOfInverseSquares needs n ≥ 0, got \(n)")
        var s = 0.0
        var i = n
        while i >= 1 { let x = Double(i); s += 1 / (x * x); i -= 1 }
        return s
    }

    /// `π²/6 = Σ_{i≥1} 1/i²` (Basel problem): the accumulate chain's limiting multiplier.
    public static let baselLimit = Double.pi * Double.pi / 6

    /// The noise multiplier `c_n`: `n` under replace (T1), `Σ_{i≤n} 1/i²` under accumulate (T2).
    public static func noiseMultiplier(_ regime: ClosedFormRegime, generation n: Int) -> Double {
        precondition(n >= 1, "generation must be ≥ 1, got \(n)")
        switch regime {
        case .replace: return Double(n)
        case .accumulate: return sumOfInverseSquares(n)
        }
    }

    /// The noise multiplier of discounted accumulation with OLS fits (older generations weighted
    /// `γ^{age}`): `c_n = Σ_{j≤n} W_j⁻²` with `W_j = Σ_{i<j} γ^i` (`W_1 = 1`, `W_j = γW_{j−1} + 1`).
    /// Proof E1, Step 3 (`λ = 0`): every coordinate on the range of `XᵀX` is unbiased with variance
    /// `(σ²/g_i)·Σ_{j≤n} W_j⁻²`, so the error given `X` is `σ²c_n·tr(Σ(XᵀX)⁺)` as in T1/T2
    /// (full rank). `γ = 0` gives `n` (replace), `γ = 1` gives `Σ_{j≤n} 1/j²` (accumulate).
    public static func discountedNoiseMultiplier(discount gamma: Double, generation n: Int) -> Double {
        precondition(n >= 1, "generation must be ≥ 1, got \(n)")
        precondition(gamma >= 0 && gamma <= 1, "discount must be in [0, 1], got \(gamma)")
        var weights = [Double](repeating: 1, count: n)
        for j in 1..<n { weights[j] = gamma * weights[j - 1] + 1 }
        return weights.reversed().reduce(0) { $0 + 1 / ($1 * $1) }  // smallest terms first
    }

    /// `E[tr(Σ(XᵀX)⁻¹)] = d/(T − d − 1)` for Gaussian design (proof L1; inverse-Wishart mean).
    ///
    /// - Returns: `nil` when `T < d + 2`: for `T = d` or `d + 1` the expectation is infinite
    ///   (`(XᵀX)⁻¹` exists almost surely at `T = d`), and for `T < d` `(XᵀX)⁻¹` does not exist.
    public static func expectedTraceOfInverseGram(dimension d: Int, samples t: Int) -> Double? {
        precondition(d >= 1 && t >= 1, "dimension and samples must be ≥ 1, got d=\(d), T=\(t)")
        guard t >= d + 2 else { return nil }
        return Double(d) / Double(t - d - 1)
    }

    /// Expected test error at generation `n` over the Gaussian design (proofs T1, T2):
    /// replace `σ² n d/(T − d − 1)`; accumulate `σ² d/(T − d − 1) · Σ_{i≤n} 1/i²`.
    ///
    /// - Returns: `nil` when `T < d + 2` (the expectation is infinite or undefined).
    public static func expectedTestError(
        _ regime: ClosedFormRegime, generation n: Int,
        dimension d: Int, samples t: Int,
        noiseVariance sigma2: Double
    ) -> Double? {
        precondition(sigma2 >= 0 && sigma2.isFinite, "noise variance must be finite and ≥ 0, got \(sigma2)")
        guard let k = expectedTraceOfInverseGram(dimension: d, samples: t) else { return nil }
        return sigma2 * k * noiseMultiplier(regime, generation: n)
    }

    /// The accumulate bound `σ² d/(T − d − 1) · π²/6` (Gerstgrasser et al. 2024; proof T2),
    /// an upper bound on the expected test error at every generation. `nil` when `T < d + 2`.
    public static func accumulateBound(dimension d: Int, samples t: Int, noiseVariance sigma2: Double) -> Double? {
        precondition(sigma2 >= 0 && sigma2.isFinite, "noise variance must be finite and ≥ 0, got \(sigma2)")
        guard let k = expectedTraceOfInverseGram(dimension: d, samples: t) else { return nil }
        return sigma2 * k * baselLimit
    }

    /// Exact expected test error given the design and `w*` (proofs T1, T2, L2), for `Σ = I`:
    /// `E[‖ŵ_n − w*‖² | X, w*] = ‖(I − P)w*‖² + σ² c_n tr(G⁺)` with `G = XᵀX`,
    /// `P = X⁺X`. At full column rank the bias term is 0 and this is `σ² c_n K(X)`.
    ///
    /// - Parameters:
    ///   - traceOfGramPseudoInverse: `tr(G⁺)` (`K(X)` when `Σ = I`).
    ///   - bias: `‖(I − P)w*‖²`, zero at full column rank.
    public static func testErrorGivenDesign(
        _ regime: ClosedFormRegime, generation n: Int,
        noiseVariance sigma2: Double,
        traceOfGramPseudoInverse: Double,
        bias: Double = 0
    ) -> Double {
        testErrorGivenDesign(
            noiseMultiplier: noiseMultiplier(regime, generation: n), noiseVariance: sigma2,
            traceOfGramPseudoInverse: traceOfGramPseudoInverse, bias: bias)
    }

    /// The same, from the noise multiplier `c_n` (to avoid recomputing `Σ 1/i²` in loops).
    @inlinable
    public static func testErrorGivenDesign(
        noiseMultiplier c: Double, noiseVariance sigma2: Double,
        traceOfGramPseudoInverse: Double, bias: Double = 0
    ) -> Double {
        bias + sigma2 * c * traceOfGramPseudoInverse
    }

    /// Exact variance of the test error given the design and `w*` (proof L2), for `Σ = I`:
    /// `Var[‖ŵ_n − w*‖² | X, w*] = 2σ⁴ c_n² tr((G⁺)²)`. (The bias–noise cross term has zero
    /// variance here because `G⁺(I − P) = 0`.)
    public static func testErrorVarianceGivenDesign(
        _ regime: ClosedFormRegime, generation n: Int,
        noiseVariance sigma2: Double,
        traceOfGramPseudoInverseSquared: Double
    ) -> Double {
        testErrorVarianceGivenDesign(
            noiseMultiplier: noiseMultiplier(regime, generation: n), noiseVariance: sigma2,
            traceOfGramPseudoInverseSquared: traceOfGramPseudoInverseSquared)
    }

    /// The same, from the noise multiplier `c_n`.
    @inlinable
    public static func testErrorVarianceGivenDesign(
        noiseMultiplier c: Double, noiseVariance sigma2: Double,
        traceOfGramPseudoInverseSquared: Double
    ) -> Double {
        2 * sigma2 * sigma2 * c * c * traceOfGramPseudoInverseSquared
    }
}

/// The regimes with a closed form for the fixed-design OLS chain.
public enum ClosedFormRegime: String, CaseIterable, Sendable {
    /// Train on the newest generation's data only (proof T1).
    case replace
    /// Train on the real data plus every synthetic generation so far (proof T2).
    case accumulate
}
