import CollapseCore
import CollapseSweep
import CollapseTheory
import ExperimentEngine
import ExternalTrainer
import Foundation
import GenerativeChains
import LinearCollapse
import NeuralCollapse
import XCTest

/// The help is true to the code: every regime, model, dataset, preset, check id and config key
/// the help lists exists, and every one that exists is listed. The lists come from the libraries
/// (the `Parameter` lists, `Regime.names`, the catalogues), the texts from the binary's own
/// `--help` and `--list` output.
final class HelpConsistencyTests: CLITestCase {
    func help(_ arguments: String...) throws -> String {
        let r = try collapse(arguments: arguments + ["--help"])
        assertSuccess(r, arguments.joined(separator: " "))
        return r.stdout
    }

    func output(_ arguments: String...) throws -> String {
        let r = try collapse(arguments: arguments)
        assertSuccess(r, arguments.joined(separator: " "))
        return r.stdout
    }

    /// The help text with argument-parser's line wrapping undone (runs of spaces and newlines → one space).
    func flat(_ s: String) -> String { s.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ") }

    /// The comma-separated list (the last item may follow "or") in `text` after `marker`, up to the first of `terminators`.
    func list(
        in text: String, after marker: String, upTo terminators: [String] = [".", " ("], file: StaticString = #filePath,
        line: UInt = #line
    ) -> [String] {
        guard let start = text.range(of: marker)?.upperBound else {
            XCTFail("'\(marker)' not in the help", file: file, line: line)
            return []
        }
        var rest = text[start...]
        for t in terminators { if let r = rest.range(of: t) { rest = rest[..<r.lowerBound] } }
        return rest.replacingOccurrences(of: " or ", with: ", ").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The family commands: each lists every parameter of its family as a flag, and every value
    /// of an enumerated parameter.
    func testFamilyCommandsListEveryParameterAndValue() throws {
        let neural = { (model: String) in NeuralFamily().parameters.filter { $0.key != "model" && ($0.key != "temperature" || model == "lm") } }
        let commands: [([String], [Parameter])] = [
            (["simulate"], LinearFamily().parameters), (["generative"], GenerativeFamily().parameters), (["external"], ExternalFamily().parameters),
            (["neural", "lm"], neural("lm")), (["neural", "vae"], neural("vae")), (["neural", "diffusion"], neural("diffusion")),
            (["data"], DataExport.parameters), (["theory"], TheoryRequest.parameters)
        ]
        for (command, parameters) in commands {
            let r = try collapse(arguments: command + ["--help"])
            assertSuccess(r, command.joined(separator: " "))
            let text = flat(r.stdout)
            for p in parameters {
                XCTAssertTrue(text.contains(p.flag + " "), "\(command): --help does not list \(p.flag)")
                guard case let .choice(names) = p.kind else { continue }
                // The parameter's own entry: from its flag to the next flag entry.
                let entry = flat(ParameterFlags.help([p]))
                XCTAssertTrue(text.contains(entry), "\(command): the entry of \(p.flag) is not its parameter's help")
                for name in names where !(names == ["false", "true"]) {
                    XCTAssertTrue(entry.contains(name), "\(command) --help: \(p.flag) does not list its value '\(name)': \(entry)")
                }
            }
        }
    }

    /// Regimes: the list each family's help gives is exactly the regimes it accepts.
    func testRegimes() throws {
        for command in ["simulate", "generative", "external"] {
            XCTAssertEqual(list(in: flat(try help(command)), after: "Comma-separated regimes: "), Regime.names, command)
        }
        XCTAssertEqual(list(in: flat(try help("neural", "lm")), after: "Comma-separated regimes: "), NeuralFamily.regimeNames)
        XCTAssertEqual(
            list(in: flat(try help("theory")), after: "Regimes with a closed form: "),
            ClosedFormRegime.allCases.map(\.rawValue))
    }

    /// Models: theory's --model help and --list, generative's --list, neural's subcommands.
    func testModels() throws {
        let theory = TheoryCatalogue.models.map(\.name)
        XCTAssertEqual(list(in: flat(try help("theory")), after: "Which chain: "), theory)
        XCTAssertEqual(try output("theory", "--list").split(separator: "\n").map { String($0.prefix { $0 != " " }) }, theory)
        let generative = try output("generative", "--list")
        let sections = generative.components(separatedBy: "datasets (--dataset):\n")
        XCTAssertEqual(sections.count, 2, generative)
        func names(_ s: String) -> [String] { s.split(separator: "\n").filter { $0.hasPrefix("  ") }.map { String($0.dropFirst(2).prefix { $0 != " " }) } }
        XCTAssertEqual(names(sections[0]), GenerativeFamily.models.map(\.name))
        XCTAssertEqual(names(sections[1]), GenerativeFamily.datasets.map(\.name))
        XCTAssertEqual(list(in: flat(try help("generative")), after: "--model <name> The model: "), GenerativeFamily.models.map(\.name))
        let neural = flat(try help("neural"))
        for model in NeuralFamily.models { XCTAssertTrue(neural.contains(" \(model) "), "neural --help: no subcommand \(model)") }
    }

    /// Datasets: `data --list` and `data --help` name exactly the exportable datasets.
    func testDatasets() throws {
        let listed = try output("data", "--list").split(separator: "\n").filter { !$0.hasPrefix("   ") }.map { String($0.dropFirst(2).prefix { $0 != " " }) }
        XCTAssertEqual(listed, DataExport.datasets.map(\.name))
        let text = flat(try help("data"))
        for d in DataExport.datasets { XCTAssertTrue(text.contains(d.name), "data --help does not name \(d.name)") }
    }

    /// Presets: `neural bench --preset` and the model commands' `--preset`.
    func testPresets() throws {
        let presets = NeuralPreset.allCases.map(\.rawValue)
        XCTAssertEqual(list(in: flat(try help("neural", "bench")), after: "Model sizes: "), presets)
        XCTAssertTrue(flat(try help("neural", "vae")).contains("--preset <" + presets.joined(separator: "|") + ">"))
    }

    /// Check ids: `verify --list` names each once, and the ranges `verify --help` gives cover exactly them.
    func testCheckIDs() throws {
        let ids = VerificationSuite.allIDs
        XCTAssertEqual(Set(ids).count, ids.count, "a check id is used twice: \(ids)")
        XCTAssertEqual(try output("verify", "--list").split(separator: "\n").map { String($0.prefix { $0 != " " }) }, ids)
        let text = flat(try help("verify"))
        let pattern = try NSRegularExpression(pattern: #"\b([A-Z])(\d+)(?:–([A-Z])(\d+))?\b"#)
        var named = Set<String>()
        for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let g = { (i: Int) in Range(m.range(at: i), in: text).map { String(text[$0]) } }
            let letter = g(1)!, from = Int(g(2)!)!
            let to = g(4).map { Int($0)! } ?? from
            for i in from...to { named.insert("\(letter)\(i)") }
        }
        // Proof ids (T1, L1, D1, …) share the notation; the check ids are those of a battery.
        let proofs = named.subtracting(ids)
        XCTAssertTrue(Set(ids).isSubset(of: named), "verify --help does not name \(Set(ids).subtracting(named).sorted())")
        for id in proofs {
            XCTAssertTrue(
                text.contains("proof \(id)") || text.contains("proofs \(id)") || text.contains(", \(id)") || text.contains("(\(id))"),
                "verify --help names \(id), which is no check (and not cited as a proof)")
        }
    }

    /// Config keys: sweep's help names the families a config may name, the metadata keys, and
    /// parameter keys that exist.
    func testSweepConfigKeys() throws {
        let text = flat(try help("sweep"))
        let families = list(in: text, after: "family = ", upTo: [" (default"]).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        XCTAssertEqual(families, Families.all.map(\.name))
        for key in ExperimentSpec.metadataKeys { XCTAssertTrue(text.contains(key), "sweep --help does not name the config key \(key)") }
        let keys = Set(Families.all.flatMap { $0.parameters.map(\.key) })
        let examples = list(in: text, after: "e.g. ", upTo: ["; lists"])
        XCTAssertFalse(examples.isEmpty)
        for key in examples { XCTAssertTrue(keys.contains(key), "sweep --help names config key \(key), which no family has") }
        // The linear family's engine and design are config keys too.
        XCTAssertTrue(examples.contains("engine") && examples.contains("design"), text)
    }

    /// Every `--flag` any help mentions is an option of some command or a parameter of some family.
    func testEveryFlagMentionedExists() throws {
        let dump = try output("--experimental-dump-help")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any])
        var options = Set(["--help", "--version", "--generate-completion-script"])
        var commands: [[String]] = []
        func walk(_ command: [String: Any], path: [String]) {
            commands.append(path)
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                    options.insert("--" + (name["name"] as! String))
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, path: path + [sub["commandName"] as! String]) }
        }
        walk(try XCTUnwrap(json["command"] as? [String: Any]), path: [])
        options.formUnion(Families.all.flatMap { $0.parameters.map(\.flag) } + DataExport.parameters.map(\.flag) + TheoryRequest.parameters.map(\.flag))
        // The placeholder of the parameter flags (`--parameter value`), and the arguments collapse
        // passes to an external trainer's steps, which `external --help` describes (docs/trainer-protocol.md).
        options.insert("--parameter")
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let protocolText = try String(contentsOf: repo.appendingPathComponent("docs/trainer-protocol.md"), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]"#)
        XCTAssertGreaterThan(commands.count, 12)
        for path in commands where path != ["help"] {
            let text = try collapse(arguments: path + ["--help"]).stdout
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let flag = String(text[Range(m.range, in: text)!])
                if path == ["external"] && protocolText.contains(flag + " ") { continue }
                XCTAssertTrue(options.contains(flag), "collapse \(path.joined(separator: " ")) --help mentions \(flag), which no command or family has")
            }
        }
    }
}
