import ArgumentParser
import CollapseCore
import CollapseExport
import CollapseSweep
import CollapseTheory
import ExperimentEngine
import Foundation
import GenerativeChains
import LinearCollapse

/// `collapse generative`: replace / accumulate / accumulate-subsample / mix / fresh-real chains of
/// a classic generative model, with metrics against real held-out data.
struct GenerativeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generative",
        abstract: "Chains of classic generative models (Gaussian, KDE, mixture, categorical, Poisson, n-gram); writes results.csv and manifest.json.",
        discussion: """
            Generation 1 fits --samples real points; each later generation fits data assembled by the \
            regime from the previous fit's samples (GenerationScheduler, whose regimes simulate's fast path is tested to match). Every replicate \
            draws its own real training set and a held-out real test set (--test-size points, never \
            trained on); all regimes of a replicate share them. Metrics per generation: the test set's \
            negative log-likelihood (nll, nats per point or per token) and, where the truth is known, \
            distances to it; closed forms (proofs G3, U1, W1) fill the theory column where they exist. \
            For --dataset csv/corpus the file's rows are shuffled per replicate into test, training and \
            held-back rows; fresh-real draws each generation's real part from the held-back rows and is \
            refused when there are too few. A fit whose covariance has collapsed to singular (a chain \
            absorbed onto a subspace or a point) is part of the chain, not an error: it is sampled on \
            its subspace and its nll is inf (the mean is inf, with no standard error, once any replicate \
            has one). The same --seed gives byte-identical CSV for any --threads. \
            `collapse generative --list` shows the models and datasets.
            """)

    @Flag(name: .customLong("list"), help: "List the models and datasets, then exit.")
    var list = false

    @Argument(parsing: .allUnrecognized, help: parametersHelp, completion: parameterCompletion { _ in family.parameters })
    var parameters: [String] = []

    @OptionGroup var runOptions: RunOptions

    @Option(
        name: .customLong("output"), parsing: .unconditional,
        help: "Output directory (created if missing; must be empty unless --resume or --force). Holds experiment.toml, cells/, results.csv, manifest.json.",
        completion: .directory)
    var output = "results/generative"

    @Flag(name: .customLong("force"), help: "Overwrite the run files in a non-empty --output.")
    var force = false

    @OptionGroup var engine: EngineRunOptions

    static let family = GenerativeFamily()
    static let parametersHelp = parameterHelp(family.parameters)

    func flags() throws -> [String: String] { try parameterFlags(parameters, of: Self.family.parameters) }

    func validate() throws {
        if list { return }
        _ = try engine.frontEnd(family: Self.family, flags: try flags(), runOptions: runOptions, output: output, force: force)
    }

    func run() throws {
        if list {
            print(GenerativeFamily.listing, terminator: "")
            return
        }
        let frontEnd = try engine.frontEnd(family: Self.family, flags: try flags(), runOptions: runOptions, output: output, force: force)
        guard let results = try frontEnd.run(command: "generative") else { return }
        print(
            LongResults.summary(
                try CSVReader.read(contentsOf: results),
                generations: Set([1] + (frontEnd.spec["generations"].count == 1 ? frontEnd.spec["generations"].compactMap(\.intValue) : []))), terminator: "")
    }
}
