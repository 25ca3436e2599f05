import CollapsePlot
import Foundation
import XCTest

final class PanelGridTests: XCTestCase {
    let regimes = ["replace", "accumulate", "mix(0.25)"]
    let samples = [20, 50]
    let sigmas = [0.1, 1, 10]

    func grid(_ options: PanelGridOptions = .init()) throws -> (ResultsTable, String, SVGInspector) {
        let table = try SyntheticResults.table(SyntheticResults.csv(regimes: regimes, samples: samples, noiseVariances: sigmas))
        let svg = try Figure.panelGrid(table, options)
        return (table, svg, try XCTUnwrap(SVGInspector.parse(svg)))
    }

    func testOnePanelPerRegimeAndSampleSizeAndOneLinePerNoiseVariance() throws {
        let (_, _, doc) = try grid()
        XCTAssertEqual(doc.root?.name, "svg")
        let panels = doc.withClass("panel")
        XCTAssertEqual(panels.count, regimes.count * samples.count)
        // Rows: regimes in order of first appearance; columns: T ascending.
        XCTAssertEqual(panels.map { $0.attributes["data-regime"]! }, ["replace", "replace", "accumulate", "accumulate", "mix(0.25)", "mix(0.25)"])
        XCTAssertEqual(panels.map { $0.attributes["data-samples"]! }, ["20", "50", "20", "50", "20", "50"])
        XCTAssertEqual(doc.withClass("panel-title").map(\.text).prefix(2), ["replace, T = 20", "replace, T = 50"])

        let mc = doc.withClass("mc")
        XCTAssertEqual(mc.count, regimes.count * samples.count * sigmas.count)
        XCTAssertEqual(doc.withClass("band").count, mc.count)
        XCTAssertTrue(mc.allSatisfy { $0.name == "path" && $0.attributes["data-dimension"] == "4" })
        XCTAssertEqual(Set(mc.map { $0.attributes["data-noise-variance"]! }), ["0.1", "1", "10"])
        XCTAssertEqual(
            mc.filter { $0.attributes["data-regime"] == "mix(0.25)" }.map { $0.attributes["data-real-fraction"] },
            Array(repeating: "0.25", count: samples.count * sigmas.count))
        // Every series has its six generations: one M and five L.
        for p in mc {
            let d = try XCTUnwrap(p.attributes["d"])
            XCTAssertEqual(d.filter { $0 == "M" }.count, 1)
            XCTAssertEqual(d.filter { $0 == "L" }.count, 5)
        }
    }

    func testTheoryOnlyWhereTheTableHasIt() throws {
        let (_, _, doc) = try grid()
        let theory = doc.withClass("theory")
        XCTAssertEqual(theory.count, 2 * samples.count * sigmas.count, "replace and accumulate have theory, mix has none")
        XCTAssertFalse(theory.contains { $0.attributes["data-regime"] == "mix(0.25)" })
        XCTAssertTrue(theory.allSatisfy { $0.attributes["stroke-dasharray"] != nil })
        XCTAssertTrue(doc.withClass("legend-entry").contains { $0.attributes["data-kind"] == "theory" })

        let noTheory = try SyntheticResults.table(SyntheticResults.csv(regimes: ["accumulate-subsample", "mix(0.5)"]))
        let doc2 = try XCTUnwrap(SVGInspector.parse(try Figure.panelGrid(noTheory)))
        XCTAssertEqual(doc2.withClass("theory").count, 0)
        XCTAssertFalse(
            doc2.withClass("legend-entry").contains { $0.attributes["data-kind"] == "theory" },
            "no theory entry in the legend without theory lines")
    }

    func testColoursAreConsistentAcrossPanelsAndDistinct() throws {
        let (_, _, doc) = try grid()
        var colour: [String: String] = [:]
        for p in doc.withClass("mc") {
            let s = p.attributes["data-noise-variance"]!, c = p.attributes["stroke"]!
            if let known = colour[s] { XCTAssertEqual(known, c, "σ² = \(s) has one colour") } else { colour[s] = c }
        }
        XCTAssertEqual(Set(colour.values).count, sigmas.count)
        let legend = doc.withClass("legend-entry").filter { $0.attributes["data-noise-variance"] != nil }
        XCTAssertEqual(legend.map { $0.attributes["data-noise-variance"]! }, ["0.1", "1", "10"])
    }

    func testLogTickLabelsCoverTheDataRange() throws {
        let (table, _, doc) = try grid()
        let values = table.rows.flatMap { [$0.mean, $0.bandHigh, $0.bandLow] + ($0.theory.map { [$0] } ?? []) }.filter { $0 > 0 }
        let exponents = doc.withClass("ytick-label").compactMap { Int($0.attributes["data-exponent"]!) }
        XCTAssertFalse(exponents.isEmpty)
        let lo = try XCTUnwrap(exponents.min()), hi = try XCTUnwrap(exponents.max())
        XCTAssertLessThanOrEqual(pow(10, Double(lo)), values.min()!)
        XCTAssertGreaterThanOrEqual(pow(10, Double(hi)), values.max()!)
        // Labels are decades written with superscripts, and minor ticks exist.
        let labels = Set(doc.withClass("ytick-label").map(\.text))
        XCTAssertTrue(labels.contains("10⁰"), "\(labels)")
        XCTAssertTrue(labels.contains("10⁻²"), "\(labels)")
        XCTAssertFalse(doc.elements.filter { $0.has(class: "ytick") && $0.has(class: "minor") }.isEmpty)
        // Labels only on the left column: one set per row of panels (shared range: identical).
        XCTAssertEqual(doc.withClass("ytick-label").count, regimes.count * (hi - lo + 1))
    }

    func testAxisLabelsTitleAndLegend() throws {
        let (_, svg, doc) = try grid()
        XCTAssertEqual(doc.withClass("x-label").map(\.text), ["model-fitting iteration n"])
        XCTAssertEqual(doc.withClass("y-label").map(\.text), ["test error"])
        XCTAssertEqual(doc.withClass("title").first?.text, "Test error over model-fitting iterations, d = 4")
        let legendTexts = doc.elements.filter { $0.name == "text" }.map(\.text)
        XCTAssertTrue(legendTexts.contains("Monte Carlo (solid, 95% band)"))
        XCTAssertTrue(legendTexts.contains("theory (dashed)"))
        XCTAssertTrue(legendTexts.contains("noise variance σ²"))
        XCTAssertFalse(svg.contains("nan"), "no non-finite coordinates")
        XCTAssertFalse(svg.contains("inf"))
    }

    func testDeterministicOutput() throws {
        let text = SyntheticResults.csv(regimes: regimes, samples: samples, noiseVariances: sigmas)
        let a = try Figure.panelGrid(try SyntheticResults.table(text))
        let b = try Figure.panelGrid(try SyntheticResults.table(text))
        XCTAssertEqual(a, b)
        let g1 = try Figure.generations(try SyntheticResults.table(text), samples: 20, noiseVariance: 1)
        let g2 = try Figure.generations(try SyntheticResults.table(text), samples: 20, noiseVariance: 1)
        XCTAssertEqual(g1, g2)
        let r1 = try Figure.ratioHeatmap(try SyntheticResults.table(text))
        let r2 = try Figure.ratioHeatmap(try SyntheticResults.table(text))
        XCTAssertEqual(r1, r2)
        // Coordinates have at most two decimals.
        let doc = try XCTUnwrap(SVGInspector.parse(a))
        for p in doc.withClass("mc") {
            for token in p.attributes["d"]!.split(whereSeparator: { " ,MLh".contains($0) }) {
                XCTAssertLessThanOrEqual(token.split(separator: ".").dropFirst().first?.count ?? 0, 2, String(token))
            }
        }
    }

    func testDimensionSelection() throws {
        let table = try SyntheticResults.table(SyntheticResults.csv(dimensions: [2, 5], samples: [30]))
        let byDefault = try XCTUnwrap(SVGInspector.parse(try Figure.panelGrid(table)))
        XCTAssertEqual(Set(byDefault.withClass("mc").map { $0.attributes["data-dimension"]! }), ["2"])
        let title = try XCTUnwrap(byDefault.withClass("title").first?.text)
        XCTAssertTrue(title.contains("d = 2 (smallest of d = 2, 5)"), title)

        let chosen = try XCTUnwrap(SVGInspector.parse(try Figure.panelGrid(table, PanelGridOptions(dimension: 5))))
        XCTAssertEqual(Set(chosen.withClass("mc").map { $0.attributes["data-dimension"]! }), ["5"])
        XCTAssertEqual(chosen.withClass("mc").count, 2 * 1 * 3)
        XCTAssertFalse(chosen.withClass("title").first!.text.contains("smallest"))

        XCTAssertThrowsError(try Figure.panelGrid(table, PanelGridOptions(dimension: 7))) { error in
            XCTAssertEqual("\(error)", "synthetic.csv: dimension d = 7 is not in the table; available: 2, 5")
        }
    }

    func testPerRowYRange() throws {
        // Over 400 generations replace spans more decades than accumulate.
        let table = try SyntheticResults.table(SyntheticResults.csv(samples: [200], noiseVariances: [1], generations: 400))
        let figure = try XCTUnwrap(SVGInspector.parse(try Figure.panelGrid(table)))
        let row = try XCTUnwrap(SVGInspector.parse(try Figure.panelGrid(table, PanelGridOptions(yRange: .row))))
        func exponents(_ doc: SVGInspector, _ regime: String) -> [String] {
            // The y-axis group follows the panel group start; collect labels per panel via order.
            var out: [String] = [], current: String?
            for e in doc.elements {
                if e.has(class: "panel") { current = e.attributes["data-regime"] }
                if e.has(class: "ytick-label"), current == regime { out.append(e.attributes["data-exponent"]!) }
            }
            return out
        }
        XCTAssertEqual(exponents(figure, "replace"), exponents(figure, "accumulate"))
        XCTAssertNotEqual(exponents(row, "replace"), exponents(row, "accumulate"))
        XCTAssertLessThan(exponents(row, "accumulate").count, exponents(row, "replace").count)
    }

    func testBandsAreClippedForTheLogScaleAndGapsBreakLines() throws {
        let head = "regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,theory_test_error,ci95_low,ci95_high\n"
        let rows = [
            "replace,1,2,10,1,5,0.5,0.4,0.4,-0.3,1.3",
            "replace,2,2,10,1,5,1.0,0.4,0.8,0.2,1.8",
            "replace,3,2,10,1,5,nan,0.4,1.2,nan,nan",
            "replace,4,2,10,1,5,2.0,0.4,1.6,1.2,2.8",
            "replace,5,2,10,1,5,2.5,0.4,2.0,1.7,3.3"
        ]
        let table = try ResultsTable(csv: head + rows.joined(separator: "\n") + "\n", source: "gap.csv")
        let svg = try Figure.panelGrid(table)
        let doc = try XCTUnwrap(SVGInspector.parse(svg))
        let mc = try XCTUnwrap(doc.withClass("mc").first?.attributes["d"])
        XCTAssertEqual(mc.filter { $0 == "M" }.count, 2, "the nan generation splits the line: \(mc)")
        let band = try XCTUnwrap(doc.withClass("band").first?.attributes["d"])
        XCTAssertEqual(band.filter { $0 == "Z" }.count, 2, "one polygon per run: \(band)")
        // All band coordinates lie inside the panel frame (the negative lower end is clipped).
        let frame = try XCTUnwrap(doc.withClass("frame").first)
        let top = Double(frame.attributes["y"]!)!, height = Double(frame.attributes["height"]!)!
        let ys = pathNumbers(band).enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        XCTAssertTrue(ys.allSatisfy { $0 >= top - 0.01 && $0 <= top + height + 0.01 }, "\(ys)")
        XCTAssertTrue(ys.contains { abs($0 - (top + height)) < 0.01 }, "clipped to the axis bottom")
        XCTAssertFalse(svg.contains("nan"))
        let subtitle = try XCTUnwrap(doc.withClass("subtitle").first?.text)
        XCTAssertTrue(subtitle.hasSuffix("band ends below the axis are clipped"), subtitle)
        let clean = try XCTUnwrap(SVGInspector.parse(try Figure.panelGrid(try SyntheticResults.table(SyntheticResults.csv()))))
        XCTAssertFalse(clean.withClass("subtitle").first!.text.contains("clipped"))
    }

    func testTextIsEscaped() throws {
        let head = "regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,theory_test_error\n"
        let text = head + "\"a<b>&\"\"c\"\"\",1,2,10,1,5,0.5,0.1,\n\"a<b>&\"\"c\"\"\",2,2,10,1,5,0.6,0.1,\n"
        let table = try ResultsTable(csv: text, source: "esc.csv")
        for svg in [try Figure.panelGrid(table, PanelGridOptions(title: "x < y & \"z\"")), try Figure.generations(table)] {
            let doc = try XCTUnwrap(SVGInspector.parse(svg))
            XCTAssertEqual(doc.withClass("mc").first?.attributes["data-regime"], "a<b>&\"c\"")
        }
    }
}

final class GenerationsViewTests: XCTestCase {
    func testOneLinePerRegimeInTheCell() throws {
        let table = try SyntheticResults.table(
            SyntheticResults.csv(
                regimes: ["replace", "accumulate", "accumulate-subsample", "mix(0.5)"], dimensions: [3, 7], samples: [8, 40]))
        let svg = try Figure.generations(table, dimension: 3, samples: 40, noiseVariance: 1)
        let doc = try XCTUnwrap(SVGInspector.parse(svg))
        let mc = doc.withClass("mc")
        XCTAssertEqual(mc.map { $0.attributes["data-regime"]! }, ["replace", "accumulate", "accumulate-subsample", "mix(0.5)"])
        XCTAssertTrue(
            mc.allSatisfy {
                $0.attributes["data-dimension"] == "3" && $0.attributes["data-samples"] == "40" && $0.attributes["data-noise-variance"] == "1"
            })
        XCTAssertEqual(Set(mc.map { $0.attributes["stroke"]! }).count, 4, "distinct colours")
        XCTAssertEqual(doc.withClass("band").count, 4)
        XCTAssertEqual(doc.withClass("theory").map { $0.attributes["data-regime"]! }, ["replace", "accumulate"])
        XCTAssertEqual(doc.withClass("title").first?.text, "Test error vs iteration: d = 3, T = 40, σ² = 1")

        // T = 8 < d + 2 for d = 7: no theory at all.
        let small = try XCTUnwrap(SVGInspector.parse(try Figure.generations(table, dimension: 7, samples: 8, noiseVariance: 0.1)))
        XCTAssertEqual(small.withClass("mc").count, 4)
        XCTAssertEqual(small.withClass("theory").count, 0)
    }

    func testDefaultsAndErrors() throws {
        let table = try SyntheticResults.table(SyntheticResults.csv(dimensions: [3], samples: [8, 40]))
        let doc = try XCTUnwrap(SVGInspector.parse(try Figure.generations(table)))
        XCTAssertEqual(doc.withClass("mc").first?.attributes["data-samples"], "8")
        XCTAssertEqual(doc.withClass("mc").first?.attributes["data-noise-variance"], "0.1")
        let subtitle = try XCTUnwrap(doc.withClass("subtitle").first?.text)
        XCTAssertTrue(subtitle.contains("smallest of T = 8, 40"), subtitle)
        XCTAssertTrue(subtitle.contains("smallest of σ² = 0.1, 1, 10"), subtitle)

        XCTAssertThrowsError(try Figure.generations(table, samples: 9)) { error in
            XCTAssertEqual("\(error)", "synthetic.csv: samples T = 9 is not in the table with d = 3; available: 8, 40")
        }
        XCTAssertThrowsError(try Figure.generations(table, samples: 8, noiseVariance: 2)) { error in
            XCTAssertEqual("\(error)", "synthetic.csv: noise variance σ² = 2 is not in the table with d = 3, T = 8; available: 0.1, 1, 10")
        }
        // 0.1 typed as 0.1000000000001 still matches.
        XCTAssertNoThrow(try Figure.generations(table, samples: 8, noiseVariance: 0.1000000000001))
    }

    func testLogTicksCoverTheData() throws {
        let table = try SyntheticResults.table(SyntheticResults.csv(dimensions: [3], samples: [40], noiseVariances: [1e-6]))
        let doc = try XCTUnwrap(SVGInspector.parse(try Figure.generations(table)))
        let exponents = doc.withClass("ytick-label").compactMap { Int($0.attributes["data-exponent"]!) }
        let values = table.rows.flatMap { [$0.mean, $0.bandLow, $0.bandHigh] }
        XCTAssertLessThanOrEqual(pow(10, Double(exponents.min()!)), values.min()!)
        XCTAssertGreaterThanOrEqual(pow(10, Double(exponents.max()!)), values.max()!)
        XCTAssertTrue(doc.withClass("ytick-label").map(\.text).contains("10⁻⁷"))
    }
}

final class RatioHeatmapTests: XCTestCase {
    func testCellsHoldTheRatioAtTheLastGeneration() throws {
        let table = try SyntheticResults.table(
            SyntheticResults.csv(
                dimensions: [1, 3, 10], samples: [10, 32, 100],
                noiseVariances: [1], generations: 5))
        let svg = try Figure.ratioHeatmap(table)
        let doc = try XCTUnwrap(SVGInspector.parse(svg))
        let cells = doc.withClass("cell")
        XCTAssertEqual(cells.count, 9)
        XCTAssertEqual(doc.withClass("heatmap").first?.attributes["data-generation"], "5")
        // Rows d ascending, columns T ascending.
        XCTAssertEqual(cells.map { $0.attributes["data-dimension"]! }, ["1", "1", "1", "3", "3", "3", "10", "10", "10"])
        XCTAssertEqual(cells.map { $0.attributes["data-samples"]! }, ["10", "32", "100", "10", "32", "100", "10", "32", "100"])
        for c in cells {
            let d = Int(c.attributes["data-dimension"]!)!, t = Int(c.attributes["data-samples"]!)!
            func mean(_ r: String) -> Double? {
                table.rows.first { $0.regime == r && $0.dimension == d && $0.samples == t && $0.generation == 5 }?.mean
            }
            if let a = mean("accumulate"), let r = mean("replace") {
                XCTAssertEqual(Double(c.attributes["data-ratio"]!)!, a / r, accuracy: 1e-12)
            }
        }
        // Printed ratios: 3 significant digits, one per cell.
        XCTAssertEqual(doc.withClass("cell-label").count, 9)
        XCTAssertTrue(doc.withClass("colorbar-label").map(\.text).contains("1"))
        XCTAssertEqual(doc.withClass("x-label").first?.text, "samples per generation T")
        XCTAssertEqual(doc.withClass("y-label").first?.text, "dimension d")
    }

    func testMissingCellsAreNotAvailable() throws {
        var text = SyntheticResults.csv(regimes: ["replace"], dimensions: [2, 4], samples: [20, 40], noiseVariances: [1], generations: 3)
        // accumulate only for d = 2.
        let acc = SyntheticResults.csv(regimes: ["accumulate"], dimensions: [2], samples: [20, 40], noiseVariances: [1], generations: 3)
        text += acc.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n"
        let table = try SyntheticResults.table(text)
        let doc = try XCTUnwrap(SVGInspector.parse(try Figure.ratioHeatmap(table, generation: 2)))
        XCTAssertEqual(doc.withClass("cell").count, 4)
        let na = doc.withClass("na").filter { $0.name == "rect" }
        XCTAssertEqual(na.map { $0.attributes["data-dimension"]! }, ["4", "4"])
        XCTAssertTrue(na.allSatisfy { $0.attributes["data-ratio"] == nil })
        XCTAssertEqual(doc.elements.filter { $0.has(class: "cell-label") && $0.has(class: "na") }.map(\.text), ["n/a", "n/a"])
        XCTAssertEqual(doc.withClass("heatmap").first?.attributes["data-generation"], "2")
    }

    func testErrors() throws {
        let table = try SyntheticResults.table(SyntheticResults.csv(regimes: ["replace", "mix(0.5)"]))
        XCTAssertThrowsError(try Figure.ratioHeatmap(table)) { error in
            XCTAssertEqual(
                "\(error)",
                "synthetic.csv: the ratio view needs the regimes replace and accumulate; " + "missing: accumulate (the table has: replace, mix(0.5))")
        }
        let both = try SyntheticResults.table(SyntheticResults.csv(generations: 4))
        XCTAssertThrowsError(try Figure.ratioHeatmap(both, noiseVariance: 1, generation: 9)) { error in
            XCTAssertEqual("\(error)", "synthetic.csv: generation 9 is not in the table for σ² = 1; available: 1…4")
        }
        XCTAssertThrowsError(try Figure.ratioHeatmap(both, noiseVariance: 3)) { error in
            XCTAssertTrue("\(error)".contains("σ² = 3 is not in the table"), "\(error)")
        }
        let doc = try XCTUnwrap(SVGInspector.parse(try Figure.ratioHeatmap(both)))
        let subtitle = try XCTUnwrap(doc.withClass("subtitle").first?.text)
        XCTAssertTrue(subtitle.hasPrefix("σ² = 0.1 (smallest of σ² = 0.1, 1, 10)"), subtitle)
    }
}

final class FormattingTests: XCTestCase {
    func testSVGNumbers() {
        XCTAssertEqual(SVGWriter.number(12.5), "12.5")
        XCTAssertEqual(SVGWriter.number(3.004), "3")
        XCTAssertEqual(SVGWriter.number(-0.001), "0")
        XCTAssertEqual(SVGWriter.number(-2.345), "-2.35")
        XCTAssertEqual(SVGWriter.number(0.05), "0.05")
        XCTAssertEqual(SVGWriter.number(1234.5678, decimals: 0), "1235")
        XCTAssertEqual(SVGWriter.number(.nan), "0")
    }

    func testEscaping() {
        XCTAssertEqual(SVGWriter.escape("a<b>&\"c\"'"), "a&lt;b&gt;&amp;&quot;c&quot;&apos;")
        XCTAssertEqual(SVGWriter.escape("bell\u{07}"), "bell\u{FFFD}")
    }

    func testLabels() {
        XCTAssertEqual(PlotFormat.decade(-2), "10⁻²")
        XCTAssertEqual(PlotFormat.decade(0), "10⁰")
        XCTAssertEqual(PlotFormat.decade(12), "10¹²")
        XCTAssertEqual(PlotFormat.shortest(0.25), "0.25")
        XCTAssertEqual(PlotFormat.shortest(100), "100")
        XCTAssertEqual(PlotFormat.shortest(1e-6), "10⁻⁶")
        XCTAssertEqual(PlotFormat.shortest(2.5e-7), "2.5×10⁻⁷")
        XCTAssertEqual(PlotFormat.significant(0.052149), "0.0521")
        XCTAssertEqual(PlotFormat.significant(0.99961), "1.00")
        XCTAssertEqual(PlotFormat.significant(12.345), "12.3")
        XCTAssertEqual(PlotFormat.significant(1.5e-7), "1.50×10⁻⁷")
    }

    func testPalettes() {
        XCTAssertEqual(Palette.viridis(0), "#440154")
        XCTAssertEqual(Palette.viridis(1), "#fde725")
        XCTAssertEqual(Set(Palette.sequential(5)).count, 5)
        XCTAssertEqual(Palette.categorical(3), ["#0072B2", "#D55E00", "#009E73"])
        XCTAssertEqual(Palette.categorical(9).count, 9)
    }
}
