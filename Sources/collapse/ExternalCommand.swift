import ArgumentParser
import CollapseExport
import CollapsePlot
import ExperimentEngine
import ExternalTrainer
import Foundation

/// `collapse external`: any model, through the trainer protocol (docs/trainer-protocol.md), on
/// the generation scheduler and the experiment engine.
struct ExternalCommand: ParsableCommand {
    static let parametersHelp = parameterHelp(ExternalFamily().parameters)
    static let configuration = CommandConfiguration(
        commandName: "external",
        abstract: "Run your own model (any language) through the generation loop: an external trainer's fit, sample and evaluate steps.",
        discussion: """
            collapse runs `/bin/sh -c '<TRAINER> "$@"' collapse-trainer STEP ARGS…` for the steps info, \
            fit (--train TRAIN.json listing the records by reference, --model-dir, --seed), sample \
            (--model-dir, --count, --seed, --output) and evaluate (--model-dir, --test, --seed), and reads \
            one JSON object from the last line of the step's stdout (evaluate: at least test_loss). The \
            protocol is in docs/trainer-protocol.md; examples/trainers/ has a pure-Python n-gram trainer \
            and a PyTorch GPT-2-style one. Each step is committed in OUTPUT/work/ when it finishes, so \
            Ctrl-C, SIGKILL or a failed step loses only the step in progress: --resume reruns it and \
            continues (identical results for a deterministic trainer). Generation 1 is shared by every \
            regime (same data, same seed) and runs once. Lists (--generations 5,10, --samples, \
            --repeats) make a grid that shards and merges like every run.
            """)

    @Argument(parsing: .allUnrecognized, help: parametersHelp, completion: parameterCompletion { _ in ExternalFamily().parameters })
    var parameters: [String] = []

    @OptionGroup var runOptions: RunOptions

    @Option(
        name: .customLong("output"), parsing: .unconditional, help: "Output directory (default results/external; must be empty unless --resume or --force).",
        completion: .directory)
    var output = "results/external"

    @Flag(name: .customLong("force"), help: "Overwrite the run's files in a non-empty --output (others are kept).")
    var force = false

    @OptionGroup var engine: EngineRunOptions

    func flags() throws -> [String: String] { try parameterFlags(parameters, of: ExternalFamily().parameters) }

    func validate() throws {
        _ = try engine.frontEnd(family: ExternalFamily(), flags: try flags(), runOptions: runOptions, output: output, force: force)
    }

    func run() throws {
        let frontEnd = try engine.frontEnd(family: ExternalFamily(), flags: try flags(), runOptions: runOptions, output: output, force: force)
        guard let results = try frontEnd.run(command: "external") else { return }
        print(
            LongResults.summary(try CSVReader.read(contentsOf: results), generations: Set([1] + frontEnd.spec["generations"].compactMap(\.intValue))),
            terminator: "")
        do {
            let table = try MetricResultsTable(document: CSVReader.read(contentsOf: results))
            try AtomicFile.write(
                try Figure.metricPanels(table, title: "external trainer: \(frontEnd.spec.one("trainer")?.textValue ?? "")"),
                to: frontEnd.output.url.appendingPathComponent("figure.svg"))
            print("wrote figure.svg beside it")
        } catch {
            Console.note("note: no figure written: \(error)")
        }
    }
}
