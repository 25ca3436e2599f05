import CollapseSweep
import ExperimentEngine
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
            ("a = 1\na = 2", 2, "key 'a' is defined twice (first on line 1)"),
            ("a = 1\n[table]", 2, "key 'table': tables such as [table] are not supported"),
            ("x = \"open", 1, "key 'x': unterminated string"),
            ("x = [1, 2", 1, "key 'x': unterminated array"),
            // Syntax errors now carry TOMLKit's (toml++'s) wording and column.
            // A line that is not `key = value` (never valid TOML) is refused before toml++ sees it.
            ("just words", 1, "key 'just': expected '=' (column 6)"),
            // libFuzzer: a second byte-order mark, then a table header without a name, aborted toml++.
            ("\u{FEFF}\u{FEFF}[\n#\no = \"e\"\n", 1, "expected '=' (column 1)"),
            ("x = 1\n[\nx = 2", 2, "where a table header's key should start"),
            ("x = 1\n[[ t ]]", 2, "key 't': arrays of tables such as [[t]] are not supported"),
            ("x = 1 2", 1, "key 'x': expected a comment or whitespace, saw '2'"),
            ("x = hello", 1, "key 'x': could not determine value type"),
            ("bad key = 1", 1, "expected '='"),
            ("x =", 1, "key 'x': missing value"),
            ("x = 1e999", 1, "key 'x': '1e999' could not be interpreted as a value"),
            ("x = 18446744073709551616", 1, "key 'x': '18446744073709551616' is not representable in 64 bits"),
            ("x = .5", 1, "key 'x': expected decimal digit")
        ]
        // Literal strings were refused by the hand-written parser; they are TOML 1.0.
        XCTAssertEqual(try? FlatTOML.parse("x = 'lit'", file: "cfg.toml").first?.value, .string("lit"))
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

/// Issue "Reliability", must-have 1: config files are TOML 1.0 (TOMLKit), still with
/// `file:line: key` messages.
final class FlatTOMLFullTOMLTests: XCTestCase {
    func testCRLFWithLeadingCommentAndTOML10Features() throws {
        let text =
            "# my sweep\r\n# another comment\r\n" + "name = 'C:\\runs\\a'   # a literal string, then a comment\r\n"
            + "description = \"\"\"\r\nfirst line\r\nsecond # not a comment [ = \"\"\"\r\n"
            + "samples = [1_000, 0x10, 0o10, 0b11]   # underscores, hex, octal, binary\r\n" + "\"repeats\" = 3\r\n"
            + "noise_variance = [\r\n  1e-3,   # comment inside an array\r\n  +inf,\r\n  -0.5,\r\n]\r\n" + "notes = '''\r\n[not a table]\r\nx = 1\r\n'''\r\n"
            + "flag = false\r\n"
        let entries = try FlatTOML.parse(text, file: "c.toml")
        XCTAssertEqual(entries.map(\.key), ["name", "description", "samples", "repeats", "noise_variance", "notes", "flag"])
        XCTAssertEqual(entries.map(\.line), [3, 4, 7, 8, 9, 14, 18])
        XCTAssertEqual(entries[0].value, .string("C:\\runs\\a"))
        XCTAssertEqual(entries[1].value, .string("first line\nsecond # not a comment [ = ".replacingOccurrences(of: "\n", with: newline(entries[1]))))
        XCTAssertEqual(entries[2].value, .array([.integer(1000), .integer(16), .integer(8), .integer(3)]))
        XCTAssertEqual(entries[3].value, .integer(3))
        XCTAssertEqual(entries[4].value, .array([.float(1e-3), .float(.infinity), .float(-0.5)]))
        XCTAssertEqual(entries[6].value, .boolean(false))
    }

    /// A multi-line string's newlines as the parser keeps them (TOML lets it normalize CRLF).
    private func newline(_ e: FlatTOML.Entry) -> String {
        if case let .string(s) = e.value, s.contains("\r\n") { return "\r\n" }
        return "\n"
    }

    func testTablesAndOtherNonScalarsAreRefusedAtTheKeysLine() {
        let cases: [(String, Int, String)] = [
            ("a = 1\n[linear]\nsamples = 3\n", 2, "key 'linear': tables such as [linear] are not supported"),
            ("a = 1\r\nx = { y = 1 }\r\n", 2, "key 'x': inline tables"),
            ("a = 1\n\n[[runs]]\nx = 1\n", 3, "key 'runs': arrays of tables such as [[runs]]"),
            ("# c\nlinear.samples = 3\n", 2, "key 'linear': dotted keys such as linear.samples"),
            ("when = 1979-05-27\n", 1, "key 'when': dates and times are not supported"),
            ("x = [\n1,\n{ a = 1 },\n]\n", 1, "key 'x': arrays of inline tables"),
            ("a = 1\n\"a\" = 2\n", 2, "key 'a' is defined twice (first on line 1)"),
            // A table is refused at its header, before a later duplicate of it.
            ("[t]\nx = 1\n[t]\n", 1, "key 't': tables such as [t] are not supported"),
            ("a = 1\nx = \"a\\u0000b\"\n", 2, "key 'x': the escape for U+0000"),
            ("a = 1\nx = \"a\u{0}b\"\n", 2, "NUL character"),
            ("x = [[[[[[[[[1]]]]]]]]]\n", 1, "key 'x': arrays nested deeper than 8 levels"),
            // TOMLKit 0.6.0's toml++ aborts on these (an assertion); they must be refused first.
            ("a = 1\nx = [0.01, 0.1,} 1]\n", 2, "key 'x': unexpected '}' inside an array (no inline table is open) (column 16)"),
            ("x = [\n1,\n}]\n", 3, "key 'x': unexpected '}'"),
            ("x = [1,\u{2028}2]\n", 1, "key 'x': unexpected U+2028"),
            ("x = [\u{85}]\n", 1, "key 'x': unexpected U+0085"),
            ("a = 1\n[\n", 2, "unexpected '\\n' where a table header's key should start"),
            ("a = 1\r\n[[ =]]\r\n", 2, "unexpected '=' where a table header's key should start (column 4)"),
            ("regimes = [\n  \"replace\",\n\nrepeats = 5\n", 4, "key 'regimes' (from line 1): could not determine value type"),
            ("[[\rsamples]]\n", 1, "unexpected '\\r' where a table header's key should start")  // found by scripts/fuzz
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try FlatTOML.parse(text, file: "cfg.toml"), text) { error in
                XCTAssertEqual((error as? FlatTOML.ParseError)?.line, line, "\(text) → \(error)")
                XCTAssertTrue("\(error)".hasPrefix("cfg.toml:\(line): "), "\(error)")
                XCTAssertTrue("\(error)".contains(fragment), "\(text) → \(error)")
            }
        }
    }

    /// The locator keeps lines right past multi-line strings holding `key = [` text.
    func testKeyLinesAfterMultiLineStringsAndQuotedKeys() throws {
        let text = "d = \"\"\"\nx = [\n\\\"\"\"\"\"\nrepeats = 3\n'odd key' = 'v'\n\"esc\\u0041\" = 1\n"
        let entries = try FlatTOML.parse(text, file: "c.toml")
        XCTAssertEqual(entries.map(\.key), ["d", "repeats", "odd key", "escA"])
        XCTAssertEqual(entries.map(\.line), [1, 4, 5, 6])
    }

    /// Through the linear family: a CRLF file with a leading comment and a misspelt key.
    func testUnknownKeyInCRLFConfigKeepsDidYouMean() {
        XCTAssertThrowsError(try linearSpec("# my sweep\r\n'samples' = [10, 20]\r\nsampels = 3\r\n", file: "c.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.toml:3: key 'sampels': unknown key (did you mean 'samples'?)"), "\(error)")
        }
        XCTAssertThrowsError(try linearSpec("samples = 10\n[grid]\nsamples = 3\n", file: "c.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.toml:2: key 'grid': tables such as [grid]"), "\(error)")
        }
    }
}

/// A description may now hold any character through a TOML escape; the recorded
/// experiment.toml must read back (TOML refuses raw control characters in strings).
final class FlatTOMLRoundTripTests: XCTestCase {
    func testControlCharactersInStringsSurviveTomlText() throws {
        let spec = try linearSpec("description = \"a\\rb\\u0001c\\td \\\"q\\\" \\\\ é\\n\"\nsamples = [10, 20]\n", file: "c.toml")
        XCTAssertEqual(spec.description, "a\rb\u{1}c\td \"q\" \\ é\n")
        let back = try linearSpec(spec.tomlText(), file: "experiment.toml")
        XCTAssertEqual(back.description, spec.description, spec.tomlText())
        XCTAssertEqual(ExperimentSpec.differences(back, spec), [])
    }
}
