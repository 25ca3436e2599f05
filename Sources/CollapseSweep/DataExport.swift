import CollapseExport
import ExperimentEngine
import Foundation
import GenerativeChains
import NeuralCollapse
import Randomness

/// `collapse data`: every built-in dataset written in the format its `--data` loader reads, so
/// that built-in and external models can train on the same real data. Reading an export back
/// through its loader gives the built-in draw exactly (see `Dataset.roundTrip` for what that
/// means per format).
///
/// **The seed.** The records are the draw a run at that seed makes, from the start of its
/// stream, so the first `k` records of an export of `count ≥ k` are the export of `k` —
/// except for moons, circles and blobs, which draw scikit-learn's design of `count` points
/// (evenly spaced, balanced, shuffled; `SyntheticPoints`), so that an export of `T` is a run's
/// training set of `--samples T` but not the start of a longer export:
/// - a generative dataset: replicate 1's generation-1 real training set of
///   `collapse generative --model M --dataset X --seed S` (`--model` picks M; the default is the
///   model whose default dataset X is, else the catalogue's first model of X's kind). With
///   `--samples T` its first T records are that training set; the test and fresh sets are
///   other streams.
/// - a neural dataset: the built-in data stream of `collapse neural MODEL --seed S`, which
///   draws the training set and then the held-out set, so the first train + test records are
///   both, in that order (stories depend on `--preset`, which bounds their length).
public enum DataExport {
    public enum Format: String, Sendable {
        case csv, text, idx, xyz
    }

    /// A dataset that can be exported.
    public struct Dataset: Sendable {
        public var name: String
        public var format: Format
        /// What one record (one CSV row, line, image or frame) is.
        public var record: String
        /// The command that reads the file.
        public var loader: String
        /// What the loader gives back.
        public var roundTrip: String
        /// Option keys that apply (`model`, the generative dataset's own, `preset`).
        public var options: [String]
        public var minimumCount: Int
        public var maximumCount: Int
    }

    /// The generative datasets that are built in (every `--dataset` but csv and corpus), then
    /// the neural models' data.
    public static let datasets: [Dataset] =
        GenerativeFamily.datasets.compactMap { d in
            guard let built = (try? GenerativeFamily.builtInDataset(d.name, { _ in nil })) ?? nil else { return nil }
            let options = ["model"] + d.options
            switch built.kind {
            case .points:
                return Dataset(
                    name: d.name, format: .csv, record: "a point: one CSV row x1,…,xd after the header",
                    loader: "collapse generative --dataset csv --data FILE", roundTrip: "the same doubles, bit for bit",
                    options: options, minimumCount: 1, maximumCount: 1_000_000)
            case .symbols, .counts:
                return Dataset(
                    name: d.name, format: .csv, record: "a \(built.kind == .symbols ? "symbol" : "count"): one integer per row after the header x1",
                    loader: "collapse generative --dataset csv --data FILE (as 1-D points)",
                    roundTrip: "the same integers, as 1-D points", options: options, minimumCount: 1, maximumCount: 1_000_000)
            case .sequences:
                return Dataset(
                    name: d.name, format: .text, record: "a sequence: one line of token ids separated by spaces",
                    loader: "collapse generative --dataset corpus --data FILE --sequence-length L (the export's L)",
                    roundTrip: "the same token sequences (the loader numbers tokens in order of first appearance; its vocabulary maps them back)",
                    options: options, minimumCount: 1, maximumCount: 1_000_000)
            }
        } + [
            Dataset(
                name: "stories", format: .text, record: "a story: one line of the story grammar (lm's built-in data)",
                loader: "collapse neural lm --data FILE", roundTrip: "the same stories, byte for byte",
                options: ["preset"], minimumCount: 10, maximumCount: 1_000_000),
            Dataset(
                name: "glyphs", format: .idx, record: "a 28×28 digit-like glyph (vae's built-in data), MNIST IDX unsigned bytes",
                loader: "collapse neural vae --data FILE",
                roundTrip: "the glyphs rounded to 8 bits as MNIST stores them (intensity round(255·p)/255); the loader reads those exactly",
                options: [], minimumCount: 10, maximumCount: 100_000),
            Dataset(
                name: "conformers", format: .xyz, record: "a conformer of the 8-atom carbon chain (diffusion's built-in data): one XYZ frame",
                loader: "collapse neural diffusion --data FILE",
                roundTrip:
                    "the same Float coordinates, bit for bit (frames are written as built, atom 1 at the origin; the loader centres them as the built-in data is centred)",
                options: [], minimumCount: 10, maximumCount: 200_000)
        ]

    /// What `collapse data` was asked for; `count` and `options` (key → value, e.g.
    /// `dimension`, `sequence_length`, `model`, `preset`) as given, checked by `export`.
    public struct Request: Sendable {
        public var dataset: String
        public var count: String
        public var seed: UInt64
        public var options: [String: String]

        public init(dataset: String, count: String, seed: UInt64, options: [String: String] = [:]) {
            self.dataset = dataset; self.count = count; self.seed = seed; self.options = options
        }
    }

    /// A file to write: its bytes and what they hold.
    public struct Export: Sendable {
        public var dataset: Dataset
        public var count: Int
        public var bytes: [UInt8]
        /// The draw the records are, in words (for the command's report).
        public var source: String
    }

    /// The option keys and their checks: the generative family's parameters, and the neural
    /// preset (`collapse data` takes them as flags, `ParameterFlags`).
    public static let parameters: [Parameter] = {
        let keys = Set(datasets.flatMap(\.options))
        return GenerativeFamily().parameters.filter { keys.contains($0.key) } + NeuralFamily().parameters.filter { $0.key == "preset" }
    }()

    /// Checks `request` (not its seed) without drawing: a `SpecError` naming the flag when it is bad.
    public static func check(_ request: Request) throws { _ = try resolve(request) }

    /// The records of `request`, encoded; a `SpecError` naming the flag when the request is bad.
    /// `progress` hears two phases of `count` records each: drawing (record by record for
    /// stories, the dataset at once for the others, whose draws are single calls) and encoding
    /// (record by record for the generative datasets). It is told from inside the loops that draw
    /// and encode, so the random stream and the bytes are those of a run without it.
    public static func export(_ request: Request, progress: RunProgress? = nil) throws -> Export {
        let (d, count, values) = try resolve(request)
        let s = request.seed
        progress?.begin(cells: 2, totalWork: Double(2 * count))
        defer { progress?.end() }
        var tally = Tally(progress)
        func phaseDone() { tally.flush(); progress?.cellFinished() }
        if let built = try generativeDataset(d.name, values) {
            let model = try generativeModel(d.name, built.kind, values["model"]?.textValue)
            var rng = GenerativeExperiment.realTrainingStream(seed: s, model: model, dataset: d.name)
            let records = GenerativeExperiment.draw(built, count: count, using: &rng)!
            tally.add(count); phaseDone()
            var source = "replicate 1's real training stream of collapse generative --model \(model) --dataset \(d.name) --seed \(s)"
            if case let .points(.blobs, dimension, options) = built {
                // scikit-learn draws the centres per call; ours are fixed, so say which they are.
                source +=
                    "; blob centres "
                    + SyntheticPoints.blobCentres(options, dimension: dimension)
                    .map { "(" + $0.map(\.description).joined(separator: ", ") + ")" }.joined(separator: ", ")
            }
            let text = encode(records) { tally.add(1) }
            phaseDone()
            return Export(dataset: d, count: count, bytes: Array(text.utf8), source: source)
        }
        var rng = Xoshiro256StarStar(seed: s, stream: [NeuralStreams.data])
        let bytes: [UInt8], source: String
        switch d.name {
        case "stories":
            let preset = NeuralPreset(rawValue: values["preset"]?.textValue ?? "small")!
            let grammar = LanguageModelTask.storyGrammar(preset)
            // `grammar.corpus(count:)`'s loop, told record by record: the same stories.
            let stories = (0..<count).map { _ in
                defer { tally.add(1) }; return Array(grammar.story(using: &rng).utf8)
            }
            phaseDone()
            bytes = Array((TextCorpus(stories: stories).text + "\n").utf8)
            tally.add(count); phaseDone()
            source = "the built-in data stream of collapse neural lm --preset \(preset.rawValue) --seed \(s) (stories ≤ \(grammar.maxLength) bytes)"
        case "glyphs":
            let images = GlyphGenerator().images(count: count, using: &rng)
            tally.add(count); phaseDone()
            bytes = IDXLoader.encode(images)
            tally.add(count); phaseDone()
            source = "the built-in data stream of collapse neural vae --seed \(s)"
        default:
            let frames = DiffusionTask.moleculeGenerator.uncentred(count: count, using: &rng)
            tally.add(count); phaseDone()
            bytes = Array(XYZLoader.encode(frames, exact: true).utf8)
            tally.add(count); phaseDone()
            source = "the built-in data stream of collapse neural diffusion --seed \(s)"
        }
        return Export(dataset: d, count: count, bytes: bytes, source: source)
    }

    /// The dataset, the count and the checked option values of `request`.
    static func resolve(_ request: Request) throws -> (Dataset, Int, [String: ParameterValue]) {
        guard let d = datasets.first(where: { $0.name == request.dataset }) else {
            throw SpecError("DATASET '\(request.dataset)': unknown dataset; allowed: \(datasets.map(\.name).joined(separator: ", ")) (see --list)")
        }
        guard let count = Int(request.count.trimmingCharacters(in: .whitespaces)), (d.minimumCount...d.maximumCount).contains(count) else {
            let why = d.minimumCount > 1 ? " (its loader needs at least \(d.minimumCount))" : ""
            throw SpecError("--count: '\(request.count)' is not an integer in \(d.minimumCount)...\(d.maximumCount) for \(d.name)\(why)")
        }
        var values: [String: ParameterValue] = [:]
        for key in request.options.keys.sorted() {
            guard let p = parameters.first(where: { $0.key == key }) else { preconditionFailure("DataExport: unknown option \(key)") }
            guard d.options.contains(key) else {
                let owners = datasets.filter { $0.options.contains(key) }.map(\.name)
                throw SpecError("\(p.flag): does not apply to \(d.name); it applies to \(owners.joined(separator: ", "))")
            }
            switch p.value(parsing: request.options[key]!) {
            case let .success(v): values[key] = v
            case let .failure(e): throw SpecError("\(p.flag): \(e.message)")
            }
        }
        if let built = try generativeDataset(d.name, values) {
            _ = try generativeModel(d.name, built.kind, values["model"]?.textValue)
        }
        return (d, count, values)
    }

    /// The built-in generative dataset `name` with the checked option `values` (nil for the
    /// neural data); a bad `--center-box` is a `SpecError`.
    static func generativeDataset(_ name: String, _ values: [String: ParameterValue]) throws -> GenerativeDataset? {
        do { return try GenerativeFamily.builtInDataset(name, { values[$0] }) } catch let e as ParameterError {
            throw SpecError("--\(e.key.map { $0.replacingOccurrences(of: "_", with: "-") } ?? "dataset"): \(e.message)")
        }
    }

    /// The model whose stream a generative dataset is drawn from: `--model`, which must fit it,
    /// or the model whose default it is, or the first of its kind.
    static func generativeModel(_ dataset: String, _ kind: DataKind, _ given: String?) throws -> String {
        let fitting = GenerativeFamily.models.filter { $0.kind == kind }
        guard let given else { return (fitting.first { $0.defaultDataset == dataset } ?? fitting[0]).name }
        guard fitting.contains(where: { $0.name == given }) else {
            throw SpecError(
                "--model \(given): cannot fit \(dataset) (\(kind.rawValue) data); models for \(dataset): \(fitting.map(\.name).joined(separator: ", "))")
        }
        return given
    }

    /// The text of generative records: CSV with a header for points and integers (read by
    /// `UserData.points`), one line of space-separated token ids per sequence (`UserData.corpus`).
    /// `encoded` is called after each record.
    public static func encode(_ records: DatasetRecords, encoded: () -> Void = {}) -> String {
        var out = ""
        switch records {
        case let .points(p):
            out = (1...p.dimension).map { "x\($0)" }.joined(separator: ",") + "\n"
            for i in 0..<p.count { out += p.point(i).map(\.description).joined(separator: ",") + "\n"; encoded() }
        case let .integers(x):
            out = "x1\n"
            for v in x.values { out += "\(v)\n"; encoded() }
        case let .sequences(s):
            for i in 0..<s.count { out += s.sequence(i).map(String.init).joined(separator: " ") + "\n"; encoded() }
        }
        return out
    }

    /// Records counted for `progress`, told it every 4,096 (a lock and a clock per record would
    /// cost more than the record) and at the end of each phase.
    struct Tally {
        let progress: RunProgress?
        var pending = 0
        init(_ progress: RunProgress?) { self.progress = progress }
        mutating func add(_ n: Int) {
            guard progress != nil else { return }
            pending += n
            if pending >= 4096 { flush() }
        }
        mutating func flush() {
            if pending > 0 { progress?.advance(replicates: pending, work: Double(pending)) }
            pending = 0
        }
    }

    /// Writes `export` to `path` atomically (a reader sees no partial file). An existing file
    /// is replaced only with `force`; a directory never. The file's directory must exist.
    public static func write(_ export: Export, to path: String, force: Bool) throws {
        try checkOutput(path, force: force)
        try AtomicFile.write(Data(export.bytes), to: URL(fileURLWithPath: path))
    }

    /// Refuses an empty path, a directory, an existing file without `force`, and a missing
    /// directory (`SpecError`).
    public static func checkOutput(_ path: String, force: Bool) throws {
        guard !path.isEmpty else { throw SpecError("--output: empty path; expected a file path") }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { throw SpecError("--output \(path): is a directory; expected a file path") }
            if !force { throw SpecError("--output \(path): already exists; pass --force to replace it, or choose another --output") }
        }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw SpecError("--output \(path): the directory \(dir) does not exist; create it first")
        }
    }

    /// `collapse data --list`: every dataset with its format, record, loader and options.
    public static var listing: String {
        var out = ""
        for d in datasets {
            let flags = d.options.compactMap { k in parameters.first { $0.key == k }?.flag }
            out +=
                "  " + d.name.padding(toLength: 12, withPad: " ", startingAt: 0) + d.format.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
                + d.record + "\n" + String(repeating: " ", count: 19) + "read by: \(d.loader); count \(d.minimumCount)...\(d.maximumCount)"
                + (flags.isEmpty ? "" : "; options \(flags.joined(separator: ", "))") + "\n"
        }
        return out
    }
}
