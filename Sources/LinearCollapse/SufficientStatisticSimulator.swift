import CollapseCore
import LinearAlgebra
import Randomness

/// The sufficient-statistic engine of the fixed-design OLS chain (`--engine sufficient`):
/// exact in distribution, O(d²) per generation whatever `T`.
///
/// Under replace and accumulate every fit depends on the data only through `G = XᵀX` and the
/// projected noises `XᵀE_n`: the refit on `h_n = Xᵀy_n = Gŵ_{n−1} + XᵀE_n` is
/// `ŵ_n = G⁻¹h_n = ŵ_{n−1} + G⁻¹XᵀE_n` (replace, proof T1) and the stacked refit on `Σ_j h_j`
/// is `ŵ_n = ŵ_{n−1} + G⁻¹XᵀE_n / n` (accumulate, proof T2). Their joint law is drawn directly:
/// - `G ~ Wishart_d(T, I)` by the Bartlett decomposition `G = LLᵀ`, `L` lower triangular with
///   `L_ii = √χ²_{T−i+1}` (i = 1…d) and `L_ij ~ N(0, 1)` below the diagonal (Bartlett 1933;
///   Anderson, *An Introduction to Multivariate Statistical Analysis*, Thm 7.2.1);
/// - given `G`, the `XᵀE_n` are i.i.d. `N(0, σ²G)` (`XᵀE` is Gaussian with covariance
///   `Xᵀ(σ²I)X`), so `G⁻¹XᵀE_n ~ N(0, σ²G⁻¹)`, drawn as `σL⁻ᵀξ_n`, `ξ_n ~ N(0, I_d)`: one
///   triangular solve per generation, shared by the regimes (common random numbers).
/// `w* ~ N(0, I_d)` as in the literal engine. Requires `T ≥ d` (full rank) and regimes
/// replace/accumulate (the others need individual rows). Its random stream differs from the
/// literal engine's, so the two agree in distribution, not draw by draw (tested by two-sample
/// tests).
public struct SufficientStatisticSimulator: Sendable {
    public let cell: LinearCell
    public let regimes: [Regime]
    public let generations: Int

    /// Why `cell`/`regimes` cannot run on this engine, or nil.
    public static func unsupportedReason(cell: LinearCell, regimes: [Regime]) -> String? {
        if cell.samples < cell.dimension {
            return "needs T ≥ d (a full-rank design); \(cell) is over-parameterised"
        }
        if let r = regimes.first(where: { $0 != .replace && $0 != .accumulate }) {
            return "supports replace and accumulate only (\(r.name) needs the individual rows)"
        }
        return nil
    }

    public init(cell: LinearCell, regimes: [Regime], generations: Int) {
        precondition(
            Self.unsupportedReason(cell: cell, regimes: regimes) == nil,
            "sufficient engine: \(Self.unsupportedReason(cell: cell, regimes: regimes)!)")
        precondition(generations >= 1, "generations must be ≥ 1, got \(generations)")
        self.cell = cell
        self.regimes = regimes
        self.generations = generations
    }

    /// Runs replicate `replicate`, writing regime `r`'s error at generation `n` to
    /// `errors[r * generations + n − 1]`.
    public func runReplicate(seed: UInt64, replicate: Int, errors: UnsafeMutableBufferPointer<Double>) throws -> DesignStatistics {
        var rng = cell.stream(seed: seed, replicate: replicate, purpose: .sufficient)
        return try run(rng: &rng, errors: errors)
    }

    /// Draw order: the Bartlett factor column by column (diagonal χ² then the normals below it),
    /// `w*`, then `ξ₁, ξ₂, …` (d normals per generation). Cost per generation: `d` normals and
    /// one `d×d` triangular solve, whatever `T` and however many regimes.
    public func run(rng: inout Xoshiro256StarStar, errors: UnsafeMutableBufferPointer<Double>) throws -> DesignStatistics {
        let d = cell.dimension, t = cell.samples, nGen = generations, k = regimes.count
        let sigma = cell.noiseVariance.squareRoot()
        var l = [Double](repeating: 0, count: d * d)
        for j in 0..<d {
            l[j + j * d] = Gamma.chiSquare(degreesOfFreedom: Double(t - j), using: &rng).squareRoot()
            for i in (j + 1)..<max(d, j + 1) where i < d { l[i + j * d] = Normal.next(using: &rng) }
        }
        let factor = try CholeskyFactor(lower: l, dimension: d)
        let truth = Normal.array(count: d, using: &rng)
        let stats = DesignStatistics(
            traceOfGramPseudoInverse: factor.traceOfInverse,
            traceOfGramPseudoInverseSquared: factor.traceOfInverseSquared, bias: 0, rank: d)

        let w = UnsafeMutableBufferPointer<Double>.allocate(capacity: k * d)
        let step = UnsafeMutableBufferPointer<Double>.allocate(capacity: d)
        defer { w.deallocate(); step.deallocate() }
        @inline(__always) func drawStep() {
            // step = σ L⁻ᵀ ξ ~ N(0, σ²G⁻¹) = the law of G⁻¹XᵀE given G.
            Normal.fill(step, scale: sigma, using: &rng)
            factor.solveTransposed(step.baseAddress!)
        }
        @inline(__always) func error(_ v: UnsafeMutablePointer<Double>) -> Double {
            var s = 0.0
            for j in 0..<d { let e = v[j] - truth[j]; s += e * e }
            return s
        }

        // Generation 1: ŵ₁ = G⁻¹Xᵀy₁ = w* + G⁻¹XᵀE₁.
        drawStep()
        for j in 0..<d { w[j] = truth[j] + step[j] }
        let e1 = error(w.baseAddress!)
        for r in 0..<k {
            if r > 0 { (w.baseAddress! + r * d).update(from: w.baseAddress!, count: d) }
            errors[r * nGen] = e1
        }
        if nGen == 1 { return stats }
        let accumulate = regimes.map { $0 == .accumulate }
        for n in 2...nGen {
            drawStep()
            let inv = 1 / Double(n)
            for r in 0..<k {
                let wr = w.baseAddress! + r * d
                let scale = accumulate[r] ? inv : 1
                for j in 0..<d { wr[j] += scale * step[j] }
                errors[r * nGen + n - 1] = error(wr)
            }
        }
        return stats
    }
}
