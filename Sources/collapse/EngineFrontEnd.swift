import ArgumentParser
import CollapseExport
import ExperimentEngine
import Foundation
import LinearCollapse

/// Progress on stderr (`TextProgress`): what every command that can run longer than a second offers.
struct ProgressOptions: ParsableArguments {
    @Flag(name: .customLong("progress"), help: "Show the progress bar even when stderr is not a terminal.")
    var progress = false

    @Flag(name: .customLong("quiet"), help: "No progress report (default: a bar with rate and ETA on a terminal, else a line a minute).")
    var quiet = false

    /// The bar (a terminal, or --progress), a plain line a minute (a log), or none (--quiet).
    func reporter(_ units: TextProgress.Units = .cells) throws -> TextProgress? {
        if progress && quiet { throw ValidationError("--progress and --quiet are exclusive") }
        return quiet ? nil : progress || isatty(STDERR_FILENO) == 1 ? TextProgress(units: units) : TextProgress.lines(units: units)
    }
}

/// Resume and progress: what every command on the experiment engine offers.
struct RunControlOptions: ParsableArguments {
    @Flag(name: .customLong("resume"), help: "Continue the run recorded in --output, reusing its finished cells.")
    var resume = false

    @OptionGroup var display: ProgressOptions

    @Flag(
        name: .customLong("per-replicate"),
        help:
            "Also write every replicate's value of every metric beside results.csv: per-replicate.csv (its identifying columns, replicate, value), gzip-compressed as per-replicate.csv.gz above \(PerReplicate.compressAbove) rows."
    )
    var perReplicate = false

    /// Whether a command that by design reruns into one directory (`reproduce`, `verify`) may
    /// replace the run there without --force: not when resuming, and only where the directory
    /// holds nothing but a run's files (nothing else is touched).
    func mayReplaceRun(at output: String) -> Bool {
        !resume && ExperimentRunner.holdsOnlyRunFiles(URL(fileURLWithPath: output))
    }
}

/// Options every grid command on the experiment engine shares: a config file, shards, resume
/// and progress.
struct EngineRunOptions: ParsableArguments {
    @Option(
        name: .customLong("config"), parsing: .unconditional,
        help: "A config file (TOML, top-level keys only: family = \"…\" and any parameter by its flag name with _ for -); flags override it.",
        completion: .file(extensions: ["toml"]))
    var config: String?

    @Option(name: .customLong("shard"), parsing: .unconditional, help: "Run only shard I of N (I/N, 0 ≤ I < N); combine shards with `collapse merge`.")
    var shard: String?

    @OptionGroup var control: RunControlOptions

    /// The resolved spec and output of a run of `family`, checked before anything is computed.
    func frontEnd(
        family: any ExperimentFamily, flags: [String: String], runOptions: RunOptions, output: String,
        force: Bool
    ) throws -> EngineFrontEnd {
        let configFile = try config.map { c in (text: try usage { try TextFile.read(c, flag: "--config") }, file: c) }
        return try EngineFrontEnd.make(
            family: family, config: configFile, flags: flags, runOptions: runOptions, output: output,
            force: force, shard: shard, control: control)
    }
}

extension EngineFrontEnd {
    /// The checked plan (`RunPlan`: everything that can be refused before anything is written)
    /// and how progress is shown.
    static func make(
        family: any ExperimentFamily, config: (text: String, file: String)?, flags: [String: String],
        runOptions: RunOptions, output: String, force: Bool, shard: String?,
        control: RunControlOptions
    ) throws -> EngineFrontEnd {
        let progress = try control.display.reporter()
        let plan = try usage {
            try RunPlan(
                family: family, config: config, flags: flags, seed: try runOptions.parsedSeed(), threads: try runOptions.resolvedThreads(),
                maxMemory: try runOptions.parsedMaxMemory(), output: output, force: force, shard: shard, resume: control.resume,
                perReplicate: control.perReplicate)
        }
        return EngineFrontEnd(plan: plan, runOptions: runOptions, progress: progress)
    }
}

/// Runs a family's plan through the engine's runner and reports the outcome: every simulating
/// command is this plus its own printing.
struct EngineFrontEnd {
    var plan: RunPlan
    var runOptions: RunOptions
    /// The bar (terminal or --progress), a plain line a minute (a log), or none (--quiet).
    var progress: TextProgress?

    var family: any ExperimentFamily { plan.family }
    var spec: ExperimentSpec { plan.spec }
    var threads: Int { plan.threads }
    var output: OutputDirectory { plan.output }

    /// Runs; returns the results file when complete, nil for an interrupted run (which exits
    /// 130 after saying what was kept). `reportOnStandardError`: the run's report lines go to
    /// stderr, leaving stdout to the command's own output (verify's table).
    func run(command: String, reportOnStandardError: Bool = false) throws -> URL? {
        try outcome(command: command, reportOnStandardError: reportOnStandardError, summarize: nil).resultsFile
    }

    /// Runs, and `summarize` adds facts about the complete results to the manifest; returns
    /// the results file and its rows (parsed once), nil for an interrupted run.
    func run(
        command: String, reportOnStandardError: Bool = false,
        summarize: @escaping @Sendable (CSVDocument) throws -> [(String, JSONValue)]
    ) throws -> (url: URL, results: CSVDocument)? {
        let outcome = try outcome(command: command, reportOnStandardError: reportOnStandardError, summarize: summarize)
        guard let url = outcome.resultsFile, let results = outcome.results else { return nil }
        return (url, results)
    }

    private func outcome(
        command: String, reportOnStandardError: Bool,
        summarize: (@Sendable (CSVDocument) throws -> [(String, JSONValue)])?
    ) throws -> ExperimentRunner.Outcome {
        let seed = try usage { try plan.seed(draw: RunOptions.drawSeed) }
        let runner = plan.runner(
            seed: seed, command: command, arguments: CommandLine.arguments, environment: RunEnvironment.entries,
            summarize: summarize)
        do { try runner.prepare() } catch let e as RunnerError { throw ValidationError(e.description) } catch let e as SpecError {
            throw ValidationError(e.description)
        }
        for note in family.notes(runner.options.spec) { Console.note(note) }
        Interruption.install()
        let outcome: ExperimentRunner.Outcome
        do {
            outcome = try runner.run(progress: progress, isCancelled: { Interruption.requested })
        } catch let e as RunnerError {
            throw CLIError(e.description)
        }
        let lines = plan.report(outcome, command: command, seed: seed)
        if outcome.status == .interrupted {
            lines.forEach(Console.note)
            throw ExitCode(130)
        }
        for line in lines { reportOnStandardError ? Console.note(line) : print(line) }
        return outcome
    }
}
