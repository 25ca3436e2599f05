import Foundation
import XCTest

/// Invalid input: a non-zero exit, a message on stderr naming the flag and the offending value
/// (or the allowed range), no crash report, and nothing written.
final class BadInputTests: CLITestCase {
    struct Case {
        var arguments: [String]
        /// Every string must appear in stderr.
        var needles: [String]
        /// Whether to append `--output <work>/out` (only commands that accept it).
        var withOutput: Bool
        init(_ arguments: [String], _ needles: [String], output: Bool = false) {
            self.arguments = arguments
            self.needles = needles
            self.withOutput = output
        }
    }

    /// A small simulate run, so a case that wrongly passes validation finishes quickly.
    static let smallSim = ["simulate", "--generations", "2", "--repeats", "4", "--seed", "1", "--threads", "1"]

    static let cases: [Case] = [
        // theory: T < d + 2 has no finite Gaussian-design expectation.
        Case(["theory", "--samples", "11", "--dimension", "10"], ["--samples 11", "--dimension 10", "T ≥ d + 2", "infinite"]),
        Case(["theory", "--samples", "10", "--dimension", "10"], ["--samples 10", "--dimension 10", "T ≥ d + 2"]),
        Case(["theory", "--samples", "100,5", "--dimension", "10"], ["--samples 5", "T ≥ d + 2"]),
        // noise variance
        Case(["theory", "--noise-variance=-1"], ["--noise-variance", "-1", "> 0"]),
        Case(["theory", "--noise-variance", "nan"], ["--noise-variance", "nan", "finite"]),
        Case(["theory", "--noise-variance", "inf"], ["--noise-variance", "inf", "finite"]),
        Case(["theory", "--noise-variance", "0"], ["--noise-variance", "0", "> 0"]),
        Case(["theory", "--noise-variance", "1e400"], ["--noise-variance", "1e400"]),
        Case(["theory", "--noise-variance", "1e13"], ["--noise-variance", "1e13", "≤"]),
        Case(["theory", "--noise-variance", "1,x"], ["--noise-variance", "'x'", "not a number"]),
        Case(["theory", "--generations", "0"], ["--generations", "0", "1...100000"]),
        Case(["theory", "--generations", "100001"], ["--generations", "100001", "1...100000"]),
        Case(["theory", "--regimes", "accumulate-subsample"], ["--regimes", "accumulate-subsample", "no closed form", "replace, accumulate"]),
        Case(["theory", "--regimes", "mix"], ["--regimes", "mix", "no closed form"]),
        Case(["theory", "--format", "xml"], ["--format", "xml", "table, csv"]),
        // Regression: the exact propagation of d = 100000 tried to allocate 80 GB and aborted.
        Case(["theory", "--model", "exact", "--dimension", "100000", "--samples", "10"], ["--model exact", "d = 100000", "GB", "reduce --dimension"]),
        // simulate
        Case(smallSim + ["--repeats", "1"], ["--repeats", "1", "2..."], output: true),
        Case(smallSim + ["--regimes", "foo"], ["--regimes", "foo", "replace, accumulate, accumulate-subsample, mix"], output: true),
        Case(smallSim + ["--regimes", ""], ["--regimes", "empty list"], output: true),
        Case(smallSim + ["--regimes", "replace,replace"], ["--regimes", "replace", "twice"], output: true),
        Case(smallSim + ["--dimension", ""], ["--dimension", "empty list", "1...100000"], output: true),
        Case(smallSim + ["--dimension", "10,,20"], ["--dimension", "10,,20", "item 2 is empty"], output: true),
        Case(smallSim + ["--dimension", "0"], ["--dimension", "0", "1...100000"], output: true),
        Case(smallSim + ["--dimension", "abc"], ["--dimension", "abc", "not an integer"], output: true),
        Case(smallSim + ["--dimension", "2.5"], ["--dimension", "2.5", "not an integer"], output: true),
        Case(smallSim + ["--samples=-5"], ["--samples", "-5", "1...100000000"], output: true),
        Case(smallSim + ["--dimension", "10,10"], ["--dimension", "10,10", "twice"], output: true),
        Case(smallSim + ["--real-fraction", "1.5"], ["--real-fraction", "1.5", "[0, 1]"], output: true),
        Case(smallSim + ["--real-fraction", "-0.1"], ["--real-fraction"], output: true),
        Case(smallSim + ["--threads", "0"], ["--threads", "0", "1...1024"], output: true),
        Case(smallSim + ["--seed=-1"], ["--seed", "-1", "0...18446744073709551615"], output: true),
        Case(smallSim + ["--seed", "abc"], ["--seed", "abc", "0...18446744073709551615"], output: true),
        Case(smallSim + ["--seed", "18446744073709551616"], ["--seed", "18446744073709551616"], output: true),
        Case(smallSim + ["--generations", "0"], ["--generations", "0", "1...100000"], output: true),
        Case(smallSim + ["--noise-variance", "nan"], ["--noise-variance", "nan"], output: true),
        Case(smallSim + ["--output", ""], ["--output", "empty path"]),
        Case(smallSim + ["--bogus-flag", "1"], ["--bogus-flag"], output: true),
        // A negative number after a space is taken for a flag by the argument parser: the
        // message names the flag but not the value.
        Case(smallSim + ["--samples", "-5"], ["--samples"], output: true),
        Case(smallSim + ["--seed", "-1"], ["--seed"], output: true),
        Case(["theory", "--noise-variance", "-1"], ["--noise-variance"]),
        // verify / reproduce
        Case(["verify", "--false-alarm", "0"], ["--false-alarm", "0", "(0, 0.5)"]),
        Case(["verify", "--false-alarm", "0.5"], ["--false-alarm", "0.5", "(0, 0.5)"]),
        Case(["verify", "--threads", "0"], ["--threads", "0", "1...1024"]),
        // verify runs on the engine: its memory guard applies.
        Case(["verify", "--max-memory", "1K"], ["--max-memory", "needs about"], output: true),
        Case(["verify", "--only", "V1", "--seeds", "0-1000"], ["--seeds", "0-1000", "at most 1000"], output: true),
        Case(["verify", "--results", "missing.csv"], ["--results", "missing.csv"]),
        Case(["verify", "--results", "r.csv", "--only", "V1"], ["--results", "--only", "runs nothing"]),
        Case(["verify", "--results", "r.csv", "--false-alarm", "2"], ["--false-alarm", "2", "(0, 0.5)"]),
        Case(["reproduce", "--repeats", "1"], ["--repeats", "1", "2..."], output: true),
        Case(["reproduce", "--repeats", "50", "--false-alarm", "1"], ["--false-alarm", "1", "(0, 0.5)"], output: true),
        Case(["reproduce", "--repeats", "50", "--seed", "x"], ["--seed", "'x'"], output: true),
        Case(["nosuchcommand"], ["nosuchcommand"]),
        // sweep, merge, plot, engines and memory guards.
        Case(["sweep", "--experiment", "bogus"], ["--experiment", "bogus", "paper-linear"], output: true),
        Case(["sweep", "--experiment", "paper-linear", "--shard", "3/3"], ["--shard", "3/3", "0 ≤ I < N"], output: true),
        Case(["sweep", "--experiment", "paper-linear", "--repeats", "1"], ["--repeats", "1", "2..."], output: true),
        Case(["sweep", "--experiment", "paper-linear", "--engine", "fast"], ["--engine", "fast", "literal, sufficient"], output: true),
        Case(["sweep", "--config", "missing.toml"], ["--config missing.toml", "No such file"], output: true),
        Case(["sweep", "--config", "a.toml", "--experiment", "paper-linear"], ["--config", "--experiment", "exclusive"], output: true),
        Case(["sweep", "--experiment", "paper-linear", "--resume", "--force"], ["--resume", "--force", "exclusive"], output: true),
        Case(["sweep", "--show", "nope"], ["--show", "nope", "paper-linear"]),
        Case(["simulate", "--engine", "sufficient", "--dimension", "10", "--samples", "5"], ["--engine sufficient", "T ≥ d"], output: true),
        Case(["simulate", "--engine", "sufficient", "--regimes", "accumulate-subsample"], ["--engine sufficient", "accumulate-subsample"], output: true),
        Case(["simulate", "--max-memory", "lots"], ["--max-memory", "'lots'", "512M"], output: true),
        Case(["simulate", "--max-memory", "1K", "--samples", "1000"], ["--max-memory", "needs about"], output: true),
        Case(["reproduce", "--max-memory", "1K"], ["--max-memory", "needs about"], output: true),
        Case(["merge", "no-such-dir", "--output", "merged"], ["no-such-dir", "not a directory"]),
        Case(["merge", "--output", "merged"], ["Missing expected argument"]),
        Case(["plot", "no-such.csv", "--output", "fig.svg"], ["no-such.csv"]),
        Case(["plot", "no-such.csv"], ["--output"]),
        Case(["simulate", "--design", "random"], ["--design", "random", "fixed, fresh"], output: true),
        // simulate's design and estimator options: each value only where it means something,
        // unsupported combinations refused rather than ignored.
        Case(smallSim + ["--spectrum", "gaussian"], ["--spectrum", "gaussian", "isotropic, power-law"], output: true),
        Case(smallSim + ["--beta", "2"], ["--beta", "--spectrum power-law only"], output: true),
        Case(smallSim + ["--source", "1"], ["--source", "--spectrum power-law only"], output: true),
        Case(smallSim + ["--spectrum", "power-law", "--beta", "0"], ["--beta", "0", "(0, 10]"], output: true),
        Case(smallSim + ["--spectrum", "power-law", "--source", "11"], ["--source", "11", "[0, 10]"], output: true),
        Case(smallSim + ["--fit", "lasso"], ["--fit", "lasso", "ols, ridge"], output: true),
        Case(smallSim + ["--ridge", "0.1"], ["--ridge", "--fit ridge only"], output: true),
        Case(smallSim + ["--fit", "ridge"], ["--fit ridge", "needs --ridge"], output: true),
        Case(smallSim + ["--fit", "ridge", "--ridge=-1"], ["--ridge", "-1", "[0, 1000000000000]"], output: true),
        Case(smallSim + ["--discount", "1.5"], ["--discount", "1.5", "[0, 1]"], output: true),
        Case(
            smallSim + ["--fit", "ridge", "--ridge", "0.1", "--engine", "sufficient"], ["--engine sufficient", "--fit ridge", "--engine literal"], output: true),
        Case(smallSim + ["--spectrum", "power-law", "--design", "fresh"], ["--design fresh", "--spectrum power-law", "--design fixed"], output: true),
        Case(smallSim + ["--discount", "0.5", "--regimes", "replace,mix"], ["--regimes mix", "--discount", "replace, accumulate"], output: true),
        Case(["simulate", "--design", "fresh", "--regimes", "accumulate-subsample"], ["--design fresh", "accumulate-subsample"], output: true),
        Case(["theory", "--model", "fresh-design", "--dimension", "10", "--samples", "11"], ["--dimension 10", "T ≥ d + 2"]),
        Case(["verify", "--only", "Z1"], ["--only", "Z1"]),
        Case(["verify", "--format", "xml"], ["--format", "'xml'", "table, csv, json"]),
        Case(["verify", "--results", "r.csv", "--format", "yaml"], ["--format", "'yaml'", "table, csv, json"]),
        // theory --model exact
        Case(["theory", "--model", "exact", "--ridge=-1"], ["--ridge", "-1", "[0, 1e12]"]),
        Case(["theory", "--model", "exact", "--ridge", "x"], ["--ridge", "'x'"]),
        Case(["theory", "--model", "exact", "--regimes", "mix"], ["--regimes", "mix", "replace, accumulate, fresh-real"]),
        Case(["theory", "--model", "exact", "--discount", "1.5"], ["--discount", "1.5", "[0, 1]"]),
        Case(["theory", "--model", "exact", "--regimes", "fresh-real", "--real-fraction", "2"], ["--real-fraction", "2"]),
        Case(["theory", "--model", "exact", "--truth-file", "w.csv"], ["--truth-file", "--design-file"]),
        Case(["theory", "--model", "exact", "--replicate=-1"], ["--replicate", "-1"]),
        Case(["theory", "--model", "exact", "--design-file", "/nonexistent/x.csv"], ["--design-file", "/nonexistent/x.csv"]),
        // scikit-learn's datasets' parameters, the isotropic Gaussian, scikit-learn's bandwidths.
        Case(BadInputTests.smallGenerative + ["--model", "kde", "--noise=-0.1"], ["--noise", "-0.1", "[0, 1000]"], output: true),
        Case(BadInputTests.smallGenerative + ["--model", "kde", "--dataset", "circles", "--factor", "1"], ["--factor", "'1'", "[0, 1)"], output: true),
        Case(BadInputTests.smallGenerative + ["--model", "gmm", "--centers", "0"], ["--centers", "'0'", "1...100"], output: true),
        Case(BadInputTests.smallGenerative + ["--model", "gmm", "--cluster-std", "0"], ["--cluster-std", "'0'", "(0, 1000000]"], output: true),
        Case(BadInputTests.smallGenerative + ["--model", "gmm", "--center-box", "5,1"], ["--center-box", "'5,1'", "LOW < HIGH"], output: true),
        Case(BadInputTests.smallGenerative + ["--model", "gmm", "--center-box", "x"], ["--center-box", "LOW,HIGH"], output: true),
        Case(BadInputTests.smallGenerative + ["--model", "gaussian", "--variance", "0"], ["--variance", "'0'", "(0, 1000000]"], output: true),
        Case(
            BadInputTests.smallGenerative + ["--model", "gaussian", "--noise", "0.1"],
            ["--noise", "does not apply to --model gaussian --dataset gaussian", "--dataset moons"], output: true),
        Case(BadInputTests.smallGenerative + ["--model", "kde", "--factor", "0.5"], ["--factor", "does not apply", "--dataset circles"], output: true),
        Case(BadInputTests.smallGenerative + ["--model", "kde", "--bandwidth", "sklearn"], ["--bandwidth", "sklearn-scott, sklearn-silverman"], output: true),
        Case(["data", "blobs", "--count", "10", "--center-box", "1,1", "--output", "out"], ["--center-box", "'1,1'", "LOW < HIGH"]),
        Case(["data", "moons", "--count", "10", "--factor", "0.5", "--output", "out"], ["--factor", "does not apply to moons", "circles"]),
        Case(["data", "circles", "--count", "10", "--noise", "nan", "--output", "out"], ["--noise", "'nan'"]),
        // data: the dataset, --count, options that do not apply, --output.
        Case(["data", "mnist", "--count", "10", "--output", "out"], ["DATASET 'mnist'", "allowed: gaussian, blobs", "conformers"]),
        Case(["data", "csv", "--count", "10", "--output", "out"], ["DATASET 'csv'", "unknown dataset"]),
        Case(["data", "--count", "10", "--output", "out"], ["DATASET is required", "moons"]),
        Case(["data", "moons", "--count", "0", "--output", "out"], ["--count", "'0'", "1...1000000"]),
        Case(["data", "moons", "--count", "1000001", "--output", "out"], ["--count", "1000001", "1...1000000"]),
        Case(["data", "moons", "--count", "x", "--output", "out"], ["--count", "'x'"]),
        Case(["data", "glyphs", "--count", "5", "--output", "out"], ["--count", "10...100000", "at least 10"]),
        Case(["data", "moons", "--output", "out"], ["--count is required"]),
        Case(["data", "moons", "--count", "10"], ["--output is required"]),
        Case(["data", "moons", "--count", "10", "--dimension", "3", "--output", "out"], ["--dimension", "does not apply to moons", "gaussian"]),
        Case(["data", "gaussian", "--count", "10", "--dimension", "0", "--output", "out"], ["--dimension", "'0'", "1...100"]),
        Case(["data", "moons", "--count", "10", "--model", "poisson", "--output", "out"], ["--model poisson", "gaussian, kde, gmm"]),
        Case(["data", "poisson", "--count", "10", "--rate", "nan", "--output", "out"], ["--rate", "'nan'"]),
        Case(["data", "stories", "--count", "10", "--preset", "huge", "--output", "out"], ["--preset", "smoke, small, paper"]),
        Case(["data", "moons", "--count", "10", "--seed", "-1", "--output", "out"], ["--seed", "-1", "0...18446744073709551615"]),
        Case(["data", "moons", "--count", "10", "--output", "."], ["--output .", "is a directory"]),
        Case(["data", "moons", "--count", "10", "--output", "no-such-dir/x.csv"], ["--output no-such-dir/x.csv", "no-such-dir does not exist"])
    ]

    func testBadInputIsRejectedCleanlyWithoutWritingAnything() throws {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 60)
        try assertRejectedCleanly(Self.cases)
    }

    /// Runs each case from an empty working directory and checks the rejection.
    func assertRejectedCleanly(_ cases: [Case]) throws {
        let fm = FileManager.default
        for c in cases {
            var args = c.arguments
            let out = work.appendingPathComponent("out")
            if c.withOutput { args += ["--output", out.path] }
            let what = "collapse " + args.map { $0.isEmpty ? "''" : $0 }.joined(separator: " ")
            let r = try collapse(arguments: args)
            XCTAssertTrue(r.exitedNormally, "\(what): killed by a signal")
            XCTAssertNotEqual(r.status, 0, "\(what): succeeded; stdout:\n\(r.stdout)")
            assertNoCrashReport(r, what)
            XCTAssertTrue(r.stderr.hasPrefix("Error: "), "\(what): stderr:\n\(r.stderr)")
            for needle in c.needles {
                XCTAssertTrue(r.stderr.contains(needle), "\(what): stderr lacks '\(needle)':\n\(r.stderr)")
            }
            XCTAssertEqual(r.stdout, "", "\(what): wrote to stdout")
            XCTAssertFalse(fm.fileExists(atPath: out.path), "\(what): created \(out.path)")
            XCTAssertEqual(try fm.contentsOfDirectory(atPath: work.path), [], "\(what): wrote files")
            // Start the next case from an empty working directory whatever happened.
            for name in try fm.contentsOfDirectory(atPath: work.path) {
                try fm.removeItem(at: work.appendingPathComponent(name))
            }
        }
    }

    func testValidationErrorsExitWithUsageStatus() throws {
        let r = try collapse("simulate", "--dimension", "0", "--output", work.appendingPathComponent("out").path)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertEqual(
            r.stderr.split(separator: "\n").first.map(String.init),
            "Error: --dimension: '0' is not an integer in 1...100000")
    }

    func testOutputPointingAtRegularFileIsRejectedBeforeComputing() throws {
        let fm = FileManager.default
        let target = work.appendingPathComponent("results-file")
        let original = Data("keep me\n".utf8)
        XCTAssertTrue(fm.createFile(atPath: target.path, contents: original))
        for command in [Self.smallSim, ["reproduce", "--repeats", "2"]] {
            let args = command + ["--output", target.path]
            let r = try collapse(arguments: args)
            let what = "collapse " + args.joined(separator: " ")
            XCTAssertNotEqual(r.status, 0, what)
            assertNoCrashReport(r, what)
            XCTAssertTrue(r.stderr.contains("--output"), r.stderr)
            XCTAssertTrue(r.stderr.contains(target.path), r.stderr)
            XCTAssertTrue(r.stderr.contains("not a directory"), r.stderr)
            XCTAssertEqual(r.stdout, "")
            XCTAssertEqual(try Data(contentsOf: target), original, "\(what): the file was modified")
            XCTAssertEqual(try fm.contentsOfDirectory(atPath: work.path), ["results-file"], what)
        }
    }

    func testUnwritableOutputFailsWithoutStackTrace() throws {
        // results.csv exists as a directory: the run refuses before computing, and --force
        // does not remove it (it is not a run's output).
        let out = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(
            at: out.appendingPathComponent("results.csv"),
            withIntermediateDirectories: true)
        let r = try collapse(arguments: Self.smallSim + ["--dimension", "2", "--samples", "5", "--output", out.path])
        XCTAssertEqual(r.status, 64, r.stderr)
        assertNoCrashReport(r, "non-empty output")
        XCTAssertTrue(r.stderr.hasPrefix("Error: --output ") && r.stderr.contains("holds results.csv"), r.stderr)
        let forced = try collapse(arguments: Self.smallSim + ["--dimension", "2", "--samples", "5", "--output", out.path, "--force"])
        XCTAssertEqual(forced.status, 64, forced.stderr)
        assertNoCrashReport(forced, "forced")
        XCTAssertTrue(forced.stderr.contains("results.csv is not a regular file"), forced.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["results.csv"])
        var isDirectory: ObjCBool = false
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: out.appendingPathComponent("results.csv").path, isDirectory: &isDirectory)
                && isDirectory.boolValue)
    }
}
