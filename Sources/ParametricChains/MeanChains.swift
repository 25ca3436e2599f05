import CollapseCore
import CollapseTheory
import Foundation
import Randomness

/// Literal simulators of the mean chains of proof U1 and the mixing chain of proof G1. Each
/// generation draws its `M` samples one by one from the previous fit and refits the MLE.
public enum MeanChain: Sendable, Equatable {
    /// Poisson counts with rate `λ`; the fit is the sample mean.
    case poisson(rate: Double)
    /// Gaussian samples with mean 0 and known variance `σ²`; the fit is the sample mean.
    case gaussianMean(variance: Double)

    /// `v` of proof U1: `λ` or `σ²`.
    public var sampleVariance: Double {
        switch self {
        case let .poisson(rate): return rate
        case let .gaussianMean(variance): return variance
        }
    }

    var truth: Double {
        switch self {
        case let .poisson(rate): return rate
        case .gaussianMean: return 0
        }
    }

    /// Sum of `m` draws from the model with parameter `theta`.
    @inline(__always)
    func sampleSum(_ m: Int, parameter theta: Double, _ rng: inout Xoshiro256StarStar) -> Double {
        switch self {
        case .poisson:
            var s = 0
            for _ in 0..<m { s += Poisson.next(mean: theta, using: &rng) }
            return Double(s)
        case let .gaussianMean(variance):
            let sd = variance.squareRoot()
            var s = 0.0
            for _ in 0..<m { s += theta + sd * Normal.next(using: &rng) }
            return s
        }
    }

    /// Squared errors `(θ̂_n − θ)²` of one replicate, for `regime` (replace or accumulate),
    /// written to `errors[0..<generations]`.
    public func run(
        regime: ClosedFormRegime, samples m: Int, generations: Int, rng: inout Xoshiro256StarStar,
        errors: UnsafeMutableBufferPointer<Double>
    ) {
        precondition(m >= 1 && generations >= 1 && errors.count >= generations, "MeanChain.run: bad sizes")
        var estimate = truth
        var pooledSum = 0.0
        for n in 1...generations {
            let s = sampleSum(m, parameter: n == 1 ? truth : estimate, &rng)
            switch regime {
            case .replace:
                estimate = s / Double(m)
            case .accumulate:
                pooledSum += s
                estimate = pooledSum / Double(n * m)
            }
            errors[n - 1] = (estimate - truth) * (estimate - truth)
        }
    }
}

/// The mixing chain of proof G1: Gaussian mean (truth 0), known variance `σ²`, `M` fresh real
/// and `M` synthetic samples per generation, `μ̂_n = w·r_n + (1 − w)·s_n`.
public struct MixingChain: Sendable, Equatable {
    public var variance: Double
    public var weight: Double

    public init(variance: Double, weight: Double) {
        precondition(variance > 0 && weight > 0 && weight <= 1, "MixingChain needs σ² > 0 and w ∈ (0, 1]")
        self.variance = variance
        self.weight = weight
    }

    public func run(samples m: Int, generations: Int, rng: inout Xoshiro256StarStar, errors: UnsafeMutableBufferPointer<Double>) {
        let sd = variance.squareRoot()
        func mean(_ centre: Double) -> Double {
            var s = 0.0
            for _ in 0..<m { s += centre + sd * Normal.next(using: &rng) }
            return s / Double(m)
        }
        var estimate = mean(0)
        errors[0] = estimate * estimate
        if generations == 1 { return }
        for n in 2...generations {
            let real = mean(0)
            let synthetic = mean(estimate)
            estimate = weight * real + (1 - weight) * synthetic
            errors[n - 1] = estimate * estimate
        }
    }
}
