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
public enum LinearResultsCSV {
    /// The metric of every row.
    public static let metric = "test_error"

    /// The columns after `LongResults.columns`.
    public static let familyColumns = ["theory_given_design", "z_given_design", "dimension", "noise_variance", "engine", "design"]

    /// The columns, in order.
    public static let header = LongResults.columns + familyColumns

    /// One row, ending in a newline (`extra`: values of columns after `header`).
    public static func row(_ s: GenerationSummary, engine: Engine, design: DesignMode, extra: [String] = []) -> String {
        LongResults.row(model: "linear", dataset: "", regime: s.regime.name, realFraction: s.regime.realFraction, generation: s.generation,
                        metric: metric, mean: s.mean, standardError: s.standardError, theory: s.theory, z: s.zScore,
                        samples: s.cell.samples, repeats: s.repeats,
                        extra: [CSVField.number(s.theoryGivenDesign), CSVField.number(s.zGivenDesign), String(s.cell.dimension),
                                CSVField.number(s.cell.noiseVariance), engine.rawValue, design.rawValue] + extra)
    }

    /// The rows for `summaries`, in the order given, without the header.
    public static func rows(_ summaries: [GenerationSummary], engine: Engine, design: DesignMode, extra: [String] = []) -> String {
        summaries.map { row($0, engine: engine, design: design, extra: extra) }.joined()
    }

    /// The whole file for `summaries`: header and rows.
    public static func rendered(_ summaries: [GenerationSummary], engine: Engine, design: DesignMode) -> String {
        header.joined(separator: ",") + "\n" + rows(summaries, engine: engine, design: design)
    }
}
