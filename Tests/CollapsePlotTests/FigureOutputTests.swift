import CollapseExport
import CollapsePlot
import Foundation
import XCTest

/// What a figure file is: its format (from `--format` or the name), its size and type size, and
/// PNG and PDF rendered by rsvg-convert (skipped where it is not installed; CI installs it).
final class FigureOutputTests: XCTestCase {
    var work: URL!
    var linear: String!, generative: String!

    override func setUpWithError() throws {
        work = try temporaryDirectory(self)
        linear = work.appendingPathComponent("linear.csv").path
        try SyntheticResults.csv(dimensions: [4, 8], samples: [20, 50]).write(toFile: linear, atomically: true, encoding: .utf8)
        generative = work.appendingPathComponent("generative.csv").path
        try MetricFigureTests.csv().write(toFile: generative, atomically: true, encoding: .utf8)
    }

    func refusal(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }

    // MARK: Format

    func testTheFormatIsTheFlagsOrTheExtensions() throws {
        XCTAssertEqual(try FigureFormat.of(output: "f.svg", format: nil), .svg)
        XCTAssertEqual(try FigureFormat.of(output: "f.PNG", format: nil), .png)
        XCTAssertEqual(try FigureFormat.of(output: "dir/f.pdf", format: nil), .pdf)
        XCTAssertEqual(try FigureFormat.of(output: "figure", format: nil), .svg)
        XCTAssertEqual(try FigureFormat.of(output: "figure", format: "pdf"), .pdf)
        XCTAssertEqual(try FigureFormat.of(output: "f.png", format: "PNG"), .png)
        XCTAssertEqual(
            refusal { _ = try FigureFormat.of(output: "fig.svg", format: "png") },
            "--format png disagrees with --output fig.svg (a .svg name); name the file fig.png, or leave --format out to write SVG")
        XCTAssertEqual(
            refusal { _ = try FigureFormat.of(output: "out/fig.jpg", format: "pdf") },
            "--format pdf disagrees with --output out/fig.jpg (a .jpg name); name the file fig.pdf")
        XCTAssertEqual(
            refusal { _ = try FigureFormat.of(output: "fig.jpg", format: nil) },
            "--output fig.jpg: unknown figure extension '.jpg'; name it .svg, .png or .pdf (or give --format svg|png|pdf)")
        XCTAssertEqual(refusal { _ = try FigureFormat.of(output: "fig.svg", format: "eps") }, "--format: unknown format 'eps'; allowed: svg, png, pdf")
    }

    /// A name that disagrees with --format is refused before anything is drawn or written.
    func testAMismatchedNameWritesNothing() throws {
        let output = work.appendingPathComponent("figure.svg").path
        let request = PlotRequest(results: linear, output: output, format: "pdf")
        XCTAssertThrowsError(try request.validate()) { XCTAssertTrue("\($0)".hasPrefix("--format pdf disagrees with --output"), "\($0)") }
        XCTAssertThrowsError(try request.write())
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    // MARK: Size and type

    func testStyleFlagsInRange() {
        XCTAssertNil(refusal { try FigureStyle(width: 800, height: 600, fontSize: 14).check() })
        XCTAssertEqual(refusal { try FigureStyle(width: 20).check() }, "--width: 20 is out of range; expected pixels in 100…20000")
        XCTAssertEqual(refusal { try FigureStyle(height: 0).check() }, "--height: 0 is out of range; expected pixels in 100…20000")
        XCTAssertEqual(refusal { try FigureStyle(fontSize: 0.5).check() }, "--font-size: 0.5 is out of range; expected px in 4…48 (default 11)")
        XCTAssertEqual(refusal { try FigureStyle(fontSize: .nan).check() }, "--font-size: nan is out of range; expected px in 4…48 (default 11)")
        XCTAssertEqual(
            refusal { _ = try PlotRequest(results: linear, output: "f.svg", style: FigureStyle(width: 5)).render() },
            "--width: 5 is out of range; expected pixels in 100…20000")
    }

    /// Width and height are met exactly by laying the panels out, not by scaling: the viewBox is
    /// the drawing's own (from 0 0) and the type keeps its size.
    func testWidthAndHeightAreLaidOut() throws {
        for (view, path) in [("grid", linear!), ("generations", linear!), ("ratio", linear!), ("metrics", generative!)] {
            let natural = try XCTUnwrap(SVGWriter.size(of: PlotRequest(results: path, output: "f.svg", view: view).render()))
            for (w, h) in [(1400, 900), (Int(natural.width) + 300, nil), (nil, Int(natural.height) + 200), (nil, nil)] as [(Int?, Int?)] {
                let svg = try PlotRequest(results: path, output: "f.svg", view: view, style: FigureStyle(width: w, height: h)).render()
                let size = try XCTUnwrap(SVGWriter.size(of: svg))
                let root = try XCTUnwrap(SVGInspector.parse(svg)?.root)
                XCTAssertEqual(size.width, w.map(Double.init) ?? (h == nil ? natural.width : size.width), "\(view) \(w as Any)×\(h as Any)")
                XCTAssertEqual(size.height, h.map(Double.init) ?? (w == nil ? natural.height : size.height), "\(view) \(w as Any)×\(h as Any)")
                XCTAssertEqual(
                    root.attributes["viewBox"], "0 0 \(SVGWriter.number(size.width)) \(SVGWriter.number(size.height))",
                    "\(view) \(w as Any)×\(h as Any): laid out at that size, not scaled")
            }
        }
    }

    /// A size the layout cannot reach (narrower than the labels) is met by scaling the drawing
    /// uniformly, centred on white: the root's size is still the one asked.
    func testAnUnreachableSizeIsScaledToFit() throws {
        let svg = try PlotRequest(results: linear, output: "f.svg", style: FigureStyle(width: 120, height: 700)).render()
        let size = try XCTUnwrap(SVGWriter.size(of: svg))
        XCTAssertEqual(size.width, 120)
        XCTAssertEqual(size.height, 700)
        let root = try XCTUnwrap(SVGInspector.parse(svg)?.root)
        XCTAssertFalse(try XCTUnwrap(root.attributes["viewBox"]).hasPrefix("0 0 "), "centred in a larger viewBox")
    }

    func testFontSizeSetsTheTicksAndTheRestInProportion() throws {
        for (path, view) in [(linear!, "grid"), (generative!, "metrics")] {
            let doc = try XCTUnwrap(
                SVGInspector.parse(
                    PlotRequest(
                        results: path, output: "f.svg", view: view,
                        style: FigureStyle(fontSize: 16.5)
                    ).render()))
            XCTAssertEqual(Set(doc.withClass("ytick-label").map { $0.attributes["font-size"] }), ["16.5"], view)
            XCTAssertEqual(doc.withClass("title").first?.attributes["font-size"], SVGWriter.number(16 * 1.5), view)
        }
        // The default is the figure as drawn without a style.
        let table = try ResultsTable(contentsOf: URL(fileURLWithPath: linear))
        XCTAssertEqual(try FigureStyle().draw { try Figure.panelGrid(table) }, try Figure.panelGrid(table))
    }

    // MARK: Tick labels

    func testTickLabelsDistinguishTheirValues() {
        XCTAssertEqual(PlotFormat.tickLabels([1, 1.025, 1.05, 1.075]), ["1.000", "1.025", "1.050", "1.075"])
        XCTAssertEqual(PlotFormat.tickLabels([0, 0.25, 0.5, 0.75, 1]), ["0.00", "0.25", "0.50", "0.75", "1.00"])
        XCTAssertEqual(PlotFormat.tickLabels([0, 10, 20, 30]), ["0", "10", "20", "30"])
        XCTAssertEqual(PlotFormat.tickLabels([-0.2, 0, 0.2]), ["-0.2", "0.0", "0.2"])
        XCTAssertEqual(PlotFormat.tickLabels([1_000_000, 1_000_500, 1_001_000]), ["1.0000×10⁶", "1.0005×10⁶", "1.0010×10⁶"])
        XCTAssertEqual(PlotFormat.tickLabels([2e6, 4e6, 6e6]), ["2×10⁶", "4×10⁶", "6×10⁶"])
        XCTAssertEqual(PlotFormat.tickLabels([1e-7, 2e-7, 3e-7]), ["0.0000001", "0.0000002", "0.0000003"])
        // Any nice ticks of any narrow range: as many labels as values.
        for (lo, width) in [(1.0, 0.1), (0.97, 0.08), (123.4, 0.02), (-5.0, 1e-4), (2.5e6, 40)] {
            let ticks = (0...4).map { lo + Double($0) * width / 4 }
            XCTAssertEqual(Set(PlotFormat.tickLabels(ticks)).count, ticks.count, "\(ticks) → \(PlotFormat.tickLabels(ticks))")
        }
    }

    /// The neural figure's test loss of 1.0 … 1.1: its tick labels are all different.
    func testAMetricPanelOverANarrowRangeHasDistinctTicks() throws {
        var lines = [MetricFigureTests.header]
        for (n, v) in [1.0, 1.031, 1.062, 1.094].enumerated() { lines.append("lm,text,replace,,\(n + 1),test_loss,\(v),,,100,1") }
        let doc = try XCTUnwrap(SVGInspector.parse(Figure.metricPanels(MetricResultsTable(csv: lines.joined(separator: "\n") + "\n"))))
        let labels = doc.withClass("ytick-label").map(\.text)
        XCTAssertGreaterThanOrEqual(labels.count, 3)
        XCTAssertEqual(Set(labels).count, labels.count, "\(labels)")
    }

    // MARK: PNG and PDF

    func requireConverter() throws {
        guard SVGConverter.isAvailable else {
            throw XCTSkip("rsvg-convert is not installed (Debian: librsvg2-bin; scripts/install-deps.sh installs it)")
        }
    }

    /// Width and height of a PNG, from its IHDR chunk (right after the 8-byte signature).
    static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data)
        guard bytes.count >= 24, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            bytes[12..<16].elementsEqual(Array("IHDR".utf8))
        else { return nil }
        func int(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (int(16), int(20))
    }

    func testPNGHasTheSizeAsked() throws {
        try requireConverter()
        for (name, path, width, height) in [("grid.png", linear!, 1200, 800), ("metrics.png", generative!, 640, 480)] {
            let output = work.appendingPathComponent(name)
            let format = try PlotRequest(results: path, output: output.path, style: FigureStyle(width: width, height: height)).write()
            XCTAssertEqual(format, .png)
            let size = try XCTUnwrap(Self.pngSize(Data(contentsOf: output)), "\(name) is not a PNG")
            XCTAssertEqual(size.width, width, name)
            XCTAssertEqual(size.height, height, name)
        }
        // Without a size: the SVG's own.
        let output = work.appendingPathComponent("natural.png")
        try PlotRequest(results: generative, output: output.path).write()
        let svg = try XCTUnwrap(SVGWriter.size(of: PlotRequest(results: generative, output: "f.svg").render()))
        let size = try XCTUnwrap(Self.pngSize(Data(contentsOf: output)))
        XCTAssertEqual(Double(size.width), svg.width)
        XCTAssertEqual(Double(size.height), svg.height)
    }

    func testPDFIsAPDF() throws {
        try requireConverter()
        let output = work.appendingPathComponent("figure")
        XCTAssertEqual(try PlotRequest(results: linear, output: output.path, format: "pdf").write(), .pdf)
        XCTAssertTrue(try Data(contentsOf: output).starts(with: Data("%PDF-".utf8)))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: work.path).sorted(), ["figure", "generative.csv", "linear.csv"],
            "no temporary file left beside it")
    }

    func testAMissingConverterNamesThePackage() {
        XCTAssertNil(SVGConverter.locate(environment: ["PATH": "/nonexistent:"]))
        XCTAssertNil(SVGConverter.locate(environment: [:]))
        XCTAssertThrowsError(try SVGConverter.required(for: .png, environment: ["PATH": "/nonexistent"])) {
            XCTAssertEqual(
                "\($0)",
                "PNG output needs rsvg-convert, which is not on PATH: install Debian's librsvg2-bin "
                    + "(apt-get install librsvg2-bin, or scripts/install-deps.sh); --format svg needs nothing")
        }
    }
}
