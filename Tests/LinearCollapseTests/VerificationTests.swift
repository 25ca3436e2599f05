import CollapseTheory
import LinearCollapse
import XCTest

final class VerificationTests: XCTestCase {
    func testThresholdIsBonferroniCriticalValue() {
        XCTAssertEqual(Verification.threshold(familyFalseAlarm: 1e-3, statistics: 1),
                       -NormalDistribution.quantile(5e-4), accuracy: 1e-12)
        XCTAssertEqual(Verification.threshold(familyFalseAlarm: 1e-3, statistics: 100),
                       -NormalDistribution.quantile(5e-6), accuracy: 1e-12)
    }

    func testDefaultBatteryPasses() throws {
        let report = try Verification.run(seed: 1, threads: 2)
        XCTAssertTrue(report.passed, report.checks.filter { !$0.passed }.map { "\($0.id) \($0.kind) \($0.regime) n=\($0.generation) z=\($0.z)" }.joined(separator: "; "))
        // Design-averaged checks only where T ≥ d + 10; given-design checks everywhere.
        for c in report.checks where c.kind == .designAveraged {
            XCTAssertGreaterThanOrEqual(c.cell.samples, c.cell.dimension + Verification.minimumDesignAveragedMargin)
        }
        XCTAssertTrue(report.checks.contains { $0.kind == .givenDesign && $0.cell.samples == $0.cell.dimension + 2 })
        XCTAssertTrue(report.checks.contains { $0.kind == .givenDesign && $0.cell.samples < $0.cell.dimension })
        XCTAssertTrue(report.checks.contains { $0.kind == .accumulateBound })
    }

    /// The battery must be able to fail: a wrong theory value is caught.
    func testBatteryDetectsAWrongFormula() throws {
        let point = Verification.Point(id: "X", purpose: "test", cell: .init(dimension: 10, samples: 100, noiseVariance: 1),
                                       generations: 5, reported: [5], repeats: 2000)
        let report = try Verification.run(battery: [point], seed: 3, threads: 2)
        XCTAssertTrue(report.passed)
        // An off-by-one replace curve c(n+1), the paper's known plotting defect, is rejected.
        let replace5 = try XCTUnwrap(report.checks.first { $0.regime == .replace && $0.kind == .designAveraged })
        let wrong = LinearCollapseTheory.expectedTestError(.replace, generation: 6, dimension: 10, samples: 100, noiseVariance: 1)!
        XCTAssertGreaterThan(abs(replace5.mean - wrong) / replace5.standardError, report.threshold)
    }
}
