import ArgumentParser
import CollapseExport
import CollapseSweep

/// `collapse data`: a built-in dataset written in its loader's format (`DataExport` holds the
/// catalogue, the draws and the formats; the CLI parses, reports and writes).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Export a built-in dataset in the format its --data loader reads, for external trainers.",
        discussion: """
        Datasets and formats (`collapse data --list`): the generative point datasets (gaussian, blobs, \
        circles, moons, swiss-roll) as CSV, one point per row after a header x1,…,xd, doubles in \
        shortest round-trip form (read by generative --dataset csv); zipf and poisson as one-column \
        CSV of integers (read as 1-D points); markov as text, one sequence of token ids per line \
        (read by generative --dataset corpus with the same --sequence-length); stories as text, one \
        story per line (neural lm --data); glyphs as MNIST IDX unsigned bytes, i.e. rounded to 8 bits \
        (neural vae --data); conformers as multi-frame XYZ, written as built (atom 1 at the origin) \
        with exact Float coordinates (neural diffusion --data, which centres them). Read back, each \
        file gives the built-in records exactly (glyphs at their 8 bits). The seed: a generative dataset is drawn from the \
        stream of replicate 1's real training set of `collapse generative --model M --dataset X \
        --seed S` (--model picks M; default: the model whose default dataset X is, else the first \
        that fits), so its first T records are that training set (moons, circles and blobs: scikit-learn's design of \
        --count points, so an export of T is that training set but not the start of a longer export); a neural dataset is the built-in \
        data stream of `collapse neural MODEL --seed S`, training records first, then held-out ones \
        (stories follow --preset's length bound). The same seed gives the same bytes. The file is \
        written atomically; an existing file is replaced only with --force; nothing is written on error.
        """)

    @Argument(help: "The dataset (see --list).")
    var dataset: String?

    @Flag(name: .customLong("list"), help: "List the datasets with their formats, then exit.")
    var list = false

    @Option(name: .customLong("count"), parsing: .unconditional, help: "Records to write (points, sequences, stories, images or frames).")
    var count: String?

    @Option(name: .customLong("seed"), parsing: .unconditional, help: "Root seed in 0...2^64−1 (default: one is drawn and printed).")
    var seed: String?

    @Option(name: .customLong("output"), parsing: .unconditional, help: "The file to write (its directory must exist).")
    var output: String?

    @Flag(name: .customLong("force"), help: "Replace --output if it exists.")
    var force = false

    @Option(name: .customLong("model"), parsing: .unconditional, help: "Generative datasets: the model whose real-data stream is drawn.")
    var model: String?
    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "gaussian, blobs: dimension d (default 2).") var dimension: String?
    @Option(name: .customLong("variance"), parsing: .unconditional, help: "gaussian: isotropic variance v, law N(0, vI).") var variance: String?
    @Option(name: .customLong("noise"), parsing: .unconditional, help: "moons, circles (default 0), swiss-roll (default 0.1): noise s.d.") var noise: String?
    @Option(name: .customLong("factor"), parsing: .unconditional, help: "circles: inner / outer radius in [0, 1) (default 0.8).") var factor: String?
    @Option(name: .customLong("centers"), parsing: .unconditional, help: "blobs: number of centres (default 3).") var centers: String?
    @Option(name: .customLong("cluster-std"), parsing: .unconditional, help: "blobs: blob s.d. (default 1).") var clusterStd: String?
    @Option(name: .customLong("center-box"), parsing: .unconditional, help: "blobs: LOW,HIGH box of the centres (default -10,10).") var centerBox: String?
    @Option(name: .customLong("support"), parsing: .unconditional, help: "zipf: symbols K (default 20).") var support: String?
    @Option(name: .customLong("exponent"), parsing: .unconditional, help: "zipf: exponent s (default 1.1).") var exponent: String?
    @Option(name: .customLong("rate"), parsing: .unconditional, help: "poisson: rate λ (default 4).") var rate: String?
    @Option(name: .customLong("vocabulary"), parsing: .unconditional, help: "markov: vocabulary V (default 10).") var vocabulary: String?
    @Option(name: .customLong("sequence-length"), parsing: .unconditional, help: "markov: tokens per sequence L (default 20).") var sequenceLength: String?
    @Option(name: .customLong("preset"), parsing: .unconditional, help: "stories: the neural preset whose length bound applies (default small).") var preset: String?

    func run() throws {
        if list { print(DataExport.listing, terminator: ""); return }
        guard let dataset else { throw ValidationError("DATASET is required; allowed: \(DataExport.datasets.map(\.name).joined(separator: ", ")) (see --list)") }
        guard let count else { throw ValidationError("--count is required (records to write)") }
        guard let output else { throw ValidationError("--output is required (the file to write)") }
        let options = ["model": model, "dimension": dimension, "support": support, "exponent": exponent, "rate": rate,
                       "vocabulary": vocabulary, "sequence_length": sequenceLength, "preset": preset,
                       "variance": variance, "noise": noise, "factor": factor, "centers": centers, "cluster_std": clusterStd, "center_box": centerBox].compactMapValues { $0 }
        let given = try seed.map(RunOptions.seed)
        var request = DataExport.Request(dataset: dataset, count: count, seed: 0, options: options)
        try usage { try DataExport.check(request); try DataExport.checkOutput(output, force: force) }
        request.seed = given ?? RunOptions.drawSeed()
        let export = try usage { try DataExport.export(request) }
        do { try usage { try DataExport.write(export, to: output, force: force) } } catch let e as AtomicFile.WriteError {
            throw CLIError(e.description)
        }
        print("wrote \(output): \(export.count) \(dataset) records (\(export.dataset.format.rawValue)) from \(export.source)")
    }
}
