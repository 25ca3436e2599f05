/// The closed-form models of `collapse theory`: name, formula with its proof ids, and which
/// columns of each model's table are values (metrics of the long results format) rather than
/// parameters.
public enum TheoryCatalogue {
    public struct Model: Sendable {
        public var name: String
        public var formula: String
        /// (column of the model's table, metric name in the long format).
        public var metrics: [(column: String, metric: String)]
        /// Columns that are functions of the generation (left out of the long format).
        public var derived: [String] = []
    }

    public static let ridgeFormula = """
        ridge downstream of Dohmatob et al.'s fresh-design OLS generator chain, general Σ (proof R1; verify R1–R3): \
        κ − λ = κ·df₁/T, df_m = tr Σ^m(Σ+κI)^−m; E‖ŵ − w*‖²_Σ ≈ κ²w*ᵀΣ(Σ+κI)⁻²w*/(1 − df₂/T) + σ²df₂/(T − df₂) \
        + nσ₀²/(T₀−d−1)·[df₂ + κ²tr(Σ+κI)⁻²·df₂/(T − df₂)] after n = N − 1 synthetic generations; ‖w*‖²_Σ = 1; \
        --ridge optimal minimises it over λ
        """

    public static let models: [Model] = [
        Model(
            name: "linear", formula: "fixed-design OLS chain: replace σ²·n·d/(T−d−1), accumulate σ²·d/(T−d−1)·Σ1/i² ≤ ·π²/6 (proofs T1, T2; verify V1–V8)",
            metrics: [("theory_test_error", "test_error"), ("accumulate_bound", "accumulate_bound")]),
        Model(
            name: "exact",
            formula:
                "given one design X and truth w* (drawn as `simulate --seed S` replicate R draws them, or read from --design-file/--truth-file): the exact E‖ŵ_n − w*‖² | X of ridge chains (--ridge λ, 0 = min-norm, on the mean squared loss) under replace, accumulate, fresh-real (--real-fraction) and discounted accumulation (--discount γ), by propagation in the eigenbasis of XᵀX (proof E1; verify E1–E5)",
            metrics: [("theory_given_design", "test_error_given_design")]),
        Model(
            name: "fresh-design",
            formula:
                "fresh Gaussian design every generation (proofs D1, O1; verify F1–F3, O1): replace Σ_k σ_k²·d/(T_k−d−1), or for T ≤ d−2 (min-norm) d(1−qⁿ) + σ²T/(d−T−1)·(1−qⁿ)/(1−q), q = T/d; accumulate Σ_i σ_i²(T_i/m_i)·d/(m_i−d−1), m_i = T₁+…+T_i; with --generator-samples T₀ --generator-noise-variance σ₀², Dohmatob et al.'s chain: σ²d/(T−d−1) + n·σ₀²d/(T₀−d−1) after n synthetic generations (our generation n + 1)",
            metrics: [("theory_test_error", "test_error")], derived: ["synthetic_generations"]),
        Model(
            name: "ridge", formula: ridgeFormula,
            metrics: [("theory_test_error", "test_error"), ("bias", "bias"), ("variance", "variance"), ("collapse", "collapse")],
            derived: ["synthetic_generations"]),
        Model(
            name: "poisson", formula: "Poisson-rate MLE on M samples: replace n·λ/M, accumulate (λ/M)·Σ1/i² (proof U1; verify U1)",
            metrics: [("theory_mse", "mse")]),
        Model(
            name: "gaussian-mean", formula: "Gaussian-mean MLE, known σ², M samples: replace n·σ²/M, accumulate (σ²/M)·Σ1/i² (proof U1; verify U2)",
            metrics: [("theory_mse", "mse")]),
        Model(
            name: "gaussian-refit",
            formula:
                "Gaussian refit to its own M samples (--estimator unbiased|mle), replace: E(μ̂−μ)² = nσ²/M or σ²(1−qⁿ), E σ̂² = σ² or qⁿσ², q = (M−1)/M; accumulate: E σ̂²/σ² = ∏(1 − 1/(Mk²)) (MLE) (proof G3; verify G3, G4)",
            metrics: [("mean_squared_error", "mean_squared_error"), ("expected_variance", "expected_variance")]),
        Model(
            name: "gaussian-refit-d",
            formula:
                "d-dimensional Gaussian refit, truth N(μ, Σ) given by --covariance-eigenvalues (or σ²I_d): E Σ̂_n = s_n·Σ, E(μ̂−μ)(μ̂−μ)ᵀ = e_n·Σ with gaussian-refit's scalars, E log det Σ̂_n (replace, M > d), and bounds on E W₂² (exact for d = 1) (proofs G3, G4; verify G5, G6)",
            metrics: [
                ("covariance_ratio", "covariance_ratio"), ("mean_error_ratio", "mean_error_ratio"), ("mean_squared_error", "mean_squared_error"),
                ("expected_trace", "expected_trace"), ("expected_log_det_ratio", "expected_log_det_ratio"), ("wasserstein2_lower", "wasserstein2_lower"),
                ("wasserstein2_upper", "wasserstein2_upper"), ("wasserstein2_exact", "wasserstein2_exact")
            ]),
        Model(
            name: "categorical",
            formula:
                "categorical refit (Wright–Fisher), truth Zipf(--zipf-support K, --zipf-exponent s): replace 1 − E Σp̂² = (1−1/M)ⁿ(1 − Σp²); accumulate (1 − Σp²)∏(1 − 1/(Mk²)) (proof W1; verify W1)",
            metrics: [("expected_collision", "collision")]),
        Model(
            name: "mixing",
            formula:
                "fresh real + synthetic Gaussian mean, weight w: v_n = v∞ + (1−w)^{2(n−1)}(b − v∞), v∞ = b(w²+(1−w)²)/(w(2−w)), b = σ²/M; best w* = (√5−1)/2 (proof G1; verify G1, G2)",
            metrics: [("theory_mse", "mse")])
    ]

    public static func model(_ name: String) -> Model? { models.first { $0.name == name } }
}
