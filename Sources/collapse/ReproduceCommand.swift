import ArgumentParser
import CollapseExport
import CollapsePlot
import CollapseSweep
import ExperimentEngine
import Foundation
import LinearCollapse

/// `collapse reproduce`: the paper's linear figure (Gerstgrasser et al. 2024, Fig. 2 setting),
/// the `paper-linear` experiment on the engine, with its agreement with theory.
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Reproduce the paper's linear figure: d = 32, T ∈ {100, 316, 1000}, σ² ∈ {0.01, …, 100}, 50 generations.",
        discussion: """
            The paper-linear experiment (`collapse sweep --show paper-linear`): replace and accumulate, \
            1000 replicates by default, seed 20240402 unless --seed is given. Writes results.csv, \
            the figure (figure.svg, and figure.png where rsvg-convert is installed: Debian's librsvg2-bin; \
            likewise figure-ratio) and manifest.json to --output (replacing a previous run there) and prints the \
            last generation at σ² = 1, the largest |z| of Monte Carlo against theory (both statistics, \
            as in `collapse verify`) with its Bonferroni threshold, and the wall time. Ctrl-C keeps the \
            finished cells (exit 130); --resume completes the run.
            """)

    static let experiment = Experiments.named("paper-linear")!

    @Option(name: .customLong("repeats"), parsing: .unconditional, help: "Replicates per cell (≥ 1000 for the paper's precision; ≥ 2 allowed).")
    var repeats: String?

    @Option(
        name: .customLong("engine"), parsing: .unconditional, help: "Simulator: literal (the reference) or sufficient (draws XᵀX and XᵀE).",
        completion: .list(Engine.allCases.map(\.rawValue)))
    var engine: String?

    @OptionGroup var runOptions: RunOptions

    @Option(
        name: .customLong("output"), parsing: .unconditional,
        help: "Output directory (created if missing; a previous run there is replaced; other files need --force).", completion: .directory)
    var output = "results/linear"

    @Flag(name: .customLong("force"), help: "Write into --output even if it holds other files (they are kept).")
    var force = false

    @Option(name: .customLong("false-alarm"), parsing: .unconditional, help: "Family-wise false-alarm probability α for the agreement verdict.")
    var falseAlarm = 1e-3

    @OptionGroup var control: RunControlOptions

    func frontEnd() throws -> EngineFrontEnd {
        guard falseAlarm.isFinite && falseAlarm > 0 && falseAlarm < 0.5 else {
            throw ValidationError("--false-alarm: \(falseAlarm) is out of range; expected a probability in (0, 0.5)")
        }
        let flags = givenFlags([("repeats", repeats), ("engine", engine)])
        return try EngineFrontEnd.make(
            family: Self.experiment.family, config: (Self.experiment.toml, "experiment paper-linear"),
            flags: flags, runOptions: runOptions, output: output, force: force || control.mayReplaceRun(at: output),
            shard: nil, control: control)
    }

    func validate() throws { _ = try frontEnd() }

    func run() throws {
        let frontEnd = try frontEnd()
        let spec = frontEnd.spec
        print(
            "collapse reproduce: d = 32, T ∈ {100, 316, 1000}, σ² ∈ {0.01, 0.1, 1, 10, 100}, 50 generations, "
                + "\(spec.one("repeats")!) replicates, seed \(spec.seed!), \(frontEnd.threads) thread(s), \(spec.one("engine")!) engine")
        let alpha = falseAlarm
        guard
            let (_, results) = try frontEnd.run(
                command: "reproduce",
                summarize: { results in
                    Verification.agreement(results, familyFalseAlarm: alpha).manifestEntries
                })
        else { return }
        let col = { (name: String) in results.columnIndex(name)! }
        for r in results.rows where Double(r[col("noise_variance")]) == 1 && r[col("generation")] == "50" {
            let number = { (s: String) in Double(s).map(TextTable.number) ?? "—" }
            print(
                "  T = \(r[col("samples")].padding(toLength: 4, withPad: " ", startingAt: 0)) σ² = 1, n = 50, "
                    + "\(r[col("regime")].padding(toLength: 10, withPad: " ", startingAt: 0)): MC \(number(r[col("mean")])) ± "
                    + "\(number(r[col("std_error")]))   theory \(number(r[col("theory")]))")
        }
        let a = Verification.agreement(results, familyFalseAlarm: alpha)
        let z = { (x: Double?) in x.map { String(format: "%.2f", $0) } ?? "—" }
        print(
            "max |z| vs theory: design-averaged \(z(a.maxDesignAveraged)), given-design \(z(a.maxGivenDesign)); "
                + "threshold \(String(format: "%.2f", a.threshold)) (family-wise false alarm \(alpha), Bonferroni over \(a.statistics)): "
                + (a.agrees ? "agrees with theory" : "DISAGREES with theory"))
        do {
            let dir = frontEnd.output.url
            let figures = try DefaultFigures.write(results: results, into: dir, png: true)
            let paper = figures.files.filter { $0.hasPrefix("figure.") }, others = figures.files.filter { !$0.hasPrefix("figure.") }
            print("the paper's figure: \(paper.map { dir.appendingPathComponent($0).path }.joined(separator: ", "))")
            if !others.isEmpty {
                print("also wrote \(others.joined(separator: ", ")) (the accumulate / replace ratio); collapse plot draws other views and formats")
            }
            if let note = figures.pngNote { print(note) }
        } catch {
            Console.note("note: no figure written: \(error)")
        }
    }
}
