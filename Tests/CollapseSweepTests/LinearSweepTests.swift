import CollapseCore
import CollapseSweep
import ExperimentEngine
import Foundation
import LinearCollapse
import Synchronization
import XCTest

/// A linear sweep config resolved as `collapse sweep --config` resolves it.
func linearSpec(_ toml: String, file: String = "s.toml", seed: UInt64? = nil) throws -> ExperimentSpec {
    try resolveSpec(LinearFamily(), config: (toml, file), flags: [:], seed: seed)
}

/// The linear family's sweeps on the engine: durable cells, shards, resume and the output rules.
final class LinearSweepRunnerTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    let spec = try! linearSpec(
        """
        name = "small"
        dimension = [2, 4]
        samples = [3, 12]
        noise_variance = [1, 5]
        generations = 4
        regimes = ["replace", "accumulate", "accumulate-subsample", "mix"]
        real_fraction = [0.5]
        repeats = 70
        """, seed: 11)

    func runner(
        _ dir: String, spec: ExperimentSpec? = nil, shard: Shard? = nil, resume: Bool = false, force: Bool = false,
        threads: Int = 2
    ) -> ExperimentRunner {
        ExperimentRunner(
            options: .init(
                family: LinearFamily(), spec: spec ?? self.spec, threads: threads, shard: shard,
                output: root.appendingPathComponent(dir), resume: resume, force: force,
                command: "test", arguments: ["test"]))
    }

    func results(_ dir: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(dir).appendingPathComponent("results.csv")) }

    func testCompleteRunWritesCellsResultsAndManifest() throws {
        let outcome = try runner("a").run()
        XCTAssertEqual(outcome.status, .complete)
        XCTAssertEqual(outcome.cellsRun, 8)
        XCTAssertEqual(outcome.rows, 8 * 4 * 4)
        let csv = String(decoding: try results("a"), as: UTF8.self)
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 128)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("a/manifest.json"))) as? [String: Any]
        XCTAssertEqual(manifest?["status"] as? String, "complete")
        let recorded = try ExperimentRunner.recordedSpec(in: root.appendingPathComponent("a"), family: LinearFamily())
        XCTAssertEqual(recorded, spec)
        XCTAssertEqual(recorded?.name, "small")
        // Thread count does not change a byte.
        _ = try runner("b", threads: 1).run()
        XCTAssertEqual(try results("a"), try results("b"))
    }

    func testShardsMergeToTheUnshardedBytes() throws {
        _ = try runner("full").run()
        for i in 0..<3 { _ = try runner("s\(i)", shard: Shard(index: i, count: 3)).run() }
        let merged = try ExperimentMerge.merge(
            (0..<3).map { root.appendingPathComponent("s\($0)") }, into: root.appendingPathComponent("m"),
            family: LinearFamily())
        XCTAssertEqual(merged.rows, 128)
        XCTAssertEqual(try results("m"), try results("full"))
        // A missing shard is an error naming the missing cell.
        XCTAssertThrowsError(
            try ExperimentMerge.merge(
                [root.appendingPathComponent("s0")], into: root.appendingPathComponent("m2"),
                family: LinearFamily())
        ) {
            XCTAssertTrue("\($0)".contains("is missing"), "\($0)")
        }
    }

    func testInterruptedThenResumedRunIsByteIdentical() throws {
        _ = try runner("full").run()
        for stopAfter in [1, 5, 13] {
            let dir = "cut\(stopAfter)"
            let polls = Atomic<Int>(0)
            let first = try runner(dir).run(isCancelled: { polls.add(1, ordering: .relaxed).newValue > stopAfter })
            XCTAssertEqual(first.status, .interrupted)
            XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("\(dir)/results.csv").path))
            let second = runner(dir, resume: true)
            try second.prepare()
            let outcome = try second.run()
            XCTAssertEqual(outcome.status, .complete)
            XCTAssertEqual(outcome.cellsReused + outcome.cellsRun, 8)
            XCTAssertEqual(try results(dir), try results("full"), "stopped after \(stopAfter) polls")
        }
    }

    func testOutputDirectoryRules() throws {
        _ = try runner("x").run()
        XCTAssertThrowsError(try runner("x").prepare()) { XCTAssertTrue("\($0)".contains("--resume")) }
        XCTAssertNoThrow(try runner("x", resume: true).prepare())
        var other = spec
        other.set("repeats", [.integer(71)], origin: .flag)
        XCTAssertThrowsError(try runner("x", spec: other, resume: true).prepare()) { XCTAssertTrue("\($0)".contains("repeats: 70 vs 71"), "\($0)") }
        var renamed = spec
        renamed.name = "other"
        XCTAssertThrowsError(try runner("x", spec: renamed, resume: true).prepare()) { XCTAssertTrue("\($0)".contains("name: small vs other"), "\($0)") }
        try runner("x", force: true).prepare()
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("x/cells").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("x/results.csv").path))
        // A directory with foreign files is not resumable.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("y"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: root.appendingPathComponent("y/notes.txt"))
        XCTAssertThrowsError(try runner("y", resume: true).prepare()) { XCTAssertTrue("\($0)".contains("not a run directory"), "\($0)") }
        XCTAssertFalse(ExperimentRunner.holdsOnlyRunFiles(root.appendingPathComponent("y")))
        XCTAssertTrue(ExperimentRunner.holdsOnlyRunFiles(root.appendingPathComponent("x")))
    }
}

/// Merge and resume check every cell file against the linear family's rows before using it.
final class LinearCellValidationTests: XCTestCase {
    func testDamagedCellFilesAreRejectedWithFileAndLine() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cells-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let spec = try linearSpec("dimension = 3\nsamples = [10, 20]\ngenerations = 3\nregimes = [\"replace\", \"mix\"]\nrepeats = 20\n", seed: 1)
        let dir = root.appendingPathComponent("a")
        func runner(resume: Bool) -> ExperimentRunner {
            ExperimentRunner(
                options: .init(
                    family: LinearFamily(), spec: spec, threads: 1, output: dir, resume: resume,
                    command: "test", arguments: []))
        }
        _ = try runner(resume: false).run()
        let cell = dir.appendingPathComponent("cells/cell-00001.csv")
        let original = try String(contentsOf: cell, encoding: .utf8)
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        /// The file with field `column` of physical line `line` (1 = the header) set to `value`.
        func with(line: Int, column: String, _ value: String) -> String {
            var l = lines, f = l[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[LinearResultsCSV.header.firstIndex(of: column)!] = value
            l[line - 1] = f.joined(separator: ",")
            return l.joined(separator: "\n")
        }
        let damaged: [(String, String)] = [
            (lines.dropLast(2).joined(separator: "\n") + "\n", "rows, expected 6"),
            (String(original.dropLast()), "does not end with a newline"),
            (with(line: 3, column: "repeats", "21"), ":3: row does not belong"),
            (with(line: 3, column: "engine", "sufficient"), ":3: row does not belong"),
            (with(line: 7, column: "mean", "abc"), ":7: column 'mean'"),
            (with(line: 7, column: "z_given_design", "1.5x"), ":7: column 'z_given_design'"),
            ("garbage\n", ":1: unexpected header")
        ]
        for (text, fragment) in damaged {
            try text.write(to: cell, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ExperimentMerge.merge([dir], into: root.appendingPathComponent("m"), family: LinearFamily())) { error in
                XCTAssertTrue("\(error)".contains("cell-00001.csv") && "\(error)".contains(fragment), "\(error)")
            }
            XCTAssertThrowsError(try runner(resume: true).run()) { XCTAssertTrue("\($0)".contains("delete that file"), "\($0)") }
        }
        try original.write(to: cell, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ExperimentMerge.merge([dir], into: root.appendingPathComponent("m"), family: LinearFamily()).rows, 12)
    }
}

/// Linear sweep configs: every key, the messages, the named experiments.
final class LinearSweepSpecTests: XCTestCase {
    func testParsesEveryKeyAndExpandsMix() throws {
        let spec = try linearSpec(
            """
            name = "t"
            description = "d"
            dimension = [2, 3]
            samples = 20
            noise_variance = [0.5, 2]
            generations = 7
            regimes = ["replace", "mix", "accumulate-subsample"]
            real_fraction = [0.25, 0.75]
            repeats = 64
            engine = "literal"
            design = "fixed"
            seed = 99
            """)
        let family = LinearFamily()
        XCTAssertEqual(spec.name, "t")
        XCTAssertEqual(spec.description, "d")
        XCTAssertEqual(spec["dimension"], [.integer(2), .integer(3)])
        XCTAssertEqual(spec["samples"], [.integer(20)])
        XCTAssertEqual(spec.one("generations"), .integer(7))
        XCTAssertEqual(family.replicates(spec), 64)
        XCTAssertEqual(spec.seed, 99)
        XCTAssertEqual(family.regimes(spec), [.replace, .mix(realFraction: 0.25), .mix(realFraction: 0.75), .accumulateSubsample])
        let cells = spec.cells.map(family.cell)
        XCTAssertEqual(cells.map { [$0.dimension, $0.samples] }, [[2, 20], [2, 20], [3, 20], [3, 20]])
        XCTAssertEqual(cells.map(\.noiseVariance), [0.5, 2, 0.5, 2])
        // The written form reads back to the same spec.
        let back = try linearSpec(spec.tomlText(), file: "round-trip")
        XCTAssertEqual(back, spec)
        XCTAssertEqual(back.description, "d")
    }

    func testBadValuesAreReportedWithFileLineAndKey() {
        let cases: [(String, String)] = [
            ("samples = 0", "s.toml:1: key 'samples': 0 is out of range; expected an integer in 1...100000000"),
            ("dimension = [3, 3]", "key 'dimension': the value 3 is listed twice"),
            ("noise_variance = -1", "key 'noise_variance': -1 is out of range; expected a finite number in (0, 1000000000000]"),
            ("noise_variance = nan", "key 'noise_variance'"),
            ("generations = 1.5", "key 'generations': 1.5 is not an integer in 1...100000"),
            ("repeats = 1", "key 'repeats': 1 is out of range; expected an integer in 2..."),
            ("regimes = [\"replace\", \"bogus\"]", "key 'regimes': unknown value 'bogus'"),
            ("regimes = []", "key 'regimes': empty array"),
            ("real_fraction = 1.5", "key 'real_fraction': 1.5 is out of range; expected a finite number in [0, 1]"),
            ("real_fraction = 0.3", "s.toml:1: key 'real_fraction': applies only to the mix and fresh-real regimes"),
            ("seed = -3", "key 'seed': expected an integer in 0...18446744073709551615"),
            ("name = 3", "key 'name': expected a non-empty string"),
            ("name = \"a/b\"", "key 'name': expected a non-empty string without '/'"),
            ("engine = \"sufficient\"\nsamples = 5", "key 'engine' sufficient:"),
            ("family = \"generative\"", "key 'family': this file is for family \"generative\", not \"linear\""),
            ("\n\nsampels = 100", "s.toml:3: key 'sampels': unknown key (did you mean 'samples'?)"),
            ("colour = 1", "key 'colour': unknown key; allowed keys: family, name, description, seed, dimension,")
        ]
        for (text, fragment) in cases {
            XCTAssertThrowsError(try linearSpec(text), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(text) → \(error)")
            }
        }
    }

    func testSeedAboveInt64AsString() throws {
        XCTAssertEqual(try linearSpec("seed = \"18446744073709551615\"").seed, UInt64.max)
    }

    func testNamedExperimentsMatchTheirDefinitions() throws {
        let family = LinearFamily()
        let paper = try XCTUnwrap(Experiments.named("paper-linear")).spec()
        XCTAssertEqual(paper.name, "paper-linear")
        XCTAssertEqual(paper["dimension"], [.integer(32)])
        XCTAssertEqual(paper["samples"], [100, 316, 1000].map(ParameterValue.integer))
        XCTAssertEqual(paper["noise_variance"], [0.01, 0.1, 1, 10, 100].map(ParameterValue.real))
        XCTAssertEqual(paper.one("generations"), .integer(50))
        XCTAssertEqual(family.regimes(paper), [.replace, .accumulate])
        XCTAssertGreaterThanOrEqual(family.replicates(paper), 1000)
        let cot = try XCTUnwrap(Experiments.named("collapse-or-thrive-linear")).spec()
        XCTAssertEqual(cot["dimension"], [1, 3, 10, 32, 100].map(ParameterValue.integer))
        XCTAssertEqual(cot["samples"], [10, 32, 100, 316, 1000].map(ParameterValue.integer))
        XCTAssertEqual(cot["noise_variance"], [0.1, 1, 10].map(ParameterValue.real))
        XCTAssertEqual(cot.one("generations"), .integer(100))
        XCTAssertEqual(family.regimes(cot), [.replace, .accumulate, .accumulateSubsample])
        XCTAssertEqual(family.replicates(cot), 100)
        XCTAssertNil(Experiments.named("nope"))
        // Every named experiment, of any family, resolves and names itself.
        for e in Experiments.all {
            let s = try e.spec()
            XCTAssertEqual(s.name, e.name)
            XCTAssertEqual(s.family, e.familyName)
            XCTAssertFalse(e.description.isEmpty, e.name)
        }
        XCTAssertTrue(Experiments.all.contains { $0.familyName == "generative" })
    }

    func testConfigsNameTheirFamily() throws {
        XCTAssertEqual(try Families.family(ofConfig: "samples = 3\n", file: "c").name, "linear")
        XCTAssertEqual(try Families.family(ofConfig: "family = \"generative\"\n", file: "c").name, "generative")
        XCTAssertThrowsError(try Families.family(ofConfig: "\nfamily = \"quantum\"\n", file: "c")) {
            XCTAssertTrue("\($0)".contains("c:2: key 'family': unknown family \"quantum\""), "\($0)")
        }
    }

    func testShardsPartitionTheGrid() {
        XCTAssertNil(Shard(parsing: "3/3"))
        XCTAssertNil(Shard(parsing: "-1/3"))
        XCTAssertNil(Shard(parsing: "1/0"))
        XCTAssertNil(Shard(parsing: "1"))
        let shards = (0..<4).map { Shard(parsing: "\($0)/4")! }
        for cell in 0..<37 {
            XCTAssertEqual(shards.filter { $0.contains(cell: cell) }.count, 1)
        }
    }

    /// The accumulate-subsample note counts the cells where some generation n has T ≤ (d + 3)n
    /// (proof A1), and appears only when that regime runs on a fixed design.
    func testNoteWhereAccumulateSubsampleHasNoVariance() throws {
        func notes(_ regimes: String, design: String = "fixed") throws -> [String] {
            LinearFamily().notes(
                try linearSpec(
                    """
                    name = "n"
                    dimension = 3
                    samples = [3, 12, 13, 40]
                    generations = 2
                    regimes = [\(regimes)]
                    design = "\(design)"
                    """)
            ).filter { $0.contains("accumulate-subsample") }
        }
        // (d + 3)n = 12: T = 3 and 12 qualify, 13 and 40 do not.
        let marked = try notes("\"replace\", \"accumulate-subsample\"")
        XCTAssertEqual(marked.count, 1, "\(marked)")
        XCTAssertTrue(marked[0].hasPrefix("note: accumulate-subsample in 2 cell(s)") && marked[0].contains("proof A1"), marked[0])
        XCTAssertEqual(try notes("\"replace\", \"accumulate\""), [])
    }
}

/// The verification suite's pass rules and catalogue (what `collapse verify` prints).
final class VerificationSuiteTests: XCTestCase {
    func testPassRules() {
        func outcome(_ z: Double, _ rule: VerificationSuite.Outcome.Rule, mean: Double = 1, target: Double = 1, se: Double? = 0.1) -> VerificationSuite.Outcome
        {
            VerificationSuite.Outcome(id: "X", check: "c", setting: "s", generation: 1, mean: mean, standardError: se, target: target, z: z, rule: rule)
        }
        XCTAssertTrue(outcome(-3.2, .twoSided).passes(threshold: 3.3))
        XCTAssertFalse(outcome(-3.4, .twoSided).passes(threshold: 3.3))
        XCTAssertTrue(outcome(-50, .oneSided).passes(threshold: 3.3), "a bound is only violated from above")
        XCTAssertFalse(outcome(3.4, .oneSided).passes(threshold: 3.3))
        // |mean − target| ≤ z*·SE + allowance: 0.5 ≤ 3·0.1 + 0.25.
        XCTAssertTrue(outcome(5, .withAllowance(0.25), mean: 1.5, target: 1).passes(threshold: 3))
        XCTAssertFalse(outcome(5, .withAllowance(0.1), mean: 1.5, target: 1).passes(threshold: 3))
    }

    func testEveryCheckIsListedOnce() {
        let ids = VerificationSuite.allIDs
        XCTAssertEqual(Set(ids).count, ids.count, "duplicate check ids: \(ids)")
        XCTAssertEqual(VerificationSuite.listing.count, ids.count)
        for (id, line) in zip(ids, VerificationSuite.listing) { XCTAssertTrue(line.hasPrefix(id + " "), line) }
    }
}
