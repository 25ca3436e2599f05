import CollapseTheory
import LinearAlgebra
import Randomness

/// The exact risk of the downstream ridge fit of Dohmatob et al.'s chain given its design `X`
/// (proof R1, Theorem 1), with `Σ = diag(s)` (R1, Step 0) and the penalty normalised as
/// `ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T` (λ = 0: the min-norm fit `X⁺y`).
///
/// With `Ĝ = XᵀX/T = V·diag(g)·Vᵀ`, `S = V·diag(g/(g + λ))·Vᵀ` (`0/0 = 0`: the min-norm
/// projector `X⁺X` at `λ = 0`) and `ŵ_gen − w*` centred with covariance `c·Σ⁻¹` independent of
/// `X` (c = nσ₀²/(T₀ − d − 1), proofs D1/L1):
/// `E[‖ŵ − w*‖²_Σ | X] = ‖(I − S)w*‖²_Σ + (σ²/T)Σ_i g_i/(g_i + λ)²·(VᵀΣV)_ii + c·tr(SΣSΣ⁻¹)`.
/// Cost: one `d×d` eigendecomposition and one `d×d×d` product.
public struct RidgeConditionalRisk: Sendable, Equatable {
    /// `‖(I − S)w*‖²_Σ`.
    public var bias: Double
    /// `(σ²/T)·tr(ΣRĜR)`.
    public var variance: Double
    /// `Q(X) = tr(SΣSΣ⁻¹)`; the collapse term is `c·Q(X)`.
    public var collapseFactor: Double

    /// `bias + variance + c·Q(X)`.
    public func total(collapseScale c: Double) -> Double { bias + variance + c * collapseFactor }

    /// Computes the decomposition for the design `x` (`T × d`, rows drawn from `N(0, diag(s))`).
    public init(design x: Matrix, spectrum: RidgeSpectrum, noiseVariance s2: Double, ridge lambda: Double) throws {
        let fit = try RidgeDownstreamFit(design: x, ridge: lambda)
        self = fit.conditionalRisk(spectrum: spectrum, noiseVariance: s2)
    }

    public init(bias: Double, variance: Double, collapseFactor: Double) {
        self.bias = bias; self.variance = variance; self.collapseFactor = collapseFactor
    }
}

/// One factorised downstream design: the ridge solve and its exact conditional risk.
struct RidgeDownstreamFit {
    let design: Matrix
    let ridge: Double
    let eigen: SymmetricEigen
    /// `g_i/(g_i + λ)` and `1/(g_i + λ)`, with null eigenvalues of `Ĝ` (below `max(T,d)·ε·g_max`) set to 0.
    let shrink: [Double]
    let inverse: [Double]
    let eigenvalues: [Double]

    init(design x: Matrix, ridge lambda: Double) throws {
        precondition(lambda >= 0 && lambda.isFinite, "ridge λ must be finite and ≥ 0")
        let t = Double(x.rows), d = x.columns
        var gram = BLAS.gram(x)
        for i in 0..<(d * d) { gram.storage[i] /= t }
        eigen = try SymmetricEigen(gram)
        let cutoff = Double(max(x.rows, d)) * Double.ulpOfOne * (eigen.values.max() ?? 0)
        eigenvalues = eigen.values.map { $0 > cutoff ? $0 : 0 }
        shrink = eigenvalues.map { $0 + lambda > 0 && $0 > 0 ? $0 / ($0 + lambda) : 0 }
        inverse = eigenvalues.map { $0 > 0 || lambda > 0 ? 1 / ($0 + lambda) : 0 }
        design = x
        ridge = lambda
    }

    /// `ŵ = V·diag(1/(g + λ))·Vᵀ·Xᵀy/T`.
    func solve(_ y: [Double]) -> [Double] {
        let t = Double(design.rows)
        let h = BLAS.multiply(design, y, transpose: true)
        var a = BLAS.multiply(eigen.vectors, h, transpose: true)
        for i in a.indices { a[i] *= inverse[i] / t }
        return BLAS.multiply(eigen.vectors, a)
    }

    func conditionalRisk(spectrum: RidgeSpectrum, noiseVariance s2: Double) -> RidgeConditionalRisk {
        let d = design.columns, s = spectrum.eigenvalues, w = spectrum.truth, v = eigen.vectors
        // Bias: b = w* − V·diag(shrink)·Vᵀw*.
        var a = BLAS.multiply(v, w, transpose: true)
        for i in 0..<d { a[i] *= shrink[i] }
        let sw = BLAS.multiply(v, a)
        var bias = 0.0
        for j in 0..<d { bias += s[j] * (w[j] - sw[j]) * (w[j] - sw[j]) }
        // Variance: (σ²/T)·Σ_i g_i/(g_i + λ)²·Σ_j s_j V_ji².
        var variance = 0.0
        for i in 0..<d where eigenvalues[i] > 0 {
            var m = 0.0
            for j in 0..<d { m += s[j] * v[j, i] * v[j, i] }
            variance += eigenvalues[i] * inverse[i] * inverse[i] * m
        }
        variance *= s2 / Double(design.rows)
        // Collapse factor: S = U·Uᵀ with U = V·diag(√shrink); tr(SΣSΣ⁻¹) = Σ_{jk} S_jk² s_k/s_j.
        var u = v
        for i in 0..<d { let r = shrink[i].squareRoot(); for j in 0..<d { u[j, i] *= r } }
        let p = BLAS.multiply(u, u, transposeB: true)
        var q = 0.0
        for k in 0..<d { for j in 0..<d { let pj = p[j, k]; q += pj * pj * s[k] / s[j] } }
        return RidgeConditionalRisk(bias: bias, variance: variance, collapseFactor: q)
    }
}

/// The literal Dohmatob–Feng–Kempe chain with a general diagonal `Σ = diag(s)` and a ridge
/// downstream fit (the Monte Carlo side of proof R1).
///
/// One replicate: draw the downstream design `X` (`T × d`) and noise `E ~ N(0, σ²I_T)`; then for
/// our generation `N = 1, 2, …` the downstream fit is made on labels `y = X·ŵ_{N−1} + E` from
/// generator `N − 1` (generator 0 is `w*`), and generator `N` is fit by OLS on its own fresh
/// design `X_N` (`T₀ × d`) with labels `X_N·ŵ_{N−1} + E_N`, `E_N ~ N(0, σ₀²I)`. Designs are
/// `Z·diag(√s)` with `Z` standard normal. The downstream `X, E` are shared across `N` (the
/// marginal law at each `N` is the chain's; only means are compared).
///
/// `run` writes `3·generations` values: the risks `‖ŵ − w*‖²_Σ` at `N = 1 … generations`, then
/// the paired differences `risk_N − E[risk_N | X]` (mean exactly 0 by R1, Theorem 1), then the
/// exact conditional means `E[risk_N | X]` themselves.
public struct FreshDesignRidgeSimulator: Sendable {
    public let spectrum: RidgeSpectrum
    public let samples: Int
    public let noiseVariance: Double
    public let ridge: Double
    public let generatorSamples: Int
    public let generatorNoiseVariance: Double
    public let generations: Int

    public init(
        spectrum: RidgeSpectrum, samples: Int, noiseVariance: Double, ridge: Double,
        generatorSamples: Int, generatorNoiseVariance: Double, generations: Int
    ) {
        let d = spectrum.dimension
        precondition(
            samples >= 1 && noiseVariance >= 0 && ridge >= 0 && ridge.isFinite && generatorNoiseVariance >= 0,
            "FreshDesignRidgeSimulator: T ≥ 1, σ² ≥ 0, finite λ ≥ 0, σ₀² ≥ 0")
        precondition(
            generations >= 1 && (generations == 1 || generatorSamples >= d + 2),
            "FreshDesignRidgeSimulator: generations ≥ 1, and generators need T₀ ≥ d + 2 (finite mean, proof L1)")
        self.spectrum = spectrum; self.samples = samples; self.noiseVariance = noiseVariance; self.ridge = ridge
        self.generatorSamples = generatorSamples; self.generatorNoiseVariance = generatorNoiseVariance
        self.generations = generations
    }

    /// `c_N = (N − 1)σ₀²/(T₀ − d − 1)`.
    public func collapseScale(generation n: Int) -> Double {
        RidgeDeterministicEquivalent.collapseScale(
            dimension: spectrum.dimension, syntheticGenerations: n - 1,
            generatorSamples: generatorSamples, generatorNoiseVariance: generatorNoiseVariance)!
    }

    /// `rows × d` design with rows `N(0, diag(s))`.
    public func design<G: RandomNumberGenerator>(rows: Int, rng: inout G) -> Matrix {
        let d = spectrum.dimension
        var x = Matrix(rows: rows, columns: d, columnMajor: Normal.array(count: rows * d, using: &rng))
        for j in 0..<d {
            let r = spectrum.eigenvalues[j].squareRoot()
            for i in 0..<rows { x.storage[j * rows + i] *= r }
        }
        return x
    }

    /// Draw order: downstream `X` (column-major), downstream `E`, then per generator its design and noise.
    public func run<G: RandomNumberGenerator>(rng: inout G, values: UnsafeMutableBufferPointer<Double>) throws {
        precondition(values.count >= 3 * generations, "buffer too small")
        let d = spectrum.dimension, s = spectrum.eigenvalues, truth = spectrum.truth
        let x = design(rows: samples, rng: &rng)
        let noise = Normal.array(count: samples, scale: noiseVariance.squareRoot(), using: &rng)
        let fit = try RidgeDownstreamFit(design: x, ridge: ridge)
        let exact = fit.conditionalRisk(spectrum: spectrum, noiseVariance: noiseVariance)
        var generator = truth
        for n in 1...generations {
            if n > 1 {
                // Generator n − 1: OLS on a fresh design labelled by generator n − 2.
                let xk = design(rows: generatorSamples, rng: &rng)
                var yk = BLAS.multiply(xk, generator)
                let ek = Normal.array(count: generatorSamples, scale: generatorNoiseVariance.squareRoot(), using: &rng)
                for i in 0..<generatorSamples { yk[i] += ek[i] }
                generator = try LeastSquaresSolver(design: xk).solve(yk)
            }
            var y = BLAS.multiply(x, generator)
            for i in 0..<samples { y[i] += noise[i] }
            let w = fit.solve(y)
            var risk = 0.0
            for j in 0..<d { risk += s[j] * (w[j] - truth[j]) * (w[j] - truth[j]) }
            let conditional = exact.total(collapseScale: collapseScale(generation: n))
            values[n - 1] = risk
            values[generations + n - 1] = risk - conditional
            values[2 * generations + n - 1] = conditional
        }
    }
}
