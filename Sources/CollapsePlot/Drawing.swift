import Foundation

/// A figure-building problem (a requested value that is not in the table, a view that needs
/// regimes the table lacks). `description` names the source file.
public struct FigureError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Shared drawing pieces: text metrics, axes, series paths, legends.
enum Draw {
    static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

    /// The scale of type and panels while a figure is drawn: `FigureStyle.draw` sets it for the
    /// figure it draws (task-local, so concurrent figures do not share it); 1 and 1 otherwise.
    struct Scale: Sendable {
        /// Every type size (and the rows and gaps that hold text) is its default times this.
        var font = 1.0
        /// Panel (plot-area, heat-map cell) widths and heights are their defaults times these.
        var panelWidth = 1.0, panelHeight = 1.0
    }

    @TaskLocal static var scale = Scale()

    /// Type sizes in px: the defaults (tick labels 11 px, `FigureStyle.defaultFontSize`) times
    /// `scale.font`.
    static var titleSize: Double { 16 * scale.font }
    static var subtitleSize: Double { 11.5 * scale.font }
    static var panelTitleSize: Double { 12.5 * scale.font }
    static var axisLabelSize: Double { 12.5 * scale.font }
    static var tickSize: Double { 11 * scale.font }
    static var legendSize: Double { 11.5 * scale.font }
    static var cellSize: Double { 12 * scale.font }
    /// Height of the band above a panel that holds its title.
    static var panelTitleHeight: Double { 22 * scale.font }
    static let axisColor = "#333333", gridColor = "#e6e6e6", mutedText = "#555555"

    /// The header of the results figures: a `margin` all round, the bold title's baseline at
    /// `titleY`, the muted subtitle's at `subtitleY`, and the panel grid from `gridTop`.
    static let margin = 14.0
    static var titleY: Double { margin + titleSize }
    static var subtitleY: Double { titleY + 18 * scale.font }
    static var gridTop: Double { subtitleY + 12 * scale.font }

    /// A white canvas for a results figure whose content, margin included, reaches `contentRight`
    /// and `contentBottom`: widened when the title or subtitle line is longer, with both drawn.
    static func canvas(title: String, subtitle: String, contentRight: Double, contentBottom: Double) -> SVGWriter {
        let width = max(
            contentRight, Draw.width(title, size: titleSize) + 2 * margin,
            Draw.width(subtitle, size: subtitleSize) + 2 * margin)
        var svg = SVGWriter(width: width.rounded(.up), height: contentBottom.rounded(.up))
        svg.element("rect", [("x", "0"), ("y", "0"), ("width", "100%"), ("height", "100%"), ("fill", "#ffffff")])
        text(&svg, title, x: margin, y: titleY, size: titleSize, weight: "bold", cls: "title")
        text(&svg, subtitle, x: margin, y: subtitleY, size: subtitleSize, fill: mutedText, cls: "subtitle")
        return svg
    }

    /// Approximate advance width of `text` in DejaVu Sans at `size` px (for layout only).
    static func width(_ text: String, size: Double) -> Double {
        var em = 0.0
        for c in text {
            switch c {
            case "i", "l", "j", ".", ",", ":", ";", "'", "|", "!", " ", "(", ")", "[", "]", "f", "t", "r":
                em += 0.36
            case "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹", "⁻", "⁺":
                em += 0.42
            case "0"..."9", "=", "+", "×", "−", "-", "<", ">", "≥", "≤":
                em += 0.64
            case "m", "w", "M", "W":
                em += 0.92
            case "A"..."Z":
                em += 0.70
            default:
                em += 0.60
            }
        }
        return em * size
    }

    /// Baseline offset that vertically centres text of `size` on a y coordinate.
    static func centre(_ size: Double) -> Double { size * 0.36 }

    static func n(_ x: Double) -> String { SVGWriter.number(x) }

    /// A text element.
    static func text(
        _ svg: inout SVGWriter, _ s: String, x: Double, y: Double, size: Double,
        anchor: String = "start", weight: String? = nil, fill: String? = nil,
        cls: String? = nil, extra: SVGWriter.Attributes = [], rotate: Bool = false
    ) {
        var a: SVGWriter.Attributes = []
        if let cls { a.append(("class", cls)) }
        a += extra
        a += [("x", n(x)), ("y", n(y)), ("font-size", n(size))]
        if anchor != "start" { a.append(("text-anchor", anchor)) }
        if let weight { a.append(("font-weight", weight)) }
        if let fill { a.append(("fill", fill)) }
        if rotate { a.append(("transform", "rotate(-90 \(n(x)) \(n(y)))")) }
        svg.element("text", a, text: s)
    }

    static func line(
        _ svg: inout SVGWriter, _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
        stroke: String, width: Double = 1, cls: String? = nil, dash: String? = nil
    ) {
        var a: SVGWriter.Attributes = []
        if let cls { a.append(("class", cls)) }
        a += [("x1", n(x1)), ("y1", n(y1)), ("x2", n(x2)), ("y2", n(y2)), ("stroke", stroke), ("stroke-width", n(width))]
        if let dash { a.append(("stroke-dasharray", dash)) }
        svg.element("line", a)
    }

    /// Panel rectangle in pixels.
    struct Frame {
        var x: Double, y: Double, width: Double, height: Double
        var right: Double { x + width }
        var bottom: Double { y + height }
    }

    /// Declares a clip path for `frame` (id `id`).
    static func clip(_ svg: inout SVGWriter, id: String, frame: Frame) {
        svg.open("clipPath", [("id", id)])
        svg.element("rect", [("x", n(frame.x)), ("y", n(frame.y)), ("width", n(frame.width)), ("height", n(frame.height))])
        svg.close()
    }

    /// Log-scale y axis on the left edge of `frame`: faint grid lines at labelled decades, major
    /// and minor ticks, and (with `labels`) decade labels `10ᵏ`.
    static func logYAxis(_ svg: inout SVGWriter, scale: LogScale, frame: Frame, labels: Bool) {
        let (major, minor) = scale.ticks()
        svg.open("g", [("class", "y-axis")])
        for k in major {
            let y = scale(pow(10, Double(k)))
            line(&svg, frame.x, y, frame.right, y, stroke: gridColor, width: 0.8, cls: "grid")
        }
        for v in minor {
            let y = scale(v)
            line(&svg, frame.x - 3, y, frame.x, y, stroke: axisColor, width: 0.8, cls: "ytick minor")
        }
        for k in major {
            let y = scale(pow(10, Double(k)))
            line(&svg, frame.x - 5, y, frame.x, y, stroke: axisColor, width: 1, cls: "ytick major")
            if labels {
                text(
                    &svg, PlotFormat.decade(k), x: frame.x - 8, y: y + centre(tickSize), size: tickSize,
                    anchor: "end", cls: "ytick-label", extra: [("data-exponent", String(k))])
            }
        }
        svg.close()
    }

    /// Widest y tick label of `scale` (for the left margin).
    static func logLabelWidth(_ scale: LogScale) -> Double {
        scale.ticks().major.map { width(PlotFormat.decade($0), size: tickSize) }.max() ?? 0
    }

    /// Linear x axis along the bottom of `frame`.
    static func xAxis(_ svg: inout SVGWriter, scale: LinearScale, frame: Frame, labels: Bool) {
        svg.open("g", [("class", "x-axis")])
        let ticks = scale.ticks(target: max(2, Int(frame.width / 45)), integers: true)
        for (v, label) in zip(ticks, PlotFormat.tickLabels(ticks)) {
            let x = scale(v)
            line(&svg, x, frame.bottom, x, frame.bottom + 5, stroke: axisColor, width: 1, cls: "xtick")
            if labels {
                text(
                    &svg, label, x: x, y: frame.bottom + 7 + tickSize, size: tickSize,
                    anchor: "middle", cls: "xtick-label")
            }
        }
        svg.close()
    }

    static func frameRect(_ svg: inout SVGWriter, _ frame: Frame) {
        svg.element(
            "rect",
            [
                ("class", "frame"), ("x", n(frame.x)), ("y", n(frame.y)), ("width", n(frame.width)),
                ("height", n(frame.height)), ("fill", "none"), ("stroke", axisColor), ("stroke-width", "1")
            ])
    }

    // MARK: Series that are not drawn everywhere

    /// The notes of a linear series (`rows` in ascending generation) on a log axis: where its
    /// Monte Carlo mean (or median), and where its closed form, cannot be drawn.
    static func undrawnNotes(_ rows: [ResultsRow], label: String, color: String)
        -> [(text: String, color: String, attributes: SVGWriter.Attributes)]
    {
        let drawable = { (v: Double) in v.isFinite && v > 0 }
        let statistic = rows.contains(where: \.drawsMedian) ? "median" : "mean"
        var notes: [(text: String, color: String, attributes: SVGWriter.Attributes)] = []
        if let what = PlotFormat.undrawn(rows.map { ($0.generation, $0.centre) }, drawable: drawable) {
            notes.append(("\(label): \(statistic) \(what)", color, seriesAttributes(rows[0])))
        }
        if let what = PlotFormat.undrawn(rows.map { ($0.generation, $0.theory) }, drawable: drawable) {
            notes.append(("\(label): theory \(what)", color, seriesAttributes(rows[0])))
        }
        return notes
    }

    /// The notes of a panel's series that are not drawn everywhere, in the series' (darkened)
    /// colour at the panel's top left over a white backing, so that a series the legend lists
    /// never vanishes unexplained. A note wider than the panel wraps at spaces (and shrinks only if
    /// one word is still too wide). Each note is a `<g class="series-note" data-note="…">`
    /// holding its lines.
    static func seriesNotes(
        _ svg: inout SVGWriter, _ notes: [(text: String, color: String, attributes: SVGWriter.Attributes)],
        frame: Frame
    ) {
        guard !notes.isEmpty else { return }
        let natural = tickSize * 0.95, room = frame.width - 12
        let wrapped = notes.map { wrap($0.text, size: natural, width: room) }
        let widest = wrapped.flatMap { $0 }.map { 1.08 * width($0, size: natural) }.max()!
        let size = widest > room ? max(5, natural * room / widest) : natural
        let row = size * 1.3, lines = wrapped.map(\.count).reduce(0, +)
        svg.open("g", [("class", "series-notes")])
        svg.element(
            "rect",
            [
                ("x", n(frame.x + 2)), ("y", n(frame.y + 2)), ("width", n(min(widest * size / natural + 8, frame.width - 4))),
                ("height", n(Double(lines) * row + 4)), ("fill", "#ffffff"), ("fill-opacity", "0.85")
            ])
        var line = 0
        for (note, parts) in zip(notes, wrapped) {
            svg.open("g", [("class", "series-note")] + note.attributes + [("data-note", note.text)])
            for part in parts {
                text(
                    &svg, part, x: frame.x + 6, y: frame.y + 4 + (Double(line) + 0.5) * row + centre(size), size: size,
                    fill: Palette.darker(note.color, by: 0.25))
                line += 1
            }
            svg.close()
        }
        svg.close()
    }

    /// `text` in lines of at most `width` px at `size` (greedy, at spaces; a word wider than
    /// `width` gets a line of its own).
    static func wrap(_ text: String, size: Double, width limit: Double) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ").map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if current.isEmpty || 1.08 * width(candidate, size: size) <= limit {
                current = candidate
            } else {
                lines.append(current)
                current = word
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    // MARK: Series

    /// Identifying attributes of a series.
    static func seriesAttributes(_ row: ResultsRow) -> SVGWriter.Attributes {
        var a: SVGWriter.Attributes = [
            ("data-regime", row.series), ("data-dimension", String(row.dimension)),
            ("data-samples", String(row.samples)),
            ("data-noise-variance", attribute(row.noiseVariance))
        ]
        if let f = row.realFraction { a.append(("data-real-fraction", attribute(f))) }
        return a
    }

    /// Shortest round-trip decimal without a trailing `.0` (machine-readable attribute values).
    static func attribute(_ x: Double) -> String {
        var s = x.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    /// Splits points into runs of drawable (finite, positive) values.
    static func runs(_ points: [(Double, Double?)]) -> [[(Double, Double)]] {
        var out: [[(Double, Double)]] = [], current: [(Double, Double)] = []
        for (x, y) in points {
            if let y, y.isFinite, y > 0 {
                current.append((x, y))
            } else if !current.isEmpty {
                out.append(current)
                current = []
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Path data for the runs (a single point becomes a dot: `h0` with a round cap).
    static func pathData(_ runs: [[(Double, Double)]], x: LinearScale, y: LogScale) -> String {
        runs.map { run in
            let d = SVGWriter.polyline(run.map { (x($0.0), y($0.1)) })
            return run.count == 1 ? d + " h0" : d
        }.joined(separator: " ")
    }

    /// The 95% band of `rows` (ascending generation) as a translucent polygon; lower ends at or
    /// below the axis minimum (e.g. non-positive) are clipped to it.
    static func bandPath(_ svg: inout SVGWriter, rows: [ResultsRow], color: String, x: LinearScale, y: LogScale) {
        // The band where the mean is drawable; non-positive lower ends are clipped to the axis.
        let floorValue = y.domain.0
        var runs: [[ResultsRow]] = [], current: [ResultsRow] = []
        for r in rows {
            if r.centre.isFinite && r.centre > 0 && r.high.isFinite && r.high > 0 {
                current.append(r)
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        let d = runs.filter { $0.count >= 2 }.map { run -> String in
            let upper = run.map { (x(Double($0.generation)), y(max($0.high, floorValue))) }
            let lower = run.reversed().map { r -> (Double, Double) in
                let low = r.low.isFinite && r.low > floorValue ? r.low : floorValue
                return (x(Double(r.generation)), y(low))
            }
            return SVGWriter.polygon(upper + lower)
        }.joined(separator: " ")
        guard let first = rows.first, !d.isEmpty else { return }
        svg.element("path", [("class", "band")] + seriesAttributes(first) + [("d", d), ("fill", color), ("fill-opacity", "0.18"), ("stroke", "none")])
    }

    static func mcPath(_ svg: inout SVGWriter, rows: [ResultsRow], color: String, x: LinearScale, y: LogScale) {
        guard let first = rows.first else { return }
        let d = pathData(runs(rows.map { (Double($0.generation), $0.centre) }), x: x, y: y)
        svg.element(
            "path",
            [("class", "mc")] + seriesAttributes(first) + (first.drawsMedian ? [("data-statistic", "median")] : []) + [
                ("d", d), ("fill", "none"), ("stroke", color), ("stroke-width", "2.2"), ("stroke-opacity", "0.6"),
                ("stroke-linejoin", "round"), ("stroke-linecap", "round")
            ])
    }

    /// The dashed theory line; nothing when no row has a theory value.
    static func theoryPath(_ svg: inout SVGWriter, rows: [ResultsRow], color: String, x: LinearScale, y: LogScale) {
        guard let first = rows.first, rows.contains(where: { $0.theory != nil }) else { return }
        let d = pathData(runs(rows.map { (Double($0.generation), $0.theory) }), x: x, y: y)
        guard !d.isEmpty else { return }
        svg.element(
            "path",
            [("class", "theory")] + seriesAttributes(first) + [
                ("d", d), ("fill", "none"), ("stroke", Palette.darker(color, by: 0.35)),
                ("stroke-width", "1.3"), ("stroke-dasharray", "5 3"), ("stroke-linecap", "butt")
            ])
    }

    /// The values that set a log y range: means, theory values, upper band ends, and lower
    /// band ends down to a tenth of the smallest mean or theory value (a lower end that is not
    /// positive, or tiny, as for heavy-tailed errors, would otherwise stretch the axis by
    /// decades; such band ends are clipped at the axis).
    static func yValues(_ rows: [ResultsRow]) -> [Double] {
        let centres = rows.flatMap { [$0.centre, $0.theory ?? .nan] }.filter { $0.isFinite && $0 > 0 }
        let lowFloor = (centres.min() ?? 0) / 10
        var v = centres
        v.reserveCapacity(rows.count * 4)
        for r in rows {
            v.append(r.high)
            v.append(r.low >= lowFloor ? r.low : lowFloor)
        }
        return v
    }

    /// Whether some drawn band reaches below the axis (and is clipped there).
    static func bandsClipped(_ rows: [ResultsRow], scale: LogScale) -> Bool {
        rows.contains { $0.centre.isFinite && $0.centre > 0 && $0.high.isFinite && !($0.low >= scale.domain.0 * (1 - 1e-12)) }
    }

    /// x scale over the generations `gens` (from 0 when the data start at generation 1).
    static func generationScale(_ gens: [Int], range: (Double, Double)) -> LinearScale {
        let lo = gens.first ?? 1, hi = gens.last ?? 1
        var d0 = Double(lo == 1 ? 0 : lo), d1 = Double(hi)
        if d1 <= d0 { d1 = d0 + 1 }
        if lo == hi && lo > 1 { d0 = Double(lo - 1); d1 = Double(lo + 1) }
        return LinearScale(domain: (d0, d1), range: range)
    }

    // MARK: Legend

    enum LegendItem {
        case heading(String)
        /// A coloured line (solid).
        case line(label: String, color: String, attributes: SVGWriter.Attributes)
        /// The Monte Carlo style sample: solid line over a band.
        case monteCarlo(String)
        /// The theory style sample: dashed line.
        case theory(String)
        case gap
    }

    static var legendRow: Double { 18 * scale.font }
    static let legendSwatch = 26.0

    /// The legend of every results figure: a heading, one coloured line per series, then the
    /// style sample of the solid lines (`solid`: Monte Carlo with its band by default; nil when
    /// there are none, as for closed forms alone) and, when any theory is drawn, the theory's.
    static func seriesLegend(
        heading: String, series: [(label: String, color: String, attributes: SVGWriter.Attributes)],
        hasTheory: Bool, solid: String? = "Monte Carlo (solid, 95% band)"
    ) -> [LegendItem] {
        var items: [LegendItem] = [.heading(heading)]
        items += series.map { .line(label: $0.label, color: $0.color, attributes: $0.attributes) }
        if solid != nil || hasTheory { items.append(.gap) }
        if let solid { items.append(.monteCarlo(solid)) }
        if hasTheory { items.append(.theory("theory (dashed)")) }
        return items
    }

    static func legendSize(_ items: [LegendItem]) -> (width: Double, height: Double) {
        var w = 0.0, h = 0.0
        for item in items {
            switch item {
            case let .heading(s): w = max(w, 1.08 * width(s, size: legendSize)); h += legendRow
            case let .line(s, _, _), let .monteCarlo(s), let .theory(s):
                w = max(w, legendSwatch + 8 + 1.08 * width(s, size: legendSize)); h += legendRow
            case .gap: h += legendRow * 0.5
            }
        }
        return (w, h)
    }

    static func legend(_ svg: inout SVGWriter, _ items: [LegendItem], x: Double, y: Double) {
        svg.open("g", [("class", "legend")])
        var cy = y
        for item in items {
            let mid = cy + legendRow / 2
            let ty = mid + centre(legendSize)
            switch item {
            case let .heading(s):
                text(&svg, s, x: x, y: ty, size: legendSize, weight: "bold", cls: "legend-heading")
                cy += legendRow
            case let .line(s, color, attributes):
                svg.open("g", [("class", "legend-entry")] + attributes)
                line(&svg, x, mid, x + legendSwatch, mid, stroke: color, width: 2.4)
                text(&svg, s, x: x + legendSwatch + 8, y: ty, size: legendSize)
                svg.close()
                cy += legendRow
            case let .monteCarlo(s):
                svg.open("g", [("class", "legend-entry"), ("data-kind", "mc")])
                if s.contains("band") {
                    svg.element(
                        "rect",
                        [
                            ("x", n(x)), ("y", n(mid - 5)), ("width", n(legendSwatch)), ("height", "10"),
                            ("fill", "#555555"), ("fill-opacity", "0.22")
                        ])
                }
                line(&svg, x, mid, x + legendSwatch, mid, stroke: "#555555", width: 2.2)
                text(&svg, s, x: x + legendSwatch + 8, y: ty, size: legendSize)
                svg.close()
                cy += legendRow
            case let .theory(s):
                svg.open("g", [("class", "legend-entry"), ("data-kind", "theory")])
                line(&svg, x, mid, x + legendSwatch, mid, stroke: "#333333", width: 1.3, dash: "5 3")
                text(&svg, s, x: x + legendSwatch + 8, y: ty, size: legendSize)
                svg.close()
                cy += legendRow
            case .gap:
                cy += legendRow * 0.5
            }
        }
        svg.close()
    }

    /// `values` as `a, b, c`.
    static func list<T>(_ values: [T], _ format: (T) -> String) -> String { values.map(format).joined(separator: ", ") }
}
