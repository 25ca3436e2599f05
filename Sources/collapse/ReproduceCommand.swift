import ArgumentParser
import CollapseCore
import CollapseExport
import CollapseSweep
import Foundation
import LinearCollapse

/// `collapse reproduce`: the paper's linear figure (Gerstgrasser et al. 2024, Fig. 2 setting).
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Reproduce the paper's linear figure: d = 32, T ∈ {100, 316, 1000}, σ² ∈ {0.01, …, 100}, 50 generations.",
        discussion: """
        Replace and accumulate, 1000 replicates by default, seed 20240402 unless --seed is given. Writes \
        results.csv and manifest.json to --output and prints rows, the largest |z| of Monte Carlo against \
        theory (both statistics, as in `collapse verify`) with its Bonferroni threshold, and the wall time.
        """)

    static let dimension = 32
    static let samples = [100, 316, 1000]
    static let noiseVariances = [0.01, 0.1, 1, 10, 100]
    static let generations = 50
    static let defaultSeed: UInt64 = 20240402

    @Option(name: .customLong("repeats"), parsing: .unconditional, help: "Replicates per cell (≥ 1000 for the paper's precision; ≥ 2 allowed).")
    var repeats = 1000

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var engineOption: EngineOption

    @Option(name: .customLong("output"), parsing: .unconditional, help: "Output directory (created if missing; may hold only a previous run's results.csv and manifest.json unless --force).")
    var output = "results/linear"

    @Flag(name: .customLong("force"), help: "Write into --output even if it holds other files.")
    var force = false

    @Option(name: .customLong("false-alarm"), parsing: .unconditional, help: "Family-wise false-alarm probability α for the agreement verdict.")
    var falseAlarm = 1e-3

    func validate() throws {
        _ = try ListParsing.checked(repeats, flag: "--repeats", in: SweepSpec.Limits.repeats,
                                    why: " (a standard error needs at least 2 replicates)")
        guard falseAlarm.isFinite && falseAlarm > 0 && falseAlarm < 0.5 else {
            throw ValidationError("--false-alarm: \(falseAlarm) is out of range; expected a probability in (0, 0.5)")
        }
        _ = try runOptions.resolvedThreads()
        _ = try runOptions.parsedSeed()
        _ = try runOptions.parsedMaxMemory()
        try OutputDirectory(path: output).checkContents(owned: ["results.csv", "manifest.json"], force: force)
        _ = try engineOption.parsed()
    }

    func run() throws {
        let started = Date()
        let threads = try runOptions.resolvedThreads()
        let seed = try runOptions.resolvedSeed(default: Self.defaultSeed)
        let out = try OutputDirectory(path: output)
        let cells = Self.samples.flatMap { t in
            Self.noiseVariances.map { LinearCell(dimension: Self.dimension, samples: t, noiseVariance: $0) }
        }
        let engine = try engineOption.parsed() ?? .literal
        try checkMemory(cells: cells, regimes: [.replace, .accumulate], generations: Self.generations, threads: threads,
                        maxMemory: try runOptions.parsedMaxMemory())
        let settings = MonteCarloSettings(repeats: repeats, generations: Self.generations,
                                          regimes: [.replace, .accumulate], seed: seed, threads: threads, engine: engine)
        let rows = try runGrid(cells: cells, settings: settings)
        let wall = Date().timeIntervalSince(started)
        let statistics = rows.reduce(0) { $0 + ($1.zScore == nil ? 0 : 1) + ($1.zGivenDesign == nil ? 0 : 1) }
        let zStar = Verification.threshold(familyFalseAlarm: falseAlarm, statistics: max(statistics, 1))
        let (za, zg) = maxAbsZ(rows)
        let agrees = (za ?? 0) <= zStar && (zg ?? 0) <= zStar
        let manifest = RunManifest(
            command: "reproduce", arguments: CommandLine.arguments, seed: seed, threads: threads,
            wallSeconds: wall, startedAt: started,
            parameters: [
                ("dimension", .array([.int(Self.dimension)])),
                ("samples", .array(Self.samples.map(JSONValue.int))),
                ("noise_variance", .array(Self.noiseVariances.map(JSONValue.double))),
                ("generations", .int(Self.generations)),
                ("repeats", .int(repeats)),
                ("regimes", regimeJSON(settings.regimes)),
                ("engine", .string(engine.rawValue)),
                ("design", "fixed, i.i.d. N(0,1) entries (Σ = I)"),
                ("rows", .int(rows.count)),
                ("max_abs_z_score", za.map(JSONValue.double) ?? .null),
                ("max_abs_z_given_design", zg.map(JSONValue.double) ?? .null),
                ("z_threshold", .double(zStar)),
                ("family_false_alarm", .double(falseAlarm)),
                ("agrees_with_theory", .bool(agrees)),
            ],
            outputs: ["results.csv"], environment: RunEnvironment.entries)
        try out.write([("results.csv", LinearResultsCSV.table(rows).rendered()),
                       ("manifest.json", manifest.json().rendered() + "\n")])

        print("collapse reproduce: d = 32, T ∈ {100, 316, 1000}, σ² ∈ {0.01, 0.1, 1, 10, 100}, 50 generations, " +
              "\(repeats) replicates, seed \(seed), \(threads) thread(s), \(engine.rawValue) engine")
        for t in Self.samples {
            let last = rows.filter { $0.cell.samples == t && $0.cell.noiseVariance == 1 && $0.generation == Self.generations }
            for r in last {
                print("  T = \(String(t).padding(toLength: 4, withPad: " ", startingAt: 0)) σ² = 1, n = 50, \(r.regime.name.padding(toLength: 10, withPad: " ", startingAt: 0)): MC \(fmt(r.mean)) ± \(fmt(r.standardError))" +
                      "   theory \(r.theory.map(fmt) ?? "—")")
            }
        }
        print("rows: \(rows.count)")
        print("max |z| vs theory: design-averaged \(za.map { String(format: "%.2f", $0) } ?? "—"), " +
              "given-design \(zg.map { String(format: "%.2f", $0) } ?? "—"); threshold \(String(format: "%.2f", zStar)) " +
              "(family-wise false alarm \(falseAlarm), Bonferroni over \(statistics)): \(agrees ? "agrees with theory" : "DISAGREES with theory")")
        print("wall time: \(String(format: "%.2f", wall)) s")
        print("wrote \(out.url.appendingPathComponent("results.csv").path) and manifest.json")
    }
}
