import CollapseTheory
import LinearCollapse
import XCTest

/// Proof L2 says the replicate statistic Z = (err − m(X, w*))/√v(X, w*) has mean 0 and
/// variance 1 for every design. Checking E[Z²] = 1 tests the conditional *variance* formula,
/// which the verification battery relies on.
final class ConditionalLawTests: XCTestCase {
    /// Two-sided false-alarm probability 1e-6 per statistic.
    let z = NormalDistribution.twoSidedCriticalValue(falseAlarm: 1e-6)

    func standardised(cell: LinearCell, generations: Int, repeats: Int) throws -> [[Double]] {
        let regimes: [ClosedFormRegime] = [.replace, .accumulate]
        let sim = LinearChainSimulator(cell: cell, regimes: [.replace, .accumulate], generations: generations)
        var zs = [[Double]](repeating: [], count: 2 * generations)
        var errors = [Double](repeating: 0, count: 2 * generations)
        for rep in 0..<repeats {
            let stats = try errors.withUnsafeMutableBufferPointer { try sim.runReplicate(seed: 77, replicate: rep, errors: $0) }
            for (ri, form) in regimes.enumerated() {
                for n in 1...generations {
                    let m = LinearCollapseTheory.testErrorGivenDesign(
                        form, generation: n, noiseVariance: cell.noiseVariance,
                        traceOfGramPseudoInverse: stats.traceOfGramPseudoInverse, bias: stats.bias)
                    let v = LinearCollapseTheory.testErrorVarianceGivenDesign(
                        form, generation: n, noiseVariance: cell.noiseVariance,
                        traceOfGramPseudoInverseSquared: stats.traceOfGramPseudoInverseSquared)
                    zs[ri * generations + n - 1].append((errors[ri * generations + n - 1] - m) / v.squareRoot())
                }
            }
        }
        return zs
    }

    func testStandardisedErrorHasMeanZeroAndUnitVariance() throws {
        for cell in [
            LinearCell(dimension: 4, samples: 6, noiseVariance: 3),  // T = d + 2
            LinearCell(dimension: 8, samples: 5, noiseVariance: 1)
        ] {  // T < d, bias ≠ 0
            let series = try standardised(cell: cell, generations: 4, repeats: 4000)
            for (s, values) in series.enumerated() {
                let r = Double(values.count)
                let mean = values.reduce(0, +) / r
                XCTAssertLessThan(abs(mean) * r.squareRoot(), z, "\(cell) series \(s): E[Z] ≠ 0")
                let squares = values.map { $0 * $0 }
                let m2 = squares.reduce(0, +) / r
                let sd2 = (squares.map { ($0 - m2) * ($0 - m2) }.reduce(0, +) / (r - 1)).squareRoot()
                XCTAssertLessThan(abs(m2 - 1), z * sd2 / r.squareRoot(), "\(cell) series \(s): E[Z²] ≠ 1")
            }
        }
    }
}
