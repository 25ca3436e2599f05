import CollapseCore
import CollapseTheory
import LinearAlgebra
import Randomness

/// Literal refits of the fixed-design chain with a general Gaussian design, ridge or OLS fits and
/// discounted accumulation (`ChainOptions`), with the exact given-design mean and variance of every
/// replicate's error (proof E1).
///
/// One replicate draws from the cell's data stream exactly what `LinearRealData` draws — the
/// `T·d` entries of `Z`, the `d` entries of `w*`, then `E₁` — so an isotropic replicate has the
/// same `X, w*, E₁` as `LinearChainSimulator`'s, and then `E_n` (`T` values) for `n = 2, 3, …`
/// in order, as it does. With `--spectrum power-law` the design is `X = Z·diag(√s)` (rows
/// `N(0, diag(s))`) and the truth is the spectrum's fixed `w*` (the drawn one is discarded, so
/// the streams stay aligned). Every regime of a replicate shares `X, w*` and each `E_n` (common
/// random numbers).
///
/// Per generation and series: the labels `y = Xŵ_{n−1} + E_n` are formed explicitly, `Xᵀy` is
/// added to the weighted sum `b_n = γ·b_{n−1} + Xᵀy` (`γ = 0` replace, `1` accumulate) with
/// weight `W_n = γW_{n−1} + 1`, and the ridge normal equations `(W_n·XᵀX + TλI)ŵ_n = b_n`
/// (`ChainOptions.ridge`'s convention; minimum-norm when singular) are solved through one
/// eigendecomposition `XᵀX = V·diag(g)·Vᵀ` per replicate. Test error `‖ŵ_n − w*‖²_Σ`.
/// Cost per replicate: `O(T·d² + d³)` for the Gram matrix, its eigendecomposition and `VᵀΣV`,
/// then `O(T·d + d²)` per generation and series.
public struct RidgeRefitSimulator: Sendable {
    public let cell: LinearCell
    public let regimes: [Regime]
    public let options: ChainOptions
    public let generations: Int
    let schemes: [ExactPropagation.Scheme]
    let spectrum: RidgeSpectrum?

    /// Why `regimes` cannot be simulated here, or nil: only replace and accumulate (and the
    /// discounted series) are.
    public static func unsupportedReason(regimes: [Regime]) -> String? {
        let other = regimes.filter { $0 != .replace && $0 != .accumulate }
        guard let first = other.first else { return nil }
        return "\(first.name) is not simulated with a power-law spectrum, ridge fits or discounted accumulation (regimes allowed: replace, accumulate)"
    }

    public init(cell: LinearCell, regimes: [Regime], options: ChainOptions, generations: Int) {
        precondition(cell.dimension >= 1 && cell.samples >= 1, "cell needs d ≥ 1 and T ≥ 1, got \(cell)")
        precondition(cell.noiseVariance >= 0 && cell.noiseVariance.isFinite, "noise variance must be finite and ≥ 0")
        precondition(Self.unsupportedReason(regimes: regimes) == nil, "RidgeRefitSimulator: \(Self.unsupportedReason(regimes: regimes)!)")
        precondition(!regimes.isEmpty || !options.discounts.isEmpty, "at least one regime or discount is required")
        precondition(options.ridge.map { $0 >= 0 && $0.isFinite } ?? true, "ridge λ must be finite and ≥ 0")
        precondition(options.discounts.allSatisfy { $0 >= 0 && $0 <= 1 }, "discounts must be in [0, 1], got \(options.discounts)")
        precondition(generations >= 1, "generations must be ≥ 1, got \(generations)")
        self.cell = cell
        self.regimes = regimes
        self.options = options
        self.generations = generations
        schemes = regimes.map { $0 == .replace ? .replace : .accumulate } + options.discounts.map { .discounted(gamma: $0) }
        spectrum = options.ridgeSpectrum(dimension: cell.dimension)
    }

    /// Series per replicate: the regimes, then the discounted series.
    public var series: Int { schemes.count * generations }

    /// Approximate peak working memory of one worker, in bytes: the design, the Gram matrix, its
    /// eigenvectors and `VᵀΣV` (`3d²`), the moments of the exact propagation (`2·N·d`) and the
    /// per-series vectors.
    public static func estimatedBytesPerWorker(cell: LinearCell, series: Int, generations: Int) -> Double {
        let t = Double(cell.samples), d = Double(cell.dimension)
        return 8 * (2 * t * d + 4 * d * d + 2 * Double(generations) * d + Double(series) * (2 * d + t) + 4 * t)
    }

    /// Runs replicate `replicate` under `seed`. `values` holds `3·S` numbers (`S = series`): the
    /// test errors of series `k` at generation `n` at `k·N + n − 1`, then at `S + k·N + n − 1`
    /// the exact conditional means and at `2S + k·N + n − 1` the conditional variances given
    /// `X` and `w*` (`ExactPropagation.testErrorMoments`).
    public func runReplicate(seed: UInt64, replicate: Int, values: UnsafeMutableBufferPointer<Double>) throws {
        var rng = cell.stream(seed: seed, replicate: replicate, purpose: .data)
        try run(rng: &rng, values: values)
    }

    /// The same on a caller-supplied stream.
    public func run(rng: inout Xoshiro256StarStar, values: UnsafeMutableBufferPointer<Double>) throws {
        let t = cell.samples, d = cell.dimension, nGen = generations, total = series
        precondition(values.count >= 3 * total, "values buffer too small")
        let sigma = cell.noiseVariance.squareRoot()
        var x = Normal.array(count: t * d, using: &rng)
        let drawnTruth = Normal.array(count: d, using: &rng)
        var y = Normal.array(count: t, scale: sigma, using: &rng)
        let truth: [Double]
        if let spectrum {
            for j in 0..<d {
                let r = spectrum.eigenvalues[j].squareRoot()
                for i in 0..<t { x[j * t + i] *= r }
            }
            truth = spectrum.truth
        } else {
            truth = drawnTruth
        }
        let design = Matrix(rows: t, columns: d, columnMajor: x)
        let eigen = try SymmetricEigen(DesignProducts.gram(design))
        let penalty = Double(t) * (options.ridge ?? 0)
        let exact = ExactPropagation(eigen: eigen, rows: t, truth: truth, noiseVariance: cell.noiseVariance, ridge: penalty)
        for (k, scheme) in schemes.enumerated() {
            let moments = exact.testErrorMoments(scheme, generations: nGen, covariance: spectrum?.eigenvalues)
            for n in 0..<nGen {
                values[total + k * nGen + n] = moments.mean[n]
                values[2 * total + k * nGen + n] = moments.variance[n]
            }
        }

        let cutoff = ExactPropagation.nullCutoff(eigen: eigen, rows: t)
        let g = eigen.values.map { $0 > cutoff ? $0 : 0 }
        let weights = spectrum?.eigenvalues
        let gammas = schemes.map { scheme -> Double in
            switch scheme {
            case .replace: return 0
            case .accumulate: return 1
            case let .discounted(gamma): return gamma
            }
        }
        // Buffers allocated once per replicate: every Swift array allocation asks the runtime
        // for its metadata under a lock (docs/performance.md), and a generation used to make five
        // per series. Products with X and V go through `DesignProducts` (Swift up to 12 columns).
        let m = schemes.count
        let buffer = UnsafeMutableBufferPointer<Double>.zeroed
        let noise = buffer(t), labels = buffer(t), h = buffer(d), a = buffer(d), fits = buffer(m * d), sums = buffer(m * d)
        defer { for b in [noise, labels, h, a, fits, sums] { b.deallocate() } }
        var weight = Array(repeating: 1.0, count: m)
        eigen.vectors.storage.withUnsafeBufferPointer { vp in
            design.storage.withUnsafeBufferPointer { xp in
                let vectors = vp.baseAddress!, x = xp.baseAddress!
                /// `w = (c·G + TλI)⁺b` through the eigenbasis.
                func solve(scale c: Double, _ b: UnsafePointer<Double>, into w: UnsafeMutablePointer<Double>) {
                    a.update(repeating: 0)
                    DesignProducts.transposeMultiply(vectors, rows: d, columns: d, by: b, into: a.baseAddress!)
                    for i in 0..<d {
                        let denominator = c * g[i] + penalty
                        a[i] = denominator > 0 ? a[i] / denominator : 0
                    }
                    for j in 0..<d { w[j] = 0 }
                    DesignProducts.multiply(vectors, rows: d, columns: d, by: a.baseAddress!, into: w)
                }
                func error(_ w: UnsafePointer<Double>) -> Double {
                    var e = 0.0
                    for j in 0..<d { let u = w[j] - truth[j]; e += (weights?[j] ?? 1) * u * u }
                    return e
                }
                /// `h = Xᵀy`.
                func project(_ y: UnsafePointer<Double>) {
                    h.update(repeating: 0)
                    DesignProducts.transposeMultiply(x, rows: t, columns: d, by: y, into: h.baseAddress!)
                }

                // Generation 1: every series fits the real labels y₁ = Xw* + E₁.
                truth.withUnsafeBufferPointer { wp in
                    y.withUnsafeMutableBufferPointer { yp in
                        DesignProducts.multiplyAdd(x, rows: t, columns: d, by: wp.baseAddress!, into: yp.baseAddress!)
                        project(yp.baseAddress!)
                    }
                }
                solve(scale: 1, h.baseAddress!, into: fits.baseAddress!)
                let e1 = error(fits.baseAddress!)
                for k in 0..<m {
                    for j in 0..<d { fits[k * d + j] = fits[j]; sums[k * d + j] = h[j] }
                    values[k * nGen] = e1
                }
                if nGen == 1 { return }
                for n in 2...nGen {
                    Normal.fill(noise, scale: sigma, using: &rng)
                    for k in 0..<m {
                        let fit = fits.baseAddress! + k * d, sum = sums.baseAddress! + k * d
                        // y = Xŵ_{n−1} + E_n, literally; then the weighted normal equations.
                        labels.update(repeating: 0)
                        DesignProducts.multiply(x, rows: t, columns: d, by: fit, into: labels.baseAddress!)
                        for i in 0..<t { labels[i] += noise[i] }
                        project(labels.baseAddress!)
                        let gamma = gammas[k]
                        for j in 0..<d { sum[j] = gamma * sum[j] + h[j] }
                        weight[k] = gamma * weight[k] + 1
                        solve(scale: weight[k], sum, into: fit)
                        values[k * nGen + n - 1] = error(fit)
                    }
                }
            }
        }
    }
}
