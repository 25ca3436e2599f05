import Autodiff
import CollapseCore
import Foundation
import LinearAlgebra
import Randomness

/// Sizes and training budget of the byte-level transformer language model.
public struct TransformerConfig: Sendable, Equatable {
    /// Context length T (tokens per training sequence; sampled stories are cut at T − 1 bytes).
    public var context: Int
    /// Model width D.
    public var width: Int
    public var heads: Int
    public var layers: Int
    /// Sequences per training step.
    public var batch: Int
    /// Training length of each fit (an example is a byte; a step sees `batch · context` bytes).
    public var budget: TrainingBudget
    public var learningRate: Float
    public var weightDecay: Float = 0.01
    /// Sampling temperature τ: next-byte probabilities ∝ exp(z/τ).
    public var temperature: Double = 1
    /// Byte tokens.
    public let vocabulary = 256

    public init(
        context: Int, width: Int, heads: Int, layers: Int, batch: Int, budget: TrainingBudget, learningRate: Float,
        weightDecay: Float = 0.01, temperature: Double = 1
    ) {
        precondition(context >= 2 && width % heads == 0 && layers >= 1 && batch >= 1 && budget.isPositive, "TransformerConfig: bad sizes")
        self.context = context; self.width = width; self.heads = heads; self.layers = layers
        self.batch = batch; self.budget = budget; self.learningRate = learningRate
        self.weightDecay = weightDecay; self.temperature = temperature
    }

    public var parameterCount: Int {
        let d = width, v = vocabulary
        let block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d)
        return v * d + context * d + layers * block + 2 * d + d * v + v
    }

    /// Matrix-multiply FLOPs of one training step (forward + backward = 3 × forward; a
    /// multiply–add counts 2). Forward, with N = B·T tokens: per layer `24·N·D²` (QKV 6, output
    /// projection 2, MLP 16) plus attention `4·B·T²·D` (QKᵀ and PV, full T×T products as
    /// computed), and the output head `2·N·D·V`. Elementwise work is not counted.
    public var trainingFLOPsPerStep: Double {
        let n = Double(batch * context), d = Double(width), t = Double(context), b = Double(batch)
        let forward = Double(layers) * (24 * n * d * d + 4 * b * t * t * d) + 2 * n * d * Double(vocabulary)
        return 3 * forward
    }
}

/// The parameters of a decoder-only transformer (GPT-2 layout, pre-norm, learned positions).
public final class TransformerWeights {
    public var parameters = ParameterList()
    let tokens: Tensor, positions: Tensor
    struct Block {
        var ln1g, ln1b, wqkv, bqkv, wo, bo, ln2g, ln2b, w1, b1, w2, b2: Tensor
    }
    let blocks: [Block]
    let lnfg: Tensor, lnfb: Tensor, head: Tensor, headb: Tensor
    let config: TransformerConfig

    /// GPT-2 initialisation: weights N(0, 0.02²), residual output projections scaled by
    /// 1/√(2L), biases 0, layer-norm gains 1.
    public init<G: RandomNumberGenerator>(config c: TransformerConfig, using rng: inout G) {
        config = c
        let d = c.width, std = 0.02, resid = 0.02 / Double(2 * c.layers).squareRoot()
        tokens = parameters.normal(rows: c.vocabulary, cols: d, std: std, decay: false, using: &rng)
        positions = parameters.normal(rows: c.context, cols: d, std: 0.01, decay: false, using: &rng)
        var blocks: [Block] = []
        for _ in 0..<c.layers {
            blocks.append(
                Block(
                    ln1g: parameters.constant(rows: 1, cols: d, value: 1), ln1b: parameters.constant(rows: 1, cols: d, value: 0),
                    wqkv: parameters.normal(rows: d, cols: 3 * d, std: std, using: &rng), bqkv: parameters.constant(rows: 1, cols: 3 * d, value: 0),
                    wo: parameters.normal(rows: d, cols: d, std: resid, using: &rng), bo: parameters.constant(rows: 1, cols: d, value: 0),
                    ln2g: parameters.constant(rows: 1, cols: d, value: 1), ln2b: parameters.constant(rows: 1, cols: d, value: 0),
                    w1: parameters.normal(rows: d, cols: 4 * d, std: std, using: &rng), b1: parameters.constant(rows: 1, cols: 4 * d, value: 0),
                    w2: parameters.normal(rows: 4 * d, cols: d, std: resid, using: &rng), b2: parameters.constant(rows: 1, cols: d, value: 0)))
        }
        self.blocks = blocks
        lnfg = parameters.constant(rows: 1, cols: d, value: 1)
        lnfb = parameters.constant(rows: 1, cols: d, value: 0)
        head = parameters.normal(rows: d, cols: c.vocabulary, std: std, using: &rng)
        headb = parameters.constant(rows: 1, cols: c.vocabulary, value: 0)
    }

    /// Next-byte logits (`(B·T) × 256`) of `b` sequences of `length` tokens, stacked.
    public func logits(_ t: Tape, tokens ids: [Int32], sequences b: Int, length: Int) -> Tensor {
        precondition(ids.count == b * length && length <= config.context, "logits: bad token count")
        let pos = (0..<b).flatMap { _ in (0..<Int32(length)) }
        var x = t.add(t.embedding(tokens, ids), t.embedding(positions, pos))
        for blk in blocks {
            let qkv = t.linear(t.layerNorm(x, blk.ln1g, blk.ln1b), blk.wqkv, blk.bqkv)
            let att = t.causalSelfAttention(qkv, sequences: b, length: length, heads: config.heads)
            x = t.add(x, t.linear(att, blk.wo, blk.bo))
            let h = t.gelu(t.linear(t.layerNorm(x, blk.ln2g, blk.ln2b), blk.w1, blk.b1))
            x = t.add(x, t.linear(h, blk.w2, blk.b2))
        }
        return t.linear(t.layerNorm(x, lnfg, lnfb), head, headb)
    }

    /// Mean cross-entropy (nats per token) of predicting `stream[s+1 … s+T]` from
    /// `stream[s … s+T−1]` for every window start `s` in `starts`.
    func loss(_ t: Tape, stream: [UInt8], starts: [Int], length: Int) -> Tensor {
        var ids: [Int32] = [], targets: [Int32] = []
        ids.reserveCapacity(starts.count * length); targets.reserveCapacity(starts.count * length)
        for s in starts {
            for i in 0..<length { ids.append(Int32(stream[s + i])); targets.append(Int32(stream[s + i + 1])) }
        }
        return t.softmaxCrossEntropy(logits(t, tokens: ids, sequences: starts.count, length: length), targets: targets)
    }
}

/// Incremental decoding with a key/value cache: position `p` costs one row per sequence
/// through every layer plus attention over the `p + 1` cached positions. Computes the same
/// function as `TransformerWeights.logits` (tested), in a different summation order.
struct CachedDecoder {
    let w: TransformerWeights
    let batch: Int
    var keys: [[Float]], values: [[Float]]  // per layer: batch × context × D

    init(weights: TransformerWeights, batch: Int) {
        w = weights
        self.batch = batch
        let size = batch * weights.config.context * weights.config.width
        keys = Array(repeating: [Float](repeating: 0, count: size), count: weights.config.layers)
        values = keys
    }

    /// Feeds `ids` (one token per sequence) at `position`; returns the logits (`batch × 256`).
    mutating func step(_ ids: [Int32], position p: Int) -> [Float] {
        let c = w.config, d = c.width, nb = batch, tctx = c.context, h = c.heads, dh = d / h
        precondition(ids.count == nb && p < tctx)
        var x = [Float](repeating: 0, count: nb * d)
        for s in 0..<nb {
            for j in 0..<d { x[s * d + j] = w.tokens.value[Int(ids[s]) * d + j] + w.positions.value[p * d + j] }
        }
        var hbuf = [Float](repeating: 0, count: nb * d)
        var qkv = [Float](repeating: 0, count: nb * 3 * d)
        var att = [Float](repeating: 0, count: nb * d)
        var mlp = [Float](repeating: 0, count: nb * 4 * d)
        var scores = [Float](repeating: 0, count: p + 1)
        let scale = 1 / Float(dh).squareRoot()
        for (l, blk) in w.blocks.enumerated() {
            Self.layerNorm(x, blk.ln1g.value, blk.ln1b.value, rows: nb, cols: d, into: &hbuf)
            Self.linear(hbuf, blk.wqkv.value, blk.bqkv.value, m: nb, k: d, n: 3 * d, into: &qkv, beta: 0)
            for s in 0..<nb {
                for j in 0..<d {
                    keys[l][(s * tctx + p) * d + j] = qkv[s * 3 * d + d + j]
                    values[l][(s * tctx + p) * d + j] = qkv[s * 3 * d + 2 * d + j]
                }
                for head in 0..<h {
                    let qo = s * 3 * d + head * dh
                    for j in 0...p {
                        let ko = (s * tctx + j) * d + head * dh
                        var dot: Float = 0
                        for e in 0..<dh { dot += qkv[qo + e] * keys[l][ko + e] }
                        scores[j] = dot * scale
                    }
                    scores.withUnsafeMutableBufferPointer { sp in
                        _ = VectorMath.softmax(sp.baseAddress!, count: p + 1, into: sp.baseAddress!)
                    }
                    for e in 0..<dh {
                        var o: Float = 0
                        for j in 0...p { o += scores[j] * values[l][(s * tctx + j) * d + head * dh + e] }
                        att[s * d + head * dh + e] = o
                    }
                }
            }
            Self.linear(att, blk.wo.value, blk.bo.value, m: nb, k: d, n: d, into: &x, beta: 1)
            Self.layerNorm(x, blk.ln2g.value, blk.ln2b.value, rows: nb, cols: d, into: &hbuf)
            Self.linear(hbuf, blk.w1.value, blk.b1.value, m: nb, k: d, n: 4 * d, into: &mlp, beta: 0)
            mlp.withUnsafeMutableBufferPointer { VectorMath.gelu($0.baseAddress!, count: $0.count, into: $0.baseAddress!, gate: nil) }
            Self.linear(mlp, blk.w2.value, blk.b2.value, m: nb, k: 4 * d, n: d, into: &x, beta: 1)
        }
        Self.layerNorm(x, w.lnfg.value, w.lnfb.value, rows: nb, cols: d, into: &hbuf)
        var logits = [Float](repeating: 0, count: nb * c.vocabulary)
        Self.linear(hbuf, w.head.value, w.headb.value, m: nb, k: d, n: c.vocabulary, into: &logits, beta: 0)
        return logits
    }

    /// `out ← a·W + b + β·out`.
    static func linear(_ a: [Float], _ wt: [Float], _ b: [Float], m: Int, k: Int, n: Int, into out: inout [Float], beta: Float) {
        a.withUnsafeBufferPointer { pa in
            wt.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    BLAS.sgemm(
                        transA: false, transB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pw.baseAddress!, ldb: n,
                        beta: beta, c: po.baseAddress!, ldc: n)
                    for i in 0..<m { for j in 0..<n { po[i * n + j] += b[j] } }
                }
            }
        }
    }

    static func layerNorm(_ x: [Float], _ g: [Float], _ b: [Float], rows: Int, cols: Int, into out: inout [Float]) {
        x.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                g.withUnsafeBufferPointer { pg in
                    b.withUnsafeBufferPointer { pb in
                        LayerNormKernel.forward(
                            px.baseAddress!, rows: rows, cols: cols, gamma: pg.baseAddress!, beta: pb.baseAddress!,
                            epsilon: 1e-5, into: po.baseAddress!, saving: nil)
                    }
                }
            }
        }
    }
}

/// A byte-level decoder-only transformer trained from scratch at every fit.
///
/// **Fit.** Fresh GPT-2-style initialisation, then `config.budget` AdamW steps on batches of random
/// length-T windows of the training stream (stories joined by `\n`); learning rate: linear
/// warm-up over the first 5 % of steps, cosine decay to 10 % of the peak. Init and batches
/// come from the stream `(seed, lm, fit number)`, so every regime's first fit is identical.
///
/// **Sample.** Each story starts from `\n` at position 0 and draws bytes at temperature τ
/// until `\n` or T − 1 bytes.
///
/// **Evaluate.** Cross-entropy in nats per token on real held-out text: non-overlapping
/// windows of the test stream, every position of each window predicted.
public struct TransformerLanguageModel: NeuralGenerativeModel {
    public typealias Data = TextCorpus
    public static let name = "lm"
    public let config: TransformerConfig
    public let test: TextCorpus
    public let seed: UInt64
    public private(set) var fits = 0
    public private(set) var weights: TransformerWeights?
    /// Mean training loss over the last 10 % of steps of the latest fit.
    public private(set) var trainLoss = Double.nan
    /// Optimiser steps of the latest fit (`config.budget` on that fit's pool).
    public private(set) var lastSteps = 0

    public init(config: TransformerConfig, test: TextCorpus, seed: UInt64) {
        self.config = config
        self.test = test
        self.seed = seed
    }

    public mutating func fit(_ data: TextCorpus) throws {
        fits += 1
        var rng = Xoshiro256StarStar(seed: seed, stream: [NeuralStreams.training, UInt64(fits)])
        let w = TransformerWeights(config: config, using: &rng)
        var stream = data.stream
        let t = config.context
        while stream.count < t + 1 { stream += stream.isEmpty ? [TextCorpus.separator] : stream }
        var opt = AdamW(
            parameters: w.parameters, learningRate: config.learningRate,
            weightDecay: config.weightDecay, clipNorm: 1)
        lastSteps = config.budget.steps(examples: data.stream.count, perStep: config.batch * t)
        trainLoss = try Training.run(
            "language model", fit: fits, steps: lastSteps, peak: config.learningRate,
            parameters: w.parameters, optimizer: &opt
        ) { _, tape in
            let starts = (0..<config.batch).map { _ in rng.nextIndex(below: stream.count - t) }
            return w.loss(tape, stream: stream, starts: starts, length: t)
        }
        weights = w
    }

    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> TextCorpus {
        draw(count: count, using: &rng)
    }

    /// `count` stories sampled from the current fit (does not change the model).
    public func draw<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> TextCorpus {
        guard let w = weights else { preconditionFailure("sample before fit") }
        let t = config.context, v = config.vocabulary
        var stories: [[UInt8]] = []
        stories.reserveCapacity(count)
        var probs = [Double](repeating: 0, count: v)
        var start = 0
        while start < count && !NeuralCancellation.isRequested {
            let nb = min(64, count - start)
            var decoder = CachedDecoder(weights: w, batch: nb)
            var ids = [Int32](repeating: Int32(TextCorpus.separator), count: nb)
            var out = [[UInt8]](repeating: [], count: nb)
            var done = [Bool](repeating: false, count: nb)
            for p in 0..<(t - 1) where !NeuralCancellation.isRequested {
                let logits = decoder.step(ids, position: p)
                for s in 0..<nb where !done[s] {
                    let next = Self.drawToken(
                        logits, offset: s * v, count: v, temperature: config.temperature,
                        scratch: &probs, using: &rng)
                    if next == TextCorpus.separator { done[s] = true } else { out[s].append(next); ids[s] = Int32(next) }
                }
                if !done.contains(false) { break }
            }
            stories += out
            start += nb
        }
        return TextCorpus(stories: stories)
    }

    /// Inverse-CDF draw from `softmax(z/τ)` with one uniform (in Double, so the draw depends
    /// only on the logits and the uniform).
    static func drawToken<G: RandomNumberGenerator>(
        _ z: [Float], offset: Int, count v: Int, temperature: Double,
        scratch p: inout [Double], using rng: inout G
    ) -> UInt8 {
        var mx = -Double.infinity
        for j in 0..<v { mx = max(mx, Double(z[offset + j])) }
        var sum = 0.0
        for j in 0..<v { let e = Foundation.exp((Double(z[offset + j]) - mx) / temperature); p[j] = e; sum += e }
        var u = rng.nextUniform() * sum
        for j in 0..<v {
            u -= p[j]
            if u < 0 { return UInt8(j) }
        }
        return UInt8(p.lastIndex { $0 > 0 } ?? v - 1)
    }

    /// Next-byte logits after `context` via the cached decoder (the sampling path).
    public func cachedLogits(context: [UInt8]) -> [Float] {
        guard let w = weights else { preconditionFailure("logits before fit") }
        var decoder = CachedDecoder(weights: w, batch: 1)
        var logits: [Float] = []
        for (p, b) in context.enumerated() { logits = decoder.step([Int32(b)], position: p) }
        return logits
    }

    /// Next-byte logits after `context` via the training graph.
    public func graphLogits(context: [UInt8]) -> [Float] {
        guard let w = weights else { preconditionFailure("logits before fit") }
        let out = w.logits(Tape(recording: false), tokens: context.map(Int32.init), sequences: 1, length: context.count)
        return Array(out.value[((context.count - 1) * config.vocabulary)...])
    }

    public func evaluate() -> Double {
        guard let w = weights else { preconditionFailure("evaluate before fit") }
        return Self.crossEntropy(w, stream: test.stream, length: config.context)
    }

    /// Mean nats per token over the non-overlapping windows of `stream`.
    static func crossEntropy(_ w: TransformerWeights, stream: [UInt8], length t: Int) -> Double {
        let windows = (stream.count - 1) / t
        precondition(windows >= 1, "the test text is shorter than one context window")
        var total = 0.0
        var k = 0
        while k < windows {
            let starts = Array(stride(from: k * t, to: min(windows, k + 32) * t, by: t))
            let loss = w.loss(Tape(recording: false), stream: stream, starts: starts, length: t)
            total += Double(loss.scalar) * Double(starts.count)
            k += starts.count
        }
        return total / Double(windows)
    }

    public func diagnostics(generation: Int) -> [(String, Double)] {
        [("train_loss", trainLoss), ("train_steps", Double(lastSteps))]
    }
}

/// Stream purposes under a run's seed (`StreamRegistry`'s neural roots).
public enum NeuralStreams {
    public static let data = StreamRegistry.neuralData
    public static let training = StreamRegistry.neuralTraining
    public static let sampling = StreamRegistry.neuralSampling
    public static let subsampling = StreamRegistry.neuralSubsampling
    public static let evaluation = StreamRegistry.neuralEvaluation
    public static let split = StreamRegistry.neuralSplit
}

/// A neural generative model as the experiment runner sees it.
public protocol NeuralGenerativeModel: GenerativeModel, SendableMetatype {
    /// The CLI name (`lm`, `vae`, `diffusion`).
    static var name: String { get }
    /// Extra metrics of the current fit for the results table, in a fixed order. Any sampling
    /// uses a stream derived from `generation`, not the scheduler's.
    func diagnostics(generation: Int) -> [(String, Double)]
}
