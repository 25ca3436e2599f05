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
        // The four are ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII: a byte scan
        // finds exactly the scalars (several times faster than iterating scalars).
        func special(_ b: UInt8) -> Bool { b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") }
        let quote = field.utf8.withContiguousStorageIfAvailable { $0.contains(where: special) } ?? field.utf8.contains(where: special)
        guard quote else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The comma-separated fields of one line of unquoted CSV (the form `collapse` writes its
    /// cell files in), split on UTF-8 bytes: the same fields as
    /// `line.split(separator: ",", omittingEmptySubsequences: false)` (a comma is one byte and
    /// never part of a multi-byte character or grapheme cluster), without Character
    /// segmentation, which costs about a microsecond a field.
    public static func unquotedFields(_ line: Substring) -> [Substring] {
        split(line, at: UInt8(ascii: ","), keepingEmpty: true)
    }

    /// The non-empty `\n`-separated lines of `text`, split on UTF-8 bytes (as `unquotedFields`).
    public static func lines(_ text: Substring) -> [Substring] {
        split(text, at: UInt8(ascii: "\n"), keepingEmpty: false)
    }

    /// `text` split at every byte `separator` (an ASCII character, so every piece is a valid
    /// substring).
    private static func split(_ text: Substring, at separator: UInt8, keepingEmpty: Bool) -> [Substring] {
        let bytes = text.utf8
        // Native strings: scan the contiguous bytes; a UTF-8 view's index at a byte offset is
        // then O(1).
        let fast = bytes.withContiguousStorageIfAvailable { buffer -> [Substring] in
            var pieces: [Substring] = []
            func index(_ offset: Int) -> Substring.Index { bytes.index(bytes.startIndex, offsetBy: offset) }
            var start = 0
            for i in buffer.indices where buffer[i] == separator {
                if keepingEmpty || i != start { pieces.append(text[index(start)..<index(i)]) }
                start = i + 1
            }
            if keepingEmpty || start != buffer.count { pieces.append(text[index(start)..<bytes.endIndex]) }
            return pieces
        }
        if let fast { return fast }
        var pieces: [Substring] = []
        var start = bytes.startIndex, i = start
        while i != bytes.endIndex {
            if bytes[i] == separator {
                if keepingEmpty || i != start { pieces.append(text[start..<i]) }
                start = bytes.index(after: i)
            }
            bytes.formIndex(after: &i)
        }
        if keepingEmpty || start != bytes.endIndex { pieces.append(text[start..<bytes.endIndex]) }
        return pieces
    }

    /// The number of fields of one line of unquoted CSV (commas + 1).
    public static func unquotedFieldCount(_ line: Substring) -> Int {
        func count<C: Collection<UInt8>>(_ bytes: C) -> Int { bytes.reduce(1) { $1 == UInt8(ascii: ",") ? $0 + 1 : $0 } }
        return line.utf8.withContiguousStorageIfAvailable(count) ?? count(line.utf8)
    }

    /// `field` without leading and trailing whitespace: exactly
    /// `field.trimmingCharacters(in: .whitespaces)`, answered from the first and last bytes
    /// when they are ASCII and not a space or tab (every number and name `collapse` writes), and
    /// by Foundation otherwise.
    public static func trimmed<S: StringProtocol>(_ field: S) -> String {
        let s = String(field)
        guard let first = s.utf8.first, let last = s.utf8.last else { return "" }
        func plain(_ b: UInt8) -> Bool { b < 0x80 && b != UInt8(ascii: " ") && b != UInt8(ascii: "\t") }
        if plain(first) && plain(last) { return s }
        return s.trimmingCharacters(in: .whitespaces)
    }
}
