/// A parser for the flat subset of TOML that sweep files use: `key = value` lines, `#`
/// comments, blank lines; values are basic strings, integers, floats, booleans and arrays of
/// those (arrays may span lines). Tables (`[section]`) are not part of sweep files and are
/// rejected. Every error names the file and line.
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

    /// One `key = value` assignment and the line it starts on (1-based).
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

    /// Parses `text`; `file` is used in error messages.
    public static func parse(_ text: String, file: String) throws -> [Entry] {
        var entries: [Entry] = []
        var seen: [String: Int] = [:]
        // Lines end in LF or CRLF. Split on the scalar: Swift's String treats "\r\n" as one
        // Character, so splitting Characters on "\n" would leave a CRLF file as one line (and
        // a first-line comment would then swallow the whole file).
        var text = Substring(text)
        if text.hasPrefix("\u{FEFF}") { text = text.dropFirst() }   // a UTF-8 byte-order mark
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var s = String(String.UnicodeScalarView(line))
            if s.unicodeScalars.last == "\r" { s.unicodeScalars.removeLast() }
            return s
        }
        var i = 0
        while i < lines.count {
            let lineNumber = i + 1
            let stripped = lines[i].trimmingWhitespace()
            i += 1
            if stripped.isEmpty || stripped.hasPrefix("#") { continue }
            func fail(_ message: String) -> ParseError { ParseError(file: file, line: lineNumber, message: message) }
            if stripped.hasPrefix("[") {
                throw fail("tables such as \(stripped) are not supported in sweep files; use top-level `key = value` lines")
            }
            guard let eq = stripped.firstIndex(of: "=") else {
                throw fail("expected `key = value`, found \(stripped.debugDescription)")
            }
            let key = stripped[..<eq].trimmingWhitespace()
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw fail("invalid key \(key.debugDescription): keys are bare words of letters, digits, '_' and '-'")
            }
            if let first = seen[key] {
                throw fail("key '\(key)' is defined twice (first on line \(first))")
            }
            // Gather the value text; an array may continue on later lines until brackets balance.
            // The bracket count is carried from line to line, so parsing stays linear in the
            // file's length however long the array.
            var valueText = String(stripped[stripped.index(after: eq)...])
            var brackets = BracketCount()
            brackets.feed(line: valueText)
            while brackets.depth > 0 && i < lines.count {
                valueText += "\n" + lines[i]
                brackets.feed(line: lines[i])
                i += 1
            }
            var s = Scanner(valueText)
            let value: Value
            do {
                value = try s.value()
                s.skipSpaceAndComment()
                guard s.atEnd else { throw Scanner.Failure("unexpected text after the value: \(s.rest.debugDescription)") }
            } catch let f as Scanner.Failure {
                throw ParseError(file: file, line: lineNumber, message: "key '\(key)': \(f.message)")
            }
            seen[key] = lineNumber
            entries.append(Entry(key: key, value: value, line: lineNumber))
        }
        return entries
    }

    /// `[` minus `]` outside strings and comments, fed one line at a time (a comment ends with
    /// its line; a string cannot span lines).
    struct BracketCount {
        var depth = 0

        mutating func feed(line: String) {
            var inString = false, escaped = false
            for c in line.unicodeScalars {
                if inString {
                    if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                    continue
                }
                switch c {
                case "\"": inString = true
                case "#": return
                case "[": depth += 1
                case "]": depth -= 1
                default: break
                }
            }
        }
    }

    /// Arrays nest at most this deep (a config needs one level; the bound keeps the recursive
    /// parser's stack small whatever the input).
    static let maximumNesting = 8

    /// A cursor over a value's text.
    struct Scanner {
        struct Failure: Error { var message: String; init(_ m: String) { message = m } }
        let chars: [Character]
        var pos = 0
        var nesting = 0
        init(_ text: String) { chars = Array(text) }

        var atEnd: Bool { pos >= chars.count }
        var rest: String { String(chars[min(pos, chars.count)...]) }

        mutating func skipSpaceAndComment(newlines: Bool = false) {
            while pos < chars.count {
                let c = chars[pos]
                if c == " " || c == "\t" || (newlines && (c == "\n" || c == "\r")) { pos += 1; continue }
                if c == "#" { while pos < chars.count && chars[pos] != "\n" { pos += 1 }; continue }
                break
            }
        }

        mutating func value() throws -> Value {
            skipSpaceAndComment()
            guard pos < chars.count else { throw Failure("missing value after '='") }
            let c = chars[pos]
            if c == "\"" { return .string(try string()) }
            if c == "[" { return try array() }
            if c == "'" { throw Failure("literal strings ('...') are not supported; use \"...\"") }
            var token = ""
            while pos < chars.count, !" \t\n\r,]#".contains(chars[pos]) { token.append(chars[pos]); pos += 1 }
            if token == "true" { return .boolean(true) }
            if token == "false" { return .boolean(false) }
            let digits = token.replacingUnderscores()
            if let i = Int(digits) { return .integer(i) }
            if digits.contains(where: { $0.isNumber }), let d = Double(digits) {
                guard d.isFinite else { throw Failure("\(token) overflows a double") }
                return .float(d)
            }
            if ["inf", "+inf", "-inf", "nan", "+nan", "-nan"].contains(token) { return .float(Double(token) ?? .nan) }
            throw Failure("\(token.debugDescription) is not a TOML value (string, number, boolean or array)")
        }

        mutating func string() throws -> String {
            pos += 1
            var out = ""
            while pos < chars.count {
                let c = chars[pos]
                pos += 1
                switch c {
                case "\"": return out
                case "\n": throw Failure("unterminated string")
                case "\\":
                    guard pos < chars.count else { throw Failure("unterminated string") }
                    let e = chars[pos]; pos += 1
                    switch e {
                    case "\"": out.append("\"")
                    case "\\": out.append("\\")
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    default: throw Failure("unsupported escape \\\(e) in string")
                    }
                default: out.append(c)
                }
            }
            throw Failure("unterminated string")
        }

        mutating func array() throws -> Value {
            pos += 1
            nesting += 1
            defer { nesting -= 1 }
            guard nesting <= FlatTOML.maximumNesting else {
                throw Failure("arrays nested deeper than \(FlatTOML.maximumNesting) levels are not supported")
            }
            var items: [Value] = []
            while true {
                skipSpaceAndComment(newlines: true)
                guard pos < chars.count else { throw Failure("unterminated array (missing ']')") }
                if chars[pos] == "]" { pos += 1; return .array(items) }
                items.append(try value())
                skipSpaceAndComment(newlines: true)
                guard pos < chars.count else { throw Failure("unterminated array (missing ']')") }
                if chars[pos] == "," { pos += 1; continue }
                if chars[pos] == "]" { pos += 1; return .array(items) }
                throw Failure("expected ',' or ']' in array, found \(String(chars[pos]).debugDescription)")
            }
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    func replacingUnderscores() -> String {
        String(filter { $0 != "_" })
    }
}
