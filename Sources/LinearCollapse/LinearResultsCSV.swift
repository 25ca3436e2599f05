import CollapseCore
import CollapseExport

/// The CSV schema of linear-chain Monte Carlo results: one row per
/// (grid cell, regime, generation). Column meanings are documented in README.md.
public enum LinearResultsCSV {
    /// The columns, in order. The first nine are the stable core schema.
    public static let header = [
        "regime", "generation", "dimension", "samples", "noise_variance", "repeats",
        "mean_test_error", "std_error", "theory_test_error",
        "real_fraction", "ci95_low", "ci95_high", "theory_given_design", "z_score", "z_given_design",
    ]

    /// One formatted row.
    public static func fields(_ s: GenerationSummary) -> [String] {
        [
            s.regime.name, String(s.generation), String(s.cell.dimension), String(s.cell.samples),
            CSVField.number(s.cell.noiseVariance), String(s.repeats),
            CSVField.number(s.mean), CSVField.number(s.standardError), CSVField.number(s.theory),
            CSVField.number(s.regime.realFraction), CSVField.number(s.confidenceLow),
            CSVField.number(s.confidenceHigh), CSVField.number(s.theoryGivenDesign),
            CSVField.number(s.zScore), CSVField.number(s.zGivenDesign),
        ]
    }

    /// The table for `summaries`, in the order given.
    public static func table(_ summaries: [GenerationSummary]) -> CSVTable {
        var t = CSVTable(header: header)
        t.rows.reserveCapacity(summaries.count)
        for s in summaries { t.rows.append(fields(s)) }
        return t
    }
}
