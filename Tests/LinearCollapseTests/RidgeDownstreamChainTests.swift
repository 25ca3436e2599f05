import CollapseCore
import CollapseTheory
import Foundation
import LinearAlgebra
import LinearCollapse
import Randomness
import XCTest

/// Proof R1: the literal ridge chain with a general Σ against the exact conditional risk
/// (Theorem 1) and the deterministic equivalent (Theorem 3).
final class RidgeDownstreamChainTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    /// Gauss–Jordan inverse with partial pivoting (small, well-conditioned matrices only).
    func inverse(_ a: [[Double]]) -> [[Double]] {
        let n = a.count
        var m = a.enumerated().map { i, row in row + (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
            m.swapAt(c, p)
            let pivot = m[c][c]
            m[c] = m[c].map { $0 / pivot }
            for r in 0..<n where r != c {
                let f = m[r][c]
                if f != 0 { m[r] = zip(m[r], m[c]).map { $0 - f * $1 } }
            }
        }
        return m.map { Array($0[n...]) }
    }

    func product(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        a.map { row in (0..<b[0].count).map { j in dot(row, b.map { $0[j] }) } }
    }

    func trace(_ a: [[Double]]) -> Double { a.indices.reduce(0) { $0 + a[$1][$1] } }

    func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    /// `XᵀX/T` for a design given by rows.
    func gram(_ x: [[Double]]) -> [[Double]] {
        let d = x[0].count, t = Double(x.count)
        var g = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for row in x { for i in 0..<d { for j in 0..<d { g[i][j] += row[i] * row[j] / t } } }
        return g
    }

    /// Brute force with explicit matrices: `R = (Ĝ + λI)⁻¹`, bias `λ²w*ᵀRΣRw*`, variance
    /// `(σ²/T)tr(ΣRĜR)`, collapse factor `tr(ĜRΣRĜΣ⁻¹)` (R1, Theorem 1, first form).
    func testConditionalRiskMatchesExplicitMatrices() throws {
        var rng = Xoshiro256StarStar(seed: 41)
        for (d, t, lambda) in [(4, 9, 0.3), (6, 4, 0.05), (5, 30, 2.0)] {
            let spectrum = RidgeSpectrum.powerLaw(dimension: d, beta: 1.3, source: 0.4)
            let sim = FreshDesignRidgeSimulator(
                spectrum: spectrum, samples: t, noiseVariance: 0.8, ridge: lambda,
                generatorSamples: d + 5, generatorNoiseVariance: 1, generations: 1)
            let x = sim.design(rows: t, rng: &rng)
            let risk = try RidgeConditionalRisk(design: x, spectrum: spectrum, noiseVariance: 0.8, ridge: lambda)
            let g = gram((0..<t).map { x.row($0) })
            let r = inverse((0..<d).map { i in (0..<d).map { j in g[i][j] + (i == j ? lambda : 0) } })
            let sigma = (0..<d).map { i in (0..<d).map { j in i == j ? spectrum.eigenvalues[i] : 0 } }
            let sigmaInv = (0..<d).map { i in (0..<d).map { j in i == j ? 1 / spectrum.eigenvalues[i] : 0 } }
            let rsr = product(product(r, sigma), r)
            let w = spectrum.truth
            let bias = lambda * lambda * dot(w, rsr.map { dot($0, w) })
            let variance = 0.8 / Double(t) * trace(product(rsr, g))
            let collapse = trace(product(product(product(g, rsr), g), sigmaInv))
            XCTAssertEqual(risk.bias, bias, accuracy: 1e-10 * max(bias, 1))
            XCTAssertEqual(risk.variance, variance, accuracy: 1e-10 * max(variance, 1))
            XCTAssertEqual(risk.collapseFactor, collapse, accuracy: 1e-9 * max(collapse, 1))
        }
    }

    /// The simulator's draws replayed with an independent solve: generators by
    /// `LeastSquaresSolver`, the downstream fit by explicit `(XᵀX/T + λI)⁻¹Xᵀy/T`.
    func testSimulatorMatchesAnIndependentReplay() throws {
        let d = 4, t = 7, t0 = 9, nGen = 4, lambda = 0.2, s2 = 0.6, s0 = 1.5
        let spectrum = RidgeSpectrum.powerLaw(dimension: d, beta: 1, source: 0.5)
        let sim = FreshDesignRidgeSimulator(
            spectrum: spectrum, samples: t, noiseVariance: s2, ridge: lambda,
            generatorSamples: t0, generatorNoiseVariance: s0, generations: nGen)
        var values = [Double](repeating: 0, count: 3 * nGen)
        var rng = Xoshiro256StarStar(seed: 5)
        try values.withUnsafeMutableBufferPointer { try sim.run(rng: &rng, values: $0) }
        var replay = Xoshiro256StarStar(seed: 5)
        func design(_ rows: Int) -> [[Double]] {
            let z = Normal.array(count: rows * d, using: &replay)
            return (0..<rows).map { i in (0..<d).map { j in z[j * rows + i] * spectrum.eigenvalues[j].squareRoot() } }
        }
        let x = design(t)
        let e = Normal.array(count: t, scale: s2.squareRoot(), using: &replay)
        let g = gram(x)
        let r = inverse((0..<d).map { i in (0..<d).map { j in g[i][j] + (i == j ? lambda : 0) } })
        var generator = spectrum.truth
        for n in 1...nGen {
            if n > 1 {
                let xk = design(t0)
                let ek = Normal.array(count: t0, scale: s0.squareRoot(), using: &replay)
                let yk: [Double] = (0..<t0).map { i in dot(xk[i], generator) + ek[i] }
                generator = try LeastSquaresSolver(design: Matrix(rowsOf: xk)).solve(yk)
            }
            let y: [Double] = (0..<t).map { i in dot(x[i], generator) + e[i] }
            let h: [Double] = (0..<d).map { j in dot(x.map { $0[j] }, y) / Double(t) }
            let w: [Double] = (0..<d).map { i in dot(r[i], h) }
            var risk = 0.0
            for j in 0..<d { risk += spectrum.eigenvalues[j] * (w[j] - spectrum.truth[j]) * (w[j] - spectrum.truth[j]) }
            XCTAssertEqual(values[n - 1], risk, accuracy: 1e-10 * max(risk, 1), "generation \(n)")
            XCTAssertEqual(values[nGen + n - 1], values[n - 1] - values[2 * nGen + n - 1], accuracy: 1e-12)
        }
    }

    func simulate(_ sim: FreshDesignRidgeSimulator, repeats: Int, seed: UInt64) throws -> ParallelReplicates.Summary {
        MonteCarlo.configureBLASForParallelReplicates()
        let failure = ErrorBox()
        let summary = ParallelReplicates.run(repeats: repeats, series: 3 * sim.generations, threads: 2) { rep, buffer in
            var rng = Xoshiro256StarStar(seed: seed, stream: [UInt64(rep)])
            do { try sim.run(rng: &rng, values: buffer) } catch { failure.set(error) }
        }
        if let error = failure.error { throw error }
        return summary
    }

    /// Monte Carlo of the literal chain against the exact conditional risk (no approximation):
    /// the paired differences `risk − E[risk | X]` have mean exactly 0 (R1, Theorem 1).
    /// T₀ = d + 20 keeps the moments the normal approximation needs finite (proof L1).
    func testLiteralChainMatchesTheExactConditionalRisk() throws {
        let d = 20, nGen = 4
        let sim = FreshDesignRidgeSimulator(
            spectrum: .powerLaw(dimension: d, beta: 1.5, source: 0.5), samples: 30, noiseVariance: 0.5,
            ridge: 0.02, generatorSamples: d + 20, generatorNoiseVariance: 1, generations: nGen)
        let summary = try simulate(sim, repeats: 6000, seed: 17)
        for n in 1...nGen {
            let mean = summary.mean[nGen + n - 1], se = summary.standardError[nGen + n - 1]
            XCTAssertLessThanOrEqual(abs(mean), z * se, "generation \(n): paired mean \(mean) ± \(se)")
        }
        // The collapse term is visible: the risk grows by more than 20 SE over 3 generations.
        XCTAssertGreaterThan(summary.mean[nGen - 1] - summary.mean[0], 20 * summary.standardError[nGen - 1])
    }

    /// Downstream OLS (λ = 0, T ≥ d + 10) with a power-law Σ: the chain's mean is Dohmatob et
    /// al.'s `σ²d/(T − d − 1) + nσ₀²d/(T₀ − d − 1)` for *every* Σ (proof D1) — a closed form
    /// independent of the ridge code.
    func testRidgelessChainMatchesTheOLSClosedForm() throws {
        let d = 8, t = 30, t0 = 25, nGen = 4, s2 = 0.5, s0 = 2.0
        let sim = FreshDesignRidgeSimulator(
            spectrum: .powerLaw(dimension: d, beta: 2, source: 0.5), samples: t, noiseVariance: s2,
            ridge: 0, generatorSamples: t0, generatorNoiseVariance: s0, generations: nGen)
        let summary = try simulate(sim, repeats: 8000, seed: 23)
        for n in 1...nGen {
            let theory = FreshDesignTheory.dohmatob(
                dimension: d, syntheticGenerations: n - 1, generatorSamples: t0,
                generatorNoiseVariance: s0, samples: t, noiseVariance: s2)!
            XCTAssertLessThanOrEqual(abs(summary.mean[n - 1] - theory), z * summary.standardError[n - 1], "generation \(n)")
        }
    }
}

extension RidgeDownstreamChainTests {
    /// `collapse verify` R1–R3 give bit-identical means and SEs for any thread count.
    func testVerificationDoesNotDependOnThreads() throws {
        let points = RidgeVerification.battery.map { p -> RidgeVerification.Point in
            var q = p
            q.repeats = 40
            if q.spectrum.dimension > 30 { q.spectrum = .powerLaw(dimension: 30, beta: 1.5, source: 0.5); q.samples = 15; q.generatorSamples = 60 }
            return q
        }
        let one = try RidgeVerification.run(points: points, seed: 3, threads: 1)
        let three = try RidgeVerification.run(points: points, seed: 3, threads: 3)
        XCTAssertEqual(one.count, 6)
        XCTAssertEqual(one.map(\.mean), three.map(\.mean))
        XCTAssertEqual(one.map(\.standardError), three.map(\.standardError))
        XCTAssertEqual(one.map(\.target), three.map(\.target))
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    func set(_ e: any Error) { lock.lock(); if stored == nil { stored = e }; lock.unlock() }
    var error: (any Error)? { lock.lock(); defer { lock.unlock() }; return stored }
}

/// Proof R1, §5: the deterministic equivalent is asymptotic; its finite-size gap to the exact
/// mean `E_X E[risk | X]` shrinks like `1/d`. The mean over designs of the exact conditional
/// risk (Theorem 1) is a Rao–Blackwellised estimate of the chain's mean risk.
final class RidgeDeterministicEquivalentGapTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    struct Gap {
        var mean: RidgeConditionalRisk; var se: RidgeConditionalRisk; var de: RidgeDeterministicEquivalent.Terms; var total: Double; var totalSE: Double
    }

    /// Mean and SE of the bias, variance and collapse factor of `E[risk | X]` over `repeats`
    /// designs, and of the total after `n` synthetic generations.
    func gap(
        _ spectrum: RidgeSpectrum, samples t: Int, ridge lambda: Double, generatorSamples t0: Int, synthetic n: Int,
        repeats: Int, seed: UInt64
    ) throws -> Gap {
        let s2 = 0.5, s0 = 1.0
        let sim = FreshDesignRidgeSimulator(
            spectrum: spectrum, samples: t, noiseVariance: s2, ridge: lambda,
            generatorSamples: t0, generatorNoiseVariance: s0, generations: 1)
        let c = RidgeDeterministicEquivalent.collapseScale(
            dimension: spectrum.dimension, syntheticGenerations: n, generatorSamples: t0,
            generatorNoiseVariance: s0)!
        MonteCarlo.configureBLASForParallelReplicates()
        let failure = ErrorBox()
        let summary = ParallelReplicates.run(repeats: repeats, series: 4, threads: 2) { rep, buffer in
            var rng = Xoshiro256StarStar(seed: seed, stream: [UInt64(spectrum.dimension), UInt64(rep)])
            let x = sim.design(rows: t, rng: &rng)
            do {
                let r = try RidgeConditionalRisk(design: x, spectrum: spectrum, noiseVariance: s2, ridge: lambda)
                buffer[0] = r.bias; buffer[1] = r.variance; buffer[2] = r.collapseFactor; buffer[3] = r.total(collapseScale: c)
            } catch { failure.set(error) }
        }
        if let error = failure.error { throw error }
        let de = RidgeDeterministicEquivalent.terms(
            spectrum: spectrum, samples: t, noiseVariance: s2, ridge: lambda, syntheticGenerations: n,
            generatorSamples: t0, generatorNoiseVariance: s0)!
        let m = summary.mean, e = summary.standardError
        return Gap(
            mean: .init(bias: m[0], variance: m[1], collapseFactor: m[2]), se: .init(bias: e[0], variance: e[1], collapseFactor: e[2]),
            de: de, total: m[3], totalSE: e[3])
    }

    /// Power law (β = 1.5, r = 0.5), over-parameterised `T = d/2`, λ = 0.01, `T₀ = 2d`, four
    /// synthetic generations: at d = 25, 50, 100 the total is within `z·SE + A·DE/d` (A = 1,
    /// the allowance of `collapse verify` R3), and the table of relative gaps is printed.
    func testTotalIsWithinTheOneOverDAllowance() throws {
        for (d, repeats) in [(25, 2000), (50, 1000), (100, 300)] {
            let g = try gap(
                .powerLaw(dimension: d, beta: 1.5, source: 0.5), samples: d / 2, ridge: 0.01, generatorSamples: 2 * d, synthetic: 4,
                repeats: repeats, seed: 31)
            let rel = (g.total - g.de.total) / g.de.total
            print(
                String(
                    format: "R1 §5 power law d=%d T=%d: total %.6f vs DE %.6f, relative gap %.5f ± %.5f (×d = %.3f); bias %.4f, variance %.4f, Q %.4f relative",
                    d, d / 2, g.total, g.de.total, rel, g.totalSE / g.de.total, rel * Double(d),
                    (g.mean.bias - g.de.bias) / g.de.bias, (g.mean.variance - g.de.variance) / g.de.variance,
                    (g.mean.collapseFactor - g.de.collapseFactor) / g.de.collapseFactor))
            XCTAssertLessThanOrEqual(abs(g.total - g.de.total), z * g.totalSE + RidgeVerification.equivalentAllowance * g.de.total / Double(d), "d = \(d)")
        }
    }

    /// Isotropic Σ, `T = 2d`, λ = 0.1: the collapse factor's relative gap is about `−0.14/d`
    /// (−0.0054, −0.0022, −0.0014, −0.0007 at d = 25, 50, 100, 200 in R1 §5); it shrinks by more
    /// than `z·(SE₂₅ + SE₁₀₀)` from d = 25 to d = 100.
    func testCollapseFactorGapShrinks() throws {
        var relative: [(Double, Double)] = []
        for (d, repeats) in [(25, 4000), (100, 1000)] {
            let g = try gap(.isotropic(dimension: d), samples: 2 * d, ridge: 0.1, generatorSamples: 2 * d, synthetic: 1, repeats: repeats, seed: 37)
            relative.append(((g.mean.collapseFactor - g.de.collapseFactor) / g.de.collapseFactor, g.se.collapseFactor / g.de.collapseFactor))
        }
        XCTAssertGreaterThan(abs(relative[0].0) - abs(relative[1].0), z * (relative[0].1 + relative[1].1), "\(relative)")
    }
}
