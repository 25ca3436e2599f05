import ArgumentParser
import Foundation
import LinearCollapse

/// `collapse verify`: the Monte Carlo versus theory battery.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check Monte Carlo against the closed forms at several parameter points; exit 1 on any failure.",
        discussion: """
        Each check prints its z-score. With K checks and family-wise false-alarm probability α \
        (--false-alarm), each |z| is compared with z* = Φ⁻¹(1 − α/(2K)) (Bonferroni), so a correct \
        implementation fails with probability at most α. design-averaged: (mean − closed form)/SE, used \
        where T ≥ d + 10 (finite higher moments, proof L1). given-design: replicates standardised by \
        their exact conditional mean and variance (proof L2), valid for every T including T = d + 2 \
        and T < d. bound: one-sided (mean − σ²d/(T−d−1)·π²/6)/SE ≤ z*.
        """)

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("false-alarm"), parsing: .unconditional, help: "Family-wise false-alarm probability α, in (0, 0.5).")
    var falseAlarm = 1e-3

    func validate() throws {
        _ = try runOptions.resolvedThreads()
        _ = try runOptions.parsedSeed()
        _ = try runOptions.parsedMaxMemory()
        guard falseAlarm.isFinite && falseAlarm > 0 && falseAlarm < 0.5 else {
            throw ValidationError("--false-alarm: \(falseAlarm) is out of range; expected a probability in (0, 0.5), e.g. 0.001")
        }
    }

    func run() throws {
        let started = Date()
        let seed = try runOptions.resolvedSeed(default: 1)
        let report: Verification.Report
        do {
            report = try Verification.run(seed: seed, threads: try runOptions.resolvedThreads(), familyFalseAlarm: falseAlarm)
        } catch {
            throw CLIError("numerical failure during verification: \(error)")
        }
        print(pad("id", 4) + pad("check", 17) + pad("regime", 12) + pad("d", 5) + pad("T", 6) + pad("σ²", 8) +
              pad("gen", 5) + pad("MC mean", 13) + pad("± SE", 12) + pad("theory", 13) + pad("z", 8) + "  result")
        for c in report.checks {
            print(pad(c.id, 4) + pad(c.kind.rawValue, 17) + pad(c.regime.name, 12) + pad(String(c.cell.dimension), 5) +
                  pad(String(c.cell.samples), 6) + pad(fmt(c.cell.noiseVariance), 8) + pad(String(c.generation), 5) +
                  pad(fmt(c.mean), 13) + pad(c.kind == .givenDesign ? "(std.)" : fmt(c.standardError), 12) + pad(fmt(c.target), 13) +
                  pad(String(format: "%.2f", c.z), 8) + (c.passed ? "  ok" : "  FAIL"))
        }
        let failed = report.checks.filter { !$0.passed }.count
        print("given-design rows: theory is the mean of the exact conditional expectations; z = Σ Zᵢ/√R with each " +
              "replicate standardised by its own conditional mean and variance (L2), so no single SE applies.")
        print("""
            \(report.checks.count) checks, \(failed) failed; threshold |z| ≤ \(String(format: "%.3f", report.threshold)) \
            (nominal family-wise false-alarm α = \(report.familyFalseAlarm), Bonferroni over \(report.checks.count)); \
            seed \(seed); \(String(format: "%.1f", Date().timeIntervalSince(started))) s
            """)
        if !report.passed { throw ExitCode(1) }
    }
}
