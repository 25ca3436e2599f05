import CollapseExport
import ExperimentEngine
import ExternalTrainer
import Foundation
import GenerativeChains
import LinearCollapse
import NeuralCollapse

/// The families of the experiment engine, by the name configs and `experiment.toml` use.
public enum Families {
    public static let all: [any ExperimentFamily] = [LinearFamily(), GenerativeFamily(), NeuralFamily(), VerificationFamily(), ExternalFamily()]

    public static func named(_ name: String) -> (any ExperimentFamily)? { all.first { $0.name == name } }

    /// The family a config file names with `family = "…"` (the linear chain when it names none);
    /// errors give `file:line`.
    public static func family(ofConfig text: String, file: String) throws -> any ExperimentFamily {
        let entries: [FlatTOML.Entry]
        do { entries = try FlatTOML.parse(text, file: file) } catch let e as FlatTOML.ParseError { throw SpecError(e.description) }
        guard let entry = entries.first(where: { $0.key == "family" }) else { return LinearFamily() }
        guard case let .string(name) = entry.value, let family = named(name) else {
            throw SpecError(
                "\(file):\(entry.line): key 'family': unknown family \(entry.value); allowed: " + all.map { "\"\($0.name)\"" }.joined(separator: ", "))
        }
        return family
    }
}

/// Named experiments shipped with the tool (`collapse sweep --experiment NAME`), of any
/// family: each is a config file (`collapse sweep --show NAME` prints it to copy and edit).
public enum Experiments {
    public struct Experiment: Sendable {
        public var name: String
        public var toml: String

        /// The config's value of a string key.
        func string(_ key: String) -> String? {
            guard let entries = try? FlatTOML.parse(toml, file: "experiment \(name)"),
                let e = entries.first(where: { $0.key == key }), case let .string(s) = e.value
            else { return nil }
            return s
        }

        public var familyName: String { string("family") ?? "linear" }
        public var description: String { string("description") ?? "" }
        public var family: any ExperimentFamily { Families.named(familyName)! }

        /// The resolved spec (defaults ← this config).
        public func spec() throws -> ExperimentSpec {
            try resolveSpec(family, config: (toml, "experiment \(name)"), flags: [:], seed: nil)
        }
    }

    public static let all: [Experiment] = [
        Experiment(
            name: "paper-linear",
            toml: """
                # The linear figure of Gerstgrasser et al. (2024), arXiv 2404.01413.
                family = "linear"
                name = "paper-linear"
                description = "Paper's linear figure: d = 32, T in {100, 316, 1000}, five noise levels, 50 generations"
                dimension = 32
                samples = [100, 316, 1000]
                noise_variance = [0.01, 0.1, 1, 10, 100]
                generations = 50
                regimes = ["replace", "accumulate"]
                repeats = 1000
                seed = 20240402

                """),
        Experiment(
            name: "collapse-or-thrive-linear",
            toml: """
                # The linear-regression grid of Kazdan et al. (2024), arXiv 2410.16713. Cells with
                # T <= d + 1 simulate min-norm fits and have an empty theory column.
                family = "linear"
                name = "collapse-or-thrive-linear"
                description = "Collapse-or-Thrive grid: d x T x noise, 100 generations, three regimes"
                dimension = [1, 3, 10, 32, 100]
                samples = [10, 32, 100, 316, 1000]
                noise_variance = [0.1, 1, 10]
                generations = 100
                regimes = ["replace", "accumulate", "accumulate-subsample"]
                repeats = 100
                seed = 20241021

                """),
        Experiment(
            name: "kde-moons-samples",
            toml: """
                # A kernel density estimate refit to its own samples (Scott's rule), two moons in 2-D:
                # replace lets the spread grow (proof K1), accumulate holds the held-out nll.
                family = "generative"
                name = "kde-moons-samples"
                description = "KDE refit on two moons: T in {100, 300, 1000}, 50 generations, replace / accumulate / accumulate-subsample"
                model = "kde"
                dataset = "moons"
                samples = [100, 300, 1000]
                test_size = 200
                generations = 50
                regimes = ["replace", "accumulate", "accumulate-subsample"]
                repeats = 100
                seed = 20241204

                """),
        Experiment(
            name: "categorical-zipf-support",
            toml: """
                # Categorical refits (add-0 frequencies) of Zipf(K, 1.1): under replace symbols are lost
                # for good (proof W1), under accumulate the collision probability stays bounded.
                family = "generative"
                name = "categorical-zipf-support"
                description = "Wright–Fisher categorical refits of a Zipf law: K in {20, 200}, T in {100, 1000}, 100 generations"
                model = "categorical"
                samples = [100, 1000]
                support = [20, 200]
                generations = 100
                regimes = ["replace", "accumulate"]
                repeats = 200
                seed = 20241205

                """),
        Experiment(
            name: "vae-regimes",
            toml: """
                # The paper's VAE experiment in small: an MLP VAE on 28x28 glyph images retrained from
                # scratch every generation on its own samples; replace degrades the held-out negative
                # ELBO, accumulate holds it. Minutes on 2 cores (one regime per core).
                family = "neural"
                name = "vae-regimes"
                description = "MLP VAE on glyph images, preset small: replace / accumulate / accumulate-subsample, 5 generations"
                model = "vae"
                preset = "small"
                regimes = ["replace", "accumulate", "accumulate-subsample"]
                generations = 5
                seed = 20241206

                """)
    ]

    public static func named(_ name: String) -> Experiment? { all.first { $0.name == name } }
}

extension Experiments {
    /// What `collapse sweep` runs: the family, its config (a named experiment's or a file's text)
    /// and the run's default name (the experiment's, the file's base name, or `sweep`). Refusals
    /// are `SpecError`s naming the flag.
    public static func source(experiment: String?, configPath: String?) throws
        -> (family: any ExperimentFamily, config: (text: String, file: String)?, name: String)
    {
        if let experiment {
            guard configPath == nil else { throw SpecError("--config and --experiment are exclusive; give one (flags override either)") }
            guard let e = named(experiment) else {
                throw SpecError("--experiment: unknown experiment '\(experiment)'; available: \(all.map(\.name).joined(separator: ", "))")
            }
            return (e.family, (e.toml, "experiment \(e.name)"), e.name)
        }
        guard let path = configPath else { return (LinearFamily(), nil, "sweep") }
        let text = try TextFile.read(path, flag: "--config")
        return (try Families.family(ofConfig: text, file: path), (text, path), URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    }

    /// The parameters `collapse sweep` takes as flags on the command line `words` (for shell
    /// completion): those of the family of its `--experiment` or `--config`, else (none given, or
    /// not readable yet) the linear family's, the default.
    public static func parameters(completing words: [String]) -> [Parameter] {
        func value(_ flag: String) -> String? { words.firstIndex(of: flag).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil } }
        return ((try? source(experiment: value("--experiment"), configPath: value("--config")))?.family ?? LinearFamily()).parameters
    }

    /// `collapse sweep --list`.
    public static var listing: String {
        all.map { "\($0.name.padding(toLength: 28, withPad: " ", startingAt: 0)) [\($0.familyName)] \($0.description)\n" }.joined()
    }
}

extension Families {
    /// `collapse merge`: the family named by the first directory's `experiment.toml`, its shards
    /// merged into `output` (`ExperimentMerge.merge`: the unsharded bytes) and a manifest beside
    /// them. Returns the rows written. Failures are `RunnerError`s naming the directory.
    public static func merge(_ directories: [URL], into output: URL, arguments: [String], environment: [(String, JSONValue)]) throws -> Int {
        let started = Date()
        guard let first = directories.first, let name = try ExperimentMerge.familyName(in: first) else {
            throw RunnerError("\(directories.first?.path ?? "merge"): holds no \(ExperimentRunner.specFile) naming a family; not a run directory of this tool")
        }
        guard let family = named(name) else { throw RunnerError("\(first.path)/\(ExperimentRunner.specFile): unknown family '\(name)'") }
        let merged: (rows: Int, spec: ExperimentSpec, samples: Int, perReplicate: String?)
        do { merged = try ExperimentMerge.merge(directories, into: output, family: family) } catch let e as SpecError { throw RunnerError(e.description) }
        let manifest = RunManifest(
            command: "merge", arguments: arguments, seed: merged.spec.seed ?? 0, threads: 1,
            wallSeconds: Date().timeIntervalSince(started), startedAt: started,
            parameters: [
                ("inputs", .array(directories.map { JSONValue.string($0.relativePath) })),
                ("family", .string(family.name)), ("rows", .int(merged.rows))
            ],
            outputs: ["results.csv"] + (merged.perReplicate.map { [$0] } ?? [])
                + (merged.samples > 0 ? [ExperimentRunner.samplesDirectory] : []),
            environment: environment)
        try AtomicFile.write(manifest.json().rendered() + "\n", to: output.appendingPathComponent("manifest.json"))
        return merged.rows
    }
}
