import CollapseCore
import Foundation
import Randomness

/// A categorical distribution over `K` symbols fit by add-α frequencies
/// `p̂_i = (c_i + α)/(M + αK)` (α = 0: the MLE, whose refitting chain is Wright–Fisher
/// drift, proof W1; Shumailov et al. 2024; Seddik et al. 2024, arXiv 2404.05090).
///
/// With α = 0 a symbol that draws no sample is lost for good under replace: the support only
/// shrinks, the collision probability `S = Σ p̂_i²` obeys `1 − E S_n = (1 − 1/M)ⁿ(1 − S₀)`
/// (`CategoricalChainTheory`), and the held-out NLL becomes +∞ once a test symbol is lost.
public struct CategoricalModel: GenerativeModel, Sendable {
    public typealias Data = IntegerSample

    public let support: Int
    public let smoothing: Double
    public var test: IntegerSample?
    public private(set) var probabilities: [Double]
    private var cumulative: [Double]

    public init(support: Int, smoothing: Double = 0, test: IntegerSample? = nil) {
        precondition(support >= 1, "support must be ≥ 1, got \(support)")
        precondition(smoothing >= 0 && smoothing.isFinite, "smoothing must be finite and ≥ 0, got \(smoothing)")
        self.support = support
        self.smoothing = smoothing
        self.test = test
        probabilities = [Double](repeating: 1 / Double(support), count: support)
        cumulative = []
    }

    public mutating func fit(_ data: IntegerSample) throws {
        guard data.count >= 1 else { throw GenerativeFitError.tooFewPoints(what: "categorical fit", count: 0, needed: 1) }
        var counts = [Double](repeating: 0, count: support)
        for s in data.values {
            precondition(s >= 0 && s < support, "symbol \(s) outside 0..<\(support)")
            counts[s] += 1
        }
        let total = Double(data.count) + smoothing * Double(support)
        probabilities = counts.map { ($0 + smoothing) / total }
        cumulative = []
        var acc = 0.0
        for p in probabilities { acc += p; cumulative.append(acc) }
    }

    /// Inverse-CDF draws (binary search on the cumulative probabilities).
    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> IntegerSample {
        let total = cumulative.last!
        var out = [Int](repeating: 0, count: count)
        for i in 0..<count {
            let u = rng.nextUniform() * total
            var lo = 0, hi = support - 1
            while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] > u { hi = mid } else { lo = mid + 1 } }
            out[i] = lo
        }
        return IntegerSample(out)
    }

    /// Mean `−log p̂(x)` over the held-out real symbols (+∞ when one has `p̂ = 0`).
    public func evaluate() -> Double {
        guard let test else { return .nan }
        var s = 0.0
        for x in test.values { s -= log(probabilities[x]) }
        return s / Double(test.count)
    }

    /// `H(p̂) = −Σ p̂ log p̂` (nats).
    public var entropy: Double { Categorical.entropy(probabilities) }
    /// Symbols with `p̂ > 0`.
    public var supportSize: Int { probabilities.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }
    /// `Σ p̂_i²`.
    public var collision: Double { probabilities.reduce(0) { $0 + $1 * $1 } }
}

/// Entropy and Kullback–Leibler divergence of probability vectors (nats; `0 log 0 = 0`).
public enum Categorical {
    public static func entropy(_ p: [Double]) -> Double {
        var h = 0.0
        for q in p where q > 0 { h -= q * log(q) }
        return h
    }

    /// `KL(p ‖ q) = Σ p_i log(p_i/q_i)`: +∞ when some `q_i = 0 < p_i`.
    public static func divergence(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "KL needs equal lengths, got \(p.count) and \(q.count)")
        var s = 0.0
        for i in p.indices where p[i] > 0 {
            if q[i] <= 0 { return .infinity }
            s += p[i] * log(p[i] / q[i])
        }
        return max(0, s)
    }
}
