import ArgumentParser
import Foundation
import CollapseSweep
import ExperimentEngine
import LinearCollapse

/// `collapse verify`: the Monte Carlo versus theory battery.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check Monte Carlo against the closed forms at several parameter points; exit 1 on any failure.",
        discussion: """
        Each check prints its z-score. With K checks and family-wise false-alarm probability α \
        (--false-alarm), each |z| is compared with z* = Φ⁻¹(1 − α/(2K)) (Bonferroni), so a correct \
        implementation fails with probability about α (nominal: each z is only approximately normal). \
        V1–V8 (linear chain), F1–F3 and O1 (fresh designs, proofs D1, O1), E1–E5 (exact propagation on \
        one design, proof E1), R1–R3 (ridge downstream of the generator chain, power-law Σ, proof R1) and U1–U2, G1–G6, W1 (exactly solvable chains, proofs U1, G1, G3, G4, W1); \
        `--list` describes each. For the linear checks — design-averaged: (mean − closed form)/SE, used \
        where T ≥ d + 10 (finite higher moments, proof L1). given-design: replicates standardised by \
        their exact conditional mean and variance (proof L2), valid for every T including T = d + 2 \
        and T < d. bound: one-sided (mean − σ²d/(T−d−1)·π²/6)/SE ≤ z*.
        """)

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("false-alarm"), parsing: .unconditional, help: "Family-wise false-alarm probability α, in (0, 0.5).")
    var falseAlarm = 1e-3

    @Flag(name: .customLong("list"), help: "List the check ids and what each verifies, then exit.")
    var list = false

    @Option(name: .customLong("only"), parsing: .unconditional, help: "Run only these check ids (comma-separated, e.g. V1,U1).")
    var only: String?

    @Option(name: .customLong("seeds"), parsing: .unconditional,
            help: "Slow mode: run the battery once per seed (a range A-B such as 0-19, or a comma-separated list); one Bonferroni family spans every statistic of every seed.")
    var seeds: String?

    /// The seeds of `--seeds`: `A-B` (inclusive, at most 1000 seeds) or a comma-separated list.
    func parsedSeeds() throws -> [UInt64]? {
        guard let seeds else { return nil }
        let expected = "a range A-B such as 0-19 or a comma-separated list of seeds"
        let parts = seeds.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]) {
            guard a <= b, b - a < 1000 else { throw ValidationError("--seeds: '\(seeds)' is out of range; expected A ≤ B with at most 1000 seeds") }
            return Array(a...b)
        }
        let items = try usage { try ListParsing.items(seeds, flag: "--seeds", expected: expected) }
        return try items.map { item in
            guard let v = UInt64(item) else { throw ValidationError("--seeds: '\(item)' is not a seed; expected \(expected)") }
            return v
        }
    }

    func selectedIDs() throws -> Set<String>? {
        guard let only else { return nil }
        let ids = try usage { try ListParsing.items(only, flag: "--only", expected: "check ids from `collapse verify --list`") }
        for id in ids where !VerificationSuite.allIDs.contains(id) {
            throw ValidationError("--only: unknown check id '\(id)'; available: \(VerificationSuite.allIDs.joined(separator: ", "))")
        }
        return Set(ids)
    }

    func validate() throws {
        _ = try runOptions.resolvedThreads()
        _ = try runOptions.parsedSeed()
        if runOptions.maxMemory != nil {
            // Accepting it and ignoring it would promise a guard that is not there.
            throw ValidationError("--max-memory: not supported by collapse verify (its battery is fixed; it peaks below 200 MB)")
        }
        _ = try selectedIDs()
        if try parsedSeeds() != nil && runOptions.seed != nil {
            throw ValidationError("--seeds and --seed: pass one of them")
        }
        guard falseAlarm.isFinite && falseAlarm > 0 && falseAlarm < 0.5 else {
            throw ValidationError("--false-alarm: \(falseAlarm) is out of range; expected a probability in (0, 0.5), e.g. 0.001")
        }
    }

    func run() throws {
        if list {
            VerificationSuite.listing.forEach { print($0) }
            return
        }
        let started = Date()
        let threads = try runOptions.resolvedThreads()
        let selected = try selectedIDs()
        let seedList = try parsedSeeds() ?? [try runOptions.resolvedSeed(default: 1)]
        var batches: [[VerificationSuite.Outcome]] = []
        for seed in seedList {
            do {
                batches.append(try VerificationSuite.run(seed: seed, threads: threads, only: selected, familyFalseAlarm: falseAlarm))
            } catch {
                throw CLIError("numerical failure during verification (seed \(seed)): \(error)")
            }
            if seedList.count > 1 {
                Console.note("seed \(seed) done (\(batches.count)/\(seedList.count), \(String(format: "%.0f", Date().timeIntervalSince(started))) s)")
            }
        }
        // One Bonferroni family over every statistic of every battery (and every seed).
        let total = batches.reduce(0) { $0 + $1.count }
        let zStar = Verification.threshold(familyFalseAlarm: falseAlarm, statistics: max(total, 1))
        var failed = 0
        for (seed, batch) in zip(seedList, batches) {
            let failures = batch.filter { !$0.passes(threshold: zStar) }
            failed += failures.count
            print(VerificationSuite.table(seedList.count == 1 ? batch : failures, zStar: zStar), terminator: "")
            if seedList.count > 1 {
                print("seed \(seed): \(batch.count) checks, \(failures.count) failed, max |z| = \(String(format: "%.2f", batch.map { abs($0.z) }.max() ?? 0))")
            }
        }
        let seedText = seedList.count == 1 ? "seed \(seedList[0])" : "\(seedList.count) seeds (\(seedList.first!)…\(seedList.last!))"
        print("""
            \(total) checks, \(failed) failed; threshold |z| ≤ \(String(format: "%.3f", zStar)) \
            (nominal family-wise false-alarm α = \(falseAlarm), Bonferroni over \(total)); \
            \(seedText); \(String(format: "%.1f", Date().timeIntervalSince(started))) s
            """)
        if failed > 0 { throw ExitCode(1) }
    }
}
