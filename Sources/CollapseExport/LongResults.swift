/// The long results format: one row per series (model, dataset, regime) × generation × metric.
///
/// Columns, in order: `model, dataset, regime, real_fraction, generation, metric, mean,
/// std_error, theory, samples, repeats`, then one column per parameter swept over several values
/// (so rows of different grid cells stay apart). `mean` and `std_error` are the Monte Carlo mean
/// over `repeats` replicates and its standard error (`std_error` empty for a single run);
/// `theory` is the closed form where one exists. A closed-form table (`collapse theory --format
/// csv`) leaves `mean`, `std_error` and `repeats` empty. `collapse generative` and `collapse
/// neural` write it; `collapse plot` draws any such file (`--view metrics`).
public enum LongResults {
    public static let columns = ["model", "dataset", "regime", "real_fraction", "generation", "metric", "mean", "std_error",
                                 "theory", "samples", "repeats"]

    /// One row (`extra`: the values of the swept-parameter columns after `repeats`), ending in a newline.
    public static func row(model: String, dataset: String, regime: String, realFraction: Double?, generation: Int, metric: String,
                           mean: Double?, standardError: Double?, theory: Double?, samples: Int?, repeats: Int?,
                           extra: [String] = []) -> String {
        ([model, dataset, regime, CSVField.number(realFraction), String(generation), metric, CSVField.number(mean),
          CSVField.number(standardError), CSVField.number(theory), CSVField.number(samples), CSVField.number(repeats)] + extra)
            .map(CSVField.escape).joined(separator: ",") + "\n"
    }
}
