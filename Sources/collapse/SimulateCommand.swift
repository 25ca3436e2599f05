import ArgumentParser
import CollapseCore
import CollapseExport
import CollapseSweep
import Foundation
import LinearCollapse

/// `collapse simulate`: Monte Carlo of the linear chain over a parameter grid.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Monte Carlo of the OLS collapse chain over a grid; writes results.csv and manifest.json.",
        discussion: """
        Every replicate draws a design X (T×d, N(0,1) entries), w* ~ N(0, I), and fresh noise each \
        generation, then literally refits under each regime. Regimes of one replicate share its draws. \
        For T < d the fits are minimum-norm least squares. The same --seed gives byte-identical CSV \
        for any --threads.
        """)

    @OptionGroup var grid: GridOptions

    @Option(name: .customLong("regimes"), parsing: .unconditional,
            help: "Comma-separated regimes: replace, accumulate, accumulate-subsample, mix.")
    var regimes = "replace,accumulate"

    @Option(name: .customLong("real-fraction"), parsing: .unconditional, help: "Real-data fraction(s) λ for mix and fresh-real, comma-separated, in [0, 1] (default: 0.5).")
    var realFraction: String?

    @Option(name: .customLong("repeats"), parsing: .unconditional, help: "Monte Carlo replicates R per cell (≥ 2).")
    var repeats = 1000

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var engineOption: EngineOption
    @OptionGroup var designOption: DesignOption

    @Option(name: .customLong("output"), parsing: .unconditional, help: "Output directory (created if missing; may hold only a previous run's results.csv and manifest.json unless --force).")
    var output = "results/simulate"

    @Flag(name: .customLong("force"), help: "Write into --output even if it holds other files.")
    var force = false

    func validate() throws {
        try grid.validateGenerations()
        _ = try grid.cells()
        _ = try parsedRegimes()
        _ = try ListParsing.checked(repeats, flag: "--repeats", in: SweepSpec.Limits.repeats,
                                    why: " (a standard error needs at least 2 replicates)")
        _ = try runOptions.resolvedThreads()
        _ = try runOptions.parsedSeed()
        _ = try runOptions.parsedMaxMemory()
        try OutputDirectory(path: output).checkContents(owned: ["results.csv", "manifest.json"], force: force)
        try EngineOption.check(try engineOption.parsed() ?? .literal, cells: try grid.cells(), regimes: try parsedRegimes())
        try DesignOption.check(try designOption.parsed() ?? .fixed, engine: try engineOption.parsed() ?? .literal, regimes: try parsedRegimes())
    }

    func parsedRegimes() throws -> [Regime] {
        try ListParsing.regimes(regimes, realFraction: realFraction)
    }

    func run() throws {
        let started = Date()
        let cells = try grid.cells()
        let regimeList = try parsedRegimes()
        let threads = try runOptions.resolvedThreads()
        let out = try OutputDirectory(path: output)
        try checkMemory(cells: cells, regimes: regimeList, generations: grid.generations, threads: threads,
                        maxMemory: try runOptions.parsedMaxMemory())
        let seed = try runOptions.resolvedSeed()
        noteUnusualCells(cells)

        let engine = try engineOption.parsed() ?? .literal
        let settings = MonteCarloSettings(repeats: repeats, generations: grid.generations,
                                          regimes: regimeList, seed: seed, threads: threads, engine: engine,
                                          design: try designOption.parsed() ?? .fixed)
        let rows = try runGrid(cells: cells, settings: settings)
        let wall = Date().timeIntervalSince(started)
        let manifest = RunManifest(
            command: "simulate", arguments: CommandLine.arguments, seed: seed, threads: threads,
            wallSeconds: wall, startedAt: started,
            parameters: [
                ("dimension", .array(try grid.dimensions().map(JSONValue.int))),
                ("samples", .array(try grid.sampleSizes().map(JSONValue.int))),
                ("noise_variance", .array(try grid.noiseVariances().map(JSONValue.double))),
                ("generations", .int(grid.generations)),
                ("repeats", .int(repeats)),
                ("regimes", regimeJSON(regimeList)),
                ("engine", .string(engine.rawValue)),
                ("design", .string((try designOption.parsed() ?? .fixed).rawValue)),
                ("design_entries", "i.i.d. N(0,1) (Σ = I)"),
                ("rows", .int(rows.count)),
            ],
            outputs: ["results.csv"], environment: RunEnvironment.entries)
        try out.write([("results.csv", LinearResultsCSV.table(rows).rendered()),
                       ("manifest.json", manifest.json().rendered() + "\n")])
        printSummary(rows, settings: settings)
        print("wrote \(rows.count) rows to \(out.url.appendingPathComponent("results.csv").path) " +
              "(manifest.json beside it) in \(String(format: "%.2f", wall)) s")
    }

    /// Says once per kind which cells fit min-norm OLS or lack a closed form.
    func noteUnusualCells(_ cells: [LinearCell]) {
        let over = cells.filter(\.isOverParameterised)
        if !over.isEmpty {
            Console.note("note: T < d in \(over.count) cell(s) (\(over.map(\.description).joined(separator: "; "))): " +
                         "fitting minimum-norm least squares; theory_test_error is empty there")
        }
        let boundary = cells.filter { !$0.isOverParameterised && $0.samples < $0.dimension + 2 }
        if !boundary.isEmpty {
            Console.note("note: T < d + 2 in \(boundary.count) cell(s): the Gaussian-design expectation is infinite; " +
                         "theory_test_error is empty there (theory_given_design still applies)")
        }
    }

    func printSummary(_ rows: [GenerationSummary], settings: MonteCarloSettings) {
        print(pad("regime", 22) + pad("d", 6) + pad("T", 8) + pad("σ²", 10) + pad("gen", 6) +
              pad("mean", 13) + pad("± SE", 12) + pad("theory", 13) + pad("z", 8))
        for r in rows where r.generation == 1 || r.generation == settings.generations {
            print(pad(r.regime.description, 22) + pad(String(r.cell.dimension), 6) + pad(String(r.cell.samples), 8) +
                  pad(fmt(r.cell.noiseVariance), 10) + pad(String(r.generation), 6) + pad(fmt(r.mean), 13) +
                  pad(fmt(r.standardError), 12) + pad(r.theory.map(fmt) ?? "—", 13) +
                  pad(r.zScore.map { String(format: "%.2f", $0) } ?? "—", 8))
        }
    }
}
