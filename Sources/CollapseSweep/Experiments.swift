/// Named experiments shipped with the tool (`collapse sweep --experiment NAME`).
/// `collapse sweep --show NAME` prints one as a config file to copy and edit.
public enum Experiments {
    public struct Experiment: Sendable {
        public var name: String
        public var toml: String
        public func spec() throws -> SweepSpec { try SweepSpec.parse(toml, file: "experiment \(name)") }
    }

    public static let all: [Experiment] = [
        Experiment(name: "paper-linear", toml: """
            # The linear figure of Gerstgrasser et al. (2024), arXiv 2404.01413.
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
        Experiment(name: "collapse-or-thrive-linear", toml: """
            # The linear-regression grid of Kazdan et al. (2024), arXiv 2410.16713. Cells with
            # T <= d + 1 simulate min-norm fits and have an empty theory column.
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
    ]

    public static func named(_ name: String) -> Experiment? { all.first { $0.name == name } }

    /// A named experiment of another family of the experiment engine: its config names the family.
    public struct EngineExperiment: Sendable {
        public var name: String
        public var family: String
        public var description: String
        public var toml: String
    }

    /// Named experiments of the other families (`collapse sweep --experiment NAME`).
    public static let engine: [EngineExperiment] = [
        EngineExperiment(name: "kde-moons-samples", family: "generative",
                         description: "KDE refit on two moons: T in {100, 300, 1000}, 50 generations, replace / accumulate / accumulate-subsample",
                         toml: """
            # A kernel density estimate refit to its own samples (Scott's rule), two moons in 2-D:
            # replace lets the spread grow (proof K1), accumulate holds the held-out nll.
            family = "generative"
            model = "kde"
            dataset = "moons"
            samples = [100, 300, 1000]
            test_size = 200
            generations = 50
            regimes = ["replace", "accumulate", "accumulate-subsample"]
            repeats = 100
            seed = 20241204

            """),
        EngineExperiment(name: "categorical-zipf-support", family: "generative",
                         description: "Wright–Fisher categorical refits of a Zipf law: K in {20, 200}, T in {100, 1000}, 100 generations",
                         toml: """
            # Categorical refits (add-0 frequencies) of Zipf(K, 1.1): under replace symbols are lost
            # for good (proof W1), under accumulate the collision probability stays bounded.
            family = "generative"
            model = "categorical"
            samples = [100, 1000]
            support = [20, 200]
            generations = 100
            regimes = ["replace", "accumulate"]
            repeats = 200
            seed = 20241205

            """),
    ]

    public static func engineNamed(_ name: String) -> EngineExperiment? { engine.first { $0.name == name } }
}
