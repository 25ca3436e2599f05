import Foundation
import XCTest

/// Progress of the commands that run off the engine and can take longer than a second: theory's
/// linear grid and neural bench report on stderr as the engine's runs do (`TextProgress`).
final class ProgressCLITests: CLITestCase {
    func testTheoryReportsItsGrid() throws {
        for format in ["csv", "table"] {
            let grid = ["theory", "--dimension", "2,3,4", "--samples", "10,20", "--generations", "50", "--format", format]
            let quiet = try collapse(arguments: grid + ["--quiet"])
            let shown = try collapse(arguments: grid + ["--progress"])
            assertSuccess(quiet, "quiet")
            assertSuccess(shown, "progress")
            XCTAssertEqual(shown.stdout, quiet.stdout, "\(format): progress changes nothing on stdout")
            // 6 cells of 2 regimes × 50 generations.
            XCTAssertTrue(
                shown.stderr.contains("cells 6/6") && shown.stderr.contains("100%") && shown.stderr.contains("rows/s")
                    && shown.stderr.contains("ETA"), shown.stderr)
            XCTAssertFalse(shown.stdout.contains("rows/s"), "progress must not go to stdout")
            XCTAssertEqual(quiet.stderr, "", format)
        }
        let both = try collapse("theory", "--progress", "--quiet")
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("--progress and --quiet are exclusive"), both.stderr)
    }

    func testBenchReportsItsMeasurements() throws {
        let r = try collapse("neural", "bench", "--preset", "smoke", "--runs", "1", "--sgemm-size", "64", "--progress", timeout: 600)
        assertSuccess(r, "bench")
        // sgemm and the three models' training steps.
        XCTAssertTrue(r.stderr.contains("measurements 4/4") && r.stderr.contains("steps/s") && r.stderr.contains("ETA"), r.stderr)
        XCTAssertTrue(r.stdout.split(separator: "\n").first?.contains("GFLOP/s") == true, r.stdout)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.contains("training step") }.count, 3, r.stdout)
        let both = try collapse("neural", "bench", "--progress", "--quiet")
        XCTAssertEqual(both.status, 64)
    }

    func testDataReportsItsRecordsAndKeepsItsBytes() throws {
        let dir: URL = work
        for dataset in ["stories", "markov", "moons", "glyphs"] {
            let base = ["data", dataset, "--count", "300", "--seed", "11"]
            let quietPath = dir.appendingPathComponent("\(dataset)-quiet").path, shownPath = dir.appendingPathComponent("\(dataset)-shown").path
            let quiet = try collapse(arguments: base + ["--output", quietPath, "--quiet"])
            let shown = try collapse(arguments: base + ["--output", shownPath, "--progress"])
            assertSuccess(quiet, dataset)
            assertSuccess(shown, dataset)
            XCTAssertEqual(quiet.stderr, "", dataset)
            // Two phases (draw, encode) of 300 records each.
            XCTAssertTrue(
                shown.stderr.contains("phases (draw, encode) 2/2") && shown.stderr.contains("100%")
                    && shown.stderr.contains("records/s") && shown.stderr.contains("ETA"), "\(dataset): \(shown.stderr)")
            XCTAssertFalse(shown.stdout.contains("records/s"), "progress must not go to stdout")
            XCTAssertEqual(
                try Data(contentsOf: URL(fileURLWithPath: shownPath)), try Data(contentsOf: URL(fileURLWithPath: quietPath)),
                "\(dataset): progress changes no byte of the file")
        }
        let both = try collapse("data", "stories", "--count", "10", "--output", dir.appendingPathComponent("both").path, "--progress", "--quiet")
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("--progress and --quiet are exclusive"), both.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("both").path), "nothing written on error")
    }

    func testPlotReportsItsStepsAndKeepsItsFigure() throws {
        let run = try collapse(
            "simulate", "--dimension", "3", "--samples", "10,20", "--noise-variance", "1", "--generations", "3",
            "--repeats", "10", "--seed", "1", "--threads", "2", "--output", "sim", "--quiet")
        assertSuccess(run, "simulate")
        let results = work.appendingPathComponent("sim/results.csv").path
        let rows = try String(contentsOfFile: results, encoding: .utf8).split(separator: "\n").count - 1
        for view in ["metrics", "grid"] {
            let quietPath = work.appendingPathComponent("\(view)-quiet.svg").path, shownPath = work.appendingPathComponent("\(view)-shown.svg").path
            let quiet = try collapse("plot", results, "--view", view, "--output", quietPath, "--quiet")
            let shown = try collapse("plot", results, "--view", view, "--output", shownPath, "--progress")
            assertSuccess(quiet, view)
            assertSuccess(shown, view)
            XCTAssertEqual(quiet.stderr, "", view)
            // Three steps (read, table, draw) of the file's rows.
            XCTAssertTrue(
                shown.stderr.contains("steps (read, table, draw) 3/3") && shown.stderr.contains("rows/s")
                    && shown.stderr.contains("ETA"), "\(view): \(shown.stderr)")
            if view == "metrics" { XCTAssertTrue(shown.stderr.contains("100%"), "every panel's \(rows) rows drawn: \(shown.stderr)") }
            XCTAssertEqual(shown.stdout, quiet.stdout.replacingOccurrences(of: quietPath, with: shownPath))
            XCTAssertEqual(
                try Data(contentsOf: URL(fileURLWithPath: shownPath)), try Data(contentsOf: URL(fileURLWithPath: quietPath)),
                "\(view): progress changes no byte of the figure")
        }
        let both = try collapse("plot", results, "--output", work.appendingPathComponent("both.svg").path, "--progress", "--quiet")
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("--progress and --quiet are exclusive"), both.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("both.svg").path), "nothing written on error")
    }
}
