import Foundation
import LinearAlgebra

extension Tape {
    /// Multi-head causal self-attention on packed projections.
    ///
    /// `qkv` is `(B·T) × 3D`: row `b·T + t` holds `[q | k | v]` of position `t` of sequence
    /// `b`; head `h` uses columns `h·d_h ..< (h+1)·d_h` of each part (`d_h = D/H`). For every
    /// sequence and head
    ///
    ///     S = Q Kᵀ/√d_h,   P = softmax(S + M) row-wise (M_ts = −∞ for s > t),   O = P V,
    ///
    /// and the output (`(B·T) × D`) holds `O` of head `h` in columns `h·d_h ..< (h+1)·d_h`.
    ///
    /// Backward (per sequence and head, `c = 1/√d_h`): `∂P = ∂O Vᵀ`, `∂V += Pᵀ ∂O`,
    /// `∂S = P ⊙ (∂P − rowsum(∂P ⊙ P))` (zero above the diagonal since P is),
    /// `∂Q += c ∂S K`, `∂K += c ∂Sᵀ Q`. Each product is one `cblas_sgemm` on strided blocks.
    public func causalSelfAttention(_ qkv: Tensor, sequences b: Int, length t: Int, heads h: Int) -> Tensor {
        let d3 = qkv.cols, d = d3 / 3
        precondition(d3 % 3 == 0 && d % h == 0 && qkv.rows == b * t, "causalSelfAttention: bad shapes")
        let dh = d / h
        let c = 1 / Float(dh).squareRoot()
        let y = node(rows: b * t, cols: d, inputs: [qkv])
        // Training keeps every P (B·H·T·T) and a T×T scratch for ∂P; inference reuses one P.
        let probs = saved(y.requiresGrad ? b * h * t * t + t * t : t * t)
        qkv.value.withUnsafeBufferPointer { x in
            probs.value.withUnsafeMutableBufferPointer { p in
                y.value.withUnsafeMutableBufferPointer { o in
                    for s in 0..<b {
                        for head in 0..<h {
                            let base = x.baseAddress! + s * t * d3 + head * dh
                            let pp = p.baseAddress! + (y.requiresGrad ? (s * h + head) * t * t : 0)
                            AttentionKernel.probabilities(q: base, k: base + d, ld: d3, length: t, headDim: dh, scale: c, into: pp)
                            BLAS.sgemm(
                                transA: false, transB: false, m: t, n: dh, k: t, a: pp, lda: t, b: base + 2 * d, ldb: d3,
                                beta: 0, c: o.baseAddress! + s * t * d + head * dh, ldc: d)
                        }
                    }
                }
            }
        }
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    qkv.value.withUnsafeBufferPointer { x in
                        probs.value.withUnsafeMutableBufferPointer { p in
                            qkv.grad.withUnsafeMutableBufferPointer { gx in
                                let ds = p.baseAddress! + b * h * t * t
                                for s in 0..<b {
                                    for head in 0..<h {
                                        let base = s * t * d3 + head * dh
                                        let q = x.baseAddress! + base, k = q + d, v = q + 2 * d
                                        let gq = gx.baseAddress! + base, gk = gq + d, gv = gq + 2 * d
                                        let go = g.baseAddress! + s * t * d + head * dh
                                        let pp = UnsafePointer(p.baseAddress! + (s * h + head) * t * t)
                                        // ∂P = ∂O Vᵀ
                                        BLAS.sgemm(transA: false, transB: true, m: t, n: t, k: dh, a: go, lda: d, b: v, ldb: d3, beta: 0, c: ds, ldc: t)
                                        // ∂V += Pᵀ ∂O
                                        BLAS.sgemm(transA: true, transB: false, m: t, n: dh, k: t, a: pp, lda: t, b: go, ldb: d, beta: 1, c: gv, ldc: d3)
                                        // ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)), in place
                                        AttentionKernel.scoreGradient(probabilities: pp, length: t, inPlace: ds)
                                        // ∂Q += c ∂S K,  ∂K += c ∂Sᵀ Q
                                        BLAS.sgemm(
                                            transA: false, transB: false, m: t, n: dh, k: t, alpha: c, a: ds, lda: t, b: k, ldb: d3, beta: 1, c: gq, ldc: d3)
                                        BLAS.sgemm(
                                            transA: true, transB: false, m: t, n: dh, k: t, alpha: c, a: ds, lda: t, b: q, ldb: d3, beta: 1, c: gk, ldc: d3)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }
}

/// The attention-probability kernel shared by training and cached inference.
public enum AttentionKernel {
    /// `P = softmax(c·Q Kᵀ)` with the causal mask, for `length` queries and keys (rows with
    /// stride `ld`), written densely (`length × length`, zeros above the diagonal).
    public static func probabilities(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, ld: Int, length t: Int,
        headDim dh: Int, scale c: Float, into p: UnsafeMutablePointer<Float>
    ) {
        BLAS.sgemm(transA: false, transB: true, m: t, n: t, k: dh, alpha: c, a: q, lda: ld, b: k, ldb: ld, beta: 0, c: p, ldc: t)
        for i in 0..<t {
            let row = p + i * t
            _ = VectorMath.softmax(row, count: i + 1, into: row)
            (row + i + 1).update(repeating: 0, count: t - i - 1)
        }
    }

    /// `∂S = P ⊙ (∂P − rowsum(∂P ⊙ P))` row by row over the causal triangle (the softmax's
    /// vector–Jacobian product), written over `∂P`; entries above the diagonal become 0.
    public static func scoreGradient(probabilities p: UnsafePointer<Float>, length t: Int, inPlace ds: UnsafeMutablePointer<Float>) {
        for i in 0..<t {
            let pr = p + i * t, dr = ds + i * t
            var acc = VectorMath.Vector(repeating: 0)
            VectorMath.forEachChunk(i + 1) { j, c in acc += VectorMath.load(dr + j, c) * VectorMath.load(pr + j, c) }
            let dot = acc.sum()
            VectorMath.forEachChunk(i + 1) { j, c in
                VectorMath.store(VectorMath.load(pr + j, c) * (VectorMath.load(dr + j, c) - dot), dr + j, c)
            }
            (dr + i + 1).update(repeating: 0, count: t - i - 1)
        }
    }
}
