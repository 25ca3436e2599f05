import ArgumentParser
import CollapseExport
import CollapsePlot
import Foundation

/// `collapse plot`: SVG figures from a results CSV (`PlotRequest` holds the views, the rules of
/// their flags and the drawing; the CLI parses, reports and writes the file).
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

    var request: PlotRequest {
        PlotRequest(results: results, output: output, view: view, dimension: dimension, samples: samples,
                    noiseVariance: noiseVariance, generation: generation, yRange: yRange)
    }

    /// Checks the flags and the output path, and draws once, so that a bad file or a value not
    /// in it is reported with this command's usage. `run()` draws again.
    func validate() throws { try plotUsage { try request.validate() } }

    func run() throws {
        let svg = try plotUsage { try request.render() }
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

/// Runs `body`, reporting a `PlotRequestError` as a usage error: `Error: …`, exit status 64.
private func plotUsage<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as PlotRequestError { throw ValidationError(e.description) }
}
