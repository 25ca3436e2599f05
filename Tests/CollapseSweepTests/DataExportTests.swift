import CollapseExport
import CollapseSweep
import ExperimentEngine
import Foundation
import GenerativeChains
import NeuralCollapse
import Randomness
import XCTest

/// `collapse data`: each built-in dataset, exported and read back through its `--data` loader,
/// is exactly the built-in draw; the same seed gives the same bytes.
final class DataExportTests: XCTestCase {
    func export(_ dataset: String, _ count: Int, seed: UInt64 = 7, _ options: [String: String] = [:]) throws -> DataExport.Export {
        try DataExport.export(.init(dataset: dataset, count: String(count), seed: seed, options: options))
    }

    func text(_ e: DataExport.Export) -> String { String(decoding: e.bytes, as: UTF8.self) }

    /// The built-in records a generative run draws for replicate 1's training set.
    func builtIn(_ dataset: String, model: String, count: Int, seed: UInt64 = 7, _ options: [String: ParameterValue] = [:]) -> DatasetRecords {
        var rng = GenerativeExperiment.realTrainingStream(seed: seed, model: model, dataset: dataset)
        return GenerativeExperiment.draw(try! GenerativeFamily.builtInDataset(dataset, { options[$0] })!, count: count, using: &rng)!
    }

    func testPointDatasetsReadBackBitForBitThroughTheCSVLoader() throws {
        let models = ["gaussian": "gaussian", "blobs": "gmm", "circles": "gaussian", "moons": "kde", "swiss-roll": "gaussian"]
        for (name, model) in models {
            let e = try export(name, 200)
            XCTAssertEqual(e.dataset.format, .csv)
            let read = try UserData.points(csv: text(e), file: name)
            XCTAssertEqual(DatasetRecords.points(read), builtIn(name, model: model, count: 200), name)
            XCTAssertEqual(
                read.values.map(\.bitPattern),
                {
                    if case let .points(p) = builtIn(name, model: model, count: 200) { return p.values.map(\.bitPattern) }; return []
                }(), name)
        }
        let e = try export("gaussian", 30, ["dimension": "5", "model": "kde"])
        XCTAssertEqual(
            DatasetRecords.points(try UserData.points(csv: text(e), file: "g")),
            builtIn("gaussian", model: "kde", count: 30, ["dimension": .integer(5)]))
        XCTAssertTrue(text(e).hasPrefix("x1,x2,x3,x4,x5\n"))
    }

    func testIntegerDatasetsReadBackAsOneColumnPoints() throws {
        for (name, model, options, values) in [
            ("zipf", "categorical", ["support": "50", "exponent": "0.7"], ["support": ParameterValue.integer(50), "exponent": .real(0.7)]),
            ("poisson", "poisson", ["rate": "12.5"], ["rate": .real(12.5)])
        ] {
            let e = try export(name, 300, options)
            let read = try UserData.points(csv: text(e), file: name)
            guard case let .integers(x) = builtIn(name, model: model, count: 300, values) else { return XCTFail() }
            XCTAssertEqual(read.dimension, 1)
            XCTAssertEqual(read.values, x.values.map(Double.init), name)
        }
    }

    func testMarkovSequencesReadBackThroughTheCorpusLoader() throws {
        let e = try export("markov", 40, ["vocabulary": "12", "sequence_length": "15"])
        let (sequences, vocabulary) = try UserData.corpus(text(e), length: 15, file: "markov.txt")
        guard case let .sequences(s) = builtIn("markov", model: "ngram", count: 40, ["vocabulary": .integer(12), "sequence_length": .integer(15)]) else {
            return XCTFail()
        }
        XCTAssertEqual(sequences.count, 40)
        // The loader numbers tokens by first appearance; its vocabulary holds the exported ids.
        XCTAssertEqual(sequences.tokens.map { Int32(vocabulary[Int($0)])! }, s.tokens)
        XCTAssertEqual(text(e).split(separator: "\n").count, 40)
    }

    /// The generative seed's meaning: replicate 1's and 2's training sets (drawn as the export
    /// draws them) give the run's generation-1 fitted total variance and mean error.
    func testGenerativeExportIsTheRunsTrainingSet() throws {
        let t = 40, seed: UInt64 = 11
        let rows = try GenerativeExperiment(
            model: .gaussian(.mle), dataset: .points(.gaussian, dimension: 3), samples: t, testSize: 10,
            generations: 1, regimes: [.replace], repeats: 2, seed: seed, threads: 1
        ).run()
        var tv = 0.0, me = 0.0
        for r in 0..<2 {
            var rng = GenerativeExperiment.realTrainingStream(seed: seed, model: "gaussian", dataset: "gaussian", replicate: r)
            guard case let .points(p) = GenerativeExperiment.draw(.points(.gaussian, dimension: 3), count: t, using: &rng) else { return XCTFail() }
            if r == 0 {
                let e = try export("gaussian", t, seed: seed, ["dimension": "3"])
                XCTAssertEqual(try UserData.points(csv: text(e), file: "g"), p)
            }
            for j in 0..<3 {
                let column = (0..<t).map { p.values[$0 * 3 + j] }
                let mean = column.reduce(0, +) / Double(t)
                tv += column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(t) / 2
                me += mean * mean / 2
            }
        }
        let value = { (metric: String) in rows.first { $0.metric == metric && $0.generation == 1 }!.mean }
        XCTAssertEqual(value("total_variance"), tv, accuracy: 1e-12 * tv)
        XCTAssertEqual(value("mean_error"), me, accuracy: 1e-12 * me)
    }

    func testStoriesAreTheLanguageModelsBuiltInCorpus() throws {
        let task = try LanguageModelTask.make(.smoke, seed: 5, dataPath: nil)
        let n = task.train.count + task.test.count
        let e = try export("stories", n, seed: 5, ["preset": "smoke"])
        XCTAssertEqual(try TextCorpusLoader.parse(e.bytes, name: "stories.txt"), TextCorpus.concatenating([task.train, task.test]))
        // The default preset is small's (longer stories allowed): another corpus.
        XCTAssertNotEqual(try export("stories", n, seed: 5).bytes, e.bytes)
    }

    func testGlyphsAreTheVAEsBuiltInImagesAtEightBits() throws {
        let task = try VAETask.make(.smoke, seed: 5, dataPath: nil)
        let all = ImageSet.concatenating([task.train, task.test])
        let e = try export("glyphs", all.count, seed: 5)
        let read = try IDXLoader.parse(e.bytes, name: "glyphs.idx")
        XCTAssertEqual(read.pixels, all.pixels.map { Float(UInt8(($0 * 255).rounded())) / 255 })
        XCTAssertEqual(IDXLoader.encode(read), e.bytes, "re-encoding the loaded glyphs gives the same file")
        XCTAssertEqual(read.pixels.enumerated().map { abs($0.element - all.pixels[$0.offset]) }.max()!, 0.5 / 255, accuracy: 1e-6)
    }

    func testConformersAreTheDiffusionModelsBuiltInDataBitForBit() throws {
        let task = try DiffusionTask.make(.smoke, seed: 5, dataPath: nil)
        let all = ConformerSet.concatenating([task.train, task.test])
        let e = try export("conformers", all.count, seed: 5)
        let read = try XYZLoader.parse(e.bytes, name: "conformers.xyz")
        XCTAssertEqual(read.elements, all.elements)
        XCTAssertEqual(read.bonds, all.bonds)
        XCTAssertEqual(read.coordinates.map(\.bitPattern), all.coordinates.map(\.bitPattern))
    }

    func testExactXYZTextReadsBackEveryFloat() {
        var rng = Xoshiro256StarStar(seed: 3, stream: [])
        let xs = (0..<20_000).map { _ in Float(Normal.next(using: &rng) * 3) } + [0, -0, 1e-30, 9999.999, .leastNonzeroMagnitude]
        let set = ConformerSet(elements: ["C"], bonds: [], coordinates: xs.count % 3 == 0 ? xs : Array(xs.prefix(xs.count / 3 * 3)))
        let lines = XYZLoader.encode(set, exact: true).split(separator: "\n").filter { $0.hasPrefix("C ") }
        let back = lines.flatMap { $0.split(separator: " ").dropFirst().map { Float(Double($0)!) } }
        XCTAssertEqual(back.map(\.bitPattern), set.coordinates.map(\.bitPattern))
    }

    func testSameSeedSameBytesAndPrefixes() throws {
        for d in DataExport.datasets {
            let n = d.minimumCount + 5
            let a = try export(d.name, n), b = try export(d.name, n)
            XCTAssertEqual(a.bytes, b.bytes, d.name)
            XCTAssertNotEqual(try export(d.name, n, seed: 8).bytes, a.bytes, d.name)
            XCTAssertFalse(a.bytes.isEmpty)
        }
        // The first k records of a longer export are the export of k.
        XCTAssertTrue(text(try export("swiss-roll", 50)).hasPrefix(text(try export("swiss-roll", 20))))
        // scikit-learn's designs are drawn whole: 20 moons are not the first 20 of 50.
        XCTAssertFalse(text(try export("moons", 50)).hasPrefix(text(try export("moons", 20))))
        XCTAssertTrue(text(try export("stories", 50)).hasPrefix(text(try export("stories", 20))))
    }

    func testEveryBuiltInDatasetIsExportable() {
        let generative = GenerativeFamily.datasets.map(\.name).filter { $0 != "csv" && $0 != "corpus" }
        XCTAssertEqual(DataExport.datasets.map(\.name), generative + ["stories", "glyphs", "conformers"])
        for d in DataExport.datasets { XCTAssertTrue(DataExport.listing.contains(d.name), d.name) }
    }

    func testBadRequestsNameTheFlagAndWhatIsAllowed() {
        func message(_ dataset: String, _ count: String, _ options: [String: String] = [:]) -> String {
            do { _ = try DataExport.export(.init(dataset: dataset, count: count, seed: 1, options: options)); return "accepted" } catch {
                return (error as? SpecError)?.description ?? "not a SpecError: \(error)"
            }
        }
        XCTAssertTrue(message("mnist", "10").contains("unknown dataset; allowed: gaussian, blobs"))
        XCTAssertEqual(message("moons", "0"), "--count: '0' is not an integer in 1...1000000 for moons")
        XCTAssertTrue(message("moons", "1000001").contains("1...1000000"))
        XCTAssertTrue(message("moons", "ten").contains("--count: 'ten'"))
        XCTAssertTrue(message("stories", "9").contains("10...1000000 for stories (its loader needs at least 10)"))
        XCTAssertEqual(message("moons", "10", ["dimension": "3"]), "--dimension: does not apply to moons; it applies to gaussian, blobs")
        XCTAssertTrue(message("glyphs", "10", ["preset": "smoke"]).contains("--preset: does not apply to glyphs; it applies to stories"))
        XCTAssertTrue(message("gaussian", "10", ["dimension": "0"]).hasPrefix("--dimension: '0' is not an integer in 1...100"))
        XCTAssertTrue(
            message("moons", "10", ["model": "poisson"]).contains("--model poisson: cannot fit moons (points data); models for moons: gaussian, kde, gmm"))
        XCTAssertTrue(message("moons", "10", ["model": "nope"]).contains("--model: unknown value 'nope'"))
        XCTAssertTrue(message("stories", "10", ["preset": "huge"]).contains("smoke, small, paper"))
    }

    func testWriteRefusesToReplaceAFileWithoutForce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("data-export-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("moons.csv").path
        let e = try export("moons", 10)
        try DataExport.write(e, to: path, force: false)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data(e.bytes))
        XCTAssertThrowsError(try DataExport.write(try export("moons", 11), to: path, force: false)) {
            XCTAssertTrue("\($0)".contains("already exists; pass --force"), "\($0)")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data(e.bytes))
        try DataExport.write(try export("moons", 11), to: path, force: true)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data(try export("moons", 11).bytes))
        XCTAssertThrowsError(try DataExport.write(e, to: dir.path, force: true)) { XCTAssertTrue("\($0)".contains("is a directory"), "\($0)") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["moons.csv"])
    }
}
