import Foundation

/// A CSV read failure, located by file and physical line (1-based).
public struct CSVReadError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or the name given for in-memory text).
    public var file: String
    /// The physical line (1-based) where the problem is; 0 when it concerns the whole file.
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: message` (`FILE: message` when no line applies).
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// A parsed CSV file: the header, the data rows, and the line on which each row starts.
public struct CSVDocument: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]
    /// `lines[i]` is the physical line (1-based) on which `rows[i]` starts (a quoted field may
    /// span several lines).
    public var lines: [Int]
    /// The file name used in error messages.
    public var file: String

    public init(header: [String], rows: [[String]], lines: [Int], file: String) {
        precondition(rows.count == lines.count, "one line number per row")
        self.header = header
        self.rows = rows
        self.lines = lines
        self.file = file
    }

    /// The index of the column named `name`, if any (the first one when repeated).
    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The rows as a `CSVTable` (header and fields, without line numbers).
    public var table: CSVTable { CSVTable(header: header, rows: rows) }
}

/// An RFC 4180 CSV reader.
///
/// - Fields are separated by commas; records end in CRLF, LF or a lone CR, and the last record's
///   line end is optional.
/// - A field starting with `"` is quoted: it runs to the next lone `"`, may contain commas and
///   line breaks, and `""` inside it stands for one `"`. Text between a closing quote and the next
///   separator, or a `"` inside an unquoted field, is an error.
/// - The first record is the header; every later record must have as many fields (a ragged row
///   is an error naming its line). Empty lines are skipped when the header has more than one
///   column (in a one-column file an empty line is an empty field).
/// - A leading UTF-8 byte-order mark is ignored; the text must be valid UTF-8.
public enum CSVReader {
    /// Reads and parses the file at `url`; errors name `url.path`.
    public static func read(contentsOf url: URL) throws -> CSVDocument {
        let data: Data
        do {
            data = try RegularFile.read(url.path)
        } catch let e as RegularFile.Failure {
            throw CSVReadError(file: url.path, line: 0, message: e.description)
        }
        return try parse(data, file: url.path)
    }

    /// Parses UTF-8 `data`; `file` names the source in errors.
    public static func parse(_ data: Data, file: String) throws -> CSVDocument {
        guard let text = String(data: data, encoding: .utf8) else {
            throw CSVReadError(file: file, line: 0, message: "not valid UTF-8 text")
        }
        return try parse(text, file: file)
    }

    /// Parses `text`; `file` names the source in errors.
    public static func parse(_ text: String, file: String = "<input>") throws -> CSVDocument {
        var records = try records(text, file: file)
        guard !records.isEmpty else {
            throw CSVReadError(file: file, line: 0, message: "empty file; expected a header row")
        }
        let header = records.removeFirst()
        let width = header.fields.count
        var rows: [[String]] = []
        var lines: [Int] = []
        rows.reserveCapacity(records.count)
        lines.reserveCapacity(records.count)
        for r in records {
            if width > 1 && r.fields == [""] && !r.quoted { continue }  // blank line
            guard r.fields.count == width else {
                throw CSVReadError(
                    file: file, line: r.line,
                    message: "row has \(r.fields.count) field\(r.fields.count == 1 ? "" : "s"), " + "the header (line \(header.line)) has \(width)")
            }
            rows.append(r.fields)
            lines.append(r.line)
        }
        return CSVDocument(header: header.fields, rows: rows, lines: lines, file: file)
    }

    private struct Record {
        var fields: [String]
        var line: Int
        /// Whether any field was quoted (so `""` on its own line is a field, not a blank line).
        var quoted: Bool
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","),
        cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

    /// Splits `text` into records; the line numbers count CRLF, LF and lone CR as one break each.
    private static func records(_ text: String, file: String) throws -> [Record] {
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var out: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1  // current physical line
        var recordLine = 1  // line where the current record started
        var anyQuoted = false
        var i = 0
        let n = bytes.count

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        func endRecord() {
            endField()
            out.append(Record(fields: fields, line: recordLine, quoted: anyQuoted))
            fields.removeAll(keepingCapacity: true)
            anyQuoted = false
        }
        /// Consumes a line break at `i` (CRLF, LF or CR); returns false if there is none.
        func lineBreak() -> Bool {
            guard i < n else { return false }
            if bytes[i] == lf { i += 1; line += 1; return true }
            if bytes[i] == cr {
                i += 1
                if i < n && bytes[i] == lf { i += 1 }
                line += 1
                return true
            }
            return false
        }

        while i < n {
            // At the start of a field.
            if bytes[i] == quote {
                anyQuoted = true
                let openLine = line
                i += 1
                var closed = false
                while i < n {
                    let c = bytes[i]
                    if c == quote {
                        if i + 1 < n && bytes[i + 1] == quote {
                            field.append(quote)
                            i += 2
                        } else {
                            i += 1
                            closed = true
                            break
                        }
                    } else if c == cr || c == lf {
                        field.append(c)
                        if c == cr && i + 1 < n && bytes[i + 1] == lf { field.append(lf); i += 1 }
                        i += 1
                        line += 1
                    } else {
                        field.append(c)
                        i += 1
                    }
                }
                guard closed else {
                    throw CSVReadError(
                        file: file, line: openLine,
                        message: "quoted field is not closed (no matching '\"' before the end of the file)")
                }
                // After the closing quote: a separator, a line break or the end.
                if i >= n { endRecord(); break }
                if bytes[i] == comma { endField(); i += 1; if i >= n { endRecord() }; continue }
                if lineBreak() { endRecord(); recordLine = line; continue }
                throw CSVReadError(
                    file: file, line: line,
                    message: "unexpected character after a closing quote; expected ',' or a line end")
            } else {
                // Unquoted field: up to the next comma or line break.
                while i < n {
                    let c = bytes[i]
                    if c == comma || c == cr || c == lf { break }
                    if c == quote {
                        throw CSVReadError(
                            file: file, line: line,
                            message: "'\"' inside an unquoted field; quote the whole field and double the inner quotes")
                    }
                    field.append(c)
                    i += 1
                }
                if i >= n { endRecord(); break }
                if bytes[i] == comma { endField(); i += 1; if i >= n { endRecord() }; continue }
                _ = lineBreak()
                endRecord()
                recordLine = line
            }
        }
        return out
    }

}
