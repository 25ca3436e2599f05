import CollapseExport
import Foundation

/// A request that cannot be drawn: a flag out of range or on the wrong view, an output path that
/// is not a new figure file of the format asked, a results file that cannot be read, or a value
/// not in it. The
/// description is the whole message (it names the flag, or the file, line and column), so a
/// front end prints it as it is; `collapse plot` reports it as a usage error (exit status 64).
public struct PlotRequestError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One `collapse plot` request: the results file, the view, the values it draws (as the user gave
/// them: `nil` for a flag not given), the figure's size and type size, and the file to write
/// (SVG, PNG or PDF: `FigureFormat`), with the rules that make it
/// drawable. They live here rather than in the CLI so that they are unit-tested with the figures
/// they guard, and so that every front end refuses the same requests with the same words.
///
/// The views: grid (the default), generations and ratio draw linear Monte Carlo results
/// (`ResultsTable`); metrics draws any long-format results file (`MetricResultsTable`), and is
/// the only view of a file with no linear Monte Carlo results (generative, neural, closed-form
/// tables), which it is then chosen for. Each flag applies to some views only; a flag given for
/// another view is refused rather than ignored, since a figure drawn without the value asked for
/// looks right and is not.
///
/// `validate()` checks the flags, the output path, that the file draws and that the format can be
/// written here; `render()` checks the flags and returns the SVG; `write()` renders and writes
/// the file in its format. They throw `PlotRequestError` for the request, `FigureWriteError` for
/// a renderer that is missing or fails.
public struct PlotRequest: Sendable, Equatable {
    /// Every view, in the order the messages list them.
    public static let views = ["grid", "generations", "ratio", "metrics"]

    /// The results CSV file to draw.
    public var results: String
    /// The figure file to write (checked by `validate()`, written by `write()`).
    public var output: String
    /// svg, png or pdf as typed; nil: the output's extension's (`FigureFormat.of`).
    public var format: String?
    /// The figure's width, height (px) and type size.
    public var style: FigureStyle
    /// nil: grid for linear Monte Carlo results, metrics for any other file.
    public var view: String?
    /// d (grid, generations); nil: the only one in the file, or the smallest.
    public var dimension: Int?
    /// T (generations); nil: the only one in the file, or the smallest.
    public var samples: Int?
    /// σ² as typed (generations, ratio): parsed here so that a bad value is reported as given.
    public var noiseVariance: String?
    /// Generation n of the ratio (ratio); nil: the last.
    public var generation: Int?
    /// `PanelGridOptions.YRange` by name (grid): figure (the default) or row.
    public var yRange: String

    public init(
        results: String, output: String, view: String? = nil, dimension: Int? = nil, samples: Int? = nil,
        noiseVariance: String? = nil, generation: Int? = nil, yRange: String = "figure", format: String? = nil,
        style: FigureStyle = FigureStyle()
    ) {
        self.results = results
        self.output = output
        self.format = format
        self.style = style
        self.view = view
        self.dimension = dimension
        self.samples = samples
        self.noiseVariance = noiseVariance
        self.generation = generation
        self.yRange = yRange
    }

    // MARK: Validation

    /// Checks the flags and the output path, then draws the figure once, so that a bad file or a
    /// value not in it is reported before anything is written (reading and drawing are cheap);
    /// last, that the renderer a PNG or PDF needs is installed.
    public func validate() throws {
        try checkFlags()
        let format = try checkOutput()
        _ = try render()
        if format != .svg { _ = try SVGConverter.required(for: format) }
    }

    /// Draws the figure and writes it to `output` in its format (atomically, creating the
    /// directory); returns the format written. Nothing is written on error. `progress` hears
    /// the drawing (`render(progress:)`).
    @discardableResult
    public func write(progress: PlotProgress? = nil) throws -> FigureFormat {
        try checkFlags()
        let format = try checkOutput()
        try FigureFile.write(try render(progress: progress), as: format, to: URL(fileURLWithPath: output))
        return format
    }

    /// The flags on their own: a known view, each flag on the view asked for (when none is, on the
    /// view the file is drawn with, once it is read: `checkApplies`), values in range.
    func checkFlags() throws {
        if let view, !Self.views.contains(view) {
            throw PlotRequestError("--view: unknown view '\(view)'; allowed: \(Self.views.joined(separator: ", "))")
        }
        if let view, view != "metrics" { try checkApplies(to: view) }
        for (flag, value) in [("--dimension", dimension), ("--samples", samples), ("--generation", generation)] {
            if let value, value < 1 { throw PlotRequestError("\(flag): \(value) is out of range; expected an integer ≥ 1") }
        }
        _ = try parsedNoiseVariance()
        guard PanelGridOptions.YRange(rawValue: yRange) != nil else {
            throw PlotRequestError("--y-range: unknown value '\(yRange)'; allowed: figure, row")
        }
        try style.check()
    }

    /// Each linear flag given applies to `view` (grid, generations or ratio).
    func checkApplies(to view: String) throws {
        let uses: [(String, Bool, [String])] = [
            ("--dimension", dimension != nil, ["grid", "generations"]),
            ("--samples", samples != nil, ["generations"]),
            ("--noise-variance", noiseVariance != nil, ["generations", "ratio"]),
            ("--generation", generation != nil, ["ratio"]),
            ("--y-range", yRange != "figure", ["grid"])
        ]
        for (flag, given, views) in uses where given && !views.contains(view) {
            throw PlotRequestError("\(flag) does not apply to --view \(view); it applies to --view \(views.joined(separator: " or "))")
        }
    }

    /// The output path: given, not a directory, not the results file (symlinks resolved), and
    /// named for its format (`FigureFormat.of`), which it returns.
    func checkOutput() throws -> FigureFormat {
        guard !output.isEmpty else { throw PlotRequestError("--output: empty path; expected a figure file path (.svg, .png or .pdf)") }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDir), isDir.boolValue {
            throw PlotRequestError("--output \(output): is a directory; expected a file path, e.g. \(output)/figure.svg")
        }
        guard !results.isEmpty else { throw PlotRequestError("RESULTS: empty path; expected a results CSV file") }
        if FilePath.same(URL(fileURLWithPath: output), URL(fileURLWithPath: results)) {
            throw PlotRequestError("--output \(output): is the results file being drawn; choose another path (e.g. figure.svg)")
        }
        return try FigureFormat.of(output: output, format: format)
    }

    /// σ² parsed: nil when not given; a finite number > 0 (surrounding spaces allowed).
    public func parsedNoiseVariance() throws -> Double? {
        guard let noiseVariance else { return nil }
        guard let v = Double(noiseVariance.trimmingCharacters(in: .whitespaces)), v.isFinite, v > 0 else {
            throw PlotRequestError("--noise-variance: '\(noiseVariance)' is not a finite number > 0; expected one σ² in the file, e.g. 1")
        }
        return v
    }

    // MARK: Drawing

    /// The view `document` is drawn with: metrics when asked for, or when the file holds no
    /// linear Monte Carlo results (`ResultsTable.holdsLinearResults`); else the view asked for,
    /// grid by default. Refuses a linear view of such a file, the metrics view of an old wide
    /// linear file, and the linear-only flags on the metrics view.
    public func drawnView(of document: CSVDocument) throws -> String {
        guard !ResultsTable.holdsLinearResults(document) || view == "metrics" else { return view ?? "grid" }
        if let view, view != "metrics" {
            throw PlotRequestError(
                "--view \(view): \(results) holds no linear Monte Carlo results (rows of metric test_error with "
                    + "dimension and noise_variance columns); its view is metrics")
        }
        guard MetricResultsTable.isLongFormat(document.header) else {
            throw PlotRequestError(
                "--view metrics needs a long-format results file (columns model, dataset, regime, generation, metric, mean, "
                    + "std_error, theory); \(results) has the old wide linear columns: use --view grid, generations or ratio")
        }
        let linearOnly: [(String, Bool)] = [
            ("--dimension", dimension != nil), ("--samples", samples != nil),
            ("--noise-variance", noiseVariance != nil), ("--generation", generation != nil),
            ("--y-range", yRange != "figure")
        ]
        if let (flag, _) = linearOnly.first(where: \.1) {
            throw PlotRequestError("\(flag) does not apply to --view metrics; it applies to the linear views grid, generations and ratio")
        }
        return "metrics"
    }

    /// Checks the flags, reads the results file and returns the SVG of the view it is drawn
    /// with, in `style`. A bad file or a value not in it is reported naming the file, line,
    /// column or flag. `progress` hears three steps of the file's rows once it is read: read,
    /// tabled, drawn (the metrics view tells each panel's rows as it draws them).
    public func render(progress: PlotProgress? = nil) throws -> String {
        try checkFlags()
        let draw = try drawing(progress: progress)
        defer { progress?.end() }
        do {
            defer { progress?.cellFinished() }
            return try style.draw(draw)
        } catch let e as FigureError {
            throw PlotRequestError(flagged(e.message))
        } catch let e as ResultsTableError {
            throw PlotRequestError(e.description)
        }
    }

    /// Reads the results file once and returns the drawing of its view (called once per layout
    /// that `FigureStyle.draw` tries).
    func drawing(progress: PlotProgress? = nil) throws -> () throws -> String {
        let document: CSVDocument
        do {
            document = try CSVReader.read(contentsOf: URL(fileURLWithPath: results))
        } catch let e as CSVReadError {
            throw PlotRequestError(e.description)
        }
        let drawn = try drawnView(of: document)
        if view == nil && drawn != "metrics" { try checkApplies(to: drawn) }
        let rows = document.rows.count
        func step() { progress?.advance(replicates: rows, work: Double(rows)); progress?.cellFinished() }
        progress?.begin(cells: 3, totalWork: Double(3 * rows))
        step()
        do {
            defer { step() }
            if drawn == "metrics" {
                let table = try MetricResultsTable(document: document)
                return { try Figure.metricPanels(table, progress: progress) }
            }
            let table = try ResultsTable(document: document)
            let noiseVariance = try parsedNoiseVariance()
            switch drawn {
            case "generations":
                return { [dimension, samples] in
                    try Figure.generations(table, dimension: dimension, samples: samples, noiseVariance: noiseVariance)
                }
            case "ratio":
                return { [generation] in try Figure.ratioHeatmap(table, noiseVariance: noiseVariance, generation: generation) }
            default:
                let options = PanelGridOptions(dimension: dimension, yRange: PanelGridOptions.YRange(rawValue: yRange) ?? .figure)
                return { try Figure.panelGrid(table, options) }
            }
        } catch let e as ResultsTableError {
            progress?.end()
            throw PlotRequestError(e.description)
        } catch {
            progress?.end()
            throw error
        }
    }

    /// Prefixes a figure error with the flag whose value it concerns (the figure knows the value,
    /// not the flag it came from). A generation error is the flag's only when one was given.
    func flagged(_ message: String) -> String {
        if message.contains("dimension d = ") { return "--dimension: " + message }
        if message.contains("samples T = ") { return "--samples: " + message }
        if message.contains("noise variance σ² = ") { return "--noise-variance: " + message }
        if message.contains("generation ") && generation != nil { return "--generation: " + message }
        return message
    }
}

/// Hears how far a drawing is: the requirements of the engine's `RunProgress`, which this
/// module (a layer beside the engine) cannot import, so that a front end's `TextProgress` serves
/// as both. `begin` counts steps and rows; `advance` tells rows done.
public protocol PlotProgress: Sendable {
    func begin(cells: Int, totalWork: Double)
    func advance(replicates: Int, work: Double)
    func cellFinished()
    func end()
}
