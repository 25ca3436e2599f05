import Foundation

/// Parsing of comma-separated list flags (`--samples 100,300`) for the commands that take raw
/// lists outside a family's parameters (`collapse theory`, `collapse verify`), with messages that
/// name the flag, the value and what is allowed. Errors are `SpecError`s.
public enum ListParsing {
    /// The trimmed items of `raw`; none may be empty.
    public static func items(_ raw: String, flag: String, expected: String) throws -> [String] {
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.allSatisfy(\.isEmpty) { throw SpecError("\(flag): empty list; expected \(expected)") }
        if let i = parts.firstIndex(where: \.isEmpty) { throw SpecError("\(flag) '\(raw)': item \(i + 1) is empty; expected \(expected)") }
        return parts
    }

    /// Rejects a value listed twice (compared as parsed values: `1` and `1.0` are the same).
    public static func unique<T: Hashable>(_ values: [T], raw: String, flag: String, expected: String) throws -> [T] {
        var seen = Set<T>()
        for v in values where !seen.insert(v).inserted {
            throw SpecError("\(flag) '\(raw)': the value \(v) is listed twice; expected \(expected)")
        }
        return values
    }

    /// Why a string that parsed to a non-finite double is not allowed.
    public static func nonFinite(_ s: String) -> String {
        let lower = s.lowercased()
        if lower.contains("nan") { return "\(s) is not a number (NaN)" }
        if lower.contains("inf") { return "\(s) is infinite" }
        return "\(s) overflows a double (|x| > 1.8e308)"
    }

    /// Distinct integers in `minimum...maximum`.
    public static func integers(_ raw: String, flag: String, minimum: Int, maximum: Int = 10_000_000) throws -> [Int] {
        let expected = "comma-separated integers in \(minimum)...\(maximum), e.g. \(minimum),\(max(minimum * 10, minimum + 1))"
        let values = try items(raw, flag: flag, expected: expected).map { s in
            guard let v = Int(s) else { throw SpecError("\(flag): '\(s)' is not an integer; expected \(expected)") }
            guard v >= minimum && v <= maximum else { throw SpecError("\(flag): \(v) is out of range; expected \(expected)") }
            return v
        }
        return try unique(values, raw: raw, flag: flag, expected: expected)
    }

    /// A scalar integer flag within `range`.
    public static func checked(_ value: Int, flag: String, in range: ClosedRange<Int>, why: String = "") throws -> Int {
        guard range.contains(value) else {
            throw SpecError("\(flag): \(value) is out of range; expected an integer in \(range.lowerBound)...\(range.upperBound)\(why)")
        }
        return value
    }

    /// Distinct finite numbers in (0, maximum].
    public static func positiveDoubles(_ raw: String, flag: String, maximum: Double = 1e12) throws -> [Double] {
        let expected = "comma-separated finite numbers > 0 and ≤ \(maximum), e.g. 0.1,1,10"
        let values = try items(raw, flag: flag, expected: expected).map { s in
            guard let v = Double(s) else { throw SpecError("\(flag): '\(s)' is not a number; expected \(expected)") }
            guard v.isFinite else { throw SpecError("\(flag): \(nonFinite(s)); expected \(expected)") }
            guard v > 0 && v <= maximum else { throw SpecError("\(flag): \(s) is out of range; expected \(expected)") }
            return v
        }
        return try unique(values, raw: raw, flag: flag, expected: expected)
    }

    /// Distinct fractions in [0, 1].
    public static func fractions(_ raw: String, flag: String) throws -> [Double] {
        let expected = "comma-separated fractions in [0, 1], e.g. 0.1,0.5"
        let values = try items(raw, flag: flag, expected: expected).map { s in
            guard let v = Double(s), v.isFinite, v >= 0, v <= 1 else {
                throw SpecError("\(flag): '\(s)' is not a fraction in [0, 1]; expected \(expected)")
            }
            return v
        }
        return try unique(values, raw: raw, flag: flag, expected: expected)
    }
}
