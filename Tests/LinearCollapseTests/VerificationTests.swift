import CollapseTheory
import LinearCollapse
import XCTest

final class VerificationTests: XCTestCase {
    func testThresholdIsBonferroniCriticalValue() {
        XCTAssertEqual(
            Verification.threshold(familyFalseAlarm: 1e-3, statistics: 1),
            -NormalDistribution.quantile(5e-4), accuracy: 1e-12)
        XCTAssertEqual(
            Verification.threshold(familyFalseAlarm: 1e-3, statistics: 100),
            -NormalDistribution.quantile(5e-6), accuracy: 1e-12)
    }

    func testDefaultBatteryPasses() throws {
        let report = try Verification.run(seed: 1, threads: 2)
        XCTAssertTrue(
            report.passed, report.checks.filter { !$0.passed }.map { "\($0.id) \($0.kind) \($0.regime) n=\($0.generation) z=\($0.z)" }.joined(separator: "; "))
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
        let point = Verification.Point(
            id: "X", purpose: "test", cell: .init(dimension: 10, samples: 100, noiseVariance: 1),
            generations: 5, reported: [5], repeats: 2000)
        let report = try Verification.run(battery: [point], seed: 3, threads: 2)
        XCTAssertTrue(report.passed)
        // An off-by-one replace curve c(n+1), the paper's known plotting defect, is rejected.
        let replace5 = try XCTUnwrap(report.checks.first { $0.regime == .replace && $0.kind == .designAveraged })
        let wrong = LinearCollapseTheory.expectedTestError(.replace, generation: 6, dimension: 10, samples: 100, noiseVariance: 1)!
        XCTAssertGreaterThan(abs(replace5.mean - wrong) / replace5.standardError, report.threshold)
    }
}

/// `verify` S1–S3: simulate's design and estimator options against exact propagation, the
/// design-averaged closed form and the deterministic equivalent.
final class DesignVerificationTests: XCTestCase {
    /// Under seed 2 (not verify's default seed 1) every statistic passes its rule at the
    /// Bonferroni threshold of the battery (family-wise false alarm 1e-3, as `verify`), and each
    /// point carries the kinds of check it is meant to.
    func testBatteryPassesAndCarriesItsChecks() throws {
        let checks = try DesignVerification.run(seed: 2, threads: 2)
        let zStar = Verification.threshold(familyFalseAlarm: 1e-3, statistics: checks.count)
        for c in checks {
            switch c.kind {
            case .equivalent:
                XCTAssertLessThanOrEqual(abs(c.mean - c.target), zStar * c.standardError! + c.allowance, "\(c.point.id) \(c.series) n=\(c.generation)")
            case .givenDesign, .designAveraged:
                XCTAssertLessThanOrEqual(abs(c.z), zStar, "\(c.point.id) \(c.kind) \(c.series) n=\(c.generation)")
            }
        }
        func kinds(_ id: String) -> Set<String> { Set(checks.filter { $0.point.id == id }.map(\.kind.rawValue)) }
        XCTAssertEqual(kinds("S1"), ["given-design", "design-averaged"])
        XCTAssertEqual(kinds("S2"), ["given-design"])
        XCTAssertEqual(kinds("S3"), ["given-design", "det. equivalent"])
        XCTAssertEqual(
            checks.filter { $0.kind == .equivalent }.map { "\($0.series) \($0.generation)" },
            ["replace 1", "accumulate 1", "accumulate 5"])
    }
}
