import CollapseTheory

/// What a fixed-design linear chain draws and fits beyond the defaults of THEORY §0: the design's
/// covariance spectrum, the estimator, discounted accumulation and noisy test targets
/// (`collapse simulate --spectrum --beta --source --fit --ridge --discount --test-noise`).
///
/// The defaults (`standard`: isotropic design, OLS, no discounted series, noiseless test
/// targets) are the chain of `LinearChainSimulator`; anything else but `testNoise` is simulated by
/// `RidgeRefitSimulator`.
public struct ChainOptions: Sendable, Hashable {
    /// The covariance `Σ` of the design's rows, as `theory --model ridge` defines it
    /// (`RidgeSpectrum`).
    public enum Spectrum: Sendable, Hashable {
        /// `Σ = I`; `w* ~ N(0, I_d)` per replicate (THEORY §0).
        case isotropic
        /// `s_i = i^{−β}` (`s_1 = 1`) and the fixed truth of the source condition
        /// `s_i·w*_i² ∝ i^{−(1 + 2βr)}` with `‖w*‖²_Σ = 1` (`RidgeSpectrum.powerLaw`).
        case powerLaw(beta: Double, source: Double)

        /// Their names on the command line (`--spectrum`) and in config files.
        public static let names = ["isotropic", "power-law"]
    }

    public var spectrum: Spectrum
    /// nil: OLS (minimum-norm least squares). `λ ≥ 0`: ridge with the penalty convention of
    /// `theory --model exact` — `λ` on the mean squared loss of one generation's `T` samples,
    /// `ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T` for one fit; a pooled fit over generations with weights
    /// `ω_j` (1 for accumulate, `γ^{age}` discounted) solves `(Σ_j ω_j·XᵀX + TλI)ŵ = Σ_j ω_j·Xᵀy_j`
    /// (one penalty `Tλ‖w‖²` on the weighted stacked sum of squares; proof E1).
    public var ridge: Double?
    /// Discounted-accumulation series `γ ∈ [0, 1]` run beside the regimes (older generations
    /// weighted `γ^{age}`; γ = 1 is accumulate, γ = 0 replace).
    public var discounts: [Double]
    /// Noisy test targets: every error (and its theory) gains the label-noise variance `σ²`
    /// (THEORY §0).
    public var testNoise: Bool

    public init(spectrum: Spectrum = .isotropic, ridge: Double? = nil, discounts: [Double] = [], testNoise: Bool = false) {
        self.spectrum = spectrum
        self.ridge = ridge
        self.discounts = discounts
        self.testNoise = testNoise
    }

    /// Isotropic design, OLS, no discounted series, noiseless test targets.
    public static let standard = ChainOptions()

    /// The defaults for `--spectrum power-law`, as `theory --model ridge` takes them.
    public static let defaultBeta = 1.5
    public static let defaultSource = 0.5

    /// Whether the chain needs `RidgeRefitSimulator` (test noise alone does not: it adds a constant).
    public var needsRefitSimulator: Bool { spectrum != .isotropic || ridge != nil || !discounts.isEmpty }

    /// The power-law spectrum and its truth at dimension `d`; nil for the isotropic design.
    public func ridgeSpectrum(dimension d: Int) -> RidgeSpectrum? {
        guard case let .powerLaw(beta, source) = spectrum else { return nil }
        return .powerLaw(dimension: d, beta: beta, source: source)
    }

    /// Whether the fits are OLS (no penalty, or `λ = 0`: the minimum-norm limit), where the
    /// design-averaged closed forms apply.
    public var isUnpenalised: Bool { (ridge ?? 0) == 0 }
}
