import CollapseExport
import ExperimentEngine
import Foundation
import LinearCollapse

/// `collapse verify` as a family of the experiment engine: one grid cell per check id (and per
/// battery seed with `seeds`), so the battery is written durably cell by cell, resumes, shards
/// and merges like every other run. Each cell runs `VerificationSuite.run` for one check; a
/// check draws from its own streams (its index in its battery), so a cell's rows do not depend
/// on what else runs.
///
/// Results (the long format of `LongResults`, one row per statistic):
/// - `model`: the battery (`linear`, `fresh-design`, `propagation`, `chain`, `ridge`);
///   `regime`: the data regime where the check simulates one; `metric`: what is compared
///   (`design-averaged`, `given-design`, `bound`, a propagation scheme, a chain, a ridge check);
/// - `mean`, `std_error` (empty for given-design rows: each replicate is standardised by its own
///   conditional variance, proof L2), `theory`: the closed form, exact value or bound compared
///   with; `z`: the check's statistic; `repeats`: its replicates;
/// - then `check` (the id), `setting` (the parameter point), `rule` (`two-sided`: |z| ≤ z*;
///   `one-sided`: z ≤ z*; `allowance`: |mean − theory| ≤ z*·SE + allowance, proof R1 §5),
///   `allowance`, and `seed` when several battery seeds run.
///
/// The verdict is not a row: with K statistics in the results and family-wise false-alarm
/// probability α, every statistic is compared with z* = Φ⁻¹(1 − α/(2K)) (Bonferroni), so the
/// threshold depends on the whole run (`verdict(_:falseAlarm:)`).
public struct VerificationFamily: ExperimentFamily {
    public init() {}

    public var name: String { "verify" }

    /// At most this many battery seeds in one run (a range `A-B` included).
    public static let maximumSeeds = 1000

    public var parameters: [Parameter] {
        [
            Parameter(
                "seeds", .integer(0...Int.max), role: .axis,
                help:
                    "Battery seeds, comma-separated, or a range A-B such as 0-19 (at most \(Self.maximumSeeds)): the battery runs once per seed, one Bonferroni family over all. Default: the run's seed (1 unless --seed)."
            ),
            Parameter(
                "only", .choice(VerificationSuite.allIDs), role: .axis, default: VerificationSuite.allIDs.map { .text($0) },
                help: "Check ids to run, comma-separated (default: every check; `collapse verify --list`)."),
            Parameter(
                "false_alarm", .real(lower: 0, upper: 0.5, lowerOpen: true, upperOpen: true), default: [.real(1e-3)],
                help: "Family-wise false-alarm probability α of the verdict, in (0, 0.5).")
        ]
    }

    /// The battery is pinned: without `--seed` (or `seed` in a config) it runs at seed 1.
    public var defaultSeed: UInt64? { 1 }

    public func validate(_ spec: ExperimentSpec) throws {
        if spec["seeds"].count > Self.maximumSeeds {
            throw ParameterError(key: "seeds", message: "\(spec["seeds"].count) seeds; at most \(Self.maximumSeeds) in one run (shard a larger set)")
        }
    }

    /// The checks' largest working set (the linear chain at d = 50 on every worker) stays below
    /// 50 MB; the whole battery measured 30 MB of resident memory on 2 threads.
    public func estimatedBytes(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, threads: Int) -> Double { 50e6 }

    public func work(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> Double {
        Double(VerificationSuite.point(id(cell))?.generations ?? 1)
    }

    /// Replicates of one cell (the grid's spec restricted to it names one check).
    public func replicates(_ spec: ExperimentSpec) -> Int {
        spec["only"].compactMap { $0.textValue.flatMap(VerificationSuite.point)?.repeats }.reduce(0, +)
    }

    public func header(_ spec: ExperimentSpec) -> [String] {
        LongResults.columns + Self.columns + (spec["seeds"].isEmpty ? [] : ["seed"])
    }

    /// The family's columns after `repeats`.
    public static let columns = ["check", "setting", "rule", "allowance"]

    public func manifestEntries(_ spec: ExperimentSpec) -> [(String, JSONValue)] {
        [("checks", .int(spec["only"].count)), ("battery_seeds", .int(max(1, spec["seeds"].count)))]
    }

    func id(_ cell: ExperimentSpec.Cell) -> String { cell["only"]!.textValue! }

    public func run(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> String {
        if context.isCancelled() { throw CellCancelled() }
        let id = id(cell)
        let seed = cell["seeds"]?.intValue.map { UInt64($0) } ?? context.seed
        let alpha = spec.one("false_alarm")?.doubleValue ?? 1e-3
        let outcomes: [VerificationSuite.Outcome]
        do {
            outcomes = try VerificationSuite.run(seed: seed, threads: context.threads, only: [id], familyFalseAlarm: alpha)
        } catch {
            throw RunnerError("numerical failure in check \(id) (seed \(seed)): \(error)")
        }
        let point = VerificationSuite.point(id)
        context.advance(point?.repeats ?? 0)
        let seedField = spec["seeds"].isEmpty ? [] : [String(seed)]
        return outcomes.map { Self.row($0, battery: point?.battery ?? "", repeats: point?.repeats, extra: seedField) }.joined()
    }

    /// One results row of `outcome`.
    public static func row(_ o: VerificationSuite.Outcome, battery: String, repeats: Int?, extra: [String] = []) -> String {
        let rule: (String, Double?)
        switch o.rule {
        case .twoSided: rule = ("two-sided", nil)
        case .oneSided: rule = ("one-sided", nil)
        case let .withAllowance(a): rule = ("allowance", a)
        }
        return LongResults.row(
            model: battery, dataset: "", regime: o.regime ?? "", realFraction: nil, generation: o.generation, metric: o.check,
            mean: o.mean, standardError: o.standardError, theory: o.target, z: o.z, samples: nil, repeats: repeats,
            extra: [o.id, o.setting, rule.0, CSVField.number(rule.1)] + extra)
    }

    /// The statistics of a results file, with the battery seed of each (nil when the file has no
    /// `seed` column), in file order. Throws naming the file and line of a field that does not
    /// parse.
    public static func outcomes(_ document: CSVDocument) throws -> [(seed: UInt64?, outcome: VerificationSuite.Outcome)] {
        let file = document.file
        for name in ["regime", "generation", "metric", "mean", "std_error", "theory", "z"] + columns where document.columnIndex(name) == nil {
            throw SpecError("\(file): no column '\(name)'; not a results file of collapse verify")
        }
        let seedColumn = document.columnIndex("seed")
        return try zip(document.rows, document.lines).map { (row, line) in
            func field(_ name: String) -> String { row[document.columnIndex(name)!] }
            func fail(_ name: String, _ expected: String) -> SpecError {
                SpecError("\(file):\(line): column '\(name)': '\(field(name))' is not \(expected)")
            }
            func number(_ name: String) throws -> Double {
                guard let x = Double(field(name)) else { throw fail(name, "a number") }
                return x
            }
            let rule: VerificationSuite.Outcome.Rule
            switch field("rule") {
            case "two-sided": rule = .twoSided
            case "one-sided": rule = .oneSided
            case "allowance": rule = .withAllowance(try number("allowance"))
            default: throw fail("rule", "two-sided, one-sided or allowance")
            }
            guard let generation = Int(field("generation")) else { throw fail("generation", "an integer") }
            guard VerificationSuite.point(field("check")) != nil else { throw fail("check", "a check id of `collapse verify --list`") }
            let seed = try seedColumn.map { i -> UInt64 in
                guard let s = UInt64(row[i]) else { throw fail("seed", "a seed") }
                return s
            }
            let regime = field("regime")
            let outcome = VerificationSuite.Outcome(
                id: field("check"), check: field("metric"), setting: field("setting"), generation: generation, mean: try number("mean"),
                standardError: field("std_error").isEmpty ? nil : try number("std_error"), target: try number("theory"), z: try number("z"),
                rule: rule, regime: regime.isEmpty ? nil : regime)
            return (seed, outcome)
        }
    }

    /// The Bonferroni verdict over `outcomes`: K statistics, threshold z* = Φ⁻¹(1 − α/(2K)),
    /// and those that fail it.
    public struct Verdict: Sendable {
        public var statistics: Int
        public var threshold: Double
        public var failed: Int
        public var falseAlarm: Double
        public var passes: Bool { failed == 0 }

        public var manifestEntries: [(String, JSONValue)] {
            [
                ("verdict", .string(passes ? "pass" : "fail")), ("statistics", .int(statistics)), ("failed", .int(failed)),
                ("z_threshold", .double(threshold)), ("family_false_alarm", .double(falseAlarm))
            ]
        }
    }

    public static func verdict(_ outcomes: [VerificationSuite.Outcome], falseAlarm alpha: Double) -> Verdict {
        let zStar = Verification.threshold(familyFalseAlarm: alpha, statistics: max(outcomes.count, 1))
        return Verdict(
            statistics: outcomes.count, threshold: zStar, failed: outcomes.filter { !$0.passes(threshold: zStar) }.count,
            falseAlarm: alpha)
    }

    /// The seeds of `--seeds` as a comma-separated list: `A-B` (inclusive) expands; a list passes
    /// through (the parameter checks its items).
    public static func seedList(_ raw: String) throws -> String {
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = UInt64(parts[0].trimmingCharacters(in: .whitespaces)),
            let b = UInt64(parts[1].trimmingCharacters(in: .whitespaces))
        else { return raw }
        guard a <= b, b - a < UInt64(maximumSeeds), b <= UInt64(Int.max) else {
            throw SpecError("--seeds: '\(raw)' is out of range; expected A-B with A ≤ B ≤ \(Int.max) and at most \(maximumSeeds) seeds")
        }
        return (a...b).map(String.init).joined(separator: ",")
    }
}

extension VerificationFamily {
    /// What `collapse verify` prints for a complete run: with one battery seed its whole table;
    /// with several, each seed's failures and a line per seed; then the verdict line (without
    /// the wall time, which the caller appends). Rows are shown in battery order whatever order
    /// the checks were listed in. `runSeed` is the seed of rows without a `seed` column.
    public static func report(
        _ rows: [(seed: UInt64?, outcome: VerificationSuite.Outcome)], runSeed: UInt64?,
        falseAlarm alpha: Double
    ) -> (text: String, verdict: Verdict) {
        let order = Dictionary(VerificationSuite.allIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var seeds: [UInt64] = []
        var batches: [UInt64: [(Int, VerificationSuite.Outcome)]] = [:]
        for (n, row) in rows.enumerated() {
            let seed = row.seed ?? runSeed ?? 0
            if batches[seed] == nil { seeds.append(seed) }
            batches[seed, default: []].append((n, row.outcome))
        }
        let verdict = verdict(rows.map(\.outcome), falseAlarm: alpha)
        var text = ""
        for seed in seeds {
            let batch = batches[seed]!.sorted { (order[$0.1.id] ?? .max, $0.0) < (order[$1.1.id] ?? .max, $1.0) }.map(\.1)
            let failures = batch.filter { !$0.passes(threshold: verdict.threshold) }
            text += VerificationSuite.table(seeds.count == 1 ? batch : failures, zStar: verdict.threshold)
            if seeds.count > 1 {
                text +=
                    "seed \(seed): \(batch.count) checks, \(failures.count) failed, max |z| = " + String(format: "%.2f", batch.map { abs($0.z) }.max() ?? 0)
                    + "\n"
            }
        }
        let seedText =
            seeds.count > 1
            ? "\(seeds.count) seeds (\(seeds[0])…\(seeds[seeds.count - 1]))"
            : rows.first?.seed.map { "seed \($0)" } ?? runSeed.map { "seed \($0)" } ?? "seed not recorded"
        text +=
            "\(verdict.statistics) checks, \(verdict.failed) failed; threshold |z| ≤ \(String(format: "%.3f", verdict.threshold)) "
            + "(nominal family-wise false-alarm α = \(alpha), Bonferroni over \(verdict.statistics)); \(seedText)"
        return (text, verdict)
    }
}

extension VerificationFamily {
    /// Judges the results file of an earlier run (merged shards, say): its statistics, the seed
    /// and false-alarm probability its run recorded in `experiment.toml` beside it (when there
    /// is one), `falseAlarm` overriding the latter. Errors name the file (and line).
    public static func judge(results url: URL, falseAlarm: Double?) throws -> (text: String, verdict: Verdict) {
        try judge(results: url, falseAlarm: falseAlarm, format: .table)
    }

    /// The statistics of a results file, its run's seed and the false-alarm probability to judge at.
    static func recorded(results url: URL, falseAlarm: Double?) throws -> (
        rows: [(seed: UInt64?, outcome: VerificationSuite.Outcome)], seed: UInt64?, alpha: Double
    ) {
        let document: CSVDocument
        do { document = try CSVReader.read(contentsOf: url) } catch let e as CSVReadError { throw SpecError(e.description) }
        let rows = try outcomes(document)
        let recorded: ExperimentSpec?
        do {
            recorded = try ExperimentRunner.recordedSpec(in: url.deletingLastPathComponent(), family: VerificationFamily())
        } catch {
            throw SpecError("\(url.deletingLastPathComponent().appendingPathComponent(ExperimentRunner.specFile).path): \(error)")
        }
        let alpha = falseAlarm ?? recorded?.one("false_alarm")?.doubleValue ?? 1e-3
        return (rows, recorded?.seed, alpha)
    }
}

extension VerificationFamily {
    /// What `collapse verify --format` writes to stdout.
    public enum ReportFormat: String, Sendable, CaseIterable {
        /// The human table and the verdict line (the default).
        case table
        /// The statistics as rows of `results.csv` (its columns, in file order), then `z_threshold`
        /// (the run's Bonferroni z* = Φ⁻¹(1 − α/(2K)), the same on every row) and `passes`
        /// (`true` when the row meets its rule at z*); the run passes when every row does.
        case csv
        /// One object: `verdict` (`pass`/`fail`), `statistics` K, `failed`, `z_threshold` z*,
        /// `family_false_alarm` α, `seeds` (the battery seeds in file order, as decimal strings:
        /// a seed may exceed 2⁵³), and `checks`, one object per statistic with the fields of its
        /// results row and `passes`.
        case json
    }

    /// `rows` (from `outcomes`) rendered in `format`, with the verdict; `runSeed` is the seed of
    /// rows without a `seed` column. `table` is `report(_:runSeed:falseAlarm:)`'s text.
    public static func render(
        _ rows: [(seed: UInt64?, outcome: VerificationSuite.Outcome)], runSeed: UInt64?,
        falseAlarm alpha: Double, format: ReportFormat
    ) -> (text: String, verdict: Verdict) {
        if format == .table { return report(rows, runSeed: runSeed, falseAlarm: alpha) }
        let verdict = verdict(rows.map(\.outcome), falseAlarm: alpha)
        let hasSeed = rows.contains { $0.seed != nil }
        func ruleFields(_ r: VerificationSuite.Outcome.Rule) -> (String, Double?) {
            switch r {
            case .twoSided: return ("two-sided", nil)
            case .oneSided: return ("one-sided", nil)
            case let .withAllowance(a): return ("allowance", a)
            }
        }
        switch format {
        case .csv:
            var text = (LongResults.columns + columns + (hasSeed ? ["seed"] : []) + ["z_threshold", "passes"]).joined(separator: ",") + "\n"
            for (seed, o) in rows {
                let point = VerificationSuite.point(o.id)
                var line = row(o, battery: point?.battery ?? "", repeats: point?.repeats, extra: hasSeed ? [seed.map(String.init) ?? ""] : [])
                line.removeLast()  // the row's newline
                text += line + "," + CSVField.number(verdict.threshold) + "," + String(o.passes(threshold: verdict.threshold)) + "\n"
            }
            return (text, verdict)
        default:
            func number(_ x: Double?) -> JSONValue { x.map(JSONValue.double) ?? .null }
            var seeds: [UInt64] = []
            for (seed, _) in rows { let s = seed ?? runSeed ?? 0; if !seeds.contains(s) { seeds.append(s) } }
            let checks: [JSONValue] = rows.map { seed, o in
                let point = VerificationSuite.point(o.id), rule = ruleFields(o.rule)
                return .object([
                    ("check", .string(o.id)), ("setting", .string(o.setting)), ("battery", .string(point?.battery ?? "")),
                    ("seed", (seed ?? runSeed).map { .string(String($0)) } ?? .null),
                    ("regime", o.regime.map(JSONValue.string) ?? .null), ("generation", .int(o.generation)),
                    ("metric", .string(o.check)), ("mean", .double(o.mean)), ("std_error", number(o.standardError)),
                    ("theory", .double(o.target)), ("z", .double(o.z)), ("rule", .string(rule.0)), ("allowance", number(rule.1)),
                    ("repeats", point.map { .int($0.repeats) } ?? .null), ("passes", .bool(o.passes(threshold: verdict.threshold)))
                ])
            }
            let object = JSONValue.object(verdict.manifestEntries + [("seeds", .array(seeds.map { .string(String($0)) })), ("checks", .array(checks))])
            return (object.rendered() + "\n", verdict)
        }
    }

    /// `judge(results:falseAlarm:)` in `format`.
    public static func judge(results url: URL, falseAlarm: Double?, format: ReportFormat) throws -> (text: String, verdict: Verdict) {
        let (rows, seed, alpha) = try recorded(results: url, falseAlarm: falseAlarm)
        return render(rows, runSeed: seed, falseAlarm: alpha, format: format)
    }
}
