import Foundation
import Randomness

/// A named list of trainable tensors; `decay` says whether AdamW's weight decay applies
/// (weight matrices yes; biases, gains and embeddings' norms no).
public struct ParameterList {
    public private(set) var tensors: [Tensor] = []
    public private(set) var decay: [Bool] = []

    public init() {}

    /// A parameter drawn `N(0, std²)` (Float32 from the Double ziggurat).
    @discardableResult
    public mutating func normal<G: RandomNumberGenerator>(
        rows: Int, cols: Int, std: Double, decay: Bool = true,
        using rng: inout G
    ) -> Tensor {
        let v = Normal.array(count: rows * cols, scale: std, using: &rng).map(Float.init)
        return add(Tensor.parameter(rows: rows, cols: cols, value: v), decay: decay)
    }

    /// A parameter filled with `value`.
    @discardableResult
    public mutating func constant(rows: Int, cols: Int, value: Float, decay: Bool = false) -> Tensor {
        add(Tensor.parameter(rows: rows, cols: cols, value: [Float](repeating: value, count: rows * cols)), decay: decay)
    }

    @discardableResult
    public mutating func add(_ t: Tensor, decay: Bool) -> Tensor {
        precondition(t.requiresGrad, "ParameterList: a parameter must require a gradient")
        tensors.append(t)
        self.decay.append(decay)
        return t
    }

    public var scalarCount: Int { tensors.reduce(0) { $0 + $1.count } }

    public func zeroGrad() { for t in tensors { t.zeroGrad() } }

    /// `‖∇‖₂` over every parameter: squares summed 8 lanes at a time in Float over blocks of
    /// 256 entries, the blocks' sums added in Double.
    public func gradientNorm() -> Double {
        var s = 0.0
        for t in tensors {
            t.grad.withUnsafeBufferPointer { g in
                var start = 0
                while start < g.count {
                    let end = min(g.count, start + 256)
                    var acc = VectorMath.Vector(repeating: 0)
                    VectorMath.forEachChunk(end - start) { i, c in
                        let v = VectorMath.load(g.baseAddress! + start + i, c)
                        acc += v * v
                    }
                    s += Double(acc.sum())
                    start = end
                }
            }
        }
        return s.squareRoot()
    }
}

/// AdamW (Loshchilov & Hutter 2019): with gradient `g` (after optional global-norm clipping),
///
///     m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
///     θ ← θ − lr·( m̂/(√v̂ + ε) + λθ ),   m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ),
///
/// where the decoupled decay `λθ` applies only to parameters marked `decay`.
public struct AdamW {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float
    /// Rescale the gradient to this global norm when it is larger (nil: no clipping).
    public var clipNorm: Float?
    public private(set) var step = 0
    private var m: [[Float]]
    private var v: [[Float]]

    public init(parameters: ParameterList, learningRate: Float, weightDecay: Float = 0, clipNorm: Float? = nil) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.clipNorm = clipNorm
        m = parameters.tensors.map { [Float](repeating: 0, count: $0.count) }
        v = m
    }

    /// One update from the parameters' current gradients, at learning rate `lr` (default:
    /// `learningRate`); the gradients are then zeroed.
    public mutating func update(_ parameters: ParameterList, learningRate lr: Float? = nil) {
        precondition(parameters.tensors.count == m.count, "AdamW: parameter list changed")
        step += 1
        let lr = lr ?? learningRate
        var clip: Float = 1
        if let c = clipNorm {
            let norm = Float(parameters.gradientNorm())
            if norm > c { clip = c / norm }
        }
        let b1 = beta1, b2 = beta2, eps = epsilon
        let r1 = 1 / (1 - Float(Foundation.pow(Double(b1), Double(step))))  // 1/(1 − β₁ᵗ)
        let r2 = 1 / (1 - Float(Foundation.pow(Double(b2), Double(step))))  // 1/(1 − β₂ᵗ)
        for (k, t) in parameters.tensors.enumerated() {
            let wd = parameters.decay[k] ? weightDecay : 0
            t.value.withUnsafeMutableBufferPointer { w in
                t.grad.withUnsafeMutableBufferPointer { g in
                    m[k].withUnsafeMutableBufferPointer { mk in
                        v[k].withUnsafeMutableBufferPointer { vk in
                            let pw = w.baseAddress!, pg = g.baseAddress!, pm = mk.baseAddress!, pv = vk.baseAddress!
                            // One chunk of 8 lanes (fewer at the end); a plain loop, so the full chunks
                            // need no closure call.
                            @inline(__always) func step(_ i: Int, _ c: Int) {
                                let gi = VectorMath.load(pg + i, c) * clip
                                let mi = b1 * VectorMath.load(pm + i, c) + (1 - b1) * gi
                                let vi = b2 * VectorMath.load(pv + i, c) + (1 - b2) * gi * gi
                                let wi = VectorMath.load(pw + i, c)
                                VectorMath.store(mi, pm + i, c)
                                VectorMath.store(vi, pv + i, c)
                                VectorMath.store(wi - lr * ((mi * r1) / ((vi * r2).squareRoot() + eps) + wd * wi), pw + i, c)
                            }
                            var i = 0
                            while i + VectorMath.width <= w.count { step(i, VectorMath.width); i += VectorMath.width }
                            if i < w.count { step(i, w.count - i) }
                            g.update(repeating: 0)
                        }
                    }
                }
            }
        }
    }
}
