import LinearAlgebra
import Randomness

/// The exact risk curve of a fixed-design linear chain, without Monte Carlo (proof E1).
///
/// Every fit of the chain is an affine function of `w*` and the Gaussian noises, and all the
/// maps are functions of `G = XᵀX = V·diag(g)·Vᵀ`; in the coordinates `a = Vᵀŵ` each
/// coordinate evolves on its own, with independent noise `ε_{k,i} ~ N(0, σ²g_i)`:
/// - replace, ridge `λ` (min-norm at `λ = 0`): `a_n = s·a_{n−1} + ε_n/(g + λ)`, `s = g/(g + λ)`,
///   `a_0 = a*`;
/// - accumulate (one penalty on the stacked data): `a_1 = s·a* + ε_1/(g + λ)`,
///   `a_n = a_{n−1} + ε_n/(n·g + λ)`;
/// - discounted accumulation (weight `γ` on each older generation; γ = 1 accumulate, 0 replace):
///   `A_1 = g·a* + ε_1`, `A_n = (γ + g/(g·W_{n−1} + λ))·A_{n−1} + ε_n`, `W_n = γW_{n−1} + 1`,
///   `a_n = A_n/(g·W_n + λ)`.
/// With `Σ = I`, `E‖ŵ_n − w*‖² = Σ_i (E a_{n,i} − a*_i)² + Var a_{n,i}`. Cost: one
/// eigendecomposition, then O(n·d) for the whole curve.
public struct ExactPropagation: Sendable {
    public enum Scheme: Sendable, Equatable {
        case replace
        case accumulate
        /// Older generations weighted by `γ^{age}`, `0 ≤ γ ≤ 1`.
        case discounted(gamma: Double)
    }

    let g: [Double]
    let aStar: [Double]
    /// `V`, the eigenvectors of `G` (columns).
    let vectors: Matrix
    public let noiseVariance: Double
    public let ridge: Double

    /// Peak working memory, in bytes, of the exact propagation of a `samples × dimension` design
    /// with the fresh-real scheme (the larger): the design, and about eight `d × d` matrices
    /// (Gram matrices, eigenvectors, the projected blocks and their products).
    public static func estimatedBytes(dimension d: Int, samples t: Int) -> Double {
        8 * (Double(t) * Double(d) + 8 * Double(d) * Double(d))
    }

    /// Eigenvalues of `G` below `max(T, d)·ε·max g` are treated as 0 (the min-norm null space).
    public init(design: Matrix, truth: [Double], noiseVariance: Double, ridge: Double) throws {
        precondition(truth.count == design.columns, "truth has \(truth.count) entries, design \(design.columns) columns")
        precondition(noiseVariance >= 0 && ridge >= 0 && ridge.isFinite, "need σ² ≥ 0 and λ ≥ 0")
        self.init(eigen: try SymmetricEigen(DesignProducts.gram(design)), rows: design.rows, truth: truth, noiseVariance: noiseVariance, ridge: ridge)
    }

    /// The same from the eigendecomposition of `G = XᵀX` of a design with `rows` rows (a
    /// simulator that has factorised `G` already).
    init(eigen: SymmetricEigen, rows: Int, truth: [Double], noiseVariance: Double, ridge: Double) {
        precondition(truth.count == eigen.values.count, "truth has \(truth.count) entries, Gram matrix \(eigen.values.count) rows")
        precondition(noiseVariance >= 0 && ridge >= 0 && ridge.isFinite, "need σ² ≥ 0 and λ ≥ 0")
        let cutoff = Self.nullCutoff(eigen: eigen, rows: rows)
        g = eigen.values.map { $0 > cutoff ? $0 : 0 }
        aStar = BLAS.multiply(eigen.vectors, truth, transpose: true)
        vectors = eigen.vectors
        self.noiseVariance = noiseVariance
        self.ridge = ridge
    }

    /// Eigenvalues of `G` at or below `max(T, d)·ε·max g` count as 0.
    static func nullCutoff(eigen: SymmetricEigen, rows: Int) -> Double {
        Double(max(rows, eigen.values.count)) * Double.ulpOfOne * (eigen.values.max() ?? 0)
    }

    /// `E‖ŵ_n − w*‖²` for `n = 1 … generations`.
    public func testErrorCurve(_ scheme: Scheme, generations: Int) -> [Double] {
        precondition(generations >= 1, "generations must be ≥ 1")
        var curve = [Double](repeating: 0, count: generations)
        for i in g.indices {
            let a = aStar[i]
            coordinateMoments(i, scheme, generations: generations) { n, mean, variance in
                curve[n] += (mean - a) * (mean - a) + variance
            }
        }
        return curve
    }

    /// The mean `E a_{n,i}` and variance `Var a_{n,i}` of coordinate `i` of `Vᵀŵ_n`, for
    /// `n = 1 … generations` in order (`body(n − 1, mean, variance)`); the coordinates are
    /// independent given `X` and `w*` (proof E1).
    func coordinateMoments(_ i: Int, _ scheme: Scheme, generations: Int, _ body: (Int, Double, Double) -> Void) {
        let s2 = noiseVariance, lambda = ridge
        let gi = g[i], a = aStar[i]
        if gi == 0 {
            // Unlearnable direction: the fit stays 0 (min-norm, or ridge shrinks it to 0).
            for n in 0..<generations { body(n, 0, 0) }
            return
        }
        switch scheme {
        case .replace:
            let s = gi / (gi + lambda), noise = s2 * gi / ((gi + lambda) * (gi + lambda))
            var mean = a, variance = 0.0
            for n in 0..<generations {
                mean *= s
                variance = s * s * variance + noise
                body(n, mean, variance)
            }
        case .accumulate:
            let mean = gi / (gi + lambda) * a
            var variance = 0.0
            for n in 0..<generations {
                let denominator = Double(n + 1) * gi + lambda
                variance += s2 * gi / (denominator * denominator)
                body(n, mean, variance)
            }
        case let .discounted(gamma):
            var weight = 1.0, meanA = gi * a, varA = s2 * gi
            for n in 0..<generations {
                if n > 0 {
                    let c = gamma + gi / (gi * weight + lambda)
                    meanA *= c
                    varA = c * c * varA + s2 * gi
                    weight = gamma * weight + 1
                }
                let denominator = gi * weight + lambda
                body(n, meanA / denominator, varA / (denominator * denominator))
            }
        }
    }

    /// The exact conditional mean and variance of the test error `‖ŵ_n − w*‖²_Σ` given `X` and
    /// `w*`, for `n = 1 … generations`, where the rows of `X` are `N(0, Σ)` with
    /// `Σ = diag(covariance)` (nil: `Σ = I`).
    ///
    /// Given `X, w*`, `u = Vᵀŵ_n − a*` is Gaussian with independent coordinates, mean `μ` and
    /// variances `c` (`coordinateMoments`), and the error is the quadratic form `uᵀMu` with
    /// `M = VᵀΣV`; so (F4 and the Gaussian fourth moments)
    /// `mean = μᵀMμ + Σ_i M_ii c_i`, `variance = 2Σ_{ij} M_ij² c_i c_j + 4Σ_i c_i (Mμ)_i²`
    /// (`M = I`: `Σ_i μ_i² + c_i` and `Σ_i 2c_i² + 4c_iμ_i²`, proof L2's form). Cost
    /// `O(d³)` for `M`, then `O(d²)` per generation.
    public func testErrorMoments(_ scheme: Scheme, generations: Int, covariance: [Double]? = nil) -> (mean: [Double], variance: [Double]) {
        precondition(generations >= 1, "generations must be ≥ 1")
        let d = g.count
        precondition(
            covariance.map { $0.count == d && $0.allSatisfy { $0 >= 0 && $0.isFinite } } ?? true,
            "covariance needs \(d) finite entries ≥ 0")
        // μ and c per generation, d values each.
        var mu = [Double](repeating: 0, count: generations * d), c = mu
        for i in 0..<d {
            let a = aStar[i]
            coordinateMoments(i, scheme, generations: generations) { n, mean, variance in
                mu[n * d + i] = mean - a
                c[n * d + i] = variance
            }
        }
        var means = [Double](repeating: 0, count: generations), variances = means
        guard let covariance else {
            for n in 0..<generations {
                for i in 0..<d {
                    let m = mu[n * d + i], v = c[n * d + i]
                    means[n] += m * m + v
                    variances[n] += 2 * v * v + 4 * v * m * m
                }
            }
            return (means, variances)
        }
        // M = VᵀΣV = UᵀU with U = diag(√s)·V.
        var u = vectors
        for j in 0..<d { let r = covariance[j].squareRoot(); for i in 0..<d { u[j, i] *= r } }
        let m = DesignProducts.gram(u)
        for n in 0..<generations {
            let muN = Array(mu[(n * d)..<((n + 1) * d)]), cN = Array(c[(n * d)..<((n + 1) * d)])
            let mMu = BLAS.multiply(m, muN)
            var mean = 0.0, variance = 0.0
            for i in 0..<d {
                mean += muN[i] * mMu[i] + m[i, i] * cN[i]
                variance += 4 * cN[i] * mMu[i] * mMu[i]
                guard cN[i] > 0 else { continue }
                for j in 0..<d { let q = m[i, j]; variance += 2 * q * q * cN[i] * cN[j] }
            }
            means[n] = mean
            variances[n] = variance
        }
        return (means, variances)
    }
}

/// Literal ridge refits on a fixed design (the Monte Carlo side of proof E1): each generation
/// forms the labels `y = Xŵ + E` explicitly and solves the normal equations
/// `(c·G + λI)ŵ = Σ_j γ^{age}Xᵀy_j` (min-norm when singular) through one eigendecomposition of
/// `G` shared by all replicates: O(T·d + d²) per generation. With `freshRealRows = m > 0`
/// (replace only) rows `0..<m` are relabelled `Xw* + E` every generation: the fresh-real chain
/// of `FreshRealPropagation`.
public struct RidgeChainSimulator: Sendable {
    public let design: Matrix
    public let truth: [Double]
    public let noiseVariance: Double
    public let ridge: Double
    public let scheme: ExactPropagation.Scheme
    public let freshRealRows: Int
    let eigen: SymmetricEigen
    let cutoff: Double

    public init(
        design: Matrix, truth: [Double], noiseVariance: Double, ridge: Double, scheme: ExactPropagation.Scheme,
        freshRealRows: Int = 0
    ) throws {
        precondition(freshRealRows >= 0 && freshRealRows <= design.rows, "freshRealRows must be in 0...T")
        precondition(freshRealRows == 0 || scheme == .replace, "fresh real rows are defined for the replace scheme only")
        self.design = design; self.truth = truth; self.noiseVariance = noiseVariance; self.ridge = ridge; self.scheme = scheme
        self.freshRealRows = freshRealRows
        eigen = try SymmetricEigen(DesignProducts.gram(design))
        cutoff = Double(max(design.rows, design.columns)) * Double.ulpOfOne * (eigen.values.max() ?? 0)
    }

    /// `(c·G + λI)⁺ b`.
    func solve(scale c: Double, _ b: [Double]) -> [Double] {
        let d = design.columns
        let coordinates = BLAS.multiply(eigen.vectors, b, transpose: true)
        var scaled = [Double](repeating: 0, count: d)
        for i in 0..<d {
            let g = eigen.values[i] > cutoff ? eigen.values[i] : 0
            let denominator = c * g + ridge
            scaled[i] = denominator > 0 ? coordinates[i] / denominator : 0
        }
        return BLAS.multiply(eigen.vectors, scaled)
    }

    public func run<G: RandomNumberGenerator>(generations: Int, rng: inout G, errors: UnsafeMutableBufferPointer<Double>) throws {
        let t = design.rows, d = design.columns
        let gamma: Double
        switch scheme {
        case .replace: gamma = 0
        case .accumulate: gamma = 1
        case let .discounted(value): gamma = value
        }
        var w = truth
        let realMean = BLAS.multiply(design, truth)
        var weightedSum = [Double](repeating: 0, count: d)  // Σ γ^{age} Xᵀy_j
        var weight = 0.0
        for n in 1...generations {
            var y = BLAS.multiply(design, w)
            let noise = Normal.array(count: t, scale: noiseVariance.squareRoot(), using: &rng)
            for i in 0..<freshRealRows { y[i] = realMean[i] }
            for i in 0..<t { y[i] += noise[i] }
            let h = BLAS.multiply(design, y, transpose: true)
            weight = gamma * weight + 1
            for j in 0..<d { weightedSum[j] = gamma * weightedSum[j] + h[j] }
            w = solve(scale: weight, weightedSum)
            var e = 0.0
            for j in 0..<d { e += (w[j] - truth[j]) * (w[j] - truth[j]) }
            errors[n - 1] = e
        }
    }
}
