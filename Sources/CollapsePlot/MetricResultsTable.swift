import CollapseExport
import Foundation

/// One row of a long-format results CSV: one metric of one series at one generation.
public struct MetricRow: Sendable, Equatable {
    public var model: String
    public var dataset: String
    public var regime: String
    public var realFraction: Double?
    public var generation: Int
    public var metric: String
    public var mean: Double
    public var standardError: Double
    public var theory: Double?
    public var repeats: Int?
    public var line: Int
    /// The grid cell, when the file holds several: `name=value` of every parameter column whose
    /// value varies in the file (`samples` and the columns after the schema's), e.g. `samples=300`.
    public var cell: String = ""

    /// The panel label's pair: `model · dataset` (the model alone when the dataset is empty).
    public var pair: String { dataset.isEmpty ? model : "\(model) · \(dataset)" }

    /// The series label: the regime, with its real fraction for mix and fresh-real, and the
    /// cell when the file holds several.
    public var series: String {
        let base = realFraction.map { "\(regime)(\(PlotFormat.shortest($0)))" } ?? regime
        return cell.isEmpty ? base : "\(base), \(cell)"
    }

    /// The 95% band `mean ∓ 1.959964·std_error`.
    public var bandLow: Double { mean - ResultsTable.z95 * standardError }
    public var bandHigh: Double { mean + ResultsTable.z95 * standardError }
}

/// A long-format results CSV (`LongResults`: written by every simulating command and by
/// `collapse theory --format csv`): required columns `model, dataset, regime, generation,
/// metric, mean, std_error, theory` (theory, or mean and std_error, may be empty); optional
/// `real_fraction`, `repeats`; others are ignored. No two rows may share
/// (model, dataset, series, metric, generation).
public struct MetricResultsTable: Sendable {
    public static let requiredColumns = ["model", "dataset", "regime", "generation", "metric", "mean", "std_error", "theory"]
    public static let optionalColumns = ["real_fraction", "repeats"]
    /// Statistics that are read as such, never as parameters of a cell.
    public static let statisticColumns = ["ci95_low", "ci95_high", "z"] + RobustSummary.columns + LongResults.familyStatistics

    public let source: String
    public let rows: [MetricRow]

    /// Whether `header` is the long format (it has a `metric` column and no `mean_test_error`).
    public static func isLongFormat(_ header: [String]) -> Bool {
        header.contains("metric") && !header.contains("mean_test_error")
    }

    public init(csv text: String, source: String = "<results>") throws {
        do {
            try self.init(document: try CSVReader.parse(text, file: source))
        } catch let e as CSVReadError {
            throw ResultsTableError(file: e.file, line: e.line, message: e.message)
        }
    }

    public init(document: CSVDocument) throws {
        let file = document.file
        let index = try ResultsTable.columnIndex(document, required: Self.requiredColumns, optional: Self.optionalColumns)
        // Parameter columns whose value varies identify the grid cell of a row; statistics never do.
        // `repeats` is a parameter too when a run swept it.
        let known = Set(Self.requiredColumns + Self.optionalColumns + Self.statisticColumns).subtracting(["repeats"])
        let cellColumns = document.header.enumerated().filter { i, name in
            !known.contains(name) && index[name] == i && Set(document.rows.map { CSVField.trimmed($0[i]) }).count > 1
        }.map { (index: $0.offset, name: $0.element) }
        var rows: [MetricRow] = []
        var seen: [String: Int] = [:]
        for (fields, line) in zip(document.rows, document.lines) {
            func fail(_ c: Int, _ message: String) -> ResultsTableError {
                ResultsTableError(file: file, line: line, column: document.header[c], value: fields[c], message: message)
            }
            func text(_ name: String, optional: Bool = false) throws -> String {
                let c = index[name]!
                let s = CSVField.trimmed(fields[c])
                guard !s.isEmpty || optional else { throw fail(c, "empty value; expected a name") }
                return s
            }
            func number(_ name: String) throws -> Double {
                let c = index[name]!
                let s = CSVField.trimmed(fields[c])
                guard let v = Double(s) else { throw fail(c, s.isEmpty ? "empty value; expected a number" : "'\(fields[c])' is not a number") }
                return v
            }
            func optionalNumber(_ name: String) throws -> Double? {
                guard let c = index[name], !CSVField.trimmed(fields[c]).isEmpty else { return nil }
                return try number(name)
            }
            func integer(_ name: String) throws -> Int? {
                guard let c = index[name] else { return nil }
                let s = CSVField.trimmed(fields[c])
                guard let v = Int(s), v >= 1 else {
                    throw fail(c, s.isEmpty ? "empty value; expected an integer ≥ 1" : "'\(fields[c])' is not an integer ≥ 1")
                }
                return v
            }
            func optionalInteger(_ name: String) throws -> Int? {
                guard let c = index[name], !CSVField.trimmed(fields[c]).isEmpty else { return nil }
                return try integer(name)
            }
            let fraction = try optionalNumber("real_fraction")
            if let fraction, !(fraction.isFinite && fraction >= 0 && fraction <= 1) {
                throw fail(index["real_fraction"]!, "\(fraction) is not a fraction in [0, 1]")
            }
            // A closed-form table has no mean; a single run has no standard error (nan: not drawn).
            let theory = try optionalNumber("theory")
            let mean = try optionalNumber("mean")
            if mean == nil && theory == nil { throw fail(index["mean"]!, "empty value; expected a number (or a theory value)") }
            var row = MetricRow(
                model: try text("model"), dataset: try text("dataset", optional: true), regime: try text("regime"),
                realFraction: fraction, generation: try integer("generation")!, metric: try text("metric"),
                mean: mean ?? .nan, standardError: try optionalNumber("std_error") ?? .nan,
                theory: theory, repeats: try optionalInteger("repeats"), line: line)
            row.cell = cellColumns.map { "\($0.name)=\(CSVField.trimmed(fields[$0.index]))" }.joined(separator: ", ")
            let key = "\(row.model)|\(row.dataset)|\(row.series)|\(row.metric)|\(row.generation)"
            if let first = seen[key] {
                throw ResultsTableError(
                    file: file, line: line,
                    message: "duplicate row for \(row.model) on \(row.dataset), \(row.series), \(row.metric), "
                        + "generation \(row.generation) (first at line \(first))")
            }
            seen[key] = line
            rows.append(row)
        }
        guard !rows.isEmpty else { throw ResultsTableError(file: file, message: "no data rows (only a header)") }
        source = file
        self.rows = rows
    }

    /// Distinct values of `key` in order of first appearance.
    func ordered(_ key: (MetricRow) -> String) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for r in rows where seen.insert(key(r)).inserted { out.append(key(r)) }
        return out
    }

    /// Series labels in order of first appearance.
    public var series: [String] { ordered(\.series) }
}

extension MetricResultsTable {
    /// The means for reading: one line per (series, generation), one column per metric in
    /// the file's order, `—` where a metric has no row.
    public var generationTable: String {
        let metrics = rows.reduce(into: [String]()) { if !$0.contains($1.metric) { $0.append($1.metric) } }
        var lines = [TextTable.pad("regime", 22) + TextTable.pad("gen", 6) + metrics.map { TextTable.pad($0, 18) }.joined()]
        for series in series {
            let rows = rows.filter { $0.series == series }
            for g in Array(Set(rows.map(\.generation))).sorted() {
                lines.append(
                    TextTable.pad(series, 22) + TextTable.pad(String(g), 6)
                        + metrics.map { m in
                            TextTable.pad(rows.first { $0.generation == g && $0.metric == m }.map { TextTable.number($0.mean) } ?? "—", 18)
                        }.joined())
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }
}
