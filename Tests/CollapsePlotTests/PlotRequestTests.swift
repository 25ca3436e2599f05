import CollapseExport
import CollapsePlot
import Foundation
import XCTest

/// `PlotRequest`: the view chosen for each kind of results file, the refusals (their exact words,
/// which `collapse plot` prints), and the SVG, which is the figure's own.
final class PlotRequestTests: XCTestCase {
    var work: URL!
    /// Wide linear, long linear, long generative (no linear rows) and closed-form-only files.
    var wide: String!, long: String!, generative: String!, theoryOnly: String!

    override func setUpWithError() throws {
        work = try temporaryDirectory(self)
        let wideText = SyntheticResults.csv(dimensions: [4, 8], samples: [20, 50])
        let longText = try ResultsTableTests.longForm(wideText)
        let theoryText =
            longText.split(separator: "\n").enumerated().map { i, line -> String in
                guard i > 0 else { return String(line) }
                var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                for c in [6, 7, 8, 9] { f[c] = "" }  // mean, std_error, ci95_low, ci95_high
                return f.joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        wide = try write("wide.csv", wideText)
        long = try write("long.csv", longText)
        generative = try write("generative.csv", MetricFigureTests.csv())
        theoryOnly = try write("theory.csv", theoryText)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = work.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func request(
        _ results: String, view: String? = nil, dimension: Int? = nil, samples: Int? = nil,
        noiseVariance: String? = nil, generation: Int? = nil, yRange: String = "figure",
        output: String? = nil
    ) -> PlotRequest {
        PlotRequest(
            results: results, output: output ?? work.appendingPathComponent("figure.svg").path, view: view,
            dimension: dimension, samples: samples, noiseVariance: noiseVariance, generation: generation, yRange: yRange)
    }

    /// The message `validate()` refuses `r` with (nil: accepted).
    func refusal(_ r: PlotRequest, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            try r.validate()
            return nil
        } catch let e as PlotRequestError {
            return e.description
        } catch {
            XCTFail("not a PlotRequestError: \(error)", file: file, line: line)
            return "\(error)"
        }
    }

    func document(_ path: String) throws -> CSVDocument { try CSVReader.read(contentsOf: URL(fileURLWithPath: path)) }

    // MARK: View choice

    func testLinearFilesDrawGridByDefaultAndOtherFilesMetrics() throws {
        for path in [wide!, long!] {
            XCTAssertEqual(try request(path).drawnView(of: document(path)), "grid")
            for view in ["grid", "generations", "ratio"] {
                XCTAssertEqual(try request(path, view: view).drawnView(of: document(path)), view, path)
            }
        }
        // The long format is drawn by metrics when asked (the old wide layout is refused: see below).
        XCTAssertEqual(try request(long, view: "metrics").drawnView(of: document(long)), "metrics")
        for path in [generative!, theoryOnly!] {
            XCTAssertEqual(try request(path).drawnView(of: document(path)), "metrics", path)
            XCTAssertEqual(try request(path, view: "metrics").drawnView(of: document(path)), "metrics", path)
        }
    }

    func testTheSVGIsTheFiguresOwn() throws {
        let table = try ResultsTable(document: document(long))
        XCTAssertEqual(try request(long).render(), try Figure.panelGrid(table))
        XCTAssertEqual(
            try request(long, dimension: 8, yRange: "row").render(),
            try Figure.panelGrid(table, PanelGridOptions(dimension: 8, yRange: .row)))
        XCTAssertEqual(
            try request(long, view: "generations", dimension: 8, samples: 50, noiseVariance: " 10 ").render(),
            try Figure.generations(table, dimension: 8, samples: 50, noiseVariance: 10))
        XCTAssertEqual(
            try request(long, view: "ratio", noiseVariance: "0.1", generation: 3).render(),
            try Figure.ratioHeatmap(table, noiseVariance: 0.1, generation: 3))
        XCTAssertEqual(try request(wide).render(), try Figure.panelGrid(ResultsTable(document: document(wide))))
        for path in [long!, generative!, theoryOnly!] {
            let metrics = try Figure.metricPanels(MetricResultsTable(document: document(path)))
            XCTAssertEqual(try request(path, view: path == long ? "metrics" : nil).render(), metrics, path)
        }
        for path in [wide!, long!, generative!, theoryOnly!] { XCTAssertNil(refusal(request(path)), path) }
    }

    // MARK: Refusals

    func testFlagsAreRefusedOnViewsTheyDoNotApplyTo() {
        XCTAssertEqual(refusal(request(long, view: "pie")), "--view: unknown view 'pie'; allowed: grid, generations, ratio, metrics")
        XCTAssertEqual(
            refusal(request(long, samples: 20)),
            "--samples does not apply to --view grid; it applies to --view generations")
        XCTAssertEqual(
            refusal(request(long, view: "ratio", dimension: 4)),
            "--dimension does not apply to --view ratio; it applies to --view grid or generations")
        XCTAssertEqual(
            refusal(request(long, view: "grid", noiseVariance: "1")),
            "--noise-variance does not apply to --view grid; it applies to --view generations or ratio")
        XCTAssertEqual(
            refusal(request(long, view: "generations", generation: 2)),
            "--generation does not apply to --view generations; it applies to --view ratio")
        XCTAssertEqual(
            refusal(request(long, view: "metrics", yRange: "row")),
            "--y-range does not apply to --view metrics; it applies to the linear views grid, generations and ratio")
        // With no view, a file without linear results is drawn by metrics, which refuses the linear flags.
        XCTAssertEqual(
            refusal(request(generative, samples: 20)),
            "--samples does not apply to --view metrics; it applies to the linear views grid, generations and ratio")
        XCTAssertEqual(
            refusal(request(generative, dimension: 2)),
            "--dimension does not apply to --view metrics; it applies to the linear views grid, generations and ratio")
        XCTAssertEqual(
            refusal(request(theoryOnly, yRange: "row")),
            "--y-range does not apply to --view metrics; it applies to the linear views grid, generations and ratio")
    }

    func testValuesOutOfRange() {
        XCTAssertEqual(refusal(request(long, dimension: 0)), "--dimension: 0 is out of range; expected an integer ≥ 1")
        XCTAssertEqual(refusal(request(long, view: "generations", samples: -3)), "--samples: -3 is out of range; expected an integer ≥ 1")
        XCTAssertEqual(refusal(request(long, view: "ratio", generation: 0)), "--generation: 0 is out of range; expected an integer ≥ 1")
        for bad in ["abc", "0", "-1", "inf", "nan", ""] {
            XCTAssertEqual(
                refusal(request(long, view: "ratio", noiseVariance: bad)),
                "--noise-variance: '\(bad)' is not a finite number > 0; expected one σ² in the file, e.g. 1")
        }
        XCTAssertEqual(refusal(request(long, yRange: "column")), "--y-range: unknown value 'column'; allowed: figure, row")
    }

    func testTheViewMustFitTheFile() {
        XCTAssertEqual(
            refusal(request(generative, view: "ratio")),
            "--view ratio: \(generative!) holds no linear Monte Carlo results (rows of metric test_error with "
                + "dimension and noise_variance columns); its view is metrics")
        XCTAssertEqual(
            refusal(request(wide, view: "metrics")),
            "--view metrics needs a long-format results file (columns model, dataset, regime, generation, metric, mean, "
                + "std_error, theory); \(wide!) has the old wide linear columns: use --view grid, generations or ratio")
    }

    func testValuesNotInTheFileNameTheirFlag() throws {
        let d = try XCTUnwrap(refusal(request(long, dimension: 5)))
        XCTAssertTrue(d.hasPrefix("--dimension: \(long!): dimension d = 5 is not in the table"), d)
        let t = try XCTUnwrap(refusal(request(long, view: "generations", samples: 21)))
        XCTAssertTrue(t.hasPrefix("--samples: \(long!): samples T = 21 is not in the table"), t)
        let s = try XCTUnwrap(refusal(request(long, view: "ratio", noiseVariance: "2")))
        XCTAssertTrue(s.hasPrefix("--noise-variance: \(long!): noise variance σ² = 2 is not in the table"), s)
        let n = try XCTUnwrap(refusal(request(long, view: "ratio", generation: 99)))
        XCTAssertTrue(n.hasPrefix("--generation: \(long!): generation 99 is not in the table"), n)
    }

    func testUnreadableFilesAreReportedAsTheReaderReportsThem() throws {
        let missing = work.appendingPathComponent("no-such.csv").path
        XCTAssertThrowsError(try CSVReader.read(contentsOf: URL(fileURLWithPath: missing))) { e in
            XCTAssertEqual(self.refusal(self.request(missing)), "\(e)")
        }
        let ragged = try write("ragged.csv", SyntheticResults.header + "\nreplace,1\n")
        XCTAssertEqual(refusal(request(ragged)), "\(ragged):2: row has 2 fields, the header (line 1) has 15")
        let badValue = try write("bad.csv", SyntheticResults.csv().replacingOccurrences(of: "\nreplace,1,4,", with: "\nreplace,x,4,"))
        XCTAssertEqual(refusal(request(badValue)), "\(badValue):2: column 'generation': 'x' is not an integer; expected an integer ≥ 1")
    }

    func testTheOutputIsANewFigureFileOfItsFormat() throws {
        XCTAssertEqual(refusal(request(long, output: "")), "--output: empty path; expected a figure file path (.svg, .png or .pdf)")
        XCTAssertEqual(refusal(request("", output: "f.svg")), "RESULTS: empty path; expected a results CSV file")
        XCTAssertEqual(
            refusal(request(long, output: work.path)),
            "--output \(work.path): is a directory; expected a file path, e.g. \(work.path)/figure.svg")
        let link = work.appendingPathComponent("link.csv")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: URL(fileURLWithPath: long))
        for output in [long!, link.path, work.appendingPathComponent("./sub/../long.csv").path] {
            XCTAssertEqual(
                refusal(request(long, output: output)),
                "--output \(output): is the results file being drawn; choose another path (e.g. figure.svg)")
        }
        let gif = work.appendingPathComponent("figure.GIF").path
        XCTAssertEqual(
            refusal(request(long, output: gif)),
            "--output \(gif): unknown figure extension '.gif'; name it .svg, .png or .pdf (or give --format svg|png|pdf)")
        for fine in ["figure", "new/dir/figure.svg", "FIGURE.SVG"] {
            XCTAssertNil(refusal(request(long, output: work.appendingPathComponent(fine).path)), fine)
        }
        // Flags are checked before the output path.
        XCTAssertEqual(refusal(request(long, dimension: 0, output: "")), "--dimension: 0 is out of range; expected an integer ≥ 1")
    }
}
