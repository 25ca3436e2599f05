import ArgumentParser
import CollapseCore
import CollapseExport
import CollapsePlot
import ExperimentEngine
import Foundation
import LinearCollapse
import NeuralCollapse

/// `collapse neural`: deep generative models on the generation scheduler.
struct NeuralCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neural",
        abstract: "Neural generative models (transformer LM, VAE, DDPM) retrained every generation under replace/accumulate.",
        discussion: """
            Runs on the experiment engine (family "neural"; each regime's chain is one cell): --config, \
            --shard, --resume, --progress and --quiet work as for every engine command. Each generation trains the model from scratch on the regime's training set for the preset's \
            budget (--epochs: passes over the pool, so accumulate's compute grows with its pool as in the \
            paper; --steps: fixed compute per fit), \
            evaluates it on real held-out data, and samples a synthetic dataset the size of the real \
            training set for the next generation. Data are built in (story grammar, glyph images, chain-\
            molecule conformers; seeded by --seed) or read with --data. Writes results.csv, manifest.json \
            and figure.svg. BLAS runs single-threaded; --threads runs regimes in parallel, and results do \
            not depend on it. Ctrl-C (or SIGTERM) stops within one training or sampling step, keeps the \
            finished regimes' cells and, for a regime cut short, its finished generations in \
            cells/cell-NNNNN.partial.csv (manifest status "interrupted", exit status 130); --resume \
            completes the run.
            """,
        subcommands: [NeuralLMCommand.self, NeuralVAECommand.self, NeuralDiffusionCommand.self, NeuralPlotCommand.self, NeuralBenchCommand.self])
}

/// Options shared by the three model commands (their parameters are the `neural` family's, as flags).
struct NeuralOptions: ParsableArguments {
    @OptionGroup var runOptions: RunOptions

    @Option(
        name: .customLong("output"), parsing: .unconditional,
        help: "Output directory (default: results/neural-<model>; must be empty unless --resume or --force).", completion: .directory)
    var output: String?

    @Flag(name: .customLong("force"), help: "Overwrite the run files in a non-empty --output (others are kept).")
    var force = false

    @OptionGroup var engine: EngineRunOptions

    static let family = NeuralFamily()

    /// The `neural` family's parameters that `collapse neural MODEL` takes as flags: all but
    /// the model (the subcommand), and the sampling temperature only for the language model.
    static func parameters(model: String) -> [Parameter] {
        family.parameters.filter { $0.key != "model" && ($0.key != "temperature" || model == "lm") }
    }

    func frontEnd(model: String, words: [String]) throws -> EngineFrontEnd {
        var flags = try parameterFlags(words, of: Self.parameters(model: model))
        flags["model"] = model
        return try engine.frontEnd(
            family: Self.family, flags: flags, runOptions: runOptions,
            output: output ?? "results/neural-\(model)", force: force)
    }

    /// figure.svg of a neural run: its metrics' panels under the model's and preset's title.
    @discardableResult
    static func writeFigure(_ table: MetricResultsTable, model: String, preset: NeuralPreset, into dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("figure.svg")
        try AtomicFile.write(try Figure.metricPanels(table, title: NeuralFamily.figureTitle(model: model, preset: preset)), to: url)
        return url
    }

    /// Runs the model's chains on the engine, then draws figure.svg and prints the table.
    func execute(model: String, words: [String]) throws {
        let frontEnd = try frontEnd(model: model, words: words)
        NeuralCancellation.reset()
        guard let url = try frontEnd.run(command: "neural \(model)") else { return }
        let table = try MetricResultsTable(document: CSVReader.read(contentsOf: url))
        try Self.writeFigure(table, model: model, preset: Self.family.preset(frontEnd.spec), into: frontEnd.output.url)
        print(table.generationTable, terminator: "")
        print("wrote figure.svg beside it")
    }
}

struct NeuralLMCommand: ParsableCommand {
    static let parametersHelp = parameterHelp(NeuralOptions.parameters(model: "lm"))
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Byte-level transformer language model on stories; test loss = cross-entropy (nats/byte) on real held-out text.",
        discussion: "--data: a UTF-8 text file, one story per line or stories separated by blank lines (at least 10).")

    @OptionGroup var options: NeuralOptions

    @Argument(
        parsing: .allUnrecognized, help: parametersHelp,
        completion: parameterCompletion { _ in NeuralOptions.parameters(model: "lm") })
    var parameters: [String] = []

    func validate() throws { _ = try options.frontEnd(model: "lm", words: parameters) }

    func run() throws { try options.execute(model: "lm", words: parameters) }
}

/// `collapse neural bench`: training-step throughput against the sgemm peak.
struct NeuralBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Achieved FLOP/s of training steps as a fraction of single-thread sgemm peak, measured in the same run.",
        discussion: """
            FLOPs are the analytic matrix-multiply counts of a step (forward + backward); times are medians \
            over --runs steps after 2 warm-up steps; BLAS runs on one thread. Timings on a shared machine are noisy.
            """)

    @Option(
        name: .customLong("preset"), parsing: .unconditional, help: "Model sizes: \(NeuralPreset.allCases.map(\.rawValue).joined(separator: ", ")).",
        completion: .list(NeuralPreset.allCases.map(\.rawValue)))
    var preset = "small"

    @Option(name: .customLong("runs"), parsing: .unconditional, help: "Timed steps per measurement (1...1000).")
    var runs = 10

    @Option(name: .customLong("sgemm-size"), parsing: .unconditional, help: "n of the square sgemm peak measurement (64...4096).")
    var sgemmSize = 512

    @Option(
        name: .customLong("anchor"), parsing: .unconditional,
        help: "PyTorch's times for the same steps, as scripts/torch-anchor.py prints them (--preset to match); adds each step's ratio to them.",
        completion: .file())
    var anchor: String?

    @OptionGroup var display: ProgressOptions

    func validate() throws {
        _ = try display.reporter()
        guard NeuralPreset(rawValue: preset) != nil else {
            throw ValidationError("--preset: unknown preset '\(preset)'; allowed: \(NeuralPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        _ = try usage { try ListParsing.checked(runs, flag: "--runs", in: 1...1000) }
        _ = try usage { try ListParsing.checked(sgemmSize, flag: "--sgemm-size", in: 64...4096) }
        _ = try loadAnchor()
    }

    func loadAnchor() throws -> TorchAnchor? {
        guard let anchor else { return nil }
        do { return try TorchAnchor.load(path: anchor) } catch let e as TorchAnchor.FormatError {
            throw ValidationError("--anchor \(anchor): \(e)")
        }
    }

    func run() throws {
        print(
            try NeuralThroughput.report(
                preset: NeuralPreset(rawValue: preset)!, runs: runs, sgemmSize: sgemmSize, anchor: loadAnchor(),
                progress: display.reporter(.init(parts: "measurements", items: "steps"))), terminator: "")
    }
}

struct NeuralVAECommand: ParsableCommand {
    static let parametersHelp = parameterHelp(NeuralOptions.parameters(model: "vae"))
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "MLP variational auto-encoder on 28×28 images; test loss = negative ELBO (per pixel, × 2σ²) on real held-out images.",
        discussion: "--data: an uncompressed MNIST IDX image file (magic 00 00 08 03, 28×28 images).")

    @OptionGroup var options: NeuralOptions

    @Argument(
        parsing: .allUnrecognized, help: parametersHelp,
        completion: parameterCompletion { _ in NeuralOptions.parameters(model: "vae") })
    var parameters: [String] = []

    func validate() throws { _ = try options.frontEnd(model: "vae", words: parameters) }

    func run() throws { try options.execute(model: "vae", words: parameters) }
}

struct NeuralDiffusionCommand: ParsableCommand {
    static let parametersHelp = parameterHelp(NeuralOptions.parameters(model: "diffusion"))
    static let configuration = CommandConfiguration(
        commandName: "diffusion",
        abstract: "DDPM with an MLP noise predictor on molecular conformations; test loss = denoising loss on real held-out conformers.",
        discussion: """
            Extra columns: bond_length_error (Å) and torsion_tv (histogram total variation) of generated conformers. \
            --data: a multi-frame XYZ file (atom count line, comment line, 'element x y z' lines; the same atoms in every frame).
            """)

    @OptionGroup var options: NeuralOptions

    @Argument(
        parsing: .allUnrecognized, help: parametersHelp,
        completion: parameterCompletion { _ in NeuralOptions.parameters(model: "diffusion") })
    var parameters: [String] = []

    func validate() throws { _ = try options.frontEnd(model: "diffusion", words: parameters) }

    func run() throws { try options.execute(model: "diffusion", words: parameters) }
}

/// `collapse neural plot`: redraws figure.svg of a finished run from its results.csv.
struct NeuralPlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Redraw figure.svg of a neural run from its results.csv (and experiment.toml for the preset).")

    @Option(name: .customLong("input"), parsing: .unconditional, help: "The run's output directory.", completion: .directory)
    var input: String

    func run() throws {
        let dir = URL(fileURLWithPath: input)
        let table: MetricResultsTable
        do {
            table = try MetricResultsTable(document: CSVReader.read(contentsOf: dir.appendingPathComponent("results.csv")))
        } catch {
            throw ValidationError("--input \(input): \(error)")
        }
        let spec = try? ExperimentRunner.recordedSpec(in: dir, family: NeuralOptions.family)
        let figure = try NeuralOptions.writeFigure(table, model: table.rows[0].model, preset: spec.map(NeuralOptions.family.preset) ?? .small, into: dir)
        print("wrote \(figure.path)")
    }
}
