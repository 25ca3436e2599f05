import ExperimentEngine
import Foundation
import CollapseCore
import LinearCollapse

/// A sweep: a grid of linear-chain cells, the regimes run in each, and the Monte Carlo
/// settings. Read from a flat TOML file (`collapse sweep --config`), a named experiment, or
/// both with command-line overrides.
///
/// Config keys (all optional; defaults in `SweepSpec.defaults`):
/// `name`, `description` (strings); `dimension`, `samples` (integer or array of integers);
/// `noise_variance` (number or array); `generations`, `repeats` (integers); `regimes` (array
/// of `replace`, `accumulate`, `accumulate-subsample`, `mix`); `real_fraction` (number or array,
/// for mix); `seed` (integer ≥ 0, or a decimal string for seeds above 2⁶³); `engine`
/// (`"literal"` or `"sufficient"`).
public struct SweepSpec: Equatable, Sendable {
    public var name: String
    public var description: String
    public var dimensions: [Int]
    public var samples: [Int]
    public var noiseVariances: [Double]
    public var generations: Int
    public var regimeNames: [String]
    public var realFractions: [Double]
    public var repeats: Int
    /// nil: the caller draws one (and records it).
    public var seed: UInt64?
    /// The simulator (`literal` or `sufficient`).
    public var engine: Engine = .literal
    /// `fixed` or `fresh` design.
    public var design: DesignMode = .fixed

    public static let defaults = SweepSpec(
        name: "sweep", description: "", dimensions: [10], samples: [100], noiseVariances: [1],
        generations: 10, regimeNames: ["replace", "accumulate"], realFractions: [0.5], repeats: 1000, seed: nil)

    public init(name: String, description: String, dimensions: [Int], samples: [Int], noiseVariances: [Double],
                generations: Int, regimeNames: [String], realFractions: [Double], repeats: Int, seed: UInt64?) {
        self.name = name
        self.description = description
        self.dimensions = dimensions
        self.samples = samples
        self.noiseVariances = noiseVariances
        self.generations = generations
        self.regimeNames = regimeNames
        self.realFractions = realFractions
        self.repeats = repeats
        self.seed = seed
    }

    /// Allowed ranges, shared by config files and command-line flags.
    public enum Limits {
        public static let dimension = 1...100_000
        public static let samples = 1...100_000_000
        public static let maximumNoiseVariance = 1e12
        public static let generations = 1...100_000
        public static let repeats = 2...100_000_000
    }

    public static let keys = ["name", "description", "dimension", "samples", "noise_variance", "generations",
                              "regimes", "real_fraction", "repeats", "seed", "engine", "design"]

    /// Whether a regime takes the `real_fraction` list (`mix`, `fresh-real`).
    public var usesRealFraction: Bool { regimeNames.contains("mix") || regimeNames.contains("fresh-real") }

    /// The regimes, with `mix` and `fresh-real` expanded into one regime per real fraction at its position.
    public var regimes: [Regime] {
        regimeNames.flatMap { name -> [Regime] in
            switch name {
            case "mix", "fresh-real": return realFractions.map { Regime.named(name, realFraction: $0)! }
            default: return [Regime.named(name, realFraction: 0)!]
            }
        }
    }

    /// The grid cells in output order: dimension outermost, noise variance innermost.
    public var cells: [LinearCell] {
        dimensions.flatMap { d in
            samples.flatMap { t in noiseVariances.map { LinearCell(dimension: d, samples: t, noiseVariance: $0) } }
        }
    }

    // MARK: - Reading config files

    /// A config-file problem, with file, line and key.
    public struct ConfigError: Error, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var key: String?
        public var message: String
        public var description: String {
            "\(file):\(line): " + (key.map { "key '\($0)': " } ?? "") + message
        }
    }

    /// Parses `text` (TOML) on top of `base`; `file` names it in errors.
    public static func parse(_ text: String, file: String, base: SweepSpec = .defaults) throws -> SweepSpec {
        let entries: [FlatTOML.Entry]
        do { entries = try FlatTOML.parse(text, file: file) } catch let e as FlatTOML.ParseError {
            throw ConfigError(file: e.file, line: e.line, key: nil, message: e.message)
        }
        var spec = base
        for entry in entries {
            func fail(_ message: String) -> ConfigError {
                ConfigError(file: file, line: entry.line, key: entry.key, message: message)
            }
            let v = entry.value
            switch entry.key {
            case "family":
                // Sweep files are the linear family's configs; other families run on the engine.
                guard case .string("linear") = v else { throw fail("expected \"linear\" here, got \(v)") }
            case "name":
                guard case let .string(s) = v, !s.isEmpty else { throw fail("expected a non-empty string, got \(v)") }
                spec.name = s
            case "description":
                guard case let .string(s) = v else { throw fail("expected a string, got \(v)") }
                spec.description = s
            case "dimension":
                spec.dimensions = try integerList(v, range: Limits.dimension, fail)
            case "samples":
                spec.samples = try integerList(v, range: Limits.samples, fail)
            case "noise_variance":
                spec.noiseVariances = try noiseList(v, fail)
            case "generations":
                spec.generations = try integer(v, range: Limits.generations, fail)
            case "repeats":
                spec.repeats = try integer(v, range: Limits.repeats, fail)
            case "regimes":
                spec.regimeNames = try regimeList(v, fail)
            case "real_fraction":
                spec.realFractions = try fractionList(v, fail)
            case "design":
                guard case let .string(name) = v, let d = DesignMode(rawValue: name) else {
                    throw fail("expected \"fixed\" or \"fresh\", got \(v)")
                }
                spec.design = d
            case "engine":
                guard case let .string(name) = v, let e = Engine(rawValue: name) else {
                    throw fail("expected \(Engine.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")), got \(v)")
                }
                spec.engine = e
            case "seed":
                switch v {
                case let .integer(i) where i >= 0: spec.seed = UInt64(i)
                case let .string(s) where UInt64(s) != nil: spec.seed = UInt64(s)
                default: throw fail("expected an integer in 0...18446744073709551615 (quote seeds above 2⁶³ − 1: seed = \"18446744073709551615\"), got \(v)")
                }
            default:
                let hint = closestKey(entry.key).map { " (did you mean '\($0)'?)" } ?? ""
                throw fail("unknown key\(hint); allowed keys: \(keys.joined(separator: ", "))")
            }
        }
        return spec
    }

    private static func integer(_ v: FlatTOML.Value, range: ClosedRange<Int>, _ fail: (String) -> ConfigError) throws -> Int {
        guard case let .integer(i) = v, range.contains(i) else {
            throw fail("expected an integer in \(range.lowerBound)...\(range.upperBound), got \(v)")
        }
        return i
    }

    private static func items(_ v: FlatTOML.Value, _ fail: (String) -> ConfigError) throws -> [FlatTOML.Value] {
        if case let .array(a) = v {
            guard !a.isEmpty else { throw fail("empty array; give at least one value") }
            return a
        }
        return [v]
    }

    private static func unique<T: Hashable>(_ values: [T], _ fail: (String) -> ConfigError) throws -> [T] {
        var seen = Set<T>()
        for x in values where !seen.insert(x).inserted { throw fail("the value \(x) is listed twice") }
        return values
    }

    private static func integerList(_ v: FlatTOML.Value, range: ClosedRange<Int>, _ fail: (String) -> ConfigError) throws -> [Int] {
        try unique(items(v, fail).map { item in
            guard case let .integer(i) = item, range.contains(i) else {
                throw fail("expected integers in \(range.lowerBound)...\(range.upperBound) (one or an array), got \(item)")
            }
            return i
        }, fail)
    }

    private static func number(_ v: FlatTOML.Value) -> Double? {
        switch v {
        case let .integer(i): return Double(i)
        case let .float(d): return d
        default: return nil
        }
    }

    private static func noiseList(_ v: FlatTOML.Value, _ fail: (String) -> ConfigError) throws -> [Double] {
        try unique(items(v, fail).map { item in
            guard let x = number(item), x.isFinite, x > 0, x <= Limits.maximumNoiseVariance else {
                throw fail("expected finite numbers > 0 and ≤ \(Limits.maximumNoiseVariance) (one or an array), got \(item)")
            }
            return x
        }, fail)
    }

    private static func fractionList(_ v: FlatTOML.Value, _ fail: (String) -> ConfigError) throws -> [Double] {
        try unique(items(v, fail).map { item in
            guard let x = number(item), x >= 0, x <= 1 else {
                throw fail("expected fractions in [0, 1] (one or an array), got \(item)")
            }
            return x
        }, fail)
    }

    private static func regimeList(_ v: FlatTOML.Value, _ fail: (String) -> ConfigError) throws -> [String] {
        try unique(items(v, fail).map { item in
            guard case let .string(s) = item, Regime.names.contains(s) else {
                throw fail("unknown regime \(item); allowed: \(Regime.names.joined(separator: ", "))")
            }
            return s
        }, fail)
    }

    /// The known key at edit distance ≤ 2, if any.
    static func closestKey(_ key: String) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var prev = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var cur = [i] + Array(repeating: 0, count: b.count)
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                prev = cur
            }
            return a.isEmpty ? b.count : prev[b.count]
        }
        let best = keys.map { ($0, distance(Array(key), Array($0))) }.min { $0.1 < $1.1 }
        return best.flatMap { $0.1 <= 2 ? $0.0 : nil }
    }

    // MARK: - Writing

    /// The spec as a config file that parses back to an equal spec (seed included when set).
    public func tomlText() -> String {
        func list<T>(_ xs: [T], _ f: (T) -> String) -> String { "[" + xs.map(f).joined(separator: ", ") + "]" }
        func quoted(_ s: String) -> String {
            "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n") + "\""
        }
        var lines = [
            "name = \(quoted(name))",
            "description = \(quoted(description))",
            "dimension = \(list(dimensions) { String($0) })",
            "samples = \(list(samples) { String($0) })",
            "noise_variance = \(list(noiseVariances) { $0.description })",
            "generations = \(generations)",
            "regimes = \(list(regimeNames) { quoted($0) })",
            "real_fraction = \(list(realFractions) { $0.description })",
            "repeats = \(repeats)",
            "engine = \(quoted(engine.rawValue))",
            "design = \(quoted(design.rawValue))",
        ]
        if let seed { lines.append("seed = \"\(seed)\"") }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
