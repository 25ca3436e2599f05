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
        var out = [Float](repeating: 0, count: m * n)
        a.value.withUnsafeBufferPointer { pa in b.value.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { pc in
            BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                  b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
        } } }
        let c = node(rows: m, cols: n, value: out, inputs: [a, b])
        if c.requiresGrad {
            c.backward = { [unowned c] in
                c.grad.withUnsafeBufferPointer { g in
                    if a.requiresGrad {
                        b.value.withUnsafeBufferPointer { pb in a.grad.withUnsafeMutableBufferPointer { ga in
                            BLAS.sgemm(transA: false, transB: true, m: m, n: k, k: n, a: g.baseAddress!, lda: n,
                                  b: pb.baseAddress!, ldb: n, beta: 1, c: ga.baseAddress!, ldc: k)
                        } }
                    }
                    if b.requiresGrad {
                        a.value.withUnsafeBufferPointer { pa in b.grad.withUnsafeMutableBufferPointer { gb in
                            BLAS.sgemm(transA: true, transB: false, m: k, n: n, k: m, a: pa.baseAddress!, lda: k,
                                  b: g.baseAddress!, ldb: n, beta: 1, c: gb.baseAddress!, ldc: n)
                        } }
                    }
                }
            }
        }
        return c
    }

    /// `y_ij = x_ij + b_j` for a `1 × n` bias. Backward: `∂b_j += Σ_i ∂y_ij`.
    public func addBias(_ x: Tensor, _ b: Tensor) -> Tensor {
        precondition(b.rows == 1 && b.cols == x.cols, "addBias: bias \(b.rows)×\(b.cols) for \(x.rows)×\(x.cols)")
        let m = x.rows, n = x.cols
        var out = x.value
        out.withUnsafeMutableBufferPointer { o in b.value.withUnsafeBufferPointer { pb in
            for i in 0..<m { for j in 0..<n { o[i * n + j] += pb[j] } }
        } }
        let y = node(rows: m, cols: n, value: out, inputs: [x, b])
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    if x.requiresGrad { x.grad.withUnsafeMutableBufferPointer { gx in for i in 0..<(m * n) { gx[i] += g[i] } } }
                    if b.requiresGrad {
                        b.grad.withUnsafeMutableBufferPointer { gb in
                            for i in 0..<m { for j in 0..<n { gb[j] += g[i * n + j] } }
                        }
                    }
                }
            }
        }
        return y
    }

    /// `x·W + b`.
    public func linear(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Tensor { addBias(matmul(x, w), b) }

    // MARK: Elementwise

    /// `a + b` (same shape).
    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rows == b.rows && a.cols == b.cols, "add: \(a.rows)×\(a.cols) + \(b.rows)×\(b.cols)")
        var out = a.value
        out.withUnsafeMutableBufferPointer { o in b.value.withUnsafeBufferPointer { pb in for i in o.indices { o[i] += pb[i] } } }
        let y = node(rows: a.rows, cols: a.cols, value: out, inputs: [a, b])
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    if a.requiresGrad { a.grad.withUnsafeMutableBufferPointer { ga in for i in ga.indices { ga[i] += g[i] } } }
                    if b.requiresGrad { b.grad.withUnsafeMutableBufferPointer { gb in for i in gb.indices { gb[i] += g[i] } } }
                }
            }
        }
        return y
    }

    /// `a ⊙ b` (same shape). Backward: `∂a += ∂y ⊙ b`, `∂b += ∂y ⊙ a`.
    public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rows == b.rows && a.cols == b.cols, "mul: \(a.rows)×\(a.cols) ⊙ \(b.rows)×\(b.cols)")
        var out = a.value
        out.withUnsafeMutableBufferPointer { o in b.value.withUnsafeBufferPointer { pb in for i in o.indices { o[i] *= pb[i] } } }
        let y = node(rows: a.rows, cols: a.cols, value: out, inputs: [a, b])
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in
                    if a.requiresGrad { b.value.withUnsafeBufferPointer { pb in a.grad.withUnsafeMutableBufferPointer { ga in
                        for i in ga.indices { ga[i] += g[i] * pb[i] } } } }
                    if b.requiresGrad { a.value.withUnsafeBufferPointer { pa in b.grad.withUnsafeMutableBufferPointer { gb in
                        for i in gb.indices { gb[i] += g[i] * pa[i] } } } }
                }
            }
        }
        return y
    }

    /// `c·x`.
    public func scale(_ x: Tensor, _ c: Float) -> Tensor {
        unary(x, forward: { c * $0 }, derivative: { _, _ in c })
    }

    /// `y = f(x)` elementwise with `dy/dx = derivative(x, y)`.
    func unary(_ x: Tensor, forward: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Tensor {
        var out = x.value
        out.withUnsafeMutableBufferPointer { o in for i in o.indices { o[i] = forward(o[i]) } }
        let y = node(rows: x.rows, cols: x.cols, value: out, inputs: [x])
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in y.value.withUnsafeBufferPointer { py in
                    x.value.withUnsafeBufferPointer { px in x.grad.withUnsafeMutableBufferPointer { gx in
                        for i in gx.indices { gx[i] += g[i] * derivative(px[i], py[i]) }
                    } }
                } }
            }
        }
        return y
    }

    /// `max(x, 0)`; derivative 1 for `x > 0`, else 0.
    public func relu(_ x: Tensor) -> Tensor {
        unary(x, forward: { max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 })
    }

    /// GELU, tanh form (GPT-2): `½x(1 + tanh u)`, `u = √(2/π)(x + 0.044715x³)`.
    /// Derivative `½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)` with `t = tanh u` kept from
    /// the forward pass (one `tanh` per element instead of two; the same values as
    /// `Activation.gelu` and `Activation.geluDerivative`).
    public func gelu(_ x: Tensor) -> Tensor {
        let n = x.count
        var t = [Float](repeating: 0, count: n)
        var out = [Float](repeating: 0, count: n)
        x.value.withUnsafeBufferPointer { px in t.withUnsafeMutableBufferPointer { pt in out.withUnsafeMutableBufferPointer { o in
            for i in 0..<n {
                let v = px[i]
                let ti = Activation.geluTanh(v)
                pt[i] = ti
                o[i] = 0.5 * v * (1 + ti)
            }
        } } }
        let y = node(rows: x.rows, cols: x.cols, value: out, inputs: [x])
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in t.withUnsafeBufferPointer { pt in
                    x.value.withUnsafeBufferPointer { px in x.grad.withUnsafeMutableBufferPointer { gx in
                        for i in 0..<n { gx[i] += g[i] * Activation.geluDerivative(px[i], tanh: pt[i]) }
                    } }
                } }
            }
        }
        return y
    }

    /// `σ(x) = 1/(1 + e⁻ˣ)`; `σ' = σ(1 − σ)`.
    public func sigmoid(_ x: Tensor) -> Tensor {
        unary(x, forward: Activation.sigmoid, derivative: { _, y in y * (1 - y) })
    }

    /// SiLU `x·σ(x)`; derivative `σ(x)(1 + x(1 − σ(x)))`.
    public func silu(_ x: Tensor) -> Tensor {
        unary(x, forward: { $0 * Activation.sigmoid($0) },
              derivative: { x, _ in let s = Activation.sigmoid(x); return s * (1 + x * (1 - s)) })
    }

    /// `tanh x`; derivative `1 − tanh²x`.
    public func tanh(_ x: Tensor) -> Tensor {
        unary(x, forward: { Foundation.tanh($0) }, derivative: { _, y in 1 - y * y })
    }

    /// `eˣ`; derivative `eˣ`.
    public func exp(_ x: Tensor) -> Tensor {
        unary(x, forward: { Foundation.exp($0) }, derivative: { _, y in y })
    }

    // MARK: Normalisation

    /// Layer normalisation of each row: `y = γ ⊙ (x − μ)/√(σ² + ε) + β`, with the row mean
    /// `μ` and biased variance `σ²`; `γ`, `β` are `1 × n`.
    /// Backward (x̂ the normalised row, `r = 1/√(σ² + ε)`, `g = ∂y ⊙ γ`):
    /// `∂x = r·(g − mean(g) − x̂·mean(g ⊙ x̂))`, `∂γ += Σ_rows ∂y ⊙ x̂`, `∂β += Σ_rows ∂y`.
    public func layerNorm(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let m = x.rows, n = x.cols
        precondition(gamma.rows == 1 && gamma.cols == n && beta.rows == 1 && beta.cols == n, "layerNorm: γ, β must be 1×\(n)")
        var normalised = [Float](repeating: 0, count: m * n)
        var rstd = [Float](repeating: 0, count: m)
        var out = [Float](repeating: 0, count: m * n)
        x.value.withUnsafeBufferPointer { px in gamma.value.withUnsafeBufferPointer { pg in beta.value.withUnsafeBufferPointer { pb in
            normalised.withUnsafeMutableBufferPointer { xh in out.withUnsafeMutableBufferPointer { o in
                for i in 0..<m {
                    let r = LayerNormKernel.normalise(px.baseAddress! + i * n, n: n, epsilon: epsilon, into: xh.baseAddress! + i * n)
                    rstd[i] = r
                    for j in 0..<n { o[i * n + j] = pg[j] * xh[i * n + j] + pb[j] }
                }
            } }
        } } }
        let y = node(rows: m, cols: n, value: out, inputs: [x, gamma, beta])
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in normalised.withUnsafeBufferPointer { xh in
                    if gamma.requiresGrad { gamma.grad.withUnsafeMutableBufferPointer { gg in
                        for i in 0..<m { for j in 0..<n { gg[j] += g[i * n + j] * xh[i * n + j] } } } }
                    if beta.requiresGrad { beta.grad.withUnsafeMutableBufferPointer { gb in
                        for i in 0..<m { for j in 0..<n { gb[j] += g[i * n + j] } } } }
                    if x.requiresGrad {
                        gamma.value.withUnsafeBufferPointer { pg in x.grad.withUnsafeMutableBufferPointer { gx in
                            let inv = 1 / Float(n)
                            for i in 0..<m {
                                var meanG: Float = 0, meanGX: Float = 0
                                for j in 0..<n {
                                    let gj = g[i * n + j] * pg[j]
                                    meanG += gj
                                    meanGX += gj * xh[i * n + j]
                                }
                                meanG *= inv; meanGX *= inv
                                let r = rstd[i]
                                for j in 0..<n {
                                    let gj = g[i * n + j] * pg[j]
                                    gx[i * n + j] += r * (gj - meanG - xh[i * n + j] * meanGX)
                                }
                            }
                        } }
                    }
                } }
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
        var out = [Float](repeating: 0, count: indices.count * d)
        table.value.withUnsafeBufferPointer { t in out.withUnsafeMutableBufferPointer { o in
            for (i, k) in indices.enumerated() {
                (o.baseAddress! + i * d).update(from: t.baseAddress! + Int(k) * d, count: d)
            }
        } }
        let y = node(rows: indices.count, cols: d, value: out, inputs: [table])
        if y.requiresGrad {
            y.backward = { [unowned y] in
                y.grad.withUnsafeBufferPointer { g in table.grad.withUnsafeMutableBufferPointer { gt in
                    for (i, k) in indices.enumerated() {
                        let row = Int(k) * d
                        for j in 0..<d { gt[row + j] += g[i * d + j] }
                    }
                } }
            }
        }
        return y
    }

    // MARK: Losses (1 × 1 outputs)

    /// Mean softmax cross-entropy of the rows of `logits` (`m × V`) against class `targets`:
    /// `L = (1/m) Σ_i [log Σ_v exp(z_iv) − z_{i,t_i}]` (nats per row).
    /// Backward: `∂z_iv += (softmax(z_i)_v − [v = t_i])·∂L/m`.
    public func softmaxCrossEntropy(_ logits: Tensor, targets: [Int32]) -> Tensor {
        let m = logits.rows, v = logits.cols
        precondition(targets.count == m && targets.allSatisfy { $0 >= 0 && Int($0) < v }, "softmaxCrossEntropy: bad targets")
        var probs = [Float](repeating: 0, count: m * v)
        var total = 0.0
        logits.value.withUnsafeBufferPointer { z in probs.withUnsafeMutableBufferPointer { p in
            for i in 0..<m {
                let lse = Softmax.row(z.baseAddress! + i * v, count: v, into: p.baseAddress! + i * v)
                total += Double(lse - z[i * v + Int(targets[i])])
            }
        } }
        let loss = node(rows: 1, cols: 1, value: [Float(total / Double(m))], inputs: [logits])
        if loss.requiresGrad {
            loss.backward = { [unowned loss] in
                let s = loss.grad[0] / Float(m)
                probs.withUnsafeBufferPointer { p in logits.grad.withUnsafeMutableBufferPointer { gz in
                    for i in 0..<(m * v) { gz[i] += s * p[i] }
                    for i in 0..<m { gz[i * v + Int(targets[i])] -= s }
                } }
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
        a.value.withUnsafeBufferPointer { pa in b.value.withUnsafeBufferPointer { pb in
            for i in 0..<n { let d = Double(pa[i] - pb[i]); total += d * d }
        } }
        let loss = node(rows: 1, cols: 1, value: [Float(total / Double(n))], inputs: [a, b])
        if loss.requiresGrad {
            loss.backward = { [unowned loss] in
                let s = 2 * loss.grad[0] / Float(n)
                a.value.withUnsafeBufferPointer { pa in b.value.withUnsafeBufferPointer { pb in
                    if a.requiresGrad { a.grad.withUnsafeMutableBufferPointer { ga in for i in 0..<n { ga[i] += s * (pa[i] - pb[i]) } } }
                    if b.requiresGrad { b.grad.withUnsafeMutableBufferPointer { gb in for i in 0..<n { gb[i] -= s * (pa[i] - pb[i]) } } }
                } }
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
        mu.value.withUnsafeBufferPointer { pm in lv.value.withUnsafeBufferPointer { pl in
            for i in 0..<n { total += 0.5 * Double(pm[i] * pm[i] + Foundation.exp(pl[i]) - 1 - pl[i]) }
        } }
        let loss = node(rows: 1, cols: 1, value: [Float(total / Double(m))], inputs: [mu, lv])
        if loss.requiresGrad {
            loss.backward = { [unowned loss] in
                let s = loss.grad[0] / Float(m)
                if mu.requiresGrad { mu.value.withUnsafeBufferPointer { pm in mu.grad.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n { g[i] += s * pm[i] } } } }
                if lv.requiresGrad { lv.value.withUnsafeBufferPointer { pl in lv.grad.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n { g[i] += s * 0.5 * (Foundation.exp(pl[i]) - 1) } } } }
            }
        }
        return loss
    }
}

/// Scalar activation functions shared by the tape and the inference paths.
public enum Activation {
    static let geluC: Float = 0.7978845608028654    // √(2/π)

    /// `tanh(√(2/π)(x + 0.044715x³))`, the gate of the GELU.
    @inline(__always) public static func geluTanh(_ x: Float) -> Float {
        Foundation.tanh(geluC * (x + 0.044715 * x * x * x))
    }

    @inline(__always) public static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + geluTanh(x))
    }

    @inline(__always) public static func geluDerivative(_ x: Float) -> Float {
        geluDerivative(x, tanh: geluTanh(x))
    }

    /// The GELU derivative given its gate `t = geluTanh(x)`.
    @inline(__always) public static func geluDerivative(_ x: Float, tanh t: Float) -> Float {
        0.5 * (1 + t) + 0.5 * x * (1 - t * t) * geluC * (1 + 3 * 0.044715 * x * x)
    }

    @inline(__always) public static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : { let e = Foundation.exp(x); return e / (1 + e) }()
    }
}

/// Numerically stable softmax of one row.
public enum Softmax {
    /// Writes `softmax(z)` into `p` and returns `log Σ exp(z)`.
    @inline(__always)
    public static func row(_ z: UnsafePointer<Float>, count: Int, into p: UnsafeMutablePointer<Float>) -> Float {
        var mx = -Float.infinity
        for j in 0..<count { mx = max(mx, z[j]) }
        var s: Float = 0
        for j in 0..<count { let e = Foundation.exp(z[j] - mx); p[j] = e; s += e }
        let inv = 1 / s
        for j in 0..<count { p[j] *= inv }
        return mx + Foundation.log(s)
    }
}

/// The normalisation step of layer norm, shared with inference.
public enum LayerNormKernel {
    /// Writes `(x − μ)·r` into `out` and returns `r = 1/√(σ² + ε)` (biased variance).
    @inline(__always)
    public static func normalise(_ x: UnsafePointer<Float>, n: Int, epsilon: Float, into out: UnsafeMutablePointer<Float>) -> Float {
        var mean: Float = 0
        for j in 0..<n { mean += x[j] }
        mean /= Float(n)
        var v: Float = 0
        for j in 0..<n { let d = x[j] - mean; v += d * d }
        v /= Float(n)
        let r = 1 / (v + epsilon).squareRoot()
        for j in 0..<n { out[j] = (x[j] - mean) * r }
        return r
    }
}
