import ExperimentEngine
import ArgumentParser
import CollapseExport
import CollapsePlot
import CollapseSweep
import Foundation
import GenerativeChains
import LinearCollapse

/// `collapse sweep`: a grid from a config file or a named experiment, with flags overriding,
/// durable per-cell output, resume and sharding.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a parameter sweep from a config file or a named experiment; resumable and shardable.",
        discussion: """
        Values come from the defaults, then --experiment or --config (a flat TOML file; keys: name, \
        description, dimension, samples, noise_variance, generations, regimes, real_fraction, repeats, \
        seed), then the flags. Each finished cell is written durably to DIR/cells/; DIR/results.csv \
        (same schema as simulate) and DIR/manifest.json are written when all cells are done. \
        Ctrl-C abandons the current cell, keeps finished ones, marks the manifest interrupted and \
        exits 130; --resume continues. --shard I/N runs cells i with i mod N = I; `collapse merge` \
        combines shard directories into the CSV of an unsharded run, byte for byte.
        """)

    @Option(name: .customLong("config"), parsing: .unconditional, help: "Sweep definition file (flat TOML).")
    var config: String?

    @Option(name: .customLong("experiment"), parsing: .unconditional, help: "A named experiment (see --list).")
    var experiment: String?

    @Flag(name: .customLong("list"), help: "List the named experiments and exit.")
    var list = false

    @Option(name: .customLong("show"), parsing: .unconditional, help: "Print a named experiment as a config file and exit.")
    var show: String?

    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "Override: dimension(s) d, comma-separated.")
    var dimension: String?
    @Option(name: .customLong("samples"), parsing: .unconditional, help: "Override: samples per generation T, comma-separated.")
    var samples: String?
    @Option(name: .customLong("noise-variance"), parsing: .unconditional, help: "Override: noise variance(s) σ², comma-separated.")
    var noiseVariance: String?
    @Option(name: .customLong("generations"), parsing: .unconditional, help: "Override: number of model fits N.")
    var generations: Int?
    @Option(name: .customLong("regimes"), parsing: .unconditional, help: "Override: regimes, comma-separated.")
    var regimes: String?
    @Option(name: .customLong("real-fraction"), parsing: .unconditional, help: "Override: real fraction(s) for mix and fresh-real.")
    var realFraction: String?
    @Option(name: .customLong("repeats"), parsing: .unconditional, help: "Override: replicates per cell (≥ 2).")
    var repeats: Int?

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var engineOption: EngineOption
    @OptionGroup var designOption: DesignOption

    @Option(name: .customLong("output"), parsing: .unconditional, help: "Output directory (default: results/NAME).")
    var output: String?

    @Option(name: .customLong("shard"), parsing: .unconditional, help: "Run only shard I of N (I/N, 0 ≤ I < N).")
    var shard: String?

    @Flag(name: .customLong("resume"), help: "Continue the sweep recorded in --output, skipping finished cells.")
    var resume = false

    @Flag(name: .customLong("force"), help: "Overwrite the sweep files in a non-empty --output.")
    var force = false

    @Flag(name: .customLong("progress"), help: "Show the progress bar even when stderr is not a terminal.")
    var progress = false

    @Flag(name: .customLong("quiet"), help: "No progress bar.")
    var quiet = false

    /// The engine family and config of a non-linear sweep (a named engine experiment, or a config
    /// file naming `family = "…"` other than "linear"); nil for the linear sweep.
    func engineRun() throws -> (family: any ExperimentFamily, config: (text: String, file: String), name: String)? {
        if let experiment, let e = Experiments.engineNamed(experiment) {
            return (MergeCommand.families.first { $0.name == e.family }!, (e.toml, "experiment \(e.name)"), e.name)
        }
        guard let config else { return nil }
        let text = try readTextFile(config, flag: "--config")
        let entries: [FlatTOML.Entry]
        do { entries = try FlatTOML.parse(text, file: config) } catch let e as FlatTOML.ParseError { throw ValidationError("--config: \(e)") }
        guard let entry = entries.first(where: { $0.key == "family" }), case let .string(name) = entry.value, name != "linear" else { return nil }
        guard let family = MergeCommand.families.first(where: { $0.name == name }) else {
            throw ValidationError("\(config):\(entry.line): key 'family': unknown family '\(name)'; allowed: \(MergeCommand.families.map(\.name).joined(separator: ", "))")
        }
        return (family, (text, config), URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent)
    }

    /// The sweep's flags that the engine family declares; the others are refused.
    func engineFlags(_ family: any ExperimentFamily) throws -> [String: String] {
        let given: [(String, String?)] = [
            ("dimension", dimension), ("samples", samples), ("noise_variance", noiseVariance), ("generations", generations.map(String.init)),
            ("repeats", repeats.map(String.init)), ("regimes", regimes), ("real_fraction", realFraction),
            ("engine", engineOption.engine), ("design", designOption.design),
        ]
        let keys = Set(family.parameters.map(\.key))
        var out: [String: String] = [:]
        for (key, value) in given {
            guard let value else { continue }
            guard keys.contains(key) else {
                throw ValidationError("--\(key.replacingOccurrences(of: "_", with: "-")) does not apply to the \(family.name) family")
            }
            out[key] = value
        }
        return out
    }

    func engineFrontEnd(_ run: (family: any ExperimentFamily, config: (text: String, file: String), name: String)) throws -> EngineFrontEnd {
        try EngineFrontEnd.make(family: run.family, config: run.config, flags: try engineFlags(run.family), runOptions: runOptions,
                                output: output ?? "results/\(run.name)", force: force, resume: resume, shard: shard,
                                progress: progress, quiet: quiet)
    }

    func validate() throws {
        if list || show != nil { return }
        guard !(config != nil && experiment != nil) else {
            throw ValidationError("--config and --experiment are exclusive; give one (flags override either)")
        }
        if let run = try engineRun() {
            _ = try engineFrontEnd(run)
            return
        }
        guard !(config != nil && experiment != nil) else {
            throw ValidationError("--config and --experiment are exclusive; give one (flags override either)")
        }
        guard !(resume && force) else { throw ValidationError("--resume and --force are exclusive") }
        guard !(progress && quiet) else { throw ValidationError("--progress and --quiet are exclusive") }
        if let shard, Shard(parsing: shard) == nil {
            throw ValidationError("--shard '\(shard)': expected I/N with integers 0 ≤ I < N, e.g. 0/4")
        }
        _ = try resolvedSpec()
        _ = try runOptions.resolvedThreads()
        _ = try runOptions.parsedSeed()
        _ = try runOptions.parsedMaxMemory()
    }

    /// Defaults ← experiment or config file ← flags.
    func resolvedSpec() throws -> SweepSpec {
        var spec = SweepSpec.defaults
        if let experiment {
            guard let e = Experiments.named(experiment) else {
                throw ValidationError("--experiment: unknown experiment '\(experiment)'; available: \((Experiments.all.map(\.name) + Experiments.engine.map(\.name)).joined(separator: ", "))")
            }
            spec = try e.spec()
        } else if let config {
            let text = try readTextFile(config, flag: "--config")
            do { spec = try SweepSpec.parse(text, file: config) } catch let e as SweepSpec.ConfigError {
                throw ValidationError("--config: \(e)")
            }
        }
        if let dimension { spec.dimensions = try ListParsing.integers(dimension, flag: "--dimension", minimum: 1, maximum: SweepSpec.Limits.dimension.upperBound) }
        if let samples { spec.samples = try ListParsing.integers(samples, flag: "--samples", minimum: 1, maximum: SweepSpec.Limits.samples.upperBound) }
        if let noiseVariance { spec.noiseVariances = try ListParsing.positiveDoubles(noiseVariance, flag: "--noise-variance") }
        if let generations { spec.generations = try ListParsing.checked(generations, flag: "--generations", in: SweepSpec.Limits.generations) }
        if let repeats {
            spec.repeats = try ListParsing.checked(repeats, flag: "--repeats", in: SweepSpec.Limits.repeats,
                                                   why: " (a standard error needs at least 2 replicates)")
        }
        if let regimes { spec.regimeNames = try ListParsing.regimes(regimes, realFractions: [0.5]).map(\.name).uniqued() }
        if let realFraction { spec.realFractions = try ListParsing.fractions(realFraction, flag: "--real-fraction") }
        if let seed = try runOptions.parsedSeed() { spec.seed = seed }
        if let engine = try engineOption.parsed() { spec.engine = engine }
        if let design = try designOption.parsed() { spec.design = design }
        try DesignOption.check(spec.design, engine: spec.engine, regimes: spec.regimes)
        try EngineOption.check(spec.engine, cells: spec.cells, regimes: spec.regimes)
        return spec
    }

    func run() throws {
        if !list, show == nil, let run = try engineRun() {
            _ = try engineFrontEnd(run).run(command: "sweep")
            return
        }
        if list {
            for e in Experiments.engine {
                print("\(e.name.padding(toLength: 28, withPad: " ", startingAt: 0)) [\(e.family)] \(e.description)")
            }
            for e in Experiments.all {
                let s = try e.spec()
                print("\(e.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(s.cells.count) cells × \(s.regimes.count) regimes × \(s.generations) generations, \(s.repeats) replicates — \(s.description)")
            }
            return
        }
        if let show, let e = Experiments.engineNamed(show) {
            print(e.toml, terminator: "")
            return
        }
        if let show {
            guard let e = Experiments.named(show) else {
                throw ValidationError("--show: unknown experiment '\(show)'; available: \((Experiments.all.map(\.name) + Experiments.engine.map(\.name)).joined(separator: ", "))")
            }
            print(e.toml, terminator: "")
            return
        }
        var spec = try resolvedSpec()
        let threads = try runOptions.resolvedThreads()
        let outputPath = output ?? "results/\(spec.name)"
        let out = try OutputDirectory(path: outputPath)
        // On --resume without --seed, adopt the recorded seed.
        if resume, spec.seed == nil, let recorded = try? SweepRunner.recordedSpec(in: out.url) { spec.seed = recorded.seed }
        let seed: UInt64
        if let s = spec.seed {
            seed = s
        } else if shard != nil {
            throw ValidationError("--shard needs a fixed seed (give --seed or set seed in the config) so that every shard slices the same sweep")
        } else {
            seed = try runOptions.resolvedSeed()
        }
        try checkMemory(cells: spec.cells, regimes: spec.regimes, generations: spec.generations, threads: threads,
                        maxMemory: try runOptions.parsedMaxMemory())

        let runner = SweepRunner(options: .init(
            spec: spec, seed: seed, threads: threads, shard: shard.flatMap(Shard.init(parsing:)), output: out.url,
            resume: resume, force: force, arguments: CommandLine.arguments))
        do { try runner.prepareOutput() } catch let e as SweepRunner.SweepError { throw ValidationError(e.description) }
        if spec.cells.contains(where: { $0.samples < $0.dimension + 2 }) {
            Console.note("note: cells with T < d + 2 have no Gaussian-design expectation (theory_test_error empty); T < d fits min-norm least squares")
        }
        let showProgress = !quiet && (progress || isatty(STDERR_FILENO) == 1)
        Interruption.install()
        let outcome = try runner.run(progress: showProgress ? TerminalProgress() : nil, isCancelled: { Interruption.requested })
        switch outcome.status {
        case .interrupted:
            Console.note("interrupted: \(outcome.cellsRun) cell(s) finished and kept in \(out.url.path)/cells; " +
                         "rerun with --resume to complete the sweep")
            throw ExitCode(130)
        case .complete:
            let shardNote = shard.map { " (shard \($0); combine shards with `collapse merge`)" } ?? ""
            print("sweep \(spec.name): \(outcome.cellsRun) cell(s) run, \(outcome.cellsReused) reused, \(outcome.rows) rows" +
                  " in \(String(format: "%.2f", outcome.wallSeconds)) s, seed \(seed)\(shardNote)")
            if let url = outcome.resultsFile {
                print("wrote \(url.path) and manifest.json")
                writeDefaultFigures(results: url, into: out.url)
            }
        }
    }
}

/// Writes `figure.svg` (the paper-style panel grid) beside a sweep's CSV, and
/// `figure-ratio.svg` (accumulate/replace heat map over d × T) when the grid has several cells
/// and both regimes. A figure that cannot be drawn is reported, never fatal: the CSV is the result.
func writeDefaultFigures(results: URL, into dir: URL) {
    do {
        let table = try ResultsTable(contentsOf: results)
        try AtomicFile.write(try Figure.panelGrid(table), to: dir.appendingPathComponent("figure.svg"))
        var written = ["figure.svg"]
        let names = Set(table.rows.map(\.regime))
        if names.contains("replace") && names.contains("accumulate") && table.dimensions.count * table.sampleSizes.count > 1 {
            try AtomicFile.write(try Figure.ratioHeatmap(table), to: dir.appendingPathComponent("figure-ratio.svg"))
            written.append("figure-ratio.svg")
        }
        print("wrote \(written.joined(separator: " and ")) (collapse plot draws other views)")
    } catch {
        Console.note("note: no figure written: \(error)")
    }
}

/// `collapse merge`: shard directories → the unsharded results.csv.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard directories (of sweep or of any engine family, e.g. generative) into one results.csv, identical to an unsharded run.")

    @Argument(help: "Sweep directories (shards) to combine.")
    var directories: [String]

    @Option(name: .customLong("output"), parsing: .unconditional, help: "Directory for the merged results.csv.")
    var output: String

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("give one or more sweep directories to merge") }
        var isDir: ObjCBool = false
        for d in directories where !(FileManager.default.fileExists(atPath: d, isDirectory: &isDir) && isDir.boolValue) {
            throw ValidationError("\(d): not a directory; expected sweep directories written by `collapse sweep`")
        }
        _ = try OutputDirectory(path: output)
    }

    /// The engine's families by name (what `experiment.toml` records).
    static let families: [any ExperimentFamily] = [LinearFamily(), GenerativeFamily()]

    func run() throws {
        let started = Date()
        let out = try OutputDirectory(path: output)
        let urls = directories.map { URL(fileURLWithPath: $0) }
        if let first = urls.first, let name = try ExperimentMerge.familyName(in: first) {
            guard let family = Self.families.first(where: { $0.name == name }) else {
                throw CLIError("\(first.path)/\(ExperimentRunner.specFile): unknown family '\(name)'")
            }
            let merged: (rows: Int, spec: ExperimentSpec)
            do {
                merged = try ExperimentMerge.merge(urls, into: out.url, family: family)
            } catch let e as RunnerError {
                throw CLIError(e.description)
            } catch let e as SpecError {
                throw CLIError(e.description)
            }
            let manifest = RunManifest(command: "merge", arguments: CommandLine.arguments, seed: merged.spec.seed ?? 0,
                                       threads: 1, wallSeconds: Date().timeIntervalSince(started), startedAt: started,
                                       parameters: [("inputs", .array(directories.map(JSONValue.string))),
                                                    ("family", .string(family.name)), ("rows", .int(merged.rows))],
                                       outputs: ["results.csv"], environment: RunEnvironment.entries)
            try AtomicFile.write(manifest.json().rendered() + "\n", to: out.url.appendingPathComponent("manifest.json"))
            print("merged \(directories.count) director\(directories.count == 1 ? "y" : "ies"): \(merged.rows) rows → \(out.url.appendingPathComponent("results.csv").path)")
            return
        }
        let merged: (rows: Int, spec: SweepSpec)
        do {
            merged = try SweepMerge.merge(directories.map { URL(fileURLWithPath: $0) }, into: out.url)
        } catch let e as SweepRunner.SweepError {
            throw CLIError(e.description)
        } catch let e as SweepSpec.ConfigError {
            throw CLIError("\(e)")
        }
        let manifest = RunManifest(command: "merge", arguments: CommandLine.arguments, seed: merged.spec.seed ?? 0,
                                   threads: 1, wallSeconds: Date().timeIntervalSince(started), startedAt: started,
                                   parameters: [("inputs", .array(directories.map(JSONValue.string))),
                                                ("name", .string(merged.spec.name)), ("rows", .int(merged.rows))],
                                   outputs: ["results.csv"], environment: RunEnvironment.entries)
        try AtomicFile.write(manifest.json().rendered() + "\n", to: out.url.appendingPathComponent("manifest.json"))
        print("merged \(directories.count) director\(directories.count == 1 ? "y" : "ies"): \(merged.rows) rows → \(out.url.appendingPathComponent("results.csv").path)")
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
