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

    /// Which moments of a replicate's test error at generation `generation` are proved finite,
    /// for the `moments` column: `mean+variance`, `mean` (the variance is infinite: the standard
    /// error, its interval and z estimate nothing, read the median and its interval),
    /// `infinite-variance` (the variance is infinite, whether the mean is finite is not settled),
    /// `none` (the mean is infinite too), or nil where no proof settles it.
    ///
    /// Replace and accumulate, proof L1: with a fixed Gaussian design (one per replicate) and
    /// T ≥ d, the design-averaged error (T1, T2) is a multiple of tr((XᵀX)⁻¹) plus terms of
    /// smaller order, whose p-th moment is finite iff T − d + 1 > 2p: the mean iff T ≥ d + 2,
    /// the variance iff T ≥ d + 4, at every generation.
    ///
    /// Accumulate-subsample, proof A1 (fixed design, T ≥ d; per generation n): the subsample
    /// holds k ∈ [⌈T/n⌉, T] distinct design rows, and a k-row subsample inherits L1's tail of
    /// index (k − d + 1)/2. The mean is infinite if a subsample can have d or d + 1 distinct rows,
    /// T ≤ (d + 1)n; the second moment is infinite if T ≤ (d + 3)n; the p-th moment is finite if
    /// 2pn < ⌈T/n⌉ − d + 1 (sufficient, not sharp for n ≥ 2; sharp at n = 1, where A1 is L1).
    /// Cells between are nil.
    ///
    /// Other regimes, fresh designs and T < d are not settled here (nil). A power-law design
    /// changes nothing (the error given `X` has the law of the isotropic one:
    /// `Σ^{1/2}(XᵀX)⁻¹Σ^{1/2}` is an inverse standard Wishart); ridge fits and discounted series
    /// are not settled (nil).
    public static func finiteMoments(
        cell: LinearCell, regime: Regime, generation: Int, design: DesignMode,
        options: ChainOptions = .standard, discount: Double? = nil
    ) -> String? {
        precondition(generation >= 1, "finiteMoments: generation must be ≥ 1, got \(generation)")
        let t = cell.samples, d = cell.dimension
        guard design == .fixed, t >= d, options.isUnpenalised, discount == nil else { return nil }
        switch regime {
        case .replace, .accumulate:
            return t - d >= 4 ? "mean+variance" : t - d >= 2 ? "mean" : "none"
        case .accumulateSubsample:
            let n = generation
            // ⌈T/n⌉ − d + 1 > 2pn: p = 1 (mean), p = 2 (variance); A1 item 3.
            let margin = (t + n - 1) / n - d + 1
            if t <= (d + 1) * n { return "none" }
            if t <= (d + 3) * n { return margin > 2 * n ? "mean" : "infinite-variance" }
            return margin > 4 * n ? "mean+variance" : nil
        case .mix, .freshReal:
            return nil
        }
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
    public static func row(
        _ s: GenerationSummary, engine: Engine, design: DesignMode, options: ChainOptions = .standard,
        extra: [String] = []
    ) -> String {
        LongResults.row(
            model: "linear", dataset: "", regime: s.seriesName, realFraction: s.regime.realFraction, generation: s.generation,
            metric: metric, mean: s.mean, standardError: s.standardError, robust: s.robust, theory: s.theory, z: s.zScore,
            samples: s.cell.samples, repeats: s.repeats,
            extra: [
                CSVField.number(s.theoryGivenDesign), CSVField.number(s.zGivenDesign),
                finiteMoments(
                    cell: s.cell, regime: s.regime, generation: s.generation, design: design, options: options,
                    discount: s.discount) ?? "",
                String(s.cell.dimension), CSVField.number(s.cell.noiseVariance), engine.rawValue, design.rawValue
            ]
                + optionFields(s, options: options) + extra)
    }

    /// The rows for `summaries`, in the order given, without the header.
    public static func rows(
        _ summaries: [GenerationSummary], engine: Engine, design: DesignMode, options: ChainOptions = .standard,
        extra: [String] = []
    ) -> String {
        summaries.map { row($0, engine: engine, design: design, options: options, extra: extra) }.joined()
    }

    /// The whole file for `summaries`: header and rows.
    public static func rendered(_ summaries: [GenerationSummary], engine: Engine, design: DesignMode) -> String {
        header.joined(separator: ",") + "\n" + rows(summaries, engine: engine, design: design)
    }
}
