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

/// Options shared by the three model commands: the `neural` family's parameters as flags.
struct NeuralOptions: ParsableArguments {
    @Option(name: .customLong("regimes"), parsing: .unconditional,
            help: "Comma-separated regimes: replace, accumulate, accumulate-subsample (default replace,accumulate; each is one cell).")
    var regimes: String?

    @Option(name: .customLong("generations"), parsing: .unconditional, help: "Model-fitting iterations n (1...100; default 5); a comma-separated list runs one cell per value.")
    var generations: String?

    @Option(name: .customLong("preset"), parsing: .unconditional,
            help: "Sizes and budget: smoke (seconds; for tests), small (minutes on 2 cores; the default), paper (the paper's sizes; days on a CPU).")
    var preset: String?

    @Option(name: .customLong("data"), parsing: .unconditional,
            help: "Real data file instead of the built-in generator (lm: text, vae: MNIST IDX images, diffusion: multi-frame XYZ).")
    var data: String?

    @Option(name: .customLong("steps"), parsing: .unconditional,
            help: "Train every fit for this many steps whatever its pool (fixed compute per fit), overriding the preset's budget (1...10000000; comma-separated for several cells).")
    var steps: String?

    @Option(name: .customLong("epochs"), parsing: .unconditional,
            help: "Train every fit for this many passes over its training pool (compute grows with an accumulating pool, as in the paper), overriding the preset's budget (a number in (0, 100000]; comma-separated for several cells).")
    var epochs: String?

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("output"), parsing: .unconditional,
            help: "Output directory (default: results/neural-<model>; must be empty unless --resume or --force).")
    var output: String?

    @Flag(name: .customLong("force"), help: "Overwrite the run files in a non-empty --output (others are kept).")
    var force = false

    @OptionGroup var engine: EngineRunOptions

    static let family = NeuralFamily()

    func frontEnd(model: String, extra: [String: String] = [:]) throws -> EngineFrontEnd {
        let given: [(String, String?)] = [("model", model), ("regimes", regimes), ("generations", generations), ("preset", preset),
                                          ("data", data), ("steps", steps), ("epochs", epochs)]
        var flags = extra
        for (k, v) in given { if let v { flags[k] = v } }
        return try engine.frontEnd(family: Self.family, flags: flags, runOptions: runOptions,
                                   output: output ?? "results/neural-\(model)", force: force)
    }

    /// Runs the model's chains on the engine, then draws figure.svg and prints the table.
    func execute(model: String, extra: [String: String] = [:]) throws {
        let frontEnd = try frontEnd(model: model, extra: extra)
        NeuralCancellation.reset()
        guard let url = try frontEnd.run(command: "neural \(model)") else { return }
        let table = try MetricResultsTable(document: CSVReader.read(contentsOf: url))
        try AtomicFile.write(try Figure.metricPanels(table, title: NeuralFamily.figureTitle(model: model, preset: Self.family.preset(frontEnd.spec))),
                             to: frontEnd.output.url.appendingPathComponent("figure.svg"))
        let metrics = table.rows.reduce(into: [String]()) { if !$0.contains($1.metric) { $0.append($1.metric) } }
        print(pad("regime", 22) + pad("gen", 6) + metrics.map { pad($0, 18) }.joined())
        for series in table.series {
            let rows = table.rows.filter { $0.series == series }
            for g in Array(Set(rows.map(\.generation))).sorted() {
                print(pad(series, 22) + pad(String(g), 6) + metrics.map { m in
                    pad(rows.first { $0.generation == g && $0.metric == m }.map { fmt($0.mean) } ?? "—", 18)
                }.joined())
            }
        }
        print("wrote figure.svg beside it")
    }
}

struct NeuralLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Byte-level transformer language model on stories; test loss = cross-entropy (nats/byte) on real held-out text.",
        discussion: "--data: a UTF-8 text file, one story per line or stories separated by blank lines (at least 10).")

    @OptionGroup var options: NeuralOptions

    @Option(name: .customLong("temperature"), parsing: .unconditional, help: "Sampling temperature τ in (0, 10] (default 1; comma-separated for several cells).")
    var temperature: String?

    var extra: [String: String] { temperature.map { ["temperature": $0] } ?? [:] }

    func validate() throws { _ = try options.frontEnd(model: "lm", extra: extra) }

    func run() throws { try options.execute(model: "lm", extra: extra) }
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

    @Option(name: .customLong("preset"), parsing: .unconditional, help: "Model sizes: smoke, small or paper.")
    var preset = "small"

    @Option(name: .customLong("runs"), parsing: .unconditional, help: "Timed steps per measurement (1...1000).")
    var runs = 10

    @Option(name: .customLong("sgemm-size"), parsing: .unconditional, help: "n of the square sgemm peak measurement (64...4096).")
    var sgemmSize = 512

    func validate() throws {
        guard NeuralPreset(rawValue: preset) != nil else {
            throw ValidationError("--preset: unknown preset '\(preset)'; allowed: \(NeuralPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        _ = try usage { try ListParsing.checked(runs, flag: "--runs", in: 1...1000) }
        _ = try usage { try ListParsing.checked(sgemmSize, flag: "--sgemm-size", in: 64...4096) }
    }

    func run() throws {
        print(try NeuralThroughput.report(preset: NeuralPreset(rawValue: preset)!, runs: runs, sgemmSize: sgemmSize), terminator: "")
    }
}

struct NeuralVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "MLP variational auto-encoder on 28×28 images; test loss = negative ELBO (per pixel, × 2σ²) on real held-out images.",
        discussion: "--data: an uncompressed MNIST IDX image file (magic 00 00 08 03, 28×28 images).")

    @OptionGroup var options: NeuralOptions

    func validate() throws { _ = try options.frontEnd(model: "vae") }

    func run() throws { try options.execute(model: "vae") }
}

struct NeuralDiffusionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffusion",
        abstract: "DDPM with an MLP noise predictor on molecular conformations; test loss = denoising loss on real held-out conformers.",
        discussion: """
        Extra columns: bond_length_error (Å) and torsion_tv (histogram total variation) of generated conformers. \
        --data: a multi-frame XYZ file (atom count line, comment line, 'element x y z' lines; the same atoms in every frame).
        """)

    @OptionGroup var options: NeuralOptions

    func validate() throws { _ = try options.frontEnd(model: "diffusion") }

    func run() throws { try options.execute(model: "diffusion") }
}

/// `collapse neural plot`: redraws figure.svg of a finished run from its results.csv.
struct NeuralPlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Redraw figure.svg of a neural run from its results.csv (and experiment.toml for the preset).")

    @Option(name: .customLong("input"), parsing: .unconditional, help: "The run's output directory.")
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
        let preset = spec.map(NeuralOptions.family.preset) ?? .small
        let title = NeuralFamily.figureTitle(model: table.rows[0].model, preset: preset)
        try AtomicFile.write(try Figure.metricPanels(table, title: title), to: dir.appendingPathComponent("figure.svg"))
        print("wrote \(dir.appendingPathComponent("figure.svg").path)")
    }
}
