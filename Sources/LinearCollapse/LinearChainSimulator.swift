import CollapseCore
import CollapseTheory
import LinearAlgebra
import Randomness

/// One parameter point of the linear collapse chain.
public struct LinearCell: Hashable, Sendable, CustomStringConvertible {
    /// `d`, the number of features.
    public var dimension: Int
    /// `T`, the samples per generation.
    public var samples: Int
    /// `σ²`, the label-noise variance of every generation.
    public var noiseVariance: Double

    public init(dimension: Int, samples: Int, noiseVariance: Double) {
        self.dimension = dimension
        self.samples = samples
        self.noiseVariance = noiseVariance
    }

    public var description: String { "d=\(dimension) T=\(samples) σ²=\(noiseVariance)" }

    /// Whether the fits are minimum-norm (fewer samples than features).
    public var isOverParameterised: Bool { samples < dimension }

    /// The random stream of replicate `replicate` of this cell: a function of the root seed,
    /// the cell's parameters and the replicate index only — never of the thread, the order of
    /// execution, the other cells of a grid or the number of generations.
    public func stream(seed: UInt64, replicate: Int, purpose: StreamPurpose) -> Xoshiro256StarStar {
        Xoshiro256StarStar(
            seed: seed,
            stream: [
                purpose.rawValue, UInt64(dimension), UInt64(samples),
                noiseVariance.bitPattern, UInt64(replicate)
            ])
    }

    /// What a stream is used for; streams of different purposes are independent.
    public enum StreamPurpose: UInt64, Sendable {
        /// Design, truth and label noise, in the order of `LinearChainSimulator`'s protocol.
        case data = 0  // StreamRegistry.linearData
        /// The accumulate-subsample row draws.
        case subsample = 1  // StreamRegistry.linearSubsample
        /// The sufficient-statistic engine (Wishart Gram matrix, projected noise).
        case sufficient = 2  // StreamRegistry.linearSufficient
        /// The fresh-design chain (a new design every generation).
        case freshDesign = 3  // StreamRegistry.linearFreshDesign
        /// The fresh real labels of the fresh-real regime (`Xw* + E'`, one `E'` per generation).
        case freshReal = 4  // StreamRegistry.linearFreshReal
    }
}

/// The real data of one replicate: `X` (i.i.d. `N(0,1)` entries), `w* ~ N(0, I_d)`,
/// `y₁ = Xw* + E₁`.
public struct LinearRealData: Sendable {
    public var design: Matrix
    public var truth: [Double]
    public var labels: [Double]

    /// Draws, in this order: the `T·d` design entries (column-major), the `d` entries of
    /// `w*`, then the `T` noise values of `E₁ = σ·ξ`. Both the scheduler path and the fast
    /// path start from this, so they consume a stream identically.
    public static func draw<G: RandomNumberGenerator>(cell: LinearCell, using rng: inout G) -> LinearRealData {
        var x = [Double](repeating: 0, count: cell.samples * cell.dimension)
        var w = [Double](repeating: 0, count: cell.dimension)
        var y = [Double](repeating: 0, count: cell.samples)
        fill(cell: cell, design: &x, truth: &w, labels: &y, using: &rng)
        return LinearRealData(design: Matrix(rows: cell.samples, columns: cell.dimension, columnMajor: x), truth: w, labels: y)
    }

    /// `draw` into caller-owned arrays of the right sizes (no allocation when they are
    /// uniquely referenced).
    @inlinable
    public static func fill<G: RandomNumberGenerator>(
        cell: LinearCell, design x: inout [Double], truth w: inout [Double],
        labels y: inout [Double], using rng: inout G
    ) {
        let t = cell.samples, d = cell.dimension
        precondition(x.count == t * d && w.count == d && y.count == t, "LinearRealData.fill: buffer sizes do not match \(cell)")
        x.withUnsafeMutableBufferPointer { Normal.fill($0, using: &rng) }
        w.withUnsafeMutableBufferPointer { Normal.fill($0, using: &rng) }
        y.withUnsafeMutableBufferPointer { Normal.fill($0, scale: cell.noiseVariance.squareRoot(), using: &rng) }
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    DesignProducts.multiplyAdd(xp.baseAddress!, rows: t, columns: d, by: wp.baseAddress!, into: yp.baseAddress!)
                }
            }
        }
    }
}

/// Per-replicate design statistics that the exact given-design theory needs (proof L2).
public struct DesignStatistics: Sendable {
    /// `tr(G⁺)`, `G = XᵀX`.
    public var traceOfGramPseudoInverse: Double
    /// `tr((G⁺)²)`.
    public var traceOfGramPseudoInverseSquared: Double
    /// `‖(I − P)w*‖²`, zero at full column rank.
    public var bias: Double
    /// Numerical rank of `X`.
    public var rank: Int
}

/// The fast path of the fixed-design OLS collapse chain: all requested regimes of one
/// replicate in one pass, sharing the design, the truth and each generation's noise `E_n`
/// (common random numbers: generation 1 is identical across regimes, and differences between
/// regimes are estimated with less noise).
///
/// Per generation `n ≥ 2`: draw `E_n` (`T` normals), then for each regime form the labels
/// `y = Xŵ_{n−1} + E_n` literally and refit from the factorisation of `X` computed once:
/// - replace: `ŵ_n = X⁺y`;
/// - accumulate: `ŵ_n = X⁺(Σ_{j≤n} y_j)/n` — exactly the OLS fit on the `n` stacked copies
///   (proof T2, `X_stackᵀy_stack = Σ_j Xᵀy_j`), so a generation costs the same at every `n`;
/// - mix(λ): `ŵ_n = X⁺[y₁[0..<m]; y[m..<T]]`;
/// - accumulate-subsample: `T` rows without replacement from the `nT`-row pool, refactorised.
/// Cost per generation: `T` normals and two `T×d` matrix–vector products per regime
/// (plus an O(Td²) refactorisation for accumulate-subsample).
///
/// It reproduces `GenerationScheduler` + `OLSRegressionModel` to round-off when both read
/// the same streams (tested).
public struct LinearChainSimulator: Sendable {
    public let cell: LinearCell
    public let regimes: [Regime]
    public let generations: Int

    public init(cell: LinearCell, regimes: [Regime], generations: Int) {
        precondition(cell.dimension >= 1 && cell.samples >= 1, "cell needs d ≥ 1 and T ≥ 1, got \(cell)")
        precondition(cell.noiseVariance >= 0 && cell.noiseVariance.isFinite, "noise variance must be finite and ≥ 0")
        precondition(!regimes.isEmpty, "at least one regime is required")
        precondition(generations >= 1, "generations must be ≥ 1, got \(generations)")
        self.cell = cell
        self.regimes = regimes
        self.generations = generations
    }

    /// Approximate peak working memory of one worker thread, in bytes: the design and its
    /// factorisation, the noise block (≤ 2²² doubles), label buffers, and for
    /// accumulate-subsample the label pool (`N·T`) plus a subsampled design (`T·d`). With
    /// `T > d` the solver factorises the Gram matrix and shares the design's storage (`T·d`
    /// doubles, plus the Gram factor and its inverse, `2d²`; measured by
    /// scripts/memory-vs-rss.py); otherwise an SVD copies the design and keeps `U` (≈ 3·T·d).
    public static func estimatedBytesPerWorker(cell: LinearCell, regimes: [Regime], generations: Int) -> Double {
        let t = Double(cell.samples), d = Double(cell.dimension)
        let noiseBlock = min(Double(1 << 22), t * 64) + 64 * d
        let design = cell.samples > cell.dimension ? t * d : 3 * t * d
        var doubles = design + 2 * d * d + t * Double(regimes.count + 6) + noiseBlock
        if regimes.contains(.accumulateSubsample) { doubles += Double(generations) * t + 2 * t * d }
        return 8 * doubles
    }

    /// Buffers for one worker, reused across its replicates (allocating them per replicate
    /// costs page faults comparable to the work itself at T·d ≈ 10⁴–10⁵).
    public final class Workspace {
        let t: Int, d: Int, k: Int, chunk: Int
        var design: [Double]
        var truth: [Double]
        var labels: [Double]
        /// The identity permutation, scratch for accumulate-subsample's row draws.
        var permutation: [Int] = []
        let w, wr, noise, projectedNoise, projectedSum, h, scratch, y, trainY, freshY: UnsafeMutableBufferPointer<Double>

        init(t: Int, d: Int, k: Int, generations: Int) {
            self.t = t; self.d = d; self.k = k
            chunk = max(1, min(generations - 1, 64, (1 << 22) / max(t, 1)))
            design = .init(repeating: 0, count: t * d)
            truth = .init(repeating: 0, count: d)
            labels = .init(repeating: 0, count: t)
            let buffer = UnsafeMutableBufferPointer<Double>.zeroed
            w = buffer(k * d); wr = buffer(d); noise = buffer(t * chunk); projectedNoise = buffer(d * chunk)
            projectedSum = buffer(k * d); h = buffer(d); scratch = buffer(d); y = buffer(t); trainY = buffer(t)
            freshY = buffer(t)
        }

        deinit { for b in [w, wr, noise, projectedNoise, projectedSum, h, scratch, y, trainY, freshY] { b.deallocate() } }
    }

    /// A workspace sized for this simulator's cell and regimes.
    public func makeWorkspace() -> Workspace {
        Workspace(t: cell.samples, d: cell.dimension, k: regimes.count, generations: generations)
    }

    /// Runs replicate `replicate` under `seed`, writing the test error of regime `r` at
    /// generation `n` to `errors[r * generations + n − 1]`.
    public func runReplicate(
        seed: UInt64, replicate: Int, errors: UnsafeMutableBufferPointer<Double>,
        workspace: Workspace? = nil
    ) throws -> DesignStatistics {
        var rng = cell.stream(seed: seed, replicate: replicate, purpose: .data)
        var subsampleRNG = cell.stream(seed: seed, replicate: replicate, purpose: .subsample)
        var freshRNG = cell.stream(seed: seed, replicate: replicate, purpose: .freshReal)
        return try run(rng: &rng, subsampleRNG: &subsampleRNG, freshRealRNG: &freshRNG, errors: errors, workspace: workspace)
    }

    /// The same, on caller-supplied streams (used to compare with the scheduler path).
    /// (Concrete generator types keep the normal sampler specialised in the hot loop.)
    /// `freshRealRNG` draws, for each generation n ≥ 2 in order and only if a fresh-real regime
    /// runs, the T noises of that generation's fresh real labels `Xw* + E'`.
    public func run(
        rng: inout Xoshiro256StarStar, subsampleRNG: inout Xoshiro256StarStar,
        freshRealRNG: inout Xoshiro256StarStar,
        errors: UnsafeMutableBufferPointer<Double>, workspace: Workspace? = nil
    ) throws -> DesignStatistics {
        let t = cell.samples, d = cell.dimension, nGen = generations
        precondition(errors.count >= regimes.count * nGen, "errors buffer too small")
        let space = workspace ?? makeWorkspace()
        precondition(space.t == t && space.d == d && space.k == regimes.count, "workspace built for another cell")
        let sigma = cell.noiseVariance.squareRoot()
        LinearRealData.fill(cell: cell, design: &space.design, truth: &space.truth, labels: &space.labels, using: &rng)
        let real = LinearRealData(
            design: Matrix(rows: t, columns: d, columnMajor: space.design),
            truth: space.truth, labels: space.labels)
        let solver = try LeastSquaresSolver(design: real.design)
        var ws = LeastSquaresSolver.Workspace(for: solver)
        let nullPart = solver.nullSpaceComponent(of: real.truth)
        let stats = DesignStatistics(
            traceOfGramPseudoInverse: solver.traceOfGramPseudoInverse,
            traceOfGramPseudoInverseSquared: solver.traceOfGramPseudoInverseSquared,
            bias: nullPart.reduce(0) { $0 + $1 * $1 }, rank: solver.rank)

        let k = regimes.count
        let p = solver.projectedCount
        // Noise of `chunk` generations is drawn (in generation order, T values each, exactly as
        // a generation-by-generation loop would) and projected with one matrix product.
        let chunk = space.chunk
        // w: current fits (k·d); projectedSum: accumulate's Σ_j h(y_j) (k·p).
        let (w, wr, noise, projectedNoise, projectedSum, h, scratch, y, trainY, freshY) =
            (
                space.w, space.wr, space.noise, space.projectedNoise, space.projectedSum, space.h, space.scratch, space.y,
                space.trainY, space.freshY
            )
        let drawsFreshReal = regimes.contains { if case .freshReal = $0 { return true } else { return false } }
        var pool = [[Double]](repeating: [], count: k)  // accumulate-subsample label pools
        let truth = real.truth

        func error(_ v: UnsafeMutableBufferPointer<Double>) -> Double {
            var s = 0.0
            for j in 0..<d { let e = v[j] - truth[j]; s += e * e }
            return s
        }

        // Generation 1: every regime fits the real data.
        real.labels.withUnsafeBufferPointer { yp in
            solver.projectLabels(yp.baseAddress!, columns: 1, into: h.baseAddress!)
        }
        solver.solveProjected(h.baseAddress!, into: wr.baseAddress!, scratch: scratch.baseAddress!)
        let e1 = error(wr)
        for r in 0..<k {
            for j in 0..<d { w[r * d + j] = wr[j] }
            errors[r * nGen] = e1
            switch regimes[r] {
            case .accumulate:
                for i in 0..<p { projectedSum[r * p + i] = h[i] }
            case .accumulateSubsample:
                pool[r].reserveCapacity(t * nGen)
                pool[r] = real.labels
            default: break
            }
        }
        if nGen == 1 { return stats }

        let yBase = UnsafeBufferPointer(y)
        try real.design.storage.withUnsafeBufferPointer { xp in
            try real.labels.withUnsafeBufferPointer { realY in
                var first = 2
                while first <= nGen {
                    let count = min(chunk, nGen - first + 1)
                    Normal.fill(UnsafeMutableBufferPointer(rebasing: noise[0..<(t * count)]), scale: sigma, using: &rng)
                    solver.projectLabels(noise.baseAddress!, columns: count, into: projectedNoise.baseAddress!)
                    for c in 0..<count {
                        let n = first + c
                        let e = noise.baseAddress! + c * t
                        if drawsFreshReal {
                            // Fresh real labels y' = Xw* + E', shared by every fresh-real regime.
                            Normal.fill(freshY, scale: sigma, using: &freshRealRNG)
                            truth.withUnsafeBufferPointer { wp in
                                DesignProducts.multiplyAdd(xp.baseAddress!, rows: t, columns: d, by: wp.baseAddress!, into: freshY.baseAddress!)
                            }
                        }
                        for r in 0..<k {
                            let wPrev = w.baseAddress! + r * d
                            switch regimes[r] {
                            case .replace, .accumulate:
                                // h(y) = h(Xŵ_{n−1}) + h(E_n): the projected synthetic labels.
                                solver.projectFit(wPrev, into: h.baseAddress!)
                                for i in 0..<p { h[i] += projectedNoise[c * p + i] }
                                if regimes[r] == .replace {
                                    solver.solveProjected(h.baseAddress!, into: wr.baseAddress!, scratch: scratch.baseAddress!)
                                } else {
                                    // Stacked fit = fit on Σ_j h(y_j), divided by n (proof T2).
                                    let sum = projectedSum.baseAddress! + r * p
                                    for i in 0..<p { sum[i] += h[i] }
                                    solver.solveProjected(sum, into: wr.baseAddress!, scratch: scratch.baseAddress!)
                                    let inv = 1 / Double(n)
                                    for j in 0..<d { wr[j] *= inv }
                                }
                            case let .mix(fraction), let .freshReal(fraction):
                                // Labels formed explicitly: y = E_n + Xŵ_{n−1}.
                                y.baseAddress!.update(from: e, count: t)
                                DesignProducts.multiplyAdd(xp.baseAddress!, rows: t, columns: d, by: wPrev, into: y.baseAddress!)
                                let m = Regime.realCount(fraction: fraction, of: t)
                                if case .mix = regimes[r] {
                                    for i in 0..<m { trainY[i] = realY[i] }
                                } else {
                                    for i in 0..<m { trainY[i] = freshY[i] }
                                }
                                for i in m..<t { trainY[i] = y[i] }
                                solver.solve(UnsafeBufferPointer(trainY), into: wr, workspace: &ws)
                            case .accumulateSubsample:
                                y.baseAddress!.update(from: e, count: t)
                                DesignProducts.multiplyAdd(xp.baseAddress!, rows: t, columns: d, by: wPrev, into: y.baseAddress!)
                                pool[r].append(contentsOf: yBase)
                                let rows = subsampleRNG.sampleWithoutReplacement(count: t, from: pool[r].count, scratch: &space.permutation)
                                let subDesign = real.design.selectingRows(rows.map { $0 % t })
                                for (i, q) in rows.enumerated() { trainY[i] = pool[r][q] }
                                let fit = try LeastSquaresSolver(design: subDesign).solve(Array(trainY))
                                for j in 0..<d { wr[j] = fit[j] }
                            }
                            for j in 0..<d { wPrev[j] = wr[j] }
                            errors[r * nGen + n - 1] = error(wr)
                        }
                    }
                    first += count
                }
            }
        }
        return stats
    }
}

extension UnsafeMutableBufferPointer where Element == Double {
    /// `count` zeros (at least one element, so that an empty shape still has a valid address),
    /// for the simulators' per-worker and per-replicate buffers; the owner deallocates it.
    static func zeroed(_ count: Int) -> Self {
        let b = allocate(capacity: Swift.max(count, 1))
        b.initialize(repeating: 0)
        return b
    }
}
