import CollapseCore
import CollapseTheory
import Foundation
import LinearCollapse
import XCTest

/// The sufficient-statistic engine must be indistinguishable in distribution from the literal
/// one. Two-sample Kolmogorov–Smirnov tests compare the per-replicate test errors (and the
/// design statistic tr((XᵀX)⁻¹)) of independent runs: distribution-free, so valid even at
/// T = d + 2 where the errors have infinite variance.
final class EngineAgreementTests: XCTestCase {
    /// Family-wise false-alarm probability over every KS test in this file.
    let familyFalseAlarm = 1e-6

    struct Sample { var errors: [[Double]]; var traces: [Double] }

    func sample(_ engine: Engine, cell: LinearCell, regimes: [Regime], generations: Int, repeats: Int, seed: UInt64) throws -> Sample {
        var errors = [[Double]](repeating: [], count: regimes.count * generations)
        var traces: [Double] = []
        var buffer = [Double](repeating: 0, count: regimes.count * generations)
        let literal = LinearChainSimulator(cell: cell, regimes: regimes, generations: generations)
        let sufficient = engine == .sufficient ? SufficientStatisticSimulator(cell: cell, regimes: regimes, generations: generations) : nil
        let workspace = literal.makeWorkspace()
        for rep in 0..<repeats {
            let stats = try buffer.withUnsafeMutableBufferPointer { b in
                try sufficient?.runReplicate(seed: seed, replicate: rep, errors: b)
                    ?? literal.runReplicate(seed: seed, replicate: rep, errors: b, workspace: workspace)
            }
            traces.append(stats.traceOfGramPseudoInverse)
            for s in buffer.indices { errors[s].append(buffer[s]) }
        }
        return Sample(errors: errors, traces: traces)
    }

    /// sup_x |F_a(x) − F_b(x)|.
    func ksStatistic(_ a: [Double], _ b: [Double]) -> Double {
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < x.count && j < y.count {
            let v = min(x[i], y[j])
            while i < x.count && x[i] <= v { i += 1 }
            while j < y.count && y[j] <= v { j += 1 }
            d = max(d, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        return d
    }

    /// The asymptotic two-sample KS critical value at two-sided level q:
    /// `√(−ln(q/2)/2)·√((n+m)/(nm))` (Smirnov; conservative for the discrete-free case).
    func ksCritical(n: Int, m: Int, falseAlarm q: Double) -> Double {
        (-log(q / 2) / 2).squareRoot() * (Double(n + m) / Double(n * m)).squareRoot()
    }

    func testEnginesAgreeInDistribution() throws {
        let cells = [
            LinearCell(dimension: 4, samples: 10, noiseVariance: 1),
            LinearCell(dimension: 10, samples: 12, noiseVariance: 2),  // T = d + 2
            LinearCell(dimension: 6, samples: 6, noiseVariance: 0.5),  // T = d
            LinearCell(dimension: 32, samples: 100, noiseVariance: 1)
        ]
        let regimes: [Regime] = [.replace, .accumulate]
        let generations = 8, reported = [1, 2, 4, 8], repeats = 3000
        let tests = cells.count * (regimes.count * reported.count + 1)
        let critical = ksCritical(n: repeats, m: repeats, falseAlarm: familyFalseAlarm / Double(tests))
        for cell in cells {
            let a = try sample(.literal, cell: cell, regimes: regimes, generations: generations, repeats: repeats, seed: 1)
            let b = try sample(.sufficient, cell: cell, regimes: regimes, generations: generations, repeats: repeats, seed: 2)
            XCTAssertLessThan(ksStatistic(a.traces, b.traces), critical, "\(cell): tr((XᵀX)⁻¹) differs between engines")
            for (ri, regime) in regimes.enumerated() {
                for n in reported {
                    let s = ri * generations + n - 1
                    let d = ksStatistic(a.errors[s], b.errors[s])
                    XCTAssertLessThan(d, critical, "\(cell) \(regime) n=\(n): KS distance \(d) ≥ \(critical)")
                }
            }
        }
    }

    /// The KS test has power: an engine with the wrong noise scale is caught.
    func testKSDetectsAWrongVariance() throws {
        let cell = LinearCell(dimension: 4, samples: 20, noiseVariance: 1)
        let wrong = LinearCell(dimension: 4, samples: 20, noiseVariance: 1.2)
        let a = try sample(.literal, cell: cell, regimes: [.replace], generations: 3, repeats: 3000, seed: 1)
        let b = try sample(.sufficient, cell: wrong, regimes: [.replace], generations: 3, repeats: 3000, seed: 2)
        XCTAssertGreaterThan(ksStatistic(a.errors[2], b.errors[2]), ksCritical(n: 3000, m: 3000, falseAlarm: 1e-6))
    }

    /// Through the Monte Carlo runner: the sufficient engine also matches the closed forms
    /// (design-averaged and given-design z, false-alarm 1e-6 each) and refuses what it cannot do.
    func testSufficientEngineMatchesTheoryAndRefusesUnsupportedRuns() throws {
        let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)
        let cell = LinearCell(dimension: 16, samples: 60, noiseVariance: 3)
        let rows = try MonteCarlo.run(
            cell: cell,
            settings: MonteCarloSettings(
                repeats: 4000, generations: 30, regimes: [.replace, .accumulate], seed: 8, threads: 2, engine: .sufficient))
        for r in rows where [1, 2, 10, 30].contains(r.generation) {
            XCTAssertLessThan(abs(try XCTUnwrap(r.zScore)), z, "\(r.regime) n=\(r.generation)")
            XCTAssertLessThan(abs(try XCTUnwrap(r.zGivenDesign)), z, "\(r.regime) n=\(r.generation)")
        }
        let settings = MonteCarloSettings(repeats: 10, generations: 2, regimes: [.replace], seed: 1, threads: 1, engine: .sufficient)
        XCTAssertThrowsError(try MonteCarlo.run(cell: LinearCell(dimension: 5, samples: 4, noiseVariance: 1), settings: settings))
        var mix = settings
        mix.regimes = [.mix(realFraction: 0.5)]
        XCTAssertThrowsError(try MonteCarlo.run(cell: cell, settings: mix)) { XCTAssertTrue("\($0)".contains("mix")) }
    }
}
