import Foundation
import XCTest

/// Golden outputs: the SHA-256 of the result bytes of a small fixed-seed run of every command and
/// model family, pinned before the experiment engine moved any code.
///
/// A failing case means the bytes of a result changed. That is allowed only on purpose: in one
/// commit whose message says why, updating the hash here in that commit. Run with
/// `COLLAPSE_GOLDEN_PRINT=1` to print every case's current hash (`GOLDEN name hash`).
///
/// Only result bytes are pinned (results CSV, figures, theory tables, verify's table without its
/// wall time); manifests carry times and paths, so they are not.
final class GoldenOutputTests: CLITestCase {
    /// What a case hashes: a file the last step wrote (relative to the working directory), or
    /// the last step's standard output with any trailing `; 1.23 s` wall time removed.
    enum Product {
        case file(String)
        case stdout
    }

    struct Case {
        var name: String
        var steps: [[String]]
        var product: Product
        var sha256: String
    }

    static let sweepConfig = """
        name = "golden"
        dimension = [2, 4]
        samples = [12, 30]
        noise_variance = [0.5]
        generations = 3
        regimes = ["replace", "accumulate", "accumulate-subsample"]
        repeats = 20
        seed = 11

        """

    static let allRegimes = "replace,accumulate,accumulate-subsample,mix,fresh-real"

    static func simulate(_ extra: [String], output: String) -> [String] {
        ["simulate", "--noise-variance", "1", "--generations", "4", "--repeats", "50", "--seed", "7", "--threads", "2",
         "--output", output] + extra
    }

    static func generative(_ model: String) -> [String] {
        ["generative", "--model", model, "--samples", "30", "--generations", "3", "--repeats", "4", "--seed", "3",
         "--threads", "2", "--regimes", allRegimes, "--output", "gen-\(model)"]
    }

    static func neural(_ model: String) -> [String] {
        ["neural", model, "--preset", "smoke", "--generations", "2", "--seed", "3", "--threads", "2",
         "--regimes", "replace,accumulate,accumulate-subsample", "--output", "nn-\(model)"]
    }

    static let sweepSteps: [[String]] = [["sweep", "--config", "golden.toml", "--output", "sw", "--threads", "2", "--quiet"]]
    static let literalSteps = [simulate(["--dimension", "3,6", "--samples", "5,20", "--regimes", allRegimes], output: "sim")]
    static let generativeKDE = [generative("kde")]

    static let cases: [Case] = [
        // theory: every closed-form model on stdout, as built (--format wide; these hashes predate
        // the long format, so they pin the values) and in the long results format (--format csv).
        Case(name: "theory-linear", steps: [["theory", "--model", "linear", "--format", "wide"]], product: .stdout,
             sha256: "340adec750aa000e6a9c63302b786714b3ac7a1ea52aa020616e7dde68cb542c"),
        Case(name: "theory-exact", steps: [["theory", "--model", "exact", "--format", "wide"]], product: .stdout,
             sha256: "f8bb78fe19ab27b75fe5c4862be87a1e5ef91a06d6d22cdf522daf2ba5d016f4"),
        Case(name: "theory-fresh-design", steps: [["theory", "--model", "fresh-design", "--format", "wide"]], product: .stdout,
             sha256: "365a59f2ecba8fb7ce6eae4aa1204f05abd48eaf0c310dc168865d6724450118"),
        Case(name: "theory-ridge", steps: [["theory", "--model", "ridge", "--format", "wide"]], product: .stdout,
             sha256: "e7d3ecd8ef1f10aaeacc988c5c944b1d9445532926dcc2ec5497b4eb0fd079ac"),
        Case(name: "theory-poisson", steps: [["theory", "--model", "poisson", "--format", "wide"]], product: .stdout,
             sha256: "efc03c73037f9dc63f3f8c4d8bb6f33f30b0037fae2607dc317baacdc8db8797"),
        Case(name: "theory-gaussian-mean", steps: [["theory", "--model", "gaussian-mean", "--format", "wide"]], product: .stdout,
             sha256: "e337afdce9a0dcc011642a79eddbd89a8da43f3b08e3ba14b8b7e45ea96e6c22"),
        Case(name: "theory-gaussian-refit", steps: [["theory", "--model", "gaussian-refit", "--format", "wide"]], product: .stdout,
             sha256: "47b26d12dc46eed432f8673b506d14660c14fc24e016bac15048942898dcbe98"),
        Case(name: "theory-gaussian-refit-d", steps: [["theory", "--model", "gaussian-refit-d", "--format", "wide"]], product: .stdout,
             sha256: "5ac0e63e8d3d72bb2df782d902b9d53ce946e64b81104a3b0bdf30cb778c4b39"),
        Case(name: "theory-categorical", steps: [["theory", "--model", "categorical", "--format", "wide"]], product: .stdout,
             sha256: "bfb51bc0fc9e2583b84ec3a767765f9f6cafd4b2e865a0619f6941336a28b8cf"),
        Case(name: "theory-mixing", steps: [["theory", "--model", "mixing", "--format", "wide"]], product: .stdout,
             sha256: "bb595c67ffeb990c9e0c93f6357431532e36061e8d968e39d6c2a94daa1f6132"),
        Case(name: "theory-linear-long", steps: [["theory", "--model", "linear", "--format", "csv"]], product: .stdout,
             sha256: "22cb4732fcab42eeaab7517f98ebc1388b6a69aae92c3c14e8ec4806a597f07e"),
        Case(name: "theory-exact-long", steps: [["theory", "--model", "exact", "--format", "csv"]], product: .stdout,
             sha256: "de255b1f6e66bef14f21e530159fa8950f6816de285ad523bff65dfcdb84f195"),
        Case(name: "theory-fresh-design-long", steps: [["theory", "--model", "fresh-design", "--format", "csv"]], product: .stdout,
             sha256: "e2bdee84e25791e2ee0cb15dee60e775abe7c6a13c1ccc14b28a6d5c0f56f7ef"),
        Case(name: "theory-ridge-long", steps: [["theory", "--model", "ridge", "--format", "csv"]], product: .stdout,
             sha256: "b8727c296679441e0914f3b69aed95f35ba3062019c490d16f6400cb4898fef5"),
        Case(name: "theory-poisson-long", steps: [["theory", "--model", "poisson", "--format", "csv"]], product: .stdout,
             sha256: "638d38e8903ee94080df18e4e409c1d3f4f44e10b34a09bea371396ea7a22c59"),
        Case(name: "theory-gaussian-mean-long", steps: [["theory", "--model", "gaussian-mean", "--format", "csv"]], product: .stdout,
             sha256: "55849098a238afc5056ae373c32fefbf17de29c25e31d68ab60b26bea1be209b"),
        Case(name: "theory-gaussian-refit-long", steps: [["theory", "--model", "gaussian-refit", "--format", "csv"]], product: .stdout,
             sha256: "6caa689c9d8872278c13f15ef592dab3fd16e3a4256e4f27c171229d752f2dc5"),
        Case(name: "theory-gaussian-refit-d-long", steps: [["theory", "--model", "gaussian-refit-d", "--format", "csv"]], product: .stdout,
             sha256: "62115a5f302e2c22c404b02f5a8cd0b42f2642cde1f1f431dd982687cb31da08"),
        Case(name: "theory-categorical-long", steps: [["theory", "--model", "categorical", "--format", "csv"]], product: .stdout,
             sha256: "2e68523243ba8748f6e9fbc67f85c41978685106e22bd786602b9cb3afa7d023"),
        Case(name: "theory-mixing-long", steps: [["theory", "--model", "mixing", "--format", "csv"]], product: .stdout,
             sha256: "4deaac084485b65ac8a4871381ee0cf489f2ca27901379855796b1dab6f8479b"),
        // simulate: the literal engine over every regime (T < d, T < d + 2 and T ≥ d + 2 cells),
        // the sufficient engine, the fresh design.
        Case(name: "simulate-literal", steps: literalSteps, product: .file("sim/results.csv"),
             sha256: "85663496835b0d79f579ae002aeb682cfa66674e91600d6b96807da1b62ca7cf"),
        Case(name: "simulate-sufficient",
             steps: [simulate(["--dimension", "3", "--samples", "20", "--engine", "sufficient"], output: "suf")],
             product: .file("suf/results.csv"),
             sha256: "7bb66ac9a3a7a96dd48361d880ffc3f994e9040dc1316ec8047a408993c1b248"),
        Case(name: "simulate-fresh-design",
             steps: [simulate(["--dimension", "3", "--samples", "20", "--design", "fresh"], output: "fresh")],
             product: .file("fresh/results.csv"),
             sha256: "4d5a3493efd71e88e1cb77394f23e9227edcbd7666a5f9bd54bde15059b36a60"),
        Case(name: "reproduce", steps: [["reproduce", "--repeats", "20", "--seed", "5", "--threads", "2", "--output", "rep"]],
             product: .file("rep/results.csv"),
             sha256: "4079b7db9f4540781526d8464ace5ec92e3cff5c3e4035868c90c0c779eacd75"),
        // sweep, and the same sweep in two shards merged: the same bytes.
        Case(name: "sweep", steps: sweepSteps, product: .file("sw/results.csv"),
             sha256: "aaf556d64ca37e611b72e74248510d16c69865dc5bbef926dbbb85554bf19c91"),
        Case(name: "sweep-figure", steps: sweepSteps, product: .file("sw/figure.svg"),
             sha256: "2470e479b4c79b72d82f967f5fcaaa14463708fcf9196994148c2ee12b3eb979"),
        Case(name: "sweep-shards-merged",
             steps: [
                ["sweep", "--config", "golden.toml", "--output", "s0", "--shard", "0/2", "--threads", "2", "--quiet"],
                ["sweep", "--config", "golden.toml", "--output", "s1", "--shard", "1/2", "--threads", "2", "--quiet"],
                ["merge", "s0", "s1", "--output", "merged"],
             ],
             product: .file("merged/results.csv"),
             sha256: "aaf556d64ca37e611b72e74248510d16c69865dc5bbef926dbbb85554bf19c91"),
        // generative: all six classic models under every regime.
        Case(name: "generative-gaussian", steps: [generative("gaussian")], product: .file("gen-gaussian/results.csv"),
             sha256: "e7c5e731a9bdc096a5ce1d6a82f207a8d2efaa9e9437ebed6e8511fc54856bd7"),
        Case(name: "generative-kde", steps: generativeKDE, product: .file("gen-kde/results.csv"),
             sha256: "22f58815f87b1ce327556811c6ed7da7a98484020ee51d2a79794b660bba4a33"),
        Case(name: "generative-gmm", steps: [generative("gmm")], product: .file("gen-gmm/results.csv"),
             sha256: "767cfcde6aa71f346a7ed7a8be1eb68d985968efe56b59d9f023bc5bce794a8b"),
        Case(name: "generative-categorical", steps: [generative("categorical")], product: .file("gen-categorical/results.csv"),
             sha256: "88d33e582c2939113e1925c320b4ed1927cbf879518a8cfdd2bef5cd34ff5f3e"),
        Case(name: "generative-poisson", steps: [generative("poisson")], product: .file("gen-poisson/results.csv"),
             sha256: "76da2abfde293428f737f72920f31c3677958d298fbb686659ec67c3b442bb71"),
        Case(name: "generative-ngram", steps: [generative("ngram")], product: .file("gen-ngram/results.csv"),
             sha256: "bdbe36d74e5a2241407a8983a5ef5649f2b60aa0a05bb61a1af06f3fce6d522d"),
        // neural: the three models at the smoke preset.
        Case(name: "neural-lm", steps: [neural("lm")], product: .file("nn-lm/results.csv"),
             sha256: "d7ae3a9b29c6da37425c66f146dcf89b2838d45e168e1e6d842f5a2cb5da0f84"),
        Case(name: "neural-vae", steps: [neural("vae")], product: .file("nn-vae/results.csv"),
             sha256: "8e96eec68db0f92d62527ffe96cb5687c5cb3ae59fc6d2aa0e9e50df87d2f711"),
        Case(name: "neural-diffusion", steps: [neural("diffusion")], product: .file("nn-diffusion/results.csv"),
             sha256: "ce64eab6fc6e6ab980fe43789b844bdda6f95a6bc0b3bde8537874e80ea56ad2"),
        Case(name: "neural-lm-figure", steps: [neural("lm")], product: .file("nn-lm/figure.svg"),
             sha256: "d708c6bd21212a068b9ce542874994bd8c4dce502b3af926283a7297666bcffd"),
        // plot: a linear results file and a long-format one.
        Case(name: "plot-linear", steps: literalSteps + [["plot", "sim/results.csv", "--output", "sim.svg"]],
             product: .file("sim.svg"),
             sha256: "6d301753d1e364ba52737ed663775dd4540e99d5a6babad3d66439b814ff6573"),
        Case(name: "plot-generative", steps: generativeKDE + [["plot", "gen-kde/results.csv", "--output", "kde.svg"]],
             product: .file("kde.svg"),
             sha256: "dbbed1c62b222a96b53da02cea2dbe6db75fd18013694f761d9cad3569554034"),
        // verify: a few checks of each battery, the printed table.
        Case(name: "verify", steps: [["verify", "--only", "V1,U1,G3,E1", "--threads", "2"]], product: .stdout,
             sha256: "60ca046a4553f66da5e220a58513ff2b18ebcf353e690a8a775467b51dc88d82"),
    ]

    func testSHA256TestVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A message longer than one 64-byte block, ending across the length field's boundary.
        XCTAssertEqual(SHA256.hex(Data(repeating: 0x61, count: 1000)),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    func testGoldenOutputs() throws {
        try Self.sweepConfig.write(to: work.appendingPathComponent("golden.toml"), atomically: true, encoding: .utf8)
        let printing = ProcessInfo.processInfo.environment["COLLAPSE_GOLDEN_PRINT"] == "1"
        var done: [String: CLIResult] = [:]
        for c in Self.cases {
            var last: CLIResult?
            for step in c.steps {
                let key = step.joined(separator: "\u{1}")
                if let cached = done[key] { last = cached; continue }
                let r = try collapse(arguments: step, timeout: 300)
                assertSuccess(r, "\(c.name): collapse \(step.joined(separator: " "))")
                done[key] = r
                last = r
            }
            let bytes: Data
            switch c.product {
            case .file(let path):
                bytes = (try? Data(contentsOf: work.appendingPathComponent(path))) ?? Data()
                XCTAssertFalse(bytes.isEmpty, "\(c.name): \(path) missing or empty")
            case .stdout:
                bytes = Data(Self.withoutWallTime(last?.stdout ?? "").utf8)
            }
            let hash = SHA256.hex(bytes)
            if printing { print("GOLDEN \(c.name) \(hash)") }
            XCTAssertEqual(hash, c.sha256, """
                \(c.name): result bytes changed. If on purpose, update the hash in a commit that says why \
                (COLLAPSE_GOLDEN_PRINT=1 prints every hash).
                """)
        }
    }

    /// Removes the wall-time field `; 0.6 s` that verify prints at the end of its summary line.
    static func withoutWallTime(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let r = line.range(of: #"; [0-9.]+ s$"#, options: .regularExpression) else { return String(line) }
            return String(line[..<r.lowerBound])
        }.joined(separator: "\n")
    }
}
