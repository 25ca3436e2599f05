import ArgumentParser
import CollapseExport
import CollapsePlot
import ExperimentEngine
import Foundation

/// `collapse plot`: SVG figures from a results CSV.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw an SVG figure from any results.csv (simulate, sweep, reproduce, generative, neural, theory --format csv).",
        discussion: """
        Views: grid (default) — the paper's figure: one column per T, one row per regime, one line per σ², \
        log test error against iteration, Monte Carlo mean with its 95% band and the closed form dashed; \
        generations — one cell (d, T, σ²), one line per regime; ratio — heat map over d and T of \
        mean test error accumulate / replace at one generation. A value not given (--dimension, \
        --samples, --noise-variance) defaults to the only one in the file, or the smallest, which the \
        figure's title or subtitle then names. metrics — any results file (generative, neural, theory \
        --format csv, and linear too): one panel per metric, one line per regime (and grid cell) with its \
        95% band, theory dashed; the only view of results that are not linear Monte Carlo. The SVG is \
        written atomically; nothing is written on error.
        """)

    static let views = ["grid", "generations", "ratio", "metrics"]

    @Argument(help: "The results CSV file (results.csv).")
    var results: String

    @Option(name: .customLong("output"), parsing: .unconditional, help: "The SVG file to write.")
    var output: String

    @Option(name: .customLong("view"), parsing: .unconditional, help: "grid (default), generations or ratio (linear results); metrics (any results file; the default and only view for others).")
    var view: String?

    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "d to plot (grid, generations).")
    var dimension: Int?

    @Option(name: .customLong("samples"), parsing: .unconditional, help: "T to plot (generations).")
    var samples: Int?

    @Option(name: .customLong("noise-variance"), parsing: .unconditional, help: "σ² to plot (generations, ratio).")
    var noiseVariance: String?

    @Option(name: .customLong("generation"), parsing: .unconditional, help: "Generation n of the ratio (ratio; default: the last).")
    var generation: Int?

    @Option(name: .customLong("y-range"), parsing: .unconditional, help: "Grid y axis shared by the whole figure or per row: figure or row.")
    var yRange = "figure"

    func validate() throws {
        if let view, !Self.views.contains(view) {
            throw ValidationError("--view: unknown view '\(view)'; allowed: \(Self.views.joined(separator: ", "))")
        }
        let uses: [(String, Bool, [String])] = [
            ("--dimension", dimension != nil, ["grid", "generations"]),
            ("--samples", samples != nil, ["generations"]),
            ("--noise-variance", noiseVariance != nil, ["generations", "ratio"]),
            ("--generation", generation != nil, ["ratio"]),
            ("--y-range", yRange != "figure", ["grid"]),
        ]
        let chosen = view ?? "grid"
        for (flag, given, views) in uses where given && !views.contains(chosen) {
            throw ValidationError("\(flag) does not apply to --view \(chosen); it applies to --view \(views.joined(separator: " or "))")
        }
        if let dimension, dimension < 1 {
            throw ValidationError("--dimension: \(dimension) is out of range; expected an integer ≥ 1")
        }
        if let samples, samples < 1 {
            throw ValidationError("--samples: \(samples) is out of range; expected an integer ≥ 1")
        }
        if let generation, generation < 1 {
            throw ValidationError("--generation: \(generation) is out of range; expected an integer ≥ 1")
        }
        _ = try parsedNoiseVariance()
        guard PanelGridOptions.YRange(rawValue: yRange) != nil else {
            throw ValidationError("--y-range: unknown value '\(yRange)'; allowed: figure, row")
        }
        guard !output.isEmpty else { throw ValidationError("--output: empty path; expected an SVG file path") }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDir), isDir.boolValue {
            throw ValidationError("--output \(output): is a directory; expected a file path, e.g. \(output)/figure.svg")
        }
        guard !results.isEmpty else { throw ValidationError("RESULTS: empty path; expected a results CSV file") }
        if OutputSafety.same(URL(fileURLWithPath: output), URL(fileURLWithPath: results)) {
            throw ValidationError("--output \(output): is the results file being drawn; choose another path (e.g. figure.svg)")
        }
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        if !["svg", ""].contains(ext) {
            throw ValidationError("--output \(output): collapse plot writes SVG; name the file .svg (convert it to \(ext.uppercased()) with a tool such as rsvg-convert or inkscape)")
        }
        // Reading the file and drawing are cheap; doing it here reports a bad file or a value
        // not in it with this command's usage. `run()` draws again.
        _ = try render()
    }

    func parsedNoiseVariance() throws -> Double? {
        guard let noiseVariance else { return nil }
        guard let v = Double(noiseVariance.trimmingCharacters(in: .whitespaces)), v.isFinite, v > 0 else {
            throw ValidationError("--noise-variance: '\(noiseVariance)' is not a finite number > 0; expected one σ² in the file, e.g. 1")
        }
        return v
    }

    /// Renders the requested view; a bad file or a value not in it is reported as a
    /// validation error (exit status 64) naming the file, line, column or flag.
    func render() throws -> String {
        let document: CSVDocument
        do {
            document = try CSVReader.read(contentsOf: URL(fileURLWithPath: results))
        } catch let e as CSVReadError {
            throw ValidationError(e.description)
        }
        if !ResultsTable.holdsLinearResults(document) || view == "metrics" { return try renderMetrics(document) }
        let table: ResultsTable
        do {
            table = try ResultsTable(document: document)
        } catch let e as ResultsTableError {
            throw ValidationError(e.description)
        }
        do {
            switch view ?? "grid" {
            case "generations":
                return try Figure.generations(table, dimension: dimension, samples: samples,
                                              noiseVariance: parsedNoiseVariance())
            case "ratio":
                return try Figure.ratioHeatmap(table, noiseVariance: parsedNoiseVariance(), generation: generation)
            default:
                return try Figure.panelGrid(table, PanelGridOptions(dimension: dimension,
                                                                    yRange: PanelGridOptions.YRange(rawValue: yRange) ?? .figure))
            }
        } catch let e as FigureError {
            throw ValidationError(flagged(e.message))
        }
    }

    /// The metrics view of a long-format file; the linear-only flags are refused.
    func renderMetrics(_ document: CSVDocument) throws -> String {
        if let view, view != "metrics" {
            throw ValidationError("--view \(view): \(results) holds no linear Monte Carlo results (rows of metric test_error with " +
                                  "dimension and noise_variance columns); its view is metrics")
        }
        guard MetricResultsTable.isLongFormat(document.header) else {
            throw ValidationError("--view metrics needs a long-format results file (columns model, dataset, regime, generation, metric, mean, " +
                                  "std_error, theory); \(results) has the old wide linear columns: use --view grid, generations or ratio")
        }
        let linearOnly: [(String, Bool)] = [("--dimension", dimension != nil), ("--samples", samples != nil),
                                            ("--noise-variance", noiseVariance != nil), ("--generation", generation != nil),
                                            ("--y-range", yRange != "figure")]
        if let (flag, _) = linearOnly.first(where: \.1) {
            throw ValidationError("\(flag) does not apply to --view metrics; it applies to the linear views grid, generations and ratio")
        }
        do {
            return try Figure.metricPanels(try MetricResultsTable(document: document))
        } catch let e as ResultsTableError {
            throw ValidationError(e.description)
        }
    }

    /// Prefixes a figure error with the flag whose value it concerns.
    func flagged(_ message: String) -> String {
        if message.contains("dimension d = ") { return "--dimension: " + message }
        if message.contains("samples T = ") { return "--samples: " + message }
        if message.contains("noise variance σ² = ") { return "--noise-variance: " + message }
        if message.contains("generation ") && generation != nil { return "--generation: " + message }
        return message
    }

    func run() throws {
        let svg = try render()
        let url = URL(fileURLWithPath: output)
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create directory \(dir.path): \(error.localizedDescription)")
        }
        try AtomicFile.write(svg, to: url)
        print("wrote \(output)")
    }
}
