import CollapseExport
import Foundation
import Randomness
import XCTest

final class JSONValueTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    func testScalars() {
        XCTAssertEqual(JSONValue.int(-3).rendered(), "-3")
        XCTAssertEqual(JSONValue.double(0.1).rendered(), "0.1")
        XCTAssertEqual(JSONValue.double(1).rendered(), "1.0")
        XCTAssertEqual(JSONValue.double(1e-300).rendered(), "1e-300")
        XCTAssertEqual(JSONValue.double(.nan).rendered(), "null")
        XCTAssertEqual(JSONValue.double(.infinity).rendered(), "null")
        XCTAssertEqual(JSONValue.double(-.infinity).rendered(), "null")
        XCTAssertEqual(JSONValue.bool(true).rendered(), "true")
        XCTAssertEqual(JSONValue.bool(false).rendered(), "false")
        XCTAssertEqual(JSONValue.null.rendered(), "null")
        XCTAssertEqual(JSONValue.string("abc").rendered(), "\"abc\"")
        XCTAssertEqual(JSONValue.array([]).rendered(), "[]")
        XCTAssertEqual(JSONValue.object([]).rendered(), "{}")
    }

    func testLiterals() {
        let s: JSONValue = "x", i: JSONValue = 3, d: JSONValue = 2.5, b: JSONValue = true, a: JSONValue = [1, "y"]
        XCTAssertEqual(s, .string("x"))
        XCTAssertEqual(i, .int(3))
        XCTAssertEqual(d, .double(2.5))
        XCTAssertEqual(b, .bool(true))
        XCTAssertEqual(a, .array([.int(1), .string("y")]))
        XCTAssertNotEqual(JSONValue.int(1), JSONValue.string("1"))
    }

    func testStringEscaping() throws {
        let tricky = "quote \" backslash \\ slash / newline \n return \r tab \t bell \u{07} nul \u{00} unit \u{1F} del \u{7F} σ² 😀"
        let rendered = JSONValue.string(tricky).rendered()
        XCTAssertTrue(rendered.hasPrefix("\"") && rendered.hasSuffix("\""))
        XCTAssertTrue(rendered.contains("\\\""))
        XCTAssertTrue(rendered.contains("\\\\"))
        XCTAssertTrue(rendered.contains("\\n"))
        XCTAssertTrue(rendered.contains("\\r"))
        XCTAssertTrue(rendered.contains("\\t"))
        XCTAssertTrue(rendered.contains("\\u0007"))
        XCTAssertTrue(rendered.contains("\\u0000"))
        XCTAssertTrue(rendered.contains("\\u001f"))
        XCTAssertTrue(rendered.contains("σ² 😀"), "non-ASCII is written as UTF-8")
        // No raw control characters survive.
        XCTAssertFalse(rendered.unicodeScalars.contains { $0.value < 0x20 }, rendered)
        XCTAssertEqual(try parse(rendered) as? String, tricky)
        XCTAssertEqual(JSONValue.string("").rendered(), "\"\"")
        XCTAssertEqual(JSONValue.string("a\"b").rendered(), "\"a\\\"b\"")
    }

    func testEveryControlCharacterRoundTrips() throws {
        let all = String(String.UnicodeScalarView((UInt32(0)..<0x20).compactMap(Unicode.Scalar.init)))
        let rendered = JSONValue.string(all).rendered()
        XCTAssertEqual(try parse(rendered) as? String, all)
    }

    func testNestedObjectsKeepKeyOrderAndParseBack() throws {
        let value: JSONValue = .object([
            ("zeta", .int(1)),
            (
                "alpha",
                .object([
                    ("z", .string("last?")), ("a", .array([.double(0.5), .null, .bool(false)])),
                    ("m", .object([("deep", .array([.object([("k", "v")]), .array([])]))]))
                ])
            ),
            ("mu", .array([.int(1), .int(2)])),
            ("key \"with\" quotes", .string("x")),
            ("empty", .object([]))
        ])
        let text = value.rendered()
        // Key order as inserted, at every level.
        func position(_ s: String) -> String.Index { text.range(of: s)!.lowerBound }
        XCTAssertLessThan(position("\"zeta\""), position("\"alpha\""))
        XCTAssertLessThan(position("\"alpha\""), position("\"mu\""))
        XCTAssertLessThan(position("\"mu\""), position("\"key \\\"with\\\" quotes\""))
        XCTAssertLessThan(position("\"z\":"), position("\"a\":"))
        XCTAssertLessThan(position("\"a\":"), position("\"m\":"))
        // Pretty printing: two-space indent, scalar arrays on one line, no trailing newline.
        XCTAssertTrue(text.hasPrefix("{\n  \"zeta\": 1,\n  \"alpha\": {\n    \"z\": \"last?\""), text)
        XCTAssertTrue(text.contains("\"a\": [0.5, null, false]"), text)
        XCTAssertTrue(text.contains("\"mu\": [1, 2]"), text)
        XCTAssertTrue(text.hasSuffix("\n}"), text)

        let parsed = try XCTUnwrap(try parse(text) as? [String: Any])
        XCTAssertEqual(Set(parsed.keys), ["zeta", "alpha", "mu", "key \"with\" quotes", "empty"])
        XCTAssertEqual((parsed["zeta"] as? NSNumber)?.intValue, 1)
        let alpha = try XCTUnwrap(parsed["alpha"] as? [String: Any])
        XCTAssertEqual(alpha["z"] as? String, "last?")
        let a = try XCTUnwrap(alpha["a"] as? [Any])
        XCTAssertEqual(a.count, 3)
        XCTAssertEqual((a[0] as? NSNumber)?.doubleValue, 0.5)
        XCTAssertTrue(a[1] is NSNull)
        XCTAssertEqual(a[2] as? Bool, false)
        let m = try XCTUnwrap(alpha["m"] as? [String: Any])
        let deep = try XCTUnwrap(m["deep"] as? [Any])
        XCTAssertEqual((deep[0] as? [String: Any])?["k"] as? String, "v")
        XCTAssertEqual((deep[1] as? [Any])?.count, 0)
        XCTAssertEqual((parsed["mu"] as? [NSNumber])?.map(\.intValue), [1, 2])
        XCTAssertEqual(parsed["key \"with\" quotes"] as? String, "x")
        XCTAssertEqual((parsed["empty"] as? [String: Any])?.count, 0)
    }

    func testArrayOfObjectsIsIndented() throws {
        let value: JSONValue = .array([.object([("a", 1)]), .object([("b", 2)])])
        XCTAssertEqual(value.rendered(), "[\n  {\n    \"a\": 1\n  },\n  {\n    \"b\": 2\n  }\n]")
        let parsed = try XCTUnwrap(try parse(value.rendered()) as? [[String: Int]])
        XCTAssertEqual(parsed, [["a": 1], ["b": 2]])
    }

    func testDoublesRoundTrip() throws {
        for x in [0.1, 1e-300, 123456789.123456789, 0.11235955056179775, 1e22, -2.5, -0.0] {
            let text = JSONValue.array([.double(x)]).rendered()
            // The text is the shortest round-trip decimal: exact for any correct decimal reader.
            XCTAssertEqual(text, "[\(x.description)]")
            XCTAssertEqual(Double(String(text.dropFirst().dropLast()))?.bitPattern, x.bitPattern, text)
            // swift-corelibs-foundation's JSONSerialization is not correctly rounded on Linux
            // (it reads 0.11235955056179775 as 0.11235955056179778), so only check closeness there.
            let parsed = try XCTUnwrap(try parse(text) as? [NSNumber])
            let back = try XCTUnwrap(parsed.first?.doubleValue)
            XCTAssertLessThanOrEqual(abs(back - x), 4 * x.ulp, "\(x) read back as \(back)")
        }
    }

    /// `RunManifest.utcTimestamp` writes what ISO8601DateFormatter (internet date-time with
    /// fractional seconds) writes, for dates across 1901–2099 with fractions at every scale,
    /// leap days, the last millisecond of a second and halves of a millisecond included.
    func testManifestTimestampMatchesISO8601DateFormatter() {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var rng = SplitMix64(seed: 20_261_207)  // a fixed stream: the same dates on every run
        var dates: [Double] = [0, 0.5, 0.9994, 0.9999, 1_700_000_000.5, 951_782_400.25, -1.5, 4_102_444_799.999, -2_000_000_000.123]
        for _ in 0..<2000 { dates.append(Double.random(in: -2_000_000_000...4_000_000_000, using: &rng)) }
        for _ in 0..<500 { dates.append(Double(Int.random(in: 0...4_000_000_000, using: &rng)) + Double(Int.random(in: 0...999, using: &rng)) / 1000) }
        // Halfway between two milliseconds, before 1970 and after: the half rounds up (later),
        // not away from zero.
        for _ in 0..<500 {
            dates.append(Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &rng)) + (Double(Int.random(in: 0...999, using: &rng)) + 0.5) / 1000)
        }
        for t in dates {
            let date = Date(timeIntervalSince1970: t)
            XCTAssertEqual(RunManifest.utcTimestamp(date), iso.string(from: date), "at \(t)")
        }
    }

    /// Years at and before 1 in gmtime's proleptic Gregorian calendar, ISO 8601's astronomical
    /// numbering (year 0 is 1 BC): the sign, then four digits.
    func testManifestTimestampOfEarlyYears() {
        XCTAssertEqual(RunManifest.utcTimestamp(Date(timeIntervalSince1970: -62_135_596_800)), "0001-01-01T00:00:00.000Z")
        XCTAssertEqual(RunManifest.utcTimestamp(Date(timeIntervalSince1970: -62_167_219_200)), "0000-01-01T00:00:00.000Z")
        XCTAssertEqual(RunManifest.utcTimestamp(Date(timeIntervalSince1970: -62_167_219_200.25)), "-0001-12-31T23:59:59.750Z")
        XCTAssertEqual(RunManifest.utcTimestamp(Date(timeIntervalSince1970: -62_198_755_200)), "-0001-01-01T00:00:00.000Z")
    }

    func testManifestJSON() throws {
        let manifest = RunManifest(
            command: "simulate", arguments: ["collapse", "simulate", "--seed", "18446744073709551615"],
            seed: .max, threads: 3, wallSeconds: 1.25, startedAt: Date(timeIntervalSince1970: 1_700_000_000.5),
            parameters: [("dimension", .array([.int(3), .int(5)])), ("regimes", ["replace", "accumulate"])],
            outputs: ["results.csv"], environment: [("blas", .string("OpenBLAS Test (injected)"))])
        let text = manifest.json().rendered()
        let parsed = try XCTUnwrap(try parse(text) as? [String: Any])
        XCTAssertEqual(
            Set(parsed.keys),
            [
                "tool", "version", "git_commit", "blas", "command", "arguments", "seed", "threads",
                "started_at", "wall_seconds", "status", "parameters", "outputs"
            ])
        XCTAssertEqual(parsed["blas"] as? String, "OpenBLAS Test (injected)", "environment entries are written as given")
        XCTAssertLessThan(try XCTUnwrap(text.range(of: "\"git_commit\"")).lowerBound, try XCTUnwrap(text.range(of: "\"blas\"")).lowerBound)
        XCTAssertEqual(parsed["tool"] as? String, "collapse")
        XCTAssertEqual(parsed["version"] as? String, ToolVersion.version)
        XCTAssertEqual(parsed["git_commit"] as? String, ToolVersion.gitCommit)
        XCTAssertFalse(ToolVersion.gitCommit.isEmpty)
        // Embedded at build time: a full commit hash (with -dirty when tracked files differed),
        // or "unknown" for a build outside a git checkout.
        XCTAssertNotNil(
            ToolVersion.gitCommit.range(of: #"^([0-9a-f]{40}(-dirty)?|unknown)$"#, options: .regularExpression),
            ToolVersion.gitCommit)
        XCTAssertEqual(parsed["seed"] as? String, "18446744073709551615", "the seed is a string: exact above 2^53")
        XCTAssertEqual((parsed["threads"] as? NSNumber)?.intValue, 3)
        XCTAssertEqual((parsed["wall_seconds"] as? NSNumber)?.doubleValue, 1.25)
        XCTAssertEqual(parsed["status"] as? String, "complete")
        XCTAssertEqual(parsed["started_at"] as? String, "2023-11-14T22:13:20.500Z")
        XCTAssertEqual(parsed["arguments"] as? [String], ["collapse", "simulate", "--seed", "18446744073709551615"])
        XCTAssertEqual(parsed["outputs"] as? [String], ["results.csv"])
        let p = try XCTUnwrap(parsed["parameters"] as? [String: Any])
        XCTAssertEqual((p["dimension"] as? [NSNumber])?.map(\.intValue), [3, 5])
        XCTAssertEqual(p["regimes"] as? [String], ["replace", "accumulate"])
        // Keys in the documented order.
        let order = [
            "tool", "version", "git_commit", "command", "arguments", "seed", "threads", "started_at",
            "wall_seconds", "status", "parameters", "outputs"
        ]
        let positions = order.map { text.range(of: "\n  \"\($0)\":")?.lowerBound }
        XCTAssertFalse(positions.contains(nil), text)
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted())

        var failed = manifest
        failed.status = "failed"
        XCTAssertTrue(failed.json().rendered().contains("\"status\": \"failed\""))
    }
}
