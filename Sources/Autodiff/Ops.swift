import Foundation
import LinearAlgebra

// The differentiable operations. Each op computes its value, and (when the tape records and an
// input needs a gradient) registers a closure that adds the vector–Jacobian product of the
// output's gradient into the inputs' gradients. Gradients accumulate (`+=`), so a tensor used
// twice receives the sum of both paths. Every op is checked against central finite
// differences in Tests/NeuralCollapseTests/GradientCheckTests.swift.

extension Tape {
    // MARK: Linear algebra

    /// `C = A·B` for `A: m×k`, `B: k×n` (cblas_sgemm).
    /// Backward: `∂A += ∂C·Bᵀ`, `∂B += Aᵀ·∂C`.
    public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.cols == b.rows, "matmul: \(a.rows)×\(a.cols) · \(b.rows)×\(b.cols)")
        let m = a.rows, k = a.cols, n = b.cols
        let c = node(rows: m, cols: n, inputs: [a, b])
        a.value.withUnsafeBufferPointer { pa in
            b.value.withUnsafeBufferPointer { pb in
                c.value.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(
                        transA: false, transB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                        b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        if c.requiresGrad {
            c.backward = { [unowned c] in Tape.matmulBackward(a, b, c) }
        }
        return c
    }

    /// `∂A += ∂C·Bᵀ`, `∂B += Aᵀ·∂C` for `C = A·B` (each only where a gradient is needed).
    static func matmulBackward(_ a: Tensor, _ b: Tensor, _ c: Tensor) {
        let m = a.rows, k = a.cols, n = b.cols
        c.grad.withUnsafeBufferPointer { g in
            if a.requiresGrad {
                b.value.withUnsafeBufferPointer { pb in
                    a.grad.withUnsafeMutableBufferPointer { ga in
                        BLAS.sgemm(
                            transA: false, transB: true, m: m, n: k, k: n, a: g.baseAddress!, lda: n,
                            b: pb.baseAddress!, ldb: n, beta: 1, c: ga.baseAddress!, ldc: k)
                    }
                }
            }
            if b.requiresGrad {
                a.value.withUnsafeBufferPointer { pa in
                    b.grad.withUnsafeMutableBufferPointer { gb in
                        BLAS.sgemm(
                            transA: true, transB: false, m: k, n: n, k: m, a: pa.baseAddress!, lda: k,
                            b: g.baseAddress!, ldb: n, beta: 1, c: gb.baseAddress!, ldc: n)
                    }
                }
            }
        }
    }

    /// `y_ij = x_ij + b_j` for a `1 × n` bias. Backward: `∂x += ∂y`, `∂b_j += Σ_i ∂y_ij`.
    public func addBias(_ x: Tensor, _ b: Tensor) -> Tensor {
        precondition(b.rows == 1 && b.cols == x.cols, "addBias: bias \(b.rows)×\(b.cols) for \(x.rows)×\(x.cols)")
        let m = x.rows, n = x.cols
        let y = node(rows: m, cols: n, inputs: [x, b])
        y.value.withUnsafeMutableBufferPointer { o in
            x.value.withUnsafeBufferPointer { px in
                b.value.withUnsafeBufferPointer { pb in
                    for i in 0..<m {
                        VectorMath.forEachChunk(n) { j, c in
                            VectorMath.store(
                                VectorMath.load(px.baseAddress! + i * n + j, c) + VectorMath.load(pb.baseAddress! + j, c),
                                o.baseAddress! + i * n + j, c)
                        }
                    }
                }
            }
        }
        if y.requiresGrad {
            y.backward = { [unowned y] in
                if x.requiresGrad { Tape.accumulate(y.grad, into: &x.grad) }
                if b.requiresGrad { Tape.accumulateColumnSums(y.grad, rows: m, cols: n, into: &b.grad) }
            }
        }
        return y
    }

    /// `x·W + b` in one node: `C` is filled with the bias rows, then `C ← x·W + C` (one sgemm).
    /// Backward: `∂x += ∂y·Wᵀ`, `∂W += xᵀ·∂y`, `∂b_j += Σ_i ∂y_ij`.
    public func linear(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Tensor {
        precondition(
            x.cols == w.rows && b.rows == 1 && b.cols == w.cols,
            "linear: \(x.rows)×\(x.cols) · \(w.rows)×\(w.cols) + \(b.rows)×\(b.cols)")
        let m = x.rows, k = x.cols, n = w.cols
        let y = node(rows: m, cols: n, inputs: [x, w, b])
        y.value.withUnsafeMutableBufferPointer { o in
            b.value.withUnsafeBufferPointer { pb in
                for i in 0..<m { (o.baseAddress! + i * n).update(from: pb.baseAddress!, count: n) }
            }
            x.value.withUnsafeBufferPointer { px in
                w.value.withUnsafeBufferPointer { pw in
                    BLAS.sgemm(
                        transA: false, transB: false, m: m, n: n, k: k, a: px.baseAddress!, lda: k,
                        b: pw.baseAddress!, ldb: n, beta: 1, c: o.baseAddress!, ldc: n)
                }
            }
        }
        if y.requiresGrad {
            y.backward = { [unowned y] in
                Tape.matmulBackward(x, w, y)
                if b.requiresGrad { Tape.accumulateColumnSums(y.grad, rows: m, cols: n, into: &b.grad) }
            }
        }
        return y
    }

    /// `into += g` (same length).
    static func accumulate(_ g: [Float], into target: inout [Float]) {
        g.withUnsafeBufferPointer { pg in
            target.withUnsafeMutableBufferPointer { pt in
                VectorMath.forEachChunk(pt.count) { i, c in
                    VectorMath.store(VectorMath.load(pt.baseAddress! + i, c) + VectorMath.load(pg.baseAddress! + i, c), pt.baseAddress! + i, c)
                }
            }
        }
    }

    /// `into_j += Σ_i g_ij` for a row-major `rows × cols` `g` (rows added in order).
    static func accumulateColumnSums(_ g: [Float], rows m: Int, cols n: Int, into target: inout [Float]) {
        g.withUnsafeBufferPointer { pg in
            target.withUnsafeMutableBufferPointer { pt in
                VectorMath.forEachChunk(n) { j, c in
                    var acc = VectorMath.load(pt.baseAddress! + j, c)
                    for i in 0..<m { acc += VectorMath.load(pg.baseAddress! + i * n + j, c) }
                    VectorMath.store(acc, pt.baseAddress! + j, c)
                }
            }
        }
    }

    // MARK: Elementwise

    /// `a + b` (same shape). Backward: `∂a += ∂y`, `∂b += ∂y`.
    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rows == b.rows && a.cols == b.cols, "add: \(a.rows)×\(a.cols) + \(b.rows)×\(b.cols)")
        let y = node(rows: a.rows, cols: a.cols, inputs: [a, b])
        y.value.withUnsafeMutableBufferPointer { o in
            a.value.withUnsafeBufferPointer { pa in
                b.value.withUnsafeBufferPointer { pb in
                    VectorMath.forEachChunk(o.count) { i, c in
                        VectorMath.store(VectorMath.load(pa.baseAddress! + i, c) + VectorMath.load(pb.baseAddress! + i, c), o.baseAddress! + i, c)
                    }
                }
            }
        }
        if y.requiresGrad {
            y.backward = { [unowned y] in
                if a.requiresGrad { Tape.accumulate(y.grad, into: &a.grad) }
                if b.requiresGrad { Tape.accumulate(y.grad, into: &b.grad) }
            }
        }
        return y
    }

    /// `a ⊙ b` (same shape). Backward: `∂a += ∂y ⊙ b`, `∂b += ∂y ⊙ a`.
    public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rows == b.rows && a.cols == b.cols, "mul: \(a.rows)×\(a.cols) ⊙ \(b.rows)×\(b.cols)")
        let y = node(rows: a.rows, cols: a.cols, inputs: [a, b])
        y.value.withUnsafeMutableBufferPointer { o in
            a.value.withUnsafeBufferPointer { pa in
                b.value.withUnsafeBufferPointer { pb in
                    for i in o.indices { o[i] = pa[i] * pb[i] }
                }
            }
        }
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    if a.requiresGrad {
                        b.value.withUnsafeBufferPointer { pb in
                            a.grad.withUnsafeMutableBufferPointer { ga in
                                for i in ga.indices { ga[i] += g[i] * pb[i] }
                            }
                        }
                    }
                    if b.requiresGrad {
                        a.value.withUnsafeBufferPointer { pa in
                            b.grad.withUnsafeMutableBufferPointer { gb in
                                for i in gb.indices { gb[i] += g[i] * pa[i] }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// `c·x`.
    public func scale(_ x: Tensor, _ c: Float) -> Tensor {
        unary(x, forward: { c * $0 }, derivative: { _, _ in VectorMath.Vector(repeating: c) })
    }

    /// `y = f(x)` elementwise, 8 lanes at a time, with `dy/dx = derivative(x, y)`.
    /// Backward: `∂x += ∂y ⊙ derivative(x, y)`.
    func unary(
        _ x: Tensor, forward: (VectorMath.Vector) -> VectorMath.Vector,
        derivative: @escaping (VectorMath.Vector, VectorMath.Vector) -> VectorMath.Vector
    ) -> Tensor {
        let y = node(rows: x.rows, cols: x.cols, inputs: [x])
        y.value.withUnsafeMutableBufferPointer { o in
            x.value.withUnsafeBufferPointer { px in
                VectorMath.forEachChunk(o.count) { i, c in
                    VectorMath.store(forward(VectorMath.load(px.baseAddress! + i, c)), o.baseAddress! + i, c)
                }
            }
        }
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    y.value.withUnsafeBufferPointer { py in
                        x.value.withUnsafeBufferPointer { px in
                            x.grad.withUnsafeMutableBufferPointer { gx in
                                VectorMath.forEachChunk(gx.count) { i, c in
                                    let d = derivative(VectorMath.load(px.baseAddress! + i, c), VectorMath.load(py.baseAddress! + i, c))
                                    VectorMath.store(
                                        VectorMath.load(gx.baseAddress! + i, c) + VectorMath.load(g.baseAddress! + i, c) * d,
                                        gx.baseAddress! + i, c)
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// `max(x, 0)`; derivative 1 for `x > 0`, else 0.
    public func relu(_ x: Tensor) -> Tensor {
        unary(
            x, forward: { $0.replacing(with: 0, where: .!($0 .> 0)) },
            derivative: { x, _ in VectorMath.Vector(repeating: 0).replacing(with: 1, where: x .> 0) })
    }

    /// GELU, tanh form (GPT-2): `½x(1 + tanh u)`, `u = √(2/π)(x + 0.044715x³)`, computed as
    /// `x·s` with the gate `s = σ(2u)` kept from the forward pass (`1 + tanh u = 2σ(2u)`).
    /// Derivative `s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²)` (`VectorMath.geluDerivative`).
    public func gelu(_ x: Tensor) -> Tensor {
        gated(x, gate: VectorMath.geluGate, derivative: { x, s in VectorMath.geluDerivative(x, gate: s) })
    }

    /// `y = x ⊙ s(x)` elementwise for a gate `s` (GELU, SiLU), keeping `s` for the backward
    /// pass when a gradient is needed. Backward: `∂x += ∂y ⊙ derivative(x, s)`.
    func gated(
        _ x: Tensor, gate: (VectorMath.Vector) -> VectorMath.Vector,
        derivative: @escaping (VectorMath.Vector, VectorMath.Vector) -> VectorMath.Vector
    ) -> Tensor {
        let n = x.count
        let y = node(rows: x.rows, cols: x.cols, inputs: [x])
        let kept = y.requiresGrad ? saved(n) : nil
        x.value.withUnsafeBufferPointer { px in
            y.value.withUnsafeMutableBufferPointer { o in
                func forward(keeping ks: UnsafeMutablePointer<Float>?) {
                    VectorMath.forEachChunk(n) { i, c in
                        let v = VectorMath.load(px.baseAddress! + i, c)
                        let s = gate(v)
                        if let ks { VectorMath.store(s, ks + i, c) }
                        VectorMath.store(v * s, o.baseAddress! + i, c)
                    }
                }
                if let kept { kept.value.withUnsafeMutableBufferPointer { forward(keeping: $0.baseAddress!) } } else { forward(keeping: nil) }
            }
        }
        if let kept {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    kept.value.withUnsafeBufferPointer { ps in
                        x.value.withUnsafeBufferPointer { px in
                            x.grad.withUnsafeMutableBufferPointer { gx in
                                VectorMath.forEachChunk(n) { i, c in
                                    let d = derivative(VectorMath.load(px.baseAddress! + i, c), VectorMath.load(ps.baseAddress! + i, c))
                                    VectorMath.store(
                                        VectorMath.load(gx.baseAddress! + i, c) + VectorMath.load(g.baseAddress! + i, c) * d,
                                        gx.baseAddress! + i, c)
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// `σ(x) = 1/(1 + e⁻ˣ)`; `σ' = σ(1 − σ)`.
    public func sigmoid(_ x: Tensor) -> Tensor {
        unary(x, forward: VectorMath.sigmoid, derivative: { _, y in y * (1 - y) })
    }

    /// SiLU `x·σ(x)`; derivative `σ(x)(1 + x(1 − σ(x)))`, from the `σ(x)` kept by the forward
    /// pass (one exponential per element instead of two).
    public func silu(_ x: Tensor) -> Tensor {
        gated(x, gate: VectorMath.sigmoid, derivative: { x, s in s * (1 + x * (1 - s)) })
    }

    /// `tanh x` (Foundation's, lane by lane); derivative `1 − tanh²x`.
    public func tanh(_ x: Tensor) -> Tensor {
        unary(
            x,
            forward: { v in
                var t = v; for i in 0..<VectorMath.width { t[i] = Foundation.tanh(v[i]) }; return t
            },
            derivative: { _, y in 1 - y * y })
    }

    /// `eˣ` (`VectorMath.exp`, under 1 ulp); derivative `eˣ`.
    public func exp(_ x: Tensor) -> Tensor {
        unary(x, forward: VectorMath.exp, derivative: { _, y in y })
    }

    // MARK: Normalisation

    /// Layer normalisation of each row: `y = γ ⊙ (x − μ)/√(σ² + ε) + β`, with the row mean
    /// `μ` and biased variance `σ²`; `γ`, `β` are `1 × n`.
    /// Backward (x̂ the normalised row, `r = 1/√(σ² + ε)`, `g = ∂y ⊙ γ`):
    /// `∂x = r·(g − mean(g) − x̂·mean(g ⊙ x̂))`, `∂γ += Σ_rows ∂y ⊙ x̂`, `∂β += Σ_rows ∂y`.
    public func layerNorm(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let m = x.rows, n = x.cols
        precondition(gamma.rows == 1 && gamma.cols == n && beta.rows == 1 && beta.cols == n, "layerNorm: γ, β must be 1×\(n)")
        let y = node(rows: m, cols: n, inputs: [x, gamma, beta])
        // x̂ (m·n values) then r (m values), kept for the backward pass.
        let keep = y.requiresGrad ? saved(m * n + m) : nil
        x.value.withUnsafeBufferPointer { px in
            gamma.value.withUnsafeBufferPointer { pg in
                beta.value.withUnsafeBufferPointer { pb in
                    y.value.withUnsafeMutableBufferPointer { o in
                        if let keep {
                            keep.value.withUnsafeMutableBufferPointer { k in
                                LayerNormKernel.forward(
                                    px.baseAddress!, rows: m, cols: n, gamma: pg.baseAddress!, beta: pb.baseAddress!,
                                    epsilon: epsilon, into: o.baseAddress!, saving: k.baseAddress!)
                            }
                        } else {
                            LayerNormKernel.forward(
                                px.baseAddress!, rows: m, cols: n, gamma: pg.baseAddress!, beta: pb.baseAddress!,
                                epsilon: epsilon, into: o.baseAddress!, saving: nil)
                        }
                    }
                }
            }
        }
        if let keep {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    keep.value.withUnsafeBufferPointer { k in
                        let xh = k.baseAddress!, rstd = k.baseAddress! + m * n, gp = g.baseAddress!
                        if gamma.requiresGrad {
                            gamma.grad.withUnsafeMutableBufferPointer { gg in
                                VectorMath.forEachChunk(n) { j, c in
                                    var acc = VectorMath.load(gg.baseAddress! + j, c)
                                    for i in 0..<m { acc += VectorMath.load(gp + i * n + j, c) * VectorMath.load(xh + i * n + j, c) }
                                    VectorMath.store(acc, gg.baseAddress! + j, c)
                                }
                            }
                        }
                        if beta.requiresGrad { Tape.accumulateColumnSums(y.grad, rows: m, cols: n, into: &beta.grad) }
                        if x.requiresGrad {
                            gamma.value.withUnsafeBufferPointer { pg in
                                x.grad.withUnsafeMutableBufferPointer { gx in
                                    LayerNormKernel.backward(
                                        gp, normalised: xh, rstd: rstd, gamma: pg.baseAddress!, rows: m, cols: n,
                                        accumulatingInto: gx.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    // MARK: Lookup

    /// Rows of `table` (`V × d`) at `indices`: `y_i = table[indices_i]`.
    /// Backward: `∂table[indices_i] += ∂y_i` (scatter-add; repeated indices accumulate).
    public func embedding(_ table: Tensor, _ indices: [Int32]) -> Tensor {
        let d = table.cols, v = table.rows
        precondition(!indices.isEmpty && indices.allSatisfy { $0 >= 0 && Int($0) < v }, "embedding: index out of 0..<\(v)")
        let y = node(rows: indices.count, cols: d, inputs: [table])
        table.value.withUnsafeBufferPointer { t in
            y.value.withUnsafeMutableBufferPointer { o in
                for (i, k) in indices.enumerated() {
                    (o.baseAddress! + i * d).update(from: t.baseAddress! + Int(k) * d, count: d)
                }
            }
        }
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    table.grad.withUnsafeMutableBufferPointer { gt in
                        for (i, k) in indices.enumerated() {
                            let row = gt.baseAddress! + Int(k) * d, src = g.baseAddress! + i * d
                            VectorMath.forEachChunk(d) { j, c in
                                VectorMath.store(VectorMath.load(row + j, c) + VectorMath.load(src + j, c), row + j, c)
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    // MARK: Losses (1 × 1 outputs)

    /// Mean softmax cross-entropy of the rows of `logits` (`m × V`) against class `targets`:
    /// `L = (1/m) Σ_i [log Σ_v exp(z_iv) − z_{i,t_i}]` (nats per row).
    /// Backward: `∂z_iv += (softmax(z_i)_v − [v = t_i])·∂L/m`, from the probabilities kept by
    /// the forward pass (one exponential per logit in all).
    public func softmaxCrossEntropy(_ logits: Tensor, targets: [Int32]) -> Tensor {
        let m = logits.rows, v = logits.cols
        precondition(targets.count == m && targets.allSatisfy { $0 >= 0 && Int($0) < v }, "softmaxCrossEntropy: bad targets")
        let loss = node(rows: 1, cols: 1, inputs: [logits])
        let probs = saved(m * v)
        var total = 0.0
        logits.value.withUnsafeBufferPointer { z in
            probs.value.withUnsafeMutableBufferPointer { p in
                for i in 0..<m {
                    let lse = VectorMath.softmax(z.baseAddress! + i * v, count: v, into: p.baseAddress! + i * v)
                    total += Double(lse - z[i * v + Int(targets[i])])
                }
            }
        }
        loss.value[0] = Float(total / Double(m))
        if loss.requiresGrad {
            loss.backward = { [unowned loss] in
                let s = loss.grad[0] / Float(m)
                probs.value.withUnsafeBufferPointer { p in
                    logits.grad.withUnsafeMutableBufferPointer { gz in
                        VectorMath.forEachChunk(m * v) { i, c in
                            VectorMath.store(VectorMath.load(gz.baseAddress! + i, c) + s * VectorMath.load(p.baseAddress! + i, c), gz.baseAddress! + i, c)
                        }
                        for i in 0..<m { gz[i * v + Int(targets[i])] -= s }
                    }
                }
            }
        }
        return loss
    }

    /// Mean squared error over all entries: `L = (1/N) Σ (a − b)²`.
    /// Backward: `∂a += 2(a − b)/N·∂L`, `∂b −= the same`.
    public func mse(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rows == b.rows && a.cols == b.cols, "mse: \(a.rows)×\(a.cols) vs \(b.rows)×\(b.cols)")
        let n = a.count
        var total = 0.0
        a.value.withUnsafeBufferPointer { pa in
            b.value.withUnsafeBufferPointer { pb in
                for i in 0..<n { let d = Double(pa[i] - pb[i]); total += d * d }
            }
        }
        let loss = node(rows: 1, cols: 1, inputs: [a, b])
        loss.value[0] = Float(total / Double(n))
        if loss.requiresGrad {
            loss.backward = { [unowned loss] in
                let s = 2 * loss.grad[0] / Float(n)
                a.value.withUnsafeBufferPointer { pa in
                    b.value.withUnsafeBufferPointer { pb in
                        if a.requiresGrad { a.grad.withUnsafeMutableBufferPointer { ga in for i in 0..<n { ga[i] += s * (pa[i] - pb[i]) } } }
                        if b.requiresGrad { b.grad.withUnsafeMutableBufferPointer { gb in for i in 0..<n { gb[i] -= s * (pa[i] - pb[i]) } } }
                    }
                }
            }
        }
        return loss
    }

    /// KL divergence of the diagonal Gaussian `N(μ, diag e^{ℓ})` from `N(0, I)`, summed over
    /// the columns and averaged over the rows:
    /// `L = (1/m) Σ_i Σ_j ½(μ_ij² + e^{ℓ_ij} − 1 − ℓ_ij)`.
    /// Backward: `∂μ += μ/m·∂L`, `∂ℓ += ½(e^{ℓ} − 1)/m·∂L`.
    public func gaussianKL(mean mu: Tensor, logVariance lv: Tensor) -> Tensor {
        precondition(mu.rows == lv.rows && mu.cols == lv.cols, "gaussianKL: shapes differ")
        let m = mu.rows, n = mu.count
        var total = 0.0
        mu.value.withUnsafeBufferPointer { pm in
            lv.value.withUnsafeBufferPointer { pl in
                for i in 0..<n { total += 0.5 * Double(pm[i] * pm[i] + Foundation.exp(pl[i]) - 1 - pl[i]) }
            }
        }
        let loss = node(rows: 1, cols: 1, inputs: [mu, lv])
        loss.value[0] = Float(total / Double(m))
        if loss.requiresGrad {
            loss.backward = { [unowned loss] in
                let s = loss.grad[0] / Float(m)
                if mu.requiresGrad {
                    mu.value.withUnsafeBufferPointer { pm in
                        mu.grad.withUnsafeMutableBufferPointer { g in
                            for i in 0..<n { g[i] += s * pm[i] }
                        }
                    }
                }
                if lv.requiresGrad {
                    lv.value.withUnsafeBufferPointer { pl in
                        lv.grad.withUnsafeMutableBufferPointer { g in
                            for i in 0..<n { g[i] += s * 0.5 * (Foundation.exp(pl[i]) - 1) }
                        }
                    }
                }
            }
        }
        return loss
    }
}

/// Layer normalisation of rows, shared by the tape and the inference paths.
public enum LayerNormKernel {
    /// Writes `x̂ = (x − μ)·r` of one row of `n` into `out` and returns `r = 1/√(σ² + ε)`
    /// (`μ` the row mean, `σ²` the biased variance, each summed 8 lanes at a time).
    @inlinable
    public static func normalise(_ x: UnsafePointer<Float>, n: Int, epsilon: Float, into out: UnsafeMutablePointer<Float>) -> Float {
        let inv = 1 / Float(n)
        let mean = VectorMath.sum(x, count: n) * inv
        var acc = VectorMath.Vector(repeating: 0)
        VectorMath.forEachChunk(n) { j, c in
            let d = VectorMath.load(x + j, c, padding: mean) - mean  // padded lanes give 0
            acc += d * d
        }
        let r = 1 / (acc.sum() * inv + epsilon).squareRoot()
        VectorMath.forEachChunk(n) { j, c in VectorMath.store((VectorMath.load(x + j, c) - mean) * r, out + j, c) }
        return r
    }

    /// `y = γ ⊙ x̂ + β` for each of `m` rows of `n`. With `saving` (room for `m·n + m`
    /// floats) it also keeps `x̂` (the first `m·n`) and the rows' `r` (the last `m`) for the
    /// backward pass.
    @inlinable
    public static func forward(
        _ x: UnsafePointer<Float>, rows m: Int, cols n: Int, gamma: UnsafePointer<Float>,
        beta: UnsafePointer<Float>, epsilon: Float, into out: UnsafeMutablePointer<Float>,
        saving keep: UnsafeMutablePointer<Float>?
    ) {
        for i in 0..<m {
            let o = out + i * n
            let xh = keep.map { $0 + i * n } ?? o
            let r = normalise(x + i * n, n: n, epsilon: epsilon, into: xh)
            keep?[m * n + i] = r
            VectorMath.forEachChunk(n) { j, c in
                VectorMath.store(VectorMath.load(gamma + j, c) * VectorMath.load(xh + j, c) + VectorMath.load(beta + j, c), o + j, c)
            }
        }
    }

    /// `∂x += r·(g − mean(g) − x̂·mean(g ⊙ x̂))` per row, with `g = ∂y ⊙ γ`.
    @inlinable
    public static func backward(
        _ dy: UnsafePointer<Float>, normalised xh: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, rows m: Int, cols n: Int, accumulatingInto gx: UnsafeMutablePointer<Float>
    ) {
        let inv = 1 / Float(n)
        for i in 0..<m {
            let g = dy + i * n, h = xh + i * n
            var sg = VectorMath.Vector(repeating: 0), sgx = VectorMath.Vector(repeating: 0)
            VectorMath.forEachChunk(n) { j, c in
                let gj = VectorMath.load(g + j, c) * VectorMath.load(gamma + j, c)
                sg += gj
                sgx += gj * VectorMath.load(h + j, c)
            }
            let meanG = sg.sum() * inv, meanGX = sgx.sum() * inv, r = rstd[i]
            VectorMath.forEachChunk(n) { j, c in
                let gj = VectorMath.load(g + j, c) * VectorMath.load(gamma + j, c)
                let o = gx + i * n + j
                VectorMath.store(VectorMath.load(o, c) + r * (gj - meanG - VectorMath.load(h + j, c) * meanGX), o, c)
            }
        }
    }
}
