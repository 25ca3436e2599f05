import CollapseExport
import Foundation

/// A results-file problem: which file, which line and column (when it concerns one value) and
/// what is wrong. `description` is `FILE:LINE: column 'c': …` or `FILE: …`.
public struct ResultsTableError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    /// Physical line (1-based), or 0 when the problem concerns the whole file.
    public var line: Int
    /// The column concerned, if any.
    public var column: String?
    /// The offending field, if any.
    public var value: String?
    public var message: String

    public init(file: String, line: Int = 0, column: String? = nil, value: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        self.message = message
    }

    public var description: String {
        var s = line > 0 ? "\(file):\(line): " : "\(file): "
        if let column, line > 0 { s += "column '\(column)': " }
        s += message
        return s
    }
}

/// One row of a results CSV (the columns the figures use).
public struct ResultsRow: Sendable, Equatable {
    public var regime: String
    public var generation: Int
    public var dimension: Int
    public var samples: Int
    public var noiseVariance: Double
    public var repeats: Int
    public var mean: Double
    public var standardError: Double
    /// The closed form (`theory`); nil when empty.
    public var theory: Double?
    /// `real_fraction` (mix); nil when empty or the column is absent.
    public var realFraction: Double?
    /// The 95% band: `ci95_low`/`ci95_high` when present, else `mean ∓ 1.959964·std_error`.
    public var bandLow: Double
    public var bandHigh: Double
    /// The physical line of the row in its file.
    public var line: Int
    /// Whether the figure draws the median with its interquartile band instead of the mean with
    /// its 95 % band: where the file's `moments` column says the variance is infinite (`mean`,
    /// `infinite-variance` or `none`: `LongResults.infiniteVariance`; proofs L1, A1), so the
    /// mean's band estimates nothing.
    public var drawsMedian = false
    /// What the figure draws: the mean and its band, or (`drawsMedian`) the median and the
    /// quartiles.
    public var centre: Double
    public var low: Double
    public var high: Double

    public init(
        regime: String, generation: Int, dimension: Int, samples: Int, noiseVariance: Double,
        repeats: Int, mean: Double, standardError: Double, theory: Double? = nil,
        realFraction: Double? = nil, bandLow: Double? = nil, bandHigh: Double? = nil, line: Int = 0
    ) {
        self.regime = regime
        self.generation = generation
        self.dimension = dimension
        self.samples = samples
        self.noiseVariance = noiseVariance
        self.repeats = repeats
        self.mean = mean
        self.standardError = standardError
        self.theory = theory
        self.realFraction = realFraction
        self.bandLow = bandLow ?? mean - ResultsTable.z95 * standardError
        self.bandHigh = bandHigh ?? mean + ResultsTable.z95 * standardError
        self.line = line
        centre = mean
        low = self.bandLow
        high = self.bandHigh
    }

    /// Draws the median and the quartiles instead (see `drawsMedian`).
    public mutating func drawMedian(_ median: Double, q25: Double, q75: Double) {
        drawsMedian = true
        centre = median
        low = q25
        high = q75
    }

    /// The series label: the regime name, with the real fraction for mix: `mix(0.25)`.
    public var series: String {
        guard let realFraction else { return regime }
        return "\(regime)(\(PlotFormat.shortest(realFraction)))"
    }
}

/// Linear-chain results loaded and validated for the grid, generations and ratio figures.
///
/// Reads the long results format (`LongResults`; the rows of metric `test_error`, with the
/// linear chain's `dimension` and `noise_variance` columns) and the wide linear layout written
/// before it (columns `mean_test_error`, `theory_test_error`, one row per generation). Required:
/// `regime, generation, dimension, samples, noise_variance, repeats`, the mean, `std_error` and
/// the theory (theory values may be empty). Optional: `real_fraction` (distinguishes mix
/// series), `ci95_low`, `ci95_high` (when absent or empty the band is `mean ± 1.959964·
/// std_error`). Other columns are ignored. Integers must be integers, numbers must parse
/// (`nan`/`inf` as written by `CSVField` are accepted and simply not drawn), and there must be
/// at least one row and no two rows for the same series and generation.
public struct ResultsTable: Sendable {
    /// The normal 97.5% quantile used for bands derived from the standard error.
    public static let z95 = 1.959964

    /// The columns of the wide layout; the long format names the mean `mean` and the theory
    /// `theory`, and adds `metric`.
    public static let requiredColumns = [
        "regime", "generation", "dimension", "samples", "noise_variance", "repeats",
        "mean_test_error", "std_error", "theory_test_error"
    ]
    public static let optionalColumns = ["real_fraction", "ci95_low", "ci95_high", "moments", "median", "q25", "q75"]

    /// The metric the figures draw from a long-format file.
    public static let linearMetric = "test_error"

    /// Whether `document` holds linear Monte Carlo results these figures draw: the wide layout,
    /// or the long format with `dimension` and `noise_variance` columns and a `test_error` row
    /// with a mean (a closed-form table alone is drawn by the metrics view).
    public static func holdsLinearResults(_ document: CSVDocument) -> Bool {
        let h = document.header
        guard MetricResultsTable.isLongFormat(h) else { return true }
        guard h.contains("dimension"), h.contains("noise_variance"), let m = h.firstIndex(of: "metric"),
            let mean = h.firstIndex(of: "mean")
        else { return false }
        return document.rows.contains { $0[m] == linearMetric && !CSVField.trimmed($0[mean]).isEmpty }
    }

    /// The file name used in messages.
    public let source: String
    /// The rows, in file order.
    public let rows: [ResultsRow]

    /// Loads and validates the CSV file at `url`.
    public init(contentsOf url: URL) throws {
        let document: CSVDocument
        do {
            document = try CSVReader.read(contentsOf: url)
        } catch let e as CSVReadError {
            throw ResultsTableError(file: e.file, line: e.line, message: e.message)
        }
        try self.init(document: document)
    }

    /// Parses and validates CSV `text`; `source` names it in errors.
    public init(csv text: String, source: String = "<results>") throws {
        let document: CSVDocument
        do {
            document = try CSVReader.parse(text, file: source)
        } catch let e as CSVReadError {
            throw ResultsTableError(file: e.file, line: e.line, message: e.message)
        }
        try self.init(document: document)
    }

    /// Validates a parsed CSV document.
    public init(document: CSVDocument) throws {
        let file = document.file
        let long = MetricResultsTable.isLongFormat(document.header)
        let meanName = long ? "mean" : "mean_test_error", theoryName = long ? "theory" : "theory_test_error"
        let required =
            ["regime", "generation", "dimension", "samples", "noise_variance", "repeats", meanName, "std_error", theoryName]
            + (long ? ["metric"] : [])
        let index = try Self.columnIndex(document, required: required, optional: Self.optionalColumns)
        func column(_ name: String) -> Int { index[name]! }
        let cRegime = column("regime"), cGeneration = column("generation"), cDimension = column("dimension"),
            cSamples = column("samples"), cNoise = column("noise_variance"), cRepeats = column("repeats"),
            cMean = column(meanName), cSE = column("std_error"), cTheory = column(theoryName)
        let cFraction = index["real_fraction"], cLow = index["ci95_low"], cHigh = index["ci95_high"], cMetric = index["metric"]

        // A run that swept N or R holds several chains per cell: the metrics view draws them apart.
        for name in ["repeats", "generations"] {
            guard let c = index[name] else { continue }
            let values = Set(
                document.rows.filter { r in cMetric.map { CSVField.trimmed(r[$0]) == Self.linearMetric } ?? true }
                    .map { CSVField.trimmed($0[c]) })
            if values.count > 1 {
                throw ResultsTableError(
                    file: file, column: name,
                    message: "holds several values of \(name) (\(values.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.joined(separator: ", "))); "
                        + "the grid, generations and ratio views draw one; use --view metrics, which draws each as its own series")
            }
        }
        var rows: [ResultsRow] = []
        rows.reserveCapacity(document.rows.count)
        var seen: [String: Int] = [:]
        for (fields, line) in zip(document.rows, document.lines) {
            if let cMetric, CSVField.trimmed(fields[cMetric]) != Self.linearMetric { continue }
            func fail(_ c: Int, _ message: String) -> ResultsTableError {
                ResultsTableError(file: file, line: line, column: document.header[c], value: fields[c], message: message)
            }
            func integer(_ c: Int, minimum: Int) throws -> Int {
                let s = CSVField.trimmed(fields[c])
                guard let v = Int(s) else {
                    throw fail(
                        c,
                        s.isEmpty
                            ? "empty value; expected an integer ≥ \(minimum)"
                            : "'\(fields[c])' is not an integer; expected an integer ≥ \(minimum)")
                }
                guard v >= minimum else { throw fail(c, "\(v) is out of range; expected an integer ≥ \(minimum)") }
                return v
            }
            func number(_ c: Int) throws -> Double {
                let s = CSVField.trimmed(fields[c])
                guard let v = Double(s) else {
                    throw fail(c, s.isEmpty ? "empty value; expected a number" : "'\(fields[c])' is not a number")
                }
                return v
            }
            func optionalNumber(_ c: Int?) throws -> Double? {
                guard let c else { return nil }
                if CSVField.trimmed(fields[c]).isEmpty { return nil }
                return try number(c)
            }
            let regime = CSVField.trimmed(fields[cRegime])
            guard !regime.isEmpty else { throw fail(cRegime, "empty value; expected a regime name") }
            let noise = try number(cNoise)
            guard noise.isFinite && noise > 0 else { throw fail(cNoise, "\(fields[cNoise]) is not a finite number > 0") }
            let fraction = try optionalNumber(cFraction)
            if let fraction, let c = cFraction, !(fraction.isFinite && fraction >= 0 && fraction <= 1) {
                throw fail(c, "\(fields[c]) is not a fraction in [0, 1]")
            }
            var row = ResultsRow(
                regime: regime, generation: try integer(cGeneration, minimum: 1),
                dimension: try integer(cDimension, minimum: 1), samples: try integer(cSamples, minimum: 1),
                noiseVariance: noise, repeats: try integer(cRepeats, minimum: 1),
                mean: try number(cMean), standardError: try number(cSE), theory: try optionalNumber(cTheory),
                realFraction: fraction, bandLow: try optionalNumber(cLow), bandHigh: try optionalNumber(cHigh),
                line: line)
            if let m = index["moments"], LongResults.infiniteVariance.contains(CSVField.trimmed(fields[m])),
                let median = try optionalNumber(index["median"]), let q25 = try optionalNumber(index["q25"]),
                let q75 = try optionalNumber(index["q75"])
            {
                row.drawMedian(median, q25: q25, q75: q75)
            }
            let key = "\(row.series)|\(row.dimension)|\(row.samples)|\(row.noiseVariance)|\(row.generation)"
            if let first = seen[key] {
                throw ResultsTableError(
                    file: file, line: line,
                    message: "duplicate row for \(row.series), d = \(row.dimension), T = \(row.samples), "
                        + "σ² = \(PlotFormat.shortest(row.noiseVariance)), generation \(row.generation) (first at line \(first))")
            }
            seen[key] = line
            rows.append(row)
        }
        guard !rows.isEmpty else {
            throw ResultsTableError(file: file, message: long ? "no rows of metric '\(Self.linearMetric)'" : "no data rows (only a header)")
        }
        self.source = file
        self.rows = rows
    }

    /// Column positions by name (the first of repeated names), after checking that every
    /// `required` column is present and no `required` or `optional` one appears twice.
    static func columnIndex(_ document: CSVDocument, required: [String], optional: [String]) throws -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, name) in document.header.enumerated() {
            if index[name] != nil && (required.contains(name) || optional.contains(name)) {
                throw ResultsTableError(file: document.file, line: 1, column: name, message: "appears twice in the header")
            }
            if index[name] == nil { index[name] = i }
        }
        for name in required where index[name] == nil {
            throw ResultsTableError(
                file: document.file, column: name,
                message: "missing required column '\(name)'; the header has: \(document.header.joined(separator: ", "))")
        }
        return index
    }

    /// A table from rows already in memory (not validated beyond being non-empty).
    public init(rows: [ResultsRow], source: String = "<memory>") throws {
        guard !rows.isEmpty else { throw ResultsTableError(file: source, message: "no data rows") }
        self.source = source
        self.rows = rows
    }

    // MARK: The grid

    /// Series labels (`replace`, `accumulate`, `mix(0.25)`, …) in order of first appearance.
    public var series: [String] {
        var seen = Set<String>(), out: [String] = []
        for r in rows where seen.insert(r.series).inserted { out.append(r.series) }
        return out
    }

    /// The dimensions present, ascending.
    public var dimensions: [Int] { Array(Set(rows.map(\.dimension))).sorted() }
    /// The sample sizes present, ascending.
    public var sampleSizes: [Int] { Array(Set(rows.map(\.samples))).sorted() }
    /// The noise variances present, ascending.
    public var noiseVariances: [Double] { Array(Set(rows.map(\.noiseVariance))).sorted() }
    /// The generations present, ascending.
    public var generations: [Int] { Array(Set(rows.map(\.generation))).sorted() }

    /// The rows that satisfy `predicate`, as a table with the same source (nil if none).
    public func filtered(_ predicate: (ResultsRow) -> Bool) -> ResultsTable? {
        let kept = rows.filter(predicate)
        return kept.isEmpty ? nil : try? ResultsTable(rows: kept, source: source)
    }

    /// The rows of one series in one cell, by ascending generation.
    public func series(_ label: String, dimension: Int, samples: Int, noiseVariance: Double) -> [ResultsRow] {
        rows.filter {
            $0.series == label && $0.dimension == dimension && $0.samples == samples && $0.noiseVariance == noiseVariance
        }.sorted { $0.generation < $1.generation }
    }

    /// The value in `values` equal to `x` up to a relative tolerance of 1e-9 (so `0.1` typed on
    /// a command line finds the `0.1` in a file).
    public static func match(_ x: Double, in values: [Double]) -> Double? {
        values.first { $0 == x || abs($0 - x) <= 1e-9 * max(abs($0), abs(x)) }
    }
}
