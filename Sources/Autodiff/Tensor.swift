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

    public convenience init(rows: Int, cols: Int, value: [Float], requiresGrad: Bool = false) {
        self.init(
            rows: rows, cols: cols, value: value,
            grad: requiresGrad ? [Float](repeating: 0, count: rows * cols) : [], requiresGrad: requiresGrad)
    }

    init(rows: Int, cols: Int, value: [Float], grad: [Float], requiresGrad: Bool) {
        precondition(
            rows >= 1 && cols >= 1 && value.count == rows * cols && grad.count == (requiresGrad ? rows * cols : 0),
            "Tensor: \(value.count) values for shape \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.value = value
        self.grad = grad
        self.requiresGrad = requiresGrad
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
        if requiresGrad { grad.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
    }

    /// The value of a `1 × 1` tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a \(rows)×\(cols) tensor")
        return value[0]
    }
}

/// Float buffers kept from one training step for the next, so that a fit allocates its
/// activations, gradients and saved intermediates once (in its first step) and reuses them.
///
/// Buffers are kept by length; `take` hands back one of that length with unspecified contents
/// (the op that takes it overwrites every entry). One workspace serves one fit on one thread.
public final class Workspace {
    private var free: [Int: [[Float]]] = [:]

    public init() {}

    /// A buffer of `count` floats with unspecified contents.
    func take(_ count: Int) -> [Float] {
        if let buffer = free[count]?.popLast() { return buffer }
        return Workspace.uninitialised(count)
    }

    func give(_ buffer: [Float]) {
        if !buffer.isEmpty { free[buffer.count, default: []].append(buffer) }
    }

    /// A fresh array of `count` floats that is not zero-filled (its op overwrites it).
    static func uninitialised(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, n in n = count }
    }
}

/// Records the operations of one forward pass so that `backward` can run them in reverse
/// (reverse-mode automatic differentiation on a Wengert list).
///
/// A tape with `recording == false` computes values only (inference): no node keeps a
/// gradient or a backward closure. A tape with a `Workspace` takes its nodes' buffers from it,
/// and `release()` returns them when the step is over.
public final class Tape {
    public let recording: Bool
    let workspace: Workspace?
    var nodes: [Tensor] = []
    /// Every tensor whose buffers came from `workspace` (nodes and saved intermediates).
    var owned: [Tensor] = []

    public init(recording: Bool = true, workspace: Workspace? = nil) {
        self.recording = recording
        self.workspace = workspace
    }

    /// A constant input (no gradient).
    public func constant(_ value: [Float], rows: Int, cols: Int) -> Tensor {
        Tensor(rows: rows, cols: cols, value: value)
    }

    /// A buffer of `count` floats with unspecified contents, for a value the op overwrites.
    func buffer(_ count: Int) -> [Float] {
        workspace?.take(count) ?? Workspace.uninitialised(count)
    }

    /// A tensor holding an op's intermediate for its backward pass (contents unspecified);
    /// its buffer returns to the workspace with the step's nodes.
    func saved(_ count: Int) -> Tensor {
        let t = Tensor(rows: 1, cols: count, value: buffer(count))
        if workspace != nil { owned.append(t) }
        return t
    }

    /// A new node computed from `inputs`, its value buffer uninitialised (the op fills it); it
    /// needs a (zeroed) gradient when recording and any input does.
    func node(rows: Int, cols: Int, inputs: [Tensor]) -> Tensor {
        let needs = recording && inputs.contains { $0.requiresGrad }
        let n = rows * cols
        var grad: [Float] = []
        if needs {
            grad = buffer(n)
            grad.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        let t = Tensor(rows: rows, cols: cols, value: buffer(n), grad: grad, requiresGrad: needs)
        if needs { nodes.append(t) }
        if workspace != nil { owned.append(t) }
        return t
    }

    /// Returns the buffers of every node and saved intermediate to the workspace; those
    /// tensors are empty afterwards (reading them traps). Call when the step is over.
    public func release() {
        guard let workspace else { return }
        for t in owned {
            workspace.give(t.value)
            workspace.give(t.grad)
            t.value = []
            t.grad = []
        }
        owned.removeAll(keepingCapacity: true)
        nodes.removeAll()
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
        for node in nodes { node.backward = nil }
        nodes.removeAll()
    }
}
