import CollapseCore
import Foundation
import Randomness

/// A Poisson law fit by its MLE rate `λ̂ = x̄` (proof U1; Dey & Donoho 2024, arXiv 2410.22812).
/// `λ̂` is a martingale along the chain, with `E(λ̂_n − λ)² = nλ/M` under replace and
/// `(λ/M)Σ_{i≤n} 1/i²` under accumulate (`MeanChainTheory`). Once `λ̂ = 0` the chain is absorbed.
public struct PoissonModel: GenerativeModel, Sendable {
    public typealias Data = IntegerSample

    public var test: IntegerSample?
    public private(set) var rate = 0.0
    /// `Σ log x!` and `Σ x` of the test set, so the NLL is O(1) per fit.
    private let testLogFactorials: Double
    private let testSum: Double

    public init(test: IntegerSample? = nil) {
        self.test = test
        testLogFactorials = test?.values.reduce(0) { $0 + lgamma(Double($1) + 1) } ?? 0
        testSum = Double(test?.values.reduce(0, +) ?? 0)
    }

    public mutating func fit(_ data: IntegerSample) throws {
        guard data.count >= 1 else { throw GenerativeFitError.tooFewPoints(what: "Poisson fit", count: 0, needed: 1) }
        rate = Double(data.values.reduce(0, +)) / Double(data.count)
    }

    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> IntegerSample {
        IntegerSample((0..<count).map { _ in Poisson.next(mean: rate, using: &rng) })
    }

    /// Mean `−log P(x; λ̂) = λ̂ − x log λ̂ + log x!` over the held-out counts (+∞ if `λ̂ = 0` and
    /// some test count is positive).
    public func evaluate() -> Double {
        guard let test else { return .nan }
        let m = Double(test.count)
        if rate == 0 { return testSum > 0 ? .infinity : 0 }
        return (m * rate - testSum * log(rate) + testLogFactorials) / m
    }
}
