import TOMLKit

/// Sweep and experiment files: TOML 1.0 documents (parsed by TOMLKit) whose top level holds only
/// `key = value` pairs with strings, integers, floats, booleans and arrays of those (arrays may
/// span lines, nest up to 8 deep, and mix types). Everything else TOML allows — tables
/// (`[section]`, `[[array]]`, `{ … }`, dotted keys), dates and times — is refused naming the
/// key. Every error names the file and line: syntax errors at TOMLKit's line (and column),
/// everything else at the line of the top-level key.
public enum FlatTOML {
    public enum Value: Equatable, Sendable, CustomStringConvertible {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case array([Value])

        public var description: String {
            switch self {
            case let .string(s): return "\"\(s)\""
            case let .integer(i): return String(i)
            case let .float(d): return String(d)
            case let .boolean(b): return String(b)
            case let .array(a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
            }
        }

        /// The TOML type name, for messages.
        public var typeName: String {
            switch self {
            case .string: return "a string"
            case .integer: return "an integer"
            case .float: return "a float"
            case .boolean: return "a boolean"
            case .array: return "an array"
            }
        }
    }

    /// One top-level `key = value` assignment and the line its key is on (1-based).
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: Value
        public var line: Int
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// Arrays nest at most this deep (a config needs one level).
    static let maximumNesting = 8

    /// Parses `text`; `file` is used in error messages. Entries come in file order.
    public static func parse(_ text: String, file: String) throws -> [Entry] {
        var text = Substring(text)
        if text.hasPrefix("\u{FEFF}") { text = text.dropFirst() }  // a UTF-8 byte-order mark
        let bytes = Array(text.utf8)
        // TOMLKit hands the document to toml++ as a C string: a NUL would silently end it there.
        // TOML allows no raw control character but tab anyway.
        if let nul = bytes.firstIndex(of: 0) {
            let line = 1 + bytes[..<nul].lazy.filter { $0 == UInt8(ascii: "\n") }.count
            throw ParseError(file: file, line: line, message: "a NUL character (U+0000) is not allowed in a TOML file")
        }
        var locator = KeyLocator(bytes)
        locator.scan()
        func fail(_ line: Int, _ message: String) -> ParseError { ParseError(file: file, line: line, message: message) }
        if let u = locator.unsafe {
            let key = locator.definition(spanning: u.line).map { "key '\($0.displayKey)': " } ?? ""
            throw fail(u.line, key + "unexpected \(u.what) (column \(u.column))")
        }
        // A table header, or a line that is not `key = value`, is refused here: the first is not
        // supported and the second is never valid TOML, and toml++ aborts on some of either.
        if let e = locator.early { throw fail(e.line, e.message) }

        let table: TOMLTable
        do {
            table = try TOMLTable(string: String(text))
        } catch let e as TOMLParseError {
            throw syntaxError(e, locator: locator, file: file)
        }
        // TOMLKit never frees a parsed document; clearing it frees every value (the empty
        // table itself, a few dozen bytes, is all that is left).
        defer { table.clear() }

        // toml++ keeps "\u0000" in a string, but TOMLKit reads strings and keys as C strings and
        // would cut them there.
        if let line = locator.nulEscapeLines.first {
            let key = locator.definition(spanning: line).map { "key '\($0.displayKey)': " } ?? ""
            throw fail(line, key + "the escape for U+0000 (NUL) is not supported")
        }

        var entries: [Entry] = []
        // keys and values come in the same (sorted) order; look nothing up by name, since
        // TOMLKit's lookup goes through a C string.
        for (key, value) in zip(table.keys, table.values) {
            let definition = locator.first[key]
            let line = definition?.line ?? 1
            func refuse(_ message: String) -> ParseError { fail(line, "key '\(key)': \(message)") }
            let flat = "sweep files are flat: use top-level `key = value` lines"
            switch value.type {
            case .table:
                switch definition?.kind {
                case .table?: throw refuse("tables such as [\(definition!.displayKey)] are not supported; \(flat)")
                case .value? where definition!.path.count > 1:
                    throw refuse("dotted keys such as \(definition!.displayKey) make a table; \(flat)")
                default: throw refuse("inline tables ({ … }) are not supported; \(flat)")
                }
            case .array where definition?.kind == .arrayOfTables:
                throw refuse("arrays of tables such as [[\(definition!.displayKey)]] are not supported; \(flat)")
            default: break
            }
            do {
                entries.append(Entry(key: key, value: try convert(value, depth: 0), line: line))
            } catch let r as Refusal {
                throw refuse(r.message)
            }
        }
        return entries.sorted { ($0.line, $0.key) < ($1.line, $1.key) }
    }

    struct Refusal: Error { var message: String }

    /// A TOMLKit value as a `Value`, or the reason it is outside what config files hold.
    static func convert(_ v: TOMLValueConvertible, depth: Int) throws -> Value {
        switch v.type {
        case .string: return .string(v.string ?? "")
        case .int: return .integer(v.int ?? 0)
        case .double: return .float(v.double ?? .nan)
        case .bool: return .boolean(v.bool ?? false)
        case .array:
            guard depth < maximumNesting else {
                throw Refusal(message: "arrays nested deeper than \(maximumNesting) levels are not supported")
            }
            guard let array = v.array else { return .array([]) }
            var items: [Value] = []
            items.reserveCapacity(array.count)
            for i in array.indices { items.append(try convert(array[i], depth: depth + 1)) }
            return .array(items)
        case .table:
            throw Refusal(
                message: (depth == 0 ? "inline tables" : "arrays of inline tables")
                    + " ({ … }) are not supported; expected a string, number, boolean or array of those")
        case .date, .time, .dateTime:
            throw Refusal(
                message: "dates and times are not supported; expected a string, number, boolean or array of those" + " (quote it to make it a string)")
        }
    }

    /// `FILE:LINE: [key 'k': ]message (column C)` for a TOMLKit syntax error; a redefined
    /// top-level key and over-deep nesting get this parser's own messages.
    static func syntaxError(_ e: TOMLParseError, locator: KeyLocator, file: String) -> ParseError {
        let line = max(1, e.source.begin.line)
        var message = e.description
        var scope = ""
        let prefix = "Error while parsing "
        if message.hasPrefix(prefix), let colon = message.range(of: ": ") {
            scope = String(message[message.index(message.startIndex, offsetBy: prefix.count)..<colon.lowerBound])
            message = String(message[colon.upperBound...])
        }
        let spanning = locator.definition(spanning: line)
        if message.contains("redefine"), let redefined = locator.redefinition(at: line) {
            return ParseError(
                file: file, line: line,
                message: "key '\(redefined.key)' is defined twice (first on line \(redefined.first))")
        }
        if message.contains("maximum nested value depth"), let d = spanning {
            return ParseError(
                file: file, line: d.line, message: "key '\(d.displayKey)': arrays nested deeper than " + "\(maximumNesting) levels are not supported")
        }
        // In a value over several lines, also say where it starts (an unclosed '[' shows up lines later).
        let key = spanning.map { "key '\($0.displayKey)'" + ($0.line == line ? "" : " (from line \($0.line))") + ": " } ?? ""
        if message == "encountered end-of-file" {
            // The file ends inside something: name what is left open.
            switch scope {
            case "key-value pair", "value": message = "missing value after '=' (the file ends first)"
            case "": message = "unexpected end of file"
            default: message = "unterminated \(scope) (the file ends first)"
            }
        }
        let context = [scope.isEmpty ? nil : "in \(scope)", e.source.begin.column > 0 ? "column \(e.source.begin.column)" : nil]
            .compactMap { $0 }.joined(separator: ", ")
        return ParseError(file: file, line: line, message: key + message + (context.isEmpty ? "" : " (\(context))"))
    }

    /// Where each top-level key of a TOML document is written. TOMLKit gives no positions of
    /// values, so one linear pass over the bytes finds the key of every top-level `key = value`
    /// pair and every table header, and the lines each value spans. It tracks strings (basic,
    /// literal, multi-line), comments and bracket depth, so a `#`, `[` or `=` inside a string or
    /// comment, or a value over many lines, does not move it; CR before LF is whitespace.
    /// On a malformed document it still ends (every step moves forward) but may guess wrong:
    /// it only places messages, TOMLKit decides what is valid.
    struct KeyLocator {
        enum Kind { case value, table, arrayOfTables }

        struct Definition {
            var path: [String]
            var kind: Kind
            var line: Int
            var endLine: Int
            var displayKey: String { path.joined(separator: ".") }
        }

        let b: [UInt8]
        var i = 0
        var line = 1
        /// Top-level definitions in file order: pairs before the first header, and headers.
        var definitions: [Definition] = []
        /// The first definition of each top-level key (a path's first segment).
        var first: [String: Definition] = [:]
        /// Lines with a `\u0000` or `\U00000000` escape in a string or key.
        var nulEscapeLines: [Int] = []
        /// The first character that must not reach TOMLKit (see `noteUnsafe`).
        var unsafe: (line: Int, column: Int, what: String)?
        /// The first table header or non-`key = value` statement (refused before TOMLKit).
        var early: (line: Int, message: String)?

        init(_ bytes: [UInt8]) { b = bytes }

        /// The top-level `key = value` pair whose value spans `line`.
        func definition(spanning line: Int) -> Definition? {
            definitions.last { $0.kind == .value && $0.line <= line && line <= $0.endLine }
        }

        /// The key defined on `line` that an earlier line already defined, and that line.
        func redefinition(at line: Int) -> (key: String, first: Int)? {
            guard let d = definitions.first(where: { $0.line == line }) else { return nil }
            if let same = definitions.first(where: { $0.path == d.path && $0.line < line }) {
                return (d.displayKey, same.line)
            }
            if let f = first[d.path[0]], f.line < line { return (d.displayKey, f.line) }
            return nil
        }

        private static let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'"), newline = UInt8(ascii: "\n"),
            backslash = UInt8(ascii: "\\")

        private func at(_ k: Int) -> UInt8? { k < b.count ? b[k] : nil }

        private static func isBareKeyByte(_ c: UInt8) -> Bool {
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }

        private mutating func record(_ d: Definition) {
            guard !d.path.isEmpty else { return }
            definitions.append(d)
            if first[d.path[0]] == nil { first[d.path[0]] = d }
        }

        mutating func scan() {
            var inSection = false
            while true {
                skipBlankLinesAndComments()
                guard i < b.count else { return }
                let startLine = line
                if b[i] == UInt8(ascii: "[") {
                    i += 1
                    let arrayOfTables = at(i) == UInt8(ascii: "[")
                    if arrayOfTables { i += 1 }
                    // toml++ skips spaces and tabs (not CR) here, then asserts (aborts) when the
                    // header's key starts with anything but a key character.
                    while let c = at(i), c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { i += 1 }
                    if let c = at(i), c != UInt8(ascii: "]"), c != Self.quote, c != Self.apostrophe, !Self.isBareKeyByte(c) {
                        noteUnsafe("'\(Unicode.Scalar(c).escaped(asASCII: true))' where a table header's key should start")
                    }
                    let path = key()
                    record(Definition(path: path, kind: arrayOfTables ? .arrayOfTables : .table, line: startLine, endLine: startLine))
                    if early == nil {
                        let flat = "sweep files are flat: use top-level `key = value` lines"
                        let name = path.joined(separator: ".")
                        early = (
                            startLine,
                            arrayOfTables
                                ? "key '\(name)': arrays of tables such as [[\(name)]] are not supported; \(flat)"
                                : "key '\(name)': tables such as [\(name)] are not supported; \(flat)"
                        )
                    }
                    inSection = true
                    skipToEndOfLine()
                    continue
                }
                let path = key()
                skipSpaces()
                guard at(i) == UInt8(ascii: "=") else {
                    if early == nil {
                        var start = i
                        while start > 0 && b[start - 1] != Self.newline { start -= 1 }
                        let column = 1 + b[start..<i].lazy.filter { $0 & 0xC0 != 0x80 }.count
                        early = (
                            line,
                            (path.isEmpty ? "" : "key '\(path.joined(separator: "."))': ")
                                + "expected '=' (column \(column)); a sweep file holds `key = value` lines and comments"
                        )
                    }
                    skipToEndOfLine()
                    continue
                }
                i += 1
                value()
                if !inSection { record(Definition(path: path, kind: .value, line: startLine, endLine: line)) }
            }
        }

        private mutating func skipSpaces() {
            while let c = at(i), c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") { i += 1 }
        }

        private mutating func skipToEndOfLine() {
            while let c = at(i), c != Self.newline { i += 1 }
        }

        private mutating func skipBlankLinesAndComments() {
            while let c = at(i) {
                switch c {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): i += 1
                case Self.newline: i += 1; line += 1
                case UInt8(ascii: "#"): skipToEndOfLine()
                default: return
                }
            }
        }

        /// A dotted key's segments (bare, "basic" with escapes decoded, or 'literal').
        private mutating func key() -> [String] {
            var path: [String] = []
            while true {
                skipSpaces()
                guard let c = at(i) else { return path }
                if c == Self.quote {
                    path.append(quotedKey(escapes: true))
                } else if c == Self.apostrophe {
                    path.append(quotedKey(escapes: false))
                } else {
                    let start = i
                    while let c = at(i), Self.isBareKeyByte(c) { i += 1 }
                    guard i > start else { return path }
                    path.append(String(decoding: b[start..<i], as: UTF8.self))
                }
                skipSpaces()
                guard at(i) == UInt8(ascii: ".") else { return path }
                i += 1
            }
        }

        /// A one-line quoted key, decoded; ends at its closing quote or the end of the line.
        private mutating func quotedKey(escapes: Bool) -> String {
            let close = b[i]
            i += 1
            var out: [UInt8] = []
            while let c = at(i), c != Self.newline {
                i += 1
                if c == close { break }
                guard escapes, c == Self.backslash, let e = at(i), e != Self.newline else { out.append(c); continue }
                i += 1
                switch e {
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = e == UInt8(ascii: "u") ? 4 : 8
                    guard i + count <= b.count, let v = UInt32(String(decoding: b[i..<(i + count)], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(v)
                    else { out.append(e); continue }
                    if v == 0 { nulEscapeLines.append(line) }
                    i += count
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(e)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Skips a value: to the end of its line once brackets balance, outside strings.
        private mutating func value() {
            var open: [UInt8] = []
            while let c = at(i) {
                switch c {
                case Self.newline:
                    if open.isEmpty { return }
                    i += 1; line += 1
                case UInt8(ascii: "#"): skipToEndOfLine()
                case Self.quote, Self.apostrophe:
                    if at(i + 1) == c && at(i + 2) == c { multiLineString() } else { oneLineString() }
                case UInt8(ascii: "["), UInt8(ascii: "{"): open.append(c); i += 1
                case UInt8(ascii: "]"): _ = open.popLast(); i += 1
                case UInt8(ascii: "}"):
                    if open.last == UInt8(ascii: "[") { noteUnsafe("'}' inside an array (no inline table is open)") }
                    _ = open.popLast(); i += 1
                case 0xC2 where at(i + 1) == 0x85: noteUnsafe("U+0085 (next line) outside a string"); i += 2
                case 0xE2 where at(i + 1) == 0x80 && (at(i + 2) == 0xA8 || at(i + 2) == 0xA9):
                    noteUnsafe("U+2028/U+2029 (line or paragraph separator) outside a string"); i += 3
                default: i += 1
                }
            }
        }

        /// Notes the first character at `i` that TOMLKit 0.6.0's toml++ (3.4) must not see: where
        /// an array expects a value, a '}' or a non-ASCII line break, and where a table header's
        /// key should start, anything but a key character, trip an assertion in its parser (an
        /// abort, not an error). None is valid TOML there, so it is refused first.
        private mutating func noteUnsafe(_ what: String) {
            guard unsafe == nil else { return }
            var start = i
            while start > 0 && b[start - 1] != Self.newline { start -= 1 }
            let column = 1 + b[start..<i].lazy.filter { $0 & 0xC0 != 0x80 }.count
            unsafe = (line, column, what)
        }

        /// Notes a `\u0000` or `\U00000000` escape at `i` (just past the backslash).
        private mutating func noteNulEscape() {
            let count = at(i) == UInt8(ascii: "u") ? 4 : at(i) == UInt8(ascii: "U") ? 8 : 0
            guard count > 0, i + count < b.count, b[(i + 1)...(i + count)].allSatisfy({ $0 == UInt8(ascii: "0") }) else { return }
            nulEscapeLines.append(line)
        }

        private mutating func oneLineString() {
            let close = b[i]
            i += 1
            while let c = at(i), c != Self.newline {
                i += 1
                if c == close { return }
                if close == Self.quote && c == Self.backslash, let e = at(i), e != Self.newline {
                    noteNulEscape()
                    i += 1
                }
            }
        }

        private mutating func multiLineString() {
            let close = b[i]
            i += 3
            while let c = at(i) {
                if c == close {
                    var run = 0
                    while at(i + run) == close { run += 1 }
                    i += run >= 3 ? min(run, 5) : run
                    if run >= 3 { return }
                    continue
                }
                i += 1
                if c == Self.newline { line += 1 }
                if close == Self.quote && c == Self.backslash, let e = at(i) {
                    noteNulEscape()
                    if e == Self.newline { line += 1 }
                    i += 1
                }
            }
        }
    }
}
