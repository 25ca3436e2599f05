import Foundation

/// The size and type size of a figure: `collapse plot --width --height --font-size`.
///
/// The figure is laid out for the size asked, not scaled to it: the panels (plot areas, heat-map
/// cells) grow or shrink so that the figure's width and height come out as asked, while the text
/// keeps `fontSize`. Width and height are each affine in the panel size (columns × panel width +
/// labels, legend and gaps), so two layouts give the panel scale that hits the target; a second
/// step corrects for a title or subtitle that is wider than the panels. Where the target cannot
/// be reached with panels at least `minimumPanelScale` of their default size (a figure asked to be
/// narrower than its labels), or the title decides the width, the drawing is scaled uniformly to
/// fit and centred: the SVG's `width` and `height` are then the size asked and its `viewBox` the
/// size drawn. Either way the SVG's `width` and `height` (and a PNG's pixel size) are exactly
/// `width` × `height`.
public struct FigureStyle: Sendable, Equatable {
    /// The tick labels' size in px when none is asked for; the other text is in proportion
    /// (title 16/11 of it, axis labels and panel titles 12.5/11, legend 11.5/11).
    public static let defaultFontSize = 11.0
    /// Allowed `fontSize` (px): readable and not larger than a panel.
    public static let fontSizeRange: ClosedRange<Double> = 4...48
    /// Allowed `width` and `height` (px).
    public static let sizeRange: ClosedRange<Int> = 100...20_000
    /// The smallest panel, as a fraction of its default size, that layout goes down to before
    /// scaling the whole drawing instead.
    static let minimumPanelScale = 0.35
    /// The largest, likewise (a larger figure is laid out at this and scaled up).
    static let maximumPanelScale = 40.0
    /// How far (px, absolute) a layout may miss the size asked and still be shown unscaled, its
    /// canvas cut or extended at the right and bottom margins (14 px): the layout's canvas is
    /// rounded up to whole pixels, so the secant steps can end a pixel off.
    static let pixelSlack = 3.0

    /// The figure's width in px; nil: the width the layout needs.
    public var width: Int?
    /// The figure's height in px; nil: the height the layout needs.
    public var height: Int?
    /// The tick labels' size in px (other text in proportion).
    public var fontSize: Double

    public init(width: Int? = nil, height: Int? = nil, fontSize: Double = FigureStyle.defaultFontSize) {
        self.width = width
        self.height = height
        self.fontSize = fontSize
    }

    /// The values in range, or a message naming the flag and its range.
    public func check() throws {
        for (flag, value) in [("--width", width), ("--height", height)] {
            if let value, !Self.sizeRange.contains(value) {
                throw PlotRequestError("\(flag): \(value) is out of range; expected pixels in " + "\(Self.sizeRange.lowerBound)…\(Self.sizeRange.upperBound)")
            }
        }
        guard fontSize.isFinite, Self.fontSizeRange.contains(fontSize) else {
            throw PlotRequestError(
                "--font-size: \(PlotFormat.shortest(fontSize)) is out of range; expected px in " + "\(PlotFormat.shortest(Self.fontSizeRange.lowerBound))…"
                    + "\(PlotFormat.shortest(Self.fontSizeRange.upperBound)) (default " + "\(PlotFormat.shortest(Self.defaultFontSize)))")
        }
    }

    /// The SVG of `figure` drawn in this style: `figure` is called (a few times when a size is
    /// asked for) with the type and panel scales in effect, and must draw the same figure each time.
    public func draw(_ figure: () throws -> String) rethrows -> String {
        let font = fontSize / Self.defaultFontSize
        func layout(_ x: Double, _ y: Double, _ figure: () throws -> String) rethrows -> (svg: String, size: (Double, Double)) {
            let svg = try Draw.$scale.withValue(Draw.Scale(font: font, panelWidth: x, panelHeight: y)) { try figure() }
            return (svg, SVGWriter.size(of: svg) ?? (0, 0))
        }
        var drawn = try layout(1, 1, figure)
        guard width != nil || height != nil else { return drawn.svg }
        // Secant steps on each axis (width and height are affine in their panel scale until a
        // title or subtitle wider than the panels decides the width: the probe goes past the
        // target, so that such a flat stretch does not hide the slope).
        var sx = 1.0, sy = 1.0
        let clamp = { (v: Double) in min(max(v, Self.minimumPanelScale), Self.maximumPanelScale) }
        for _ in 0..<4 {
            let dx = width.map { Double($0) - drawn.size.0 } ?? 0, dy = height.map { Double($0) - drawn.size.1 } ?? 0
            guard abs(dx) >= 1 || abs(dy) >= 1 else { break }
            var px = width.map { sx * max(1.25, 1.5 * Double($0) / drawn.size.0) } ?? sx
            var py = height.map { sy * max(1.25, 1.5 * Double($0) / drawn.size.1) } ?? sy
            var probe = try layout(px, py, figure)
            // Still flat while the target is wider: probe further (up to the largest panel).
            while dx >= 1 && probe.size.0 <= drawn.size.0 && px < Self.maximumPanelScale {
                px = min(px * 4, Self.maximumPanelScale)
                probe = try layout(px, py, figure)
            }
            while dy >= 1 && probe.size.1 <= drawn.size.1 && py < Self.maximumPanelScale {
                py = min(py * 4, Self.maximumPanelScale)
                probe = try layout(px, py, figure)
            }
            let slopeX = px > sx ? (probe.size.0 - drawn.size.0) / (px - sx) : 0
            let slopeY = py > sy ? (probe.size.1 - drawn.size.1) / (py - sy) : 0
            let nx = slopeX > 0 ? clamp(sx + dx / slopeX) : sx, ny = slopeY > 0 ? clamp(sy + dy / slopeY) : sy
            if nx == sx && ny == sy { break }
            (sx, sy) = (nx, ny)
            drawn = try layout(sx, sy, figure)
        }
        // The size asked; an axis not asked for keeps the drawing's proportions. A layout within
        // `pixelSlack` of it (the canvas is rounded to whole pixels) gets the canvas asked (its
        // margin a pixel or two wider or narrower); one further off is scaled to fit.
        let (w0, h0) = drawn.size
        let w = width.map(Double.init) ?? (w0 * Double(height!) / h0).rounded()
        let h = height.map(Double.init) ?? (h0 * Double(width!) / w0).rounded()
        let close = abs(w - w0) <= Self.pixelSlack && abs(h - h0) <= Self.pixelSlack
        return SVGWriter.resized(drawn.svg, width: w, height: h, scaling: !close)
    }
}
