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

    /// Buffers for one worker, reused across its replicates: the design, noise and labels of
    /// the largest generation, the Gram matrices, the fits, and the two Cholesky factorisations
    /// (replace's `X_kᵀX_k`, accumulate's `Σ_j X_jᵀX_j`). Allocating them per generation took
    /// the Swift runtime's metadata lock once per array, which parallel replicates queued on.
    public final class Workspace {
        let d: Int
        let x, noise, y, gram, gramSum, fits, projectedSum, fit: UnsafeMutableBufferPointer<Double>
        /// `SmallCholesky` of each kind for `d ≤ LeastSquaresSolver.smallFactorisationLimit`;
        /// nil above it, where LAPACK's blocked factorisation runs instead.
        var replaceCholesky: SmallCholesky?, accumulateCholesky: SmallCholesky?

        init(dimension d: Int, samples t: Int, regimes k: Int) {
            self.d = d
            let buffer = UnsafeMutableBufferPointer<Double>.zeroed
            x = buffer(t * d); noise = buffer(t); y = buffer(t); gram = buffer(d * d); gramSum = buffer(d * d)
            fits = buffer(k * d); projectedSum = buffer(k * d); fit = buffer(d)
            if d <= LeastSquaresSolver.smallFactorisationLimit {
                replaceCholesky = SmallCholesky(dimension: d)
                accumulateCholesky = SmallCholesky(dimension: d)
            }
        }

        deinit { for b in [x, noise, y, gram, gramSum, fits, projectedSum, fit] { b.deallocate() } }
    }

    /// A workspace for this simulator's dimension, largest `T_k` and regimes.
    public func makeWorkspace() -> Workspace {
        Workspace(dimension: dimension, samples: schedule.map(\.samples).max() ?? 1, regimes: regimes.count)
    }

    /// Draw order: `w*` (d normals), then per generation the design entries (column-major) and
    /// the `T_k` noise values.
    ///
    /// Per generation and regime, labels `y = X_kŵ + E_k`, then replace solves
    /// `X_kᵀX_k ŵ = X_kᵀy` and accumulate `(Σ_j X_jᵀX_j) ŵ = Σ_j X_jᵀy_j` by Cholesky
    /// (`SmallCholesky` up to `LeastSquaresSolver.smallFactorisationLimit`; `X_kᵀX_k` formed once
    /// for both regimes), falling back to `LeastSquaresSolver`'s SVD and `SymmetricSolve`'s
    /// eigendecomposition where `X_k` has fewer rows than columns or the Gram matrix is ill
    /// conditioned. The same arithmetic as `LeastSquaresSolver(design:).solve` and
    /// `SymmetricSolve.pseudoInverseSolve`, without an allocation per generation. The products
    /// with `X_k` (`X_kᵀX_k`, `X_kŵ`, `X_kᵀy`) go through `DesignProducts`, as the solver's do:
    /// in Swift up to `SmallProducts.maximumColumns` columns, where `dsyrk` took OpenBLAS's
    /// process-wide buffer lock every generation, and the chain's bits then do not depend on
    /// OpenBLAS's kernel where the Cholesky factorisations succeed.
    public func run(rng: inout Xoshiro256StarStar, errors: UnsafeMutableBufferPointer<Double>, workspace: Workspace? = nil) throws {
        let ws = workspace ?? makeWorkspace()
        precondition(ws.d == dimension, "FreshDesignSimulator.run: a workspace of another dimension")
        let d = dimension, k = regimes.count, nGen = generations
        let hasReplace = regimes.contains(.replace), hasAccumulate = regimes.contains(.accumulate)
        let truth = Normal.array(count: d, using: &rng)
        let x = ws.x.baseAddress!, y = ws.y.baseAddress!, gram = ws.gram.baseAddress!, fit = ws.fit.baseAddress!
        /// `fit ← X_kᵀy`.
        func projectLabels(rows t: Int) { DesignProducts.transposeMultiply(x, rows: t, columns: d, by: y, into: fit) }
        // ŵ_{n−1} per regime (w* before generation 1) and Σ_j X_jᵀy_j per regime.
        for r in 0..<k { for j in 0..<d { ws.fits[r * d + j] = truth[j] } }
        ws.projectedSum.update(repeating: 0)
        ws.gramSum.update(repeating: 0)
        for n in 1...nGen {
            let (t, s2) = schedule[n - 1]
            Normal.fill(UnsafeMutableBufferPointer(start: x, count: t * d), using: &rng)
            Normal.fill(UnsafeMutableBufferPointer(start: ws.noise.baseAddress!, count: t), scale: s2.squareRoot(), using: &rng)
            // X_kᵀX_k's upper triangle, for accumulate's sum and replace's Cholesky factor.
            let smallReplace = hasReplace && t >= d && ws.replaceCholesky != nil
            if hasAccumulate || smallReplace {
                ws.gram.update(repeating: 0)
                DesignProducts.gram(x, rows: t, columns: d, into: gram)
            }
            if hasAccumulate {
                for j in 0..<d { for i in 0..<d { ws.gramSum[i + j * d] += i <= j ? gram[i + j * d] : gram[j + i * d] } }
            }
            var solver: LeastSquaresSolver?  // SVD, d > limit, or an ill-conditioned X_kᵀX_k
            let choleskyReplace = smallReplace && ws.replaceCholesky!.factor(gram: gram)
            if hasReplace && !choleskyReplace {
                solver = try LeastSquaresSolver(design: Matrix(rows: t, columns: d, columnMajor: Array(ws.x[0..<(t * d)])))
            }
            var choleskyAccumulate: Bool?  // factored once per generation, on first use
            for r in 0..<k {
                let w = ws.fits.baseAddress! + r * d
                // Generation 1 labels the real data with w*; later ones with the previous fit.
                DesignProducts.multiply(x, rows: t, columns: d, by: w, into: y)
                for i in 0..<t { y[i] += ws.noise[i] }
                if regimes[r] == .replace {
                    if let solver {
                        let solved = solver.solve(Array(ws.y[0..<t]))
                        for j in 0..<d { fit[j] = solved[j] }
                    } else {
                        projectLabels(rows: t)
                        ws.replaceCholesky!.solve(fit)
                    }
                } else {
                    let projected = ws.projectedSum.baseAddress! + r * d
                    projectLabels(rows: t)
                    for j in 0..<d { projected[j] += fit[j] }
                    let sum = ws.gramSum.baseAddress!
                    if ws.accumulateCholesky != nil, choleskyAccumulate ?? ws.accumulateCholesky!.factor(gram: sum) {
                        choleskyAccumulate = true
                        for j in 0..<d { fit[j] = projected[j] }
                        ws.accumulateCholesky!.solve(fit)
                    } else {
                        if ws.accumulateCholesky != nil { choleskyAccumulate = false }
                        let solved = try SymmetricSolve.pseudoInverseSolve(
                            Matrix(rows: d, columns: d, columnMajor: Array(ws.gramSum)), Array(UnsafeBufferPointer(start: projected, count: d)))
                        for j in 0..<d { fit[j] = solved[j] }
                    }
                }
                var e = 0.0
                for j in 0..<d {
                    w[j] = fit[j]
                    e += (fit[j] - truth[j]) * (fit[j] - truth[j])
                }
                errors[r * nGen + n - 1] = e
            }
        }
    }
}
