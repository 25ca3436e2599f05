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
        Xoshiro256StarStar(seed: seed, stream: [purpose.rawValue, UInt64(dimension), UInt64(samples),
                                                noiseVariance.bitPattern, UInt64(replicate)])
    }

    /// What a stream is used for; streams of different purposes are independent.
    public enum StreamPurpose: UInt64, Sendable {
        /// Design, truth and label noise, in the order of `LinearChainSimulator`'s protocol.
        case data = 0
        /// The accumulate-subsample row draws.
        case subsample = 1
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
        let t = cell.samples, d = cell.dimension
        let x = Matrix(rows: t, columns: d, columnMajor: Normal.array(count: t * d, using: &rng))
        let w = Normal.array(count: d, using: &rng)
        var y = Normal.array(count: t, scale: cell.noiseVariance.squareRoot(), using: &rng)
        let mean = BLAS.multiply(x, w)
        for i in 0..<t { y[i] += mean[i] }
        return LinearRealData(design: x, truth: w, labels: y)
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
    /// factorisation (≈ 3·T·d doubles), label buffers, and for accumulate-subsample the label
    /// pool (`N·T`) plus a subsampled design (`T·d`).
    public static func estimatedBytesPerWorker(cell: LinearCell, regimes: [Regime], generations: Int) -> Double {
        let t = Double(cell.samples), d = Double(cell.dimension)
        var doubles = 3 * t * d + 2 * d * d + t * Double(regimes.count + 5)
        if regimes.contains(.accumulateSubsample) { doubles += Double(generations) * t + 2 * t * d }
        return 8 * doubles
    }

    /// Runs replicate `replicate` under `seed`, writing the test error of regime `r` at
    /// generation `n` to `errors[r * generations + n − 1]`.
    public func runReplicate(seed: UInt64, replicate: Int,
                             errors: UnsafeMutableBufferPointer<Double>) throws -> DesignStatistics {
        var rng = cell.stream(seed: seed, replicate: replicate, purpose: .data)
        var subsampleRNG = cell.stream(seed: seed, replicate: replicate, purpose: .subsample)
        return try run(rng: &rng, subsampleRNG: &subsampleRNG, errors: errors)
    }

    /// The same, on caller-supplied streams (used to compare with the scheduler path).
    public func run<G: RandomNumberGenerator, H: RandomNumberGenerator>(
        rng: inout G, subsampleRNG: inout H, errors: UnsafeMutableBufferPointer<Double>
    ) throws -> DesignStatistics {
        let t = cell.samples, d = cell.dimension, nGen = generations
        precondition(errors.count >= regimes.count * nGen, "errors buffer too small")
        let sigma = cell.noiseVariance.squareRoot()
        let real = LinearRealData.draw(cell: cell, using: &rng)
        let solver = try LeastSquaresSolver(design: real.design)
        var ws = LeastSquaresSolver.Workspace(for: solver)
        let nullPart = solver.nullSpaceComponent(of: real.truth)
        let stats = DesignStatistics(
            traceOfGramPseudoInverse: solver.traceOfGramPseudoInverse,
            traceOfGramPseudoInverseSquared: solver.traceOfGramPseudoInverseSquared,
            bias: nullPart.reduce(0) { $0 + $1 * $1 }, rank: solver.rank)

        let k = regimes.count
        // Scratch, allocated once per replicate: fits (k·d), the current and training labels,
        // the noise, and per-regime running label sums (accumulate).
        let w = UnsafeMutableBufferPointer<Double>.allocate(capacity: k * d)
        let wr = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
        let noise = UnsafeMutableBufferPointer<Double>.allocate(capacity: t)
        let y = UnsafeMutableBufferPointer<Double>.allocate(capacity: t)
        let trainY = UnsafeMutableBufferPointer<Double>.allocate(capacity: t)
        let labelSum = UnsafeMutableBufferPointer<Double>.allocate(capacity: k * t)
        defer { for b in [w, wr, noise, y, trainY, labelSum] { b.deallocate() } }
        var pool = [[Double]](repeating: [], count: k)   // accumulate-subsample label pools
        let truth = real.truth

        func error(_ v: UnsafeMutableBufferPointer<Double>) -> Double {
            var s = 0.0
            for j in 0..<d { let e = v[j] - truth[j]; s += e * e }
            return s
        }

        // Generation 1: every regime fits the real data.
        real.labels.withUnsafeBufferPointer { solver.solve($0, into: wr, workspace: &ws) }
        let e1 = error(wr)
        for r in 0..<k {
            for j in 0..<d { w[r * d + j] = wr[j] }
            errors[r * nGen] = e1
            switch regimes[r] {
            case .accumulate:
                for i in 0..<t { labelSum[r * t + i] = real.labels[i] }
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
                for n in 2...nGen {
                    Normal.fill(noise, scale: sigma, using: &rng)
                    for r in 0..<k {
                        // y = E_n + X ŵ_{n−1}: the synthetic labels of model n − 1.
                        y.baseAddress!.update(from: noise.baseAddress!, count: t)
                        BLAS.gemv(transpose: false, rows: t, columns: d, alpha: 1, a: xp.baseAddress!,
                                  x: w.baseAddress! + r * d, beta: 1, y: y.baseAddress!)
                        switch regimes[r] {
                        case .replace:
                            solver.solve(yBase, into: wr, workspace: &ws)
                        case .accumulate:
                            let sum = labelSum.baseAddress! + r * t
                            for i in 0..<t { sum[i] += y[i] }
                            solver.solve(UnsafeBufferPointer(start: sum, count: t), into: wr, workspace: &ws)
                            let inv = 1 / Double(n)
                            for j in 0..<d { wr[j] *= inv }
                        case let .mix(fraction):
                            let m = Regime.realCount(fraction: fraction, of: t)
                            for i in 0..<m { trainY[i] = realY[i] }
                            for i in m..<t { trainY[i] = y[i] }
                            solver.solve(UnsafeBufferPointer(trainY), into: wr, workspace: &ws)
                        case .accumulateSubsample:
                            pool[r].append(contentsOf: yBase)
                            let rows = subsampleRNG.sampleWithoutReplacement(count: t, from: pool[r].count)
                            let subDesign = real.design.selectingRows(rows.map { $0 % t })
                            for (i, p) in rows.enumerated() { trainY[i] = pool[r][p] }
                            let fit = try LeastSquaresSolver(design: subDesign).solve(Array(trainY))
                            for j in 0..<d { wr[j] = fit[j] }
                        }
                        for j in 0..<d { w[r * d + j] = wr[j] }
                        errors[r * nGen + n - 1] = error(wr)
                    }
                }
            }
        }
        return stats
    }
}
