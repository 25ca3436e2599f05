import Foundation

/// Options of the paper-style panel grid.
public struct PanelGridOptions: Sendable, Equatable {
    /// How the log y range is shared between panels.
    public enum YRange: String, Sendable, CaseIterable {
        /// One range for every panel (the default): heights compare across regimes and T, which
        /// is the point of the figure (replace keeps climbing, accumulate levels off).
        case figure
        /// One range per row (regime): more vertical resolution per regime; rows no longer
        /// compare by height.
        case row
    }

    /// The dimension `d` to plot; nil: the only one, or the smallest (noted in the title).
    public var dimension: Int?
    public var yRange: YRange
    /// Replaces the default title.
    public var title: String?
    /// Plot-area size of one panel, in pixels.
    public var panelWidth: Double
    public var panelHeight: Double

    public init(
        dimension: Int? = nil, yRange: YRange = .figure, title: String? = nil,
        panelWidth: Double = 230, panelHeight: Double = 190
    ) {
        self.dimension = dimension
        self.yRange = yRange
        self.title = title
        self.panelWidth = panelWidth
        self.panelHeight = panelHeight
    }
}

/// SVG figures of results tables. Every drawn series carries its identity:
/// `<path class="mc|band|theory" data-regime="replace" data-dimension="32" data-samples="100"
/// data-noise-variance="0.1" …/>` (plus `data-real-fraction` for mix). Output is deterministic.
public enum Figure {
    // MARK: Panel grid

    /// The paper-style grid: one column per sample size `T` (ascending), one row per regime (in
    /// order of first appearance; mix series by real fraction), one line per noise variance σ²
    /// (viridis colours, the same in every panel). Monte Carlo mean as a solid line over its 95%
    /// band; the closed form, where the table has one, as a dashed line of the same (darker)
    /// colour. Log y axis, shared by all panels (or per row, see `PanelGridOptions.YRange`);
    /// linear x axis over the generations.
    public static func panelGrid(_ table: ResultsTable, _ options: PanelGridOptions = .init()) throws -> String {
        let (d, dNote) = try choose(
            options.dimension, from: table.dimensions, name: "dimension", symbol: "d",
            format: String.init, source: table.source)
        let rows = table.rows.filter { $0.dimension == d }
        guard let sub = try? ResultsTable(rows: rows, source: table.source) else {
            throw FigureError("\(table.source): no rows with d = \(d)")
        }
        let regimes = sub.series, samples = sub.sampleSizes, sigmas = sub.noiseVariances
        let colors = Palette.sequential(sigmas.count)
        let pw = options.panelWidth * Draw.scale.panelWidth, ph = options.panelHeight * Draw.scale.panelHeight

        // Group rows by (regime, T, σ²) once.
        var groups: [String: [ResultsRow]] = [:]
        for r in rows { groups[key(r.series, r.samples, r.noiseVariance), default: []].append(r) }
        for k in groups.keys { groups[k]!.sort { $0.generation < $1.generation } }

        // y ranges.
        var decades: [(Int, Int)] = []
        switch options.yRange {
        case .figure:
            let all = LogScale.decades(covering: Draw.yValues(rows))
            decades = Array(repeating: all, count: regimes.count)
        case .row:
            decades = regimes.map { reg in LogScale.decades(covering: Draw.yValues(rows.filter { $0.series == reg })) }
        }
        let scales = decades.map { LogScale(lower: $0.0, upper: $0.1, range: (ph, 0)) }
        let tickLabelWidth = scales.map(Draw.logLabelWidth).max() ?? 0

        // Layout.
        let margin = Draw.margin, gridTop = Draw.gridTop, panelTitleHeight = Draw.panelTitleHeight, colGap = 26.0, rowGap = 14.0
        let left = margin + Draw.axisLabelSize + 10 + tickLabelWidth + 8
        let gridWidth = Double(samples.count) * pw + Double(max(samples.count - 1, 0)) * colGap
        let rowPitch = panelTitleHeight + ph + rowGap
        let gridBottom = gridTop + Double(regimes.count) * rowPitch - rowGap
        let xLabelY = gridBottom + 7 + Draw.tickSize + 8 + Draw.axisLabelSize
        let hasTheory = rows.contains { $0.theory != nil }
        let legendItems = Draw.seriesLegend(
            heading: "noise variance σ²",
            series: sigmas.enumerated().map { (PlotFormat.shortest($1), colors[$0], [("data-noise-variance", Draw.attribute($1))]) },
            hasTheory: hasTheory)
        let legend = Draw.legendSize(legendItems)
        let legendX = left + gridWidth + 26
        let title = options.title ?? "Test error over model-fitting iterations, d = \(d)\(dNote)"
        let clipped = regimes.indices.contains { i in Draw.bandsClipped(rows.filter { $0.series == regimes[i] }, scale: scales[i]) }
        let subtitle = subtitleText(sub) + (clipped ? "; band ends below the axis are clipped" : "")
        var svg = Draw.canvas(
            title: title, subtitle: subtitle, contentRight: legendX + legend.width + margin,
            contentBottom: max(xLabelY + margin, gridTop + panelTitleHeight + legend.height + margin))

        let withTheory = Set(rows.filter { $0.theory != nil }.map(\.series))
        let xRangeScale = Draw.generationScale(sub.generations, range: (0, pw))
        for (i, regime) in regimes.enumerated() {
            let top = gridTop + Double(i) * rowPitch + panelTitleHeight
            for (j, t) in samples.enumerated() {
                let frame = Draw.Frame(x: left + Double(j) * (pw + colGap), y: top, width: pw, height: ph)
                let x = LinearScale(domain: xRangeScale.domain, range: (frame.x, frame.right))
                let y = LogScale(lower: scales[i].lower, upper: scales[i].upper, range: (frame.bottom, frame.y))
                let clipID = "clip-\(i)-\(j)"
                svg.open(
                    "g",
                    [
                        ("class", "panel"), ("data-regime", regime), ("data-samples", String(t)),
                        ("data-dimension", String(d))
                    ])
                let panelTitle = "\(regime), T = \(t)"
                // Shrink a long title so it stays within its panel (plus half the gaps).
                let natural = 1.08 * Draw.width(panelTitle, size: Draw.panelTitleSize)
                let titleSize =
                    natural > pw + colGap - 4
                    ? max(8, Draw.panelTitleSize * (pw + colGap - 4) / natural) : Draw.panelTitleSize
                Draw.text(
                    &svg, panelTitle, x: frame.x + pw / 2, y: frame.y - 7,
                    size: titleSize, anchor: "middle", weight: "bold", cls: "panel-title")
                Draw.clip(&svg, id: clipID, frame: frame)
                Draw.logYAxis(&svg, scale: y, frame: frame, labels: j == 0)
                Draw.xAxis(&svg, scale: x, frame: frame, labels: i == regimes.count - 1)
                let series = sigmas.enumerated().compactMap { k, s -> ([ResultsRow], String)? in
                    guard let g = groups[key(regime, t, s)], !g.isEmpty else { return nil }
                    return (g, colors[k])
                }
                svg.open("g", [("clip-path", "url(#\(clipID))")])
                for (g, c) in series { Draw.bandPath(&svg, rows: g, color: c, x: x, y: y) }
                for (g, c) in series { Draw.mcPath(&svg, rows: g, color: c, x: x, y: y) }
                for (g, c) in series { Draw.theoryPath(&svg, rows: g, color: c, x: x, y: y) }
                svg.close()
                var notes = series.flatMap { g, c in
                    Draw.undrawnNotes(g, label: "σ² = \(PlotFormat.shortest(g[0].noiseVariance))", color: c)
                }
                // The legend lists the closed form: say so where this regime has one elsewhere but not here.
                if withTheory.contains(regime) && !series.isEmpty && !series.contains(where: { $0.0.contains { $0.theory != nil } }) {
                    notes.append(("no closed form at T = \(t)", Draw.mutedText, [("data-regime", regime)]))
                }
                Draw.seriesNotes(&svg, notes, frame: frame)
                if series.isEmpty {
                    Draw.text(
                        &svg, "no data", x: frame.x + pw / 2, y: frame.y + ph / 2, size: Draw.tickSize,
                        anchor: "middle", fill: Draw.mutedText, cls: "no-data")
                }
                Draw.frameRect(&svg, frame)
                svg.close()
            }
        }
        // Axis labels, once for the grid.
        Draw.text(
            &svg, "model-fitting iteration n", x: left + gridWidth / 2, y: xLabelY, size: Draw.axisLabelSize,
            anchor: "middle", cls: "x-label")
        let midY = (gridTop + panelTitleHeight + gridBottom) / 2
        Draw.text(
            &svg, "test error", x: margin + Draw.axisLabelSize, y: midY, size: Draw.axisLabelSize,
            anchor: "middle", cls: "y-label", rotate: true)
        Draw.legend(&svg, legendItems, x: legendX, y: gridTop + panelTitleHeight)
        return svg.rendered(
            title: title, description: subtitle,
            rootAttributes: [("font-family", Draw.fontFamily), ("data-view", "grid")])
    }

    // MARK: One cell over generations

    /// Test error against generation for one cell `(d, T, σ²)`: one line per regime (Okabe–Ito
    /// colours) with its 95% band, and the dashed closed form where the table has one. A nil
    /// parameter selects the only value in the table, or the smallest (noted in the subtitle).
    public static func generations(
        _ table: ResultsTable, dimension: Int? = nil, samples: Int? = nil,
        noiseVariance: Double? = nil, title: String? = nil
    ) throws -> String {
        let (d, dNote) = try choose(
            dimension, from: table.dimensions, name: "dimension", symbol: "d",
            format: String.init, source: table.source)
        let atD = table.rows.filter { $0.dimension == d }
        let (t, tNote) = try choose(
            samples, from: Array(Set(atD.map(\.samples))).sorted(), name: "samples",
            symbol: "T", format: String.init, source: table.source, context: "d = \(d)")
        let atT = atD.filter { $0.samples == t }
        let (s, sNote) = try chooseDouble(
            noiseVariance, from: Array(Set(atT.map(\.noiseVariance))).sorted(),
            source: table.source, context: "d = \(d), T = \(t)")
        let rows = atT.filter { $0.noiseVariance == s }
        guard let sub = try? ResultsTable(rows: rows, source: table.source) else {
            throw FigureError("\(table.source): no rows with d = \(d), T = \(t), σ² = \(PlotFormat.shortest(s))")
        }
        let regimes = sub.series
        let colors = Palette.categorical(regimes.count)
        let seriesRows = regimes.map { reg in rows.filter { $0.series == reg }.sorted { $0.generation < $1.generation } }
        let hasTheory = rows.contains { $0.theory != nil }

        let pw = 460 * Draw.scale.panelWidth, ph = 300 * Draw.scale.panelHeight
        let (lo, hi) = LogScale.decades(covering: Draw.yValues(rows))
        let probe = LogScale(lower: lo, upper: hi, range: (ph, 0))
        let margin = Draw.margin
        let left = margin + Draw.axisLabelSize + 10 + Draw.logLabelWidth(probe) + 8
        let top = Draw.subtitleY + 18 * Draw.scale.font
        let frame = Draw.Frame(x: left, y: top, width: pw, height: ph)
        let xLabelY = frame.bottom + 7 + Draw.tickSize + 8 + Draw.axisLabelSize
        let legendItems = Draw.seriesLegend(
            heading: "regime", series: regimes.enumerated().map { ($1, colors[$0], [("data-regime", $1)]) }, hasTheory: hasTheory)
        let legend = Draw.legendSize(legendItems)
        let legendX = frame.right + 24
        let title = title ?? "Test error vs iteration: d = \(d), T = \(t), σ² = \(PlotFormat.shortest(s))"
        let notes = [dNote, tNote, sNote].filter { !$0.isEmpty }.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " ()")) }
        let clipped = Draw.bandsClipped(rows, scale: probe)
        let subtitle =
            subtitleText(sub) + (clipped ? "; band ends below the axis are clipped" : "") + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; "))
        var svg = Draw.canvas(
            title: title, subtitle: subtitle, contentRight: legendX + legend.width + margin,
            contentBottom: max(xLabelY + margin, top + legend.height + margin))
        let x = Draw.generationScale(sub.generations, range: (frame.x, frame.right))
        let y = LogScale(lower: lo, upper: hi, range: (frame.bottom, frame.y))
        svg.open(
            "g",
            [
                ("class", "panel"), ("data-dimension", String(d)), ("data-samples", String(t)),
                ("data-noise-variance", Draw.attribute(s))
            ])
        Draw.clip(&svg, id: "clip-0-0", frame: frame)
        Draw.logYAxis(&svg, scale: y, frame: frame, labels: true)
        Draw.xAxis(&svg, scale: x, frame: frame, labels: true)
        svg.open("g", [("clip-path", "url(#clip-0-0)")])
        for (i, g) in seriesRows.enumerated() { Draw.bandPath(&svg, rows: g, color: colors[i], x: x, y: y) }
        for (i, g) in seriesRows.enumerated() { Draw.mcPath(&svg, rows: g, color: colors[i], x: x, y: y) }
        for (i, g) in seriesRows.enumerated() { Draw.theoryPath(&svg, rows: g, color: colors[i], x: x, y: y) }
        svg.close()
        Draw.seriesNotes(
            &svg,
            seriesRows.enumerated().flatMap { i, g in
                g.isEmpty ? [] : Draw.undrawnNotes(g, label: g[0].series, color: colors[i])
            }, frame: frame)
        Draw.frameRect(&svg, frame)
        svg.close()
        Draw.text(
            &svg, "model-fitting iteration n", x: frame.x + pw / 2, y: xLabelY, size: Draw.axisLabelSize,
            anchor: "middle", cls: "x-label")
        Draw.text(
            &svg, "test error", x: margin + Draw.axisLabelSize, y: frame.y + ph / 2, size: Draw.axisLabelSize,
            anchor: "middle", cls: "y-label", rotate: true)
        Draw.legend(&svg, legendItems, x: legendX, y: frame.y)
        return svg.rendered(
            title: title, description: subtitle,
            rootAttributes: [("font-family", Draw.fontFamily), ("data-view", "generations")])
    }

    // MARK: Ratio heat map

    /// Heat map over (d rows, T columns) of `mean test error(accumulate) / mean test error(replace)`
    /// at `generation` (nil: the last generation in the table) and `noiseVariance` (nil: the only
    /// one, or the smallest, noted in the subtitle). Diverging colours on a log scale centred at 1
    /// (blue: accumulating is better), the ratio printed in each cell, a colour bar; cells where
    /// either mean is missing (or not positive) are grey and read "n/a".
    public static func ratioHeatmap(
        _ table: ResultsTable, noiseVariance: Double? = nil, generation: Int? = nil,
        title: String? = nil
    ) throws -> String {
        let present = Set(table.rows.map(\.series))
        let missing = ["replace", "accumulate"].filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw FigureError(
                "\(table.source): the ratio view needs the regimes replace and accumulate; "
                    + "missing: \(missing.joined(separator: ", ")) (the table has: \(table.series.joined(separator: ", ")))")
        }
        let pair = table.rows.filter { $0.series == "replace" || $0.series == "accumulate" }
        let (s, sNote) = try chooseDouble(
            noiseVariance, from: Array(Set(pair.map(\.noiseVariance))).sorted(),
            source: table.source, context: "regimes replace and accumulate")
        let atS = pair.filter { $0.noiseVariance == s }
        let gens = Array(Set(atS.map(\.generation))).sorted()
        let n: Int
        if let generation {
            guard gens.contains(generation) else {
                throw FigureError(
                    "\(table.source): generation \(generation) is not in the table for σ² = " + "\(PlotFormat.shortest(s)); available: \(rangeText(gens))")
            }
            n = generation
        } else {
            n = gens.last!
        }
        let ds = Array(Set(atS.map(\.dimension))).sorted(), ts = Array(Set(atS.map(\.samples))).sorted()
        var means: [String: Double] = [:]
        for r in atS where r.generation == n { means["\(r.series)|\(r.dimension)|\(r.samples)"] = r.mean }
        func ratio(_ d: Int, _ t: Int) -> Double? {
            guard let a = means["accumulate|\(d)|\(t)"], let r = means["replace|\(d)|\(t)"],
                a.isFinite, r.isFinite, a > 0, r > 0
            else { return nil }
            return a / r
        }
        let ratios = ds.map { d in ts.map { t in ratio(d, t) } }
        let logs = ratios.flatMap { $0 }.compactMap { $0 }.map(log10)
        // The colour scale: log ratio, diverging at 1 (two slopes, so each side uses its whole
        // half of the colour map), at least 1/2 … 2, ends snapped out to 1–2–5 values.
        let lower = log10(snap125(pow(10, min(logs.min() ?? 0, -log10(2))), up: false))
        let upper = log10(snap125(pow(10, max(logs.max() ?? 0, log10(2))), up: true))
        func colorParameter(_ l: Double) -> Double { l < 0 ? 0.5 - 0.5 * l / lower : 0.5 + 0.5 * l / upper }

        // Layout.
        let margin = Draw.margin
        // Cells large enough for the axis labels to fit along the grid.
        let cellW = Draw.scale.panelWidth * max(84, (Draw.width("samples per generation T", size: Draw.axisLabelSize) + 12) / Double(max(ts.count, 1)))
        let cellH = Draw.scale.panelHeight * max(52, (Draw.width("dimension d", size: Draw.axisLabelSize) + 24) / Double(max(ds.count, 1)))
        let rowLabels = ds.map(String.init), colLabels = ts.map(String.init)
        let rowLabelWidth = rowLabels.map { Draw.width($0, size: Draw.tickSize) }.max() ?? 0
        let left = margin + Draw.axisLabelSize + 12 + rowLabelWidth + 8
        let top = Draw.subtitleY + 24 * Draw.scale.font
        let gridW = Double(ts.count) * cellW, gridH = Double(ds.count) * cellH
        let barH = max(gridH, 160), barW = 16.0
        let barX = left + gridW + 30, barY = top
        let barTicks = ratioTicks(lower: lower, upper: upper, length: barH)
        let barLabelWidth = barTicks.map { Draw.width(PlotFormat.shortest($0), size: Draw.tickSize) }.max() ?? 0
        let barTitle = "ratio accumulate / replace"
        let barTitleX = barX + barW + 6 + barLabelWidth + 10 + Draw.tickSize
        let xLabelY = top + gridH + 7 + Draw.tickSize + 8 + Draw.axisLabelSize
        let title = title ?? "Test error ratio accumulate / replace at iteration n = \(n)"
        let subtitle = "σ² = \(PlotFormat.shortest(s))\(sNote); Monte Carlo means; " + "below 1 (blue): accumulating real and synthetic data beats replacing"
        var svg = Draw.canvas(
            title: title, subtitle: subtitle, contentRight: barTitleX + 4 + margin,
            contentBottom: max(xLabelY, barY + barH + 10 + Draw.tickSize) + margin)

        func color(_ r: Double) -> String { Palette.blueRed(colorParameter(log10(r))) }
        svg.open("g", [("class", "heatmap"), ("data-generation", String(n)), ("data-noise-variance", Draw.attribute(s))])
        for (i, d) in ds.enumerated() {
            for (j, t) in ts.enumerated() {
                let x = left + Double(j) * cellW, y = top + Double(i) * cellH
                let cellAttributes: SVGWriter.Attributes = [("data-dimension", String(d)), ("data-samples", String(t))]
                let rect: SVGWriter.Attributes = [
                    ("x", Draw.n(x)), ("y", Draw.n(y)), ("width", Draw.n(cellW)),
                    ("height", Draw.n(cellH)), ("stroke", "#ffffff"), ("stroke-width", "1.5")
                ]
                if let r = ratios[i][j] {
                    let fill = color(r)
                    svg.element("rect", [("class", "cell")] + cellAttributes + [("data-ratio", Draw.attribute(r))] + rect + [("fill", fill)])
                    Draw.text(
                        &svg, PlotFormat.significant(r), x: x + cellW / 2, y: y + cellH / 2 + Draw.centre(Draw.cellSize),
                        size: Draw.cellSize, anchor: "middle",
                        fill: Palette.luminance(fill) < 0.3 ? "#ffffff" : "#000000", cls: "cell-label")
                } else {
                    svg.element("rect", [("class", "cell na")] + cellAttributes + rect + [("fill", "#bdbdbd")])
                    Draw.text(
                        &svg, "n/a", x: x + cellW / 2, y: y + cellH / 2 + Draw.centre(Draw.cellSize),
                        size: Draw.cellSize, anchor: "middle", fill: "#333333", cls: "cell-label na")
                }
            }
        }
        svg.close()
        // Axes: T along the bottom, d down the left.
        svg.open("g", [("class", "x-axis")])
        for (j, l) in colLabels.enumerated() {
            Draw.text(
                &svg, l, x: left + (Double(j) + 0.5) * cellW, y: top + gridH + 7 + Draw.tickSize,
                size: Draw.tickSize, anchor: "middle", cls: "xtick-label")
        }
        svg.close()
        svg.open("g", [("class", "y-axis")])
        for (i, l) in rowLabels.enumerated() {
            Draw.text(
                &svg, l, x: left - 8, y: top + (Double(i) + 0.5) * cellH + Draw.centre(Draw.tickSize),
                size: Draw.tickSize, anchor: "end", cls: "ytick-label")
        }
        svg.close()
        Draw.text(
            &svg, "samples per generation T", x: left + gridW / 2, y: xLabelY, size: Draw.axisLabelSize,
            anchor: "middle", cls: "x-label")
        Draw.text(
            &svg, "dimension d", x: margin + Draw.axisLabelSize, y: top + gridH / 2, size: Draw.axisLabelSize,
            anchor: "middle", cls: "y-label", rotate: true)

        // Colour bar: log ratio from 10^lower (bottom) to 10^upper (top).
        func barPosition(_ l: Double) -> Double { barY + barH * (upper - l) / (upper - lower) }
        svg.open("g", [("class", "colorbar")])
        svg.open("defs")
        svg.open("linearGradient", [("id", "ratio-gradient"), ("x1", "0"), ("y1", "1"), ("x2", "0"), ("y2", "0")])
        for k in 0...20 {
            let f = Double(k) / 20
            let l = f < 0.5 ? lower * (1 - 2 * f) : upper * (2 * f - 1)
            svg.element(
                "stop",
                [
                    ("offset", SVGWriter.number((l - lower) / (upper - lower), decimals: 4)),
                    ("stop-color", Palette.blueRed(f))
                ])
        }
        svg.close()
        svg.close()
        Draw.text(
            &svg, barTitle, x: barTitleX, y: barY + barH / 2, size: Draw.tickSize, anchor: "middle",
            cls: "colorbar-title", rotate: true)
        svg.element(
            "rect",
            [
                ("x", Draw.n(barX)), ("y", Draw.n(barY)), ("width", Draw.n(barW)), ("height", Draw.n(barH)),
                ("fill", "url(#ratio-gradient)"), ("stroke", Draw.axisColor), ("stroke-width", "0.8")
            ])
        for v in barTicks {
            let y = barPosition(log10(v))
            Draw.line(&svg, barX + barW, y, barX + barW + 4, y, stroke: Draw.axisColor, cls: "colorbar-tick")
            Draw.text(
                &svg, PlotFormat.shortest(v), x: barX + barW + 6, y: y + Draw.centre(Draw.tickSize),
                size: Draw.tickSize, cls: "colorbar-label", extra: [("data-value", Draw.attribute(v))])
        }
        svg.element(
            "rect",
            [
                ("x", Draw.n(barX)), ("y", Draw.n(barY + barH + 8)), ("width", Draw.n(barW)), ("height", "10"),
                ("fill", "#bdbdbd")
            ])
        Draw.text(&svg, "n/a", x: barX + barW + 6, y: barY + barH + 13 + Draw.centre(Draw.tickSize), size: Draw.tickSize)
        svg.close()
        return svg.rendered(
            title: title, description: subtitle,
            rootAttributes: [("font-family", Draw.fontFamily), ("data-view", "ratio")])
    }

    // MARK: Helpers

    static func key(_ series: String, _ samples: Int, _ noise: Double) -> String { "\(series)|\(samples)|\(noise)" }

    /// "R = 1000 replicates per point" (or a range), with the band explained.
    static func subtitleText(_ table: ResultsTable) -> String {
        let reps = Set(table.rows.map(\.repeats)).sorted()
        let r = reps.count == 1 ? "R = \(reps[0])" : "R = \(reps.first!)–\(reps.last!)"
        let medians =
            table.rows.contains(where: \.drawsMedian)
            ? "; where the variance is infinite (moments column, proofs L1, A1) the median with its interquartile band" : ""
        return "Monte Carlo mean over \(r) replicates per point with its 95% confidence band" + medians
    }

    /// The requested value if present; else the only one, or the smallest with a note.
    static func choose<T: Comparable>(
        _ requested: T?, from available: [T], name: String, symbol: String,
        format: (T) -> String, source: String,
        context: String? = nil
    ) throws -> (T, String) {
        let qualifier = context.map { " with \($0)" } ?? ""
        guard let first = available.first else { throw FigureError("\(source): no rows\(qualifier)") }
        if let requested {
            guard available.contains(requested) else {
                throw FigureError(
                    "\(source): \(name) \(symbol) = \(format(requested)) is not in the table\(qualifier); "
                        + "available: \(available.map(format).joined(separator: ", "))")
            }
            return (requested, "")
        }
        if available.count == 1 { return (first, "") }
        return (first, " (smallest of \(symbol) = \(available.map(format).joined(separator: ", ")))")
    }

    static func chooseDouble(
        _ requested: Double?, from available: [Double], source: String,
        context: String
    ) throws -> (Double, String) {
        guard let first = available.first else { throw FigureError("\(source): no rows with \(context)") }
        if let requested {
            guard let v = ResultsTable.match(requested, in: available) else {
                throw FigureError(
                    "\(source): noise variance σ² = \(PlotFormat.shortest(requested)) is not in the table "
                        + "with \(context); available: \(available.map(PlotFormat.shortest).joined(separator: ", "))")
            }
            return (v, "")
        }
        if available.count == 1 { return (first, "") }
        return (first, " (smallest of σ² = \(available.map(PlotFormat.shortest).joined(separator: ", ")))")
    }

    /// `1…50` for a contiguous run, else the list.
    static func rangeText(_ values: [Int]) -> String {
        guard let a = values.first, let b = values.last else { return "none" }
        if b - a + 1 == values.count && values.count > 2 { return "\(a)…\(b)" }
        return values.map(String.init).joined(separator: ", ")
    }

    /// The nearest value of the 1–2–5 × 10ᵏ sequence at or below (`up`: at or above) `x` > 0.
    static func snap125(_ x: Double, up: Bool) -> Double {
        let k = floor(log10(x))
        let candidates = [1.0, 2, 5, 10].map { $0 * pow(10, k) }
        if up { return candidates.first { $0 >= x * (1 - 1e-9) } ?? candidates.last! }
        return candidates.last { $0 <= x * (1 + 1e-9) } ?? candidates.first!
    }

    /// Colour-bar ticks in [10^lower, 10^upper] from 1–2–5 × 10ᵏ, thinned to decades (and 1)
    /// when crowded.
    static func ratioTicks(lower: Double, upper: Double, length: Double) -> [Double] {
        let lo = lower - 1e-9, hi = upper + 1e-9
        var candidates: [Double] = []
        for k in Int(floor(lower)) - 1...Int(ceil(upper)) + 1 {
            for f in [1.0, 2, 5] {
                let v = f * pow(10, Double(k))
                if log10(v) >= lo && log10(v) <= hi { candidates.append(v) }
            }
        }
        let pixelsPerUnit = length / (upper - lower)
        func crowded(_ vs: [Double]) -> Bool {
            zip(vs, vs.dropFirst()).contains { (log10($1) - log10($0)) * pixelsPerUnit < 16 }
        }
        if !crowded(candidates) { return candidates }
        let decades = candidates.enumerated().filter { i, v in
            i == 0 || i == candidates.count - 1 || abs(log10(v) - log10(v).rounded()) < 1e-9
        }.map(\.element)
        if !crowded(decades) { return decades }
        return decades.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
    }
}
