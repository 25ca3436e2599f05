import CollapseCore
import CollapseExport
import ExperimentEngine
import Foundation

/// The three neural generative models (transformer LM, VAE, DDPM) as a family of the
/// experiment engine. A grid cell is one regime's chain: the model retrained from scratch every
/// generation through `GenerationScheduler` (via `NeuralExperiment.run`). A chain depends only
/// on the seed and its regime (its streams are not named by the regime), so running regimes as
/// separate cells gives the rows of running them together; cells run concurrently, one thread
/// each (BLAS single-threaded), as the regimes did before. Generation 1 (the fit on the real
/// data) is the same in every regime's cell, so it is trained once per run and shared
/// (`SharedFirstGenerations`, `FirstGeneration`): the rows and samples are those of training it
/// in each cell.
public struct NeuralFamily: ExperimentFamily {
    public init() {}

    /// Shared by the copies of this family (a struct): see `task(_:seed:)`.
    let cache = TaskCache()
    /// Generation 1 of each chain, trained once and shared by the regimes' cells: see `run`.
    let firstGenerations = SharedFirstGenerations()

    public var name: String { "neural" }

    public static let models = ["lm", "vae", "diffusion"]
    public static let regimeNames = ["replace", "accumulate", "accumulate-subsample"]

    public var parameters: [Parameter] {
        [
            Parameter(
                "model", .choice(Self.models), default: [.text("lm")],
                help: "lm (byte-level transformer on stories), vae (MLP VAE on 28×28 images) or diffusion (DDPM on conformers)."),
            Parameter(
                "preset", .choice(NeuralPreset.allCases.map(\.rawValue)), default: [.text("small")],
                help: "Sizes and budget: smoke (seconds; for tests), small (minutes on 2 cores), paper (the paper's sizes; days on a CPU)."),
            Parameter(
                "regimes", .choice(Self.regimeNames), role: .axis, default: [.text("replace"), .text("accumulate")],
                help: "Comma-separated regimes: \(Self.regimeNames.joined(separator: ", ")) (each regime's chain is one cell)."),
            Parameter("generations", .integer(1...100), role: .axis, default: [.integer(5)], help: "Model-fitting iterations n (1...100), comma-separated."),
            Parameter(
                "data", .text,
                help: "Real data file instead of the built-in generator (lm: text, vae: MNIST IDX images, diffusion: multi-frame XYZ)."
            ).file(),
            Parameter(
                "steps", .integer(1...10_000_000), role: .axis,
                help: "Train every fit for this many steps whatever its pool (fixed compute per fit), overriding the preset's budget."),
            Parameter(
                "epochs", .real(lower: 0, upper: 100_000, lowerOpen: true), role: .axis,
                help:
                    "Train every fit for this many passes over its training pool (compute grows with an accumulating pool, as in the paper), overriding the preset's budget."
            ),
            Parameter("temperature", .real(lower: 0, upper: 10, lowerOpen: true), role: .axis, help: "lm only: sampling temperature τ (default 1).")
        ]
    }

    public func model(_ spec: ExperimentSpec) -> String { spec.one("model")?.textValue ?? "lm" }
    public func preset(_ spec: ExperimentSpec) -> NeuralPreset { NeuralPreset(rawValue: spec.one("preset")?.textValue ?? "small")! }
    public func generations(_ spec: ExperimentSpec) -> Int { spec.one("generations")?.intValue ?? 5 }

    /// The `steps`/`epochs` override of the preset's budget (nil: the preset's).
    public func budget(_ spec: ExperimentSpec) -> TrainingBudget? {
        if let k = spec.one("steps")?.intValue { return .steps(k) }
        if let e = spec.one("epochs")?.doubleValue { return .epochs(e) }
        return nil
    }

    public func validate(_ spec: ExperimentSpec) throws {
        if spec.one("steps") != nil && spec.one("epochs") != nil {
            throw ParameterError(key: "epochs", message: "give at most one training budget, not both --steps and --epochs")
        }
        if spec.one("temperature") != nil && model(spec) != "lm" {
            throw ParameterError(key: "temperature", message: "applies only to --model lm")
        }
        if let path = spec.one("data")?.textValue {
            guard !path.isEmpty else { throw ParameterError(key: "data", message: "empty path; expected a file") }
            // Read and check the data now, so that a bad file is refused before anything runs.
            do { _ = try task(spec, seed: spec.seed ?? 0) } catch let e as NeuralDataError {
                throw ParameterError(key: "data", message: e.description)
            }
        }
    }

    /// The real data, model factory and facts of a run (what `manifestEntries` records).
    enum AnyTask {
        case lm(NeuralTask<TransformerLanguageModel>)
        case vae(NeuralTask<VariationalAutoencoder>)
        case diffusion(NeuralTask<ConformerDiffusionModel>)

        var parameters: [(String, String)] {
            switch self {
            case let .lm(t): return t.parameters
            case let .vae(t): return t.parameters
            case let .diffusion(t): return t.parameters
            }
        }
    }

    /// The last task built and its inputs: validation, the manifest and every cell of a run share
    /// one read of `--data` (and one generation of the built-in data), as they share the inputs.
    final class TaskCache: @unchecked Sendable {
        let lock = NSLock()
        var key: String?
        var task: AnyTask?
    }

    /// The task of `spec` at `seed`, built once per distinct input.
    func task(_ spec: ExperimentSpec, seed: UInt64) throws -> AnyTask {
        let key = [
            model(spec), preset(spec).rawValue, spec.one("data")?.textValue ?? "", "\(spec.one("temperature")?.doubleValue as Any)",
            "\(budget(spec) as Any)", String(seed)
        ].joined(separator: "\u{1}")
        return try cache.lock.withLock {
            if cache.key == key, let t = cache.task { return t }
            let t = try buildTask(spec, seed: seed)
            (cache.key, cache.task) = (key, t)
            return t
        }
    }

    func buildTask(_ spec: ExperimentSpec, seed: UInt64) throws -> AnyTask {
        let data = spec.one("data")?.textValue, preset = self.preset(spec), budget = self.budget(spec)
        switch model(spec) {
        case "vae": return .vae(try VAETask.make(preset, seed: seed, dataPath: data, budget: budget))
        case "diffusion": return .diffusion(try DiffusionTask.make(preset, seed: seed, dataPath: data, budget: budget))
        default:
            return .lm(
                try LanguageModelTask.make(
                    preset, seed: seed, dataPath: data, temperature: spec.one("temperature")?.doubleValue,
                    budget: budget))
        }
    }

    /// Peak working memory of this cell's chain (`NeuralMemoryEstimate`: the preset's model
    /// sizes, the data, the regime's pool at the last generation) plus, since up to `threads`
    /// cells run at once (`runsCellsConcurrently`), the largest chains that can run beside it.
    public func estimatedBytes(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, threads: Int) -> Double {
        // Each cell with its own values of the swept axes (N, steps, …).
        func bytes(_ c: ExperimentSpec.Cell) -> Double { chainBytes(spec.restricted(to: c), regime: c["regimes"]?.textValue ?? "replace") }
        let cells = spec.cells
        var others = cells
        if let i = others.firstIndex(where: { $0.values == cell.values }) { others.remove(at: i) }
        let beside = others.map(bytes).sorted(by: >).prefix(max(0, min(threads, cells.count) - 1))
        return bytes(cell) + beside.reduce(0, +)
    }

    /// Peak working memory of one regime's chain (one thread).
    public func chainBytes(_ spec: ExperimentSpec, regime: String) -> Double {
        let n = generations(spec), preset = self.preset(spec)
        switch model(spec) {
        case "vae":
            let s = VAETask.sizes(preset)
            return NeuralMemoryEstimate.vae(
                s.config, data: dataSizes(spec) ?? .init(train: s.trainImages, test: s.testImages, width: 784),
                regime: regime, generations: n)
        case "diffusion":
            let s = DiffusionTask.sizes(preset)
            let c = DiffusionConfig(
                hidden: s.hidden, layers: s.layers, diffusionSteps: s.diffusionSteps, batch: s.batch, budget: s.budget,
                learningRate: s.learningRate, coordinateScale: 1, checkSamples: s.checkSamples)
            // The built-in molecule: an 8-atom chain (7 bonds, 5 torsions).
            let builtIn = NeuralMemoryEstimate.DataSizes(train: s.trainConformers, test: s.testConformers, width: 24, bonds: 7, torsions: 5)
            return NeuralMemoryEstimate.diffusion(c, data: dataSizes(spec) ?? builtIn, regime: regime, generations: n)
        default:
            let s = LanguageModelTask.sizes(preset)
            // Built-in stories are at most this long (StoryGrammar's bound for the context).
            let longest = Double(max(60, min(127, s.config.context - 1)))
            return NeuralMemoryEstimate.languageModel(
                s.config, data: dataSizes(spec) ?? .init(train: s.trainStories, test: s.testStories, width: longest),
                regime: regime, generations: n)
        }
    }

    /// The sizes of a `--data` file's training and held-out sets (read once: validation has
    /// already built and cached the task); nil for built-in data.
    func dataSizes(_ spec: ExperimentSpec) -> NeuralMemoryEstimate.DataSizes? {
        guard let path = spec.one("data")?.textValue, let task = try? task(spec, seed: spec.seed ?? 0) else { return nil }
        let file = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.doubleValue ?? 0
        switch task {
        case let .lm(t):
            let bytes = Double(t.train.stream.count)
            return .init(train: t.train.count, test: t.test.count, width: max(1, bytes / Double(max(1, t.train.count)) - 1), fileBytes: file)
        case let .vae(t):
            return .init(train: t.train.count, test: t.test.count, width: Double(t.train.dimension), fileBytes: file)
        case let .diffusion(t):
            return .init(
                train: t.train.count, test: t.test.count, width: Double(t.train.dimension), bonds: t.train.bonds.count,
                torsions: t.train.torsions.count, fileBytes: file)
        }
    }

    /// Accumulate's pool, and with an epoch budget its training, grow with the generation.
    public func work(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> Double {
        cell["regimes"]?.textValue == "replace" ? 1 : Double(generations(spec.restricted(to: cell)) + 1) / 2
    }

    /// Progress counts generations.
    public func replicates(_ spec: ExperimentSpec) -> Int { generations(spec) }

    public var runsCellsConcurrently: Bool { true }

    /// Every generation's fit writes a small sample of what it generates (`NeuralSamples`) to
    /// `samples/CELL/generation-NNN.EXT`.
    public var keepsSamples: Bool { true }

    /// The directory of `cell`'s samples under the run's samples directory: the regime, then
    /// any other swept axis (`replace`, or `replace-steps-200` in a sweep over steps).
    public func samplesDirectory(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> String {
        let axes = extraAxes(spec)
        return NeuralSamples.cellDirectory(
            regime: cell["regimes"]?.textValue ?? "replace",
            axes: Array(zip(axes, cell.csvFields(axes))).map { (key: $0.0, value: $0.1) })
    }

    /// The long results format (`LongResults`): one row per generation and metric (`test_loss`
    /// first, then the model's diagnostics); `mean` is the run's value, `std_error` empty (one
    /// run), `samples` the real training records, `repeats` 1.
    public func header(_ spec: ExperimentSpec) -> [String] { LongResults.columns + extraAxes(spec) }

    /// The axes other than the regime swept over several values: each gets a column (after the
    /// common ones) so rows of different cells stay apart.
    func extraAxes(_ spec: ExperimentSpec) -> [String] { spec.sweptAxes(except: ["regimes"]) }

    /// The figure's title of a run of `model` at `preset`.
    public static func figureTitle(model: String, preset: NeuralPreset) -> String {
        let name = ["lm": "Transformer language model", "vae": "VAE", "diffusion": "DDPM diffusion model"][model] ?? model
        return "\(name) (--preset \(preset.rawValue)): test metrics over model-fitting iterations"
    }

    /// The dataset column: the built-in data's name, or the data file's name.
    public func dataset(_ spec: ExperimentSpec) -> String {
        if let path = spec.one("data")?.textValue { return URL(fileURLWithPath: path).lastPathComponent }
        return ["lm": "stories", "vae": "glyphs", "diffusion": "conformers"][model(spec)] ?? "built-in"
    }

    public func manifestEntries(_ spec: ExperimentSpec) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = [("blas_threads", .int(1))]
        // The task's facts; its description of the data (source and counts) as data_source,
        // beside the data parameter (the path, when given).
        if let t = try? task(spec, seed: spec.seed ?? 0) {
            out += t.parameters.map { ($0.0 == "data" ? "data_source" : $0.0, JSONValue.string($0.1)) }
        }
        return out
    }

    public func notes(_ spec: ExperimentSpec) -> [String] {
        preset(spec) == .paper ? ["note: --preset paper uses the paper's sizes; on a CPU this runs for days (see docs/neural-models.md)"] : []
    }

    public func run(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> String {
        try runCell(spec, cell: cell, context: context).rows
    }

    public var providesReplicateValues: Bool { true }

    /// One run per cell: each row's one value (replicate 1) is its mean.
    public func runCell(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> CellOutput {
        guard let name = cell["regimes"]?.textValue, let regime = Regime.named(name, realFraction: 0) else {
            preconditionFailure("neural cells are regimes")
        }
        if context.isCancelled() { throw CellCancelled() }
        let dataset = self.dataset(spec), s = spec.restricted(to: cell)
        let extra = cell.csvFields(extraAxes(spec))
        let samples = context.samplesDirectory.map { $0.appendingPathComponent(samplesDirectory(spec, cell: cell)) }
        if let samples { NeuralSamples.removeStaleTemporaries(in: samples) }
        // Generation 1 is the same in every regime's cell (the cell without its regime, at this
        // seed): the first cell to reach it trains it, the others reuse it.
        var others = cell
        others.values["regimes"] = nil
        let key = spec.restricted(to: others).tomlText() + "\nseed = \(context.seed)\n", uses = spec["regimes"].count
        let shared = firstGenerations
        func chain<M: NeuralGenerativeModel>(_ t: NeuralTask<M>) throws -> CellOutput where M.Data: NeuralSampleData {
            let seed = context.seed
            let result = try NeuralExperiment.run(
                regimes: [regime], generations: generations(s), threads: 1, seed: seed,
                realData: t.train, makeModel: t.make, progress: { _ in context.advance(1) },
                afterFit: { _, n, model in
                    if let samples { try NeuralSamples.write(model, generation: n, seed: seed, to: samples) }
                },
                firstGeneration: { try shared.value(key: key, uses: uses) { try FirstGeneration.fit(make: t.make, real: t.train) } })
            let rows = Self.csvRows(result.rows, metricNames: result.metricNames, dataset: dataset, samples: t.train.count, extra: extra)
            if result.interrupted { throw CellCancelled(partialRows: rows) }
            let values = result.rows.flatMap { r in ([r.testLoss] + r.metrics).map { [$0] } }
            return CellOutput(rows: rows, replicateValues: context.keepsReplicateValues ? values : nil)
        }
        switch try task(s, seed: context.seed) {
        case let .lm(t): return try chain(t)
        case let .vae(t): return try chain(t)
        case let .diffusion(t): return try chain(t)
        }
    }

    /// Long-format lines: per generation, `test_loss` then each diagnostic.
    public static func csvRows(_ rows: [NeuralResultRow], metricNames: [String], dataset: String, samples: Int, extra: [String] = []) -> String {
        rows.map { r in
            zip(["test_loss"] + metricNames, [r.testLoss] + r.metrics).map { name, value in
                LongResults.row(
                    model: r.model, dataset: dataset, regime: r.regime.name, realFraction: nil, generation: r.generation,
                    metric: name, mean: value, standardError: nil, robust: RobustSummary([value]), theory: nil, samples: samples,
                    repeats: 1, extra: extra)
            }.joined()
        }.joined()
    }
}

/// Values computed once and shared by the cells that need them (generation 1 of the neural
/// chains, the same in every regime's cell): the first cell to ask computes it while the
/// others wait; the entry is dropped after `uses` cells took it (every regime of a run), or
/// with the family. A computation that fails (an interruption) is not kept: the next cell to
/// ask computes it again.
public final class SharedFirstGenerations: @unchecked Sendable {
    private let condition = NSCondition()
    private enum State {
        case computing
        case done(Any, remaining: Int)
    }
    private var entries: [String: State] = [:]

    public init() {}

    public func value<T>(key: String, uses: Int, compute: () throws -> T) throws -> T {
        condition.lock()
        while true {
            switch entries[key] {
            case .computing?:
                condition.wait()
                continue
            case let .done(value, remaining)?:
                entries[key] = remaining > 1 ? .done(value, remaining: remaining - 1) : nil
                condition.unlock()
                return value as! T
            case nil:
                entries[key] = .computing
                condition.unlock()
                do {
                    let value = try compute()
                    condition.lock()
                    entries[key] = uses > 1 ? .done(value, remaining: uses - 1) : nil
                    condition.broadcast()
                    condition.unlock()
                    return value
                } catch {
                    condition.lock()
                    entries[key] = nil
                    condition.broadcast()
                    condition.unlock()
                    throw error
                }
            }
        }
    }
}
