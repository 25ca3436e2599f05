import ArgumentParser
import CollapseExport
import CollapsePlot
import CollapseSweep
import ExperimentEngine
import Foundation
import GenerativeChains
import LinearCollapse

/// `collapse sweep`: any family's grid from a config file or a named experiment, flags
/// overriding, on the experiment engine (durable cells, resume, shards, progress, Ctrl-C).
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a parameter sweep of any family from a config file or a named experiment; resumable and shardable.",
        discussion: """
            Values come from the family's defaults, then --experiment or --config (a TOML file of top-level keys: \
            family = \(Families.all.map { "\"\($0.name)\"" }.joined(separator: ", ")) (default "linear"), \(ExperimentSpec.metadataKeys.dropFirst().joined(separator: ", ")), and any parameter \
            of the family by its flag name with _ for -, e.g. noise_variance, real_fraction, engine, \
            design; lists as arrays), then the flags. Each finished cell is written durably to DIR/cells/; \
            DIR/results.csv and DIR/manifest.json are written when all cells are done (and, for the \
            linear family, figure.svg). Ctrl-C abandons the current cell, keeps finished ones, marks the \
            manifest interrupted and exits 130; --resume continues. --shard I/N runs cells i with \
            i mod N = I; `collapse merge` combines shard directories into the CSV of an unsharded run, \
            byte for byte.
            """)

    @Option(name: .customLong("experiment"), parsing: .unconditional, help: "A named experiment (see --list).", completion: .list(Experiments.all.map(\.name)))
    var experiment: String?

    @Flag(name: .customLong("list"), help: "List the named experiments and exit.")
    var list = false

    @Option(
        name: .customLong("show"), parsing: .unconditional, help: "Print a named experiment as a config file and exit.",
        completion: .list(Experiments.all.map(\.name)))
    var show: String?

    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp(
            "Overrides: any parameter of the experiment's family as a flag (see --help of simulate, generative, neural lm|vae|diffusion or external).",
            valueName: "--parameter value"), completion: parameterCompletion(Experiments.parameters(completing:)))
    var parameters: [String] = []

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("output"), parsing: .unconditional, help: "Output directory (default: results/NAME).", completion: .directory)
    var output: String?

    @Flag(name: .customLong("force"), help: "Overwrite the run files in a non-empty --output (others are kept).")
    var force = false

    @OptionGroup var engineOptions: EngineRunOptions

    func frontEnd() throws -> EngineFrontEnd {
        let (family, config, fallbackName) = try usage { try Experiments.source(experiment: experiment, configPath: engineOptions.config) }
        // The default output directory follows the name the config gives, else the file's.
        var name = fallbackName
        if let config, let spec = try? resolveSpec(family, config: config, flags: [:], seed: nil), let n = spec.name { name = n }
        return try EngineFrontEnd.make(
            family: family, config: config, flags: try parameterFlags(parameters, of: family.parameters, owner: "of the \(family.name) family"),
            runOptions: runOptions,
            output: output ?? "results/\(name)", force: force, shard: engineOptions.shard,
            control: engineOptions.control)
    }

    func validate() throws {
        if list || show != nil { return }
        _ = try frontEnd()
    }

    func run() throws {
        if list {
            print(Experiments.listing, terminator: "")
            return
        }
        if let show {
            guard let e = Experiments.named(show) else {
                throw ValidationError("--show: unknown experiment '\(show)'; available: \(Experiments.all.map(\.name).joined(separator: ", "))")
            }
            print(e.toml, terminator: "")
            return
        }
        let frontEnd = try frontEnd()
        guard let results = try frontEnd.run(command: "sweep") else { return }
        if frontEnd.family is LinearFamily {
            do { writeDefaultFigures(results: try CSVReader.read(contentsOf: results), into: frontEnd.output.url) } catch {
                Console.note("note: no figure written: \(error)")
            }
        }
    }
}

/// Writes the linear run's default figures (`Figure.defaultFigures`) beside its CSV. A figure
/// that cannot be drawn is reported, never fatal: the CSV is the result.
func writeDefaultFigures(results: CSVDocument, into dir: URL) {
    do {
        let figures = try DefaultFigures.write(results: results, into: dir, png: false)
        print("wrote \(figures.files.joined(separator: " and ")) (collapse plot draws other views)")
    } catch {
        Console.note("note: no figure written: \(error)")
    }
}

/// `collapse merge`: shard directories → the unsharded results.csv.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract:
            "Combine shard directories (of sweep or of any engine family, e.g. generative) into one results.csv, identical to an unsharded run, with their samples/ and per-replicate values."
    )

    @Argument(help: "Sweep directories (shards) to combine.", completion: .directory)
    var directories: [String]

    @Option(name: .customLong("output"), parsing: .unconditional, help: "Directory for the merged results.csv.", completion: .directory)
    var output: String

    @Flag(name: .customLong("force"), help: "Replace results.csv, manifest.json and experiment.toml already in --output.")
    var force = false

    func validate() throws { try usage { try ExperimentMerge.checkOutput(output, directories: directories, force: force) } }

    func run() throws {
        let out = try usage { try OutputDirectory(path: output) }
        let rows: Int
        do {
            rows = try Families.merge(
                directories.map { URL(fileURLWithPath: $0) }, into: out.url, arguments: CommandLine.arguments,
                environment: RunEnvironment.entries)
        } catch let e as RunnerError { throw CLIError(e.description) }
        print(
            "merged \(directories.count) director\(directories.count == 1 ? "y" : "ies"): \(rows) rows → \(out.url.appendingPathComponent("results.csv").path)")
    }
}
