import CollapseExport
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
             sha256: "fd0a5ff15d2faff2ad4d9eaf24507f175c9378f71cf6e262343b8deb792197fa"),
        Case(name: "theory-exact-long", steps: [["theory", "--model", "exact", "--format", "csv"]], product: .stdout,
             sha256: "2c7321d426f4c850b1061853145e2b4d4641f8a12a4fcdeb09e4c0ca4848b279"),
        Case(name: "theory-fresh-design-long", steps: [["theory", "--model", "fresh-design", "--format", "csv"]], product: .stdout,
             sha256: "86ee8a8350fc7046b5d7e71cc09fa892913b71515eb3cca5c4e91da4b0f13557"),
        Case(name: "theory-ridge-long", steps: [["theory", "--model", "ridge", "--format", "csv"]], product: .stdout,
             sha256: "2434b5dc81ba988fd848dbde5abc27cc37a17261fbc45d1f741788802f8f4977"),
        Case(name: "theory-poisson-long", steps: [["theory", "--model", "poisson", "--format", "csv"]], product: .stdout,
             sha256: "7206cde2178b54cc638d611c8679c571acd9d7721f217cc0da0263ded4d255cd"),
        Case(name: "theory-gaussian-mean-long", steps: [["theory", "--model", "gaussian-mean", "--format", "csv"]], product: .stdout,
             sha256: "9291264f37c099caf417a540b0a85a46d1c73cc624a979fab8ce5292db2caaa2"),
        Case(name: "theory-gaussian-refit-long", steps: [["theory", "--model", "gaussian-refit", "--format", "csv"]], product: .stdout,
             sha256: "e346f538f4baeaaaf45579e935151e7a14c7597b2ff5482e48cc930440f92326"),
        Case(name: "theory-gaussian-refit-d-long", steps: [["theory", "--model", "gaussian-refit-d", "--format", "csv"]], product: .stdout,
             sha256: "dc6234ffa971586ab19c2c8925ecb0b7a8254078f24f89a1a415b9c8a01b5f6c"),
        Case(name: "theory-categorical-long", steps: [["theory", "--model", "categorical", "--format", "csv"]], product: .stdout,
             sha256: "d10cb1b31d2a3c94c6d0dfa142f6db3a3dcb258041e85f23743d9fba1492851b"),
        Case(name: "theory-mixing-long", steps: [["theory", "--model", "mixing", "--format", "csv"]], product: .stdout,
             sha256: "777bdaf7a6ca8082d3ffda868e53afae427c0d9abd2c8c0544a449706ff117a8"),
        // simulate: the literal engine over every regime (T < d, T < d + 2 and T ≥ d + 2 cells),
        // the sufficient engine, the fresh design.
        Case(name: "simulate-literal", steps: literalSteps, product: .file("sim/results.csv"),
             sha256: "e6e32694cf0e2f0234397cab06cdb3faa1a4e7c4db9a0ce7507e80bba85c45dc"),
        Case(name: "simulate-sufficient",
             steps: [simulate(["--dimension", "3", "--samples", "20", "--engine", "sufficient"], output: "suf")],
             product: .file("suf/results.csv"),
             sha256: "825c89bd5d57e8797731842921d21269959c0b289a4117d4096bac859840cbad"),
        Case(name: "simulate-fresh-design",
             steps: [simulate(["--dimension", "3", "--samples", "20", "--design", "fresh"], output: "fresh")],
             product: .file("fresh/results.csv"),
             sha256: "ac8702ea753efc245a6d7c1e886b145a25ca10abae635714ac12f6b0e33deccd"),
        Case(name: "reproduce", steps: [["reproduce", "--repeats", "20", "--seed", "5", "--threads", "2", "--output", "rep"]],
             product: .file("rep/results.csv"),
             sha256: "8c5e294f113396e82c2712eed2895490460a3d4af9c75af752d81a4486289c6a"),
        // sweep, and the same sweep in two shards merged: the same bytes.
        Case(name: "sweep", steps: sweepSteps, product: .file("sw/results.csv"),
             sha256: "a04c1e7992a022a5e81ac12553b4205d41ed58f3d29e202691c691fbed658b22"),
        Case(name: "sweep-figure", steps: sweepSteps, product: .file("sw/figure.svg"),
             sha256: "2470e479b4c79b72d82f967f5fcaaa14463708fcf9196994148c2ee12b3eb979"),
        Case(name: "sweep-shards-merged",
             steps: [
                ["sweep", "--config", "golden.toml", "--output", "s0", "--shard", "0/2", "--threads", "2", "--quiet"],
                ["sweep", "--config", "golden.toml", "--output", "s1", "--shard", "1/2", "--threads", "2", "--quiet"],
                ["merge", "s0", "s1", "--output", "merged"],
             ],
             product: .file("merged/results.csv"),
             sha256: "a04c1e7992a022a5e81ac12553b4205d41ed58f3d29e202691c691fbed658b22"),
        // generative: all six classic models under every regime.
        Case(name: "generative-gaussian", steps: [generative("gaussian")], product: .file("gen-gaussian/results.csv"),
             sha256: "608e6c8a1aaf2124a02c71d10df6efc9d211b199e9f8b33b0d1494b6b277fe5d"),
        Case(name: "generative-kde", steps: generativeKDE, product: .file("gen-kde/results.csv"),
             sha256: "223371e3c6c2e83eb8dfaa7a82a1fbbc101d0ea2592ab95a2218c63f3bcec369"),
        Case(name: "generative-gmm", steps: [generative("gmm")], product: .file("gen-gmm/results.csv"),
             sha256: "117885df382155c6f22de375c08c0d9560c6e473e928e93ee1df3ccc80decd4f"),
        Case(name: "generative-categorical", steps: [generative("categorical")], product: .file("gen-categorical/results.csv"),
             sha256: "e4e27e7187b424a2089164a48def40a2ccf8065acd6a0d7c585754bd1d3b1205"),
        Case(name: "generative-poisson", steps: [generative("poisson")], product: .file("gen-poisson/results.csv"),
             sha256: "5158579783959fa22c5ef851753535fd22992460174fc77e7e0da3973a44e887"),
        Case(name: "generative-ngram", steps: [generative("ngram")], product: .file("gen-ngram/results.csv"),
             sha256: "d4c7e47af16a558bbd118e5b31f45c8918b13ca025c48a931c99675b5a64ceb7"),
        // neural: the three models at the smoke preset.
        Case(name: "neural-lm", steps: [neural("lm")], product: .file("nn-lm/results.csv"),
             sha256: "56329f7f17580615d56e846eb02c97a9d943ebd0a98be9542d177497d4d4313e"),
        Case(name: "neural-vae", steps: [neural("vae")], product: .file("nn-vae/results.csv"),
             sha256: "60d95afd4fbb2750bd97da7053fa59d5c27fe57829c11da1a69164cf4e14277b"),
        Case(name: "neural-diffusion", steps: [neural("diffusion")], product: .file("nn-diffusion/results.csv"),
             sha256: "80f701e36704e1c66a0cbce60bc498a0fea9bf5aa9a8c5d1adc836db9b0b9728"),
        Case(name: "neural-lm-figure", steps: [neural("lm")], product: .file("nn-lm/figure.svg"),
             sha256: "d708c6bd21212a068b9ce542874994bd8c4dce502b3af926283a7297666bcffd"),
        // plot: a linear results file (grid view) and a generative one (metrics view).
        Case(name: "plot-linear", steps: literalSteps + [["plot", "sim/results.csv", "--output", "sim.svg"]],
             product: .file("sim.svg"),
             sha256: "6d301753d1e364ba52737ed663775dd4540e99d5a6babad3d66439b814ff6573"),
        Case(name: "plot-generative", steps: generativeKDE + [["plot", "gen-kde/results.csv", "--output", "kde.svg"]],
             product: .file("kde.svg"),
             sha256: "dbbed1c62b222a96b53da02cea2dbe6db75fd18013694f761d9cad3569554034"),
        // verify: a few checks of each battery, the printed table.
        Case(name: "verify", steps: [["verify", "--only", "V1,U1,G3,E1", "--threads", "2"]], product: .stdout,
             sha256: "60ca046a4553f66da5e220a58513ff2b18ebcf353e690a8a775467b51dc88d82"),
        // and the statistics it writes (the same run; verify on the experiment engine).
        Case(name: "verify-results", steps: [["verify", "--only", "V1,U1,G3,E1", "--threads", "2"]], product: .file("results/verify/results.csv"),
             sha256: "e6ae11064e15120c3212cbfa6f45adb7a56691278c5301df883b0950feb05835"),
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
