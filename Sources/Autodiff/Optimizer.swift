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
    public mutating func normal<G: RandomNumberGenerator>(rows: Int, cols: Int, std: Double, decay: Bool = true,
                                                          using rng: inout G) -> Tensor {
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

    /// `‖∇‖₂` over every parameter.
    public func gradientNorm() -> Double {
        var s = 0.0
        for t in tensors { for g in t.grad { s += Double(g) * Double(g) } }
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
        let c1 = 1 - Float(Foundation.pow(Double(b1), Double(step)))
        let c2 = 1 - Float(Foundation.pow(Double(b2), Double(step)))
        for (k, t) in parameters.tensors.enumerated() {
            let wd = parameters.decay[k] ? weightDecay : 0
            t.value.withUnsafeMutableBufferPointer { w in t.grad.withUnsafeMutableBufferPointer { g in
                m[k].withUnsafeMutableBufferPointer { mk in v[k].withUnsafeMutableBufferPointer { vk in
                    for i in 0..<w.count {
                        let gi = g[i] * clip
                        mk[i] = b1 * mk[i] + (1 - b1) * gi
                        vk[i] = b2 * vk[i] + (1 - b2) * gi * gi
                        let mh = mk[i] / c1, vh = vk[i] / c2
                        w[i] -= lr * (mh / (vh.squareRoot() + eps) + wd * w[i])
                        g[i] = 0
                    }
                } }
            } }
        }
    }
}
