import CollapseTheory
import Foundation
import Randomness

/// What a model trains on; a model fits only datasets of its kind.
public enum DataKind: String, Sendable, CaseIterable {
    case points, symbols, counts, sequences
}

/// Population moments (and, where the law is one, the Gaussian or mixture itself) of a
/// synthetic dataset: the "truth" that distances and parameter errors are measured against.
public struct PointTruth: Sendable, Equatable {
    public var mean: [Double]
    /// Row-major `d×d`.
    public var covariance: [Double]
    /// The true law when it is a Gaussian mixture (one component: a Gaussian).
    public var mixture: GaussianMixtureModel.Parameters?

    public var dimension: Int { mean.count }
    public var totalVariance: Double { (0..<dimension).reduce(0) { $0 + covariance[$1 * dimension + $1] } }
    public var isGaussian: Bool { mixture?.weights.count == 1 }
}

/// Real data generated in code from a seed (nothing is downloaded). The true laws are fixed by
/// the dataset's parameters, not by the run's seed, so runs with different seeds are replicates
/// of the same experiment.
public enum SyntheticPoints: String, Sendable, CaseIterable {
    /// Three isotropic Gaussian blobs (σ = 0.5) centred on a circle of radius 3, equal weights.
    case blobs
    /// Two concentric circles (radii 1 and 0.5, equal odds), uniform angle, N(0, 0.05²) noise.
    case circles
    /// Two moons (after scikit-learn's shape, but each point's angle uniform at random on its half
    /// circle, not evenly spaced and balanced as scikit-learn's make_moons), N(0, 0.1²) noise.
    case moons
    /// A 2-D Swiss roll: `(t cos t, t sin t)/5` with `t = 1.5π(1 + 2u)`, `u ~ U(0, 1)`,
    /// N(0, 0.1²) noise. Its population moments are not coded: no moment metrics.
    case swissRoll = "swiss-roll"
    /// `N(0, Σ)` in `d` dimensions, `Σ_ij = 0.5^|i−j|`.
    case gaussian

    public static let blobRadius = 3.0, blobSD = 0.5, circleFactor = 0.5, circleNoise = 0.05
    public static let moonNoise = 0.1, swissNoise = 0.1, gaussianCorrelation = 0.5

    /// Draws `count` points (dimension 2, or `dimension` for `gaussian`).
    public func draw<G: RandomNumberGenerator>(count: Int, dimension: Int, using rng: inout G) -> PointSet {
        let d = self == .gaussian ? dimension : 2
        var v = [Double](repeating: 0, count: count * d)
        switch self {
        case .blobs:
            let centres = Self.blobCentres
            for i in 0..<count {
                let k = rng.nextIndex(below: 3)
                v[2 * i] = centres[k][0] + Self.blobSD * Normal.next(using: &rng)
                v[2 * i + 1] = centres[k][1] + Self.blobSD * Normal.next(using: &rng)
            }
        case .circles:
            for i in 0..<count {
                let r = rng.nextIndex(below: 2) == 0 ? 1 : Self.circleFactor
                let a = 2 * Double.pi * rng.nextUniform()
                v[2 * i] = r * cos(a) + Self.circleNoise * Normal.next(using: &rng)
                v[2 * i + 1] = r * sin(a) + Self.circleNoise * Normal.next(using: &rng)
            }
        case .moons:
            for i in 0..<count {
                let outer = rng.nextIndex(below: 2) == 0
                let t = Double.pi * rng.nextUniform()
                let x = outer ? cos(t) : 1 - cos(t), y = outer ? sin(t) : 0.5 - sin(t)
                v[2 * i] = x + Self.moonNoise * Normal.next(using: &rng)
                v[2 * i + 1] = y + Self.moonNoise * Normal.next(using: &rng)
            }
        case .swissRoll:
            for i in 0..<count {
                let t = 1.5 * Double.pi * (1 + 2 * rng.nextUniform())
                v[2 * i] = t * cos(t) / 5 + Self.swissNoise * Normal.next(using: &rng)
                v[2 * i + 1] = t * sin(t) / 5 + Self.swissNoise * Normal.next(using: &rng)
            }
        case .gaussian:
            let factor = try! DenseCholesky(Self.gaussianCovariance(d), dimension: d)
            var z = [Double](repeating: 0, count: d), y = [Double](repeating: 0, count: d)
            for i in 0..<count {
                for j in 0..<d { z[j] = Normal.next(using: &rng) }
                factor.colour(z, into: &y)
                for j in 0..<d { v[i * d + j] = y[j] }
            }
        }
        return PointSet(dimension: d, values: v)
    }

    static var blobCentres: [[Double]] {
        (0..<3).map { k in
            let a = Double.pi / 2 + 2 * Double.pi * Double(k) / 3
            return [blobRadius * cos(a), blobRadius * sin(a)]
        }
    }

    static func gaussianCovariance(_ d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { c[i * d + j] = pow(gaussianCorrelation, Double(abs(i - j))) } }
        return c
    }

    /// The population mean and covariance (exact), and the law itself for `blobs` and
    /// `gaussian`; nil for `swiss-roll`.
    public func truth(dimension: Int) -> PointTruth? {
        switch self {
        case .gaussian:
            let d = dimension
            let cov = Self.gaussianCovariance(d)
            let mean = [Double](repeating: 0, count: d)
            return PointTruth(mean: mean, covariance: cov,
                              mixture: .init(weights: [1], means: [mean], covariances: [cov]))
        case .blobs:
            // Mixture moments: Σ = Σ_k w_k(Σ_k + μ_kμ_kᵀ) − μμᵀ; the centres sum to 0.
            let c = Self.blobCentres, s2 = Self.blobSD * Self.blobSD
            var cov = [Double](repeating: 0, count: 4)
            for k in 0..<3 { for i in 0..<2 { for j in 0..<2 { cov[i * 2 + j] += c[k][i] * c[k][j] / 3 } } }
            cov[0] += s2; cov[3] += s2
            let kc = [s2, 0, 0, s2]
            return PointTruth(mean: [0, 0], covariance: cov,
                              mixture: .init(weights: [1.0 / 3, 1.0 / 3, 1.0 / 3], means: c, covariances: [kc, kc, kc]))
        case .circles:
            // E cos² = E sin² = ½ for a uniform angle, E r² = (1 + f²)/2.
            let v = (1 + Self.circleFactor * Self.circleFactor) / 4 + Self.circleNoise * Self.circleNoise
            return PointTruth(mean: [0, 0], covariance: [v, 0, 0, v], mixture: nil)
        case .moons:
            // Halves (cos t, sin t) and (1 − cos t, ½ − sin t), t ~ U(0, π): E sin t = 2/π,
            // E cos t = E cos t sin t = 0, E cos² t = E sin² t = ½.
            let s2 = Self.moonNoise * Self.moonNoise
            let vx = 0.75 + s2, vy = 0.5625 - 1 / Double.pi + s2, cxy = 0.125 - 1 / Double.pi
            return PointTruth(mean: [0.5, 0.25], covariance: [vx, cxy, cxy, vy], mixture: nil)
        case .swissRoll:
            return nil
        }
    }
}

/// The fixed first-order Markov chain of the `markov` dataset: uniform first token, each
/// transition row drawn once from Dirichlet(½, …, ½) by a generator of fixed seed (the same
/// chain for every run), so rows are uneven and some transitions rare.
public enum SyntheticMarkov {
    public static let dirichletConcentration = 0.5
    static let truthSeed = StreamRegistry.markovTruthSeed

    public static func truth(vocabulary v: Int) -> MarkovChainTruth {
        precondition(v >= 2, "vocabulary must be ≥ 2, got \(v)")
        var rng = Xoshiro256StarStar(seed: truthSeed, stream: [UInt64(v)])
        var rows: [Double] = []
        for _ in 0..<v {
            var g = (0..<v).map { _ in Gamma.next(shape: dirichletConcentration, using: &rng) }
            // Keep every transition possible (a Dirichlet(½) draw can underflow to 0).
            g = g.map { max($0, 1e-12) }
            let s = g.reduce(0, +)
            rows += g.map { $0 / s }
        }
        return MarkovChainTruth(initial: [Double](repeating: 1 / Double(v), count: v), transition: rows)
    }
}
