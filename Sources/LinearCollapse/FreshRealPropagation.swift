import LinearAlgebra

/// The exact risk curve of the fresh-real chain on a fixed design (proof E1, item 5 / Step 5).
///
/// Rows `R = 0..<m` get fresh real labels every generation, `y_{n,R} = X_R w* + E_{n,R}`; rows
/// `S = m..<T` get synthetic labels `y_{n,S} = X_S ŵ_{n−1} + E_{n,S}`; generation 1 is all real
/// (`ŵ_0 := w*`). Each generation is a ridge fit with penalty `λ` (min-norm at `λ = 0`):
///
///     ŵ_n = B ŵ_{n−1} + h + K XᵀE_n,   K = (G + λI)⁺, B = K G_S, h = K G_R w*,
///
/// so `m_n = B m_{n−1} + h`, `C_n = B C_{n−1} Bᵀ + σ² K G K` and
/// `E‖ŵ_n − w*‖² = ‖m_n − w*‖² + tr C_n`. `B` is not diagonal in the eigenbasis of `G`
/// (E1 Step 5(b)); it is in the basis of `M = D^{-1/2} V_rᵀ G_S V_r D^{-1/2} = Q diag(β) Qᵀ`,
/// `D = diag(g_i + λ)` on the range `I_r = {i : g_i + λ > 0}`, where with
/// `z = Qᵀ D^{1/2} V_rᵀ ŵ` (E1 Step 5(d)):
///
///     m̃_n = β ∘ m̃_{n−1} + h̃,           m̃_0 = z*,  h̃ = Qᵀ D^{-1/2} V_rᵀ G_R w*,
///     C̃_n = (β βᵀ) ∘ C̃_{n−1} + σ² Φ,   Φ = Qᵀ diag(g_i/(g_i+λ)) Q,
///     E‖ŵ_n − w*‖² = ‖(I − P_r) w*‖² + (m̃_n − z*)ᵀ Ψ (m̃_n − z*) + Σ_jk Ψ_jk C̃_{n,jk},  Ψ = Qᵀ D⁻¹ Q.
///
/// All `β_j ∈ [0, 1]`; the curve is bounded iff `λ > 0` or `rank X_R = rank X` (E1 Step 5(e)).
/// `m = 0` is the replace chain; `m = T` refits fresh real data every generation.
/// Cost: `O(T d² + d³)` once, then `O(d²)` per generation. Σ = I (test error `‖ŵ − w*‖²`).
public struct FreshRealPropagation: Sendable {
    /// Rows with fresh real labels (`0..<realRows`).
    public let realRows: Int
    public let noiseVariance: Double
    public let ridge: Double
    let beta: [Double]
    let zStar: [Double]
    let hTilde: [Double]
    let phi: Matrix
    let psi: Matrix
    let residual: Double

    /// Eigenvalues of `G` below `max(T, d)·ε·max g` are treated as 0, as in `ExactPropagation`.
    public init(design x: Matrix, truth: [Double], realRows m: Int, noiseVariance: Double, ridge: Double) throws {
        precondition(truth.count == x.columns, "truth has \(truth.count) entries, design \(x.columns) columns")
        precondition(m >= 0 && m <= x.rows, "realRows must be in 0...T, got \(m)")
        precondition(noiseVariance >= 0 && ridge >= 0 && ridge.isFinite, "need σ² ≥ 0 and λ ≥ 0")
        realRows = m; self.noiseVariance = noiseVariance; self.ridge = ridge
        let d = x.columns, t = x.rows
        let gram = BLAS.gram(x)
        let gramS = BLAS.gram(x.selectingRows(Array(m..<t)))
        let eigen = try SymmetricEigen(gram)
        let cutoff = Double(max(t, d)) * Double.ulpOfOne * (eigen.values.max() ?? 0)
        let g = eigen.values.map { $0 > cutoff ? $0 : 0 }
        let range = (0..<d).filter { g[$0] + ridge > 0 }
        let r = range.count
        // V_r and D^{∓1/2}.
        var vr = Matrix(rows: d, columns: r)
        for (c, i) in range.enumerated() { for k in 0..<d { vr[k, c] = eigen.vectors[k, i] } }
        let dInvHalf = range.map { 1 / (g[$0] + ridge).squareRoot() }
        // Ĝ_S = V_rᵀ G_S V_r; Ĝ_R = V_rᵀ G_R V_r with G_R = G − G_S (exact in the range: both are PSD
        // and vanish on ker G, E1 Step 5(c)).
        let hatS = BLAS.multiply(vr, BLAS.multiply(gramS, vr), transposeA: true)
        var gramR = gram
        for k in 0..<(d * d) { gramR.storage[k] -= gramS.storage[k] }
        let hatR = BLAS.multiply(vr, BLAS.multiply(gramR, vr), transposeA: true)
        var scaled = Matrix(rows: r, columns: r)
        for j in 0..<r { for i in 0..<r { scaled[i, j] = dInvHalf[i] * hatS[i, j] * dInvHalf[j] } }
        // Symmetrise against round-off before the eigensolver.
        for j in 0..<r { for i in 0..<j { let s = 0.5 * (scaled[i, j] + scaled[j, i]); scaled[i, j] = s; scaled[j, i] = s } }
        let inner = try SymmetricEigen(scaled)
        let q = inner.vectors
        beta = inner.values.map { min(1, max(0, $0)) }  // β ∈ [0, 1] exactly (E1 Step 5(e))
        let bStar = BLAS.multiply(vr, truth, transpose: true)
        let normB = bStar.reduce(0) { $0 + $1 * $1 }, normW = truth.reduce(0) { $0 + $1 * $1 }
        residual = ridge > 0 ? 0 : max(0, normW - normB)
        zStar = BLAS.multiply(q, (0..<r).map { bStar[$0] / dInvHalf[$0] }, transpose: true)
        let gRb = BLAS.multiply(hatR, bStar)
        hTilde = BLAS.multiply(q, (0..<r).map { gRb[$0] * dInvHalf[$0] }, transpose: true)
        // Φ = Qᵀ diag(s) Q and Ψ = Qᵀ diag(1/(g+λ)) Q.
        func congruence(_ diagonal: [Double]) -> Matrix {
            var scaledQ = q
            for c in 0..<r { for i in 0..<r { scaledQ[i, c] *= diagonal[i] } }
            return BLAS.multiply(q, scaledQ, transposeA: true)
        }
        phi = congruence(range.map { g[$0] / (g[$0] + ridge) })
        psi = congruence(range.map { 1 / (g[$0] + ridge) })
    }

    /// `E‖ŵ_n − w*‖²` for `n = 1 … generations`.
    public func testErrorCurve(generations: Int) -> [Double] {
        precondition(generations >= 1, "generations must be ≥ 1")
        let r = beta.count
        var mean = zStar
        var covariance = [Double](repeating: 0, count: r * r)
        var curve = [Double](repeating: residual, count: generations)
        for n in 0..<generations {
            for j in 0..<r { mean[j] = beta[j] * mean[j] + hTilde[j] }
            var e = 0.0
            for k in 0..<r {
                let dk = mean[k] - zStar[k]
                for j in 0..<r {
                    let c = beta[j] * beta[k] * covariance[k * r + j] + noiseVariance * phi[j, k]
                    covariance[k * r + j] = c
                    e += psi[j, k] * ((mean[j] - zStar[j]) * dk + c)
                }
            }
            curve[n] += e
        }
        return curve
    }
}
