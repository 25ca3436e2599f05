import Foundation

/// A Gaussian design's covariance given by its spectrum, and the truth in that eigenbasis
/// (proof R1, Step 0: by rotation invariance of `N(0, Σ)` every result depends on `Σ` and `w*`
/// only through the eigenvalues `s_i` of `Σ` and the coordinates `w*_i` of `w*` in its
/// eigenbasis, so `Σ = diag(s)` is no loss of generality).
public struct RidgeSpectrum: Sendable, Equatable {
    /// `s_i > 0`, the eigenvalues of `Σ`.
    public let eigenvalues: [Double]
    /// `w*_i`, the truth in the eigenbasis of `Σ`.
    public let truth: [Double]

    /// nil unless the counts agree, `d ≥ 1`, every `s_i` is finite and `> 0` and every `w*_i` finite.
    public init?(eigenvalues: [Double], truth: [Double]) {
        guard !eigenvalues.isEmpty, eigenvalues.count == truth.count,
            eigenvalues.allSatisfy({ $0.isFinite && $0 > 0 }), truth.allSatisfy(\.isFinite)
        else { return nil }
        self.eigenvalues = eigenvalues
        self.truth = truth
    }

    public var dimension: Int { eigenvalues.count }

    /// `‖w*‖²_Σ = Σ_i s_i w*_i²`, the variance of the clean signal `x·w*`.
    public var signalVariance: Double { zip(eigenvalues, truth).reduce(0) { $0 + $1.0 * $1.1 * $1.1 } }

    /// `Σ = I_d`, `w*_i = √(signal/d)`: `‖w*‖²_Σ = signal`.
    public static func isotropic(dimension d: Int, signalVariance signal: Double = 1) -> RidgeSpectrum {
        precondition(d >= 1 && signal.isFinite && signal >= 0, "isotropic spectrum needs d ≥ 1 and a finite signal ≥ 0")
        return RidgeSpectrum(eigenvalues: Array(repeating: 1, count: d), truth: Array(repeating: (signal / Double(d)).squareRoot(), count: d))!
    }

    /// Power law: `s_i = i^{−β}` (`s_1 = 1`, not trace-normalised) and the source condition of
    /// capacity/source exponents `(β, r)`: `s_i·w*_i² ∝ i^{−(1 + 2βr)}`, i.e.
    /// `w*_i ∝ i^{−(1 + 2βr − β)/2}`, scaled so that `‖w*‖²_Σ = signal`. (`r` is the source
    /// exponent of Dohmatob et al. and Cui et al.; larger `r` is an easier target.)
    public static func powerLaw(dimension d: Int, beta: Double, source r: Double, signalVariance signal: Double = 1) -> RidgeSpectrum {
        precondition(
            d >= 1 && beta.isFinite && beta >= 0 && r.isFinite && signal.isFinite && signal >= 0,
            "power-law spectrum needs d ≥ 1, finite β ≥ 0, finite r and a finite signal ≥ 0")
        let s = (1...d).map { pow(Double($0), -beta) }
        let shape = (1...d).map { pow(Double($0), -(1 + 2 * beta * r - beta) / 2) }
        let raw = zip(s, shape).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }
        let scale = (signal / raw).squareRoot()
        return RidgeSpectrum(eigenvalues: s, truth: shape.map { $0 * scale })!
    }
}

/// Ridge fit downstream of Dohmatob, Feng & Kempe's fresh-design OLS generator chain: the exact
/// finite-sample decomposition and its high-dimensional deterministic equivalent (proof R1).
///
/// **Setting.** `n` synthetic generations: generator `k` fits OLS on a fresh Gaussian design
/// `X_k ∈ R^{T₀×d}` (rows `N(0, Σ)`) labelled by generator `k − 1` (generator 0 is `w*`) plus
/// noise `N(0, σ₀²)`. Then the downstream ridge fit on a fresh `X ∈ R^{T×d}` labelled by
/// generator `n` plus noise `N(0, σ²)`:
/// `ŵ = argmin_w (1/T)‖y − Xw‖² + λ‖w‖² = (XᵀX/T + λI)⁻¹Xᵀy/T`
/// (penalty `λ‖w‖²` on the *mean* squared loss; `ExactPropagation`'s ridge is `T·λ` in this
/// normalisation). Test error `‖ŵ − w*‖²_Σ`. Our generation `N` is the downstream fit after
/// `n = N − 1` synthetic generations (THEORY §0).
///
/// **Exact (R1, Theorem 1).** For `T₀ ≥ d + 2`, with `R = (XᵀX/T + λI)⁻¹`, `Ĝ = XᵀX/T`:
/// `E[‖ŵ − w*‖²_Σ | X] = λ²w*ᵀRΣRw* + (σ²/T)tr(ΣRĜR) + c·tr(ĜRΣRĜΣ⁻¹)`,
/// `c = nσ₀²/(T₀ − d − 1)` — no approximation; at `λ = 0` (`T ≥ d + 2`) its mean is
/// `σ²d/(T − d − 1) + c·d` (proof D1).
///
/// **Deterministic equivalent (R1, Theorem 3; cited random-matrix result).** `κ > 0` solves
/// `κ − λ = κ·df₁(κ)/T`, `df_m(κ) = tr Σ^m(Σ + κI)^{−m}`, and
/// - bias `B = κ²w*ᵀΣ(Σ + κI)⁻²w*/(1 − df₂/T)`,
/// - variance `V = σ²df₂/(T − df₂)`,
/// - collapse `C = c·[df₂ + κ²tr(Σ + κI)⁻²·df₂/(T − df₂)]`,
/// so `E‖ŵ − w*‖²_Σ ≈ B + V + C`, with relative error `O(1/d)` at proportional sizes (measured
/// in the tests; not a bound). THEORY §3.3's formula is confirmed in this normalisation.
/// Equivalently (R1, Step 6, exact algebra) `V + C = σ̃²·df₂/(T − df₂)` with the effective
/// label noise `σ̃² = σ² + c·(T − df₂ + κ²tr(Σ + κI)⁻²)`.
public enum RidgeDeterministicEquivalent {
    /// `df_m(κ) = Σ_i (s_i/(s_i + κ))^m`.
    public static func degreesOfFreedom(_ m: Int, eigenvalues s: [Double], kappa: Double) -> Double {
        precondition(m >= 1 && kappa >= 0, "df_m needs m ≥ 1 and κ ≥ 0")
        var total = 0.0
        for si in s {
            let r = si / (si + kappa)
            var p = 1.0
            for _ in 0..<m { p *= r }
            total += p
        }
        return total
    }

    /// The effective regularisation `κ` (proof R1, Lemma 2): the unique root in `(0, ∞)` of the
    /// strictly convex `h(κ) = κ − λ − (1/T)Σ_i s_iκ/(s_i + κ)` when `λ > 0`; for `λ = 0` its
    /// limit as `λ ↓ 0`: `0` when `d < T`, the unique positive root of `df₁(κ) = T` when `d > T`,
    /// and nil when `d = T` (the ridgeless variance is infinite).
    ///
    /// Newton from `κ₀ = λ + tr Σ/T` (where `h ≥ 0`): on a convex function, started right of
    /// the root, the iterates decrease monotonically to it, quadratically near it, since
    /// `h′ = 1 − df₂/T > 0` at the root. Stops when a step is below `4ε·κ`; after 200 steps
    /// (only when `h′(root)` is tiny) it finishes by 200 bisection steps.
    public static func kappa(eigenvalues s: [Double], samples t: Int, ridge lambda: Double) -> Double? {
        precondition(!s.isEmpty && s.allSatisfy { $0 > 0 && $0.isFinite }, "κ needs eigenvalues > 0")
        precondition(t >= 1 && lambda >= 0 && lambda.isFinite, "κ needs T ≥ 1 and finite λ ≥ 0")
        let d = s.count, tt = Double(t)
        if lambda == 0 && d < t { return 0 }
        if lambda == 0 && d == t { return nil }
        func h(_ k: Double) -> Double {
            var sum = 0.0
            for si in s { sum += si * k / (si + k) }
            return k - lambda - sum / tt
        }
        func hPrime(_ k: Double) -> Double { 1 - degreesOfFreedom(2, eigenvalues: s, kappa: k) / tt }
        var k = lambda + s.reduce(0, +) / tt
        for _ in 0..<200 {
            let value = h(k)
            if value <= 0 { return k }
            let step = value / hPrime(k)
            if !(step > 4 * Double.ulpOfOne * k) { return max(k - max(step, 0), 0) }
            k -= step
        }
        // Bisection fallback: hi = k has h ≥ 0; find lo with h(lo) < 0.
        var hi = k, lo = lambda > 0 ? 0 : k / 2
        if lambda == 0 { while h(lo) >= 0 && lo > 1e-300 { lo /= 2 } }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if h(mid) < 0 { lo = mid } else { hi = mid }
        }
        return hi
    }

    /// The terms of the deterministic equivalent at one `(λ, n)`.
    public struct Terms: Sendable, Equatable {
        public var ridge: Double
        public var kappa: Double
        public var df1: Double
        public var df2: Double
        /// `B = κ²w*ᵀΣ(Σ + κI)⁻²w*/(1 − df₂/T)`.
        public var bias: Double
        /// `V = σ²df₂/(T − df₂)`.
        public var variance: Double
        /// `Q = df₂ + κ²tr(Σ + κI)⁻²·df₂/(T − df₂)`, the equivalent of `tr(ĜRΣRĜΣ⁻¹)`.
        public var collapseFactor: Double
        /// `c = nσ₀²/(T₀ − d − 1)` (exact: inverse-Wishart mean, proof L1).
        public var collapseScale: Double
        /// `C = c·Q`.
        public var collapse: Double { collapseScale * collapseFactor }
        /// `B + V + C`.
        public var total: Double { bias + variance + collapse }
    }

    /// `c = nσ₀²/(T₀ − d − 1)`; 0 when `n = 0`; nil when `n ≥ 1` and `T₀ < d + 2` (infinite mean).
    public static func collapseScale(
        dimension d: Int, syntheticGenerations n: Int, generatorSamples t0: Int,
        generatorNoiseVariance s0: Double
    ) -> Double? {
        precondition(n >= 0 && s0 >= 0, "need n ≥ 0 synthetic generations and σ₀² ≥ 0")
        if n == 0 { return 0 }
        guard t0 >= d + 2 else { return nil }
        return Double(n) * s0 / Double(t0 - d - 1)
    }

    /// The deterministic equivalent after `n` synthetic generations (our generation `n + 1`).
    /// nil when the ridgeless limit is infinite (`λ = 0`, `d = T`) or `n ≥ 1` with `T₀ < d + 2`.
    public static func terms(
        spectrum: RidgeSpectrum, samples t: Int, noiseVariance s2: Double, ridge lambda: Double,
        syntheticGenerations n: Int, generatorSamples t0: Int, generatorNoiseVariance s0: Double
    ) -> Terms? {
        precondition(s2 >= 0 && s2.isFinite, "need finite σ² ≥ 0")
        guard let c = collapseScale(dimension: spectrum.dimension, syntheticGenerations: n, generatorSamples: t0, generatorNoiseVariance: s0),
            let k = kappa(eigenvalues: spectrum.eigenvalues, samples: t, ridge: lambda)
        else { return nil }
        let s = spectrum.eigenvalues, w = spectrum.truth, tt = Double(t)
        var df1 = 0.0, df2 = 0.0, biasSum = 0.0, shrunk = 0.0
        for i in s.indices {
            let q = s[i] / (s[i] + k), u = k / (s[i] + k)  // q + u = 1
            df1 += q
            df2 += q * q
            biasSum += u * u * s[i] * w[i] * w[i]  // κ²s_i w_i²/(s_i + κ)²
            shrunk += u * u  // κ²/(s_i + κ)²
        }
        let gap = tt - df2  // > 0 (R1, Lemma 2)
        guard gap > 0 else { return nil }
        return Terms(
            ridge: lambda, kappa: k, df1: df1, df2: df2, bias: biasSum * tt / gap, variance: s2 * df2 / gap,
            collapseFactor: df2 + shrunk * df2 / gap, collapseScale: c)
    }

    /// The collapse-aware optimal ridge: the `λ ≥ 0` minimising `terms(…).total` (R1, §4).
    ///
    /// Scan `λ = 10^{j/8}·s_max` for `j = −80 … 32` (ten decades below to four above the top
    /// eigenvalue), then golden-section search in `log λ` on the two grid cells around the best
    /// point, to a bracket of width `1e−6` in `ln λ` (λ to relative `1e−6`; the minimum value to
    /// about `1e−12` relative, since the objective is flat to second order there). The ridgeless
    /// value (`λ = 0`, when finite) competes too, so `λ* = 0` means no tested penalty beats it.
    /// `atBoundary` is true when the best grid point is an end of the scanned range.
    /// This is a global minimum over the grid resolution; a second local minimum within one
    /// grid cell (1/8 decade) of the first could be missed.
    public static func optimalRidge(
        spectrum: RidgeSpectrum, samples t: Int, noiseVariance s2: Double,
        syntheticGenerations n: Int, generatorSamples t0: Int,
        generatorNoiseVariance s0: Double
    ) -> (terms: Terms, atBoundary: Bool)? {
        func eval(_ lambda: Double) -> Terms? {
            terms(
                spectrum: spectrum, samples: t, noiseVariance: s2, ridge: lambda, syntheticGenerations: n,
                generatorSamples: t0, generatorNoiseVariance: s0)
        }
        let top = spectrum.eigenvalues.max()!
        let grid = (-80...32).map { top * pow(10, Double($0) / 8) }
        guard
            collapseScale(
                dimension: spectrum.dimension, syntheticGenerations: n, generatorSamples: t0,
                generatorNoiseVariance: s0) != nil
        else { return nil }
        let values = grid.map { eval($0)?.total ?? .infinity }
        let best = values.indices.min { values[$0] < values[$1] }!
        let atBoundary = best == 0 || best == grid.count - 1
        var a = log(grid[max(best - 1, 0)]), b = log(grid[min(best + 1, grid.count - 1)])
        let phi = (5.0.squareRoot() - 1) / 2
        func f(_ x: Double) -> Double { eval(exp(x))?.total ?? .infinity }
        var x1 = b - phi * (b - a), x2 = a + phi * (b - a)
        var f1 = f(x1), f2 = f(x2)
        while b - a > 1e-6 {
            if f1 <= f2 { b = x2; x2 = x1; f2 = f1; x1 = b - phi * (b - a); f1 = f(x1) } else { a = x1; x1 = x2; f1 = f2; x2 = a + phi * (b - a); f2 = f(x2) }
        }
        var candidate = eval(f1 <= f2 ? exp(x1) : exp(x2))!
        if values[best] < candidate.total { candidate = eval(grid[best])! }
        if let ridgeless = eval(0), ridgeless.total <= candidate.total { return (ridgeless, false) }
        return (candidate, atBoundary)
    }
}
