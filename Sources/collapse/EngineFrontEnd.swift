import ArgumentParser
import CollapseExport
import ExperimentEngine
import Foundation
import LinearCollapse

/// Resume and progress: what every command on the experiment engine offers.
struct RunControlOptions: ParsableArguments {
    @Flag(name: .customLong("resume"), help: "Continue the run recorded in --output, reusing its finished cells.")
    var resume = false

    @Flag(name: .customLong("progress"), help: "Show the progress bar even when stderr is not a terminal.")
    var progress = false

    @Flag(name: .customLong("quiet"), help: "No progress bar.")
    var quiet = false
}

/// Options every grid command on the experiment engine shares: a config file, shards, resume
/// and progress.
struct EngineRunOptions: ParsableArguments {
    @Option(name: .customLong("config"), parsing: .unconditional,
            help: "A config file (flat TOML: family = \"…\" and any parameter by its flag name with _ for -); flags override it.")
    var config: String?

    @Option(name: .customLong("shard"), parsing: .unconditional, help: "Run only shard I of N (I/N, 0 ≤ I < N); combine shards with `collapse merge`.")
    var shard: String?

    @OptionGroup var control: RunControlOptions

    /// The resolved spec and output of a run of `family`, checked before anything is computed.
    func frontEnd(family: any ExperimentFamily, flags: [String: String], runOptions: RunOptions, output: String,
                  force: Bool) throws -> EngineFrontEnd {
        let configFile = try config.map { c in (text: try usage { try TextFile.read(c, flag: "--config") }, file: c) }
        return try EngineFrontEnd.make(family: family, config: configFile, flags: flags, runOptions: runOptions, output: output,
                                       force: force, shard: shard, control: control)
    }
}

extension EngineFrontEnd {
    /// Defaults ← config ← flags, the family's checks, the shard, the memory guard: everything
    /// that can be refused before anything is written.
    static func make(family: any ExperimentFamily, config: (text: String, file: String)?, flags: [String: String],
                     runOptions: RunOptions, output: String, force: Bool, shard: String?,
                     control: RunControlOptions) throws -> EngineFrontEnd {
        let resume = control.resume
        let spec: ExperimentSpec
        do {
            spec = try resolveSpec(family, config: config, flags: flags, seed: try runOptions.parsedSeed())
        } catch let e as SpecError {
            throw ValidationError(e.description)
        }
        var parsedShard: Shard?
        if let shard {
            guard let s = Shard(parsing: shard) else { throw ValidationError("--shard: '\(shard)' is not I/N with 0 ≤ I < N") }
            parsedShard = s
        }
        if resume && force { throw ValidationError("--resume and --force are exclusive") }
        if control.progress && control.quiet { throw ValidationError("--progress and --quiet are exclusive") }
        // The runner's prepare() checks memory too (for library callers); here it refuses before
        // a seed is drawn and announced, so the error is the first line the user sees.
        do {
            try ExperimentRunner.checkMemory(family: family, spec: spec, threads: try runOptions.resolvedThreads(),
                                             maxMemory: try runOptions.parsedMaxMemory())
        } catch let e as SpecError {
            throw ValidationError(e.description)
        }
        return EngineFrontEnd(family: family, spec: spec, threads: try runOptions.resolvedThreads(), shard: parsedShard,
                              output: try usage { try OutputDirectory(path: output) }, resume: resume, force: force,
                              maxMemory: try runOptions.parsedMaxMemory(), runOptions: runOptions,
                              progress: control.quiet ? nil : (control.progress || isatty(STDERR_FILENO) == 1) ? .bar : .lines)
    }
}

/// Runs a family's spec through the engine's runner and reports the outcome: `collapse
/// generative` (and later every command) is this plus its own printing.
struct EngineFrontEnd {
    var family: any ExperimentFamily
    var spec: ExperimentSpec
    var threads: Int
    var shard: Shard?
    var output: OutputDirectory
    var resume: Bool
    var force: Bool
    var maxMemory: Double?
    var runOptions: RunOptions
    /// The bar (terminal or --progress), a plain line a minute (a log), or none (--quiet).
    enum ProgressStyle { case bar, lines }
    var progress: ProgressStyle?

    /// Runs; returns the results file when complete, nil for a finished shard or an
    /// interrupted run (which exits 130 after saying what was kept). `summarize` adds facts
    /// about the complete results to the manifest.
    func run(command: String, summarize: (@Sendable (URL) throws -> [(String, JSONValue)])? = nil) throws -> URL? {
        var spec = self.spec
        if spec.seed == nil, resume, let recorded = try? ExperimentRunner.recordedSpec(in: output.url, family: family) {
            spec.seed = recorded.seed
        }
        if spec.seed == nil {
            if shard != nil {
                throw ValidationError("--shard needs a fixed seed (give --seed or set seed in the config) so that every shard runs the same grid")
            }
            spec.seed = try runOptions.resolvedSeed()
        }
        var options = ExperimentRunner.Options(
            family: family, spec: spec, threads: threads, shard: shard, output: output.url, resume: resume, force: force,
            command: command, arguments: CommandLine.arguments, environment: RunEnvironment.entries, maxMemory: maxMemory)
        options.summarize = summarize
        let runner = ExperimentRunner(options: options)
        do { try runner.prepare() } catch let e as RunnerError { throw ValidationError(e.description) } catch let e as SpecError {
            throw ValidationError(e.description)
        }
        for note in family.notes(spec) { Console.note(note) }
        Interruption.install()
        let outcome: ExperimentRunner.Outcome
        do {
            let reporter: TextProgress? = progress.map { $0 == .bar ? TextProgress() : TextProgress.lines() }
            outcome = try runner.run(progress: reporter, isCancelled: { Interruption.requested })
        } catch let e as RunnerError {
            throw CLIError(e.description)
        }
        switch outcome.status {
        case .interrupted:
            Console.note("interrupted: \(outcome.cellsRun) cell(s) finished and kept in \(output.url.path)/cells; " +
                         "rerun with --resume to complete the run")
            throw ExitCode(130)
        case .complete:
            let shardNote = shard.map { " (shard \($0); combine shards with `collapse merge`)" } ?? ""
            print("\(command): \(outcome.cellsRun) cell(s) run, \(outcome.cellsReused) reused, seed \(spec.seed!)\(shardNote)")
            if let url = outcome.resultsFile {
                print("wrote \(outcome.rows) rows to \(url.path) (manifest.json beside it) in \(String(format: "%.2f", outcome.wallSeconds)) s")
            }
            return outcome.resultsFile
        }
    }
}
