import LinearAlgebra

/// A dense row-major `rows × cols` Float32 matrix that is a node of a `Tape`.
///
/// Every tensor of the neural models is a matrix: a batch of vectors is one row per vector,
/// a scalar loss is `1 × 1`. `grad` holds `∂L/∂value` after `Tape.backward`; it is allocated
/// only for tensors that need it (parameters and everything computed from them).
public final class Tensor {
    public let rows: Int
    public let cols: Int
    public var value: [Float]
    public var grad: [Float]
    /// Whether gradients flow into this tensor (parameters, and nodes computed from them).
    public let requiresGrad: Bool
    /// Accumulates this node's `grad` into its inputs' grads (nil for leaves).
    var backward: (() -> Void)?

    public var count: Int { rows * cols }

    public init(rows: Int, cols: Int, value: [Float], requiresGrad: Bool = false) {
        precondition(rows >= 1 && cols >= 1 && value.count == rows * cols,
                     "Tensor: \(value.count) values for shape \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.value = value
        self.requiresGrad = requiresGrad
        self.grad = requiresGrad ? [Float](repeating: 0, count: rows * cols) : []
    }

    /// A zero tensor.
    public convenience init(zeros rows: Int, _ cols: Int, requiresGrad: Bool = false) {
        self.init(rows: rows, cols: cols, value: [Float](repeating: 0, count: rows * cols), requiresGrad: requiresGrad)
    }

    /// A trainable parameter (a leaf with a gradient).
    public static func parameter(rows: Int, cols: Int, value: [Float]) -> Tensor {
        Tensor(rows: rows, cols: cols, value: value, requiresGrad: true)
    }

    public func zeroGrad() {
        if requiresGrad { for i in grad.indices { grad[i] = 0 } }
    }

    /// The value of a `1 × 1` tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a \(rows)×\(cols) tensor")
        return value[0]
    }
}

/// Records the operations of one forward pass so that `backward` can run them in reverse
/// (reverse-mode automatic differentiation on a Wengert list).
///
/// A tape with `recording == false` computes values only (inference): no node keeps a
/// gradient or a backward closure.
public final class Tape {
    public let recording: Bool
    var nodes: [Tensor] = []

    public init(recording: Bool = true) { self.recording = recording }

    /// A constant input (no gradient).
    public func constant(_ value: [Float], rows: Int, cols: Int) -> Tensor {
        Tensor(rows: rows, cols: cols, value: value)
    }

    /// A new node computed from `inputs`; it needs a gradient when recording and any input does.
    func node(rows: Int, cols: Int, value: [Float], inputs: [Tensor]) -> Tensor {
        let needs = recording && inputs.contains { $0.requiresGrad }
        let t = Tensor(rows: rows, cols: cols, value: value, requiresGrad: needs)
        if needs { nodes.append(t) }
        return t
    }

    /// Reverse pass from a scalar `loss` (seed `∂L/∂loss = 1`).
    public func backward(_ loss: Tensor) {
        precondition(loss.count == 1, "backward: the loss must be 1×1, got \(loss.rows)×\(loss.cols)")
        backward(loss, seed: [1])
    }

    /// Reverse pass from `output` with `∂L/∂output = seed` (a vector–Jacobian product).
    public func backward(_ output: Tensor, seed: [Float]) {
        precondition(recording, "backward on a tape that does not record")
        precondition(seed.count == output.count, "backward: seed has \(seed.count) values, output \(output.count)")
        guard output.requiresGrad else { return }
        for i in seed.indices { output.grad[i] += seed[i] }
        for node in nodes.reversed() { node.backward?() }
        nodes.removeAll()
    }
}
