import Foundation

/// A tidy CSV table: a header row and rows of already-formatted fields.
///
/// Format (RFC 4180): comma separator, `\n` line ends, `.` decimal point; a field containing a
/// comma, quote or line break is quoted with inner quotes doubled. Numbers are written by
/// `CSVField`, with full round-trip precision.
public struct CSVTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }

    public mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "CSV row has \(row.count) fields, header has \(header.count)")
        rows.append(row)
    }

    /// The CSV text, ending in a newline.
    public func rendered() -> String {
        var out = ""
        out.reserveCapacity((rows.count + 1) * header.count * 12)
        func line(_ fields: [String]) {
            for (i, f) in fields.enumerated() {
                if i > 0 { out += "," }
                out += CSVField.escape(f)
            }
            out += "\n"
        }
        line(header)
        for r in rows { line(r) }
        return out
    }
}

/// Formatting of single CSV fields.
public enum CSVField {
    /// The shortest decimal that parses back to exactly `x` (Swift's `description`, which
    /// round-trips); empty for `nil`. Non-finite values are written `nan`, `inf`, `-inf`.
    public static func number(_ x: Double?) -> String {
        guard let x else { return "" }
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return x.description
    }

    public static func number(_ x: Int?) -> String { x.map(String.init) ?? "" }

    /// Quotes `field` when it contains a comma, quote, CR or LF.
    public static func escape(_ field: String) -> String {
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

