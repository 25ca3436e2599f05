import ArgumentParser
import CollapseExport
import CollapseSweep

/// `collapse data`: a built-in dataset written in its loader's format (`DataExport` holds the
/// catalogue, the draws and the formats; the CLI parses, reports and writes).
struct DataCommand: ParsableCommand {
    static let parametersHelp = parameterHelp(
        DataExport.parameters, abstract: "The dataset's options, one value each (--list says which apply to which dataset):")
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

    @Argument(help: "The dataset (see --list).", completion: .list(DataExport.datasets.map(\.name)))
    var dataset: String?

    @Flag(name: .customLong("list"), help: "List the datasets with their formats, then exit.")
    var list = false

    @Option(name: .customLong("count"), parsing: .unconditional, help: "Records to write (points, sequences, stories, images or frames).")
    var count: String?

    @Option(name: .customLong("seed"), parsing: .unconditional, help: "Root seed in 0...2^64−1 (default: one is drawn and printed).")
    var seed: String?

    @Option(name: .customLong("output"), parsing: .unconditional, help: "The file to write (its directory must exist).", completion: .file())
    var output: String?

    @Flag(name: .customLong("force"), help: "Replace --output if it exists.")
    var force = false

    @OptionGroup var display: ProgressOptions

    @Argument(
        parsing: .allUnrecognized,
        help: parametersHelp,
        completion: parameterCompletion { _ in DataExport.parameters })
    var parameters: [String] = []

    func run() throws {
        if list { print(DataExport.listing, terminator: ""); return }
        guard let dataset else {
            throw ValidationError("DATASET is required; allowed: \(DataExport.datasets.map(\.name).joined(separator: ", ")) (see --list)")
        }
        guard let count else { throw ValidationError("--count is required (records to write)") }
        guard let output else { throw ValidationError("--output is required (the file to write)") }
        let options = try parameterFlags(parameters, of: DataExport.parameters)
        let given = try seed.map(RunOptions.seed), progress = try display.reporter(.init(parts: "phases (draw, encode)", items: "records"))
        var request = DataExport.Request(dataset: dataset, count: count, seed: 0, options: options)
        try usage {
            try DataExport.check(request); try DataExport.checkOutput(output, force: force)
        }
        request.seed = given ?? RunOptions.drawSeed()
        let export = try usage { try DataExport.export(request, progress: progress) }
        do { try usage { try DataExport.write(export, to: output, force: force) } } catch let e as AtomicFile.WriteError {
            throw CLIError(e.description)
        }
        print("wrote \(output): \(export.count) \(dataset) records (\(export.dataset.format.rawValue)) from \(export.source)")
    }
}
