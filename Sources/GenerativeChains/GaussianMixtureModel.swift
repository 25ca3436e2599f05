import CollapseCore
import Foundation
import Randomness

/// A Gaussian mixture `p̂(x) = Σ_k w_k N(x; μ_k, Σ_k)` with full covariances, fit by EM
/// (Dempster, Laird & Rubin 1977) from k-means++ starts (Arthur & Vassilvitskii 2007).
///
/// Each fit runs EM from `restarts` k-means++ starts, plus a warm start from the previous fit
/// (when there is one, with the same number of components), and keeps the fit of highest
/// log-likelihood. A start's EM stops when the mean log-likelihood per point rises by less than
/// `tolerance`, or after `maxIterations`. Every covariance gets `varianceFloor·I` added after
/// its M-step (scikit-learn's `reg_covar`), so its eigenvalues, the variances along every
/// direction, are at least the floor: a component cannot collapse onto one point.
/// The k-means++ draws come from the model's own generator `initialisation`, so a fit is a
/// deterministic function of the data and that stream.
public struct GaussianMixtureModel: GenerativeModel, Sendable {
    public typealias Data = PointSet

    public struct Parameters: Sendable, Equatable {
        public var weights: [Double]
        /// `means[k]` has `d` entries.
        public var means: [[Double]]
        /// `covariances[k]` is `d×d`, row-major.
        public var covariances: [[Double]]
    }

    public let dimension: Int
    public let components: Int
    public let restarts: Int
    public let maxIterations: Int
    public let tolerance: Double
    public let varianceFloor: Double
    public var test: PointSet?
    public var initialisation: Xoshiro256StarStar
    public private(set) var parameters: Parameters?
    private var factors: [DenseCholesky] = []
    /// Mean log-likelihood per training point of the kept fit.
    public private(set) var trainingLogLikelihood = -Double.infinity
    /// EM iterations of the kept start.
    public private(set) var iterations = 0

    public init(dimension: Int, components: Int, restarts: Int = 2, maxIterations: Int = 200,
                tolerance: Double = 1e-6, varianceFloor: Double = 1e-6,
                initialisation: Xoshiro256StarStar, test: PointSet? = nil) {
        precondition(dimension >= 1 && components >= 1 && restarts >= 1 && maxIterations >= 1,
                     "GaussianMixtureModel: need d, K, restarts, iterations ≥ 1")
        precondition(tolerance > 0 && varianceFloor > 0, "GaussianMixtureModel: tolerance and floor must be > 0")
        self.dimension = dimension
        self.components = components
        self.restarts = restarts
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.varianceFloor = varianceFloor
        self.initialisation = initialisation
        self.test = test
    }

    public mutating func fit(_ data: PointSet) throws {
        precondition(data.dimension == dimension, "GaussianMixtureModel: data of dimension \(data.dimension), model \(dimension)")
        guard data.count >= components else {
            throw GenerativeFitError.tooFewPoints(what: "\(components)-component mixture", count: data.count, needed: components)
        }
        var starts: [Parameters] = []
        var rng = initialisation
        for _ in 0..<restarts { starts.append(kMeansPlusPlusStart(data, using: &rng)) }
        initialisation = rng
        if let previous = parameters { starts.append(previous) }
        var best: (Parameters, [DenseCholesky], Double, Int)?
        for start in starts {
            let result = try expectationMaximisation(data, from: start)
            if best == nil || result.2 > best!.2 { best = result }
        }
        (parameters, factors, trainingLogLikelihood, iterations) = best!
    }

    /// k-means++ seeding: the first centre uniformly, each next with probability ∝ squared
    /// distance to the nearest centre so far; then one hard assignment to the nearest centre and
    /// its M-step.
    func kMeansPlusPlusStart(_ data: PointSet, using rng: inout Xoshiro256StarStar) -> Parameters {
        let n = data.count, d = dimension
        var centres: [Int] = [rng.nextIndex(below: n)]
        var nearest = [Double](repeating: .infinity, count: n)
        let x = data.values
        func sq(_ i: Int, _ c: Int) -> Double {
            var s = 0.0
            for j in 0..<d { let u = x[i * d + j] - x[c * d + j]; s += u * u }
            return s
        }
        while centres.count < components {
            let last = centres.last!
            var total = 0.0
            for i in 0..<n { nearest[i] = min(nearest[i], sq(i, last)); total += nearest[i] }
            var next = rng.nextIndex(below: n)
            if total > 0 {
                let u = rng.nextUniform() * total
                var acc = 0.0
                next = n - 1
                for i in 0..<n { acc += nearest[i]; if acc > u { next = i; break } }
            }
            centres.append(next)
        }
        var responsibilities = [Double](repeating: 0, count: n * components)
        for i in 0..<n {
            var bestK = 0, bestD = Double.infinity
            for (k, c) in centres.enumerated() { let s = sq(i, c); if s < bestD { bestD = s; bestK = k } }
            responsibilities[i * components + bestK] = 1
        }
        return maximisation(data, responsibilities)
    }

    /// The M-step: weights, means and floored covariances from responsibilities `r[i·K + k]`.
    /// A component with no responsibility keeps weight 0 and gets the pooled covariance at the
    /// overall mean.
    func maximisation(_ data: PointSet, _ r: [Double]) -> Parameters {
        let n = data.count, d = dimension, kk = components
        let x = data.values
        var weights = [Double](repeating: 0, count: kk)
        var means = [[Double]](repeating: [Double](repeating: 0, count: d), count: kk)
        var covs = [[Double]](repeating: [Double](repeating: 0, count: d * d), count: kk)
        for i in 0..<n {
            for k in 0..<kk {
                let w = r[i * kk + k]
                if w == 0 { continue }
                weights[k] += w
                for j in 0..<d { means[k][j] += w * x[i * d + j] }
            }
        }
        let (overallMean, scatter) = Moments.meanAndScatter(data)
        for k in 0..<kk where weights[k] > 0 { for j in 0..<d { means[k][j] /= weights[k] } }
        var c = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for k in 0..<kk {
                let w = r[i * kk + k]
                if w == 0 { continue }
                for j in 0..<d { c[j] = x[i * d + j] - means[k][j] }
                for j in 0..<d { for l in 0...j { covs[k][j * d + l] += w * c[j] * c[l] } }
            }
        }
        for k in 0..<kk {
            if weights[k] > 0 {
                for j in 0..<d { for l in 0...j { covs[k][j * d + l] /= weights[k]; covs[k][l * d + j] = covs[k][j * d + l] } }
            } else {
                means[k] = overallMean
                covs[k] = scatter.map { $0 / Double(n) }
            }
            for j in 0..<d { covs[k][j * d + j] += varianceFloor }
        }
        return Parameters(weights: weights.map { $0 / Double(n) }, means: means, covariances: covs)
    }

    /// EM from `start` to convergence; returns the parameters, their factors, the mean
    /// log-likelihood per point and the iterations used.
    func expectationMaximisation(_ data: PointSet, from start: Parameters) throws
        -> (Parameters, [DenseCholesky], Double, Int) {
        let n = data.count, kk = components
        var p = start
        var f = try p.covariances.map { try DenseCholesky($0, dimension: dimension, what: "mixture component covariance") }
        var r = [Double](repeating: 0, count: n * kk)
        var previous = -Double.infinity
        var iteration = 0
        while true {
            let ll = expectation(data, p, f, into: &r)
            iteration += 1
            // `ll` is the log-likelihood of `p` (EM never lowers it, up to the floor).
            if ll - previous < tolerance || iteration >= maxIterations { return (p, f, ll, iteration) }
            previous = ll
            p = maximisation(data, r)
            f = try p.covariances.map { try DenseCholesky($0, dimension: dimension, what: "mixture component covariance") }
        }
    }

    /// The E-step: responsibilities into `r` and the mean log-likelihood per point.
    func expectation(_ data: PointSet, _ p: Parameters, _ f: [DenseCholesky], into r: inout [Double]) -> Double {
        let n = data.count, d = dimension, kk = components
        let logWeights = p.weights.map { $0 > 0 ? log($0) : -Double.infinity }
        let constants = (0..<kk).map { logWeights[$0] - 0.5 * (Double(d) * logTwoPi + f[$0].logDeterminant) }
        var c = [Double](repeating: 0, count: d), y = [Double](repeating: 0, count: d)
        var terms = [Double](repeating: 0, count: kk)
        var total = 0.0
        data.values.withUnsafeBufferPointer { x in
            for i in 0..<n {
                for k in 0..<kk {
                    for j in 0..<d { c[j] = x[i * d + j] - p.means[k][j] }
                    f[k].whiten(c, into: &y)
                    var q = 0.0
                    for v in y { q += v * v }
                    terms[k] = constants[k] - 0.5 * q
                }
                let lse = terms.withUnsafeBufferPointer { logSumExp($0) }
                total += lse
                for k in 0..<kk { r[i * kk + k] = exp(terms[k] - lse) }
            }
        }
        return total / Double(n)
    }

    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> PointSet {
        guard let p = parameters else { preconditionFailure("GaussianMixtureModel.sample before fit") }
        let d = dimension
        var out = [Double](repeating: 0, count: count * d)
        var z = [Double](repeating: 0, count: d), y = [Double](repeating: 0, count: d)
        for i in 0..<count {
            let u = rng.nextUniform()
            var acc = 0.0, k = components - 1
            for j in 0..<components { acc += p.weights[j]; if u < acc { k = j; break } }
            for j in 0..<d { z[j] = Normal.next(using: &rng) }
            factors[k].colour(z, into: &y)
            for j in 0..<d { out[i * d + j] = p.means[k][j] + y[j] }
        }
        return PointSet(dimension: d, values: out)
    }

    /// Mean negative log-likelihood of the held-out real points (nats per point).
    public func evaluate() -> Double {
        guard let test, let p = parameters else { return .nan }
        var r = [Double](repeating: 0, count: test.count * components)
        return -expectation(test, p, factors, into: &r)
    }

    /// `tr Cov(p̂) = Σ_k w_k (tr Σ_k + ‖μ_k‖²) − ‖Σ_k w_k μ_k‖²`.
    public var totalVariance: Double {
        guard let p = parameters else { return .nan }
        let d = dimension
        var overall = [Double](repeating: 0, count: d), s = 0.0
        for k in 0..<components {
            for j in 0..<d {
                overall[j] += p.weights[k] * p.means[k][j]
                s += p.weights[k] * (p.covariances[k][j * d + j] + p.means[k][j] * p.means[k][j])
            }
        }
        return s - overall.reduce(0) { $0 + $1 * $1 }
    }

    /// `min_π Σ_k ‖μ̂_π(k) − μ_k‖²` over matchings of the fitted to the true component means
    /// (all permutations; `K ≤ 8`).
    public func componentMeanError(truth: [[Double]]) -> Double {
        guard let p = parameters else { return .nan }
        precondition(truth.count == components && components <= 8, "componentMeanError: K mismatch or K > 8")
        var cost = [[Double]](repeating: [Double](repeating: 0, count: components), count: components)
        for a in 0..<components {
            for b in 0..<components {
                cost[a][b] = zip(p.means[a], truth[b]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }
        }
        var best = Double.infinity
        var perm = Array(0..<components)
        func search(_ i: Int, _ acc: Double) {
            if acc >= best { return }
            if i == components { best = acc; return }
            for j in i..<components {
                perm.swapAt(i, j)
                search(i + 1, acc + cost[perm[i]][i])
                perm.swapAt(i, j)
            }
        }
        search(0, 0)
        return best
    }
}
