import ExperimentEngine
import CollapseSweep
import XCTest

final class FlatTOMLTests: XCTestCase {
    func testParsesScalarsArraysCommentsAndMultiLineArrays() throws {
        let text = """
            # a comment
            name = "grid \\"A\\""   # trailing comment
            d = 32
            big = 1_000
            s2 = [0.01, 1e-3, 10]
            flag = true
            regimes = [
              "replace",   # first
              "accumulate",
            ]
            neg = -4
            """
        let entries = try FlatTOML.parse(text, file: "f.toml")
        XCTAssertEqual(entries.map(\.key), ["name", "d", "big", "s2", "flag", "regimes", "neg"])
        XCTAssertEqual(entries.map(\.line), [2, 3, 4, 5, 6, 7, 11])
        XCTAssertEqual(entries[0].value, .string("grid \"A\""))
        XCTAssertEqual(entries[1].value, .integer(32))
        XCTAssertEqual(entries[2].value, .integer(1000))
        XCTAssertEqual(entries[3].value, .array([.float(0.01), .float(1e-3), .integer(10)]))
        XCTAssertEqual(entries[4].value, .boolean(true))
        XCTAssertEqual(entries[5].value, .array([.string("replace"), .string("accumulate")]))
        XCTAssertEqual(entries[6].value, .integer(-4))
    }

    func testErrorsNameFileLineAndKey() {
        let cases: [(String, Int, String)] = [
            ("a = 1\na = 2", 2, "defined twice (first on line 1)"),
            ("a = 1\n[table]", 2, "tables"),
            ("x = \"open", 1, "key 'x': unterminated string"),
            ("x = [1, 2", 1, "unterminated array"),
            ("just words", 1, "expected `key = value`"),
            ("x = 1 2", 1, "unexpected text after the value"),
            ("x = hello", 1, "is not a TOML value"),
            ("x = 'lit'", 1, "literal strings"),
            ("bad key = 1", 1, "invalid key"),
            ("x =", 1, "missing value"),
            ("x = 1e999", 1, "overflows"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try FlatTOML.parse(text, file: "cfg.toml"), text) { error in
                let e = error as? FlatTOML.ParseError
                XCTAssertEqual(e?.line, line, text)
                XCTAssertTrue("\(error)".hasPrefix("cfg.toml:\(line): "), "\(error)")
                XCTAssertTrue("\(error)".contains(fragment), "\(text) → \(error)")
            }
        }
    }
}

/// Regression (issue "Reliability…"): a CRLF config whose first line is a comment was read as
/// one comment line and silently ignored; a UTF-8 BOM was refused.
final class FlatTOMLLineEndingTests: XCTestCase {
    func testCRLFAndBOMConfigsParseLineByLine() throws {
        let entries = try FlatTOML.parse("# my sweep\r\ngenerations = 5\r\nrepeats = 20\r\n", file: "c.toml")
        XCTAssertEqual(entries.map(\.key), ["generations", "repeats"])
        XCTAssertEqual(entries.map(\.line), [2, 3])
        XCTAssertEqual(entries.first?.value, .integer(5))
        let bom = try FlatTOML.parse("\u{FEFF}generations = 7\n", file: "c.toml")
        XCTAssertEqual(bom.first?.value, .integer(7))
        XCTAssertThrowsError(try FlatTOML.parse("a = 1\r\nb = \r\n", file: "c.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.toml:2:"), "\(error)")
        }
    }
}

/// Regression (issue "Reliability…"): a deeply nested array overflowed the stack, and a long
/// multi-line array re-scanned its whole text for every line (an 80 KB config took over 20 s).
final class FlatTOMLHostileInputTests: XCTestCase {
    func testDeepNestingIsRefusedWithTheLine() {
        let deep = "a = 1\nx = " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        XCTAssertThrowsError(try FlatTOML.parse(deep, file: "c.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.toml:2: key 'x': arrays nested deeper than 8 levels"), "\(error)")
        }
        XCTAssertEqual(try FlatTOML.parse("x = [[[1]]]\n", file: "c.toml").first?.value, .array([.array([.array([.integer(1)])])]))
    }

    func testLongMultiLineArrayParsesWhole() throws {
        let n = 50_000
        let text = "samples = [\n" + (1...n).map { "  \($0), # item \($0) [with a bracket\n" }.joined() + "]\nrepeats = 3\n"
        let entries = try FlatTOML.parse(text, file: "c.toml")
        XCTAssertEqual(entries.map(\.key), ["samples", "repeats"])
        XCTAssertEqual(entries.map(\.line), [1, n + 3])
        guard case let .array(items)? = entries.first?.value else { return XCTFail("not an array") }
        XCTAssertEqual(items.count, n)
        XCTAssertEqual(items.last, .integer(n))
    }
}
