import CollapseExport
import ExperimentEngine
import Foundation
import XCTest

/// A toy family: each cell's rows are a hash of (seed, cell values, replicate), so every
/// property of the runner (grid order, durability, resume, shards, merge) can be checked on
/// exact bytes without any model.
struct ToyFamily: ExperimentFamily {
    var name: String { "toy" }
    var parameters: [Parameter] {
        [
            Parameter("size", .integer(1...1000), role: .axis, default: [.integer(3)], help: "an axis"),
            Parameter("scale", .real(lower: 0, upper: 10, lowerOpen: true), role: .axis, default: [.real(1)], help: "another axis"),
            Parameter("kind", .choice(["a", "b"]), role: .list, default: [.text("a")], help: "a list"),
            Parameter("repeats", .integer(2...100), default: [.integer(4)], help: "replicates")
        ]
    }
    func validate(_ spec: ExperimentSpec) throws {
        if spec.one("size")?.intValue == 13 { throw ParameterError(key: "size", message: "13 is unlucky") }
    }
    func estimatedBytes(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, threads: Int) -> Double {
        Double(cell["size"]!.intValue!) * 1e9
    }
    func work(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> Double { 1 }
    func replicates(_ spec: ExperimentSpec) -> Int { spec.one("repeats")!.intValue! }
    func header(_ spec: ExperimentSpec) -> [String] { ["size", "scale", "kind", "replicate", "value"] }
    func run(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> String {
        var out = ""
        for kind in spec["kind"] {
            for r in 0..<replicates(spec) {
                if context.isCancelled() { throw CellCancelled() }
                var h = context.seed &* 0x9E37_79B9_7F4A_7C15
                for b in "\(cell["size"]!),\(cell["scale"]!),\(kind),\(r)".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
                out += "\(cell["size"]!),\(cell["scale"]!),\(kind),\(r),\(h)\n"
                context.advance(1)
            }
        }
        return out
    }
}

final class ExperimentSpecTests: XCTestCase {
    let family = ToyFamily()

    func testDefaultsFlagsAndGridOrder() throws {
        let spec = try resolveSpec(family, config: nil, flags: ["size": "2,5", "scale": "0.5,1,2"], seed: 7)
        XCTAssertEqual(spec.cells.count, 6)
        XCTAssertEqual(
            spec.cells.map { $0["size"]! }, [.integer(2), .integer(2), .integer(2), .integer(5), .integer(5), .integer(5)],
            "the first declared axis is outermost")
        XCTAssertEqual(spec.cells[1]["scale"], .real(1))
        XCTAssertEqual(spec["kind"], [.text("a")], "default")
        XCTAssertEqual(spec.seed, 7)
    }

    func testFlagErrorsNameTheFlagAndWhatIsAllowed() {
        func message(_ flags: [String: String]) -> String {
            do { _ = try resolveSpec(family, config: nil, flags: flags, seed: 1); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(["size": "0"]), "--size: '0' is not an integer in 1...1000")
        XCTAssertEqual(message(["scale": "0"]), "--scale: '0' is not a finite number in (0, 10]")
        XCTAssertEqual(message(["kind": "c"]), "--kind: unknown value 'c'; allowed: a, b")
        XCTAssertEqual(message(["size": "2,2"]), "--size: '2,2': the value 2 is listed twice")
        XCTAssertEqual(message(["size": "2,"]), "--size: '2,': item 2 is empty; expected comma-separated values, each an integer in 1...1000")
        XCTAssertEqual(message(["size": ""]), "--size: empty list ''; expected comma-separated values, each an integer in 1...1000")
        XCTAssertEqual(message(["repeats": "3,4"]), "--repeats: '3,4' is not an integer in 2...100")
        XCTAssertEqual(message(["size": "13"]), "--size: 13 is unlucky", "family checks are located too")
    }

    func testConfigFileErrorsNameFileLineAndKey() {
        func message(_ text: String) -> String {
            do { _ = try resolveSpec(family, config: (text, "c.toml"), flags: [:], seed: 1); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(
            message("family = \"toy\"\nsise = 3\n"),
            "c.toml:2: key 'sise': unknown key (did you mean 'size'?); allowed keys: family, name, description, seed, size, scale, kind, repeats")
        XCTAssertEqual(message("family = \"other\"\n"), "c.toml:1: key 'family': this file is for family \"other\", not \"toy\"")
        XCTAssertEqual(message("# c\nrepeats = [2, 3]\n"), "c.toml:2: key 'repeats': takes one value, got an array")
        XCTAssertEqual(message("size = [1, 2000]\n"), "c.toml:1: key 'size': 2000 is out of range; expected an integer in 1...1000")
        XCTAssertEqual(message("\n\nsize = 13\n"), "c.toml:3: key 'size': 13 is unlucky")
    }

    func testConfigThenFlagsAndRoundTrip() throws {
        let spec = try resolveSpec(
            family, config: ("family = \"toy\"\nsize = [4, 8]\nkind = [\"b\", \"a\"]\nseed = 3\n", "c.toml"),
            flags: ["scale": "2.5"], seed: nil)
        XCTAssertEqual(spec["size"], [.integer(4), .integer(8)])
        XCTAssertEqual(spec["scale"], [.real(2.5)])
        XCTAssertEqual(spec.seed, 3)
        var back = ExperimentSpec(family: family)
        try back.apply(config: spec.tomlText(), file: "experiment.toml", family: family)
        XCTAssertEqual(back, spec, spec.tomlText())
    }
}

final class ExperimentRunnerTests: XCTestCase {
    let family = ToyFamily()
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func spec() throws -> ExperimentSpec {
        try resolveSpec(family, config: nil, flags: ["size": "1,2,3", "scale": "1,2", "kind": "a,b"], seed: 42)
    }

    func runner(_ dir: String, shard: Shard? = nil, resume: Bool = false, force: Bool = false) throws -> ExperimentRunner {
        ExperimentRunner(
            options: .init(
                family: family, spec: try spec(), threads: 1, shard: shard, output: root.appendingPathComponent(dir),
                resume: resume, force: force, command: "toy", arguments: []))
    }

    func results(_ dir: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(dir).appendingPathComponent("results.csv"), encoding: .utf8)
    }

    func testCompleteRunWritesEveryCellInGridOrder() throws {
        let r = try runner("full")
        try r.prepare()
        let outcome = try r.run()
        XCTAssertEqual(outcome.status, .complete)
        XCTAssertEqual(outcome.cellsRun, 6)
        XCTAssertEqual(outcome.rows, 6 * 2 * 4)
        let lines = try results("full").split(separator: "\n")
        XCTAssertEqual(lines.first, "size,scale,kind,replicate,value")
        XCTAssertEqual(lines[1].hasPrefix("1,1.0,a,0,"), true)
        XCTAssertEqual(lines.last?.hasPrefix("3,2.0,b,3,"), true)
        let manifest = try String(contentsOf: root.appendingPathComponent("full/manifest.json"), encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"status\": \"complete\""))
    }

    func testInterruptedRunResumesToIdenticalBytes() throws {
        try runner("full").run()
        let r = try runner("cut")
        let calls = CallCounter()
        let outcome = try r.run(isCancelled: { calls.next() > 20 })
        XCTAssertEqual(outcome.status, .interrupted)
        XCTAssertNil(outcome.resultsFile)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("cut/results.csv").path))
        let manifest = try String(contentsOf: root.appendingPathComponent("cut/manifest.json"), encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"status\": \"interrupted\""))
        XCTAssertThrowsError(try runner("cut").prepare(), "not empty without --resume")
        let resumed = try runner("cut", resume: true)
        try resumed.prepare()
        let second = try resumed.run()
        XCTAssertEqual(second.status, .complete)
        XCTAssertGreaterThan(second.cellsReused, 0)
        XCTAssertEqual(second.cellsReused + second.cellsRun, 6)
        XCTAssertEqual(try results("cut"), try results("full"))
    }

    func testShardsMergeToTheUnshardedBytes() throws {
        try runner("full").run()
        try runner("s0", shard: Shard(index: 0, count: 2)).run()
        try runner("s1", shard: Shard(index: 1, count: 2)).run()
        let merged = try ExperimentMerge.merge(
            [root.appendingPathComponent("s0"), root.appendingPathComponent("s1")],
            into: root.appendingPathComponent("m"), family: family)
        XCTAssertEqual(merged.rows, 48)
        XCTAssertEqual(try results("m"), try results("full"))
        XCTAssertThrowsError(
            try ExperimentMerge.merge(
                [root.appendingPathComponent("s0")], into: root.appendingPathComponent("m2"),
                family: family)
        ) { error in
            XCTAssertTrue("\(error)".contains("is missing"), "\(error)")
        }
    }

    func testResumeRefusesADifferentRunAndDamagedCells() throws {
        try runner("full").run()
        var other = try spec()
        other.seed = 43
        let r = ExperimentRunner(
            options: .init(
                family: family, spec: other, threads: 1, output: root.appendingPathComponent("full"),
                resume: true, command: "toy", arguments: []))
        XCTAssertThrowsError(try r.prepare()) { XCTAssertTrue("\($0)".contains("seed: 42 vs 43"), "\($0)") }
        let cell = root.appendingPathComponent("full/cells/cell-00002.csv")
        let text = try String(contentsOf: cell, encoding: .utf8)
        try String(text.dropLast(5)).write(to: cell, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try runner("full", resume: true).run()) { XCTAssertTrue("\($0)".contains("cell-00002.csv"), "\($0)") }
    }

    func testASecondWriterIsRefusedWithTheHoldersPid() throws {
        let dir = root.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let held = try OutputLock(directory: dir)
        XCTAssertThrowsError(try OutputLock(directory: dir)) { XCTAssertTrue("\($0)".contains("pid \(getpid())"), "\($0)") }
        withExtendedLifetime(held) {}
    }

    /// Regressions (issue 14): a directory that cannot be created leaves none of its new
    /// ancestors behind; and a failed commit never leaves a new results.csv beside an old manifest.
    func testFailedOutputLeavesNothingMisleading() throws {
        let tooLong = "a/b/c/" + String(repeating: "x", count: 300)
        XCTAssertThrowsError(try runner(tooLong).run()) { XCTAssertTrue("\($0)".contains("cannot create the directory"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("a").path), "created ancestors are removed")

        _ = try runner("c").run()
        let dir = root.appendingPathComponent("c")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("manifest.json").path))
        // results.csv cannot be replaced (a directory stands there): the old manifest must be gone.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("results.csv"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("results.csv/x"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try runner("c", resume: true).run())
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("manifest.json").path))
    }

    func testMemoryGuardRefusesAboveTheLimit() throws {
        let r = ExperimentRunner(
            options: .init(
                family: family, spec: try spec(), threads: 1, output: root.appendingPathComponent("m"),
                command: "toy", arguments: [], maxMemory: 2.5e9))
        XCTAssertThrowsError(try r.prepare()) { XCTAssertTrue("\($0)".hasPrefix("--max-memory 2.5 GB: the run needs about 3 GB"), "\($0)") }
    }
}

final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int {
        lock.withLock {
            n += 1; return n
        }
    }
}

/// The toy family with its replicates in a parallel phase on the cell's thread budget: the
/// runner keeps several cells in flight, and the bytes must not change.
struct SharingToyFamily: ExperimentFamily {
    let toy = ToyFamily()
    var name: String { "toy" }
    var parameters: [Parameter] { toy.parameters }
    func validate(_ spec: ExperimentSpec) throws { try toy.validate(spec) }
    func estimatedBytes(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, threads: Int) -> Double {
        Double(cell["size"]!.intValue!) * 1e3 * Double(1 + threads)
    }
    func work(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell) -> Double { 1 }
    func replicates(_ spec: ExperimentSpec) -> Int { toy.replicates(spec) }
    func header(_ spec: ExperimentSpec) -> [String] { toy.header(spec) }
    var sharesThreadsAcrossCells: Bool { true }
    /// With `waitForASecondCell`, the first cell to start waits (up to 10 s) until another has
    /// started, and `overlapped` says whether one did: only cells in flight at once can.
    let rendezvous = Rendezvous()
    final class Rendezvous: @unchecked Sendable {
        let lock = NSLock()
        var waitForASecondCell = false, started = 0, overlapped = false
        let second = DispatchSemaphore(value: 0)
        func cellStarts() {
            let (n, wait) = lock.withLock { () -> (Int, Bool) in
                started += 1
                return (started, waitForASecondCell)
            }
            guard wait else { return }
            if n == 1 {
                let met = second.wait(timeout: .now() + 10) == .success
                lock.withLock { overlapped = met }
            } else if n == 2 {
                second.signal()
            }
        }
    }
    final class Rows: @unchecked Sendable {
        let lock = NSLock()
        var rows: [String]
        var next = 0
        init(_ n: Int) { rows = Array(repeating: "", count: n) }
    }
    func run(_ spec: ExperimentSpec, cell: ExperimentSpec.Cell, context: CellContext) throws -> String {
        rendezvous.cellStarts()
        // One "replicate" per line of the toy's rows, each recomputed by whichever worker claims it.
        let lines = try toy.run(spec, cell: cell, context: context).split(separator: "\n").map(String.init)
        let out = Rows(lines.count)
        let hasWork: @Sendable () -> Bool = { out.lock.withLock { out.next < lines.count } }
        ParallelPhase.run(workers: context.threads, budget: context.threadBudget, hasWork: hasWork) { _ in
            while let i = out.lock.withLock({ () -> Int? in
                guard out.next < lines.count else { return nil }
                out.next += 1
                return out.next - 1
            }) {
                var x = 0.0
                for k in 0..<2_000 { x += Double(k) }  // work, so that cells overlap
                out.lock.withLock { out.rows[i] = lines[i] + (x > 0 ? "\n" : "") }
            }
        }
        return out.rows.joined()
    }
}

final class SharedThreadsRunnerTests: XCTestCase {
    let family = SharingToyFamily()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("shared-threads-\(UUID().uuidString)")
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func spec() throws -> ExperimentSpec {
        try resolveSpec(family, config: nil, flags: ["size": "1,2,3", "scale": "1,2,4,8", "kind": "a,b", "repeats": "50"], seed: 7)
    }

    func run(threads: Int, _ dir: String) throws -> String {
        let r = ExperimentRunner(
            options: .init(family: family, spec: try spec(), threads: threads, output: root.appendingPathComponent(dir), command: "toy", arguments: []))
        try r.prepare()
        let outcome = try r.run()
        XCTAssertEqual(outcome.status, .complete)
        XCTAssertEqual(outcome.cellsRun, 12)
        return try String(contentsOf: root.appendingPathComponent(dir).appendingPathComponent("results.csv"), encoding: .utf8)
    }

    func testCellsInFlightGiveTheBytesOfOneThread() throws {
        let one = try run(threads: 1, "t1")
        XCTAssertEqual(one.split(separator: "\n").count, 1 + 12 * 2 * 50)
        for threads in [2, 3, 8] { XCTAssertEqual(try run(threads: threads, "t\(threads)"), one, "\(threads) threads") }
        // The same toy rows as the family that runs its cells one by one.
        XCTAssertEqual(one, try ToyFamilyOutput.results(spec: try spec(), root: root))
    }

    /// Cells do run at once: the first cell waits for a second to start while it holds its share.
    func testASecondCellStartsWhileTheFirstRuns() throws {
        family.rendezvous.lock.withLock { family.rendezvous.waitForASecondCell = true }
        _ = try run(threads: 2, "overlap")
        XCTAssertTrue(family.rendezvous.lock.withLock { family.rendezvous.overlapped }, "a second cell started within 10 s")
    }

    func testCellsInFlightAreBoundedByThreadsCellsAndMemory() throws {
        let spec = try spec()
        let cells = Array(spec.cells.indices)
        // Largest cell: 3e3 · (1 + threads) bytes on `threads` workers, 6e3 on one.
        XCTAssertEqual(ExperimentRunner.cellsInFlight(family: family, spec: spec, cells: cells, threads: 1, maxMemory: nil), 1)
        XCTAssertEqual(ExperimentRunner.cellsInFlight(family: family, spec: spec, cells: [0, 1], threads: 4, maxMemory: 1e9), 2)
        XCTAssertEqual(ExperimentRunner.cellsInFlight(family: family, spec: spec, cells: cells, threads: 4, maxMemory: 1e9), 4)
        // 15e3 on 4 threads plus 6e3 per further cell: 27e3 allows 3 cells, 20e3 only 1.
        XCTAssertEqual(ExperimentRunner.cellsInFlight(family: family, spec: spec, cells: cells, threads: 4, maxMemory: 27e3), 3)
        XCTAssertEqual(ExperimentRunner.cellsInFlight(family: family, spec: spec, cells: cells, threads: 4, maxMemory: 20e3), 1)
        // A family that does not share its threads runs one cell at a time.
        XCTAssertEqual(ExperimentRunner.cellsInFlight(family: ToyFamily(), spec: spec, cells: cells, threads: 4, maxMemory: nil), 1)
    }
}

/// The plain toy family's results for `spec`, run on one thread.
enum ToyFamilyOutput {
    static func results(spec: ExperimentSpec, root: URL) throws -> String {
        let dir = root.appendingPathComponent("plain")
        let r = ExperimentRunner(options: .init(family: ToyFamily(), spec: spec, threads: 4, output: dir, command: "toy", arguments: []))
        try r.prepare()
        _ = try r.run()
        return try String(contentsOf: dir.appendingPathComponent("results.csv"), encoding: .utf8)
    }
}
