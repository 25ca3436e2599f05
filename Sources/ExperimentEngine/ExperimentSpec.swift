import CollapseExport
import Foundation

/// Where a parameter's value came from, so a message can point at it.
public enum ValueOrigin: Equatable, Sendable {
    case defaultValue
    case flag
    case config(file: String, line: Int)
}

/// A problem in the values of a run, located at its flag or config line.
public struct SpecError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A fully resolved run of one family: every declared parameter's values (defaults filled in),
/// where each came from, and the seed. Its cells are the Cartesian product of the `axis`
/// parameters, in declaration order (the first declared is outermost).
public struct ExperimentSpec: Equatable, Sendable {
    public var family: String
    public private(set) var values: [String: [ParameterValue]]
    public private(set) var origins: [String: ValueOrigin]
    /// Declaration order of the keys (for rendering and for the grid).
    public let keys: [String]
    let roles: [String: Parameter.Role]
    let flags: [String: String]
    public var seed: UInt64?
    /// A short name for the run (named experiments and configs carry one; the default output
    /// directory is `results/NAME`). Recorded, and compared on resume and merge.
    public var name: String?
    /// What the run is for, in one line (recorded, not compared).
    public var description: String?

    public static func == (a: ExperimentSpec, b: ExperimentSpec) -> Bool {
        a.family == b.family && a.values == b.values && a.seed == b.seed && a.name == b.name
    }

    /// The family's defaults.
    public init(family: any ExperimentFamily) {
        self.family = family.name
        keys = family.parameters.map(\.key)
        roles = Dictionary(uniqueKeysWithValues: family.parameters.map { ($0.key, $0.role) })
        flags = Dictionary(uniqueKeysWithValues: family.parameters.map { ($0.key, $0.flag) })
        values = [:]
        origins = [:]
        for p in family.parameters {
            if let d = p.defaultValue { values[p.key] = d; origins[p.key] = .defaultValue }
        }
    }

    /// How `key` enters the grid.
    public func role(of key: String) -> Parameter.Role? { roles[key] }

    /// The values of `key` (empty when unset).
    public subscript(key: String) -> [ParameterValue] { values[key] ?? [] }

    /// The single value of `key`, if set.
    public func one(_ key: String) -> ParameterValue? { values[key]?.first }

    /// Whether `key` was given (flag or config) rather than defaulted or unset.
    public func isGiven(_ key: String) -> Bool {
        switch origins[key] {
        case .flag?, .config?: return true
        default: return false
        }
    }

    /// `--flag` or `file:line: key 'k'`, for messages about `key`.
    public func location(of key: String) -> String {
        switch origins[key] {
        case let .config(file, line)?: return "\(file):\(line): key '\(key)'"
        default: return flags[key] ?? key
        }
    }

    /// A `SpecError` for `error`, located where its key's value came from.
    public func located(_ error: ParameterError) -> SpecError {
        guard let key = error.key else { return SpecError(error.message) }
        let value = error.value.map { " \($0)" } ?? ""
        return SpecError("\(location(of: key))\(value)" + (error.message.isEmpty ? "" : ": \(error.message)"))
    }

    public mutating func set(_ key: String, _ v: [ParameterValue], origin: ValueOrigin) {
        values[key] = v
        origins[key] = origin
    }

    /// Keys every config may hold besides the family's parameters.
    public static let metadataKeys = ["family", "name", "description", "seed"]

    // MARK: - Reading

    /// Applies `text` (a flat TOML config naming `family = "…"`) on top of the defaults.
    public mutating func apply(config text: String, file: String, family: any ExperimentFamily) throws {
        let entries: [FlatTOML.Entry]
        do { entries = try FlatTOML.parse(text, file: file) } catch let e as FlatTOML.ParseError {
            throw SpecError(e.description)
        }
        let byKey = Dictionary(uniqueKeysWithValues: family.parameters.map { ($0.key, $0) })
        for entry in entries {
            func fail(_ message: String) -> SpecError { SpecError("\(file):\(entry.line): key '\(entry.key)': \(message)") }
            switch entry.key {
            case "family":
                guard case let .string(s) = entry.value, s == family.name else {
                    throw fail("this file is for family \(entry.value), not \"\(family.name)\"")
                }
                continue
            case "seed":
                switch entry.value {
                case let .integer(i) where i >= 0: seed = UInt64(i)
                case let .string(s) where UInt64(s) != nil: seed = UInt64(s)
                default: throw fail("expected an integer in 0...18446744073709551615 (quote seeds above 2⁶³ − 1), got \(entry.value)")
                }
                continue
            case "name":
                guard case let .string(s) = entry.value, !s.isEmpty, !s.contains("/") else {
                    throw fail("expected a non-empty string without '/', got \(entry.value)")
                }
                name = s
                continue
            case "description":
                guard case let .string(s) = entry.value else { throw fail("expected a string, got \(entry.value)") }
                description = s
                continue
            default: break
            }
            guard let p = byKey[entry.key] else {
                let all = Self.metadataKeys + family.parameters.map(\.key)
                let hint = Self.closest(entry.key, in: all).map { " (did you mean '\($0)'?)" } ?? ""
                throw fail("unknown key\(hint); allowed keys: \(all.joined(separator: ", "))")
            }
            var items: [FlatTOML.Value]
            if case let .array(a) = entry.value {
                guard p.takesList else { throw fail("takes one value, got an array") }
                guard !a.isEmpty else { throw fail("empty array; give at least one value") }
                items = a
            } else {
                items = [entry.value]
            }
            var out: [ParameterValue] = []
            for item in items {
                let typed: ParameterValue
                switch item {
                case let .integer(i): typed = .integer(i)
                case let .float(x): typed = .real(x)
                case let .string(s): typed = .text(s)
                default: throw fail("expected \(p.allowed), got \(item)")
                }
                switch p.check(typed) {
                case let .success(v): out.append(v)
                case let .failure(e): throw fail(e.message)
                }
            }
            if let dup = Self.firstDuplicate(out) { throw fail("the value \(dup) is listed twice") }
            set(p.key, out, origin: .config(file: file, line: entry.line))
        }
    }

    /// Applies command-line values (`key → raw text`; lists comma-separated).
    public mutating func apply(flags raw: [String: String], family: any ExperimentFamily) throws {
        for p in family.parameters {
            guard let text = raw[p.key] else { continue }
            let items = p.takesList ? text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) : [text]
            let expected = (p.takesList ? "comma-separated values, each " : "") + p.allowed
            if text.trimmingCharacters(in: .whitespaces).isEmpty {
                throw SpecError("\(p.flag): empty \(p.takesList ? "list" : "value") '\(text)'; expected \(expected)")
            }
            var out: [ParameterValue] = []
            for (k, item) in items.enumerated() {
                guard !item.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw SpecError("\(p.flag): '\(text)': item \(k + 1) is empty; expected \(expected)")
                }
                switch p.value(parsing: item) {
                case let .success(v): out.append(v)
                case let .failure(e): throw SpecError("\(p.flag): \(e.message)")
                }
            }
            if let dup = Self.firstDuplicate(out) { throw SpecError("\(p.flag): '\(text)': the value \(dup) is listed twice") }
            set(p.key, out, origin: .flag)
        }
    }

    static func firstDuplicate(_ xs: [ParameterValue]) -> ParameterValue? {
        var seen = Set<ParameterValue>()
        for x in xs where !seen.insert(x).inserted { return x }
        return nil
    }

    /// The key at edit distance ≤ 2 from `key`, if any.
    public static func closest(_ key: String, in keys: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            if a.isEmpty { return b.count }
            if b.isEmpty { return a.count }
            var prev = Array(0...b.count)
            for i in 1...a.count {
                var cur = [i] + Array(repeating: 0, count: b.count)
                for j in 1...b.count {
                    cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                prev = cur
            }
            return prev[b.count]
        }
        let best = keys.map { ($0, distance(Array(key), Array($0))) }.min { $0.1 < $1.1 }
        return best.flatMap { $0.1 <= 2 ? $0.0 : nil }
    }

    // MARK: - Grid

    /// One grid cell: the value of every axis parameter.
    public struct Cell: Hashable, Sendable, CustomStringConvertible {
        public var values: [String: ParameterValue]
        /// The axis keys in declaration order.
        public var keys: [String]
        public subscript(key: String) -> ParameterValue? { values[key] }
        public var description: String { keys.map { "\($0) = \(values[$0]!)" }.joined(separator: ", ") }

        /// The CSV fields of `keys` (reals as `CSVField` writes them; empty where the cell has none).
        public func csvFields(_ keys: [String]) -> [String] {
            keys.map { k in
                guard let v = values[k] else { return "" }
                if case let .real(x) = v { return CSVField.number(x) }
                return v.description
            }
        }
    }

    /// The axes swept over more than one value, but `except` (a family's columns already): a
    /// results file gives each its own column, so rows of different cells stay apart.
    public func sweptAxes(except: Set<String>) -> [String] { axisKeys.filter { !except.contains($0) && self[$0].count > 1 } }

    /// The axis parameters that are set, in declaration order.
    public var axisKeys: [String] { keys.filter { roles[$0] == .axis && values[$0] != nil } }

    /// The grid in output order: the first declared axis outermost.
    public var cells: [Cell] {
        var out: [[String: ParameterValue]] = [[:]]
        for key in axisKeys {
            out = out.flatMap { partial in values[key]!.map { v in partial.merging([key: v]) { $1 } } }
        }
        let axes = axisKeys
        return out.map { Cell(values: $0, keys: axes) }
    }

    /// The spec with `cell`'s axis values as single values (what one cell runs).
    public func restricted(to cell: Cell) -> ExperimentSpec {
        var s = self
        for (k, v) in cell.values { s.values[k] = [v] }
        return s
    }

    // MARK: - Writing

    /// The spec as a config file that reads back to an equal spec (seed included when set).
    public func tomlText() -> String {
        // A TOML basic string: escape '"', '\\' and every control character but tab (TOML
        // refuses them raw; a config can now give any of them through an escape).
        func quoted(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out.unicodeScalars.append(u)
                case _ where u.value < 0x20 || u.value == 0x7F:
                    let hex = String(u.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(u)
                }
            }
            return out + "\""
        }
        func render(_ v: ParameterValue) -> String {
            switch v {
            case let .integer(i): return String(i)
            case let .real(x): return x.description
            case let .text(s): return quoted(s)
            }
        }
        var lines = ["family = \(quoted(family))"]
        if let name { lines.append("name = \(quoted(name))") }
        if let description { lines.append("description = \(quoted(description))") }
        for key in keys {
            guard let vs = values[key] else { continue }
            lines.append("\(key) = " + (roles[key] == .single ? render(vs[0]) : "[" + vs.map(render).joined(separator: ", ") + "]"))
        }
        if let seed { lines.append("seed = \"\(seed)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Human-readable differences between two specs (empty when equal).
    public static func differences(_ a: ExperimentSpec, _ b: ExperimentSpec) -> [String] {
        var out: [String] = []
        if a.family != b.family { out.append("family: \(a.family) vs \(b.family)") }
        if a.name != b.name { out.append("name: \(a.name ?? "none") vs \(b.name ?? "none")") }
        for key in Array(Set(a.values.keys).union(b.values.keys)).sorted() where a.values[key] != b.values[key] {
            func show(_ v: [ParameterValue]?) -> String { v.map { $0.map(\.description).joined(separator: ", ") } ?? "unset" }
            out.append("\(key): \(show(a.values[key])) vs \(show(b.values[key]))")
        }
        if a.seed != b.seed { out.append("seed: \(a.seed.map(String.init) ?? "none") vs \(b.seed.map(String.init) ?? "none")") }
        return out
    }
}
