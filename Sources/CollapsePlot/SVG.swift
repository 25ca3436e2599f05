import Foundation

/// A small SVG 1.1 writer with deterministic output: attributes are written in the order given,
/// numbers with a fixed number of decimals, and text is XML-escaped. The same calls give the
/// same bytes.
public struct SVGWriter: Sendable {
    public let width: Double
    public let height: Double
    private var body = ""
    private var depth = 1
    private var openTags: [String] = []

    /// An attribute list, written in order.
    public typealias Attributes = [(String, String)]

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body.reserveCapacity(64 * 1024)
    }

    /// An empty element: `<name a="v" …/>`.
    public mutating func element(_ name: String, _ attributes: Attributes) {
        line("<\(name)\(Self.attributeText(attributes))/>")
    }

    /// An element with escaped text content: `<name …>text</name>`.
    public mutating func element(_ name: String, _ attributes: Attributes, text: String) {
        line("<\(name)\(Self.attributeText(attributes))>\(Self.escape(text))</\(name)>")
    }

    /// Opens a container element (`g`, `defs`, `clipPath`, …); close it with `close()`.
    public mutating func open(_ name: String, _ attributes: Attributes = []) {
        line("<\(name)\(Self.attributeText(attributes))>")
        openTags.append(name)
        depth += 1
    }

    /// Closes the innermost open element.
    public mutating func close() {
        guard let name = openTags.popLast() else { preconditionFailure("SVGWriter.close() without open()") }
        depth -= 1
        line("</\(name)>")
    }

    /// A comment (`--` is replaced so the comment stays well-formed).
    public mutating func comment(_ text: String) {
        line("<!-- \(text.replacingOccurrences(of: "--", with: "- -")) -->")
    }

    private mutating func line(_ s: String) {
        body += String(repeating: "  ", count: depth)
        body += s
        body += "\n"
    }

    /// The complete document: XML declaration, `<svg>` root with `title` (and `desc`), the body.
    public func rendered(
        title: String, description: String? = nil,
        rootAttributes: Attributes = []
    ) -> String {
        precondition(openTags.isEmpty, "unclosed SVG elements: \(openTags)")
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let w = Self.number(width), h = Self.number(height)
        let root: Attributes =
            [
                ("xmlns", "http://www.w3.org/2000/svg"), ("version", "1.1"),
                ("width", w), ("height", h), ("viewBox", "0 0 \(w) \(h)")
            ] + rootAttributes
        out += "<svg\(Self.attributeText(root))>\n"
        out += "  <title>\(Self.escape(title))</title>\n"
        if let description { out += "  <desc>\(Self.escape(description))</desc>\n" }
        out += body
        out += "</svg>\n"
        return out
    }

    // MARK: Size

    /// The `width` and `height` of the root element of `svg`, a document `rendered` wrote.
    public static func size(of svg: String) -> (width: Double, height: Double)? {
        guard let root = svg.range(of: "<svg ").map({ svg[$0.lowerBound...].prefix { $0 != ">" } }) else { return nil }
        func value(_ name: String) -> Double? {
            guard let r = root.range(of: " \(name)=\"") else { return nil }
            return Double(root[r.upperBound...].prefix { $0 != "\"" })
        }
        guard let w = value("width"), let h = value("height") else { return nil }
        return (w, h)
    }

    /// `svg` (a document `rendered` wrote) shown at `width` × `height`: with `scaling`, its
    /// drawing, the `viewBox`, scaled uniformly to fit and centred, the margin that a different
    /// aspect ratio leaves filled white; without, the canvas cut or extended at the right and
    /// bottom, the drawing unscaled. The same document when the size is already that.
    public static func resized(_ svg: String, width: Double, height: Double, scaling: Bool = true) -> String {
        guard let drawn = size(of: svg), drawn.width > 0, drawn.height > 0, width > 0, height > 0 else { return svg }
        let (w0, h0) = drawn
        if w0 == width && h0 == height { return svg }
        // The viewBox widened on one axis to the aspect asked, the drawing in its middle.
        let k = scaling ? max(w0 / width, h0 / height) : 1
        let vw = width * k, vh = height * k, ox = scaling ? (vw - w0) / 2 : 0, oy = scaling ? (vh - h0) / 2 : 0
        let box = [-ox, -oy, vw, vh].map { number($0, decimals: 3) }
        let old = " width=\"\(number(w0))\" height=\"\(number(h0))\" viewBox=\"0 0 \(number(w0)) \(number(h0))\""
        let new = " width=\"\(number(width))\" height=\"\(number(height))\" viewBox=\"\(box.joined(separator: " "))\""
        guard let r = svg.range(of: old), let end = svg[r.upperBound...].firstIndex(of: "\n") else { return svg }
        // The figure's own background is 100% of the viewBox from 0 0: cover the rest.
        let background = !scaling ? "" : "\n  <rect x=\"\(box[0])\" y=\"\(box[1])\" width=\"\(box[2])\" height=\"\(box[3])\" fill=\"#ffffff\"/>"
        return String(svg[..<r.lowerBound]) + new + String(svg[r.upperBound..<end]) + background + String(svg[end...])
    }

    // MARK: Formatting

    /// XML-escapes `text` for element content and attribute values (`&`, `<`, `>`, `"`, `'`);
    /// control characters other than tab, LF and CR (not allowed in XML 1.0) become U+FFFD.
    public static func escape(_ text: String) -> String {
        // Most text (numbers, path data, labels) is printable ASCII with nothing to escape.
        if text.utf8.allSatisfy({ b in
            (b >= 0x20 && b < 0x7F && b != UInt8(ascii: "&") && b != UInt8(ascii: "<") && b != UInt8(ascii: ">")
                && b != UInt8(ascii: "\"") && b != UInt8(ascii: "'")) || b == 0x09 || b == 0x0A || b == 0x0D
        }) {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for u in text.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    static func attributeText(_ attributes: Attributes) -> String {
        var s = ""
        for (k, v) in attributes { s += " \(k)=\"\(escape(v))\"" }
        return s
    }

    /// `x` rounded to `decimals` (0…6) places, without trailing zeros and without `-0`:
    /// `number(12.5)` = `"12.5"`, `number(3.004)` = `"3"`, `number(-0.001)` = `"0"`.
    /// Computed with integer arithmetic, so it does not depend on the locale. Non-finite values
    /// give `"0"` (callers filter them out before drawing).
    public static func number(_ x: Double, decimals: Int = 2) -> String {
        let decimals = min(max(decimals, 0), 6)
        guard x.isFinite else { return "0" }
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let limit = 1e12
        let clamped = min(max(x, -limit), limit)
        let scaled = Int64((clamped * Double(scale)).rounded())
        if scaled == 0 { return "0" }
        let negative = scaled < 0
        let magnitude = negative ? -scaled : scaled
        let whole = magnitude / scale
        var fraction = magnitude % scale
        var digits = decimals
        while digits > 0 && fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        var s = negative ? "-" : ""
        s += String(whole)
        if digits > 0 {
            let f = String(fraction)
            s += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return s
    }

    /// Path data for a polyline: `M x,y L x,y …` (two decimals).
    public static func polyline(_ points: [(Double, Double)]) -> String {
        var s = ""
        for (i, p) in points.enumerated() {
            s += i == 0 ? "M" : " L"
            s += number(p.0) + "," + number(p.1)
        }
        return s
    }

    /// Path data for a closed polygon.
    public static func polygon(_ points: [(Double, Double)]) -> String {
        points.isEmpty ? "" : polyline(points) + " Z"
    }
}
