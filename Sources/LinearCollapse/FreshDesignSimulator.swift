import CollapseCore
import LinearAlgebra
import Randomness

/// The OLS chain with a **fresh design every generation** (proof D1; Dohmatob, Feng & Kempe
/// 2024): generation `k` draws its own `X_k ∈ R^{T_k×d}` (i.i.d. `N(0,1)` entries) and noise
/// `E_k ~ N(0, σ_k²I)`, labels `y₁ = X₁w* + E₁`, `y_k = X_kŵ_{k−1} + E_k`, and refits:
/// - replace: `ŵ_k = X_k⁺y_k`; then `E‖ŵ_n − w*‖² = Σ_{k≤n} σ_k²d/(T_k − d − 1)` (D1);
/// - accumulate: the min-norm OLS fit on every generation's `(X_j, y_j)` stacked,
///   `ŵ_n = (Σ_j X_jᵀX_j)⁺ Σ_j X_jᵀy_j` (no closed form; simulation).
/// Regimes of one replicate share the designs and noises. Each generation costs `T_k·d` normals
/// plus an `O(T_k d²)` factorisation.
public struct FreshDesignSimulator: Sendable {
    public let dimension: Int
    /// `(T_k, σ_k²)` for generation `k = 1, 2, …`.
    public let schedule: [(samples: Int, noiseVariance: Double)]
    public let regimes: [Regime]

    public static func unsupportedReason(regimes: [Regime]) -> String? {
        if let r = regimes.first(where: { $0 != .replace && $0 != .accumulate }) {
            return "supports replace and accumulate only (\(r.name) is defined for a fixed design)"
        }
        return nil
    }

    public init(dimension: Int, schedule: [(samples: Int, noiseVariance: Double)], regimes: [Regime]) {
        precondition(
            dimension >= 1 && !schedule.isEmpty && schedule.allSatisfy { $0.samples >= 1 && $0.noiseVariance >= 0 },
            "FreshDesignSimulator: d ≥ 1 and a non-empty schedule of T ≥ 1, σ² ≥ 0")
        precondition(Self.unsupportedReason(regimes: regimes) == nil, Self.unsupportedReason(regimes: regimes) ?? "")
        self.dimension = dimension
        self.schedule = schedule
        self.regimes = regimes
    }

    public var generations: Int { schedule.count }

    /// Draw order: `w*` (d normals), then per generation the design entries (column-major) and
    /// the `T_k` noise values.
    public func run(rng: inout Xoshiro256StarStar, errors: UnsafeMutableBufferPointer<Double>) throws {
        let d = dimension, k = regimes.count, nGen = generations
        let truth = Normal.array(count: d, using: &rng)
        var w = [[Double]](repeating: truth, count: k)  // ŵ_{n−1} per regime (w* before generation 1)
        var gramSum = Matrix(rows: d, columns: d)
        var projectedSum = [[Double]](repeating: [Double](repeating: 0, count: d), count: k)
        for n in 1...nGen {
            let (t, s2) = schedule[n - 1]
            let x = Matrix(rows: t, columns: d, columnMajor: Normal.array(count: t * d, using: &rng))
            let noise = Normal.array(count: t, scale: s2.squareRoot(), using: &rng)
            let needsGram = regimes.contains(.accumulate)
            if needsGram {
                let g = BLAS.gram(x)
                for i in 0..<(d * d) { gramSum.storage[i] += g.storage[i] }
            }
            let solver = regimes.contains(.replace) ? try LeastSquaresSolver(design: x) : nil
            for r in 0..<k {
                // Generation 1 labels the real data with w*; later ones with the previous fit.
                var y = BLAS.multiply(x, w[r])
                for i in 0..<t { y[i] += noise[i] }
                let fit: [Double]
                if regimes[r] == .replace {
                    fit = solver!.solve(y)
                } else {
                    let h = BLAS.multiply(x, y, transpose: true)
                    for j in 0..<d { projectedSum[r][j] += h[j] }
                    fit = try SymmetricSolve.pseudoInverseSolve(gramSum, projectedSum[r])
                }
                w[r] = fit
                var e = 0.0
                for j in 0..<d { e += (fit[j] - truth[j]) * (fit[j] - truth[j]) }
                errors[r * nGen + n - 1] = e
            }
        }
    }
}
