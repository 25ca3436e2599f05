import Foundation

/// Fixed-width text tables for reading on a terminal (CSV output keeps full precision).
public enum TextTable {
    /// Right-aligns `s` in `width` columns (a wider value gets one leading space).
    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
    }

    /// Six significant digits.
    public static func number(_ x: Double) -> String { String(format: "%.6g", x) }
}
