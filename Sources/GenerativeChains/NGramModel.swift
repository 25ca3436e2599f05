import CollapseCore
import Foundation
import Randomness

/// An n-gram token model with add-k smoothing:
/// `p̂(w | c) = (count(c, w) + k)/(count(c) + kV)` over a vocabulary of `V` tokens, where the
/// context `c` is the previous `n − 1` tokens of the sequence, padded with a start symbol
/// (`BOS`) at its beginning (a context never seen with `k = 0` gets the uniform law).
/// Samples are sequences of `sequenceLength` tokens drawn left to right from `BOS`.
///
/// The fit's per-token quantities — its divergence from a known first-order chain, and its
/// entropy — are computed exactly by propagating the law of the last `max(n − 1, 1)` tokens
/// along the `L` positions: O(L · (V + 1)^max(n−1,1) · V). At order 1 the fit has one context,
/// so its table is `V` counts and its entropy `H(p̂)` is O(V) (the divergences from a known
/// chain still propagate, O(L · (V + 1) · V), for the `markov` dataset's small V).
public struct NGramModel: GenerativeModel, Sendable {
    public typealias Data = TokenSequences

    public let order: Int
    public let vocabulary: Int
    public let smoothing: Double
    public let sequenceLength: Int
    public var test: TokenSequences?
    /// `count(c, w)` at `c·V + w`.
    public private(set) var counts: [Double]
    /// `count(c)`.
    public private(set) var contextCounts: [Double]
    /// Tokens of state kept: `max(n − 1, 1)`.
    let stateLength: Int
    /// `(V + 1)^(n−1)` contexts, `(V + 1)^stateLength` states.
    let contextCount: Int, stateCount: Int

    /// The largest `tableSize(order:vocabulary:)` accepted (memory and exact-metric cost).
    public static let maximumTableSize = 4_000_000

    public init(order: Int, vocabulary: Int, smoothing: Double, sequenceLength: Int, test: TokenSequences? = nil) {
        precondition(order >= 1 && vocabulary >= 2 && sequenceLength >= 1, "NGramModel: need n ≥ 1, V ≥ 2, L ≥ 1")
        precondition(smoothing >= 0 && smoothing.isFinite, "smoothing must be finite and ≥ 0, got \(smoothing)")
        let m = max(order - 1, 1)
        precondition(
            Self.tableSize(order: order, vocabulary: vocabulary) <= Self.maximumTableSize,
            "NGramModel: the table of order \(order) over V = \(vocabulary) exceeds \(Self.maximumTableSize)")
        self.order = order
        self.vocabulary = vocabulary
        self.smoothing = smoothing
        self.sequenceLength = sequenceLength
        self.test = test
        stateLength = m
        contextCount = Self.power(vocabulary + 1, order - 1)
        stateCount = Self.power(vocabulary + 1, m)
        counts = [Double](repeating: 0, count: contextCount * vocabulary)
        contextCounts = [Double](repeating: 0, count: contextCount)
    }

    /// The counts and propagation work per position: `V` at order 1 (one context, entropy in
    /// O(V)), `(V + 1)^(n−1) · V` from order 2 on (saturating).
    public static func tableSize(order: Int, vocabulary: Int) -> Int {
        var s = vocabulary
        for _ in 0..<(order - 1) {
            let (r, o) = s.multipliedReportingOverflow(by: vocabulary + 1)
            if o || r > maximumTableSize * 64 { return Int.max }
            s = r
        }
        return s
    }

    static func power(_ b: Int, _ e: Int) -> Int { (0..<e).reduce(1) { r, _ in r * b } }

    var bos: Int { vocabulary }
    /// The all-`BOS` state.
    var startState: Int { (0..<stateLength).reduce(0) { s, _ in s * (vocabulary + 1) + bos } }
    @inline(__always) func shift(_ s: Int, _ w: Int) -> Int { (s % (stateCount / (vocabulary + 1))) * (vocabulary + 1) + w }
    @inline(__always) func context(_ s: Int) -> Int { s % contextCount }
    @inline(__always) func lastToken(_ s: Int) -> Int { s % (vocabulary + 1) }

    public mutating func fit(_ data: TokenSequences) throws {
        guard data.count >= 1 else { throw GenerativeFitError.tooFewPoints(what: "n-gram fit", count: 0, needed: 1) }
        for i in counts.indices { counts[i] = 0 }
        for i in contextCounts.indices { contextCounts[i] = 0 }
        precondition(data.length == sequenceLength, "n-gram model of length \(sequenceLength) fit to sequences of \(data.length)")
        var s = startState
        for (position, token) in data.tokens.enumerated() {
            if position % sequenceLength == 0 { s = startState }
            let w = Int(token)
            precondition(w >= 0 && w < vocabulary, "token \(w) outside 0..<\(vocabulary)")
            let c = context(s)
            counts[c * vocabulary + w] += 1
            contextCounts[c] += 1
            s = shift(s, w)
        }
    }

    /// `p̂(w | c)`.
    @inline(__always)
    public func probability(_ w: Int, context c: Int) -> Double {
        let total = contextCounts[c] + smoothing * Double(vocabulary)
        return total > 0 ? (counts[c * vocabulary + w] + smoothing) / total : 1 / Double(vocabulary)
    }

    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> TokenSequences {
        let v = vocabulary
        var out = [Int32](repeating: 0, count: count * sequenceLength)
        for i in 0..<count {
            var s = startState
            for t in 0..<sequenceLength {
                let c = context(s)
                let total = contextCounts[c] + smoothing * Double(v)
                var w = v - 1
                if total > 0 {
                    let u = rng.nextUniform() * total
                    var acc = 0.0
                    for j in 0..<v { acc += counts[c * v + j] + smoothing; if u < acc { w = j; break } }
                } else {
                    w = rng.nextIndex(below: v)
                }
                out[i * sequenceLength + t] = Int32(w)
                s = shift(s, w)
            }
        }
        return TokenSequences(length: sequenceLength, tokens: out)
    }

    /// Mean `−log p̂(w | c)` per token of the held-out real sequences.
    public func evaluate() -> Double {
        guard let test else { return .nan }
        var s = 0.0
        var state = startState
        for (position, token) in test.tokens.enumerated() {
            if position % test.length == 0 { state = startState }
            s -= log(probability(Int(token), context: context(state)))
            state = shift(state, Int(token))
        }
        return s / Double(test.tokens.count)
    }

    /// Distinct n-grams (context, token) seen in the training data.
    public var supportSize: Int { counts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }

    /// Per-token entropy of the fit's law of `L`-token sequences:
    /// `(1/L) Σ_t Σ_c P̂(c_t = c) H(p̂(· | c))` (exact for a Markov model).
    public var entropy: Double {
        func h(_ c: Int) -> Double {
            var h = 0.0
            for w in 0..<vocabulary { let p = probability(w, context: c); if p > 0 { h -= p * log(p) } }
            return h
        }
        // Order 1: every position has the one context 0, so the average is H(p̂(· | 0)) itself.
        if order == 1 { return h(0) }
        return propagate(under: nil) { c, _ in h(c) }
    }

    /// `KL(truth ‖ fit)` per token over `L`-token sequences from `BOS`:
    /// `(1/L) Σ_t E_truth KL(P(· | x_{t−1}) ‖ p̂(· | c_t))` (+∞ when the fit gives 0 to a
    /// possible token). Its value is the expected excess held-out NLL per token.
    public func divergence(fromTruth truth: MarkovChainTruth) -> Double {
        precondition(truth.vocabulary == vocabulary, "truth vocabulary \(truth.vocabulary) ≠ model \(vocabulary)")
        return propagate(under: truth) { c, last in
            stepDivergence({ truth.probability($0, after: last) }, { probability($0, context: c) })
        }
    }

    /// `KL(fit ‖ truth)` per token over `L`-token sequences drawn from the fit.
    public func divergence(toTruth truth: MarkovChainTruth) -> Double {
        precondition(truth.vocabulary == vocabulary, "truth vocabulary \(truth.vocabulary) ≠ model \(vocabulary)")
        return propagate(under: nil) { c, last in
            stepDivergence({ probability($0, context: c) }, { truth.probability($0, after: last) })
        }
    }

    /// `Σ_w p(w) log(p(w)/q(w))` over the vocabulary (+∞ when `q(w) = 0 < p(w)`).
    func stepDivergence(_ p: (Int) -> Double, _ q: (Int) -> Double) -> Double {
        var kl = 0.0
        for w in 0..<vocabulary {
            let a = p(w)
            if a > 0 {
                let b = q(w)
                if b <= 0 { return .infinity }
                kl += a * log(a / b)
            }
        }
        return kl
    }

    /// `(1/L) Σ_t Σ_s ρ_t(s) f(context(s), last(s))` where `ρ_t` is the law of the state at
    /// position `t` under `truth` (or under the fit when nil).
    func propagate(under truth: MarkovChainTruth?, _ f: (_ context: Int, _ last: Int) -> Double) -> Double {
        var rho = [Double](repeating: 0, count: stateCount), next = rho
        rho[startState] = 1
        var total = 0.0
        for _ in 0..<sequenceLength {
            for i in next.indices { next[i] = 0 }
            for s in 0..<stateCount where rho[s] > 0 {
                let c = context(s), last = lastToken(s)
                let value = f(c, last)
                if !value.isFinite { return value }
                total += rho[s] * value
                for w in 0..<vocabulary {
                    let p = truth.map { $0.probability(w, after: last) } ?? probability(w, context: c)
                    if p > 0 { next[shift(s, w)] += rho[s] * p }
                }
            }
            swap(&rho, &next)
        }
        return total / Double(sequenceLength)
    }
}

/// A first-order Markov chain over `V` tokens: the first token from `initial`, each next from
/// row `x_{t−1}` of `transition`.
public struct MarkovChainTruth: Sendable, Equatable {
    public let vocabulary: Int
    public let initial: [Double]
    /// Row-major `V×V`; row `a` is `P(· | a)`.
    public let transition: [Double]

    public init(initial: [Double], transition: [Double]) {
        let v = initial.count
        precondition(v >= 2 && transition.count == v * v, "MarkovChainTruth: need V ≥ 2 and a V×V matrix")
        precondition(abs(initial.reduce(0, +) - 1) < 1e-9, "initial law must sum to 1")
        for a in 0..<v { precondition(abs(transition[(a * v)..<((a + 1) * v)].reduce(0, +) - 1) < 1e-9, "row \(a) must sum to 1") }
        vocabulary = v
        self.initial = initial
        self.transition = transition
    }

    /// `P(w | last)`, `last = V` meaning the start of the sequence.
    @inline(__always)
    public func probability(_ w: Int, after last: Int) -> Double {
        last == vocabulary ? initial[w] : transition[last * vocabulary + w]
    }

    /// `count` sequences of `length` tokens.
    public func sequences<G: RandomNumberGenerator>(count: Int, length: Int, using rng: inout G) -> TokenSequences {
        var out = [Int32](repeating: 0, count: count * length)
        for i in 0..<count {
            var last = vocabulary
            for t in 0..<length {
                let u = rng.nextUniform()
                var acc = 0.0, w = vocabulary - 1
                for j in 0..<vocabulary { acc += probability(j, after: last); if u < acc { w = j; break } }
                out[i * length + t] = Int32(w)
                last = w
            }
        }
        return TokenSequences(length: length, tokens: out)
    }
}
