/// The deterministic equivalent of ridge refits on a fixed design (`collapse simulate --fit ridge`,
/// `ChainOptions.ridge`'s convention: `(W_n·XᵀX + TλI)ŵ_n = Σ_j ω_j·Xᵀy_j`), where the exact
/// given-design risk is a sum of single-ridge functionals (proof E1, Remark 5; R1, Theorem 3 for each).
///
/// - **Generation 1** of every regime is one ridge fit on real data,
///   `ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T`: R1's setting with no synthetic generation, so its equivalent is
///   `B(λ) + V(σ², λ)` (`terms(…, syntheticGenerations: 0, …)`).
/// - **Accumulate**, generation `n`: by E1 the mean of the fit stays the ridge(λ) fit of `w*` and
///   in the eigenbasis of `G = XᵀX` the variance is `σ²g_i·Σ_{k≤n}(k·g_i + Tλ)⁻²`; since
///   `(kG + TλI)⁻¹G(kG + TλI)⁻¹ = (1/(T k²))·R_{λ/k}ĜR_{λ/k}` with `Ĝ = G/T`, `R_μ = (Ĝ + μI)⁻¹`,
///   `E[‖ŵ_n − w*‖²_Σ | X] = ‖(I − S_λ)w*‖²_Σ + Σ_{k≤n} (σ²/k²)·(1/T)tr(ΣR_{λ/k}ĜR_{λ/k})` exactly:
///   the bias of one ridge fit at `λ` plus the variances of ridge fits at `λ/k` with noise `σ²/k²`.
///   Each term has R1's equivalent, so `DE_n = B(λ) + Σ_{k≤n} (σ²/k²)·df₂(κ_k)/(T − df₂(κ_k))`,
///   `κ_k = κ(λ/k)`. At `λ = 0`, `T > d`: `σ²d/(T − d)·Σ_{k≤n} 1/k²` (T2 has `T − d − 1`).
/// - Replace and discounted series after generation 1 involve `tr(ΣĜ^{2k+1}R^{2k+2})`, higher
///   powers of one resolvent, which R1 does not cover: no equivalent is offered (nil).
///
/// The equivalent is asymptotic (`d, T → ∞` proportionally); its finite-size relative error is
/// `O(1/d)` (R1 §5, measured; not a bound).
extension RidgeDeterministicEquivalent {
    /// Which refit series an equivalent is asked for.
    public enum RefitSeries: Sendable, Equatable {
        case replace
        case accumulate
        case discounted(gamma: Double)
    }

    /// `E‖ŵ_n − w*‖²_Σ ≈ DE` for generation `n` of the refit chain; nil where no equivalent is
    /// derived (replace or discounted after generation 1) or it is infinite (`λ = 0`, `d = T`).
    public static func refitChain(
        _ series: RefitSeries, generation n: Int, spectrum: RidgeSpectrum, samples t: Int,
        noiseVariance s2: Double, ridge lambda: Double
    ) -> Double? {
        precondition(n >= 1, "generation must be ≥ 1, got \(n)")
        func single(noise: Double, ridge: Double) -> Terms? {
            terms(
                spectrum: spectrum, samples: t, noiseVariance: noise, ridge: ridge, syntheticGenerations: 0,
                generatorSamples: spectrum.dimension + 2, generatorNoiseVariance: 0)
        }
        guard let first = single(noise: s2, ridge: lambda) else { return nil }
        if n == 1 { return first.bias + first.variance }
        guard series == .accumulate else { return nil }
        var total = first.bias
        for k in 1...n {
            let kk = Double(k)
            guard let term = single(noise: s2 / (kk * kk), ridge: lambda / kk) else { return nil }
            total += term.variance
        }
        return total
    }
}
