import ArgumentParser
import CollapseExport
import CollapsePlot
import ExperimentEngine
import Foundation

/// `collapse plot`: figures from a results CSV (`PlotRequest` holds the views, the rules of their
/// flags, the drawing and the writing of SVG, PNG and PDF; the CLI parses and reports).
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a figure (SVG, PNG or PDF) from any results.csv (simulate, sweep, reproduce, generative, neural, theory --format csv).",
        discussion: """
            Views: grid (default) — the paper's figure: one column per T, one row per regime, one line per σ², \
            log test error against iteration, Monte Carlo mean with its 95% band and the closed form dashed; \
            generations — one cell (d, T, σ²), one line per regime; ratio — heat map over d and T of \
            mean test error accumulate / replace at one generation. A value not given (--dimension, \
            --samples, --noise-variance) defaults to the only one in the file, or the smallest, which the \
            figure's title or subtitle then names. metrics — any results file (generative, neural, theory \
            --format csv, and linear too): one panel per metric, in a grid of up to three columns, one line \
            per regime (and grid cell) with its 95% band, theory dashed; the only view of results that are \
            not linear Monte Carlo. A series that is not finite from some generation on is drawn where it \
            is finite and the panel says from where (e.g. "replace: +∞ from n = 2"). \
            The format is --format, or the --output extension's (.svg, .png, .pdf); a name whose \
            extension disagrees is refused. PNG and PDF are rendered from the SVG by rsvg-convert \
            (Debian: librsvg2-bin). --width and --height lay the figure out at that size in pixels \
            (one of them keeps the proportions); --font-size sets the tick labels' size, other text in \
            proportion. The file is written atomically; nothing is written on error.
            """)

    @Argument(help: "The results CSV file (results.csv).", completion: .file(extensions: ["csv"]))
    var results: String

    @Option(name: .customLong("output"), parsing: .unconditional, help: "The figure file to write (.svg, .png or .pdf).", completion: .file())
    var output: String

    @Option(
        name: .customLong("format"), parsing: .unconditional, help: "svg, png or pdf (default: the --output extension's; svg without one).",
        completion: .list(FigureFormat.allCases.map(\.rawValue)))
    var format: String?

    @Option(name: .customLong("width"), parsing: .unconditional, help: "Figure width in pixels (default: what the layout needs).")
    var width: Int?

    @Option(name: .customLong("height"), parsing: .unconditional, help: "Figure height in pixels (default: what the layout needs).")
    var height: Int?

    @Option(name: .customLong("font-size"), parsing: .unconditional, help: "Tick-label size in pixels; other text in proportion.")
    var fontSize: Double = FigureStyle.defaultFontSize

    @Option(
        name: .customLong("view"), parsing: .unconditional,
        help: "grid (default), generations or ratio (linear results); metrics (any results file; the default and only view for others).",
        completion: .list(PlotRequest.views))
    var view: String?

    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "d to plot (grid, generations).")
    var dimension: Int?

    @Option(name: .customLong("samples"), parsing: .unconditional, help: "T to plot (generations).")
    var samples: Int?

    @Option(name: .customLong("noise-variance"), parsing: .unconditional, help: "σ² to plot (generations, ratio).")
    var noiseVariance: String?

    @Option(name: .customLong("generation"), parsing: .unconditional, help: "Generation n of the ratio (ratio; default: the last).")
    var generation: Int?

    @Option(
        name: .customLong("y-range"), parsing: .unconditional, help: "Grid y axis shared by the whole figure or per row: figure or row.",
        completion: .list(PanelGridOptions.YRange.allCases.map(\.rawValue)))
    var yRange = "figure"

    @OptionGroup var display: ProgressOptions

    var request: PlotRequest {
        PlotRequest(
            results: results, output: output, view: view, dimension: dimension, samples: samples,
            noiseVariance: noiseVariance, generation: generation, yRange: yRange, format: format,
            style: FigureStyle(width: width, height: height, fontSize: fontSize))
    }

    /// Draws once (a bad file or value is a usage error, exit status 64) and writes the figure.
    func run() throws {
        _ = try plotErrors { try request.write(progress: try display.reporter(.init(parts: "steps (read, table, draw)", items: "rows"))) }
        print("wrote \(output)")
    }
}

extension TextProgress: PlotProgress {}

/// Runs `body`, reporting a `PlotRequestError` as a usage error (`Error: …`, exit status 64) and
/// a `FigureWriteError` (renderer missing or failing) as a failure (exit status 1).
private func plotErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as PlotRequestError { throw ValidationError(e.description) } catch let e as FigureWriteError {
        throw CLIError(e.description)
    }
}
