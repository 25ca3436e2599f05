import CollapseCore
import CollapseExport
import CollapseTheory
import Dispatch
import LinearAlgebra

/// Settings of a Monte Carlo run of the linear chain.
public struct MonteCarloSettings: Sendable {
    /// `R`, the number of independent replicates (≥ 2 for a standard error).
    public var repeats: Int
    /// `N`, the number of model fits per chain (generation 1 is the fit on real data).
    public var generations: Int
    /// The regimes to run; they share each replicate's draws.
    public var regimes: [Regime]
    /// The root seed.
    public var seed: UInt64
    /// Worker threads. The results do not depend on it.
    public var threads: Int
    /// Which simulator draws the replicates.
    public var engine: Engine
    /// One design per replicate (the default) or a fresh design every generation.
    public var design: DesignMode = .fixed

    public init(repeats: Int, generations: Int, regimes: [Regime], seed: UInt64, threads: Int, engine: Engine = .literal,
                design: DesignMode = .fixed) {
        self.design = design
        self.repeats = repeats
        self.generations = generations
        self.regimes = regimes
        self.seed = seed
        self.threads = threads
        self.engine = engine
    }
}

/// Whether the chain reuses one design or draws a fresh one every generation.
public enum DesignMode: String, Sendable, CaseIterable {
    /// One `X` per replicate, reused by every generation (THEORY §0; proofs T1, T2).
    case fixed
    /// A new `X_k` every generation (proof D1; `FreshDesignSimulator`).
    case fresh
}

/// The simulators of the linear chain.
public enum Engine: String, Sendable, CaseIterable {
    /// `LinearChainSimulator`: draws every design entry and every label's noise (the reference).
    case literal
    /// `SufficientStatisticSimulator`: draws `XᵀX` (Wishart) and `XᵀE` directly; exact in
    /// distribution, O(d²) per generation; replace/accumulate with `T ≥ d` only.
    case sufficient
}

/// The Monte Carlo summary of one (cell, regime, generation): one CSV row.
public struct GenerationSummary: Sendable, Equatable {
    public var cell: LinearCell
    public var regime: Regime
    public var generation: Int
    public var repeats: Int
    /// Mean test error over replicates.
    public var mean: Double
    /// Standard error of `mean`: sample standard deviation / √R.
    public var standardError: Double
    /// Normal-approximation 95 % interval `mean ± 1.959964·SE`.
    public var confidenceLow: Double
    public var confidenceHigh: Double
    /// The Gaussian-design expectation (proofs T1/T2); nil without a closed form or for T < d + 2.
    public var theory: Double?
    /// The exact given-design expectation (proof L2) averaged over replicates; nil without a
    /// closed form.
    public var theoryGivenDesign: Double?
    /// `(mean − theory)/SE`, where `T ≥ d + 10` (`MonteCarlo.minimumDesignAveragedMargin`): below
    /// that the SE is infinite (T < d + 4, proof L1) or its normal approximation unreliable.
    public var zScore: Double?
    /// `Σ_i Z_i/√R` with `Z_i = (err_i − m(X_i))/√v(X_i)` standardised by the exact
    /// given-design mean and variance (proof L2); `N(0,1)` in the large-R limit for any `T`,
    /// including `T ≤ d + 3` where the design-averaged SE is infinite.
    public var zGivenDesign: Double?
    /// The median, quantiles and median interval of the replicates' errors.
    public var robust: RobustSummary?

    public init(cell: LinearCell, regime: Regime, generation: Int, repeats: Int, mean: Double,
                standardError: Double, confidenceLow: Double, confidenceHigh: Double, theory: Double?,
                theoryGivenDesign: Double?, zScore: Double?, zGivenDesign: Double?) {
        self.cell = cell
        self.regime = regime
        self.generation = generation
        self.repeats = repeats
        self.mean = mean
        self.standardError = standardError
        self.confidenceLow = confidenceLow
        self.confidenceHigh = confidenceHigh
        self.theory = theory
        self.theoryGivenDesign = theoryGivenDesign
        self.zScore = zScore
        self.zGivenDesign = zGivenDesign
    }
}

/// Runs replicates of the linear chain in parallel and summarises them.
///
/// **Determinism.** Replicates are grouped into fixed blocks of `blockSize`; each block is
/// summarised in replicate order (Welford), and blocks are merged in block order (Chan et
/// al.'s pairwise update). Workers only decide *who* computes a block, never the arithmetic,
/// so the output is bit-identical for any thread count.
public enum MonteCarlo {
    /// The design-averaged z-score is reported only for `T ≥ d + minimumDesignAveragedMargin`:
    /// the `k`-th moment of `tr((XᵀX)⁻¹)` is finite iff `T − d + 1 > 2k` (proof L1), so this
    /// keeps moments up to order 5 finite.
    public static let minimumDesignAveragedMargin = 10

    /// Replicates per deterministic block (small enough to balance the workers when R is a
    /// few hundred).
    public static let blockSize = 16

    /// One BLAS thread, the caller's (the simulator parallelises over replicates).
    public static func configureBLASForParallelReplicates() { BLAS.useCallingThreadOnly() }

    /// Runs `settings.repeats` replicates of `cell` and returns one summary per
    /// (regime, generation), regimes in the order given, generations ascending.
    ///
    /// - Parameter progress: called (from worker threads) with the number of replicates just
    ///   finished.
    /// - Parameter isCancelled: polled between blocks; when it returns true the run stops and
    ///   throws `MonteCarloCancelled` (nothing partial is returned).
    public static func run(cell: LinearCell, settings: MonteCarloSettings,
                           progress: (@Sendable (Int) -> Void)? = nil,
                           isCancelled: (@Sendable () -> Bool)? = nil) throws -> [GenerationSummary] {
        precondition(settings.repeats >= 2, "repeats must be ≥ 2, got \(settings.repeats)")
        precondition(settings.threads >= 1, "threads must be ≥ 1, got \(settings.threads)")
        configureBLASForParallelReplicates()
        let makeWorker: @Sendable () -> (Int, UnsafeMutableBufferPointer<Double>) throws -> DesignStatistics
        let seed = settings.seed
        switch (settings.engine, settings.design) {
        case (.sufficient, .fresh):
            throw UnsupportedEngine(engine: .sufficient, reason: "draws one Gram matrix per replicate (fixed design); use --engine literal with --design fresh")
        case (.literal, .fresh):
            if let reason = FreshDesignSimulator.unsupportedReason(regimes: settings.regimes) {
                throw UnsupportedEngine(engine: .literal, reason: "with --design fresh " + reason)
            }
            let sim = FreshDesignSimulator(dimension: cell.dimension,
                                           schedule: Array(repeating: (cell.samples, cell.noiseVariance), count: settings.generations),
                                           regimes: settings.regimes)
            makeWorker = {
                { rep, errors in
                    var rng = cell.stream(seed: seed, replicate: rep, purpose: .freshDesign)
                    try sim.run(rng: &rng, errors: errors)
                    return DesignStatistics(traceOfGramPseudoInverse: .nan, traceOfGramPseudoInverseSquared: .nan, bias: .nan, rank: 0)
                }
            }
        case (.literal, .fixed):
            let sim = LinearChainSimulator(cell: cell, regimes: settings.regimes, generations: settings.generations)
            makeWorker = {
                let workspace = sim.makeWorkspace()
                return { rep, errors in try sim.runReplicate(seed: seed, replicate: rep, errors: errors, workspace: workspace) }
            }
        case (.sufficient, .fixed):
            if let reason = SufficientStatisticSimulator.unsupportedReason(cell: cell, regimes: settings.regimes) {
                throw UnsupportedEngine(engine: .sufficient, reason: reason)
            }
            let sim = SufficientStatisticSimulator(cell: cell, regimes: settings.regimes, generations: settings.generations)
            makeWorker = { { rep, errors in try sim.runReplicate(seed: seed, replicate: rep, errors: errors) } }
        }
        let k = settings.regimes.count, nGen = settings.generations
        let series = k * nGen
        let blocks = (settings.repeats + blockSize - 1) / blockSize
        let results = BlockResults(blocks: blocks, series: series)
        // Fresh design: replace and accumulate have design-averaged closed forms (proofs D1,
        // O1), but there is no single design to condition on.
        let closedForms = settings.regimes.map(Self.closedForm)
        let givenDesignForms: [ClosedFormRegime?] = settings.design == .fresh ? closedForms.map { _ in nil } : closedForms
        // c_n per (regime, generation) series, nil without a given-design closed form.
        let multipliers: [Double?] = givenDesignForms.flatMap { form in
            (1...settings.generations).map { n in form.map { LinearCollapseTheory.noiseMultiplier($0, generation: n) } }
        }
        let workers = min(settings.threads, blocks)
        let repeats = settings.repeats

        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var errors = [Double](repeating: 0, count: series)
            let replicate = makeWorker()
            while true {
                let b = results.claimBlock()
                if b >= blocks { return }
                if results.firstError != nil { return }
                if let isCancelled, isCancelled() { results.record(error: MonteCarloCancelled()); return }
                var acc = BlockAccumulator(series: series)
                let lo = b * blockSize, hi = min(repeats, lo + blockSize)
                do {
                    for rep in lo..<hi {
                        let stats = try errors.withUnsafeMutableBufferPointer { try replicate(rep, $0) }
                        acc.add(errors: errors, stats: stats, noiseVariance: cell.noiseVariance, multipliers: multipliers)
                    }
                } catch {
                    results.record(error: error)
                    return
                }
                results.store(acc, at: b)
                progress?(hi - lo)
            }
        }
        if let error = results.firstError { throw error }

        var total = BlockAccumulator(series: series)
        for b in 0..<blocks { total.merge(results.block(b)) }
        // The order statistics of each series over the replicates.
        let robust = ParallelReplicates.orderStatistics(blocks: (0..<blocks).map { results.block($0).values },
                                                        counts: (0..<blocks).map { results.block($0).count },
                                                        series: series, threads: settings.threads)
        let r = Double(repeats)
        let z95 = 1.959963984540054
        var rows: [GenerationSummary] = []
        rows.reserveCapacity(series)
        for (ri, regime) in settings.regimes.enumerated() {
            for n in 1...nGen {
                let s = ri * nGen + n - 1
                let mean = total.mean[s]
                let se = (total.m2[s] / (r - 1)).squareRoot() / r.squareRoot()
                var theory: Double? = nil, given: Double? = nil, z: Double? = nil, zGiven: Double? = nil
                if let form = closedForms[ri] {
                    theory = settings.design == .fresh
                        ? Self.freshDesignTheory(form, cell: cell, generation: n)
                        : LinearCollapseTheory.expectedTestError(
                            form, generation: n, dimension: cell.dimension, samples: cell.samples,
                            noiseVariance: cell.noiseVariance)
                    given = settings.design == .fresh ? nil : total.givenMeanSum[s] / r
                    // The design-averaged z needs a finite SE (T ≥ d + 4, L1) and, for tail-level
                    // claims, finite higher moments: reported only where T ≥ d + 10, as in `verify`.
                    // (Over-parameterised fresh designs, proof O1: the mirror condition d ≥ T + 10.)
                    let margin = Self.minimumDesignAveragedMargin
                    if let th = theory, se > 0,
                       cell.samples >= cell.dimension + margin || (settings.design == .fresh && cell.dimension >= cell.samples + margin) {
                        z = (mean - th) / se
                    }
                    if total.standardisedCount[s] == repeats {
                        zGiven = total.standardisedSum[s] / r.squareRoot()
                    }
                }
                var row = GenerationSummary(
                    cell: cell, regime: regime, generation: n, repeats: repeats, mean: mean,
                    standardError: se, confidenceLow: mean - z95 * se, confidenceHigh: mean + z95 * se,
                    theory: theory, theoryGivenDesign: given, zScore: z, zGivenDesign: zGiven)
                row.robust = robust[s]
                rows.append(row)
            }
        }
        return rows
    }

    /// The design-averaged expectation with a fresh design every generation: D1 (replace, T ≥ d + 2;
    /// accumulate, T ≥ d + 2) or O1 (replace, T ≤ d − 2).
    static func freshDesignTheory(_ form: ClosedFormRegime, cell: LinearCell, generation n: Int) -> Double? {
        let schedule = Array(repeating: (cell.samples, cell.noiseVariance), count: n)
        switch form {
        case .replace:
            return FreshDesignTheory.expectedTestError(dimension: cell.dimension, schedule: schedule)
                ?? FreshDesignTheory.overparameterisedExpectedTestError(dimension: cell.dimension, samples: cell.samples,
                                                                        noiseVariance: cell.noiseVariance, generation: n)
        case .accumulate:
            return FreshDesignTheory.accumulateExpectedTestError(dimension: cell.dimension, schedule: schedule)
        }
    }

    /// The closed form that applies to `regime`, if any.
    public static func closedForm(_ regime: Regime) -> ClosedFormRegime? {
        switch regime {
        case .replace: return .replace
        case .accumulate: return .accumulate
        case .accumulateSubsample, .mix, .freshReal: return nil
        }
    }
}

/// Thrown by `MonteCarlo.run` when the engine cannot simulate the cell or regimes.
public struct UnsupportedEngine: Error, CustomStringConvertible {
    public var engine: Engine
    public var reason: String
    public var description: String { "the \(engine.rawValue) engine \(reason)" }
}

/// Thrown by `MonteCarlo.run` when its cancellation check fires.
public struct MonteCarloCancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the Monte Carlo run was cancelled" }
}

/// Running sums of one block (or of all blocks), one slot per (regime, generation) series.
struct BlockAccumulator: Sendable {
    var count = 0
    /// The block's errors, replicate after replicate (`series` values each), for the order
    /// statistics (`RobustSummary`).
    var values: [Double] = []
    var mean: [Double]
    var m2: [Double]
    var givenMeanSum: [Double]
    var standardisedSum: [Double]
    var standardisedCount: [Int]

    init(series: Int) {
        mean = .init(repeating: 0, count: series)
        m2 = .init(repeating: 0, count: series)
        givenMeanSum = .init(repeating: 0, count: series)
        standardisedSum = .init(repeating: 0, count: series)
        standardisedCount = .init(repeating: 0, count: series)
    }

    /// Welford update with one replicate; `multipliers[s]` is series `s`'s noise multiplier
    /// `c_n` (nil without a closed form).
    mutating func add(errors: [Double], stats: DesignStatistics, noiseVariance: Double, multipliers: [Double?]) {
        count += 1
        values.append(contentsOf: errors[0..<multipliers.count])
        let n = Double(count)
        for s in multipliers.indices {
            let x = errors[s]
            let delta = x - mean[s]
            mean[s] += delta / n
            m2[s] += delta * (x - mean[s])
            guard let c = multipliers[s] else { continue }
            let m = LinearCollapseTheory.testErrorGivenDesign(
                noiseMultiplier: c, noiseVariance: noiseVariance,
                traceOfGramPseudoInverse: stats.traceOfGramPseudoInverse, bias: stats.bias)
            let v = LinearCollapseTheory.testErrorVarianceGivenDesign(
                noiseMultiplier: c, noiseVariance: noiseVariance,
                traceOfGramPseudoInverseSquared: stats.traceOfGramPseudoInverseSquared)
            givenMeanSum[s] += m
            if v > 0 {
                standardisedSum[s] += (x - m) / v.squareRoot()
                standardisedCount[s] += 1
            }
        }
    }

    /// Chan et al.'s parallel merge (deterministic for a fixed merge order).
    mutating func merge(_ other: BlockAccumulator) {
        guard other.count > 0 else { return }
        if count == 0 { self = other; return }
        let na = Double(count), nb = Double(other.count), n = na + nb
        for s in mean.indices {
            let delta = other.mean[s] - mean[s]
            mean[s] += delta * nb / n
            m2[s] += other.m2[s] + delta * delta * na * nb / n
            givenMeanSum[s] += other.givenMeanSum[s]
            standardisedSum[s] += other.standardisedSum[s]
            standardisedCount[s] += other.standardisedCount[s]
        }
        count += other.count
    }
}

/// Per-block results written by workers (each block by exactly one worker).
final class BlockResults: @unchecked Sendable {
    private var blocks: [BlockAccumulator]
    private let lock = NSLockLike()
    private var error: (any Error)?
    private var nextBlock = 0

    init(blocks: Int, series: Int) {
        self.blocks = Array(repeating: BlockAccumulator(series: 0), count: blocks)
    }

    /// The next block nobody has claimed.
    func claimBlock() -> Int { lock.withLock { defer { nextBlock += 1 }; return nextBlock } }

    func store(_ acc: BlockAccumulator, at index: Int) { lock.withLock { blocks[index] = acc } }
    func block(_ index: Int) -> BlockAccumulator { lock.withLock { blocks[index] } }
    func record(error e: any Error) { lock.withLock { if error == nil { error = e } } }
    var firstError: (any Error)? { lock.withLock { error } }
}
