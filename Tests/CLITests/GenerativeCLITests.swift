import Foundation
import XCTest

extension BadInputTests {
    static let smallGenerative = [
        "generative", "--samples", "20", "--test-size", "10", "--generations", "2", "--repeats", "4",
        "--seed", "1", "--threads", "1"
    ]

    static let generativeCases: [Case] = [
        Case(["generative"], ["--model is required", "gaussian, kde, gmm, categorical, poisson, ngram"], output: true),
        Case(smallGenerative + ["--model", "vae"], ["--model", "'vae'", "gaussian, kde, gmm"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--dataset", "zipf"], ["--dataset zipf", "cannot fit", "gaussian, blobs, circles"], output: true),
        Case(smallGenerative + ["--model", "ngram", "--dataset", "moons"], ["--dataset moons", "markov, corpus"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--dataset", "mnist"], ["--dataset", "'mnist'", "swiss-roll"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--covariance", "biased"], ["--covariance", "'biased'", "mle, unbiased"], output: true),
        Case(smallGenerative + ["--model", "kde", "--bandwidth", "wide"], ["--bandwidth", "'wide'", "scott, silverman"], output: true),
        Case(smallGenerative + ["--model", "kde", "--bandwidth", "0"], ["--bandwidth", "'0'"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--bandwidth", "scott"], ["--bandwidth: does not apply", "--model kde"], output: true),
        Case(smallGenerative + ["--model", "kde", "--rate", "2"], ["--rate: does not apply", "--dataset poisson"], output: true),
        Case(smallGenerative + ["--model", "poisson", "--rate", "0"], ["--rate", "'0'", "(0, 1000]"], output: true),
        Case(smallGenerative + ["--model", "poisson", "--rate", "nan"], ["--rate", "nan"], output: true),
        Case(smallGenerative + ["--model", "categorical", "--smoothing=-1"], ["--smoothing", "'-1'", "[0, 1000000]"], output: true),
        Case(smallGenerative + ["--model", "categorical", "--support", "0"], ["--support", "0", "1...10000000"], output: true),
        Case(smallGenerative + ["--model", "gmm", "--components", "0"], ["--components", "0", "1...100"], output: true),
        Case(smallGenerative + ["--model", "gmm", "--components", "101"], ["--components", "101", "1...100"], output: true),
        Case(smallGenerative + ["--model", "gmm", "--variance-floor", "0"], ["--variance-floor", "0"], output: true),
        Case(smallGenerative + ["--model", "gmm", "--samples", "2", "--components", "3"], ["--samples 2", "3-component"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--samples", "1"], ["--samples", "1", "2...10000000"], output: true),
        Case(
            smallGenerative + ["--model", "gaussian", "--dimension", "5", "--samples", "5"], ["--samples 5", "d = 5", "T > d", "--dimension", "--samples ≥ 6"],
            output: true),
        Case(
            smallGenerative + ["--model", "gaussian", "--dataset", "blobs", "--samples", "2"], ["--samples 2", "d = 2", "T > d", "(--dimension)"], output: true),
        Case(
            smallGenerative + ["--model", "gaussian", "--dataset", "moons", "--samples", "2"], ["--samples 2", "d = 2", "--dataset moons is 2-D"], output: true),
        Case(smallGenerative + ["--model", "kde", "--samples", "2"], ["--samples 2", "d = 2", "T > d", "--dataset moons"], output: true),
        Case(
            smallGenerative + ["--model", "kde", "--bandwidth", "silverman", "--dataset", "swiss-roll", "--samples", "2"], ["--samples 2", "d = 2", "T > d"],
            output: true),
        Case(smallGenerative + ["--model", "poisson", "--rate", "1001"], ["--rate", "'1001'", "(0, 1000]"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--test-size", "0"], ["--test-size", "0", "1..."], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--generations", "0"], ["--generations", "0", "1...100000"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--repeats", "1"], ["--repeats", "1", "2..."], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--regimes", "refit"], ["--regimes", "'refit'", "fresh-real"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--real-fraction", "0.5"], ["--real-fraction: applies only"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--regimes", "mix", "--real-fraction", "2"], ["--real-fraction", "'2'", "[0, 1]"], output: true),
        Case(smallGenerative + ["--model", "ngram", "--order", "9"], ["--order", "9", "1...8"], output: true),
        Case(
            smallGenerative + ["--model", "ngram", "--order", "6", "--vocabulary", "100"],
            ["--order 6", "V = 100", "limit of 4000000", "--order ≤ 3", "--vocabulary"], output: true),
        Case(smallGenerative + ["--model", "ngram", "--vocabulary", "1"], ["--vocabulary", "1", "2...1000"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--dataset", "csv"], ["--dataset csv needs --data FILE"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--dataset", "csv", "--data", "missing.csv"], ["--data missing.csv", "no such file"], output: true),
        Case(smallGenerative + ["--model", "ngram", "--dataset", "corpus", "--data", "missing.txt"], ["--data missing.txt", "no such file"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--threads", "0"], ["--threads", "0", "1...1024"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--seed", "abc"], ["--seed", "'abc'"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--max-memory", "1K"], ["--max-memory", "needs about"], output: true),
        Case(smallGenerative + ["--model", "gaussian", "--output", ""], ["--output", "empty path"])
    ]

    func testGenerativeBadInputIsRejectedCleanly() throws {
        try assertRejectedCleanly(Self.generativeCases)
    }
}

/// `collapse generative` end to end: every model under every regime, the CSV schema, the
/// manifest, the figure, user files, and byte-identical results for any thread count.
final class GenerativeCLITests: CLITestCase {
    static let header = Schema.long
    static let allRegimes = ["--regimes", "replace,accumulate,accumulate-subsample,mix,fresh-real", "--real-fraction", "0.25,0.75"]

    func testEveryModelRunsUnderEveryRegimeAndPlots() throws {
        // Expected metrics per model on its default dataset.
        let metrics: [String: [String]] = [
            "gaussian": ["nll", "total_variance", "mean_error", "w2"],
            "kde": ["nll", "total_variance"],
            "gmm": ["nll", "total_variance", "component_mean_error"],
            "categorical": ["nll", "kl_truth_fit", "kl_fit_truth", "entropy", "support", "collision"],
            "poisson": ["nll", "rate", "rate_error"],
            "ngram": ["nll", "kl_truth_fit", "kl_fit_truth", "entropy", "support"]
        ]
        for (model, names) in metrics.sorted(by: { $0.key < $1.key }) {
            let out = work.appendingPathComponent(model)
            let r = try collapse(
                arguments: [
                    "generative", "--model", model, "--samples", "30", "--test-size", "15",
                    "--generations", "3", "--repeats", "5", "--seed", "7", "--threads", "2",
                    "--output", out.path
                ] + Self.allRegimes)
            assertSuccess(r, "generative --model \(model)")
            XCTAssertEqual(r.stderr, "", model)
            XCTAssertTrue(r.stdout.contains("wrote \(7 * names.count * 3) rows"), r.stdout)
            let csv = try SimpleCSV(try contents("results.csv", under: out))
            XCTAssertEqual(csv.header, Self.header)
            XCTAssertEqual(csv.rows.count, 7 * names.count * 3)
            let records = csv.records
            XCTAssertEqual(Set(records.map { $0["metric"]! }), Set(names), model)
            XCTAssertEqual(
                Set(records.map { "\($0["regime"]!)(\($0["real_fraction"]!))" }),
                [
                    "replace()", "accumulate()", "accumulate-subsample()", "mix(0.25)", "mix(0.75)",
                    "fresh-real(0.25)", "fresh-real(0.75)"
                ])
            XCTAssertTrue(records.allSatisfy { $0["model"] == model && $0["samples"] == "30" && $0["repeats"] == "5" })
            // Theory only under replace/accumulate (and the Poisson rate, a martingale everywhere).
            for rec in records where !rec["theory"]!.isEmpty {
                XCTAssertTrue(["replace", "accumulate"].contains(rec["regime"]!) || rec["metric"] == "rate", "\(rec)")
            }
            let m = try manifest(in: out)
            XCTAssertEqual(m["command"] as? String, "generative")
            XCTAssertEqual(m["seed"] as? String, "7")
            let p = try XCTUnwrap(m["parameters"] as? [String: Any])
            XCTAssertEqual(p["model"] as? String, model)
            XCTAssertEqual(p["metrics"] as? [String], names)
            XCTAssertEqual((p["rows"] as? NSNumber)?.intValue, csv.rows.count)
            // The figure: one panel per metric.
            let svgPath = work.appendingPathComponent("\(model).svg").path
            let plot = try collapse("plot", out.appendingPathComponent("results.csv").path, "--output", svgPath)
            assertSuccess(plot, "plot \(model)")
            let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
            XCTAssertEqual(occurrences(of: "class=\"panel\"", in: svg), names.count, model)
            XCTAssertTrue(svg.contains("data-view=\"metrics\""))
        }
        // Theory where the closed forms apply.
        let g = try SimpleCSV(try contents("results.csv", under: work.appendingPathComponent("gaussian"))).records
        XCTAssertTrue(
            g.filter { $0["metric"] == "total_variance" && ["replace", "accumulate"].contains($0["regime"]!) }
                .allSatisfy { !$0["theory"]!.isEmpty })
    }

    func testSameSeedIsByteIdenticalForAnyThreadCount() throws {
        for model in ["gmm", "ngram"] {
            func run(_ threads: String) throws -> Data {
                let out = work.appendingPathComponent("\(model)-\(threads)")
                let r = try collapse(
                    arguments: [
                        "generative", "--model", model, "--samples", "25", "--test-size", "10",
                        "--generations", "4", "--repeats", "40", "--seed", "99", "--threads", threads,
                        "--output", out.path
                    ] + Self.allRegimes)
                assertSuccess(r, "\(model) --threads \(threads)")
                return try Data(contentsOf: out.appendingPathComponent("results.csv"))
            }
            let one = try run("1"), two = try run("2")
            XCTAssertGreaterThan(one.count, 2000)
            XCTAssertEqual(one, two, "\(model): --threads 1 and 2 differ")
        }
    }

    func testUserCSVAndCorpus() throws {
        // 80 points on a noisy line, as a CSV with a header.
        let csvFile = root.appendingPathComponent("points.csv")
        let points = (0..<80).map { i in "\(Double(i) / 10),\(Double(i) / 5 + Double((i * 37) % 11) / 10)" }
        try ("x,y\n" + points.joined(separator: "\n") + "\n").write(to: csvFile, atomically: true, encoding: .utf8)
        let out = work.appendingPathComponent("csv")
        let r = try collapse(
            "generative", "--model", "kde", "--dataset", "csv", "--data", csvFile.path, "--samples", "30",
            "--test-size", "20", "--generations", "3", "--repeats", "4", "--seed", "1",
            "--regimes", "replace,fresh-real", "--real-fraction", "1", "--output", out.path)
        assertSuccess(r, "kde on csv")
        let rows = try SimpleCSV(try contents("results.csv", under: out)).records
        XCTAssertTrue(rows.allSatisfy { $0["dataset"] == "csv" && Double($0["mean"]!)!.isFinite })
        let p = try XCTUnwrap(try manifest(in: out)["parameters"] as? [String: Any])
        XCTAssertEqual((p["data_rows"] as? NSNumber)?.intValue, 80)
        // fresh-real(1) needs 30 held-back rows per generation; 80 − 20 − 30 = 30 are left, but
        // not with --test-size 21.
        let refused = try collapse(
            "generative", "--model", "kde", "--dataset", "csv", "--data", csvFile.path, "--samples", "30",
            "--test-size", "21", "--regimes", "fresh-real", "--real-fraction", "1",
            "--output", work.appendingPathComponent("no").path)
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("fresh-real(1.0)") && refused.stderr.contains("only 29 are left"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("no").path))
        // A bad line is named.
        let bad = root.appendingPathComponent("bad.csv")
        try "1,2\n3,4\n5,six\n".write(to: bad, atomically: true, encoding: .utf8)
        let badRun = try collapse(
            "generative", "--model", "gaussian", "--dataset", "csv", "--data", bad.path,
            "--output", work.appendingPathComponent("bad").path)
        XCTAssertEqual(badRun.status, 64)
        XCTAssertTrue(badRun.stderr.contains("--data \(bad.path):3: field 2 'six' is not a number"), badRun.stderr)
        let small = root.appendingPathComponent("small.csv")
        try "1,2\n3,4\n5,7\n".write(to: small, atomically: true, encoding: .utf8)
        let few = try collapse(
            "generative", "--model", "gaussian", "--dataset", "csv", "--data", small.path,
            "--output", work.appendingPathComponent("few").path)
        XCTAssertEqual(few.status, 64)
        XCTAssertTrue(few.stderr.contains("--data \(small.path): 3 rows, fewer than --test-size 100 + --samples 300 = 400"), few.stderr)
        // A corpus: 400 tokens from a 6-word vocabulary, sequences of 8.
        let words = ["a", "b", "c", "d", "e", "f"]
        let corpus = root.appendingPathComponent("corpus.txt")
        try (0..<400).map { words[($0 * $0 + 3 * $0) % 6] }.joined(separator: " ").write(to: corpus, atomically: true, encoding: .utf8)
        let c = work.appendingPathComponent("corpus")
        let cr = try collapse(
            "generative", "--model", "ngram", "--dataset", "corpus", "--data", corpus.path, "--sequence-length", "8",
            "--samples", "20", "--test-size", "10", "--generations", "3", "--repeats", "3", "--seed", "2",
            "--output", c.path)
        assertSuccess(cr, "ngram on corpus")
        let crows = try SimpleCSV(try contents("results.csv", under: c)).records
        XCTAssertEqual(Set(crows.map { $0["metric"]! }), ["nll", "entropy", "support"])
        // A corpus of 2001 distinct tokens: a bigram table (V+1)·V = 4006002 is over the limit
        // and the message says so and points to order 1, whose table is V and runs.
        let wide = root.appendingPathComponent("wide.txt")
        try (0..<2001).map { "w\($0)" }.joined(separator: " ").write(to: wide, atomically: true, encoding: .utf8)
        let bigram = try collapse(
            "generative", "--model", "ngram", "--dataset", "corpus", "--data", wide.path, "--sequence-length", "8",
            "--samples", "20", "--test-size", "10", "--output", work.appendingPathComponent("wide2").path)
        XCTAssertEqual(bigram.status, 64, bigram.stderr)
        XCTAssertTrue(
            bigram.stderr.contains("--order 2") && bigram.stderr.contains("V = 2001") && bigram.stderr.contains("4006002")
                && bigram.stderr.contains("limit of 4000000") && bigram.stderr.contains("--order ≤ 1"), bigram.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("wide2").path))
        assertSuccess(
            try collapse(
                "generative", "--model", "ngram", "--order", "1", "--dataset", "corpus", "--data", wide.path,
                "--sequence-length", "8", "--samples", "20", "--test-size", "10", "--generations", "2",
                "--repeats", "2", "--seed", "1", "--output", work.appendingPathComponent("wide1").path), "unigram")
    }

    /// CRLF line ends are line ends; the Gaussian and Scott KDE fits need T > d for a CSV too
    /// (d = the file's columns), a fixed bandwidth does not; a collapsed chain still writes.
    func testCRLFCSVSingularInputsAndCollapsedChains() throws {
        let crlf = root.appendingPathComponent("crlf.csv")
        let rows = (0..<60).map { i in "\(Double(i) / 10),\(Double((i * 37) % 11) / 10),\(Double((i * 13) % 7))" }
        try ("x,y,z\r\n" + rows.joined(separator: "\r\n") + "\r\n").write(to: crlf, atomically: true, encoding: .utf8)
        let out = work.appendingPathComponent("crlf")
        assertSuccess(
            try collapse(
                "generative", "--model", "gaussian", "--dataset", "csv", "--data", crlf.path, "--samples", "20",
                "--test-size", "10", "--generations", "2", "--repeats", "2", "--seed", "1", "--output", out.path), "CRLF csv")
        let p = try XCTUnwrap(try manifest(in: out)["parameters"] as? [String: Any])
        XCTAssertEqual((p["data_rows"] as? NSNumber)?.intValue, 60)
        XCTAssertEqual((p["dimension"] as? NSNumber)?.intValue, 3)
        for model in [["gaussian"], ["kde"], ["kde", "--bandwidth", "scott"]] {
            let r = try collapse(
                arguments: ["generative", "--model"] + model + [
                    "--dataset", "csv", "--data", crlf.path, "--samples", "3",
                    "--test-size", "10", "--output", work.appendingPathComponent("sing").path
                ])
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("--samples 3") && r.stderr.contains("d = 3") && r.stderr.contains("--data \(crlf.path)"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.contains("--samples 3") }.count, 1, r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("sing").path))
        assertSuccess(
            try collapse(
                "generative", "--model", "kde", "--bandwidth", "0.5", "--dataset", "csv", "--data", crlf.path,
                "--samples", "3", "--test-size", "10", "--generations", "2", "--repeats", "2", "--seed", "1",
                "--output", work.appendingPathComponent("fixed").path), "fixed bandwidth, T ≤ d")
        // The reviewer's reproduction: a Gaussian chain that collapses to a point writes its
        // results (nll +∞ once singular) instead of aborting.
        let collapsed = work.appendingPathComponent("collapsed")
        let r = try collapse(
            "generative", "--model", "gaussian", "--samples", "10", "--generations", "1000", "--regimes", "replace",
            "--repeats", "4", "--seed", "1", "--output", collapsed.path)
        assertSuccess(r, "collapsed gaussian")
        let csv = try SimpleCSV(try contents("results.csv", under: collapsed)).records
        let last = try XCTUnwrap(csv.first { $0["metric"] == "nll" && $0["generation"] == "1000" })
        XCTAssertEqual(Double(last["mean"]!), .infinity, "\(last)")
    }

    func testListAndPlotViews() throws {
        let list = try collapse("generative", "--list")
        assertSuccess(list, "--list")
        for name in [
            "gaussian", "kde", "gmm", "categorical", "poisson", "ngram", "blobs", "circles", "moons", "swiss-roll",
            "csv", "zipf", "markov", "corpus"
        ] {
            XCTAssertTrue(list.stdout.contains("  \(name) "), "--list lacks \(name):\n\(list.stdout)")
        }
        let help = try collapse("generative", "--help")
        assertSuccess(help, "generative --help")
        XCTAssertTrue(help.stdout.contains("USAGE: collapse generative"))
        for flag in [
            "--model", "--dataset", "--samples", "--test-size", "--generations", "--regimes", "--real-fraction",
            "--repeats", "--seed", "--threads", "--output", "--list", "--covariance", "--bandwidth", "--components",
            "--restarts", "--variance-floor", "--smoothing", "--order", "--data"
        ] {
            XCTAssertTrue(help.stdout.contains(flag), "generative --help lacks \(flag)")
        }
        XCTAssertTrue(try collapse("--help").stdout.contains("  generative "))
        let out = work.appendingPathComponent("p")
        assertSuccess(
            try collapse(
                "generative", "--model", "poisson", "--samples", "10", "--generations", "2", "--repeats", "3",
                "--seed", "1", "--output", out.path), "poisson")
        let csv = out.appendingPathComponent("results.csv").path
        let grid = try collapse("plot", csv, "--view", "grid", "--output", work.appendingPathComponent("x.svg").path)
        XCTAssertEqual(grid.status, 64)
        XCTAssertTrue(grid.stderr.contains("holds no linear Monte Carlo results") && grid.stderr.contains("its view is metrics"), grid.stderr)
        let dim = try collapse("plot", csv, "--dimension", "2", "--output", work.appendingPathComponent("x.svg").path)
        XCTAssertTrue(dim.stderr.contains("--dimension does not apply"), dim.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("x.svg").path))
    }
}
