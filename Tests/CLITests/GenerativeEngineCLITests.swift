import Foundation
import XCTest

extension CLITestCase {
    /// Starts `collapse args`, waits until it has written its first cell file to `dir/cells`,
    /// sends SIGINT and waits: the run must stop with status 130 and an "interrupted" manifest.
    /// Starts `collapse arguments` in the work directory, its output discarded.
    func start(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = try CLIHarness.binary()
        p.arguments = arguments
        p.currentDirectoryURL = work
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func interruptAfterFirstCell(_ args: [String], dir: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let p = try start(args + ["--output", dir])
        let cells = work.appendingPathComponent(dir).appendingPathComponent("cells")
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline {
            if ((try? FileManager.default.contentsOfDirectory(atPath: cells.path).filter { $0.hasPrefix("cell-") }.count) ?? 0) >= 1 { break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        XCTAssertTrue(p.isRunning, "the run finished before the signal; make the grid longer", file: file, line: line)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130, file: file, line: line)
        XCTAssertEqual(try manifest(in: work.appendingPathComponent(dir))["status"] as? String, "interrupted", file: file, line: line)
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: work.appendingPathComponent(dir).appendingPathComponent("results.csv").path),
            file: file, line: line)
    }
}

/// `collapse generative` on the experiment engine: lists on the command line and in a config
/// file give a grid; shards merge to the unsharded bytes; Ctrl-C keeps finished cells and
/// `--resume` completes to the uninterrupted bytes.
final class GenerativeEngineCLITests: CLITestCase {
    let small = ["generative", "--model", "gaussian", "--generations", "3", "--repeats", "4", "--seed", "9", "--threads", "2", "--quiet"]

    func bytes(_ dir: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(dir).appendingPathComponent("results.csv")) }

    func testListsOnTheCommandLineAndInAConfigFileGiveTheSameGrid() throws {
        assertSuccess(try collapse(arguments: small + ["--samples", "20,40", "--dimension", "2,3", "--output", "flags"]), "flags")
        let config = work.appendingPathComponent("g.toml")
        try
            "# a generative grid\r\nfamily = \"generative\"\r\nmodel = \"gaussian\"\r\nsamples = [20, 40]\r\ndimension = [2, 3]\r\ngenerations = 3\r\nrepeats = 4\r\nseed = 9\r\n"
            .write(to: config, atomically: true, encoding: .utf8)
        assertSuccess(try collapse("generative", "--config", config.path, "--threads", "1", "--quiet", "--output", "config"), "config")
        XCTAssertEqual(try bytes("flags"), try bytes("config"), "same grid, same seed ⇒ same bytes for any --threads")
        let csv = try SimpleCSV(String(decoding: try bytes("flags"), as: UTF8.self))
        XCTAssertEqual(csv.header.last, "dimension", "a swept axis gets a column")
        let cells = Set(csv.records.map { "\($0["samples"]!)/\($0["dimension"]!)" })
        XCTAssertEqual(cells, ["20/2", "20/3", "40/2", "40/3"])
        let recorded = try contents("experiment.toml", under: work.appendingPathComponent("flags"))
        XCTAssertTrue(recorded.contains("family = \"generative\"") && recorded.contains("samples = [20, 40]"), recorded)
        // A single cell keeps the pre-engine layout of the rows (no extra column).
        assertSuccess(try collapse(arguments: small + ["--samples", "20", "--output", "one"]), "one cell")
        XCTAssertEqual(try SimpleCSV(String(decoding: try bytes("one"), as: UTF8.self)).header, Schema.long)
    }

    func testConfigErrorsNameFileLineAndKey() throws {
        let config = work.appendingPathComponent("bad.toml")
        try "family = \"generative\"\nmodel = \"kde\"\nrate = 3\n".write(to: config, atomically: true, encoding: .utf8)
        let r = try collapse("generative", "--config", config.path, "--output", "bad")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("\(config.path):3: key 'rate': does not apply to --model kde"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("bad").path), "nothing written")
    }

    func testShardsMergeToTheUnshardedBytes() throws {
        let grid = small + ["--samples", "20,30,40", "--dimension", "2,3"]
        assertSuccess(try collapse(arguments: grid + ["--output", "full"]), "full")
        assertSuccess(try collapse(arguments: grid + ["--shard", "0/2", "--output", "s0"]), "shard 0")
        assertSuccess(try collapse(arguments: grid + ["--shard", "1/2", "--output", "s1"]), "shard 1")
        assertSuccess(try collapse("merge", "s0", "s1", "--output", "merged"), "merge")
        XCTAssertEqual(try bytes("merged"), try bytes("full"))
        let partial = try collapse("merge", "s0", "--output", "partial")
        XCTAssertNotEqual(partial.status, 0)
        XCTAssertTrue(partial.stderr.contains("is missing"), partial.stderr)
    }

    func testCtrlCKeepsFinishedCellsAndResumeCompletesToIdenticalBytes() throws {
        let grid = [
            "generative", "--model", "kde", "--samples", "100,120,140,160,180,200", "--generations", "6", "--repeats", "120",
            "--seed", "4", "--threads", "1", "--quiet"
        ]
        assertSuccess(try collapse(arguments: grid + ["--output", "full"], timeout: 300), "uninterrupted")
        try interruptAfterFirstCell(grid, dir: "cut")
        let refused = try collapse(arguments: grid + ["--output", "cut"])
        XCTAssertEqual(refused.status, 64, "not empty without --resume")
        let resumed = try collapse(arguments: grid + ["--output", "cut", "--resume"], timeout: 300)
        assertSuccess(resumed, "resume")
        XCTAssertTrue(resumed.stdout.contains("reused"), resumed.stdout)
        XCTAssertEqual(try bytes("cut"), try bytes("full"))
    }
}

/// `collapse simulate` on the experiment engine: Ctrl-C keeps finished cells and `--resume`
/// completes to the uninterrupted bytes; shards merge to the unsharded bytes; a config file
/// names the family.
final class SimulateEngineCLITests: CLITestCase {
    let grid = [
        "simulate", "--dimension", "10,20", "--samples", "200,400", "--noise-variance", "1,3", "--generations", "30",
        "--regimes", "replace,accumulate,mix", "--repeats", "1500", "--seed", "5", "--threads", "2", "--quiet"
    ]

    func bytes(_ dir: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(dir).appendingPathComponent("results.csv")) }

    func testCtrlCThenResumeGivesTheUninterruptedBytes() throws {
        assertSuccess(try collapse(arguments: grid + ["--output", "full"], timeout: 300), "uninterrupted")
        try interruptAfterFirstCell(grid, dir: "cut")
        assertSuccess(try collapse(arguments: grid + ["--output", "cut", "--resume"], timeout: 300), "resume")
        XCTAssertEqual(try bytes("cut"), try bytes("full"))
    }

    func testShardsAndAConfigFile() throws {
        let small = ["simulate", "--dimension", "2,3,4", "--samples", "12", "--generations", "3", "--repeats", "20", "--seed", "8", "--quiet"]
        assertSuccess(try collapse(arguments: small + ["--output", "full"]), "full")
        assertSuccess(try collapse(arguments: small + ["--shard", "0/2", "--output", "s0"]), "shard 0")
        assertSuccess(try collapse(arguments: small + ["--shard", "1/2", "--output", "s1"]), "shard 1")
        assertSuccess(try collapse("merge", "s0", "s1", "--output", "merged"), "merge")
        XCTAssertEqual(try bytes("merged"), try bytes("full"))
        let config = work.appendingPathComponent("lin.toml")
        try "family = \"linear\"\ndimension = [2, 3, 4]\nsamples = 12\ngenerations = 3\nrepeats = 20\nseed = 8\n"
            .write(to: config, atomically: true, encoding: .utf8)
        assertSuccess(try collapse("simulate", "--config", config.path, "--quiet", "--output", "config"), "config")
        XCTAssertEqual(try bytes("config"), try bytes("full"))
    }
}

/// `collapse sweep` runs any family: a config naming `family = "generative"` and the named
/// generative experiments go through the engine.
final class SweepFamilyCLITests: CLITestCase {
    func testGenerativeConfigAndNamedExperimentThroughSweep() throws {
        let config = work.appendingPathComponent("g.toml")
        try "family = \"generative\"\nmodel = \"poisson\"\nsamples = [10, 20]\ngenerations = 3\nrepeats = 5\nseed = 2\n"
            .write(to: config, atomically: true, encoding: .utf8)
        assertSuccess(try collapse("sweep", "--config", config.path, "--output", "sw", "--quiet"), "sweep generative config")
        assertSuccess(try collapse("generative", "--config", config.path, "--output", "gen", "--quiet"), "generative config")
        XCTAssertEqual(
            try Data(contentsOf: work.appendingPathComponent("sw/results.csv")),
            try Data(contentsOf: work.appendingPathComponent("gen/results.csv")))
        let refused = try collapse("sweep", "--config", config.path, "--noise-variance", "2", "--output", "x")
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.contains("unknown option '--noise-variance'; the parameters of the generative family are --model"), refused.stderr)
        // Any parameter of the config's family overrides it, not only the linear chain's.
        assertSuccess(try collapse("sweep", "--config", config.path, "--test-size", "12", "--output", "sw12", "--quiet"), "sweep override")
        XCTAssertTrue(try String(contentsOf: work.appendingPathComponent("sw12/experiment.toml"), encoding: .utf8).contains("test_size = [12]"))
        let list = try collapse("sweep", "--list")
        XCTAssertTrue(list.stdout.contains("kde-moons-samples") && list.stdout.contains("[generative]"), list.stdout)
        let show = try collapse("sweep", "--show", "kde-moons-samples")
        XCTAssertTrue(show.stdout.contains("family = \"generative\""), show.stdout)
        assertSuccess(
            try collapse(
                "sweep", "--experiment", "categorical-zipf-support", "--repeats", "3", "--generations", "2",
                "--output", "named", "--quiet"), "named generative experiment")
        let csv = try SimpleCSV(try contents("results.csv", under: work.appendingPathComponent("named")))
        XCTAssertEqual(Set(csv.records.map { "\($0["samples"]!)/\($0["support"]!)" }), ["100/20", "100/200", "1000/20", "1000/200"])
    }
}
