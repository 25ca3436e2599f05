/// The long results format, written by every command and model family: one row per series
/// (model, dataset, regime) × grid cell × generation × metric.
///
/// Columns, in order: `model, dataset, regime, real_fraction, generation, metric, mean,
/// std_error, ci95_low, ci95_high, median, q05, q25, q75, q95, median_ci95_low,
/// median_ci95_high, theory, z, samples, repeats`; then the family's own columns:
/// its statistics (`LongResults.familyStatistics`, e.g. the linear chain's
/// `theory_given_design`) and its parameter columns (e.g. `dimension`, `noise_variance`, or an
/// axis swept over several values), so rows of different grid cells stay apart.
///
/// - `mean`, `std_error`: the Monte Carlo mean over `repeats` replicates and its standard error
///   s/√R (`std_error` empty for a single run);
/// - `ci95_low`, `ci95_high`: the normal 95% interval mean ∓ 1.959964·std_error (empty without a
///   finite mean and standard error);
/// - `median`, `q05` … `q95`: the per-replicate values' median and 5, 25, 75, 95 % quantiles,
///   and `median_ci95_low`, `median_ci95_high` a distribution-free 95 % interval for the median
///   from order statistics (`RobustSummary`; empty for fewer than 6 replicates). They exist for
///   every distribution: read them where the mean or its standard error does not exist;
/// - `theory`: the closed form where one exists (its proof id in `collapse theory --list`);
/// - `z`: (mean − theory)/std_error where the family defines it (finite theory and standard
///   error, and, for the linear chain, the moment conditions of proof L1), else empty.
///
/// A closed-form table (`collapse theory --format csv`) leaves `mean`, `std_error`, the interval,
/// `z` and `repeats` empty. `collapse plot` draws any such file.
public enum LongResults {
    public static let columns =
        [
            "model", "dataset", "regime", "real_fraction", "generation", "metric", "mean", "std_error",
            "ci95_low", "ci95_high"
        ] + RobustSummary.columns + ["theory", "z", "samples", "repeats"]

    /// Statistics a family may add after `columns` (not parameters: a reader must not split
    /// series by them). `theory_given_design`: the linear chain's expectation given its fixed
    /// design (proof L1), and `z_given_design` its standardised mean over replicates.
    /// `moments`: which moments of a replicate's value are proved finite (`mean+variance`,
    /// `mean`, `none`; `infinite-variance`: the variance is infinite and the mean not settled;
    /// empty where not established).
    public static let familyStatistics = ["theory_given_design", "z_given_design", "moments"]

    /// The `moments` values under which the variance is infinite (proofs L1, A1): the mean's
    /// standard error and interval estimate nothing there, so tables and figures show the median.
    public static let infiniteVariance: Set<String> = ["mean", "infinite-variance", "none"]

    /// The normal 97.5% quantile Φ⁻¹(0.975) of the 95% interval.
    public static let z95 = 1.959963984540054

    /// One row (`extra`: the values of the family's columns after `repeats`), ending in a
    /// newline. The interval is computed here from `mean` and `standardError`.
    public static func row(
        model: String, dataset: String, regime: String, realFraction: Double?, generation: Int, metric: String,
        mean: Double?, standardError: Double?, robust: RobustSummary? = nil, theory: Double?, z: Double? = nil,
        samples: Int?, repeats: Int?, extra: [String] = []
    ) -> String {
        var low: Double?, high: Double?
        if let mean, let standardError, mean.isFinite, standardError.isFinite { low = mean - z95 * standardError; high = mean + z95 * standardError }
        let fields =
            [
                model, dataset, regime, CSVField.number(realFraction), String(generation), metric, CSVField.number(mean),
                CSVField.number(standardError), CSVField.number(low), CSVField.number(high)
            ] + RobustSummary.fields(robust)
            + [CSVField.number(theory), CSVField.number(z), CSVField.number(samples), CSVField.number(repeats)] + extra
        var line = ""
        line.reserveCapacity(fields.reduce(fields.count) { $0 + $1.utf8.count } + 8)
        for (i, field) in fields.enumerated() {
            if i > 0 { line += "," }
            line += CSVField.escape(field)
        }
        return line + "\n"
    }

    /// (mean − theory)/standardError where both are finite and the standard error positive:
    /// the z of a mean whose replicates have finite variance (the caller's claim).
    public static func zScore(mean: Double?, standardError: Double?, theory: Double?) -> Double? {
        guard let mean, let standardError, let theory, mean.isFinite, theory.isFinite, standardError.isFinite, standardError > 0 else {
            return nil
        }
        return (mean - theory) / standardError
    }
}

extension LongResults {
    /// A closed-form table in the long format: each wide row (one generation of one cell) gives
    /// one row per column named in `metrics` (column → metric name), its value in `theory`.
    /// `model`, `regime` (default `regimeDefault`), `real_fraction`, `generation` and `samples`
    /// are read from the columns of those names; every other column is a parameter and is kept,
    /// in order, after `repeats`. The Monte Carlo columns are empty; a metric whose value is
    /// empty in a row (no closed form there) gives no row.
    /// Columns named in `derived` (functions of the generation, such as `synthetic_generations`
    /// = n − 1) are left out.
    public static func fromClosedForms(
        _ table: CSVTable, model: String, metrics: [(column: String, metric: String)],
        derived: [String] = [], regimeDefault: String = "replace"
    ) -> CSVTable {
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
                out.append(
                    [
                        field("model") ?? model, "", regime, field("real_fraction") ?? "", field("generation") ?? "", metric,
                        "", "", "", ""
                    ] + RobustSummary.fields(nil) + [value, "", field("samples") ?? "", ""] + parameters.map { field($0) ?? "" })
            }
        }
        return out
    }
}

extension LongResults {
    /// Short titles of the common parameter columns in `summary`.
    static let titles = ["dimension": "d", "samples": "T", "noise_variance": "σ²"]

    /// A table for reading of the rows of a long results file at `generations` (and, when the
    /// file has a `generations` column, each row's last generation): the series (the
    /// regime, with λ for mix and fresh-real), the linear cell (d, T, σ²) where the file has those
    /// columns, every other parameter column whose value varies, the metric when there are
    /// several, then generation, mean ± SE, the median, theory and z (when any row has one); six
    /// significant digits, `—` for no value. Where a shown row's `moments` column says a moment
    /// is infinite, a `moments` column shows it and a note below says what to read instead.
    public static func summary(_ doc: CSVDocument, generations: Set<Int>) -> String {
        let h = doc.header
        let index = Dictionary(h.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        // A run that swept N has a `generations` column: each row's own last generation counts too.
        let rows = doc.rows.filter { r in
            guard let g = index["generation"].flatMap({ Int(r[$0]) }) else { return false }
            return generations.contains(g) || index["generations"].map { Int(r[$0]) == g } ?? false
        }
        func varies(_ c: Int) -> Bool { Set(doc.rows.map { $0[c] }).count > 1 }
        let statistics = Set(columns + familyStatistics)
        var cellColumns = ["dimension", "samples", "noise_variance"].filter { index[$0] != nil && h.contains("noise_variance") }
        cellColumns += h.filter { !statistics.contains($0) && !cellColumns.contains($0) && !["engine", "design"].contains($0) && varies(index[$0]!) }
        if cellColumns.isEmpty, let s = index["samples"], varies(s) { cellColumns = ["samples"] }
        let showMetric = index["metric"].map(varies) ?? false
        let showZ = index["z"].map { c in rows.contains { !$0[c].isEmpty } } ?? false
        func number(_ s: String) -> String { Double(s).map(TextTable.number) ?? "—" }
        var columns: [(title: String, width: Int, value: ([String]) -> String)] = [
            (
                "regime", 22,
                { r in
                    let f = index["real_fraction"].map { r[$0] } ?? ""
                    return f.isEmpty ? r[index["regime"]!] : "\(r[index["regime"]!])(\(f))"
                }
            )
        ]
        for name in cellColumns {
            let title = titles[name] ?? name
            columns.append(
                (
                    title, max(title.count + 2, name == "noise_variance" ? 10 : 8),
                    { r in
                        name == "noise_variance" ? number(r[index[name]!]) : r[index[name]!]
                    }
                ))
        }
        if showMetric { columns.append(("metric", 18, { $0[index["metric"]!] })) }
        columns += [
            ("gen", 6, { $0[index["generation"]!] }), ("mean", 13, { number($0[index["mean"]!]) }),
            ("± SE", 12, { number($0[index["std_error"]!]) })
        ]
        if let m = index["median"] { columns.append(("median", 13, { number($0[m]) })) }
        columns.append(("theory", 13, { number($0[index["theory"]!]) }))
        if showZ { columns.append(("z", 8, { r in Double(r[index["z"]!]).map { String(format: "%.2f", $0) } ?? "—" })) }
        let infinite = index["moments"].map { m in rows.contains { Self.infiniteVariance.contains($0[m]) } } ?? false
        if infinite, let m = index["moments"] {
            let shown = ["none": "none", "mean": "mean only", "infinite-variance": "no var, mean ?", "": "?"]
            columns.append(("finite moments", 16, { r in shown[r[m]] ?? "mean, var" }))
        }
        var out = columns.map { TextTable.pad($0.title, $0.width) }.joined() + "\n"
        for r in rows { out += columns.map { TextTable.pad($0.value(r), $0.width) }.joined() + "\n" }
        if infinite {
            out +=
                "note: 'mean only': the variance is infinite, so ± SE (and z) estimate nothing; 'no var, mean ?': the variance "
                + "is infinite and whether the mean is finite is not settled; 'none': the mean is infinite too (it does not converge "
                + "as replicates grow). Read the median and its interval (median_ci95_low/high in the CSV). Conditions: proof L1 "
                + "(replace, accumulate: T ≥ d + 4 for the variance, T ≥ d + 2 for the mean), proof A1 (accumulate-subsample at "
                + "generation n: the mean is infinite if T ≤ (d + 1)n, the variance if T ≤ (d + 3)n).\n"
        }
        return out
    }
}
