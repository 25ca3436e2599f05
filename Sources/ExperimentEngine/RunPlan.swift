import CollapseExport
import Foundation

/// A run of a family as a command line asks for it, checked before anything is written: the
/// spec (defaults ← config ← flags, with the family's rules), the shard, the exclusive
/// `--resume`/`--force`, the memory guard and the output directory. Every refusal is a
/// `SpecError` naming the flag or `file:line` key. Every command on the engine goes through it.
public struct RunPlan {
    public var family: any ExperimentFamily
    public var spec: ExperimentSpec
    public var threads: Int
    public var shard: Shard?
    public var output: OutputDirectory
    public var resume: Bool
    public var force: Bool
    public var maxMemory: Double?
    /// `--per-replicate`: write every replicate's value (`PerReplicate`).
    public var perReplicate: Bool

    public init(
        family: any ExperimentFamily, config: (text: String, file: String)?, flags: [String: String], seed: UInt64?,
        threads: Int, maxMemory: Double?, output: String, force: Bool, shard: String?, resume: Bool, perReplicate: Bool = false
    ) throws {
        self.family = family
        self.perReplicate = perReplicate
        if perReplicate && !family.providesReplicateValues {
            throw SpecError(
                "--per-replicate: the \(family.name) family's rows are not summaries of replicates' values, so there are none to write; leave it out")
        }
        spec = try resolveSpec(family, config: config, flags: flags, seed: seed)
        if let shard {
            guard let s = Shard(parsing: shard) else { throw SpecError("--shard: '\(shard)' is not I/N with 0 ≤ I < N") }
            self.shard = s
        }
        if resume && force { throw SpecError("--resume and --force are exclusive") }
        // The runner's prepare() checks memory too (for library callers); here it refuses before
        // a seed is drawn and announced, so the error is the first line the user sees.
        try ExperimentRunner.checkMemory(family: family, spec: spec, threads: threads, maxMemory: maxMemory)
        self.output = try OutputDirectory(path: output)
        (self.threads, self.resume, self.force, self.maxMemory) = (threads, resume, force, maxMemory)
    }

    /// The run's seed: the spec's (flag or config); when resuming without one, the seed the run
    /// being resumed recorded; else the family's default seed, if it pins one; else `draw()` (the
    /// caller announces it). A shard needs a fixed seed.
    public func seed(draw: () -> UInt64) throws -> UInt64 {
        if let s = spec.seed { return s }
        if resume, let recorded = try? ExperimentRunner.recordedSpec(in: output.url, family: family), let s = recorded.seed { return s }
        if let s = family.defaultSeed { return s }
        if shard != nil {
            throw SpecError("--shard needs a fixed seed (give --seed or set seed in the config) so that every shard runs the same grid")
        }
        return draw()
    }

    /// The runner of this plan at `seed`, recording `command` and `arguments`.
    public func runner(
        seed: UInt64, command: String, arguments: [String], environment: [(String, JSONValue)],
        summarize: (@Sendable (CSVDocument) throws -> [(String, JSONValue)])? = nil
    ) -> ExperimentRunner {
        var spec = self.spec
        spec.seed = seed
        var options = ExperimentRunner.Options(
            family: family, spec: spec, threads: threads, shard: shard, output: output.url, resume: resume,
            force: force, command: command, arguments: arguments, environment: environment,
            maxMemory: maxMemory)
        options.summarize = summarize
        options.perReplicate = perReplicate
        return ExperimentRunner(options: options)
    }

    /// What a finished run reports: for a complete one the cells run and reused, the seed (and
    /// the shard), and where the results went; for an interrupted one what was kept.
    public func report(_ outcome: ExperimentRunner.Outcome, command: String, seed: UInt64) -> [String] {
        switch outcome.status {
        case .interrupted:
            return ["interrupted: \(outcome.cellsRun) cell(s) finished and kept in \(output.url.path)/cells; rerun with --resume to complete the run"]
        case .complete:
            let shardNote = shard.map { " (shard \($0); combine shards with `collapse merge`)" } ?? ""
            var lines = ["\(command): \(outcome.cellsRun) cell(s) run, \(outcome.cellsReused) reused, seed \(seed)\(shardNote)"]
            if let url = outcome.resultsFile {
                lines.append("wrote \(outcome.rows) rows to \(url.path) (manifest.json beside it) in \(String(format: "%.2f", outcome.wallSeconds)) s")
            }
            if let url = outcome.perReplicateFile { lines.append("wrote \(outcome.perReplicateRows) per-replicate values to \(url.path)") }
            return lines
        }
    }
}
