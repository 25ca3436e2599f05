import Foundation
import XCTest

/// `collapse data`: exported files feed the real `--data` loaders of `generative` and `neural`;
/// the same seed writes the same bytes; an existing file is kept without `--force`.
final class DataCLITests: CLITestCase {
    func testExportsFeedTheDataLoadersOfGenerativeAndNeural() throws {
        assertSuccess(try collapse("data", "moons", "--count", "120", "--seed", "3", "--output", "moons.csv"), "data moons")
        assertSuccess(
            try collapse(
                "generative", "--model", "gaussian", "--dataset", "csv", "--data", "moons.csv", "--samples", "50",
                "--test-size", "20", "--generations", "2", "--repeats", "2", "--seed", "1", "--threads", "1", "--output", "gen"),
            "generative --data moons.csv")
        assertSuccess(try collapse("data", "markov", "--count", "60", "--seed", "3", "--sequence-length", "12", "--output", "markov.txt"), "data markov")
        assertSuccess(
            try collapse(
                "generative", "--model", "ngram", "--dataset", "corpus", "--data", "markov.txt", "--sequence-length", "12",
                "--samples", "30", "--test-size", "10", "--generations", "2", "--repeats", "2", "--seed", "1", "--threads", "1",
                "--output", "ngram"), "generative --data markov.txt")
        assertSuccess(try collapse("data", "stories", "--count", "80", "--seed", "3", "--preset", "smoke", "--output", "stories.txt"), "data stories")
        for (dataset, file) in [("glyphs", "glyphs.idx"), ("conformers", "conformers.xyz")] {
            assertSuccess(try collapse("data", dataset, "--count", "20", "--seed", "3", "--output", file), "data \(dataset)")
        }
        for (model, file) in [("lm", "stories.txt"), ("vae", "glyphs.idx"), ("diffusion", "conformers.xyz")] {
            assertSuccess(
                try collapse(
                    "neural", model, "--preset", "smoke", "--data", file, "--steps", "1", "--generations", "1",
                    "--regimes", "replace", "--seed", "1", "--threads", "1", "--output", "neural-\(model)"), "neural \(model) --data \(file)")
        }
        XCTAssertEqual(try String(contentsOf: work.appendingPathComponent("stories.txt"), encoding: .utf8).split(separator: "\n").count, 80)
    }

    func testSameSeedSameBytesAndNoOverwriteWithoutForce() throws {
        let r = try collapse("data", "conformers", "--count", "12", "--seed", "9", "--output", "a.xyz")
        assertSuccess(r, "data conformers")
        XCTAssertTrue(r.stdout.contains("wrote a.xyz: 12 conformers records (xyz)"), r.stdout)
        assertSuccess(try collapse("data", "conformers", "--count", "12", "--seed", "9", "--output", "b.xyz"), "again")
        let a = try Data(contentsOf: work.appendingPathComponent("a.xyz"))
        XCTAssertEqual(a, try Data(contentsOf: work.appendingPathComponent("b.xyz")))
        let refused = try collapse("data", "conformers", "--count", "13", "--seed", "9", "--output", "a.xyz")
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--output a.xyz: already exists; pass --force"), refused.stderr)
        XCTAssertEqual(try Data(contentsOf: work.appendingPathComponent("a.xyz")), a)
        assertSuccess(try collapse("data", "conformers", "--count", "13", "--seed", "9", "--output", "a.xyz", "--force"), "--force")
        XCTAssertNotEqual(try Data(contentsOf: work.appendingPathComponent("a.xyz")), a)
    }

    func testListAndHelpNameEveryDatasetAndFormat() throws {
        let list = try collapse("data", "--list")
        assertSuccess(list, "data --list")
        for name in ["gaussian", "blobs", "circles", "moons", "swiss-roll", "zipf", "poisson", "markov", "stories", "glyphs", "conformers"] {
            XCTAssertTrue(list.stdout.contains("  \(name) "), "--list lacks \(name):\n\(list.stdout)")
        }
        let help = try collapse("data", "--help")
        for needle in ["MNIST IDX", "XYZ", "CSV", "seed", "--force"] { XCTAssertTrue(help.stdout.contains(needle), "help lacks \(needle)") }
    }
}
