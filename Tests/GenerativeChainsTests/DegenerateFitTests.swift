import CollapseCore
import CollapseTheory
import Foundation
import GenerativeChains
import Randomness
import XCTest

/// Collapsed fits are states of the chain, not errors: a singular covariance is sampled through
/// a symmetric root, reported, and scored NLL = +∞; only non-finite numbers are errors. Also the
/// numerics that must survive data far from the origin, CRLF files and large vocabularies.
final class DegenerateFitTests: XCTestCase {
    /// `B·Bᵀ` of a row-major `d×d` root, from its colouring of the unit vectors.
    func product(_ root: CovarianceRoot) -> [Double] {
        let d = root.dimension
        var columns = [[Double]]()
        for k in 0..<d {
            var e = [Double](repeating: 0, count: d), y = e
            e[k] = 1
            root.colour(e, into: &y)
            columns.append(y)  // column k of B
        }
        var a = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { for k in 0..<d { a[i * d + j] += columns[k][i] * columns[k][j] } } }
        return a
    }

    func testCovarianceRootUsesCholeskyWhenPositiveDefiniteAndAClampedRootOtherwise() throws {
        // Positive definite: exactly the Cholesky path.
        let pd: [Double] = [4, 2, 2, 3]
        let root = try CovarianceRoot(pd, dimension: 2)
        let chol = try DenseCholesky(pd, dimension: 2)
        XCTAssertEqual(root.cholesky, chol)
        XCTAssertFalse(root.isSingular)
        XCTAssertEqual(root.logDeterminant, chol.logDeterminant)
        var y1 = [0.0, 0.0], y2 = [0.0, 0.0]
        root.colour([0.3, -1.7], into: &y1)
        chol.colour([0.3, -1.7], into: &y2)
        XCTAssertEqual(y1, y2)
        // Rank 1 (and rank 1 with a negative round-off eigenvalue −1e-12): B·Bᵀ reproduces the
        // nearest PSD matrix, the density is singular.
        let off = 1 + 1e-12, half = 1 + 5e-13
        let cases: [([Double], [Double])] = [
            ([1, 1, 1, 1], [1, 1, 1, 1]),
            ([1, off, off, 1], [half, half, half, half]),
            ([0, 0, 0, 0], [0, 0, 0, 0])
        ]
        for (a, target) in cases {
            let r = try CovarianceRoot(a, dimension: 2)
            XCTAssertTrue(r.isSingular, "\(a)")
            XCTAssertEqual(r.logDeterminant, -.infinity)
            for (u, v) in zip(product(r), target) { XCTAssertEqual(u, v, accuracy: 1e-14, "\(a)") }
        }
        // A huge, nearly rank-1 matrix (the exploding Scott kernel): Cholesky's last pivot is
        // negative round-off; the root still reproduces it to relative round-off.
        let big: [Double] = [1e30, 1e30 * (1 + 1e-15), 1e30 * (1 + 1e-15), 1e30]
        let rb = try CovarianceRoot(big, dimension: 2)
        for (u, v) in zip(product(rb), big) { XCTAssertEqual(u, v, accuracy: 1e-13 * 1e30) }
        // Non-finite entries stay errors.
        XCTAssertThrowsError(try CovarianceRoot([1, .nan, .nan, 1], dimension: 2)) {
            XCTAssertEqual($0 as? GenerativeFitError, .nonFinite(what: "covariance"))
        }
    }

    /// A KDE (Scott) fit to collinear points has a rank-1 kernel: it samples on the line,
    /// reports tr Σ̂_MLE + tr H, and scores the held-out points NLL = +∞.
    func testKernelDensityOnCollinearPointsIsSingularNotAnError() throws {
        let xs: [Double] = [0, 1, 2, 3, 4, 5]
        let data = PointSet(dimension: 2, values: xs.flatMap { [$0, 2 * $0 + 1] })
        var kde = KernelDensityModel(dimension: 2, bandwidth: .scott, test: PointSet(dimension: 2, values: [1, 3, 0, 0]))
        try kde.fit(data)
        XCTAssertEqual(kde.kernel?.isSingular, true)
        XCTAssertEqual(kde.evaluate(), .infinity)
        // tr Σ̂_MLE = (1 + 4)·var(x) with var(x) = 35/12; H = f²·(n/(n−1))·Σ̂_MLE.
        let f = KernelDensityModel.Bandwidth.scott.factor(count: 6, dimension: 2)
        let trace = 5 * 35.0 / 12
        XCTAssertEqual(kde.totalVariance, trace * (1 + f * f * 6 / 5), accuracy: 1e-12)
        var rng = Xoshiro256StarStar(seed: 5)
        let s = kde.sample(count: 50, using: &rng)
        for i in 0..<50 { XCTAssertEqual(s.values[2 * i + 1], 2 * s.values[2 * i] + 1, accuracy: 1e-12) }
    }

    func run(
        _ model: GenerativeModelSpec, _ dataset: GenerativeDataset, samples: Int, generations: Int,
        threads: Int
    ) throws -> [GenerativeResultRow] {
        try GenerativeExperiment(
            model: model, dataset: dataset, samples: samples, testSize: 10, generations: generations,
            regimes: [.replace], repeats: 4, seed: 1, threads: threads
        ).run()
    }

    /// The reviewer's reproductions, which used to abort the whole run: collapsed Gaussian
    /// chains (d = 2, T = 10, 1000 generations; T = 3, 200 generations; d = 1, T = 20, 5000
    /// generations, where the spread falls below the ulp of the mean and Σ̂ is exactly 0) and
    /// the Scott KDE on moons whose kernel explodes to near rank 1. They run, give the same
    /// rows for 1 and 3 threads, keep total variance finite and ≥ 0, and score NLL = +∞ (with
    /// no standard error) once a replicate's fit is singular; collapsed Gaussians end singular.
    func testCollapsedChainsRunToTheEndIdenticallyForAnyThreadCount() throws {
        let cases: [(GenerativeModelSpec, GenerativeDataset, Int, Int)] = [
            (.gaussian(.mle), .points(.gaussian, dimension: 2), 10, 1000),
            (.gaussian(.mle), .points(.gaussian, dimension: 2), 3, 200),
            (.gaussian(.mle), .points(.gaussian, dimension: 1), 20, 5000),
            (.kde(.scott), .points(.moons, dimension: 2), 20, 500)
        ]
        for (model, dataset, t, g) in cases {
            let name = "\(model.name) \(dataset.name) T=\(t) N=\(g)"
            let one = try run(model, dataset, samples: t, generations: g, threads: 1)
            let three = try run(model, dataset, samples: t, generations: g, threads: 3)
            XCTAssertEqual(one.count, three.count, name)
            for (a, b) in zip(one, three) {
                XCTAssertEqual(a.mean.bitPattern, b.mean.bitPattern, "\(name) \(a.metric) n=\(a.generation)")
                XCTAssertEqual(a.standardError.bitPattern, b.standardError.bitPattern, "\(name) \(a.metric) n=\(a.generation)")
            }
            let variance = one.filter { $0.metric == "total_variance" }
            XCTAssertEqual(variance.count, g)
            XCTAssertTrue(variance.allSatisfy { $0.mean.isFinite && $0.mean >= 0 }, name)
            // The NLL is finite, or +∞ (a singular fit in some replicate) with no standard error.
            for r in one where r.metric == "nll" {
                XCTAssertTrue(r.mean.isFinite || (r.mean == .infinity && r.standardError.isNaN), "\(name) n=\(r.generation)")
            }
            // A collapsed Gaussian is absorbing: Σ̂ shrinks by e^(E log χ²_{T−1}/T) ≤ e^(−0.1) per
            // generation (T ≤ 20) until the spread is below the ulp of the mean and Σ̂ = 0, so by
            // the last generation every replicate's fit is singular.
            if case .gaussian = model {
                let last = try XCTUnwrap(one.first { $0.metric == "nll" && $0.generation == g })
                XCTAssertEqual(last.mean, .infinity, name)
            }
        }
    }

    /// The law of total variance centred on the mixture mean: for data 1e8 from the origin the
    /// uncentred Σw(tr Σ_k + ‖μ_k‖²) − ‖Σwμ_k‖² loses every digit (ulp(2·10¹⁶) = 4). After an
    /// M-step Σ_k w_k μ_k = x̄ and Σ_k w_k(Σ_k − floor·I + μ_kμ_kᵀ) = (1/n)Σ_i x_i x_iᵀ exactly
    /// (the responsibilities sum to 1 per point), so the fit's total variance equals the data's
    /// tr Σ̂_MLE + d·floor for any K; the slack covers rounding μ_k to the ulp of 1e8 (1.5e-8).
    func testMixtureTotalVarianceSurvivesDataFarFromTheOrigin() throws {
        var rng = Xoshiro256StarStar(seed: 8)
        let base = SyntheticPoints.blobs.draw(count: 600, dimension: 2, using: &rng)
        let data = PointSet(dimension: 2, values: base.values.map { $0 + 1e8 })
        let n = Double(data.count)
        var mean = [0.0, 0.0]
        for i in 0..<data.count { for j in 0..<2 { mean[j] += data.values[2 * i + j] / n } }
        var trace = 0.0
        for i in 0..<data.count { for j in 0..<2 { let u = data.values[2 * i + j] - mean[j]; trace += u * u / n } }
        for k in 1...3 {
            var gmm = GaussianMixtureModel(
                dimension: 2, components: k, varianceFloor: 1e-6,
                initialisation: Xoshiro256StarStar(seed: 9))
            try gmm.fit(data)
            XCTAssertEqual(gmm.totalVariance, trace + 2e-6, accuracy: 1e-6 * trace, "K = \(k)")
        }
    }

    func testCRLFFilesAreReadAndMessagesStayOnOneLine() throws {
        let p = try UserData.points(csv: "x,y\r\n1,2\r\n# note\r\n\r\n3, 4.5\r\n", file: "a.csv")
        XCTAssertEqual(p, PointSet(dimension: 2, values: [1, 2, 3, 4.5]))
        XCTAssertThrowsError(try UserData.points(csv: "1,2\r\n3,x\ty\r\n", file: "a.csv")) {
            XCTAssertEqual("\($0)", "a.csv:2: field 2 'x\\u{9}y' is not a number; expected comma-separated numbers")
        }
        XCTAssertThrowsError(try UserData.points(csv: "1,2\r3,4\r5,x\r", file: "a.csv")) {  // old Mac CR-only
            XCTAssertEqual("\($0)", "a.csv:3: field 2 'x' is not a number; expected comma-separated numbers")
        }
        let (s, v) = try UserData.corpus("the cat\r\nsat the\r\n", length: 2, file: "c.txt")
        XCTAssertEqual(v, ["the", "cat", "sat"])
        XCTAssertEqual(s, TokenSequences([[0, 1], [2, 0]]))
    }

    /// Order 1 has one context: its table is V counts (not (V+1)·V), so a large vocabulary fits,
    /// and its entropy is H(p̂).
    func testUnigramTableIsTheVocabulary() throws {
        XCTAssertEqual(NGramModel.tableSize(order: 1, vocabulary: 3_000_000), 3_000_000)
        XCTAssertEqual(NGramModel.tableSize(order: 2, vocabulary: 10), 110)
        XCTAssertEqual(NGramModel.tableSize(order: 3, vocabulary: 10), 1210)
        let v = 1_000_000
        var m = NGramModel(order: 1, vocabulary: v, smoothing: 0, sequenceLength: 4)
        try m.fit(TokenSequences([[0, 1, 1, 999_999], [1, 2, 2, 2]]))
        // p̂ = (1, 3, 3, 1)/8 on tokens 0, 1, 2, 999999.
        let h = -(2 * (1.0 / 8) * log(1.0 / 8) + 2 * (3.0 / 8) * log(3.0 / 8))
        XCTAssertEqual(m.entropy, h, accuracy: 1e-14)
        XCTAssertEqual(m.supportSize, 4)
    }
}
