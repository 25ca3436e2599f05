import CollapseExport
import Foundation
import XCTest

final class CSVReaderTests: XCTestCase {
    func testHeaderAndRowsWithAndWithoutTrailingNewline() throws {
        for text in ["a,b,c\n1,2,3\n4,5,6\n", "a,b,c\n1,2,3\n4,5,6"] {
            let doc = try CSVReader.parse(text, file: "t.csv")
            XCTAssertEqual(doc.header, ["a", "b", "c"])
            XCTAssertEqual(doc.rows, [["1", "2", "3"], ["4", "5", "6"]])
            XCTAssertEqual(doc.lines, [2, 3])
            XCTAssertEqual(doc.columnIndex("b"), 1)
        }
    }

    func testEmptyFieldsAndTrailingComma() throws {
        let doc = try CSVReader.parse("a,b,c\n,,\n1,,\nx,y,\n", file: "t.csv")
        XCTAssertEqual(doc.rows, [["", "", ""], ["1", "", ""], ["x", "y", ""]])
    }

    func testQuotedFieldsWithCommasDoubledQuotesAndLineBreaks() throws {
        let text = "name,note\n\"a,b\",plain\n\"say \"\"hi\"\"\",\"line1\nline2\"\n\"\",last\n"
        let doc = try CSVReader.parse(text, file: "t.csv")
        XCTAssertEqual(doc.rows, [["a,b", "plain"], ["say \"hi\"", "line1\nline2"], ["", "last"]])
        // The row after a two-line field starts on line 5.
        XCTAssertEqual(doc.lines, [2, 3, 5])
    }

    func testCRLFAndMixedLineEnds() throws {
        let doc = try CSVReader.parse("a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4,5\n6,7\r\n", file: "t.csv")
        XCTAssertEqual(doc.header, ["a", "b"])
        XCTAssertEqual(doc.rows, [["1", "2"], ["x\r\ny", "3"], ["4", "5"], ["6", "7"]])
        XCTAssertEqual(doc.lines, [2, 3, 5, 6])
    }

    func testRoundTripsCSVTableOutput() throws {
        var t = CSVTable(header: ["k", "v"])
        t.append(["a,b", "say \"hi\""])
        t.append(["line1\nline2", ""])
        t.append(["cr\rhere", "\"\""])
        t.append(["ünïcødé σ²", "1e-06"])
        let doc = try CSVReader.parse(t.rendered(), file: "t.csv")
        XCTAssertEqual(doc.table, t)
    }

    func testByteOrderMarkAndBlankLinesAreSkipped() throws {
        let doc = try CSVReader.parse("\u{FEFF}a,b\n1,2\n\n3,4\n\n", file: "t.csv")
        XCTAssertEqual(doc.header, ["a", "b"])
        XCTAssertEqual(doc.rows, [["1", "2"], ["3", "4"]])
        XCTAssertEqual(doc.lines, [2, 4])
    }

    func testOneColumnFileKeepsEmptyFields() throws {
        let doc = try CSVReader.parse("x\n1\n\n2\n", file: "t.csv")
        XCTAssertEqual(doc.rows, [["1"], [""], ["2"]])
    }

    func testRaggedRowErrorNamesFileAndLine() {
        XCTAssertThrowsError(try CSVReader.parse("a,b,c\n1,2,3\n4,5\n", file: "data/r.csv")) { error in
            let e = error as? CSVReadError
            XCTAssertEqual(e?.file, "data/r.csv")
            XCTAssertEqual(e?.line, 3)
            XCTAssertEqual("\(error)", "data/r.csv:3: row has 2 fields, the header (line 1) has 3")
        }
        XCTAssertThrowsError(try CSVReader.parse("a,b\n1,2\n\"q\nq\",2,3\n", file: "r.csv")) { error in
            XCTAssertEqual((error as? CSVReadError)?.line, 3, "a ragged row is reported at the line where it starts")
        }
    }

    func testQuotingErrors() {
        XCTAssertThrowsError(try CSVReader.parse("a,b\n1,\"open\n2,3\n", file: "q.csv")) { error in
            XCTAssertEqual((error as? CSVReadError)?.line, 2)
            XCTAssertTrue("\(error)".hasPrefix("q.csv:2: quoted field is not closed"), "\(error)")
        }
        XCTAssertThrowsError(try CSVReader.parse("a,b\n1,2\n3,x\"y\n", file: "q.csv")) { error in
            XCTAssertTrue("\(error)".hasPrefix("q.csv:3: '\"' inside an unquoted field"), "\(error)")
        }
        XCTAssertThrowsError(try CSVReader.parse("a,b\n\"x\"y,2\n", file: "q.csv")) { error in
            XCTAssertTrue("\(error)".hasPrefix("q.csv:2: unexpected character after a closing quote"), "\(error)")
        }
    }

    func testEmptyInputAndUnreadableFiles() throws {
        XCTAssertThrowsError(try CSVReader.parse("", file: "e.csv")) { error in
            XCTAssertEqual("\(error)", "e.csv: empty file; expected a header row")
        }
        XCTAssertThrowsError(try CSVReader.parse(Data([0x61, 0x0A, 0xFF, 0xFE, 0x0A]), file: "b.csv")) { error in
            XCTAssertEqual("\(error)", "b.csv: not valid UTF-8 text")
        }
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).csv")
        XCTAssertThrowsError(try CSVReader.read(contentsOf: missing)) { error in
            XCTAssertEqual("\(error)", "\(missing.path): cannot read the file (No such file or directory)")
        }
    }

    func testReadsFiles() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csvreader-\(UUID().uuidString).csv")
        try Data("x,y\r\n1,\"2,5\"\r\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let doc = try CSVReader.read(contentsOf: url)
        XCTAssertEqual(doc.file, url.path)
        XCTAssertEqual(doc.rows, [["1", "2,5"]])
    }
}

/// A results file that is a FIFO is refused at once (no wait for a writer), with a message that
/// says what it is, not a permission error.
final class CSVReaderFIFOTests: XCTestCase {
    func testAFIFOIsRefusedWithoutBlocking() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString)")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        defer { try? FileManager.default.removeItem(at: fifo) }
        XCTAssertThrowsError(try CSVReader.read(contentsOf: fifo)) { error in
            XCTAssertEqual("\(error)", "\(fifo.path): not a regular file (a pipe, socket or device); give a file")
        }
    }
}
