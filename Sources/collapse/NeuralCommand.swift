import ArgumentParser
import CollapseCore
import CollapseExport
import Foundation
import LinearCollapse
import NeuralCollapse

/// `collapse neural`: deep generative models on the generation scheduler.
struct NeuralCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neural",
        abstract: "Neural generative models (transformer LM, VAE, DDPM) retrained every generation under replace/accumulate.",
        discussion: """
        Each generation trains the model from scratch on the regime's training set for the preset's \
        budget (--epochs: passes over the pool, so accumulate's compute grows with its pool as in the \
        paper; --steps: fixed compute per fit), \
        evaluates it on real held-out data, and samples a synthetic dataset the size of the real \
        training set for the next generation. Data are built in (story grammar, glyph images, chain-\
        molecule conformers; seeded by --seed) or read with --data. Writes results.csv, manifest.json \
        and figure.svg. BLAS runs single-threaded; --threads runs regimes in parallel, and results do \
        not depend on it. Ctrl-C (or SIGTERM) stops within one training or sampling step and \
        writes the generations already finished (manifest status "interrupted", exit status 130).
        """,
        subcommands: [NeuralLMCommand.self, NeuralVAECommand.self, NeuralDiffusionCommand.self, NeuralPlotCommand.self, NeuralBenchCommand.self])
}

/// Options shared by the three model commands.
struct NeuralOptions: ParsableArguments {
    static let allowedRegimes = ["replace", "accumulate", "accumulate-subsample"]

    @Option(name: .customLong("regimes"), parsing: .unconditional,
            help: "Comma-separated regimes: replace, accumulate, accumulate-subsample.")
    var regimes = "replace,accumulate"

    @Option(name: .customLong("generations"), parsing: .unconditional, help: "Model-fitting iterations n (1...100).")
    var generations = 5

    @Option(name: .customLong("preset"), parsing: .unconditional,
            help: "Sizes and budget: smoke (seconds; for tests), small (minutes on 2 cores), paper (the paper's sizes; days on a CPU).")
    var preset = "small"

    @Option(name: .customLong("data"), parsing: .unconditional,
            help: "Real data file instead of the built-in generator (lm: text, vae: MNIST IDX images, diffusion: multi-frame XYZ).")
    var data: String?

    @Option(name: .customLong("steps"), parsing: .unconditional,
            help: "Train every fit for this many steps whatever its pool (fixed compute per fit), overriding the preset's budget (1...10000000).")
    var steps: Int?

    @Option(name: .customLong("epochs"), parsing: .unconditional,
            help: "Train every fit for this many passes over its training pool (compute grows with an accumulating pool, as in the paper), overriding the preset's budget (a number in (0, 100000]).")
    var epochs: Double?

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("output"), parsing: .unconditional,
            help: "Output directory (default: results/neural-<model>; created if missing; may hold only a previous run's outputs unless --force).")
    var output: String?

    @Flag(name: .customLong("force"), help: "Write into --output even if it holds other files.")
    var force = false

    static let outputs = ["results.csv", "manifest.json", "figure.svg"]

    func parsedPreset() throws -> NeuralPreset {
        guard let p = NeuralPreset(rawValue: preset) else {
            throw ValidationError("--preset: unknown preset '\(preset)'; allowed: \(NeuralPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return p
    }

    func parsedRegimes() throws -> [Regime] {
        try ListParsing.regimes(regimes, allowed: Self.allowedRegimes, realFractions: [])
    }

    func validate(model: String) throws {
        _ = try parsedPreset()
        _ = try parsedRegimes()
        _ = try ListParsing.checked(generations, flag: "--generations", in: 1...100)
        _ = try budget()
        _ = try runOptions.resolvedThreads()
        _ = try runOptions.parsedSeed()
        if runOptions.maxMemory != nil {
            throw ValidationError("--max-memory: not supported by collapse neural (no memory estimate; the small presets peak below 300 MB)")
        }
        if let data, data.isEmpty { throw ValidationError("--data: empty path; expected a file") }
        try OutputDirectory(path: outputPath(model)).checkContents(owned: Self.outputs, force: force)
    }

    /// The `--steps`/`--epochs` override of the preset's budget (nil: the preset's).
    func budget() throws -> TrainingBudget? {
        switch (steps, epochs) {
        case (nil, nil): return nil
        case (.some, .some): throw ValidationError("--steps and --epochs: give at most one training budget")
        case (let k?, nil): return .steps(try ListParsing.checked(k, flag: "--steps", in: 1...10_000_000))
        case (nil, let e?):
            guard e > 0 && e <= 100_000 else {
                throw ValidationError("--epochs: \(e) is out of range; expected a number in (0, 100000]")
            }
            return .epochs(e)
        }
    }

    func outputPath(_ model: String) -> String { output ?? "results/neural-\(model)" }

    /// Runs the task's chains, then writes the CSV, manifest and figure atomically.
    func execute<M: NeuralGenerativeModel>(model: String, task: (NeuralPreset, UInt64, String?) throws -> NeuralTask<M>) throws {
        let started = Date()
        let preset = try parsedPreset()
        let regimeList = try parsedRegimes()
        let threads = try runOptions.resolvedThreads()
        let out = try OutputDirectory(path: outputPath(model))
        let seed = try runOptions.resolvedSeed()
        let t: NeuralTask<M>
        do {
            t = try task(preset, seed, data)
        } catch let e as NeuralDataError {
            throw ValidationError("--data \(e.description)")
        }
        if preset == .paper {
            Console.note("note: --preset paper uses the paper's sizes; on a CPU this runs for days (see README)")
        }
        NeuralCancellation.reset()
        Interruption.install()
        let result = try NeuralExperiment.run(
            regimes: regimeList, generations: generations, threads: threads, seed: seed, realData: t.train,
            makeModel: t.make, progress: { Console.note($0) })
        let wall = Date().timeIntervalSince(started)
        if result.interrupted && result.rows.isEmpty {
            Console.note("interrupted before any generation finished; nothing written")
            throw ExitCode(130)
        }
        let table = NeuralResults.table(result.rows, metricNames: result.metricNames)
        let title = NeuralFigure.title(model: model, preset: preset)
        let svg = NeuralFigure.render(rows: result.rows, metricNames: result.metricNames, title: title)
        var parameters: [(String, JSONValue)] = [
            ("model", .string(model)), ("preset", .string(preset.rawValue)),
            ("generations", .int(generations)), ("regimes", regimeJSON(regimeList)),
            ("blas_threads", .int(1)),
            ("regime_seconds", .array(zip(regimeList, result.seconds).map { r, s in
                .object([("regime", .string(r.name)), ("seconds", .double((s * 100).rounded() / 100))]) })),
        ]
        parameters += t.parameters.map { ($0.0, JSONValue.string($0.1)) }
        let manifest = RunManifest(command: "neural \(model)", arguments: CommandLine.arguments, seed: seed, threads: threads,
                                   wallSeconds: wall, startedAt: started, parameters: parameters,
                                   outputs: ["results.csv", "figure.svg"], status: result.interrupted ? "interrupted" : "complete", environment: RunEnvironment.entries)
        try out.write([("results.csv", table.rendered()), ("figure.svg", svg),
                       ("manifest.json", manifest.json().rendered() + "\n")])
        if result.interrupted {
            Console.note("interrupted: kept \(result.rows.count) row(s), the generations finished before the signal, in " +
                         "\(out.url.path)/results.csv (manifest status \"interrupted\"); the generation in progress was abandoned")
            throw ExitCode(130)
        }
        printSummary(result.rows, metricNames: result.metricNames)
        print("wrote \(result.rows.count) rows to \(out.url.appendingPathComponent("results.csv").path) " +
              "(manifest.json and figure.svg beside it) in \(String(format: "%.1f", wall)) s")
    }

    func printSummary(_ rows: [NeuralResultRow], metricNames: [String]) {
        print(pad("regime", 22) + pad("gen", 6) + pad("test_loss", 14) + metricNames.map { pad($0, 18) }.joined())
        for r in rows {
            print(pad(r.regime.description, 22) + pad(String(r.generation), 6) + pad(fmt(r.testLoss), 14) +
                  r.metrics.map { pad(fmt($0), 18) }.joined())
        }
    }
}

/// The tidy results table: `model,regime,generation,test_loss,<metrics…>`.
enum NeuralResults {
    static func table(_ rows: [NeuralResultRow], metricNames: [String]) -> CSVTable {
        var t = CSVTable(header: ["model", "regime", "generation", "test_loss"] + metricNames)
        for r in rows {
            t.append([r.model, r.regime.name, String(r.generation), CSVField.number(r.testLoss)] + r.metrics.map { CSVField.number($0) })
        }
        return t
    }
}

struct NeuralLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Byte-level transformer language model on stories; test loss = cross-entropy (nats/byte) on real held-out text.",
        discussion: "--data: a UTF-8 text file, one story per line or stories separated by blank lines (at least 10).")

    @OptionGroup var options: NeuralOptions

    @Option(name: .customLong("temperature"), parsing: .unconditional, help: "Sampling temperature τ in (0, 10] (default 1).")
    var temperature: Double?

    func validate() throws {
        try options.validate(model: "lm")
        if let t = temperature, !(t > 0 && t <= 10) {
            throw ValidationError("--temperature: \(t) is out of range; expected a number in (0, 10]")
        }
    }

    func run() throws {
        try options.execute(model: "lm") { preset, seed, data in
            try LanguageModelTask.make(preset, seed: seed, dataPath: data, temperature: temperature, budget: options.budget())
        }
    }
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
        _ = try ListParsing.checked(runs, flag: "--runs", in: 1...1000)
        _ = try ListParsing.checked(sgemmSize, flag: "--sgemm-size", in: 64...4096)
    }

    func run() throws {
        let p = NeuralPreset(rawValue: preset)!
        let peak = NeuralThroughput.sgemmPeak(n: sgemmSize, runs: max(5, runs))
        let steps = try NeuralThroughput.steps(preset: p, runs: runs)
        print(pad("measurement", 22) + pad("GFLOP/step", 14) + pad("median ms", 12) + pad("GFLOP/s", 10) + pad("of peak", 9))
        for m in [peak] + steps {
            print(pad(m.name, 22) + pad(String(format: "%.4f", m.flops / 1e9), 14) + pad(String(format: "%.3f", m.medianSeconds * 1e3), 12) +
                  pad(String(format: "%.2f", m.flopsPerSecond / 1e9), 10) + pad(String(format: "%.1f%%", 100 * m.flopsPerSecond / peak.flopsPerSecond), 9))
        }
        print("(lm: median of \(runs) steps; vae, diffusion: median of 3 fits of \(runs) steps, per step; sgemm: median of \(max(5, runs)) products; one BLAS thread)")
    }
}

struct NeuralVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "MLP variational auto-encoder on 28×28 images; test loss = negative ELBO (per pixel, × 2σ²) on real held-out images.",
        discussion: "--data: an uncompressed MNIST IDX image file (magic 00 00 08 03, 28×28 images).")

    @OptionGroup var options: NeuralOptions

    func validate() throws { try options.validate(model: "vae") }

    func run() throws {
        try options.execute(model: "vae") { preset, seed, data in try VAETask.make(preset, seed: seed, dataPath: data, budget: options.budget()) }
    }
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

    func validate() throws { try options.validate(model: "diffusion") }

    func run() throws {
        try options.execute(model: "diffusion") { preset, seed, data in try DiffusionTask.make(preset, seed: seed, dataPath: data, budget: options.budget()) }
    }
}

/// `collapse neural plot`: redraws figure.svg of a finished run from its results.csv.
struct NeuralPlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Redraw figure.svg of a neural run from its results.csv (and manifest.json for the preset).")

    @Option(name: .customLong("input"), parsing: .unconditional, help: "The run's output directory.")
    var input: String

    func run() throws {
        let dir = URL(fileURLWithPath: input)
        let csvURL = dir.appendingPathComponent("results.csv")
        let doc: CSVDocument
        do { doc = try CSVReader.read(contentsOf: csvURL) } catch { throw ValidationError("--input \(input): \(error)") }
        guard Array(doc.header.prefix(4)) == ["model", "regime", "generation", "test_loss"] else {
            throw ValidationError("--input \(csvURL.path): header \(doc.header.joined(separator: ",")) is not a neural results table (model,regime,generation,test_loss,…)")
        }
        var rows: [NeuralResultRow] = []
        for (k, r) in doc.rows.enumerated() {
            guard r.count == doc.header.count, let regime = Regime.named(r[1], realFraction: 0), let g = Int(r[2]),
                  let values = Optional(r[3...].map { Double($0) }), values.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--input \(csvURL.path): line \(doc.lines[k]): not a neural results row")
            }
            rows.append(NeuralResultRow(model: r[0], regime: regime, generation: g, testLoss: values[0]!, metrics: values.dropFirst().map { $0! }))
        }
        guard let model = rows.first?.model else { throw ValidationError("--input \(csvURL.path): no rows") }
        var preset = NeuralPreset.small
        if let data = try? Data(contentsOf: dir.appendingPathComponent("manifest.json")),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let parameters = object["parameters"] as? [String: Any], let p = parameters["preset"] as? String,
           let parsed = NeuralPreset(rawValue: p) {
            preset = parsed
        }
        let svg = NeuralFigure.render(rows: rows, metricNames: Array(doc.header.dropFirst(4)), title: NeuralFigure.title(model: model, preset: preset))
        try AtomicFile.write(svg, to: dir.appendingPathComponent("figure.svg"))
        print("wrote \(dir.appendingPathComponent("figure.svg").path)")
    }
}
