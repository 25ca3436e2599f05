import CollapseExport

/// The closed-form tables of `collapse theory`, one row per parameter point and generation, in
/// the column layout `--format wide` prints (`LongResults.fromClosedForms` turns any of them into
/// the long results format). Each function is the formula of its proof evaluated over a grid;
/// the callers have checked the conditions (T ≥ d + 2, M ≥ 2, …).
public enum TheoryTables {
    /// Proofs T1, T2: `E‖ŵ_n − w*‖²` of the fixed-design OLS chain and the accumulate bound, per
    /// cell `(d, T, σ²)` (cells in the given order), regime and generation.
    /// `rows` hears of each row written, `cellFinished` of each cell (progress of a large grid).
    public static func linear(
        cells: [(dimension: Int, samples: Int, noiseVariance: Double)], regimes: [ClosedFormRegime],
        generations n: Int, rows: ((Int) -> Void)? = nil, cellFinished: (() -> Void)? = nil
    ) -> CSVTable {
        var table = CSVTable(header: ["regime", "generation", "dimension", "samples", "noise_variance", "theory_test_error", "accumulate_bound"])
        for cell in cells {
            let bound = LinearCollapseTheory.accumulateBound(dimension: cell.dimension, samples: cell.samples, noiseVariance: cell.noiseVariance)
            for form in regimes {
                for g in 1...n {
                    let v = LinearCollapseTheory.expectedTestError(
                        form, generation: g, dimension: cell.dimension, samples: cell.samples,
                        noiseVariance: cell.noiseVariance)
                    table.append([
                        form.rawValue, String(g), String(cell.dimension), String(cell.samples),
                        CSVField.number(cell.noiseVariance), CSVField.number(v), CSVField.number(bound)
                    ])
                    rows?(1)
                }
            }
            cellFinished?()
        }
        return table
    }

    /// Proofs D1, O1: a fresh Gaussian design every generation; with generators `(T₀, σ₀²)`, the
    /// Dohmatob chain (generations 1…n−1 are generators, generation n the downstream fit).
    public static func freshDesign(
        dimensions: [Int], samples: [Int], noiseVariances: [Double], generatorSamples: Int?,
        generatorNoiseVariance: Double?, regimes: [ClosedFormRegime], generations: Int
    ) -> CSVTable {
        var table = CSVTable(header: [
            "model", "regime", "generation", "synthetic_generations", "dimension", "samples", "noise_variance",
            "generator_samples", "generator_noise_variance", "theory_test_error"
        ])
        for d in dimensions {
            for t in samples {
                for s2 in noiseVariances {
                    let t0 = generatorSamples ?? t, s0 = generatorNoiseVariance ?? s2
                    for form in regimes {
                        for n in 1...generations {
                            let schedule = Array(repeating: (t0, s0), count: n - 1) + [(t, s2)]
                            let v: Double?
                            if form == .accumulate {
                                v = FreshDesignTheory.accumulateExpectedTestError(dimension: d, schedule: schedule)
                            } else {
                                v =
                                    FreshDesignTheory.expectedTestError(dimension: d, schedule: schedule)
                                    ?? FreshDesignTheory.overparameterisedExpectedTestError(dimension: d, samples: t, noiseVariance: s2, generation: n)
                            }
                            table.append([
                                "fresh-design", form.rawValue, String(n), String(n - 1), String(d), String(t), CSVField.number(s2),
                                String(t0), CSVField.number(s0), CSVField.number(v)
                            ])
                        }
                    }
                }
            }
        }
        return table
    }

    /// Proof U1: the Poisson-rate (`model` "poisson", variances are rates) or Gaussian-mean MLE chain.
    public static func meanChain(
        model: String, samples: [Int], variances: [Double], regimes: [ClosedFormRegime],
        generations n: Int
    ) -> CSVTable {
        var table = CSVTable(header: ["model", "regime", "generation", "samples", "variance", "weight", "theory_mse"])
        for m in samples {
            for v in variances {
                for form in regimes {
                    for g in 1...n {
                        table.append([
                            model, form.rawValue, String(g), String(m), CSVField.number(v), "",
                            CSVField.number(MeanChainTheory.meanSquaredError(form, generation: g, variance: v, samples: m))
                        ])
                    }
                }
            }
        }
        return table
    }

    /// Proof G1: fresh real plus synthetic Gaussian mean with real-data weight `w`.
    public static func mixing(samples: [Int], variances: [Double], weights: [Double], generations n: Int) -> CSVTable {
        var table = CSVTable(header: ["model", "regime", "generation", "samples", "variance", "weight", "theory_mse"])
        for m in samples {
            for v in variances {
                for w in weights {
                    for g in 1...n {
                        table.append([
                            "mixing", "mix-real", String(g), String(m), CSVField.number(v), CSVField.number(w),
                            CSVField.number(GoldenRatioMixing.meanSquaredError(generation: g, weight: w, base: v / Double(m)))
                        ])
                    }
                }
            }
        }
        return table
    }

    /// Proof G3: the Gaussian refit to its own `M` samples.
    public static func gaussianRefit(
        _ e: GaussianFittingTheory.Estimator, samples: [Int], variances: [Double], regimes: [ClosedFormRegime],
        generations n: Int
    ) -> CSVTable {
        var table = CSVTable(header: ["model", "regime", "generation", "samples", "variance", "estimator", "mean_squared_error", "expected_variance"])
        for m in samples {
            for v in variances {
                for form in regimes {
                    for g in 1...n {
                        let (mse, variance) =
                            form == .replace
                            ? (
                                GaussianFittingTheory.meanErrorRatio(e, generation: g, samples: m),
                                GaussianFittingTheory.varianceRatio(e, generation: g, samples: m)
                            )
                            : (
                                GaussianFittingTheory.accumulateMeanErrorRatio(e, generation: g, samples: m),
                                GaussianFittingTheory.accumulateVarianceRatio(e, generation: g, samples: m)
                            )
                        table.append([
                            "gaussian-refit", form.rawValue, String(g), String(m), CSVField.number(v), e.rawValue,
                            CSVField.number(v * mse), CSVField.number(v * variance)
                        ])
                    }
                }
            }
        }
        return table
    }

    /// Proof W1: the categorical (Wright–Fisher) refit of a Zipf(K, s) truth.
    public static func categorical(support: Int, exponent: Double, samples: [Int], regimes: [ClosedFormRegime], generations n: Int) -> CSVTable {
        let truth = CategoricalChainTheory.zipf(support: support, exponent: exponent)
        let s0 = truth.reduce(0) { $0 + $1 * $1 }
        var table = CSVTable(header: ["model", "regime", "generation", "samples", "support", "exponent", "expected_collision"])
        for m in samples {
            for form in regimes {
                for g in 1...n {
                    let c =
                        form == .replace
                        ? CategoricalChainTheory.expectedCollision(generation: g, samples: m, truthCollision: s0)
                        : CategoricalChainTheory.accumulateExpectedCollision(generation: g, samples: m, truthCollision: s0)
                    table.append(["categorical", form.rawValue, String(g), String(m), String(support), CSVField.number(exponent), CSVField.number(c)])
                }
            }
        }
        return table
    }

    /// Proof G4: the d-dimensional Gaussian refit, the truth given by its covariance spectrum.
    public static func multivariateGaussian(
        _ e: GaussianFittingTheory.Estimator, spectra: [[Double]], samples: [Int],
        regimes: [ClosedFormRegime], generations: Int
    ) -> CSVTable {
        var table = CSVTable(header: [
            "model", "regime", "generation", "dimension", "samples", "estimator", "covariance_eigenvalues",
            "covariance_trace", "covariance_ratio", "mean_error_ratio", "mean_squared_error", "expected_trace",
            "expected_log_det_ratio", "wasserstein2_lower", "wasserstein2_upper", "wasserstein2_exact"
        ])
        for spectrum in spectra {
            for m in samples {
                for form in regimes {
                    let curve = MultivariateGaussianFittingTheory.curve(e, regime: form, generations: generations, samples: m, eigenvalues: spectrum)
                    for (index, t) in curve.enumerated() {
                        table.append([
                            "gaussian-refit-d", form.rawValue, String(index + 1), String(spectrum.count), String(m), e.rawValue,
                            spectrum.map { CSVField.number($0) }.joined(separator: ";"), CSVField.number(spectrum.reduce(0, +)),
                            CSVField.number(t.covarianceRatio), CSVField.number(t.meanErrorRatio),
                            CSVField.number(t.meanSquaredError), CSVField.number(t.expectedTrace), CSVField.number(t.expectedLogDeterminantRatio),
                            CSVField.number(t.wassersteinLower), CSVField.number(t.wassersteinUpper), CSVField.number(t.wassersteinExact)
                        ])
                    }
                }
            }
        }
        return table
    }

    /// What the ridge table needs of its spectrum (isotropic, or power-law with β and source r).
    public struct RidgeSetting: Sendable {
        public var spectrumName: String
        public var beta: Double?
        public var source: Double?
        public init(spectrumName: String, beta: Double?, source: Double?) {
            self.spectrumName = spectrumName; self.beta = beta; self.source = source
        }
    }

    /// A point where the ridge table has no finite deterministic equivalent.
    public struct NoEquivalent: Error, CustomStringConvertible {
        public var description: String
    }

    /// Proof R1: the deterministic equivalent of the downstream ridge fit after `N − 1` synthetic
    /// generations, per `(d, T, σ²)`, λ choice (nil: the collapse-aware optimum) and generation.
    /// Also returns warnings (an optimum at the edge of the scanned range).
    public static func ridge(
        spectra: [(dimension: Int, spectrum: RidgeSpectrum)], setting: RidgeSetting, samples: [Int], noiseVariances: [Double],
        generatorSamples: Int?, generatorNoiseVariance: Double?, choices: [Double?], generations: Int
    ) throws
        -> (table: CSVTable, warnings: [String])
    {
        var table = CSVTable(header: [
            "model", "generation", "synthetic_generations", "dimension", "samples", "noise_variance",
            "generator_samples", "generator_noise_variance", "spectrum", "beta", "source", "ridge_choice",
            "ridge", "kappa", "df1", "df2", "bias", "variance", "collapse", "theory_test_error"
        ])
        var warnings: [String] = []
        for (d, spectrum) in spectra {
            for t in samples {
                for s2 in noiseVariances {
                    let t0 = generatorSamples ?? t, s0 = generatorNoiseVariance ?? s2
                    for choice in choices {
                        for n in 1...generations {
                            let terms: RidgeDeterministicEquivalent.Terms?
                            if let lambda = choice {
                                terms = RidgeDeterministicEquivalent.terms(
                                    spectrum: spectrum, samples: t, noiseVariance: s2, ridge: lambda,
                                    syntheticGenerations: n - 1, generatorSamples: t0, generatorNoiseVariance: s0)
                            } else {
                                let best = RidgeDeterministicEquivalent.optimalRidge(
                                    spectrum: spectrum, samples: t, noiseVariance: s2, syntheticGenerations: n - 1,
                                    generatorSamples: t0, generatorNoiseVariance: s0)
                                if best?.atBoundary == true {
                                    warnings.append(
                                        "warning: d = \(d), T = \(t), generation \(n): the optimal λ is at the edge of the scanned range (10^−10 … 10^4 times the top eigenvalue)"
                                    )
                                }
                                terms = best?.terms
                            }
                            guard let terms else {
                                throw NoEquivalent(description: "no finite deterministic equivalent at d = \(d), T = \(t), T₀ = \(t0), generation \(n)")
                            }
                            let powerLaw = setting.spectrumName == "power-law"
                            table.append([
                                "ridge", String(n), String(n - 1), String(d), String(t), CSVField.number(s2), String(t0), CSVField.number(s0),
                                setting.spectrumName, powerLaw ? CSVField.number(setting.beta ?? 1.5) : "",
                                powerLaw ? CSVField.number(setting.source ?? 0.5) : "", choice == nil ? "optimal" : "given",
                                CSVField.number(terms.ridge), CSVField.number(terms.kappa), CSVField.number(terms.df1), CSVField.number(terms.df2),
                                CSVField.number(terms.bias), CSVField.number(terms.variance), CSVField.number(terms.collapse),
                                CSVField.number(terms.total)
                            ])
                        }
                    }
                }
            }
        }
        return (table, warnings)
    }
}
