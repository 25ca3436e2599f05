import CollapsePlot
import Foundation
import XCTest

/// The long-format (generative) results table and its metrics figure.
final class MetricFigureTests: XCTestCase {
    static let header = "model,dataset,regime,real_fraction,generation,metric,mean,std_error,theory,samples,repeats"

    /// A small table: 2 regimes (one a mix) × 3 metrics × 3 generations; theory only for
    /// `total_variance` under replace; `nll` infinite for the mix; `spread` spanning 4 decades.
    static func csv() -> String {
        var lines = [header]
        for (regime, fraction) in [("replace", ""), ("mix", "0.25")] {
            for n in 1...3 {
                let nll = regime == "mix" ? "inf" : "\(2.0 + 0.1 * Double(n))"
                lines.append("gaussian,gaussian,\(regime),\(fraction),\(n),nll,\(nll),0.01,,300,100")
                let theory = regime == "replace" ? "\(2 * pow(0.9, Double(n)))" : ""
                lines.append("gaussian,gaussian,\(regime),\(fraction),\(n),total_variance,\(2 * pow(0.9, Double(n)) + 0.001),0.02,\(theory),300,100")
                lines.append("gaussian,gaussian,\(regime),\(fraction),\(n),spread,\(pow(100, Double(n))),1,,300,100")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func testTableParsesSeriesAndMetrics() throws {
        let t = try MetricResultsTable(csv: Self.csv(), source: "r.csv")
        XCTAssertEqual(t.rows.count, 18)
        XCTAssertEqual(t.series, ["replace", "mix(0.25)"])
        XCTAssertTrue(MetricResultsTable.isLongFormat(Self.header.split(separator: ",").map(String.init)))
        XCTAssertFalse(MetricResultsTable.isLongFormat(["regime", "generation", "mean_test_error", "metric"]))
        let row = try XCTUnwrap(t.rows.first { $0.metric == "total_variance" && $0.generation == 2 && $0.regime == "replace" })
        XCTAssertEqual(row.theory!, 2 * 0.81, accuracy: 1e-15)
        XCTAssertEqual(row.bandHigh - row.mean, 1.959964 * 0.02, accuracy: 1e-15)
        XCTAssertNil(t.rows.first { $0.metric == "nll" }!.theory)
    }

    func testBadTablesNameFileLineAndColumn() {
        func message(_ text: String) -> String {
            do { _ = try MetricResultsTable(csv: text, source: "r.csv"); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("model,dataset,regime,generation,mean,std_error,theory\n").contains("missing required column 'metric'"))
        XCTAssertEqual(message(Self.header + "\n"), "r.csv: no data rows (only a header)")
        XCTAssertEqual(
            message(Self.header + "\ng,g,replace,,0,nll,1,0.1,,3,3\n"),
            "r.csv:2: column 'generation': '0' is not an integer ≥ 1")
        XCTAssertEqual(message(Self.header + "\ng,g,replace,,1,nll,x,0.1,,3,3\n"), "r.csv:2: column 'mean': 'x' is not a number")
        XCTAssertEqual(message(Self.header + "\ng,g,mix,1.5,1,nll,1,0.1,,3,3\n"), "r.csv:2: column 'real_fraction': 1.5 is not a fraction in [0, 1]")
        XCTAssertEqual(
            message(Self.header + "\ng,g,replace,,1,nll,1,0.1,,3,3\ng,g,replace,,1,nll,2,0.1,,3,3\n"),
            "r.csv:3: duplicate row for g on g, replace, nll, generation 1 (first at line 2)")
    }

    func testOnePanelPerMetricOneLinePerRegimeTheoryDashed() throws {
        let svg = try Figure.metricPanels(try MetricResultsTable(csv: Self.csv()))
        let doc = try XCTUnwrap(SVGInspector.parse(svg))
        let panels = doc.elements.filter { $0.name == "g" && $0.has(class: "panel") }
        XCTAssertEqual(panels.map { $0.attributes["data-metric"]! }, ["nll", "total_variance", "spread"])
        // spread spans four decades: log axis; the others linear.
        XCTAssertEqual(panels.map { $0.attributes["data-scale"]! }, ["linear", "linear", "log"])
        let mc = doc.elements.filter { $0.name == "path" && $0.has(class: "mc") }
        // nll of the mix is infinite: not drawn; every other (metric, regime) has its line.
        XCTAssertEqual(
            mc.map { "\($0.attributes["data-metric"]!)/\($0.attributes["data-regime"]!)" },
            ["nll/replace", "total_variance/replace", "total_variance/mix(0.25)", "spread/replace", "spread/mix(0.25)"])
        let theory = doc.elements.filter { $0.name == "path" && $0.has(class: "theory") }
        XCTAssertEqual(theory.map { $0.attributes["data-metric"]! }, ["total_variance"])
        XCTAssertEqual(theory.first?.attributes["stroke-dasharray"], "5 3")
        XCTAssertEqual(mc.first { $0.attributes["data-regime"] == "mix(0.25)" }?.attributes["data-real-fraction"], "0.25")
        XCTAssertTrue(doc.elements.contains { $0.has(class: "legend-heading") && $0.text == "regime" })
        XCTAssertTrue(doc.elements.contains { $0.has(class: "title") && $0.text.contains("gaussian · gaussian") })
        // Deterministic.
        XCTAssertEqual(svg, try Figure.metricPanels(try MetricResultsTable(csv: Self.csv())))
    }

    func testAnAllInfiniteMetricSaysSo() throws {
        let text = Self.header + "\n" + (1...3).map { "c,z,replace,,\($0),nll,inf,nan,,10,10" }.joined(separator: "\n") + "\n"
        let doc = try XCTUnwrap(SVGInspector.parse(try Figure.metricPanels(try MetricResultsTable(csv: text))))
        XCTAssertEqual(doc.withClass("series-note").map { $0.attributes["data-note"] }, ["replace: mean +∞ at every n"])
        XCTAssertFalse(doc.elements.contains { $0.name == "path" && $0.has(class: "mc") })
        XCTAssertTrue(doc.withClass("ytick-label").isEmpty, "no y ticks on a panel without a finite value")
    }

    /// A series that becomes infinite (categorical replace once a held-out symbol is lost) is
    /// drawn where it is finite and the panel says from where; the legend's other series too.
    func testASeriesInfiniteFromSomeGenerationIsDrawnThenNoted() throws {
        var lines = [Self.header]
        for regime in ["replace", "accumulate"] {
            for n in 1...5 {
                let nll = regime == "replace" && n >= 2 ? "inf" : "\(2 + 0.01 * Double(n))"
                lines.append("categorical,zipf,\(regime),,\(n),nll,\(nll),0.01,,30,4")
            }
        }
        let doc = try XCTUnwrap(SVGInspector.parse(try Figure.metricPanels(try MetricResultsTable(csv: lines.joined(separator: "\n") + "\n"))))
        let mc = doc.elements.filter { $0.name == "path" && $0.has(class: "mc") }
        XCTAssertEqual(mc.map { $0.attributes["data-regime"]! }, ["replace", "accumulate"], "both drawn")
        // replace: its one finite point, a dot.
        XCTAssertTrue(try XCTUnwrap(mc.first?.attributes["d"]).hasSuffix(" h0"))
        let notes = doc.withClass("series-note")
        XCTAssertEqual(notes.map { $0.attributes["data-note"] }, ["replace: mean +∞ from n = 2"])
        XCTAssertEqual(notes.first?.attributes["data-regime"], "replace")
    }

    func testUndrawnTextSaysWhereAndWhat() {
        let drawable = { (v: Double) in v.isFinite && v > 0 }
        func text(_ values: [Double?]) -> String? {
            PlotFormat.undrawn(values.enumerated().map { ($0.offset + 1, $0.element) }, drawable: drawable)
        }
        XCTAssertNil(text([1, 2, 3]))
        XCTAssertNil(text([1, nil, 3]), "an absent value is not an undrawn one")
        XCTAssertEqual(text([1, .infinity, .infinity]), "+∞ from n = 2")
        XCTAssertEqual(text([.infinity, .infinity]), "+∞ at every n")
        XCTAssertEqual(text([1, -.infinity, 2]), "−∞ at n = 2")
        XCTAssertEqual(text([.nan, 1, .nan, 1, .nan, 1, .nan, 1]), "NaN at n = 1, 3, 5, … (4 generations)")
        XCTAssertEqual(text([1, 0, -1]), "≤ 0 (log axis) from n = 2")
        XCTAssertEqual(text([1, .infinity, .nan]), "not finite from n = 2")
    }

    func testPanelsWrapIntoAGrid() throws {
        XCTAssertEqual((1...10).map(Figure.columns(for:)), [1, 2, 3, 2, 3, 3, 3, 3, 3, 3])
        // Five metrics (the neural VAE's): three in the first row, two in the second.
        var lines = [Self.header]
        for metric in ["test_loss", "reconstruction", "kl", "train_loss", "train_steps"] {
            for n in 1...3 { lines.append("vae,glyphs,replace,,\(n),\(metric),\(1 + Double(n)),,,100,1") }
        }
        let doc = try XCTUnwrap(SVGInspector.parse(try Figure.metricPanels(try MetricResultsTable(csv: lines.joined(separator: "\n") + "\n"))))
        let frames = doc.elements.filter { $0.name == "rect" && $0.has(class: "frame") }
        let xs = frames.map { Double($0.attributes["x"]!)! }, ys = frames.map { Double($0.attributes["y"]!)! }
        XCTAssertEqual(Set(ys).count, 2, "two rows")
        XCTAssertEqual(ys.filter { $0 == ys[0] }.count, 3, "three in the first row")
        XCTAssertEqual(Array(xs[3...]), Array(xs[..<2]), "the second row starts under the first")
    }
}

/// Closed-form tables (`collapse theory --format csv`), single runs (`collapse neural`) and
/// several grid cells in one long-format file.
final class LongFormatVariantsTests: XCTestCase {
    func testTheoryOnlyRowsAndSeveralCellsDrawAsDashedSeriesPerCell() throws {
        var lines = [MetricFigureTests.header + ",dimension,noise_variance"]
        for d in [10, 20] {
            for regime in ["replace", "accumulate"] {
                for n in 1...4 {
                    lines.append("linear,,\(regime),,\(n),test_error,,,\(Double(n * d) / 89),100,,\(d),1.0")
                }
            }
        }
        let t = try MetricResultsTable(csv: lines.joined(separator: "\n") + "\n", source: "theory.csv")
        XCTAssertEqual(
            t.series, ["replace, dimension=10", "accumulate, dimension=10", "replace, dimension=20", "accumulate, dimension=20"],
            "the varying parameter identifies the cell; the constant one does not")
        XCTAssertTrue(t.rows.allSatisfy { $0.mean.isNaN && $0.standardError.isNaN && $0.theory != nil && $0.pair == "linear" })
        let svg = try Figure.metricPanels(t)
        XCTAssertTrue(svg.contains("closed forms (no simulation)"), "subtitle")
        XCTAssertEqual(svg.components(separatedBy: "class=\"theory\"").count - 1, 4, "one dashed line per series")
        XCTAssertFalse(svg.contains("no finite values"))
        XCTAssertFalse(svg.contains("Monte Carlo (solid"), "no Monte Carlo in the legend of closed forms alone")
    }

    func testSingleRunsHaveNoBand() throws {
        let csv =
            MetricFigureTests.header + "\n"
            + (1...3).map { "vae,glyphs,replace,,\($0),test_loss,\(0.02 * Double($0)),,,100,1" }
            .joined(separator: "\n") + "\n"
        let t = try MetricResultsTable(csv: csv, source: "nn.csv")
        XCTAssertTrue(t.rows.allSatisfy { $0.standardError.isNaN && $0.theory == nil })
        let svg = try Figure.metricPanels(t)
        XCTAssertTrue(svg.contains("one run per regime"), "subtitle")
        XCTAssertEqual(svg.components(separatedBy: "class=\"mc\"").count - 1, 1)
        XCTAssertTrue(svg.contains(">one run per regime (solid)</text>"), "the legend says what the solid line is")
        XCTAssertFalse(svg.contains("95% band)"))
        // A row with neither a mean nor a closed form is refused with its line.
        XCTAssertThrowsError(try MetricResultsTable(csv: MetricFigureTests.header + "\nvae,glyphs,replace,,1,test_loss,,,,100,1\n", source: "x.csv")) {
            XCTAssertTrue("\($0)".contains("x.csv:2: column 'mean'"), "\($0)")
        }
    }
}
