import Foundation
import XCTest

/// `collapse theory --model gaussian-refit-d` (proof G4): the printed closed forms against values
/// computed here independently, and bad input rejected cleanly (exit 64, flag named, no stdout).
final class TheoryMultivariateGaussianTests: CLITestCase {
    func testClosedFormsAgainstIndependentValues() throws {
        let r = try collapse(
            "theory", "--model", "gaussian-refit-d", "--samples", "10", "--generations", "3", "--estimator", "mle",
            "--covariance-eigenvalues", "4,2,1", "--regimes", "replace", "--format", "wide")
        assertSuccess(r, "gaussian-refit-d")
        let csv = try SimpleCSV(r.stdout)
        XCTAssertEqual(csv.rows.count, 3)
        let mse = try csv.column("mean_squared_error"), trace = try csv.column("expected_trace"), logDet = try csv.column("expected_log_det_ratio")
        let lower = try csv.column("wasserstein2_lower"), upper = try csv.column("wasserstein2_upper")
        // ψ(4) = −γ + 1 + 1/2 + 1/3, ψ(k + 1/2) = −γ − 2 ln 2 + 2Σ_{j≤k} 1/(2j − 1).
        let gamma = 0.5772156649015329
        let psi4 = -gamma + 1 + 0.5 + 1.0 / 3
        let psi45 = -gamma - 2 * log(2) + 2 * (1 + 1.0 / 3 + 0.2 + 1.0 / 7), psi35 = -gamma - 2 * log(2) + 2 * (1 + 1.0 / 3 + 0.2)
        for n in 1...3 {
            let row = csv.rows[n - 1], q = pow(0.9, Double(n))
            assertRelativelyEqual(Double(row[mse])!, 7 * (1 - q))  // E‖μ̂−μ‖² = tr Σ·(1 − qⁿ)
            assertRelativelyEqual(Double(row[trace])!, 7 * q)  // E tr Σ̂ = qⁿ tr Σ
            assertRelativelyEqual(Double(row[logDet])!, Double(n) * (psi45 + psi4 + psi35 + 3 * log(0.2)), 1e-11)
            XCTAssertLessThan(Double(row[lower])!, Double(row[upper])!)
            XCTAssertEqual(row[try csv.column("wasserstein2_exact")], "")
        }
        // d = 1 (σ² = 2): the bounds meet at G3's E W₂² = 2σ²(1 − ρⁿ), ρ = √(2/M)·Γ(M/2)/Γ((M−1)/2).
        let one = try collapse(
            "theory", "--model", "gaussian-refit-d", "--samples", "6", "--generations", "4", "--estimator", "mle",
            "--dimension", "1", "--noise-variance", "2", "--regimes", "replace", "--format", "wide")
        assertSuccess(one, "gaussian-refit-d d=1")
        let c1 = try SimpleCSV(one.stdout)
        let rho = (2.0 / 6).squareRoot() * tgamma(3) / tgamma(2.5)
        for n in 1...4 {
            assertRelativelyEqual(Double(c1.rows[n - 1][try c1.column("wasserstein2_exact")])!, 4 * (1 - pow(rho, Double(n))), 1e-11)
        }
        let table = try collapse("theory", "--model", "gaussian-refit-d", "--samples", "3", "--dimension", "3", "--generations", "1")
        assertSuccess(table, "gaussian-refit-d table")
        XCTAssertTrue(table.stdout.contains("proofs G3, G4"), table.stdout)
        XCTAssertTrue(table.stdout.contains("—"), "M ≤ d has no finite E log det:\n\(table.stdout)")
        let list = try collapse("theory", "--list")
        XCTAssertTrue(list.stdout.contains("gaussian-refit-d  d-dimensional"), list.stdout)
    }

    func testBadInputIsRejected() throws {
        let cases: [([String], [String])] = [
            (["--estimator", "mode"], ["--estimator", "mode", "unbiased, mle"]),
            (["--samples", "1"], ["--samples 1", "M ≥ 2"]),
            (["--covariance-eigenvalues", "1,0"], ["--covariance-eigenvalues", "0", "> 0"]),
            (["--covariance-eigenvalues", "1,-2"], ["--covariance-eigenvalues", "-2"]),
            (["--covariance-eigenvalues", "1,nan"], ["--covariance-eigenvalues", "nan", "finite"]),
            (["--covariance-eigenvalues", "1,x"], ["--covariance-eigenvalues", "'x'", "not a number"]),
            (["--covariance-eigenvalues", ""], ["--covariance-eigenvalues"]),
            (["--covariance-eigenvalues", "1,2,3", "--dimension", "2"], ["--dimension 2", "3 values", "--covariance-eigenvalues"]),
            (["--dimension", "0"], ["--dimension", "0"]),
            (["--noise-variance", "0"], ["--noise-variance", "0", "> 0"]),
            (["--regimes", "mix"], ["--regimes", "mix", "no closed form"]),
            (["--generations", "0"], ["--generations", "0"])
        ]
        for (extra, needles) in cases {
            let args = ["theory", "--model", "gaussian-refit-d"] + extra
            let what = "collapse " + args.joined(separator: " ")
            let r = try collapse(arguments: args)
            XCTAssertEqual(r.status, 64, "\(what): \(r.stderr)")
            assertNoCrashReport(r, what)
            XCTAssertTrue(r.stderr.hasPrefix("Error: "), "\(what): \(r.stderr)")
            for needle in needles { XCTAssertTrue(r.stderr.contains(needle), "\(what): stderr lacks '\(needle)':\n\(r.stderr)") }
            XCTAssertEqual(r.stdout, "", "\(what): wrote to stdout")
        }
    }
}
