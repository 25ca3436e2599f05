import CollapseTheory
import Foundation
import GenerativeChains
import Randomness
import XCTest

/// moons, circles and blobs are scikit-learn's `make_moons`, `make_circles` and `make_blobs`
/// (scikit-learn 1.x, `sklearn/datasets/_samples_generator.py`): the noise-free design exactly,
/// and the noise, blob spread and centre box at a false-alarm probability of 10⁻⁶ per check
/// (z = 4.89, two-sided). Without scikit-learn; `scripts/sklearn-datasets.py` compares with
/// scikit-learn itself (`ScikitLearnAgreementTests`).
final class ScikitLearnDatasetTests: XCTestCase {
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func sorted(_ v: [Double], _ d: Int) -> [[Double]] {
        stride(from: 0, to: v.count, by: d).map { Array(v[$0..<$0 + d]) }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// make_moons(n): n_out = ⌊n/2⌋ points (cos t, sin t) and n − n_out points
    /// (1 − cos t, ½ − sin t), t = linspace(0, π) with both ends; make_circles(n, factor):
    /// t = linspace(0, 2π, endpoint=False), inner radius `factor`. With no noise a draw is a
    /// shuffle of that design.
    func testNoiseFreeDrawsAreTheDesignShuffled() {
        for n in [1, 2, 3, 10, 101] {
            let out = n / 2, inner = n - out
            func lin(_ m: Int, _ stop: Double, endpoint: Bool) -> [Double] {
                (0..<m).map { endpoint ? (m == 1 ? 0 : stop * Double($0) / Double(m - 1)) : stop * Double($0) / Double(m) }
            }
            var moons: [Double] = [], circles: [Double] = []
            for t in lin(out, .pi, endpoint: true) { moons += [cos(t), sin(t)] }
            for t in lin(inner, .pi, endpoint: true) { moons += [1 - cos(t), 0.5 - sin(t)] }
            for t in lin(out, 2 * .pi, endpoint: false) { circles += [cos(t), sin(t)] }
            for t in lin(inner, 2 * .pi, endpoint: false) { circles += [0.3 * cos(t), 0.3 * sin(t)] }
            let o = PointOptions(factor: 0.3)
            for (p, expected) in [(SyntheticPoints.moons, moons), (.circles, circles)] {
                let design = p.design(count: n, dimension: 2, options: o)
                XCTAssertEqual(design.count, 2 * n)
                for (a, b) in zip(design, expected) { XCTAssertEqual(a, b, accuracy: 1e-15, "\(p) n=\(n)") }
                var rng = Xoshiro256StarStar(seed: 4, stream: [UInt64(n)])
                let drawn = p.draw(count: n, dimension: 2, options: o, using: &rng)
                XCTAssertEqual(sorted(drawn.values, 2), sorted(design, 2), "\(p) n=\(n)")
            }
        }
        // The last moon angle is π exactly (numpy's linspace sets the end point).
        XCTAssertEqual(SyntheticPoints.moons.design(count: 10, dimension: 2)[8], cos(Double.pi))
        // make_blobs splits n as evenly as possible, the first n mod K centres one more.
        XCTAssertEqual(SyntheticPoints.blobSizes(count: 11, centers: 3), [4, 4, 3])
        XCTAssertEqual(SyntheticPoints.blobSizes(count: 2, centers: 3), [1, 1, 0])
    }

    /// The noise is N(0, σ²) on every coordinate, independent of the design: at n = 20 with
    /// σ = 0.01 every point lies within 4σ·√2 < half the design spacing of its own design
    /// point (a miss has probability < 10⁻¹⁰ per point), so each design point is matched once
    /// and the 2n residuals per draw are the noise. Over 300 draws the residuals' mean is within
    /// z·σ/√N of 0 and their mean square within z·σ²√(2/N) of σ².
    func testNoiseIsGaussianWithTheGivenStandardDeviation() {
        let sigma = 0.01, n = 20, draws = 300
        for p in [SyntheticPoints.moons, .circles] {
            let o = PointOptions(noise: sigma, factor: 0.5)
            let design = sorted(p.design(count: n, dimension: 2, options: o), 2)
            var residuals: [Double] = []
            for s in 0..<draws {
                var rng = Xoshiro256StarStar(seed: 9, stream: [UInt64(s)])
                let x = p.draw(count: n, dimension: 2, options: o, using: &rng)
                var used = Set<Int>()
                for i in 0..<n {
                    let (k, _) = design.enumerated().map { ($0.offset, hypot($0.element[0] - x.values[2 * i], $0.element[1] - x.values[2 * i + 1])) }
                        .min { $0.1 < $1.1 }!
                    XCTAssertTrue(used.insert(k).inserted, "\(p): design point \(k) matched twice")
                    residuals += [x.values[2 * i] - design[k][0], x.values[2 * i + 1] - design[k][1]]
                }
            }
            let m = Double(residuals.count)
            let mean = residuals.reduce(0, +) / m, square = residuals.reduce(0) { $0 + $1 * $1 } / m
            XCTAssertEqual(mean, 0, accuracy: z * sigma / m.squareRoot(), "\(p)")
            XCTAssertEqual(square, sigma * sigma, accuracy: z * sigma * sigma * (2 / m).squareRoot(), "\(p)")
        }
    }

    /// make_blobs: each point is its centre plus N(0, cluster_std²·I). With one centre a draw of
    /// 4000 points in 3-D is i.i.d. N(c, s²I): each coordinate's mean within z·s/√n of c_j and
    /// its mean square about c_j within z·s²√(2/n) of s². Every centre lies in the box, and the
    /// 300 coordinates of 100 centres pass a Kolmogorov–Smirnov test of uniformity on the box
    /// (D < 1.949/√300, false alarm ≤ 10⁻³ by the asymptotic Kolmogorov law; the seed is fixed).
    func testBlobsAreTheirCentresPlusClusterNoiseAndCentresAreUniformInTheBox() {
        let s = 2.5, n = 4000
        let o = PointOptions(centers: 1, clusterSD: s, centerLow: -3, centerHigh: 7)
        let c = SyntheticPoints.blobCentres(o, dimension: 3)[0]
        var rng = Xoshiro256StarStar(seed: 12)
        let x = SyntheticPoints.blobs.draw(count: n, dimension: 3, options: o, using: &rng)
        XCTAssertEqual(x.dimension, 3)
        for j in 0..<3 {
            let col = (0..<n).map { x.values[3 * $0 + j] - c[j] }
            XCTAssertEqual(col.reduce(0, +) / Double(n), 0, accuracy: z * s / Double(n).squareRoot())
            XCTAssertEqual(col.reduce(0) { $0 + $1 * $1 } / Double(n), s * s, accuracy: z * s * s * (2 / Double(n)).squareRoot())
        }
        let many = PointOptions(centers: 100, centerLow: -10, centerHigh: 10)
        let u = SyntheticPoints.blobCentres(many, dimension: 3).flatMap { $0 }.map { ($0 + 10) / 20 }.sorted()
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let d = u.enumerated().map { max(Double($0.offset + 1) / Double(u.count) - $0.element, $0.element - Double($0.offset) / Double(u.count)) }.max()!
        XCTAssertLessThan(d, 1.949 / Double(u.count).squareRoot())
        // The centres are fixed by the options, not by the run: the same in every call.
        XCTAssertEqual(SyntheticPoints.blobCentres(.init(), dimension: 2), SyntheticPoints.blobCentres(.init(), dimension: 2))
        XCTAssertNotEqual(SyntheticPoints.blobCentres(.init(), dimension: 2), SyntheticPoints.blobCentres(.init(centers: 4), dimension: 2).prefix(3).map { $0 })
    }

    /// `--dataset gaussian --variance v`: N(0, vI); its truth says so.
    func testIsotropicGaussian() throws {
        let v = 3.0, n = 5000
        var rng = Xoshiro256StarStar(seed: 5)
        let x = SyntheticPoints.gaussian.draw(count: n, dimension: 2, options: .init(variance: v), using: &rng)
        let square = x.values.reduce(0) { $0 + $1 * $1 } / Double(2 * n)
        XCTAssertEqual(square, v, accuracy: z * v * (2 / Double(2 * n)).squareRoot())
        var cross = 0.0
        for i in 0..<n { cross += x.values[2 * i] * x.values[2 * i + 1] / Double(n) }
        XCTAssertEqual(cross, 0, accuracy: z * v / Double(n).squareRoot())
        let truth = try XCTUnwrap(SyntheticPoints.gaussian.truth(dimension: 2, options: .init(variance: v), count: n))
        XCTAssertEqual(truth.covariance, [v, 0, 0, v])
        XCTAssertTrue(truth.isGaussian)
    }

    /// A design's truth: mean the design's, covariance S_D/(n − 1) + σ²I, E‖X̄ − D̄‖² = dσ²/n.
    func testDesignTruthIsTheDesignsMoments() throws {
        let n = 7, o = PointOptions(noise: 0.2)
        let t = try XCTUnwrap(SyntheticPoints.moons.truth(dimension: 2, options: o, count: n))
        let x = SyntheticPoints.moons.design(count: n, dimension: 2)
        var mx = 0.0, my = 0.0
        for i in 0..<n { mx += x[2 * i] / 7; my += x[2 * i + 1] / 7 }
        XCTAssertEqual(t.mean[0], mx, accuracy: 1e-15)
        XCTAssertEqual(t.mean[1], my, accuracy: 1e-15)
        var sxx = 0.0, sxy = 0.0
        for i in 0..<n { sxx += (x[2 * i] - mx) * (x[2 * i] - mx) / 6; sxy += (x[2 * i] - mx) * (x[2 * i + 1] - my) / 6 }
        XCTAssertEqual(t.covariance[0], sxx + 0.04, accuracy: 1e-14)
        XCTAssertEqual(t.covariance[1], sxy, accuracy: 1e-14)
        XCTAssertEqual(t.realMeanError!, 2 * 0.04 / 7, accuracy: 1e-16)
        let blobs = try XCTUnwrap(SyntheticPoints.blobs.truth(dimension: 2, count: 10)?.mixture)
        XCTAssertEqual(blobs.weights, [0.4, 0.3, 0.3])
        XCTAssertEqual(blobs.covariances[0], [1, 0, 0, 1])
    }

    /// scikit-learn's KernelDensity(bandwidth="scott" / "silverman"): H = h²I with
    /// h = n^(−1/(d+4)) and (n(d + 2)/4)^(−1/(d+4)), whatever the data's covariance; the
    /// multivariate rules (scipy's) scale the sample covariance instead.
    func testScikitLearnScalarBandwidths() throws {
        let data = PointSet(dimension: 2, values: [0, 0, 10, 0, 0, 1, 10, 1, 5, 0.5, 3, 0])
        let n = 6.0
        for (rule, h) in [(KernelDensityModel.Bandwidth.sklearnScott, pow(n, -1.0 / 6)), (.sklearnSilverman, pow(n * 4 / 4, -1.0 / 6))] {
            var m = KernelDensityModel(dimension: 2, bandwidth: rule)
            try m.fit(data)
            XCTAssertEqual(m.kernelCovariance[0], h * h, accuracy: 1e-15)
            XCTAssertEqual(m.kernelCovariance[3], h * h, accuracy: 1e-15)
            XCTAssertEqual(m.kernelCovariance[1], 0)
        }
        var scipy = KernelDensityModel(dimension: 2, bandwidth: .scott)
        try scipy.fit(data)
        XCTAssertGreaterThan(scipy.kernelCovariance[0], 10 * scipy.kernelCovariance[3])
    }
}
