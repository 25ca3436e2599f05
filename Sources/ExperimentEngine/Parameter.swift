import Foundation

/// One value of a family parameter.
public enum ParameterValue: Hashable, Sendable, CustomStringConvertible {
    case integer(Int)
    case real(Double)
    case text(String)

    public var description: String {
        switch self {
        case let .integer(i): return String(i)
        case let .real(x): return x.description
        case let .text(s): return s
        }
    }

    public var intValue: Int? { if case let .integer(i) = self { return i } else { return nil } }
    public var doubleValue: Double? {
        switch self {
        case let .integer(i): return Double(i)
        case let .real(x): return x
        case .text: return nil
        }
    }
    public var textValue: String? { if case let .text(s) = self { return s } else { return nil } }
}

/// A parameter a family declares: its config key (the flag is the key with dashes), what values
/// it allows, its default, whether it takes a list, and its help text. One declaration serves
/// the command line, config files, validation messages, `experiment.toml` and the manifest.
public struct Parameter: Sendable {
    /// What values are allowed.
    public enum Kind: Sendable {
        /// An integer in the range.
        case integer(ClosedRange<Int>)
        /// A finite number in `lower...upper`, the lower end excluded when `lowerOpen`, the upper
        /// when `upperOpen`.
        case real(lower: Double, upper: Double, lowerOpen: Bool, upperOpen: Bool = false)
        /// One of the names.
        case choice([String])
        /// Free text (a file path, a bandwidth rule or number, …); the family checks it.
        case text
    }

    /// How the parameter enters the grid.
    public enum Role: Sendable {
        /// One value per run.
        case single
        /// A list whose values are grid axes: each value is its own cell (e.g. `samples`).
        case axis
        /// A list taken whole by every cell (e.g. `regimes`).
        case list
    }

    public var key: String
    public var kind: Kind
    public var role: Role
    /// nil: no default (the family derives one, or the parameter is optional).
    public var defaultValue: [ParameterValue]?
    public var help: String
    /// Whether the value is a file path: shell completion offers files and `--help` shows `<file>`.
    public var isFile = false

    public init(_ key: String, _ kind: Kind, role: Role = .single, default defaultValue: [ParameterValue]? = nil, help: String) {
        self.key = key
        self.kind = kind
        self.role = role
        self.defaultValue = defaultValue
        self.help = help
    }

    /// This parameter with a file path for its value (`isFile`).
    public func file() -> Parameter {
        var p = self
        p.isFile = true
        return p
    }

    /// The command-line flag: `--` and the key with `_` replaced by `-`.
    public var flag: String { "--" + key.replacingOccurrences(of: "_", with: "-") }

    public var takesList: Bool { role != .single }

    /// What is allowed, for messages and help.
    public var allowed: String {
        switch kind {
        case let .integer(r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case let .real(lo, hi, open, upperOpen):
            return "a finite number in \(open ? "(" : "[")\(Self.short(lo)), \(Self.short(hi))\(upperOpen ? ")" : "]")"
        case let .choice(names): return "one of " + names.joined(separator: ", ")
        case .text: return "text"
        }
    }

    /// Checks and converts one value given as text (a command-line item).
    public func value(parsing raw: String) -> Result<ParameterValue, ParameterError> {
        let s = raw.trimmingCharacters(in: .whitespaces)
        switch kind {
        case let .integer(r):
            guard let i = Int(s), r.contains(i) else { return .failure(.init(key: key, message: "'\(raw)' is not \(allowed)")) }
            return .success(.integer(i))
        case .real:
            guard let x = Double(s), case .success = check(.real(x)) else {
                return .failure(.init(key: key, message: "'\(raw)' is not \(allowed)"))
            }
            return .success(.real(x))
        case .choice, .text:
            return check(.text(s))
        }
    }

    /// Checks a value already typed (a config-file item).
    public func check(_ v: ParameterValue) -> Result<ParameterValue, ParameterError> {
        switch (kind, v) {
        case let (.integer(r), .integer(i)):
            return r.contains(i) ? .success(v) : .failure(.init(key: key, message: "\(i) is out of range; expected \(allowed)"))
        case let (.real(lo, hi, open, upperOpen), _):
            guard let x = v.doubleValue, x.isFinite, open ? x > lo : x >= lo, upperOpen ? x < hi : x <= hi else {
                return .failure(.init(key: key, message: "\(v) is out of range; expected \(allowed)"))
            }
            return .success(.real(x))
        case let (.choice(names), .text(s)):
            return names.contains(s)
                ? .success(v)
                : .failure(.init(key: key, message: "unknown value '\(s)'; allowed: \(names.joined(separator: ", "))"))
        case (.text, .text):
            return .success(v)
        default:
            return .failure(.init(key: key, message: "\(v) is not \(allowed)"))
        }
    }

    static func short(_ x: Double) -> String {
        var s = x.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}

/// A problem with one parameter's value, or with a combination (key nil). Front ends say where
/// the value came from: `--samples 2: message` (with `value`), `--bandwidth: message`, or
/// `file:line: key 'samples': message`.
public struct ParameterError: Error, Equatable, CustomStringConvertible {
    public var key: String?
    /// The offending value as the user wrote it, shown right after the flag.
    public var value: String?
    public var message: String
    public init(key: String?, value: String? = nil, message: String) {
        self.key = key
        self.value = value
        self.message = message
    }
    public var description: String {
        (key.map { "\($0)" + (value.map { " \($0)" } ?? "") + (message.isEmpty ? "" : ": ") } ?? "") + message
    }
}

extension Parameter {
    /// The regimes a family's cells run, one of `names` each, replace and accumulate by default
    /// (the linear, generative and external families; `names` is `Regime.names`).
    public static func regimes(_ names: [String]) -> Parameter {
        Parameter(
            "regimes", .choice(names), role: .list, default: [.text("replace"), .text("accumulate")],
            help: "Comma-separated regimes: \(names.joined(separator: ", ")).")
    }

    /// λ, the real-data fraction(s) of the mix and fresh-real regimes.
    public static let realFraction = Parameter(
        "real_fraction", .real(lower: 0, upper: 1, lowerOpen: false), role: .list,
        help: "Real-data fraction(s) λ for mix and fresh-real, comma-separated, in [0, 1] (default: 0.5).")
}
