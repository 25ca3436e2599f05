import Foundation
import XCTest

/// Every numeric parameter takes a list, on the command line and in a config file, for every
/// family: `generations` and `repeats` too (one cell per value, each labelled in the rows).
final class ParameterListsCLITests: CLITestCase {
    func bytes(_ dir: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(dir).appendingPathComponent("results.csv")) }

    /// Runs `flags` and the same grid from `config` (given to `sweep`): the same bytes; returns the rows.
    func sameGrid(_ flags: [String], config: String, _ what: String) throws -> SimpleCSV {
        assertSuccess(try collapse(arguments: flags + ["--seed", "5", "--threads", "2", "--quiet", "--output", "\(what)-flags"]), what)
        try config.write(to: work.appendingPathComponent("\(what).toml"), atomically: true, encoding: .utf8)
        assertSuccess(try collapse("sweep", "--config", "\(what).toml", "--seed", "5", "--threads", "1", "--quiet", "--output", "\(what)-config"), what)
        XCTAssertEqual(try bytes("\(what)-flags"), try bytes("\(what)-config"), "\(what): flags and config give the same bytes")
        return try SimpleCSV(String(decoding: try bytes("\(what)-flags"), as: UTF8.self))
    }

    func testLinear() throws {
        let csv = try sameGrid(
            ["simulate", "--dimension", "3", "--samples", "20", "--generations", "2,3", "--repeats", "20,30"],
            config: "family = \"linear\"\ndimension = 3\nsamples = 20\ngenerations = [2, 3]\nrepeats = [20, 30]\n", "linear")
        XCTAssertEqual(csv.header.last, "generations", "a swept N gets a column")
        // cells (N, R) in grid order: N outermost; 2 regimes × N generations each.
        XCTAssertEqual(
            csv.records.map { "\($0["generations"]!)/\($0["repeats"]!)" }.reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } },
            ["2/20", "2/30", "3/20", "3/30"])
        XCTAssertEqual(csv.rows.count, 2 * 2 * (2 + 3))
        // A cell's rows do not depend on the other cells: N = 3, R = 20 alone gives the same numbers.
        assertSuccess(
            try collapse(
                "simulate", "--dimension", "3", "--samples", "20", "--generations", "3", "--repeats", "20", "--seed", "5",
                "--quiet", "--output", "alone"), "alone")
        let alone = try SimpleCSV(String(decoding: try bytes("alone"), as: UTF8.self)).records.map { $0["mean"]! }
        XCTAssertEqual(csv.records.filter { $0["generations"] == "3" && $0["repeats"] == "20" }.map { $0["mean"]! }, alone)
        // The grid views draw one (N, R); the metrics view draws them apart.
        let grid = try collapse("plot", "linear-flags/results.csv", "--output", "l.svg")
        XCTAssertEqual(grid.status, 64)
        XCTAssertTrue(grid.stderr.contains("holds several values of repeats (20, 30)") && grid.stderr.contains("--view metrics"), grid.stderr)
        assertSuccess(try collapse("plot", "linear-flags/results.csv", "--view", "metrics", "--output", "l.svg"), "metrics view")
    }

    func testGenerative() throws {
        let csv = try sameGrid(
            [
                "generative", "--model", "gmm", "--samples", "30", "--generations", "2,3", "--repeats", "3,4",
                "--max-iterations", "5,10"
            ],
            config: "family = \"generative\"\nmodel = \"gmm\"\nsamples = 30\ngenerations = [2, 3]\nrepeats = [3, 4]\nmax_iterations = [5, 10]\n",
            "generative")
        XCTAssertEqual(Array(csv.header.suffix(2)), ["generations", "max_iterations"], "swept axes get columns; repeats is one already")
        XCTAssertEqual(Set(csv.records.map { "\($0["generations"]!)/\($0["repeats"]!)/\($0["max_iterations"]!)" }).count, 8)
        assertSuccess(try collapse("plot", "generative-flags/results.csv", "--output", "g.svg"), "metrics view")
    }

    func testNeural() throws {
        let csv = try sameGrid(
            ["neural", "vae", "--preset", "smoke", "--regimes", "replace", "--generations", "1,2", "--steps", "2,3"],
            config: "family = \"neural\"\nmodel = \"vae\"\npreset = \"smoke\"\nregimes = [\"replace\"]\ngenerations = [1, 2]\nsteps = [2, 3]\n",
            "neural")
        XCTAssertEqual(Array(csv.header.suffix(2)), ["generations", "steps"])
        XCTAssertEqual(Set(csv.records.map { "\($0["generations"]!)/\($0["steps"]!)/\($0["generation"]!)" }).count, 2 * (1 + 2))
    }
}
