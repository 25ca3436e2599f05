import CollapseCore
import CollapseExport
import Foundation

/// What a step printed, as JSON: numbers are told apart from booleans (`true` is not a metric).
public enum JSONReply: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONReply])
    case object([String: JSONReply])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let x = try? c.decode(Double.self) {
            self = .number(x)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONReply].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONReply].self))
        }
    }

    /// The JSON object on one line, or nil.
    public static func object(_ line: String) -> [String: JSONReply]? {
        guard let data = line.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode([String: JSONReply].self, from: data)
    }

    /// The numeric fields of an object that are results: not timings (`seconds`, `*_seconds`),
    /// which differ between runs of a deterministic trainer (docs/trainer-protocol.md).
    public static func numbers(_ object: [String: JSONReply]) -> [String: Double] {
        object.reduce(into: [:]) { out, kv in
            if case let .number(x) = kv.value, kv.key != "seconds", !kv.key.hasSuffix("_seconds") { out[kv.key] = x }
        }
    }
}

/// Which model directories a run keeps (`--keep-models`).
public enum KeepModels: String, CaseIterable, Sendable {
    /// Every generation's model.
    case all
    /// Each chain's last model; the others are deleted once evaluated and sampled.
    case last
    /// None: each model is deleted once it is no longer needed.
    case none
}

/// The steps of an external trainer, stored by content in the run's work directory: a step's
/// directory is `KIND-KEY`, KEY a hash of everything the step depends on (the step, the trainer
/// command, the format, its inputs and its seed), and it counts as done once `result.json` is
/// in it (written atomically after the step's outputs are complete). A step already done is
/// never rerun, so an interrupted run resumes at its first unfinished step, and a step that
/// several chains share (generation 1 of every regime) runs once.
public final class StepStore: @unchecked Sendable {
    public let work: URL
    public let trainer: TrainerProcess
    public let format: RecordFormat
    /// The held-out file (absolute path).
    public let testFile: String
    public let keepModels: KeepModels
    let isCancelled: @Sendable () -> Bool

    public init(
        work: URL, trainer: TrainerProcess, format: RecordFormat, testFile: String, keepModels: KeepModels,
        isCancelled: @escaping @Sendable () -> Bool
    ) {
        self.work = work
        self.trainer = trainer
        self.format = format
        self.testFile = testFile
        self.keepModels = keepModels
        self.isCancelled = isCancelled
    }

    /// The directory of the step described by `description` (every input, one per line).
    func directory(_ kind: String, _ description: [String]) -> URL {
        let text = ([kind, "trainer=" + trainer.command, "format=\(format)"] + description).joined(separator: "\n")
        return work.appendingPathComponent("\(kind)-" + SHA256.hex(Data(text.utf8)).prefix(24))
    }

    /// The committed reply of the step in `dir`, or nil while it is not done.
    func committed(_ dir: URL) throws -> [String: JSONReply]? {
        let url = dir.appendingPathComponent("result.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let text = String(data: try RegularFile.read(url.path, limit: 1 << 24), encoding: .utf8),
            let result = JSONReply.object(text), case let .object(reply)? = result["reply"]
        else {
            throw TrainerError("\(url.path): damaged (not the result of a finished step); delete its directory and rerun with --resume")
        }
        return reply
    }

    /// Runs a step into `dir`, made afresh (what a cut-short attempt left is removed first):
    /// `prepare` writes its inputs, the trainer runs, `finish` checks its outputs and moves them
    /// into place, and then the reply is committed. The trainer writes to names unique to this
    /// attempt (`.partial-ATTEMPT`), so a trainer orphaned by a killed run cannot write into a
    /// later attempt's outputs.
    func run(
        _ step: String, in dir: URL, arguments: (_ attempt: String) -> [String], generation: Int, describe: String,
        finish: (_ attempt: String) throws -> Void = { _ in }, prepare: (_ attempt: String) throws -> Void = { _ in },
        check: ([String: JSONReply]) -> String? = { _ in nil }
    ) throws -> [String: JSONReply] {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        // A trainer left running by a killed run (it has its own process group) is stopped first:
        // command.txt's first line names its process group and attempt.
        let commandFile = dir.appendingPathComponent("command.txt")
        if let text = try? String(contentsOf: commandFile, encoding: .utf8),
            case let parts = (text.split(separator: "\n").first ?? "").split(separator: " "), parts.count == 3, parts[0] == "pgid",
            let group = pid_t(parts[1])
        {
            TrainerProcess.stopOrphans(group: group, attempt: String(parts[2]))
        }
        for name in try fm.contentsOfDirectory(atPath: dir.path) { try? fm.removeItem(at: dir.appendingPathComponent(name)) }
        let attempt = "\(getpid())-\(Self.attempts.next())"
        try prepare(attempt)
        let args = ["--format", format.description] + arguments(attempt)
        let shellLine = trainer.shellLine(step: step, arguments: args)
        let started = Date()
        let (line, reply) = try trainer.run(
            step: step, arguments: args,
            environment: [
                "COLLAPSE_STEP": step, "COLLAPSE_GENERATION": String(generation), "COLLAPSE_PROTOCOL": "1",
                "COLLAPSE_ATTEMPT": attempt
            ],
            stdoutLog: dir.appendingPathComponent("step.stdout"), stderrLog: dir.appendingPathComponent("step.stderr"),
            describe: describe,
            onStart: { pid in
                try? Data("pgid \(pid) \(attempt)\n\(shellLine)\n".utf8).write(to: commandFile)
            },
            isCancelled: isCancelled)
        func failure(_ why: String) -> TrainerError {
            TrainerError(
                TrainerProcess.failureMessage(
                    describe: describe, why: why, command: shellLine,
                    stdoutLog: dir.appendingPathComponent("step.stdout"),
                    stderrLog: dir.appendingPathComponent("step.stderr")))
        }
        do { try finish(attempt) } catch let e as StepOutputError { throw failure(e.why) }
        if let problem = check(reply) { throw failure(problem) }
        // The reply is committed as the trainer printed it, so a fresh and a resumed run read the
        // same text (`committed`).
        try AtomicFile.write("{\"seconds\": \(Date().timeIntervalSince(started)), \"reply\": \(line)}\n", to: dir.appendingPathComponent("result.json"))
        return reply
    }

    private static let attempts = Counter()
}

/// What is wrong with a step's outputs (reported with the step's command and logs).
struct StepOutputError: Error { var why: String }

private final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// One chain's record of what each generation's steps reported.
public final class ChainLog: @unchecked Sendable {
    /// `metrics[n - 1]`: generation n's evaluation fields and its fit's fields (`fit_` + name).
    public internal(set) var metrics: [[String: Double]] = []
    public init() {}
}

/// An external trainer as a `GenerativeModel`: its data are file-backed record references, so
/// the one `GenerationScheduler` gives every regime exactly its meaning for the built-in models.
/// `fit` only names the step; the trainer fits when a model is first needed (to evaluate or
/// sample) and its step is not already done, so a resumed chain refits nothing it has.
public struct ExternalModel: GenerativeModel {
    public typealias Data = RecordSet

    let store: StepStore
    let log: ChainLog
    /// Names the chain in messages (`accumulate, replicate 0`).
    let chain: String
    /// The generations of the chain (its last model is kept by `--keep-models last`).
    let generations: Int
    /// The seed of generation n's fit and evaluation.
    let fitSeed: (Int) -> UInt64
    let evaluationSeed: (Int) -> UInt64

    var generation = 0
    var fitDirectory: URL?
    var trainingFile = ""

    public init(
        store: StepStore, log: ChainLog, chain: String, generations: Int, fitSeed: @escaping (Int) -> UInt64,
        evaluationSeed: @escaping (Int) -> UInt64
    ) {
        self.store = store
        self.log = log
        self.chain = chain
        self.generations = generations
        self.fitSeed = fitSeed
        self.evaluationSeed = evaluationSeed
    }

    func describe(_ step: String) -> String { "\(step) of generation \(generation) (\(chain))" }

    public mutating func fit(_ data: RecordSet) throws {
        generation += 1
        trainingFile = data.trainingFile(format: store.format)
        fitDirectory = store.directory("fit", ["seed=\(fitSeed(generation))", trainingFile])
    }

    /// The fit's reply; fits first when the model is needed (`needModel`) and absent, or when the
    /// fit never ran.
    func fitted(needModel: Bool) throws -> [String: JSONReply] {
        let dir = fitDirectory!
        let model = dir.appendingPathComponent("model")
        if let reply = try store.committed(dir), !needModel || FileManager.default.fileExists(atPath: model.path) { return reply }
        let training = trainingFile, seed = fitSeed(generation)
        func partial(_ attempt: String) -> URL { dir.appendingPathComponent("model.partial-" + attempt) }
        return try store.run(
            "fit", in: dir,
            arguments: { attempt in
                ["--train", dir.appendingPathComponent("train.json").path, "--model-dir", partial(attempt).path, "--seed", String(seed)]
            }, generation: generation, describe: describe("fit"),
            finish: { attempt in
                try FileManager.default.moveItem(at: partial(attempt), to: model)
            },
            prepare: { attempt in
                // Not committed until result.json is, so a plain write suffices.
                try Foundation.Data(training.utf8).write(to: dir.appendingPathComponent("train.json"))
                try FileManager.default.createDirectory(at: partial(attempt), withIntermediateDirectories: false)
            })
    }

    /// A reply for a message (at most 200 characters).
    static func shown(_ reply: [String: JSONReply]) -> String {
        let keys = reply.keys.sorted().joined(separator: ", ")
        return String("{\(keys)}".prefix(200))
    }

    func deleteModel() {
        try? FileManager.default.removeItem(at: fitDirectory!.appendingPathComponent("model"))
    }

    public func evaluate() throws -> Double {
        let seed = evaluationSeed(generation)
        let dir = store.directory("evaluate", ["fit=" + fitDirectory!.lastPathComponent, "test=" + store.testFile, "seed=\(seed)"])
        var reply = try store.committed(dir)
        if reply == nil {
            let model = fitDirectory!.appendingPathComponent("model")
            _ = try fitted(needModel: true)
            reply = try store.run(
                "evaluate", in: dir,
                arguments: { _ in
                    ["--model-dir", model.path, "--test", store.testFile, "--seed", String(seed)]
                }, generation: generation, describe: describe("evaluate"),
                check: { reply in
                    JSONReply.numbers(reply)["test_loss"] == nil ? "its reply has no number test_loss: \(Self.shown(reply))" : nil
                })
        }
        var metrics = JSONReply.numbers(reply!)
        guard let loss = metrics["test_loss"] else {
            throw TrainerError(
                "external trainer: \(dir.path)/result.json: the \(describe("evaluate")) step's reply has no number test_loss; delete that directory and rerun with --resume"
            )
        }
        for (k, v) in JSONReply.numbers(try fitted(needModel: false)) { metrics["fit_" + k] = v }
        log.metrics.append(metrics)
        if store.keepModels == .none && generation == generations { deleteModel() }
        return loss
    }

    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) throws -> RecordSet {
        let seed = rng.next() >> 1
        let dir = store.directory("sample", ["fit=" + fitDirectory!.lastPathComponent, "count=\(count)", "seed=\(seed)"])
        let file = dir.appendingPathComponent("samples." + store.format.fileExtension)
        if try store.committed(dir) == nil {
            let model = fitDirectory!.appendingPathComponent("model")
            _ = try fitted(needModel: true)
            let format = store.format
            func partial(_ attempt: String) -> URL { dir.appendingPathComponent("samples.partial-\(attempt).\(format.fileExtension)") }
            _ = try store.run(
                "sample", in: dir,
                arguments: { attempt in
                    ["--model-dir", model.path, "--count", String(count), "--seed", String(seed), "--output", partial(attempt).path]
                }, generation: generation, describe: describe("sample"),
                finish: { attempt in
                    let partial = partial(attempt)
                    let written: Int
                    do { written = try format.count(file: partial.path) } catch {
                        throw StepOutputError(why: "it wrote no readable samples file \(partial.path): \(error)")
                    }
                    guard written == count else {
                        throw StepOutputError(why: "it wrote \(written) records to \(partial.path); it was asked for \(count) (format \(format))")
                    }
                    try FileManager.default.moveItem(at: partial, to: file)
                })
        }
        if store.keepModels != .all { deleteModel() }
        return RecordSet(file: file.path, count: count)
    }
}
