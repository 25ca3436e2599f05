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
    /// The design's spectrum, the estimator, discounted series and test noise (default: THEORY §0).
    public var options: ChainOptions = .standard
    /// Whether each summary carries every replicate's value (`GenerationSummary.values`).
    public var keepsReplicateValues = false
    /// Threads shared with other cells in flight (`ThreadBudget`); nil: `threads` to itself.
    public var threadBudget: ThreadBudget?

    public init(
        repeats: Int, generations: Int, regimes: [Regime], seed: UInt64, threads: Int, engine: Engine = .literal,
        design: DesignMode = .fixed, options: ChainOptions = .standard
    ) {
        self.design = design
        self.options = options
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
    /// Every replicate's error, in replicate order, when the run `keepsReplicateValues`.
    public var values: [Double]?
    /// The discount `γ` of a discounted-accumulation series (`ChainOptions.discounts`), whose
    /// `regime` is then `.accumulate` (the `γ = 1` member of the family); nil otherwise.
    public var discount: Double?

    /// `discounted` for a discounted series, else the regime's name.
    public var seriesName: String { discount == nil ? regime.name : "discounted" }

    public init(
        cell: LinearCell, regime: Regime, generation: Int, repeats: Int, mean: Double,
        standardError: Double, confidenceLow: Double, confidenceHigh: Double, theory: Double?,
        theoryGivenDesign: Double?, zScore: Double?, zGivenDesign: Double?
    ) {
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
    public static func run(
        cell: LinearCell, settings: MonteCarloSettings,
        progress: (@Sendable (Int) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) throws -> [GenerationSummary] {
        precondition(settings.repeats >= 2, "repeats must be ≥ 2, got \(settings.repeats)")
        precondition(settings.threads >= 1, "threads must be ≥ 1, got \(settings.threads)")
        configureBLASForParallelReplicates()
        let makeWorker: @Sendable () -> (Int, UnsafeMutableBufferPointer<Double>) throws -> DesignStatistics
        let seed = settings.seed
        let options = settings.options
        // The refit simulator writes each replicate's exact given-design mean and variance
        // after its errors (3 values per series).
        let exactGiven = options.needsRefitSimulator
        switch (settings.engine, settings.design) {
        case (.sufficient, _) where exactGiven, (_, .fresh) where exactGiven:
            throw UnsupportedEngine(
                engine: settings.engine,
                reason: "with --design \(settings.design.rawValue) simulates isotropic OLS only; "
                    + "a power-law spectrum, ridge fits and discounted accumulation need --engine literal --design fixed")
        case (.literal, .fixed) where exactGiven:
            if let reason = RidgeRefitSimulator.unsupportedReason(regimes: settings.regimes) {
                throw UnsupportedEngine(engine: .literal, reason: reason)
            }
            let sim = RidgeRefitSimulator(cell: cell, regimes: settings.regimes, options: options, generations: settings.generations)
            makeWorker = {
                { rep, values in
                    try sim.runReplicate(seed: seed, replicate: rep, values: values)
                    return DesignStatistics(traceOfGramPseudoInverse: .nan, traceOfGramPseudoInverseSquared: .nan, bias: .nan, rank: 0)
                }
            }
        case (.sufficient, .fresh):
            throw UnsupportedEngine(engine: .sufficient, reason: "draws one Gram matrix per replicate (fixed design); use --engine literal with --design fresh")
        case (.literal, .fresh):
            if let reason = FreshDesignSimulator.unsupportedReason(regimes: settings.regimes) {
                throw UnsupportedEngine(engine: .literal, reason: "with --design fresh " + reason)
            }
            let sim = FreshDesignSimulator(
                dimension: cell.dimension,
                schedule: Array(repeating: (cell.samples, cell.noiseVariance), count: settings.generations),
                regimes: settings.regimes)
            makeWorker = {
                let workspace = sim.makeWorkspace()
                return { rep, errors in
                    var rng = cell.stream(seed: seed, replicate: rep, purpose: .freshDesign)
                    try sim.run(rng: &rng, errors: errors, workspace: workspace)
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
        let k = settings.regimes.count + options.discounts.count, nGen = settings.generations
        let series = k * nGen
        // Noisy test targets add σ² to every error and every conditional mean (THEORY §0).
        let testNoise = options.testNoise ? cell.noiseVariance : 0
        let blocks = (settings.repeats + blockSize - 1) / blockSize
        let results = BlockResults(blocks: blocks, series: series)
        // Fresh design: replace and accumulate have design-averaged closed forms (proofs D1,
        // O1), but there is no single design to condition on.
        let closedForms = settings.regimes.map(Self.closedForm)
        let givenDesignForms: [ClosedFormRegime?] = settings.design == .fresh || exactGiven ? closedForms.map { _ in nil } : closedForms
        // c_n per (regime, generation) series, nil without a given-design closed form.
        let multipliers: [Double?] = givenDesignForms.flatMap { form in
            (1...settings.generations).map { n in form.map { LinearCollapseTheory.noiseMultiplier($0, generation: n) } }
        }
        let workers = min(settings.threads, blocks)
        let repeats = settings.repeats

        let hasWork: @Sendable () -> Bool = { results.hasBlocksLeft(blocks) }
        ParallelPhase.run(workers: workers, budget: settings.threadBudget, hasWork: hasWork) { _ in
            var errors = [Double](repeating: 0, count: exactGiven ? 3 * series : series)
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
                        if testNoise != 0 {
                            for s in 0..<series { errors[s] += testNoise }
                            if exactGiven { for s in series..<(2 * series) { errors[s] += testNoise } }
                        }
                        if exactGiven {
                            acc.add(values: errors, series: series)
                        } else {
                            acc.add(errors: errors, stats: stats, noiseVariance: cell.noiseVariance, multipliers: multipliers, testNoise: testNoise)
                        }
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
        let robust = ParallelReplicates.orderStatistics(
            blocks: (0..<blocks).map { results.block($0).values },
            counts: (0..<blocks).map { results.block($0).count },
            series: series, threads: settings.threads, budget: settings.threadBudget)
        let values =
            settings.keepsReplicateValues
            ? ParallelReplicates.seriesValues(
                blocks: (0..<blocks).map { results.block($0).values },
                counts: (0..<blocks).map { results.block($0).count }, series: series) : nil
        let r = Double(repeats)
        let z95 = 1.959963984540054
        var rows: [GenerationSummary] = []
        rows.reserveCapacity(series)
        // The series: the regimes, then the discounted series (regime .accumulate, discount γ).
        let allSeries: [(regime: Regime, discount: Double?)] = settings.regimes.map { ($0, nil) } + options.discounts.map { (.accumulate, $0) }
        for (ri, (regime, discount)) in allSeries.enumerated() {
            for n in 1...nGen {
                let s = ri * nGen + n - 1
                let mean = total.mean[s]
                let se = (total.m2[s] / (r - 1)).squareRoot() / r.squareRoot()
                var theory: Double? = nil, given: Double? = nil, z: Double? = nil, zGiven: Double? = nil
                if exactGiven {
                    theory = Self.refitTheory(regime: regime, discount: discount, options: options, cell: cell, generation: n).map { $0 + testNoise }
                    given = total.givenMeanSum[s] / r
                    if let th = theory, se > 0, cell.samples >= cell.dimension + Self.minimumDesignAveragedMargin { z = (mean - th) / se }
                    if total.standardisedCount[s] == repeats { zGiven = total.standardisedSum[s] / r.squareRoot() }
                } else if let form = closedForms[ri] {
                    theory =
                        settings.design == .fresh
                        ? Self.freshDesignTheory(form, cell: cell, generation: n)
                        : LinearCollapseTheory.expectedTestError(
                            form, generation: n, dimension: cell.dimension, samples: cell.samples,
                            noiseVariance: cell.noiseVariance)
                    if testNoise != 0 { theory = theory.map { $0 + testNoise } }
                    given = settings.design == .fresh ? nil : total.givenMeanSum[s] / r
                    // The design-averaged z needs a finite SE (T ≥ d + 4, L1) and, for tail-level
                    // claims, finite higher moments: reported only where T ≥ d + 10, as in `verify`.
                    // (Over-parameterised fresh designs, proof O1: the mirror condition d ≥ T + 10.)
                    let margin = Self.minimumDesignAveragedMargin
                    if let th = theory, se > 0,
                        cell.samples >= cell.dimension + margin || (settings.design == .fresh && cell.dimension >= cell.samples + margin)
                    {
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
                row.values = values?[s]
                row.discount = discount
                rows.append(row)
            }
        }
        return rows
    }

    /// The design-averaged expectation of a `RidgeRefitSimulator` series: for OLS fits (λ = 0)
    /// and `T ≥ d + 2`, `σ²c_n·d/(T − d − 1)` for every `Σ` (proofs T1, T2, L1: `E tr(Σ(XᵀX)⁻¹)`
    /// does not depend on `Σ`), with `c_n` of replace, accumulate or the discounted series
    /// (`LinearCollapseTheory.discountedNoiseMultiplier`); nil for ridge fits (no closed form;
    /// see `RidgeDeterministicEquivalent.refitChain` for the deterministic equivalent) and `T < d + 2`.
    static func refitTheory(regime: Regime, discount: Double?, options: ChainOptions, cell: LinearCell, generation n: Int) -> Double? {
        guard options.isUnpenalised,
            let k = LinearCollapseTheory.expectedTraceOfInverseGram(dimension: cell.dimension, samples: cell.samples)
        else { return nil }
        let c: Double
        if let discount {
            c = LinearCollapseTheory.discountedNoiseMultiplier(discount: discount, generation: n)
        } else if let form = closedForm(regime) {
            c = LinearCollapseTheory.noiseMultiplier(form, generation: n)
        } else {
            return nil
        }
        return cell.noiseVariance * k * c
    }

    /// The design-averaged expectation with a fresh design every generation: D1 (replace, T ≥ d + 2;
    /// accumulate, T ≥ d + 2) or O1 (replace, T ≤ d − 2).
    static func freshDesignTheory(_ form: ClosedFormRegime, cell: LinearCell, generation n: Int) -> Double? {
        let schedule = Array(repeating: (cell.samples, cell.noiseVariance), count: n)
        switch form {
        case .replace:
            return FreshDesignTheory.expectedTestError(dimension: cell.dimension, schedule: schedule)
                ?? FreshDesignTheory.overparameterisedExpectedTestError(
                    dimension: cell.dimension, samples: cell.samples,
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
    /// `c_n` (nil without a closed form); `testNoise` is added to each conditional mean (the
    /// errors carry it already).
    mutating func add(errors: [Double], stats: DesignStatistics, noiseVariance: Double, multipliers: [Double?], testNoise: Double = 0) {
        count += 1
        values.append(contentsOf: errors[0..<multipliers.count])
        for s in multipliers.indices {
            let x = errors[s]
            welford(s, x)
            guard let c = multipliers[s] else { continue }
            var m = LinearCollapseTheory.testErrorGivenDesign(
                noiseMultiplier: c, noiseVariance: noiseVariance,
                traceOfGramPseudoInverse: stats.traceOfGramPseudoInverse, bias: stats.bias)
            if testNoise != 0 { m += testNoise }
            let v = LinearCollapseTheory.testErrorVarianceGivenDesign(
                noiseMultiplier: c, noiseVariance: noiseVariance,
                traceOfGramPseudoInverseSquared: stats.traceOfGramPseudoInverseSquared)
            given(s, x, mean: m, variance: v)
        }
    }

    /// The same for a replicate whose simulator supplies the exact conditional means and
    /// variances: `values` holds the errors, then the means, then the variances (`series` each;
    /// `RidgeRefitSimulator`).
    mutating func add(values replicate: [Double], series: Int) {
        count += 1
        values.append(contentsOf: replicate[0..<series])
        for s in 0..<series {
            let x = replicate[s]
            welford(s, x)
            given(s, x, mean: replicate[series + s], variance: replicate[2 * series + s])
        }
    }

    /// Welford's update of series `s` with `x` (`count` already includes it).
    private mutating func welford(_ s: Int, _ x: Double) {
        let delta = x - mean[s]
        mean[s] += delta / Double(count)
        m2[s] += delta * (x - mean[s])
    }

    /// Records the exact conditional mean `m` and variance `v` of series `s`'s error `x`.
    private mutating func given(_ s: Int, _ x: Double, mean m: Double, variance v: Double) {
        givenMeanSum[s] += m
        if v > 0 {
            standardisedSum[s] += (x - m) / v.squareRoot()
            standardisedCount[s] += 1
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
    func claimBlock() -> Int {
        lock.withLock {
            defer { nextBlock += 1 }; return nextBlock
        }
    }

    /// Whether a block of `count` is unclaimed and no worker has failed (a helper would find work).
    func hasBlocksLeft(_ count: Int) -> Bool { lock.withLock { nextBlock < count && error == nil } }

    func store(_ acc: BlockAccumulator, at index: Int) { lock.withLock { blocks[index] = acc } }
    func block(_ index: Int) -> BlockAccumulator { lock.withLock { blocks[index] } }
    func record(error e: any Error) { lock.withLock { if error == nil { error = e } } }
    var firstError: (any Error)? { lock.withLock { error } }
}
