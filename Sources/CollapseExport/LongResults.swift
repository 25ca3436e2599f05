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

extension LongResults {
    /// A closed-form table in the long format: each wide row (one generation of one cell) gives
    /// one row per column named in `metrics` (column → metric name), its value in `theory`.
    /// `model`, `regime` (default `regimeDefault`), `real_fraction`, `generation` and `samples`
    /// are read from the columns of those names; every other column is a parameter and is kept,
    /// in order, after `repeats`. `mean`, `std_error` and `repeats` are empty; a metric whose
    /// value is empty in a row (no closed form there) gives no row.
    /// Columns named in `derived` (functions of the generation, such as `synthetic_generations`
    /// = n − 1) are left out.
    public static func fromClosedForms(_ table: CSVTable, model: String, metrics: [(column: String, metric: String)],
                                       derived: [String] = [], regimeDefault: String = "replace") -> CSVTable {
        let index = Dictionary(table.header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let consumed = Set(["model", "regime", "real_fraction", "generation", "samples"] + metrics.map(\.column) + derived)
        let parameters = table.header.filter { !consumed.contains($0) }
        var out = CSVTable(header: columns + parameters)
        for row in table.rows {
            func field(_ name: String) -> String? { index[name].map { row[$0] } }
            let regime = field("regime").flatMap { $0.isEmpty ? nil : $0 } ?? regimeDefault
            for (column, metric) in metrics {
                // An empty value: no closed form there (e.g. W₂ exact only for d = 1); no row.
                guard let value = field(column), !value.isEmpty else { continue }
                out.append([field("model") ?? model, "", regime, field("real_fraction") ?? "", field("generation") ?? "", metric,
                            "", "", value, field("samples") ?? "", ""] + parameters.map { field($0) ?? "" })
            }
        }
        return out
    }
}
