import CollapseExport
import Foundation

extension Figure {
    /// The figures written beside linear results: `figure.svg`, the paper-style panel grid, and
    /// `figure-ratio.svg`, the accumulate/replace heat map over d × T, when the file holds both
    /// regimes and more than one (d, T) cell.
    public static func defaultFigures(_ table: ResultsTable) throws -> [(file: String, svg: String)] {
        var out = [(file: "figure.svg", svg: try panelGrid(table))]
        let names = Set(table.rows.map(\.regime))
        if names.contains("replace") && names.contains("accumulate") && table.dimensions.count * table.sampleSizes.count > 1 {
            out.append((file: "figure-ratio.svg", svg: try ratioHeatmap(table)))
        }
        return out
    }
}

/// The default figures of a linear results file, written into its directory.
public struct DefaultFigures: Sendable {
    /// The files written, by name, in order (`figure.svg`, then its PNG when written, …).
    public var files: [String]
    /// Why PNG copies were asked for and not all written (rsvg-convert missing, or failing on a
    /// figure: its name and rsvg-convert's reason); nil otherwise.
    public var pngNote: String?

    /// Draws `Figure.defaultFigures` of `results` and writes them into `directory` as SVG and,
    /// with `png`, as PNG beside each when `SVGConverter` is available (every SVG is written
    /// either way; `pngNote` says why a PNG is not). The PNGs are rendered concurrently (one
    /// `rsvg-convert` process each) and written in order once all have rendered. Throws only
    /// when a figure cannot be drawn or a file cannot be written.
    public static func write(results: CSVDocument, into directory: URL, png: Bool) throws -> DefaultFigures {
        let figures = try Figure.defaultFigures(try ResultsTable(document: results))
        let converts = png && SVGConverter.isAvailable
        let rendered = converts ? renderPNGs(figures.map(\.svg)) : []
        var files: [String] = [], failed: [String] = []
        for (i, f) in figures.enumerated() {
            try FigureFile.write(f.svg, as: .svg, to: directory.appendingPathComponent(f.file))
            files.append(f.file)
            if converts {
                let name = (f.file as NSString).deletingPathExtension + ".png"
                switch rendered[i] {
                case let .success(data):
                    try AtomicFile.write(data, to: directory.appendingPathComponent(name))
                    files.append(name)
                case let .failure(error):
                    failed.append("\(name) (\(error))")
                }
            }
        }
        let note =
            png && !converts
            ? "no PNG written: \(SVGConverter.program) is not on PATH; \(SVGConverter.installHint), or convert the SVG later"
            : failed.isEmpty ? nil : "not written: \(failed.joined(separator: "; ")); the SVG beside it is"
        return DefaultFigures(files: files, pngNote: note)
    }

    /// Each SVG rendered as PNG, the conversions running side by side.
    static func renderPNGs(_ svgs: [String]) -> [Result<Data, Error>] {
        nonisolated(unsafe) let slots = UnsafeMutableBufferPointer<Result<Data, Error>?>.allocate(capacity: svgs.count)  // each index written by one iteration
        slots.initialize(repeating: nil)
        defer { slots.deallocate() }
        DispatchQueue.concurrentPerform(iterations: svgs.count) { i in
            slots[i] = Result { try SVGConverter.convert(svgs[i], to: .png) }
        }
        return slots.map { $0! }
    }
}
