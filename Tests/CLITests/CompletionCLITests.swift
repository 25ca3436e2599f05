import CollapseCore
import CollapsePlot
import CollapseSweep
import CollapseTheory
import ExperimentEngine
import ExternalTrainer
import Foundation
import GenerativeChains
import LinearCollapse
import NeuralCollapse
import XCTest

/// Shell completions: the generated bash, zsh and fish scripts carry every enumerated value from
/// the libraries' own lists, and the family parameter flags (which argument-parser cannot see)
/// are completed by calling back into the binary, from the families' parameter lists.
final class CompletionCLITests: CLITestCase {
    /// The enumerated option values, each from the list the code checks against.
    static let enumerated: [(what: String, values: [String])] = [
        ("plot --view", PlotRequest.views),
        ("plot --format", FigureFormat.allCases.map(\.rawValue)),
        ("plot --y-range", PanelGridOptions.YRange.allCases.map(\.rawValue)),
        ("sweep --experiment", Experiments.all.map(\.name)),
        ("data DATASET", DataExport.datasets.map(\.name)),
        ("neural bench --preset", NeuralPreset.allCases.map(\.rawValue)),
        ("reproduce --engine", Engine.allCases.map(\.rawValue)),
        ("verify --only", VerificationSuite.allIDs),
        ("verify --format", VerificationFamily.ReportFormat.allCases.map(\.rawValue))
    ]

    func testScriptsCarryTheEnumeratedValues() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try collapse("--generate-completion-script", shell)
            assertSuccess(r, shell)
            for (what, values) in Self.enumerated {
                XCTAssertFalse(values.isEmpty, what)
                for value in values {
                    XCTAssertTrue(r.stdout.contains(value), "\(shell): \(what) value '\(value)' is not in the completion script")
                }
            }
            // Every subcommand, and file completion for the config files and results.
            for command in [
                "theory", "simulate", "sweep", "merge", "plot", "verify", "reproduce", "generative", "neural", "external", "data",
                "lm", "vae", "diffusion", "bench"
            ] {
                XCTAssertTrue(r.stdout.contains(command), "\(shell): no subcommand \(command)")
            }
            XCTAssertTrue(r.stdout.contains("toml"), "\(shell): --config completes .toml files")
            // The family parameters are completed by the binary, not listed in the script.
            XCTAssertTrue(r.stdout.contains("---completion simulate -- positional@0"), "\(shell): simulate's parameters call back")
            XCTAssertTrue(r.stdout.contains("---completion theory -- positional@0"), "\(shell): theory's parameters call back")
        }
    }

    /// `collapse ---completion CMD… -- ARG INDEX CURSOR WORDS…`, as the scripts call it.
    func complete(_ path: [String], argument: String = "positional@0", _ words: [String]) throws -> [String] {
        let word = words.last!
        let r = try collapse(arguments: ["---completion"] + path + ["--", argument, String(words.count - 1), String(word.count)] + words)
        assertSuccess(r, words.joined(separator: " "))
        return r.stdout.split(separator: "\n").map(String.init)
    }

    func testFamilyParametersAndTheirValues() throws {
        // Every flag of the family, from its parameter list.
        XCTAssertEqual(Set(try complete(["simulate"], ["collapse", "simulate", "--"])), Set(LinearFamily().parameters.map(\.flag)))
        XCTAssertEqual(Set(try complete(["generative"], ["collapse", "generative", "--"])), Set(GenerativeFamily().parameters.map(\.flag)))
        XCTAssertEqual(Set(try complete(["external"], ["collapse", "external", "--"])), Set(ExternalFamily().parameters.map(\.flag)))
        XCTAssertEqual(
            Set(try complete(["neural", "vae"], ["collapse", "neural", "vae", "--"])),
            Set(NeuralFamily().parameters.map(\.flag)).subtracting(["--model", "--temperature"]))
        XCTAssertTrue(try complete(["neural", "lm"], ["collapse", "neural", "lm", "--"]).contains("--temperature"))
        // theory's parameters are TheoryRequest's list, completed the same way.
        XCTAssertEqual(Set(try complete(["theory"], ["collapse", "theory", "--"])), Set(TheoryRequest.parameters.map(\.flag)))
        XCTAssertEqual(try complete(["theory"], ["collapse", "theory", "--model", ""]), TheoryCatalogue.models.map(\.name))
        XCTAssertEqual(try complete(["theory"], ["collapse", "theory", "--format", ""]), TheoryRequest.formats)
        XCTAssertEqual(try complete(["theory"], ["collapse", "theory", "--estimator", ""]), TheoryRequest.estimators)
        XCTAssertEqual(try complete(["theory"], ["collapse", "theory", "--spectrum", ""]), ChainOptions.Spectrum.names)
        XCTAssertEqual(
            try complete(["theory"], ["collapse", "theory", "--regimes", "replace,"]),
            (ClosedFormRegime.allCases.map(\.rawValue) + ["fresh-real"]).map { "replace," + $0 })
        // After a flag with enumerated values: those values.
        XCTAssertEqual(try complete(["simulate"], ["collapse", "simulate", "--dimension", "5", "--regimes", ""]), Regime.names)
        XCTAssertEqual(try complete(["simulate"], ["collapse", "simulate", "--regimes", "replace,fr"]), ["replace,fresh-real"])
        XCTAssertEqual(try complete(["simulate"], ["collapse", "simulate", "--engine", ""]), Engine.allCases.map(\.rawValue))
        XCTAssertEqual(try complete(["simulate"], ["collapse", "simulate", "--design", ""]), DesignMode.allCases.map(\.rawValue))
        XCTAssertEqual(try complete(["generative"], ["collapse", "generative", "--dataset", ""]), GenerativeFamily.datasets.map(\.name))
        XCTAssertEqual(try complete(["generative"], ["collapse", "generative", "--model", ""]), GenerativeFamily.models.map(\.name))
        XCTAssertEqual(try complete(["neural", "lm"], ["collapse", "neural", "lm", "--preset", ""]), NeuralPreset.allCases.map(\.rawValue))
        // A file parameter: the paths.
        try Data().write(to: work.appendingPathComponent("points.csv"))
        XCTAssertEqual(try complete(["generative"], ["collapse", "generative", "--data", "po"]), ["points.csv"])
        // data: the dataset is positional 0, its options positional 1.
        XCTAssertEqual(
            Set(try complete(["data"], argument: "positional@1", ["collapse", "data", "moons", "--"])),
            Set(DataExport.parameters.map(\.flag)))
        // sweep: the parameters of the experiment's family.
        XCTAssertEqual(
            Set(try complete(["sweep"], argument: "positional@0", ["collapse", "sweep", "--experiment", "kde-moons-samples", "--"])),
            Set(GenerativeFamily().parameters.map(\.flag)))
        XCTAssertEqual(Set(try complete(["sweep"], argument: "positional@0", ["collapse", "sweep", "--"])), Set(LinearFamily().parameters.map(\.flag)))
    }
}

/// The man page and the install script.
final class ManualPageCLITests: CLITestCase {
    var repo: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// Runs `executable arguments…` in the work directory: exit status, stdout, stderr.
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> (
        status: Int32, out: String, err: String
    ) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable] + arguments
        p.currentDirectoryURL = work
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = root.appendingPathComponent("out-\(UUID().uuidString)"), err = root.appendingPathComponent("err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        if let input {
            let file = root.appendingPathComponent("in-\(UUID().uuidString)")
            try input.write(to: file, atomically: true, encoding: .utf8)
            p.standardInput = try FileHandle(forReadingFrom: file)
        }
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    /// Every visible command's path and long option names, from argument-parser's description of the tree.
    func commandTree() throws -> [(path: [String], options: [String])] {
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try collapse("--experimental-dump-help").stdout.utf8)) as? [String: Any])
        var out: [([String], [String])] = []
        func walk(_ c: [String: Any], _ path: [String]) {
            guard c["shouldDisplay"] as? Bool ?? true, c["commandName"] as? String != "help" else { return }
            let options = (c["arguments"] as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool ?? true }
                .flatMap { ($0["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "long" }.map { $0["name"] as! String } }
            out.append((path, options))
            for s in c["subcommands"] as? [[String: Any]] ?? [] { walk(s, path + [s["commandName"] as! String]) }
        }
        walk(try XCTUnwrap(json["command"] as? [String: Any]), ["collapse"])
        return out
    }

    func testManPageNamesEveryCommandAndOption() throws {
        let r = try collapse(arguments: ["generate-manual"], environment: ["SOURCE_DATE_EPOCH": "86400"])
        assertSuccess(r, "generate-manual")
        let page = r.stdout
        XCTAssertTrue(page.hasPrefix(".TH \"COLLAPSE\" 1 \"1970\\-01\\-02\" \"collapse "), String(page.prefix(200)))
        let tree = try commandTree()
        XCTAssertGreaterThan(tree.count, 15)
        for (path, options) in tree {
            if path.count > 1 { XCTAssertTrue(page.contains(".SS \"\(path.joined(separator: " "))\"\n"), "no section for \(path)") }
            for o in options {
                XCTAssertTrue(page.contains("\\fB\\-\\-" + o.replacingOccurrences(of: "-", with: "\\-") + "\\fR"), "\(path): --\(o) missing")
            }
        }
        // The formulas keep their characters (argument-parser's plugin drops them).
        XCTAssertTrue(page.contains("T ≥ d + 2"), "the theory command's condition lost its ≥")
        XCTAssertFalse(page.contains("generate\\-manual"), "the hidden command is not documented")
        // groff reads it without a warning; options render as typed.
        let g = try run("groff", ["-K", "utf8", "-man", "-Tutf8", "-ww", "-P-bou", "-rLL=250n", "-"], environment: [:], input: page)
        XCTAssertEqual(g.status, 0, g.err)
        XCTAssertEqual(g.err, "", "groff warnings")
        XCTAssertTrue(g.out.contains("--noise-variance"), "flags render with ASCII dashes")
        XCTAssertTrue(g.out.contains("T ≥ d + 2"))
    }

    func testInstallScriptInstallsIntoAPrefixIdempotently() throws {
        let script = repo.appendingPathComponent("scripts/install-completions.sh").path
        let binary = try CLIHarness.binary().path
        let prefix = work.appendingPathComponent("prefix")
        let env = ["SOURCE_DATE_EPOCH": "86400"]
        let first = try run("bash", [script, "--prefix", prefix.path, "--binary", binary], environment: env)
        XCTAssertEqual(first.status, 0, first.err)
        let files = [
            "share/bash-completion/completions/collapse": ["--generate-completion-script", "bash"],
            "share/zsh/site-functions/_collapse": ["--generate-completion-script", "zsh"],
            "share/fish/vendor_completions.d/collapse.fish": ["--generate-completion-script", "fish"],
            "share/man/man1/collapse.1": ["generate-manual"]
        ]
        for (file, arguments) in files {
            let installed = try String(contentsOf: prefix.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(installed, try collapse(arguments: arguments, environment: env).stdout, file)
            XCTAssertTrue(first.out.contains("installed: \(prefix.path)/\(file)"), first.out)
        }
        // Again: nothing to do.
        let second = try run("bash", [script, "--prefix", prefix.path, "--binary", binary], environment: env)
        XCTAssertEqual(second.status, 0, second.err)
        XCTAssertEqual(second.out.split(separator: "\n").filter { $0.hasPrefix("up to date: ") }.count, files.count, second.out)
        XCTAssertFalse(second.out.contains("installed:"), second.out)
        // A bad option: exit 64, naming it and what is allowed.
        let bad = try run("bash", [script, "--prefx", "x"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.err.contains("'--prefx'") && bad.err.contains("--prefix DIR"), bad.err)
    }
}
