import ExperimentEngine
import Foundation
import XCTest

/// Shell completion of parameter flags: the flags and values come from the `Parameter` list.
final class ParameterCompletionTests: XCTestCase {
    let parameters = [
        Parameter("samples", .integer(1...100), role: .axis, default: [.integer(10)], help: "Samples T."),
        Parameter("engine", .choice(["literal", "sufficient"]), help: "Simulator."),
        Parameter("regimes", .choice(["replace", "accumulate", "accumulate-subsample"]), role: .list, help: "Regimes."),
        Parameter("test_noise", .choice(["false", "true"]), default: [.text("false")], help: "Noisy targets."),
        Parameter("data", .text, help: "A data file.").file(),
        Parameter("bandwidth", .text, help: "A rule or a number.")
    ]

    func complete(_ words: [String], prefix: String? = nil) -> [String] {
        ParameterCompletion.candidates(words: words, index: words.count - 1, prefix: prefix ?? words.last!, parameters: parameters)
    }

    func testFlags() {
        XCTAssertEqual(complete(["collapse", "simulate", ""]), ["--samples", "--engine", "--regimes", "--test-noise", "--data", "--bandwidth"])
        XCTAssertEqual(complete(["collapse", "simulate", "--s"]), ["--samples"])
        // A single-valued flag already given is not offered again; an axis or list may be (the last counts anyway).
        XCTAssertEqual(
            complete(["collapse", "simulate", "--engine", "literal", "--samples", "5", "--"]),
            ["--samples", "--regimes", "--test-noise", "--data", "--bandwidth"])
        // After a switch (which needs no value), the flags again.
        XCTAssertEqual(complete(["collapse", "simulate", "--test-noise", "--e"]), ["--engine"])
    }

    func testValues() {
        XCTAssertEqual(complete(["collapse", "simulate", "--engine", ""]), ["literal", "sufficient"])
        XCTAssertEqual(complete(["collapse", "simulate", "--regimes", "acc"]), ["accumulate", "accumulate-subsample"])
        // A list: the item after the last comma, the items before it kept.
        XCTAssertEqual(complete(["collapse", "simulate", "--regimes", "replace,accumulate-"]), ["replace,accumulate-subsample"])
        // Numbers and free text: nothing to offer.
        XCTAssertEqual(complete(["collapse", "simulate", "--samples", ""]), [])
        XCTAssertEqual(complete(["collapse", "simulate", "--bandwidth", ""]), [])
        // The word being completed need not be the last one.
        XCTAssertEqual(
            ParameterCompletion.candidates(
                words: ["collapse", "x", "--engine", "s", "--samples", "3"], index: 3, prefix: "s",
                parameters: parameters), ["sufficient"])
    }

    func testFilePaths() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("completion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("runs"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["train.csv", "test.csv", ".hidden.csv"] {
            try Data().write(to: dir.appendingPathComponent(name))
        }
        let base = dir.path + "/"
        XCTAssertEqual(complete(["collapse", "generative", "--data", base]), [base + "runs/", base + "test.csv", base + "train.csv"])
        XCTAssertEqual(complete(["collapse", "generative", "--data", base + "t"]), [base + "test.csv", base + "train.csv"])
        XCTAssertEqual(complete(["collapse", "generative", "--data", base + "."]), [base + ".hidden.csv"])
        XCTAssertEqual(ParameterCompletion.paths(completing: base + "nothing-here/x"), [])
    }

    /// `--help` shows a file parameter's value as `<file>`.
    func testHelpNamesFiles() {
        let help = ParameterFlags.help(parameters)
        XCTAssertTrue(help.contains("--data <file>  A data file."), help)
        XCTAssertTrue(help.contains("--bandwidth <text>  A rule or a number."), help)
    }
}
