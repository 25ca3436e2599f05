import CollapseExport
import Foundation

/// What a family's cell run receives: the seed, the worker threads, and hooks for progress and
/// cancellation.
public struct CellContext: Sendable {
    public var seed: UInt64
    public var threads: Int
    /// Polled by the family where it can stop early; when it returns true, throw `CellCancelled`.
    public var isCancelled: @Sendable () -> Bool
    /// Reports finished replicates (called from any thread).
    public var advance: @Sendable (_ replicates: Int) -> Void
    /// The run's work directory (`DIR/work`, shared by its cells and kept by `--resume`) for a
    /// family that `usesWorkDirectory`; nil otherwise.
    public var workDirectory: URL?
    /// The run's samples directory (`DIR/samples`, shared by its cells, kept by `--resume` and
    /// removed by `--force`) for a family that `keepsSamples`; nil otherwise. A cell writes its
    /// samples there atomically, and a rerun of the cell writes the same bytes.
    public var samplesDirectory: URL?
    /// The threads this cell shares with the other cells in flight, for a family that
    /// `sharesThreadsAcrossCells` when the runner runs several cells at once: its parallel
    /// phases run on it (`ParallelPhase.run`), the calling thread holding one share. Nil when
    /// the cell has `threads` workers to itself.
    public var threadBudget: ThreadBudget?
    /// Whether the run keeps every replicate's value (`--per-replicate`): the family's
    /// `runCell` then returns them beside its rows (`CellOutput.replicateValues`).
    public var keepsReplicateValues = false

    public init(
        seed: UInt64, threads: Int, isCancelled: @escaping @Sendable () -> Bool = { false },
        advance: @escaping @Sendable (Int) -> Void = { _ in }, workDirectory: URL? = nil, samplesDirectory: URL? = nil
    ) {
        self.seed = seed
        self.threads = threads
        self.isCancelled = isCancelled
        self.advance = advance
        self.workDirectory = workDirectory
        self.samplesDirectory = samplesDirectory
    }
}

/// Thrown by a family when `CellContext.isCancelled` fired: the cell is abandoned, not counted
/// as done. Rows it finished before the signal (`partialRows`, no header) are kept beside the
/// cell files as `cell-NNNNN.partial.csv` for the user to read; `--resume` recomputes the cell.
public struct CellCancelled: Error {
    public var partialRows: String?
    public init(partialRows: String? = nil) { self.partialRows = partialRows }
}

/// A model family of the experiment engine: it declares its parameters, checks combinations,
/// estimates memory, names its results columns, and runs one grid cell. The runner does the
/// rest (grid, durable cells, resume, shards, merge, progress, interruption, output safety), so
/// a new family gets all of it by conforming.
public protocol ExperimentFamily: Sendable {
    /// The name configs use (`family = "generative"`).
    var name: String { get }
    /// Every parameter, in the order of the results columns and the grid (first axis outermost).
    var parameters: [Parameter] { get }
    /// Checks what single-parameter checks cannot (combinations, files, sizes); throws
    /// `ParameterError` naming the key whose value is at fault.
    func validate(_ spec: ExperimentSpec) throws
    /// Estimated peak working memory of one cell on `threads` workers, in bytes, from every
    /// parameter that scales it.
    func estimatedBytes(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, threads: Int) -> Double
    /// Relative cost of one replicate of `cell` (for the progress bar's ETA).
    func work(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> Double
    /// The number of replicates of a cell whose spec is `spec` (for progress; the runner asks
    /// with the cell's restricted spec, so a swept `repeats` counts per cell).
    func replicates(_ spec: ExperimentSpec) -> Int
    /// The results header.
    func header(_ spec: ExperimentSpec) -> [String]
    /// Facts the manifest records beyond the parameters (derived defaults, metrics, data sizes).
    func manifestEntries(_ spec: ExperimentSpec) -> [(String, JSONValue)]
    /// Notes for the user about a valid but unusual spec (printed before the run).
    func notes(_ spec: ExperimentSpec) -> [String]
    /// Checks a finished cell's rows (no header) beyond their field count, before resume or
    /// merge reuses them: returns the 1-based row number and the problem, or nil. Guards against
    /// truncated, edited or foreign files.
    func checkRows(_ rows: Substring, spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> (row: Int, problem: String)?
    /// The files the run reads (data files named by parameters): the output directory may not
    /// be, contain or alias one of them.
    func inputFiles(_ spec: ExperimentSpec) -> [(key: String, path: String)]
    /// The seed of a run that names none (nil: a fresh seed is drawn and announced). A fixed
    /// battery (`collapse verify`) pins one so that its table is reproducible by default.
    var defaultSeed: UInt64? { get }
    /// Whether cells keep state in the run's work directory (`CellContext.workDirectory`),
    /// which `--resume` keeps and `--force` removes: a family whose cells are long chains of
    /// external steps resumes inside a cell from it.
    var usesWorkDirectory: Bool { get }
    /// Whether cells write samples of what they generate under the run's samples directory
    /// (`CellContext.samplesDirectory`), which `--resume` keeps and `--force` removes.
    var keepsSamples: Bool { get }
    /// Whether a cell runs on one thread (the runner then runs up to `threads` cells at once,
    /// each with `CellContext.threads == 1`), rather than spreading its replicates over all.
    var runsCellsConcurrently: Bool { get }
    /// Whether a cell's parallel phases run on `CellContext.threadBudget` when it is given: the
    /// runner then keeps several cells in flight on one budget of `threads` threads, so a
    /// cell's idle workers (fewer blocks than threads, its tail, its serial summary) are used
    /// by the others. The cell's rows must not depend on it (they depend only on the seed).
    var sharesThreadsAcrossCells: Bool { get }
    /// Runs one cell and returns its CSV rows (no header, each line ending in `\n`). The rows
    /// must depend only on the spec, the cell and the seed.
    func run(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> String
    /// Whether `runCell` returns every replicate's value behind each row when
    /// `CellContext.keepsReplicateValues` (what `--per-replicate` writes, `PerReplicate`).
    var providesReplicateValues: Bool { get }
    /// Runs one cell: `run`'s rows and, for a family that `providesReplicateValues` when the
    /// context `keepsReplicateValues`, the replicates' values behind each row (the same rows
    /// either way). The runner calls this.
    func runCell(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> CellOutput
}

/// A family's spec from defaults, an optional config file and command-line values, with the
/// family's own checks applied.
public func resolveSpec(
    _ family: any ExperimentFamily, config: (text: String, file: String)?, flags: [String: String],
    seed: UInt64?
) throws -> ExperimentSpec {
    var spec = ExperimentSpec(family: family)
    if let config { try spec.apply(config: config.text, file: config.file, family: family) }
    try spec.apply(flags: flags, family: family)
    if let seed { spec.seed = seed }
    do { try family.validate(spec) } catch let e as ParameterError { throw spec.located(e) }
    return spec
}

extension ExperimentFamily {
    public func manifestEntries(_ spec: ExperimentSpec) -> [(String, JSONValue)] { [] }
    public func notes(_ spec: ExperimentSpec) -> [String] { [] }
    public var runsCellsConcurrently: Bool { false }
    public var sharesThreadsAcrossCells: Bool { false }
    public var defaultSeed: UInt64? { nil }
    public var usesWorkDirectory: Bool { false }
    public var keepsSamples: Bool { false }
    public var providesReplicateValues: Bool { false }
    public func runCell(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> CellOutput {
        CellOutput(rows: try run(spec, cell: cell, context: context))
    }
    /// By default the parameter `data`, when given.
    public func inputFiles(_ spec: ExperimentSpec) -> [(key: String, path: String)] {
        spec.one("data")?.textValue.map { [("data", $0)] } ?? []
    }
    public func checkRows(_ rows: Substring, spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> (row: Int, problem: String)? { nil }
}
