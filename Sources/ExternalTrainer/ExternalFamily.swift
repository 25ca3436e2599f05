import CollapseCore
import CollapseExport
import ExperimentEngine
import Foundation
import Randomness

/// An external trainer (docs/trainer-protocol.md) as a family of the experiment engine: a cell
/// is one grid point (generations × real records × replicates), and runs every regime's chains
/// through `GenerationScheduler` with `ExternalModel`, so external runs sweep, shard, resume and
/// merge like every family. The steps live in the run's work directory, so a run interrupted
/// inside a cell (or stopped by a failed step) resumes at its first unfinished step.
///
/// Results (the long format): `model` = `external`, `dataset` = the `--data` file's name, one
/// row per regime × generation × metric (`test_loss` first, then the evaluation's other numbers,
/// then the fit's as `fit_<name>`), `mean` and `std_error` over the replicates that reported
/// the metric (`repeats`), `samples` = the real records T. No theory column.
public struct ExternalFamily: ExperimentFamily {
    public init() {}

    public var name: String { "external" }

    public var parameters: [Parameter] {
        [
            Parameter(
                "trainer", .text,
                help: "The trainer command (read by /bin/sh), e.g. 'python3 examples/trainers/unigram.py --order 2' (docs/trainer-protocol.md)."
            ).file(),
            Parameter("data", .text, help: "The real records (a file in the trainer's format); generation 1 trains on the first --samples of them.").file(),
            Parameter("test", .text, help: "The held-out records every evaluation uses.").file(),
            Parameter("format", .text, help: "Record format: \(RecordFormat.allowed); default: the trainer's first declared."),
            .regimes(Regime.names), .realFraction,
            Parameter(
                "generations", .integer(1...1000), role: .axis, default: [.integer(5)], help: "Model fits N (generation 1 fits the real data), comma-separated."
            ),
            Parameter(
                "samples", .integer(1...1_000_000_000), role: .axis,
                help: "Real records T per generation, comma-separated (default: every record of --data; fresh-real needs N·T records)."),
            Parameter(
                "repeats", .integer(1...10_000), role: .axis, default: [.integer(1)], help: "Independent chains per regime (own seeds), comma-separated."),
            Parameter(
                "step_timeout", .real(lower: 0, upper: 1e7, lowerOpen: true),
                help: "Seconds a step may run before it is stopped and reported (default: no limit)."),
            Parameter(
                "keep_models", .choice(KeepModels.allCases.map(\.rawValue)), default: [.text("last")],
                help: "Model directories kept: last (each chain's last model), all, or none.")
        ]
    }

    /// One command's `info` reply per process (validation runs before every run and resume).
    private static let infoCache = InfoCache()

    /// The trainer's `info` reply: its declared formats (and what else it said).
    public static func info(_ command: String) throws -> (formats: [String], reply: [String: JSONReply], seconds: Double) {
        if let cached = infoCache.get(command) { return cached }
        let started = Date()
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("collapse-info-\(getpid())-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let reply = try TrainerProcess(command: command, timeout: 120).run(
            step: "info", arguments: [], environment: ["COLLAPSE_STEP": "info", "COLLAPSE_PROTOCOL": "1"],
            stdoutLog: dir.appendingPathComponent("stdout"), stderrLog: dir.appendingPathComponent("stderr"), describe: "info", logsKept: false,
            isCancelled: { false }
        ).object
        guard case let .array(items)? = reply["formats"], !items.isEmpty,
            case let formats = items.compactMap({ item -> String? in if case let .string(s) = item { return s } else { return nil } }),
            formats.count == items.count
        else {
            throw TrainerError("external trainer: the info step's reply declares no \"formats\" (a list of format names): \(reply)")
        }
        let answer = (formats: formats, reply: reply, seconds: Date().timeIntervalSince(started))
        infoCache.set(command, answer)
        return answer
    }

    /// The record format of a run: `format` when given, else the trainer's first declared.
    public func format(_ spec: ExperimentSpec) throws -> RecordFormat {
        let trainer = spec.one("trainer")?.textValue ?? ""
        let declared = try Self.info(trainer).formats
        let name = spec.one("format")?.textValue ?? declared[0]
        guard let format = RecordFormat(name) else {
            throw ParameterError(
                key: spec.one("format") == nil ? "trainer" : "format",
                message: "'\(name)' is not a record format; expected \(RecordFormat.allowed)")
        }
        guard declared.contains(name) else {
            throw ParameterError(
                key: "format", message: "'\(name)' is not a format the trainer declares (its info step says: \(declared.joined(separator: ", ")))")
        }
        return format
    }

    public func regimes(_ spec: ExperimentSpec) -> [Regime] {
        let fractions = spec["real_fraction"].isEmpty ? [0.5] : spec["real_fraction"].compactMap(\.doubleValue)
        return Regime.expand(names: spec["regimes"].compactMap(\.textValue), realFractions: fractions)
    }

    /// The absolute path of a file parameter.
    static func path(_ spec: ExperimentSpec, _ key: String) -> String? {
        spec.one(key)?.textValue.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    /// The records in the file of `key`, checked readable and non-empty.
    func records(_ spec: ExperimentSpec, _ key: String, format: RecordFormat) throws -> Int {
        let path = Self.path(spec, key)!
        let n: Int
        do { n = try format.count(file: path) } catch let e as RegularFile.Failure {
            throw ParameterError(key: key, value: spec.one(key)?.textValue, message: e.description)
        } catch let e as RecordError {
            throw ParameterError(key: key, message: e.description)
        }
        guard n > 0 else { throw ParameterError(key: key, value: spec.one(key)?.textValue, message: "holds no records (format \(format))") }
        return n
    }

    public func validate(_ spec: ExperimentSpec) throws {
        for key in ["trainer", "data", "test"] where (spec.one(key)?.textValue ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw ParameterError(key: key, message: "required (see `collapse external --help` and docs/trainer-protocol.md)")
        }
        if spec.isGiven("real_fraction") && !regimes(spec).contains(where: { $0.realFraction != nil }) {
            throw ParameterError(key: "real_fraction", message: "applies only to the mix and fresh-real regimes; add one to --regimes or drop --real-fraction")
        }
        let format: RecordFormat
        do { format = try self.format(spec) } catch let e as TrainerError {
            throw ParameterError(key: "trainer", message: e.description)
        }
        let available = try records(spec, "data", format: format)
        _ = try records(spec, "test", format: format)
        let fresh = regimes(spec).contains { if case .freshReal = $0 { return true } else { return false } }
        for cell in spec.cells {
            let t = cell["samples"]?.intValue ?? available, n = cell["generations"]!.intValue!
            if t > available {
                throw ParameterError(key: "samples", value: String(t), message: "--data holds only \(available) records")
            }
            if fresh && n * t > available {
                throw ParameterError(
                    key: "data",
                    message:
                        "fresh-real needs a fresh block of T records per generation: N·T = \(n)·\(t) = \(n * t) records, but the file holds \(available); lower --samples or --generations"
                )
            }
        }
    }

    /// The records of a chain are references (a few integers each); the trainer's own memory is
    /// its business.
    public func estimatedBytes(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, threads: Int) -> Double {
        let t = Double(cell["samples"]?.intValue ?? 100_000), n = Double(cell["generations"]?.intValue ?? 1)
        return 16e6 + 64 * t * n
    }

    public func work(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> Double { 1 }

    /// Progress counts generations: chains × generations of a cell.
    public func replicates(_ spec: ExperimentSpec) -> Int {
        regimes(spec).count * (spec.one("repeats")?.intValue ?? 1) * (spec.one("generations")?.intValue ?? 1)
    }

    public func header(_ spec: ExperimentSpec) -> [String] {
        LongResults.columns + spec.sweptAxes(except: ["samples", "repeats"])
    }

    public func inputFiles(_ spec: ExperimentSpec) -> [(key: String, path: String)] {
        ["data", "test"].compactMap { key in spec.one(key)?.textValue.map { (key, $0) } }
    }

    public var usesWorkDirectory: Bool { true }

    public func manifestEntries(_ spec: ExperimentSpec) -> [(String, JSONValue)] {
        guard let trainer = spec.one("trainer")?.textValue, let info = try? Self.info(trainer) else { return [] }
        return [
            ("trainer_formats", .array(info.formats.map { .string($0) })), ("trainer_info_seconds", .double(info.seconds)),
            ("trainer_name", info.reply["name"].flatMap { if case let .string(s) = $0 { return .string(s) } else { return nil } } ?? .null)
        ]
    }

    public func run(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> String {
        try runCell(spec, cell: cell, context: context).rows
    }

    public var providesReplicateValues: Bool { true }

    /// Each row's values are its chains' (replicates'), in replicate order.
    public func runCell(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> CellOutput {
        let format = try self.format(spec)
        let data = Self.path(spec, "data")!
        let t = try cell["samples"]?.intValue ?? records(spec, "data", format: format)
        let generations = cell["generations"]!.intValue!, repeats = cell["repeats"]?.intValue ?? 1
        let store = StepStore(
            work: context.workDirectory!,
            trainer: TrainerProcess(
                command: spec.one("trainer")!.textValue!,
                timeout: spec.one("step_timeout")?.doubleValue),
            format: format, testFile: Self.path(spec, "test")!,
            keepModels: KeepModels(rawValue: spec.one("keep_models")?.textValue ?? "last") ?? .last,
            isCancelled: context.isCancelled)
        let real = RecordSet(parts: [.init(path: data, start: 0, count: t)])
        let root = StreamRegistry.externalTrainer, seed = context.seed
        func derived(_ path: [UInt64]) -> UInt64 { var g = Xoshiro256StarStar(seed: seed, stream: [root] + path); return g.next() >> 1 }

        var rows = "", values: [[Double]] = []
        for regime in regimes(spec) {
            var logs: [ChainLog] = []
            for r in 0..<repeats {
                let log = ChainLog()
                var model = ExternalModel(
                    store: store, log: log, chain: "\(regime), replicate \(r)", generations: generations,
                    fitSeed: { derived([3, UInt64(r), UInt64($0)]) }, evaluationSeed: { derived([4, UInt64(r), UInt64($0)]) })
                var sampling = Xoshiro256StarStar(seed: seed, stream: [root, 1, UInt64(r)])
                var subsampling = Xoshiro256StarStar(seed: seed, stream: [root, 2, UInt64(r)])
                do {
                    _ = try GenerationScheduler<ExternalModel>(regime: regime, generations: generations).run(
                        model: &model, realData: real, sampling: &sampling, subsampling: &subsampling,
                        freshReal: { n in RecordSet(parts: [.init(path: data, start: (n - 1) * t, count: t)]) },
                        observe: { _, _, _ in context.advance(1) })
                } catch is StepCancelled {
                    throw CellCancelled()
                } catch let e as TrainerError {
                    throw RunnerError(e.description + "\n  finished steps are kept in \(store.work.path); fix the trainer and rerun with --resume")
                }
                logs.append(log)
            }
            let summary = Self.summary(
                logs, regime: regime, dataset: URL(fileURLWithPath: data).lastPathComponent, samples: t,
                extra: cell.csvFields(spec.sweptAxes(except: ["samples", "repeats"])))
            rows += summary.rows
            values += summary.values
        }
        return CellOutput(rows: rows, replicateValues: context.keepsReplicateValues ? values : nil)
    }

    /// One row per generation and metric: the mean and standard error s/√k over the k chains
    /// that reported it. Metric order: `test_loss`, the evaluation's other numbers, the fit's.
    static func rows(_ logs: [ChainLog], regime: Regime, dataset: String, samples: Int, extra: [String]) -> String {
        summary(logs, regime: regime, dataset: dataset, samples: samples, extra: extra).rows
    }

    /// `rows`, and the values each row summarises (the chains that reported the metric, in
    /// chain order).
    static func summary(_ logs: [ChainLog], regime: Regime, dataset: String, samples: Int, extra: [String]) -> (rows: String, values: [[Double]]) {
        var out = "", kept: [[Double]] = []
        let generations = logs.map(\.metrics.count).max() ?? 0
        for n in 0..<generations {
            let names = Set(logs.flatMap { $0.metrics.count > n ? Array($0.metrics[n].keys) : [] })
            let ordered = names.sorted { a, b in
                func rank(_ s: String) -> Int { s == "test_loss" ? 0 : s.hasPrefix("fit_") ? 2 : 1 }
                return (rank(a), a) < (rank(b), b)
            }
            for metric in ordered {
                let values = logs.compactMap { $0.metrics.count > n ? $0.metrics[n][metric] : nil }
                let k = Double(values.count)
                let mean = values.reduce(0, +) / k
                let se = values.count >= 2 ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (k - 1) / k).squareRoot() : nil
                out += LongResults.row(
                    model: "external", dataset: dataset, regime: regime.name, realFraction: regime.realFraction,
                    generation: n + 1, metric: metric, mean: mean, standardError: se, robust: RobustSummary(values),
                    theory: nil, samples: samples,
                    repeats: values.count, extra: extra)
                kept.append(values)
            }
        }
        return (out, kept)
    }
}

private final class InfoCache: @unchecked Sendable {
    typealias Info = (formats: [String], reply: [String: JSONReply], seconds: Double)
    private var replies: [String: Info] = [:]
    private let lock = NSLock()
    func get(_ key: String) -> Info? { lock.lock(); defer { lock.unlock() }; return replies[key] }
    func set(_ key: String, _ value: Info) { lock.lock(); replies[key] = value; lock.unlock() }
}
