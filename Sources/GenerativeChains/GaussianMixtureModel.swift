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

    public init(
        dimension: Int, components: Int, restarts: Int = 1, maxIterations: Int = 200,
        tolerance: Double = 1e-5, varianceFloor: Double = 1e-6,
        initialisation: Xoshiro256StarStar, test: PointSet? = nil
    ) {
        precondition(
            dimension >= 1 && components >= 1 && restarts >= 1 && maxIterations >= 1,
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
        // One hard assignment to the nearest centre, and its M-step.
        var stats = SufficientStatistics(components: components, dimension: d)
        var r = [Double](repeating: 0, count: components)
        let centre = data.values.withUnsafeBufferPointer { Self.mean($0, n, d) }
        for i in 0..<n {
            var bestK = 0, bestD = Double.infinity
            for (k, c) in centres.enumerated() { let s = sq(i, c); if s < bestD { bestD = s; bestK = k } }
            for k in 0..<components { r[k] = k == bestK ? 1 : 0 }
            x.withUnsafeBufferPointer { stats.add($0.baseAddress! + i * d, centre: centre, responsibilities: r) }
        }
        return maximisation(stats, count: n, centre: centre)
    }

    static func mean(_ x: UnsafeBufferPointer<Double>, _ n: Int, _ d: Int) -> [Double] {
        var m = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { m[j] += x[i * d + j] } }
        return m.map { $0 / Double(n) }
    }

    /// `Σ_i r_ik`, `Σ_i r_ik x̃_i` and `Σ_i r_ik x̃_i x̃_iᵀ` (lower triangle) per component, with
    /// `x̃ = x − c` centred on the data mean `c` (so the M-step's `E[x̃x̃ᵀ] − μ̃μ̃ᵀ` loses no digits
    /// to a large mean).
    struct SufficientStatistics {
        let k: Int, d: Int
        var weight: [Double], first: [Double], second: [Double]
        var scratch: [Double]

        init(components k: Int, dimension d: Int) {
            self.k = k
            self.d = d
            weight = [Double](repeating: 0, count: k)
            first = [Double](repeating: 0, count: k * d)
            second = [Double](repeating: 0, count: k * d * d)
            scratch = [Double](repeating: 0, count: d)
        }

        @inline(__always)
        mutating func add(_ x: UnsafePointer<Double>, centre: [Double], responsibilities r: [Double]) {
            for j in 0..<d { scratch[j] = x[j] - centre[j] }
            for c in 0..<k {
                let w = r[c]
                if w == 0 { continue }
                weight[c] += w
                for j in 0..<d {
                    let wx = w * scratch[j]
                    first[c * d + j] += wx
                    for l in 0...j { second[(c * d + j) * d + l] += wx * scratch[l] }
                }
            }
        }
    }

    /// The M-step from sufficient statistics: `w_k = N_k/n`, `μ_k = c + S1_k/N_k`,
    /// `Σ_k = S2_k/N_k − (S1_k/N_k)(S1_k/N_k)ᵀ + floor·I`. A component with no responsibility
    /// keeps weight 0 and gets the overall mean and covariance.
    func maximisation(_ s: SufficientStatistics, count n: Int, centre: [Double]) -> Parameters {
        let d = dimension, kk = components
        var weights = [Double](repeating: 0, count: kk)
        var means = [[Double]](repeating: [Double](repeating: 0, count: d), count: kk)
        var covs = [[Double]](repeating: [Double](repeating: 0, count: d * d), count: kk)
        func moments(_ w: Double, _ first: (Int) -> Double, _ second: (Int, Int) -> Double) -> ([Double], [Double]) {
            let m = (0..<d).map { first($0) / w }
            var c = [Double](repeating: 0, count: d * d)
            for j in 0..<d { for l in 0...j { let v = second(j, l) / w - m[j] * m[l]; c[j * d + l] = v; c[l * d + j] = v } }
            for j in 0..<d { c[j * d + j] += varianceFloor }
            return (zip(m, centre).map { $0 + $1 }, c)
        }
        for k in 0..<kk {
            weights[k] = s.weight[k] / Double(n)
            if s.weight[k] > 0 {
                (means[k], covs[k]) = moments(s.weight[k], { s.first[k * d + $0] }, { s.second[(k * d + $0) * d + $1] })
            } else {
                let total = s.weight.reduce(0, +)
                (means[k], covs[k]) = moments(
                    total, { j in (0..<kk).reduce(0) { $0 + s.first[$1 * d + j] } },
                    { j, l in (0..<kk).reduce(0) { $0 + s.second[($1 * d + j) * d + l] } })
            }
        }
        return Parameters(weights: weights, means: means, covariances: covs)
    }

    /// EM from `start` until the mean log-likelihood per point rises by less than `tolerance`
    /// (or `maxIterations`); returns the last parameters, their factors, their mean
    /// log-likelihood and the iterations used. Each iteration is one pass over the data: the
    /// E-step's responsibilities go straight into the M-step's sufficient statistics.
    func expectationMaximisation(_ data: PointSet, from start: Parameters) throws
        -> (Parameters, [DenseCholesky], Double, Int)
    {
        let centre = data.values.withUnsafeBufferPointer { Self.mean($0, data.count, dimension) }
        var p = start
        var previous = -Double.infinity
        var iteration = 0
        while true {
            let f = try p.covariances.map { try DenseCholesky($0, dimension: dimension, what: "mixture component covariance") }
            var stats = SufficientStatistics(components: components, dimension: dimension)
            let ll = pass(data, p, f, centre: centre, into: &stats)
            iteration += 1
            // `ll` is the log-likelihood of `p` (EM never lowers it, up to the floor).
            if ll - previous < tolerance || iteration >= maxIterations { return (p, f, ll, iteration) }
            previous = ll
            p = maximisation(stats, count: data.count, centre: centre)
        }
    }

    /// One E-step pass: the mean log-likelihood per point under `p`, with the responsibilities
    /// `r_ik ∝ w_k N(x_i; μ_k, Σ_k)` (by log-sum-exp) added into `stats` when given.
    func pass(
        _ data: PointSet, _ p: Parameters, _ f: [DenseCholesky], centre: [Double],
        into stats: inout SufficientStatistics
    ) -> Double {
        passCore(data, p, f, centre: centre, stats: &stats, accumulate: true)
    }

    func passCore(
        _ data: PointSet, _ p: Parameters, _ f: [DenseCholesky], centre: [Double],
        stats: inout SufficientStatistics, accumulate: Bool
    ) -> Double {
        let n = data.count, d = dimension, kk = components
        let constants = (0..<kk).map { k in
            (p.weights[k] > 0 ? log(p.weights[k]) : -Double.infinity) - 0.5 * (Double(d) * logTwoPi + f[k].logDeterminant)
        }
        // Per component the inverse factor L_k⁻¹ (lower, row-major) and b_k = L_k⁻¹μ_k, so that
        // the whitened residual is L_k⁻¹x − b_k: d(d+1)/2 multiplications per point and component.
        var inverse = [Double](repeating: 0, count: kk * d * d), shift = [Double](repeating: 0, count: kk * d)
        for k in 0..<kk {
            var e = [Double](repeating: 0, count: d), col = [Double](repeating: 0, count: d)
            for j in 0..<d {
                for i in 0..<d { e[i] = i == j ? 1 : 0 }
                f[k].whiten(e, into: &col)
                for i in 0..<d { inverse[(k * d + i) * d + j] = col[i] }
            }
            f[k].whiten(p.means[k], into: &col)
            for i in 0..<d { shift[k * d + i] = col[i] }
        }
        var terms = [Double](repeating: 0, count: kk), centred = [Double](repeating: 0, count: d)
        var total = 0.0
        data.values.withUnsafeBufferPointer { x in
            inverse.withUnsafeBufferPointer { li in
                shift.withUnsafeBufferPointer { b in
                    constants.withUnsafeBufferPointer { c0 in
                        terms.withUnsafeMutableBufferPointer { t in
                            centred.withUnsafeMutableBufferPointer { xc in
                                stats.weight.withUnsafeMutableBufferPointer { sw in
                                    stats.first.withUnsafeMutableBufferPointer { s1 in
                                        stats.second.withUnsafeMutableBufferPointer { s2 in
                                            for i in 0..<n {
                                                let xi = x.baseAddress! + i * d
                                                var m = -Double.infinity
                                                for k in 0..<kk {
                                                    var q = 0.0
                                                    let l = li.baseAddress! + k * d * d
                                                    for r in 0..<d {
                                                        var y = -b[k * d + r]
                                                        for j in 0...r { y += l[r * d + j] * xi[j] }
                                                        q += y * y
                                                    }
                                                    let v = c0[k] - 0.5 * q
                                                    t[k] = v
                                                    m = v > m ? v : m
                                                }
                                                // log-sum-exp, reusing e^(t_k − max) for the responsibilities.
                                                var sum = 0.0
                                                for k in 0..<kk { t[k] = expNonPositive(t[k] - m); sum += t[k] }
                                                total += m + log(sum)
                                                guard accumulate else { continue }
                                                let inv = 1 / sum
                                                for j in 0..<d { xc[j] = xi[j] - centre[j] }
                                                for k in 0..<kk {
                                                    let w = t[k] * inv
                                                    sw[k] += w
                                                    for j in 0..<d {
                                                        let wx = w * xc[j]
                                                        s1[k * d + j] += wx
                                                        for l in 0...j { s2[(k * d + j) * d + l] += wx * xc[l] }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
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
        var unused = SufficientStatistics(components: components, dimension: dimension)
        return -passCore(test, p, factors, centre: [Double](repeating: 0, count: dimension), stats: &unused, accumulate: false)
    }

    /// `tr Cov(p̂) = Σ_k w_k (tr Σ_k + ‖μ_k − μ̄‖²)`, `μ̄ = Σ_k w_k μ_k` (the law of total
    /// variance). Centring on `μ̄` before squaring keeps every term non-negative: the equal
    /// `Σ_k w_k(tr Σ_k + ‖μ_k‖²) − ‖μ̄‖²` cancels catastrophically for data far from the origin.
    public var totalVariance: Double {
        guard let p = parameters else { return .nan }
        let d = dimension
        var overall = [Double](repeating: 0, count: d)
        for k in 0..<components { for j in 0..<d { overall[j] += p.weights[k] * p.means[k][j] } }
        var s = 0.0
        for k in 0..<components {
            for j in 0..<d {
                let u = p.means[k][j] - overall[j]
                s += p.weights[k] * (p.covariances[k][j * d + j] + u * u)
            }
        }
        return s
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
