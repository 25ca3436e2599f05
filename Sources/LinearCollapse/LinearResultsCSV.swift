import CollapseCore
import CollapseExport

/// Linear-chain Monte Carlo results in the long results format (`LongResults`): one row per
/// (grid cell, regime, generation), metric `test_error`.
///
/// After the common columns come the linear chain's own: `theory_given_design` (the expected
/// test error given the replicate's fixed design, averaged over replicates; proof L1) and
/// `z_given_design` (the standardised mean of the replicates' errors about it), then the cell's
/// `dimension` and `noise_variance` and the simulator's `engine` and `design`. `theory` is the
/// Gaussian-design expectation (proofs T1/T2, D1 for a fresh design), empty where it is infinite
/// or undefined (T < d + 2); `z` needs T ≥ d + 10 (finite fourth moments).
///
/// A run with non-default `ChainOptions` adds columns after these, only for the options it uses
/// (so a default run's bytes do not change): `spectrum`, `beta`, `source` (power-law design),
/// `fit`, `ridge` (ridge fits), `discount` (γ on the `discounted` rows, empty on the others) and
/// `test_noise` (`true`: every error and theory includes σ²).
public enum LinearResultsCSV {
    /// The metric of every row.
    public static let metric = "test_error"

    /// The columns after `LongResults.columns`.
    public static let familyColumns = ["theory_given_design", "z_given_design", "moments", "dimension", "noise_variance", "engine", "design"]

    /// Which moments of a replicate's test error are proved finite, for the `moments` column:
    /// `mean+variance`, `mean` (the variance is infinite: the standard error, its interval and
    /// z estimate nothing, read the median and its interval), `none` (the mean is infinite too),
    /// or nil where no proof settles it. Proof L1: with a fixed Gaussian design (one per
    /// replicate) and T ≥ d, the design-averaged error of replace and accumulate (T1, T2) is a
    /// multiple of tr((XᵀX)⁻¹) plus terms of smaller order, whose p-th moment is finite iff
    /// T − d + 1 > 2p: the mean iff T ≥ d + 2, the variance iff T ≥ d + 4. Other regimes, fresh
    /// designs and T < d are not settled here (nil).
    /// A power-law design changes nothing (the error given `X` has the law of the isotropic one:
    /// `Σ^{1/2}(XᵀX)⁻¹Σ^{1/2}` is an inverse standard Wishart); ridge fits and discounted series
    /// are not settled (nil).
    public static func finiteMoments(cell: LinearCell, regime: Regime, design: DesignMode, options: ChainOptions = .standard,
                                     discount: Double? = nil) -> String? {
        guard design == .fixed, regime == .replace || regime == .accumulate, cell.samples >= cell.dimension,
              options.isUnpenalised, discount == nil else { return nil }
        let margin = cell.samples - cell.dimension
        return margin >= 4 ? "mean+variance" : margin >= 2 ? "mean" : "none"
    }

    /// The columns, in order.
    public static let header = LongResults.columns + familyColumns

    /// The columns of the options a run uses, after `header` (none for `ChainOptions.standard`).
    public static func optionColumns(_ options: ChainOptions) -> [String] {
        var out: [String] = []
        if options.spectrum != .isotropic { out += ["spectrum", "beta", "source"] }
        if options.ridge != nil { out += ["fit", "ridge"] }
        if !options.discounts.isEmpty { out.append("discount") }
        if options.testNoise { out.append("test_noise") }
        return out
    }

    /// The values of `optionColumns(options)` on the row of `s`.
    public static func optionFields(_ s: GenerationSummary, options: ChainOptions) -> [String] {
        var out: [String] = []
        if case let .powerLaw(beta, source) = options.spectrum { out += ["power-law", CSVField.number(beta), CSVField.number(source)] }
        if let ridge = options.ridge { out += ["ridge", CSVField.number(ridge)] }
        if !options.discounts.isEmpty { out.append(CSVField.number(s.discount)) }
        if options.testNoise { out.append("true") }
        return out
    }

    /// One row, ending in a newline (`extra`: values of columns after `header` and the option
    /// columns).
    public static func row(_ s: GenerationSummary, engine: Engine, design: DesignMode, options: ChainOptions = .standard,
                           extra: [String] = []) -> String {
        LongResults.row(model: "linear", dataset: "", regime: s.seriesName, realFraction: s.regime.realFraction, generation: s.generation,
                        metric: metric, mean: s.mean, standardError: s.standardError, robust: s.robust, theory: s.theory, z: s.zScore,
                        samples: s.cell.samples, repeats: s.repeats,
                        extra: [CSVField.number(s.theoryGivenDesign), CSVField.number(s.zGivenDesign),
                                finiteMoments(cell: s.cell, regime: s.regime, design: design, options: options, discount: s.discount) ?? "",
                                String(s.cell.dimension), CSVField.number(s.cell.noiseVariance), engine.rawValue, design.rawValue]
                            + optionFields(s, options: options) + extra)
    }

    /// The rows for `summaries`, in the order given, without the header.
    public static func rows(_ summaries: [GenerationSummary], engine: Engine, design: DesignMode, options: ChainOptions = .standard,
                            extra: [String] = []) -> String {
        summaries.map { row($0, engine: engine, design: design, options: options, extra: extra) }.joined()
    }

    /// The whole file for `summaries`: header and rows.
    public static func rendered(_ summaries: [GenerationSummary], engine: Engine, design: DesignMode) -> String {
        header.joined(separator: ",") + "\n" + rows(summaries, engine: engine, design: design)
    }
}
