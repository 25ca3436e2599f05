import ArgumentParser
import CollapseExport
import CollapseSweep
import ExperimentEngine
import Foundation

/// `collapse verify`: the Monte Carlo versus theory battery, a run of the `verify` family on
/// the experiment engine (one cell per check id and battery seed).
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check Monte Carlo against the closed forms at several parameter points; exit 1 on any failure.",
        discussion: """
            Each check prints its z-score. With K checks and family-wise false-alarm probability α \
            (--false-alarm), each |z| is compared with z* = Φ⁻¹(1 − α/(2K)) (Bonferroni), so a correct \
            implementation fails with probability about α (nominal: each z is only approximately normal). \
            V1–V8 (linear chain), F1–F3 and O1 (fresh designs, proofs D1, O1), E1–E5 (exact propagation on \
            one design, proof E1), R1–R3 (ridge downstream of the generator chain, power-law Σ, proof R1), U1–U2, G1–G6, W1 (exactly solvable chains, proofs U1, G1, G3, G4, W1) and S1–S3 \
            (simulate's power-law designs, ridge fits, discounted accumulation and test noise against exact propagation given each design \
            and the ridge deterministic equivalent, proofs E1, R1); \
            `--list` describes each. For the linear checks — design-averaged: (mean − closed form)/SE, used \
            where T ≥ d + 10 (finite higher moments, proof L1). given-design: replicates standardised by \
            their exact conditional mean and variance (proof L2), valid for every T including T = d + 2 \
            and T < d. bound: one-sided (mean − σ²d/(T−d−1)·π²/6)/SE ≤ z*. \
            The statistics are written to --output (results.csv in the long format, one row per \
            statistic, with check, setting and rule columns; manifest.json with the verdict); the run \
            resumes, shards (`collapse merge` combines them) and keeps finished checks on Ctrl-C like \
            every run. stdout gets --format: table (the default: the table and the verdict line), csv \
            (the statistics as results.csv rows plus z_threshold and passes columns) or json (one object: \
            verdict, statistics, failed, z_threshold, family_false_alarm, seeds, and checks with their \
            fields and pass flag); the run's report goes to stderr. A shard prints no verdict \
            (its threshold needs every statistic): merge the shards, then judge the merged file with \
            --results.
            """)

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("false-alarm"), parsing: .unconditional, help: "Family-wise false-alarm probability α, in (0, 0.5) (default 0.001).")
    var falseAlarm: String?

    @Flag(name: .customLong("list"), help: "List the check ids and what each verifies, then exit.")
    var list = false

    @Option(
        name: .customLong("only"), parsing: .unconditional, help: "Run only these check ids (comma-separated, e.g. V1,U1).",
        completion: .list(VerificationSuite.allIDs))
    var only: String?

    @Option(
        name: .customLong("seeds"), parsing: .unconditional,
        help:
            "Slow mode: run the battery once per seed (a range A-B such as 0-19, or a comma-separated list); one Bonferroni family spans every statistic of every seed."
    )
    var seeds: String?

    @Option(
        name: .customLong("output"), parsing: .unconditional,
        help: "Output directory (default results/verify; created if missing; a previous verify run there is replaced; other files need --force).",
        completion: .directory)
    var output: String?

    @Option(
        name: .customLong("results"), parsing: .unconditional,
        help: "Run nothing: judge the results.csv of an earlier verify run (e.g. merged shards), printing its table and verdict.",
        completion: .file(extensions: ["csv"]))
    var results: String?

    @Flag(name: .customLong("force"), help: "Write into --output even if it holds other files (they are kept).")
    var force = false

    @Option(
        name: .customLong("format"), parsing: .unconditional,
        help: "What goes to stdout: table (default), csv (results rows with z_threshold and passes) or json (one object with the verdict and every check).",
        completion: .list(VerificationFamily.ReportFormat.allCases.map(\.rawValue)))
    var format: String?

    @OptionGroup var engine: EngineRunOptions

    func frontEnd() throws -> EngineFrontEnd {
        let output = self.output ?? "results/verify"
        if seeds != nil && runOptions.seed != nil { throw ValidationError("--seeds and --seed: pass one of them") }
        let flags = givenFlags([
            ("only", only), ("false_alarm", falseAlarm),
            ("seeds", try seeds.map { s in try usage { try VerificationFamily.seedList(s) } })
        ])
        return try engine.frontEnd(
            family: VerificationFamily(), flags: flags, runOptions: runOptions, output: output,
            force: force || engine.control.mayReplaceRun(at: output))
    }

    /// `--format`, checked.
    func reportFormat() throws -> VerificationFamily.ReportFormat {
        guard let format else { return .table }
        guard let f = VerificationFamily.ReportFormat(rawValue: format) else {
            throw ValidationError("--format: '\(format)' is not one of \(VerificationFamily.ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return f
    }

    func validate() throws {
        if list { return }
        _ = try reportFormat()
        if results != nil {
            let given = [
                ("--only", only != nil), ("--seeds", seeds != nil), ("--seed", runOptions.seed != nil), ("--output", output != nil),
                ("--force", force), ("--config", engine.config != nil), ("--shard", engine.shard != nil),
                ("--resume", engine.control.resume)
            ].filter(\.1).map(\.0)
            if let flag = given.first { throw ValidationError("--results and \(flag): --results judges a finished run and runs nothing") }
            _ = try falseAlarmValue()
            return
        }
        _ = try frontEnd()
    }

    /// `--false-alarm` checked by the family's own rule, when given.
    func falseAlarmValue() throws -> Double? {
        guard let falseAlarm else { return nil }
        let spec = try usage { try resolveSpec(VerificationFamily(), config: nil, flags: ["false_alarm": falseAlarm], seed: nil) }
        return spec.one("false_alarm")?.doubleValue
    }

    func run() throws {
        if list {
            for line in VerificationSuite.listing { print(line) }
            return
        }
        let started = Date()
        if let results {
            let alpha = try falseAlarmValue()
            let judged: (text: String, verdict: VerificationFamily.Verdict)
            let format = try reportFormat()
            do { judged = try VerificationFamily.judge(results: URL(fileURLWithPath: results), falseAlarm: alpha, format: format) } catch let e as SpecError {
                throw CLIError("--results: \(e.description)")
            }
            print(judged.text, terminator: format == .table ? "\n" : "")
            if !judged.verdict.passes { throw ExitCode(1) }
            return
        }
        let frontEnd = try frontEnd()
        let alpha = frontEnd.spec.one("false_alarm")?.doubleValue ?? 1e-3
        guard
            let run = try frontEnd.run(
                command: "verify", reportOnStandardError: true,
                summarize: { results in
                    let rows = try VerificationFamily.outcomes(results)
                    return VerificationFamily.verdict(rows.map(\.outcome), falseAlarm: alpha).manifestEntries
                })
        else { return }
        if let shard = frontEnd.plan.shard {
            Console.note(
                "shard \(shard): no verdict (its threshold needs every statistic); combine the shards with `collapse merge`, "
                    + "then judge the merged results with `collapse verify --results MERGED/results.csv`")
            return
        }
        let rows = try VerificationFamily.outcomes(run.results)
        let seed = try frontEnd.plan.seed(draw: RunOptions.drawSeed)
        let format = try reportFormat()
        let report = VerificationFamily.render(rows, runSeed: seed, falseAlarm: alpha, format: format)
        if format == .table {
            print(report.text + "; " + String(format: "%.1f", Date().timeIntervalSince(started)) + " s")
        } else {
            print(report.text, terminator: "")  // machine-readable: no wall time
        }
        if !report.verdict.passes { throw ExitCode(1) }
    }
}
