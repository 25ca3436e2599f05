import Foundation
import ArgumentParser
import CollapseCore
import LinearCollapse

/// Parsing of the comma-separated list flags, with messages that name the flag, the value and
/// what is allowed.
enum ListParsing {
    static func items(_ raw: String, flag: String, expected: String) throws -> [String] {
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.allSatisfy(\.isEmpty) {
            throw ValidationError("\(flag): empty list; expected \(expected)")
        }
        if let i = parts.firstIndex(where: \.isEmpty) {
            throw ValidationError("\(flag) '\(raw)': item \(i + 1) is empty; expected \(expected)")
        }
        return parts
    }

    /// Rejects a value listed twice (compared as parsed values: `1` and `1.0` are the same).
    static func unique<T: Hashable>(_ values: [T], raw: String, flag: String, expected: String) throws -> [T] {
        var seen = Set<T>()
        for v in values where !seen.insert(v).inserted {
            throw ValidationError("\(flag) '\(raw)': the value \(v) is listed twice; expected \(expected)")
        }
        return values
    }

    /// Why a string that parsed to a non-finite double is not allowed.
    static func nonFinite(_ s: String) -> String {
        let lower = s.lowercased()
        if lower.contains("nan") { return "\(s) is not a number (NaN)" }
        if lower.contains("inf") { return "\(s) is infinite" }
        return "\(s) overflows a double (|x| > 1.8e308)"
    }

    static func integers(_ raw: String, flag: String, minimum: Int, maximum: Int = 10_000_000) throws -> [Int] {
        let expected = "comma-separated integers in \(minimum)...\(maximum), e.g. \(minimum),\(max(minimum * 10, minimum + 1))"
        let values = try items(raw, flag: flag, expected: expected).map { s in
            guard let v = Int(s) else { throw ValidationError("\(flag): '\(s)' is not an integer; expected \(expected)") }
            guard v >= minimum && v <= maximum else {
                throw ValidationError("\(flag): \(v) is out of range; expected \(expected)")
            }
            return v
        }
        return try unique(values, raw: raw, flag: flag, expected: expected)
    }

    /// A scalar integer flag within `range` (the shared limits of `LinearFamily.Limits`).
    static func checked(_ value: Int, flag: String, in range: ClosedRange<Int>, why: String = "") throws -> Int {
        guard range.contains(value) else {
            throw ValidationError("\(flag): \(value) is out of range; expected an integer in \(range.lowerBound)...\(range.upperBound)\(why)")
        }
        return value
    }

    static func positiveDoubles(_ raw: String, flag: String, maximum: Double = LinearFamily.Limits.maximumNoiseVariance) throws -> [Double] {
        let expected = "comma-separated finite numbers > 0 and ≤ \(maximum), e.g. 0.1,1,10"
        let values = try items(raw, flag: flag, expected: expected).map { s in
            guard let v = Double(s) else { throw ValidationError("\(flag): '\(s)' is not a number; expected \(expected)") }
            guard v.isFinite else { throw ValidationError("\(flag): \(nonFinite(s)); expected \(expected)") }
            guard v > 0 && v <= maximum else {
                throw ValidationError("\(flag): \(s) is out of range; expected \(expected)")
            }
            return v
        }
        return try unique(values, raw: raw, flag: flag, expected: expected)
    }

    static func fractions(_ raw: String, flag: String) throws -> [Double] {
        let expected = "comma-separated fractions in [0, 1], e.g. 0.1,0.5"
        let values = try items(raw, flag: flag, expected: expected).map { s in
            guard let v = Double(s), v.isFinite, v >= 0, v <= 1 else {
                throw ValidationError("\(flag): '\(s)' is not a fraction in [0, 1]; expected \(expected)")
            }
            return v
        }
        return try unique(values, raw: raw, flag: flag, expected: expected)
    }

    /// Regime names; `mix` and `fresh-real` expand to one regime per real fraction.
    static func regimes(_ raw: String, flag: String = "--regimes", allowed: [String] = Regime.names,
                        realFractions: [Double]) throws -> [Regime] {
        let expected = "a comma-separated list of \(allowed.joined(separator: ", "))"
        var out: [Regime] = []
        for name in try unique(items(raw, flag: flag, expected: expected), raw: raw, flag: flag, expected: expected) {
            guard allowed.contains(name) else {
                if Regime.names.contains(name) {
                    throw ValidationError("\(flag): '\(name)' has no closed form; allowed here: \(allowed.joined(separator: ", "))")
                }
                throw ValidationError("\(flag): unknown regime '\(name)'; allowed: \(allowed.joined(separator: ", "))")
            }
            switch name {
            case "mix", "fresh-real": out.append(contentsOf: realFractions.map { Regime.named(name, realFraction: $0)! })
            default: out.append(Regime.named(name, realFraction: 0)!)
            }
        }
        return out
    }

    /// `--regimes` with `--real-fraction` (default 0.5): refuses a real fraction when no
    /// regime takes one.
    static func regimes(_ regimes: String, realFraction: String?) throws -> [Regime] {
        let list = try self.regimes(regimes, realFractions: fractions(realFraction ?? "0.5", flag: "--real-fraction"))
        if realFraction != nil && !list.contains(where: { $0.realFraction != nil }) {
            throw ValidationError("--real-fraction applies only to the mix and fresh-real regimes; add one to --regimes or drop --real-fraction")
        }
        return list
    }
}
