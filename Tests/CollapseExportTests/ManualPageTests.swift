import CollapseExport
import Foundation
import XCTest

/// The man page from a ToolInfo description: structure, roff escaping, hidden items left out.
final class ManualPageTests: XCTestCase {
    let info = """
        {"serializationVersion": 0, "command": {"commandName": "tool", "abstract": "Does things.", "discussion": "First paragraph.\\n\\n.Second starts with a dot.",
         "arguments": [{"kind": "flag", "names": [{"kind": "long", "name": "dry-run"}], "abstract": "Do nothing.", "shouldDisplay": true},
                       {"kind": "option", "names": [{"kind": "long", "name": "secret"}], "abstract": "Hidden.", "shouldDisplay": false}],
         "subcommands": [
           {"commandName": "run", "abstract": "Run it: T ≥ d + 2, a\\\\b.", "shouldDisplay": true,
            "arguments": [{"kind": "option", "names": [{"kind": "long", "name": "noise-variance"}, {"kind": "short", "name": "n"}],
                           "valueName": "x", "abstract": "σ².", "defaultValue": "1", "shouldDisplay": true},
                          {"kind": "positional", "valueName": "--parameter value", "abstract": "Parameters:", "discussion": "--a <n>  A.\\n--b  B.",
                           "shouldDisplay": true}],
            "subcommands": [{"commandName": "fast", "abstract": "Faster.", "shouldDisplay": true}]},
           {"commandName": "internal", "abstract": "Hidden.", "shouldDisplay": false},
           {"commandName": "help", "abstract": "Help.", "shouldDisplay": true}]}}
        """

    func testPage() throws {
        let page = try ManualPage.render(toolInfo: Data(info.utf8), date: "2026-01-02", version: "1.0")
        XCTAssertTrue(page.hasPrefix(".TH \"TOOL\" 1 \"2026\\-01\\-02\" \"tool 1.0\"\n.SH NAME\ntool \\- Does things.\n"), page)
        XCTAssertTrue(page.contains(".SH DESCRIPTION\nFirst paragraph.\n.PP\n\\&.Second starts with a dot.\n"), page)
        XCTAssertTrue(page.contains(".TP\n\\fB\\-\\-dry\\-run\\fR\nDo nothing.\n"), page)
        XCTAssertTrue(page.contains(".SS \"tool run\"\nRun it: T ≥ d + 2, a\\eb.\n"), page)
        XCTAssertTrue(page.contains(".TP\n\\fB\\-\\-noise\\-variance\\fR, \\fB\\-n\\fR \\fIx\\fR\nσ². (default: 1)\n"), page)
        XCTAssertTrue(page.contains(".TP\n\\fI\\-\\-parameter value\\fR\nParameters:\n.br\n\\-\\-a <n>  A.\n.br\n\\-\\-b  B.\n"), page)
        XCTAssertTrue(page.contains(".SS \"tool run fast\"\nFaster.\n"), page)
        for hidden in ["secret", "internal", "\"tool help\""] { XCTAssertFalse(page.contains(hidden), hidden) }
    }

    func testNotToolInfo() {
        XCTAssertThrowsError(try ManualPage.render(toolInfo: Data("{}".utf8), date: "2026-01-02"))
        XCTAssertThrowsError(try ManualPage.render(toolInfo: Data("not json".utf8), date: "2026-01-02"))
    }
}
