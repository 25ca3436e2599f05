import ArgumentParser
import Foundation
import LinearCollapse
import ParametricChains

/// `collapse verify`: the Monte Carlo versus theory battery.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check Monte Carlo against the closed forms at several parameter points; exit 1 on any failure.",
        discussion: """
        Each check prints its z-score. With K checks and family-wise false-alarm probability α \
        (--false-alarm), each |z| is compared with z* = Φ⁻¹(1 − α/(2K)) (Bonferroni), so a correct \
        implementation fails with probability about α (nominal: each z is only approximately normal). \
        V1–V8 (linear chain), F1–F3 and O1 (fresh designs, proofs D1, O1), E1–E2 (exact propagation on \
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
        let items = try ListParsing.items(seeds, flag: "--seeds", expected: expected)
        return try items.map { item in
            guard let v = UInt64(item) else { throw ValidationError("--seeds: '\(item)' is not a seed; expected \(expected)") }
            return v
        }
    }

    static var allIDs: [String] {
        Verification.defaultBattery.map(\.id) + Verification.freshDesignBattery.map(\.id)
            + Verification.propagationBattery.map(\.id) + ChainVerification.battery.map(\.id) + RidgeVerification.battery.map(\.id)
    }

    func selectedIDs() throws -> Set<String>? {
        guard let only else { return nil }
        let ids = try ListParsing.items(only, flag: "--only", expected: "check ids from `collapse verify --list`")
        for id in ids where !Self.allIDs.contains(id) {
            throw ValidationError("--only: unknown check id '\(id)'; available: \(Self.allIDs.joined(separator: ", "))")
        }
        return Set(ids)
    }

    func validate() throws {
        _ = try runOptions.resolvedThreads()
        _ = try runOptions.parsedSeed()
        _ = try runOptions.parsedMaxMemory()
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
            for p in Verification.defaultBattery {
                print("\(p.id.padding(toLength: 4, withPad: " ", startingAt: 0)) linear chain \(p.cell), \(p.generations) generations, R = \(p.repeats): \(p.purpose)")
            }
            for p in Verification.freshDesignBattery {
                print("\(p.id.padding(toLength: 4, withPad: " ", startingAt: 0)) fresh-design chain d=\(p.dimension), \(p.schedule.count) generations, R = \(p.repeats): \(p.purpose)")
            }
            for p in Verification.propagationBattery {
                print("\(p.id.padding(toLength: 4, withPad: " ", startingAt: 0)) one fixed design d=\(p.dimension) T=\(p.samples) σ²=\(p.noiseVariance), \(p.generations) generations, R = \(p.repeats): \(p.purpose)")
            }
            for p in ChainVerification.battery {
                print("\(p.id.padding(toLength: 4, withPad: " ", startingAt: 0)) M = \(p.samples), \(p.generations) generations, R = \(p.repeats): \(p.purpose)")
            }
            RidgeVerifySupport.list()
            return
        }
        let started = Date()
        let threads = try runOptions.resolvedThreads()
        let selected = try selectedIDs()
        let seedList = try parsedSeeds() ?? [try runOptions.resolvedSeed(default: 1)]
        var batches: [Batch] = []
        for seed in seedList {
            batches.append(try collect(seed: seed, threads: threads, selected: selected))
            if seedList.count > 1 {
                Console.note("seed \(seed) done (\(batches.count)/\(seedList.count), \(String(format: "%.0f", Date().timeIntervalSince(started))) s)")
            }
        }
        // One Bonferroni family over every statistic of every battery (and every seed).
        let total = batches.reduce(0) { $0 + $1.count }
        let zStar = Verification.threshold(familyFalseAlarm: falseAlarm, statistics: max(total, 1))
        var failed = 0
        if seedList.count == 1 {
            failed = printBatch(batches[0], zStar: zStar, onlyFailures: false)
        } else {
            for (seed, batch) in zip(seedList, batches) {
                let f = printBatch(batch, zStar: zStar, onlyFailures: true)
                print("seed \(seed): \(batch.count) checks, \(f) failed, max |z| = \(String(format: "%.2f", batch.maxAbsZ))")
                failed += f
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

    /// Every statistic of one seed's run.
    struct Batch {
        var linear: [Verification.Check]
        var chains: [ChainVerification.Check]
        var propagation: [Verification.PropagationCheck]
        var ridge: [RidgeVerification.Check]
        var count: Int { linear.count + chains.count + propagation.count + ridge.count }
        var maxAbsZ: Double {
            (linear.map(\.z) + chains.map(\.z) + propagation.map(\.z) + ridge.map(\.z)).map(abs).max() ?? 0
        }
    }

    func collect(seed: UInt64, threads: Int, selected: Set<String>?) throws -> Batch {
        let linearPoints = Verification.defaultBattery.filter { selected?.contains($0.id) ?? true }
        var linear: [Verification.Check]
        let propagation: [Verification.PropagationCheck], ridge: [RidgeVerification.Check]
        do {
            linear = linearPoints.isEmpty ? []
                : try Verification.run(battery: linearPoints, seed: seed, threads: threads, familyFalseAlarm: falseAlarm).checks
            let freshPoints = Verification.freshDesignBattery.filter { selected?.contains($0.id) ?? true }
            linear += try Verification.runFreshDesign(points: freshPoints, seed: seed, threads: threads)
            propagation = try Verification.runPropagation(
                points: Verification.propagationBattery.filter { selected?.contains($0.id) ?? true }, seed: seed, threads: threads)
            ridge = try RidgeVerification.run(points: RidgeVerification.battery.filter { selected?.contains($0.id) ?? true }, seed: seed, threads: threads)
        } catch {
            throw CLIError("numerical failure during verification (seed \(seed)): \(error)")
        }
        let chains = ChainVerification.run(seed: seed, threads: threads, only: selected)
        return Batch(linear: linear, chains: chains, propagation: propagation, ridge: ridge)
    }

    /// Prints the batch's tables (only failing rows if `onlyFailures`) and returns its failures.
    func printBatch(_ batch: Batch, zStar: Double, onlyFailures: Bool) -> Int {
        var failed = 0
        var report = Verification.Report(checks: batch.linear, threshold: zStar, familyFalseAlarm: falseAlarm)
        var chainChecks = batch.chains, propagation = batch.propagation, ridge = batch.ridge
        for i in report.checks.indices {
            let c = report.checks[i]
            report.checks[i].passed = c.kind == .accumulateBound ? c.z <= zStar : abs(c.z) <= zStar
        }
        failed = report.checks.filter { !$0.passed }.count + propagation.filter { abs($0.z) > zStar }.count
            + chainChecks.filter { abs($0.z) > zStar }.count + ridge.filter { !$0.passes(threshold: zStar) }.count
        if onlyFailures {
            report.checks = report.checks.filter { !$0.passed }
            propagation = propagation.filter { abs($0.z) > zStar }
            chainChecks = chainChecks.filter { abs($0.z) > zStar }
            ridge = ridge.filter { !$0.passes(threshold: zStar) }
        }
        if !report.checks.isEmpty {
            print(pad("id", 4) + pad("check", 17) + pad("regime", 12) + pad("d", 5) + pad("T", 6) + pad("σ²", 8) +
                  pad("gen", 5) + pad("MC mean", 13) + pad("± SE", 12) + pad("theory", 13) + pad("z", 8) + "  result")
        }
        for c in report.checks {
            print(pad(c.id, 4) + pad(c.kind.rawValue, 17) + pad(c.regime.name, 12) + pad(String(c.cell.dimension), 5) +
                  pad(String(c.cell.samples), 6) + pad(fmt(c.cell.noiseVariance), 8) + pad(String(c.generation), 5) +
                  pad(fmt(c.mean), 13) + pad(c.kind == .givenDesign ? "(std.)" : fmt(c.standardError), 12) + pad(fmt(c.target), 13) +
                  pad(String(format: "%.2f", c.z), 8) + (c.passed ? "  ok" : "  FAIL"))
        }
        if report.checks.contains(where: { $0.kind == .givenDesign }) {
            print("given-design rows: theory is the mean of the exact conditional expectations; z = Σ Zᵢ/√R with each " +
                  "replicate standardised by its own conditional mean and variance (L2), so no single SE applies.")
        }
        if !propagation.isEmpty {
            print(pad("id", 4) + pad("scheme", 16) + pad("d", 4) + pad("T", 5) + pad("λ", 6) + pad("gen", 5) + pad("MC mean", 13) +
                  pad("± SE", 12) + pad("exact", 13) + pad("z", 8) + "  result")
        }
        for c in propagation {
            let ok = abs(c.z) <= zStar
            print(pad(c.point.id, 4) + pad(Verification.schemeName(c.scheme, freshRealRows: c.point.freshRealRows), 16) + pad(String(c.point.dimension), 4) +
                  pad(String(c.point.samples), 5) + pad(fmt(c.point.ridge), 6) + pad(String(c.generation), 5) + pad(fmt(c.mean), 13) +
                  pad(fmt(c.standardError), 12) + pad(fmt(c.exact), 13) + pad(String(format: "%.2f", c.z), 8) + (ok ? "  ok" : "  FAIL"))
        }
        if !chainChecks.isEmpty {
            print(pad("id", 4) + pad("chain", 12) + pad("parameters", 16) + pad("gen", 5) + pad("MC mean", 13) + pad("± SE", 12) +
                  pad("theory", 13) + pad("z", 8) + "  result")
        }
        for c in chainChecks {
            let ok = abs(c.z) <= zStar
            print(pad(c.id, 4) + pad(c.label, 12) + pad(c.parameters, 16) + pad(String(c.generation), 5) + pad(fmt(c.mean), 13) +
                  pad(fmt(c.standardError), 12) + pad(fmt(c.theory), 13) + pad(String(format: "%.2f", c.z), 8) + (ok ? "  ok" : "  FAIL"))
        }
        _ = RidgeVerifySupport.printChecks(ridge, threshold: zStar)
        return failed
    }
}
