import Foundation

extension Figure {
    /// One panel per (model, dataset, metric) of a long-format table, in order of first
    /// appearance, in a grid of up to three columns (`columns(for:)`); in each, one line per regime (Okabe–Ito colours, the same in
    /// every panel) over its 95% band, and the closed form dashed where the table has one.
    /// A panel's y axis is logarithmic when all its drawn values are positive and span at least
    /// two decades, linear otherwise. Non-finite values (an infinite NLL, say) are not drawn; the
    /// panel states, for each series, where its mean is not finite (`PlotFormat.undrawn`).
    /// `progress` hears each panel's rows as it is drawn.
    public static func metricPanels(
        _ table: MetricResultsTable, title: String? = nil,
        panelWidth: Double = 250, panelHeight: Double = 170, progress: PlotProgress? = nil
    ) throws -> String {
        let pw = panelWidth * Draw.scale.panelWidth, ph = panelHeight * Draw.scale.panelHeight
        let pairs = table.ordered(\.pair)
        var panels: [(pair: String, metric: String, rows: [MetricRow])] = []
        var byKey: [String: Int] = [:]
        for r in table.rows {
            let pair = r.pair, key = pair + "|" + r.metric
            if let i = byKey[key] {
                panels[i].rows.append(r)
            } else {
                byKey[key] = panels.count
                panels.append((pair, r.metric, [r]))
            }
        }
        let regimes = table.series
        let seriesIndex = Dictionary(uniqueKeysWithValues: regimes.enumerated().map { ($1, $0) })
        let colors = Palette.categorical(regimes.count)
        let hasTheory = table.rows.contains { $0.theory?.isFinite == true }
        let columns = Self.columns(for: panels.count), panelRows = (panels.count + columns - 1) / columns

        // Scales first: the widest tick label sets the gap between columns.
        let axes = panels.map { MetricAxis(rows: $0.rows, length: ph) }
        let labelWidth = axes.map(\.labelWidth).max() ?? 0
        let margin = Draw.margin, gridTop = Draw.gridTop, panelTitleHeight = Draw.panelTitleHeight, rowGap = 30.0
        let colGap = labelWidth + 24
        let left = margin + Draw.axisLabelSize + 10 + labelWidth + 8
        let gridWidth = Double(columns) * pw + Double(columns - 1) * colGap
        let rowPitch = panelTitleHeight + ph + rowGap
        let gridBottom = gridTop + Double(panelRows) * rowPitch - rowGap
        let xLabelY = gridBottom + 7 + Draw.tickSize + 8 + Draw.axisLabelSize

        let hasMeans = table.rows.contains { $0.mean.isFinite }, hasBands = table.rows.contains { $0.standardError.isFinite }
        let legendItems = Draw.seriesLegend(
            heading: "regime", series: regimes.enumerated().map { ($1, colors[$0], [("data-regime", $1)]) }, hasTheory: hasTheory,
            solid: !hasMeans ? nil : hasBands ? "Monte Carlo (solid, 95% band)" : "one run per regime (solid)")
        let legend = Draw.legendSize(legendItems)
        let legendX = left + gridWidth + 26
        let title =
            title
            ?? (pairs.count == 1
                ? "\(pairs[0]): metrics over model-fitting iterations"
                : "Metrics over model-fitting iterations")
        let reps = Set(table.rows.compactMap(\.repeats)).sorted()
        let r = reps.isEmpty ? "" : (reps.count == 1 ? " over R = \(reps[0]) replicates" : " over R = \(reps.first!)–\(reps.last!) replicates")
        let subtitle =
            !hasMeans
            ? "closed forms (no simulation)"
            : hasBands
                ? "Monte Carlo mean\(r) with its 95% confidence band; nll on real held-out data"
                : "one run per regime (no replicates, no confidence band); test metrics on real held-out data"
        var svg = Draw.canvas(
            title: title, subtitle: subtitle, contentRight: legendX + legend.width + margin,
            contentBottom: max(xLabelY + margin, gridTop + panelTitleHeight + legend.height + margin))
        let generations = Array(Set(table.rows.map(\.generation))).sorted()
        for (p, panel) in panels.enumerated() {
            let row = p / columns, column = p % columns
            let frame = Draw.Frame(
                x: left + Double(column) * (pw + colGap), y: gridTop + Double(row) * rowPitch + panelTitleHeight,
                width: pw, height: ph)
            let x = Draw.generationScale(generations, range: (frame.x, frame.right))
            let axis = axes[p].placed(frame)
            let clipID = "clip-\(p)"
            svg.open(
                "g",
                [
                    ("class", "panel"), ("data-model", panel.rows[0].model), ("data-dataset", panel.rows[0].dataset),
                    ("data-metric", panel.metric), ("data-scale", axis.isLog ? "log" : "linear")
                ])
            let panelTitle = pairs.count == 1 ? panel.metric : "\(panel.pair): \(panel.metric)"
            Draw.text(
                &svg, panelTitle, x: frame.x + pw / 2, y: frame.y - 7, size: Draw.panelTitleSize, anchor: "middle",
                weight: "bold", cls: "panel-title")
            Draw.clip(&svg, id: clipID, frame: frame)
            axis.draw(&svg, frame: frame)
            Draw.xAxis(&svg, scale: x, frame: frame, labels: row == panelRows - 1 || p + columns >= panels.count)
            svg.open("g", [("clip-path", "url(#\(clipID))")])
            // The panel's rows by series in one pass (a filter per series was quadratic: 102
            // series × 40,800 rows a panel: 30 s for a 408,000-row file), each in generation order.
            var bySeries = [[MetricRow]](repeating: [], count: regimes.count)
            for r in panel.rows { bySeries[seriesIndex[r.series]!].append(r) }
            let series = bySeries.enumerated().compactMap { i, g -> ([MetricRow], String)? in
                g.isEmpty ? nil : (g.sorted { $0.generation < $1.generation }, colors[i])
            }
            for (g, c) in series { metricBand(&svg, g, color: c, x: x, axis: axis) }
            for (g, c) in series { metricLine(&svg, g, value: { $0.mean }, cls: "mc", color: c, x: x, axis: axis) }
            for (g, c) in series where g.contains(where: { $0.theory?.isFinite == true }) {
                metricLine(&svg, g, value: { $0.theory }, cls: "theory", color: c, x: x, axis: axis)
            }
            svg.close()
            let undrawn = series.compactMap { g, c -> (what: String, row: MetricRow, color: String)? in
                PlotFormat.undrawn(g.map { ($0.generation, $0.mean) }, drawable: { axis.map($0) != nil }).map { ($0, g[0], c) }
            }
            // One line when every series is undrawn alike (an NLL that is +∞ throughout, say).
            let infinite = undrawn.contains { $0.what.hasPrefix("+∞") } ? " (infinite in some replicate)" : ""
            let notes =
                undrawn.count == series.count && undrawn.count > 1 && Set(undrawn.map(\.what)).count == 1
                ? [("every regime: mean \(undrawn[0].what)\(infinite)", Draw.mutedText, [("data-metric", panel.metric)])]
                : undrawn.map { ("\($0.row.series): mean \($0.what)", $0.color, metricAttributes($0.row)) }
            Draw.seriesNotes(&svg, notes, frame: frame)
            Draw.frameRect(&svg, frame)
            svg.close()
            progress?.advance(replicates: panel.rows.count, work: Double(panel.rows.count))
        }
        Draw.text(
            &svg, "model-fitting iteration n", x: left + gridWidth / 2, y: xLabelY, size: Draw.axisLabelSize,
            anchor: "middle", cls: "x-label")
        Draw.legend(&svg, legendItems, x: legendX, y: gridTop + panelTitleHeight)
        return svg.rendered(
            title: title, description: subtitle,
            rootAttributes: [("font-family", Draw.fontFamily), ("data-view", "metrics")])
    }

    /// Columns of the panel grid for `count` panels: all in one row up to three, two by two for
    /// four, else three to a row.
    public static func columns(for count: Int) -> Int { count <= 3 ? max(count, 1) : count == 4 ? 2 : 3 }

    static func metricAttributes(_ r: MetricRow) -> SVGWriter.Attributes {
        var a: SVGWriter.Attributes = [("data-regime", r.series), ("data-metric", r.metric)]
        if let f = r.realFraction { a.append(("data-real-fraction", Draw.attribute(f))) }
        return a
    }

    /// Runs of consecutive drawable points as path data.
    static func metricPath(_ points: [(Int, Double?)], x: LinearScale, axis: MetricAxis) -> String {
        var runs: [[(Double, Double)]] = [], current: [(Double, Double)] = []
        for (g, v) in points {
            if let v, let y = axis.map(v) {
                current.append((x(Double(g)), y))
            } else if !current.isEmpty {
                runs.append(current); current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs.map { run in
            let d = SVGWriter.polyline(run)
            return run.count == 1 ? d + " h0" : d
        }.joined(separator: " ")
    }

    static func metricLine(
        _ svg: inout SVGWriter, _ rows: [MetricRow], value: (MetricRow) -> Double?, cls: String,
        color: String, x: LinearScale, axis: MetricAxis
    ) {
        let d = metricPath(rows.map { ($0.generation, value($0)) }, x: x, axis: axis)
        guard !d.isEmpty else { return }
        let style: SVGWriter.Attributes =
            cls == "theory"
            ? [("stroke", Palette.darker(color, by: 0.35)), ("stroke-width", "1.3"), ("stroke-dasharray", "5 3")]
            : [
                ("stroke", color), ("stroke-width", "2.2"), ("stroke-opacity", "0.6"), ("stroke-linejoin", "round"),
                ("stroke-linecap", "round")
            ]
        svg.element("path", [("class", cls)] + metricAttributes(rows[0]) + [("d", d), ("fill", "none")] + style)
    }

    /// The band where mean and both ends are drawable (a log axis clips low ends at its floor).
    static func metricBand(_ svg: inout SVGWriter, _ rows: [MetricRow], color: String, x: LinearScale, axis: MetricAxis) {
        var runs: [[MetricRow]] = [], current: [MetricRow] = []
        for r in rows {
            if axis.map(r.mean) != nil, r.standardError.isFinite, axis.map(r.bandHigh) != nil {
                current.append(r)
            } else if !current.isEmpty {
                runs.append(current); current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        let d = runs.filter { $0.count >= 2 }.map { run in
            SVGWriter.polygon(
                run.map { (x(Double($0.generation)), axis.map($0.bandHigh)!) } + run.reversed().map { (x(Double($0.generation)), axis.clampedMap($0.bandLow)) })
        }.joined(separator: " ")
        guard !d.isEmpty else { return }
        svg.element("path", [("class", "band")] + metricAttributes(rows[0]) + [("d", d), ("fill", color), ("fill-opacity", "0.18"), ("stroke", "none")])
    }
}

/// The y axis of one metric panel: logarithmic (whole decades) when every drawn value is
/// positive and they span at least two decades, else linear over nice ticks.
struct MetricAxis {
    var isLog: Bool
    var log: LogScale
    var linear: LinearScale
    var ticks: [Double]
    var labels: [String]

    /// Whether any mean or theory value is finite (a panel without one draws no y ticks).
    var hasValues: Bool

    init(rows: [MetricRow], length: Double) {
        let centres = rows.flatMap { [$0.mean, $0.theory ?? .nan] }.filter(\.isFinite)
        hasValues = !centres.isEmpty
        let bands = rows.filter { $0.mean.isFinite && $0.standardError.isFinite }.flatMap { [$0.bandLow, $0.bandHigh] }
        let lo = centres.min() ?? 0, hi = centres.max() ?? 1
        isLog = lo > 0 && hi / lo >= 100
        if isLog {
            let floorValue = lo / 10
            let (a, b) = LogScale.decades(covering: centres + bands.map { max($0, floorValue) })
            log = LogScale(lower: a, upper: b, range: (length, 0))
            linear = LinearScale(domain: (0, 1), range: (length, 0))
            let major = log.ticks().major
            ticks = major.map { pow(10, Double($0)) }
            labels = major.map(PlotFormat.decade)
        } else {
            var a = min(lo, bands.min() ?? lo), b = max(hi, bands.max() ?? hi)
            if b - a <= 1e-12 * max(abs(a), abs(b), 1e-300) { let pad = max(abs(a) * 0.05, 1e-9); a -= pad; b += pad }
            let pad = (b - a) * 0.04
            linear = LinearScale(domain: (a - pad, b + pad), range: (length, 0))
            log = LogScale(lower: 0, upper: 1, range: (length, 0))
            let values = linear.ticks(target: 5)
            ticks = values
            labels = PlotFormat.tickLabels(values)
        }
    }

    var labelWidth: Double { hasValues ? labels.map { Draw.width($0, size: Draw.tickSize) }.max() ?? 0 : 0 }

    /// The same axis mapped onto `frame`.
    func placed(_ frame: Draw.Frame) -> MetricAxis {
        var a = self
        a.log.range = (frame.bottom, frame.y)
        a.linear.range = (frame.bottom, frame.y)
        return a
    }

    /// The pixel y of `v`, nil when it cannot be drawn (non-finite, or not positive on a log axis).
    func map(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        if isLog { return v > 0 ? log(v) : nil }
        return linear(v)
    }

    /// `map`, with values below a log axis put at its floor.
    func clampedMap(_ v: Double) -> Double {
        if isLog { return log(v.isFinite && v > log.domain.0 ? v : log.domain.0) }
        return linear(v.isFinite ? v : linear.domain.0)
    }

    func draw(_ svg: inout SVGWriter, frame: Draw.Frame) {
        guard hasValues else { return }
        if isLog { Draw.logYAxis(&svg, scale: log, frame: frame, labels: true); return }
        svg.open("g", [("class", "y-axis")])
        for (v, label) in zip(ticks, labels) {
            let y = linear(v)
            Draw.line(&svg, frame.x, y, frame.right, y, stroke: Draw.gridColor, width: 0.8, cls: "grid")
            Draw.line(&svg, frame.x - 5, y, frame.x, y, stroke: Draw.axisColor, width: 1, cls: "ytick major")
            Draw.text(
                &svg, label, x: frame.x - 8, y: y + Draw.centre(Draw.tickSize), size: Draw.tickSize, anchor: "end",
                cls: "ytick-label")
        }
        svg.close()
    }
}
