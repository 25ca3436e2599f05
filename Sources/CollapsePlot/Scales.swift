import Foundation

/// Number formatting for labels.
public enum PlotFormat {
    private static let superscripts: [Character: Character] = [
        "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
        "-": "⁻", "+": "⁺"
    ]

    /// `k` in superscript digits: `superscript(-2)` = `"⁻²"`.
    public static func superscript(_ k: Int) -> String {
        String(String(k).map { superscripts[$0] ?? $0 })
    }

    /// `10^k` as a label: `10⁻²`, `10⁰`, `10²`.
    public static func decade(_ k: Int) -> String { "10" + superscript(k) }

    /// The shortest decimal that reads back as `x`, without a trailing `.0`; exponents as
    /// `×10ᵏ` (`1e-06` → `10⁻⁶`, `2.5e-07` → `2.5×10⁻⁷`).
    public static func shortest(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        var s = x.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        guard let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return s }
        var mantissa = String(s[..<e])
        if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
        guard let k = Int(s[s.index(after: e)...]) else { return s }
        if mantissa == "1" { return decade(k) }
        if mantissa == "-1" { return "-" + decade(k) }
        return mantissa + "×" + decade(k)
    }

    /// `x` with `digits` significant digits in fixed notation (`0.0521`, `1.00`, `12.3`), or
    /// `m×10ᵏ` when that would need more than 4 leading zeros or more digits than `digits + 3`.
    public static func significant(_ x: Double, digits: Int = 3) -> String {
        guard x.isFinite else { return shortest(x) }
        if x == 0 { return "0" }
        var e = Int(floor(log10(abs(x))))
        // Rounding can carry into the next power of ten (0.9996 → 1.00).
        if (abs(x) / pow(10, Double(e - digits + 1))).rounded() >= pow(10, Double(digits)) { e += 1 }
        let decimals = max(0, digits - 1 - e)
        if e < -4 || e >= digits + 3 {
            let m = x / pow(10, Double(e))
            return fixed(m, decimals: digits - 1) + "×" + decade(e)
        }
        return fixed(x, decimals: decimals)
    }

    /// `x` with exactly `decimals` decimals (integer arithmetic, locale-independent).
    static func fixed(_ x: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e15 else { return shortest(x) }
        let v = Int64(scaled)
        let s = Int64(scale)
        var out = (x < 0 && v != 0) ? "-" : ""
        out += String(v / s)
        if decimals > 0 {
            let f = String(v % s)
            out += "." + String(repeating: "0", count: decimals - f.count) + f
        }
        return out
    }

    /// Where a series has no drawable value, for the note on its panel: `"+∞ from n = 2"` when
    /// every generation from some n on is not drawable, `"+∞ at every n"`, `"+∞ at n = 3, 7"`
    /// otherwise (`−∞`, `NaN`, `≤ 0 (log axis)`; `not finite` or `not drawn` for a mixture); nil when every
    /// value is drawable. `points` are in ascending generation.
    public static func undrawn(_ points: [(generation: Int, value: Double?)], drawable: (Double) -> Bool) -> String? {
        let bad = points.filter { p in p.value.map { !drawable($0) } ?? false }
        guard let first = bad.first else { return nil }
        func kind(_ v: Double) -> String {
            v.isNaN ? "NaN" : v == .infinity ? "+∞" : v == -.infinity ? "−∞" : v <= 0 ? "≤ 0 (log axis)" : "not drawn"
        }
        let kinds = Set(bad.map { kind($0.value!) })
        let what = kinds.count == 1 ? kinds.first! : kinds.isSubset(of: ["+∞", "−∞", "NaN"]) ? "not finite" : "not drawn"
        let present = points.filter { $0.value != nil }
        if bad.count == present.count { return "\(what) at every n" }
        if let k = present.firstIndex(where: { $0.generation == first.generation }), present[k...].count == bad.count {
            return "\(what) from n = \(first.generation)"
        }
        let listed = bad.prefix(3).map { String($0.generation) }.joined(separator: ", ")
        return "\(what) at n = \(listed)\(bad.count > 3 ? ", … (\(bad.count) generations)" : "")"
    }

    /// Labels for the ticks `values` of a linear axis (ascending, evenly spaced), each distinct:
    /// every label has the same number of decimals, the fewest that write each value to within
    /// 10⁻⁶ of the step, so the step decides them (1, 1.025, 1.05 → `1.000`, `1.025`, `1.050`,
    /// never two `1.03`). Values of 10⁶ or more in magnitude are written `m×10ᵏ`, the mantissas
    /// with the decimals their step needs.
    public static func tickLabels(_ values: [Double]) -> [String] {
        let finite = values.filter(\.isFinite)
        guard let largest = finite.map(abs).max(), largest > 0 else { return values.map { shortest($0) } }
        let steps = zip(finite, finite.dropFirst()).map { abs($1 - $0) }.filter { $0 > 0 }
        let step = steps.min() ?? largest
        let e = largest >= 1e6 ? Int(floor(log10(largest))) : 0
        let unit = pow(10, Double(e))
        func labels(_ decimals: Int) -> [String] {
            values.map { v in
                guard v.isFinite else { return shortest(v) }
                let m = fixed(v / unit, decimals: decimals)
                return e == 0 ? m : (Double(m) == 0 ? "0" : m + "×" + decade(e))
            }
        }
        let exact =
            (0...12).first { d in
                finite.allSatisfy { abs(Double(fixed($0 / unit, decimals: d))! * unit - $0) <= step * 1e-6 }
            } ?? 12
        // Exact labels of distinct values are distinct; more decimals only if rounding still ties.
        for d in exact...14 {
            let out = labels(d)
            if Set(out).count == Set(values).count { return out }
        }
        return labels(14)
    }
}

/// A linear map from a data interval to a pixel interval.
struct LinearScale {
    var domain: (Double, Double)
    var range: (Double, Double)

    func callAsFunction(_ x: Double) -> Double {
        let (d0, d1) = domain, (r0, r1) = range
        if d1 == d0 { return (r0 + r1) / 2 }
        return r0 + (x - d0) / (d1 - d0) * (r1 - r0)
    }

    /// "Nice" ticks (1, 2, 2.5, 5 × 10ᵏ) inside the domain, about `target` intervals; with
    /// `integers`, steps are at least 1.
    func ticks(target: Int = 5, integers: Bool = false) -> [Double] {
        let (lo, hi) = (min(domain.0, domain.1), max(domain.0, domain.1))
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(max(target, 1))
        let magnitude = pow(10, floor(log10(raw)))
        var step = magnitude * 10
        for m in [1.0, 2, 2.5, 5, 10] where magnitude * m >= raw * 0.999 {
            step = magnitude * m
            break
        }
        if integers { step = max(1, step.rounded()) }
        var out: [Double] = []
        var k = (lo / step).rounded(.up)
        while k * step <= hi + step * 1e-9 {
            out.append(k * step)
            k += 1
        }
        return out
    }
}

/// A log₁₀ map from whole decades `10^lower … 10^upper` to a pixel interval.
struct LogScale {
    /// Exponents of the decades at the ends of the axis (`upper > lower`).
    var lower: Int
    var upper: Int
    var range: (Double, Double)

    /// The smallest whole-decade interval containing the positive finite `values`
    /// (`[10⁰, 10¹]` when there are none).
    static func decades(covering values: [Double]) -> (Int, Int) {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        guard let lo = positive.min(), let hi = positive.max() else { return (0, 1) }
        let a = Int(floor(log10(lo) + 1e-9))
        var b = Int(ceil(log10(hi) - 1e-9))
        if b <= a { b = a + 1 }
        return (a, b)
    }

    var domain: (Double, Double) { (pow(10, Double(lower)), pow(10, Double(upper))) }

    func callAsFunction(_ x: Double) -> Double {
        let (r0, r1) = range
        let t = (log10(x) - Double(lower)) / Double(upper - lower)
        return r0 + t * (r1 - r0)
    }

    /// Pixels per decade.
    var decadeLength: Double { abs(range.1 - range.0) / Double(upper - lower) }

    /// Labelled decades (every `step`-th, so labels are at least `minimumLabelGap` pixels
    /// apart) and unlabelled minor ticks: the other decades, plus 2…9 × 10ᵏ when a decade is
    /// long enough to show them.
    func ticks(minimumLabelGap: Double = 16) -> (major: [Int], minor: [Double]) {
        let span = upper - lower
        var step = 1
        for s in [1, 2, 3, 5, 10, 20, 50, 100] {
            step = s
            if Double(s) * decadeLength >= minimumLabelGap { break }
        }
        // Anchor the labelled decades on multiples of `step` so 10⁰ is labelled when present.
        let first = Int((Double(lower) / Double(step)).rounded(.up)) * step
        let major = Array(stride(from: first, through: upper, by: step))
        var minor: [Double] = []
        let showSubdecades = decadeLength >= 18 && span <= 40
        for k in lower...upper {
            if !major.contains(k) { minor.append(pow(10, Double(k))) }
            if showSubdecades && k < upper {
                for m in 2...9 { minor.append(Double(m) * pow(10, Double(k))) }
            }
        }
        return (major, minor)
    }
}

/// Colour palettes (colour-blind safe).
public enum Palette {
    /// Okabe & Ito (2008), without yellow (poor contrast on white), for categories.
    public static let okabeIto = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// matplotlib's viridis at 0, 0.1, …, 1.
    static let viridisStops = [
        "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
        "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"
    ]

    /// ColorBrewer RdBu (11 classes), blue (low) to red (high), for diverging data.
    static let blueRedStops = [
        "#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
        "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"
    ]

    /// `count` colours for ordered values, sampled from viridis on [0, 0.8] (the yellow end is
    /// too light for lines on white).
    public static func sequential(_ count: Int) -> [String] {
        guard count > 1 else { return count == 1 ? [viridis(0.35)] : [] }
        return (0..<count).map { viridis(0.8 * Double($0) / Double(count - 1)) }
    }

    /// `count` categorical colours (Okabe–Ito, then viridis samples beyond seven).
    public static func categorical(_ count: Int) -> [String] {
        if count <= okabeIto.count { return Array(okabeIto.prefix(count)) }
        return okabeIto + sequential(count - okabeIto.count)
    }

    public static func viridis(_ t: Double) -> String { interpolate(viridisStops, t) }
    public static func blueRed(_ t: Double) -> String { interpolate(blueRedStops, t) }

    /// Relative luminance (sRGB, 0…1) of `#rrggbb`, to pick black or white text on a fill.
    public static func luminance(_ hex: String) -> Double {
        let (r, g, b) = rgb(hex)
        func lin(_ c: Double) -> Double { c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    /// `hex` mixed with black: `by` = 0 gives `hex`, 1 gives black.
    public static func darker(_ hex: String, by: Double) -> String {
        let (r, g, b) = rgb(hex), k = 1 - min(max(by, 0), 1)
        return self.hex(r * k, g * k, b * k)
    }

    static func interpolate(_ stops: [String], _ t: Double) -> String {
        let t = min(max(t.isFinite ? t : 0, 0), 1)
        let x = t * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Double(i)
        let a = rgb(stops[i]), b = rgb(stops[i + 1])
        return hex(a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1), a.2 + f * (b.2 - a.2))
    }

    static func rgb(_ hex: String) -> (Double, Double, Double) {
        let v = Int(hex.dropFirst(), radix: 16) ?? 0
        return (Double((v >> 16) & 0xff) / 255, Double((v >> 8) & 0xff) / 255, Double(v & 0xff) / 255)
    }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        func byte(_ c: Double) -> Int { Int((min(max(c, 0), 1) * 255).rounded()) }
        let v = (byte(r) << 16) | (byte(g) << 8) | byte(b)
        let s = String(v, radix: 16)
        return "#" + String(repeating: "0", count: 6 - s.count) + s
    }
}
