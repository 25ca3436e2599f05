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
///
/// Results that go through OpenBLAS's kernels differ in their last bits between its kernel
/// families and versions (the manifest's `blas` records which ran), so those cases are pinned per
/// kernel (`Pin`); the others are the same on every machine.
final class GoldenOutputTests: CLITestCase {
    /// What a case hashes: a file the last step wrote (relative to the working directory), or
    /// the last step's standard output with any trailing `; 1.23 s` wall time removed.
    enum Product {
        case file(String)
        case stdout
    }

    /// The SHA-256 a case's bytes must have.
    ///
    /// `anyKernel`: the same on every machine. `perKernel`: keyed by the OpenBLAS kernel family and
    /// version that ran (`"Zen 0.3.21"`, from the manifest's `blas`). Measured with the same code
    /// (e620c09) on the kernels Debian 12's OpenBLAS picked on this project's machines (both sold
    /// as AMD EPYC), Cooperlake and Zen, and with `OPENBLAS_CORETYPE` forcing Haswell, Sandybridge and
    /// Prescott on the Zen machine: exactly the cases marked `perKernel` differed, Zen and Haswell
    /// gave the same bytes, every other case the same bytes on all five. (The fresh design at
    /// d ≤ 12 has since run without BLAS, `SmallProducts`: the same bytes under all 14 kernels
    /// `OPENBLAS_CORETYPE` selected on the Zen machine; and the literal chain at d ≤ 12, so the
    /// sweep's cells, d = 2 and 4, are pinned for every kernel, while simulate-literal keeps a
    /// T < d cell on LAPACK's SVD; and `SymmetricEigen` and the Gram matrices of `ExactPropagation`
    /// up to 12 rows, which moved verify-results and generative-gaussian and made theory-exact the
    /// same under every kernel. Cooperlake's pins of the cases that changed then are gone until a
    /// Cooperlake machine measures them; there the reference kernel checks them.) Every `perKernel` case has a pin for
    /// `referenceKernel` (Haswell); on a kernel without a pin these cases run again under it, where
    /// the CPU has AVX2 and FMA, and are checked there, else they print their hash and are not
    /// checked (`COLLAPSE_GOLDEN_PRINT=1` prints all, to pin a kernel: run it on that machine, or
    /// with `OPENBLAS_CORETYPE` where the CPU allows).
    enum Pin {
        case anyKernel(String)
        case perKernel([String: String])

        func sha256(kernel: String) -> String? {
            switch self {
            case .anyKernel(let hash): return hash
            case .perKernel(let hashes): return hashes[kernel]
            }
        }
    }

    struct Case {
        var name: String
        var steps: [[String]]
        var product: Product
        var pin: Pin
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
        [
            "simulate", "--noise-variance", "1", "--generations", "4", "--repeats", "50", "--seed", "7", "--threads", "2",
            "--output", output
        ] + extra
    }

    static func generative(_ model: String) -> [String] {
        [
            "generative", "--model", model, "--samples", "30", "--generations", "3", "--repeats", "4", "--seed", "3",
            "--threads", "2", "--regimes", allRegimes, "--output", "gen-\(model)"
        ]
    }

    static func neural(_ model: String) -> [String] {
        [
            "neural", model, "--preset", "smoke", "--generations", "2", "--seed", "3", "--threads", "2",
            "--regimes", "replace,accumulate,accumulate-subsample", "--output", "nn-\(model)"
        ]
    }

    static let sweepSteps: [[String]] = [["sweep", "--config", "golden.toml", "--output", "sw", "--threads", "2", "--quiet"]]
    static let literalSteps = [simulate(["--dimension", "3,6", "--samples", "5,20", "--regimes", allRegimes], output: "sim")]
    static let generativeKDE = [generative("kde")]

    static let cases: [Case] = [
        // theory: every closed-form model on stdout, as built (--format wide; these hashes predate
        // the long format, so they pin the values) and in the long results format (--format csv).
        Case(
            name: "theory-linear", steps: [["theory", "--model", "linear", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("340adec750aa000e6a9c63302b786714b3ac7a1ea52aa020616e7dde68cb542c")),
        Case(
            name: "theory-exact", steps: [["theory", "--model", "exact", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("2bebbb2e4ee50cfbfdcde2bc56e12d2e905845a882dda70301034b96380636c9")),
        Case(
            name: "theory-fresh-design", steps: [["theory", "--model", "fresh-design", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("365a59f2ecba8fb7ce6eae4aa1204f05abd48eaf0c310dc168865d6724450118")),
        Case(
            name: "theory-ridge", steps: [["theory", "--model", "ridge", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("e7d3ecd8ef1f10aaeacc988c5c944b1d9445532926dcc2ec5497b4eb0fd079ac")),
        Case(
            name: "theory-poisson", steps: [["theory", "--model", "poisson", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("efc03c73037f9dc63f3f8c4d8bb6f33f30b0037fae2607dc317baacdc8db8797")),
        Case(
            name: "theory-gaussian-mean", steps: [["theory", "--model", "gaussian-mean", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("e337afdce9a0dcc011642a79eddbd89a8da43f3b08e3ba14b8b7e45ea96e6c22")),
        Case(
            name: "theory-gaussian-refit", steps: [["theory", "--model", "gaussian-refit", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("47b26d12dc46eed432f8673b506d14660c14fc24e016bac15048942898dcbe98")),
        Case(
            name: "theory-gaussian-refit-d", steps: [["theory", "--model", "gaussian-refit-d", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("5ac0e63e8d3d72bb2df782d902b9d53ce946e64b81104a3b0bdf30cb778c4b39")),
        Case(
            name: "theory-categorical", steps: [["theory", "--model", "categorical", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("bfb51bc0fc9e2583b84ec3a767765f9f6cafd4b2e865a0619f6941336a28b8cf")),
        Case(
            name: "theory-mixing", steps: [["theory", "--model", "mixing", "--format", "wide"]], product: .stdout,
            pin: .anyKernel("bb595c67ffeb990c9e0c93f6357431532e36061e8d968e39d6c2a94daa1f6132")),
        Case(
            name: "theory-linear-long", steps: [["theory", "--model", "linear", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("a293397ccd28f6472f2bab778dd6b04ed8d0f9a9bd58164e033055649efe133b")),
        Case(
            name: "theory-exact-long", steps: [["theory", "--model", "exact", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("e5d49afc1e20d40d07c9b0b51cc29160ca81f7e7ca955f3ad1745b539f3bddf4")),
        Case(
            name: "theory-fresh-design-long", steps: [["theory", "--model", "fresh-design", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("c0b2fbc17a9416424baf9ac87a2e50ac70c7eb3be9ac7a87d86f26ea66466925")),
        Case(
            name: "theory-ridge-long", steps: [["theory", "--model", "ridge", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("c8c4eea326246ee4efc6249500c70bd6febe1f7656d2b4750e2e78960cdb37c9")),
        Case(
            name: "theory-poisson-long", steps: [["theory", "--model", "poisson", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("e868f9adfe72ecf641abba519de65279f3ecd0df78e118ec0729b00253185938")),
        Case(
            name: "theory-gaussian-mean-long", steps: [["theory", "--model", "gaussian-mean", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("be7922242b2201bf56a1e700523607b198d48dfff129ddbbc4be391373041dd2")),
        Case(
            name: "theory-gaussian-refit-long", steps: [["theory", "--model", "gaussian-refit", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("635f89c0e95a19a77fba233ef0168618b256171a50fc964683dea68b3af1a4b3")),
        Case(
            name: "theory-gaussian-refit-d-long", steps: [["theory", "--model", "gaussian-refit-d", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("3cc3127eb55a457ca61213a33b1a9c8617e155797553d503a0cf01fbbe05cd40")),
        Case(
            name: "theory-categorical-long", steps: [["theory", "--model", "categorical", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("ec5b0e24261936c8abb44a29fe52ef8831b2184c7e74ca1571049ae9f0fbe36b")),
        Case(
            name: "theory-mixing-long", steps: [["theory", "--model", "mixing", "--format", "csv"]], product: .stdout,
            pin: .anyKernel("c645bf3d41a2223a3d2d6db6adb62beef8499237b088b1b35c5af67c036367c8")),
        // simulate: the literal engine over every regime (T < d, T < d + 2 and T ≥ d + 2 cells),
        // the sufficient engine, the fresh design.
        Case(
            name: "simulate-literal", steps: literalSteps, product: .file("sim/results.csv"),
            pin: .perKernel([
                "Zen 0.3.21": "c1b7e178cf9fe55aadb0c133ffe1af126d3d0fda34a9f9e45402e87c7bcd5f20",
                "Haswell 0.3.21": "c1b7e178cf9fe55aadb0c133ffe1af126d3d0fda34a9f9e45402e87c7bcd5f20"
            ])),
        Case(
            name: "simulate-sufficient",
            steps: [simulate(["--dimension", "3", "--samples", "20", "--engine", "sufficient"], output: "suf")],
            product: .file("suf/results.csv"),
            pin: .anyKernel("72a003fecbcee21342a9e32bd9ecbaf834e4955c23c79983afaf1ee80fad5543")),
        Case(
            name: "simulate-fresh-design",
            steps: [simulate(["--dimension", "3", "--samples", "20", "--design", "fresh"], output: "fresh")],
            product: .file("fresh/results.csv"),
            pin: .anyKernel("489d4c92edaeafbba43683be219b4c780ce4efe21b5c32d2b8e827227219a30d")),
        Case(
            name: "reproduce", steps: [["reproduce", "--repeats", "20", "--seed", "5", "--threads", "2", "--output", "rep"]],
            product: .file("rep/results.csv"),
            pin: .perKernel([
                "Cooperlake 0.3.21": "6613d475e704f7911520011ac1d0ec9ee2da2af4e67407149f78daeed588e269",
                "Zen 0.3.21": "ed0ed98661b98e22c981c4e0f052b1b06771896ae1c85793b5f207c5599b6444",
                "Haswell 0.3.21": "ed0ed98661b98e22c981c4e0f052b1b06771896ae1c85793b5f207c5599b6444"
            ])),
        // sweep, and the same sweep in two shards merged: the same bytes.
        Case(
            name: "sweep", steps: sweepSteps, product: .file("sw/results.csv"),
            pin: .anyKernel("29b0faab03f4a5fcdb52d8a8a9b7ea9b4ea1e5d448cd2ca64e742b3f4ae8f763")),
        Case(
            name: "sweep-figure", steps: sweepSteps, product: .file("sw/figure.svg"),
            pin: .anyKernel("036c3db16e45bf4d4393e8deb6cc8dcddd55a9a016cec25128cf0446a2d6fd7c")),
        Case(
            name: "sweep-shards-merged",
            steps: [
                ["sweep", "--config", "golden.toml", "--output", "s0", "--shard", "0/2", "--threads", "2", "--quiet"],
                ["sweep", "--config", "golden.toml", "--output", "s1", "--shard", "1/2", "--threads", "2", "--quiet"],
                ["merge", "s0", "s1", "--output", "merged"]
            ],
            product: .file("merged/results.csv"),
            pin: .anyKernel("29b0faab03f4a5fcdb52d8a8a9b7ea9b4ea1e5d448cd2ca64e742b3f4ae8f763")),
        // generative: all six classic models under every regime.
        Case(
            name: "generative-gaussian", steps: [generative("gaussian")], product: .file("gen-gaussian/results.csv"),
            pin: .anyKernel("c1f1ac7d1123217e8aa57456bb62aa1a326c614283b6f8ddee9b1a8802210d59")),
        Case(
            name: "generative-kde", steps: generativeKDE, product: .file("gen-kde/results.csv"),
            pin: .anyKernel("e6338d5d893f6dd776bc860349521dc9dd909cbc9f692021527313c2769bd48e")),
        Case(
            name: "generative-gmm", steps: [generative("gmm")], product: .file("gen-gmm/results.csv"),
            pin: .anyKernel("ed006f3090d26c7590a43cc93af04c49f05015364f3142daffd70c05120601db")),
        Case(
            name: "generative-categorical", steps: [generative("categorical")], product: .file("gen-categorical/results.csv"),
            pin: .anyKernel("4522ce77c574ac565c370eb9fec4fd57ba517a5b1701fe7e086f0608e298439f")),
        Case(
            name: "generative-poisson", steps: [generative("poisson")], product: .file("gen-poisson/results.csv"),
            pin: .anyKernel("b325a4f47f14ed0fe3344f1de3f495d546b08832e94be02b06145e642709fdf1")),
        Case(
            name: "generative-ngram", steps: [generative("ngram")], product: .file("gen-ngram/results.csv"),
            pin: .anyKernel("bddd1397921354aa679819c0efd0a9424ae5604237e0df90fdcb0761e00c9416")),
        // neural: the three models at the smoke preset.
        Case(
            name: "neural-lm", steps: [neural("lm")], product: .file("nn-lm/results.csv"),
            pin: .perKernel([
                "Cooperlake 0.3.21": "fe303f3edd66a18256776d5587e84366792ff03dc8784581939a43111b591763",
                "Zen 0.3.21": "c0c3b6d1bccda02c0990d97717dfd1d445b5e70a37aa938b174cc83571863b58",
                "Haswell 0.3.21": "c0c3b6d1bccda02c0990d97717dfd1d445b5e70a37aa938b174cc83571863b58"
            ])),
        Case(
            name: "neural-vae", steps: [neural("vae")], product: .file("nn-vae/results.csv"),
            pin: .perKernel([
                "Cooperlake 0.3.21": "2de1786e1bb1d1d44a4e67a2f663766bcaf44fcfb20ceae3767c01cf5ae6f376",
                "Zen 0.3.21": "36766197ededcb1d618748cd17b1e96b0390d08dc743b4cfbcdb09bd408f94f3",
                "Haswell 0.3.21": "36766197ededcb1d618748cd17b1e96b0390d08dc743b4cfbcdb09bd408f94f3"
            ])),
        Case(
            name: "neural-diffusion", steps: [neural("diffusion")], product: .file("nn-diffusion/results.csv"),
            pin: .perKernel([
                "Cooperlake 0.3.21": "9c2731fb0406a7350b0e446c3be889aae591d0969fdbc51ed02dfb42448cc335",
                "Zen 0.3.21": "e5c30e01a4dc7c50dba154352efb4023589d85aedb2178fc8f50a50dd39b0623",
                "Haswell 0.3.21": "e5c30e01a4dc7c50dba154352efb4023589d85aedb2178fc8f50a50dd39b0623"
            ])),
        Case(
            name: "neural-lm-figure", steps: [neural("lm")], product: .file("nn-lm/figure.svg"),
            pin: .anyKernel("bbc129287f95421aecd6fff848c81ec2a192c06f320ee37b0e12cf8a9035eebc")),
        // plot: a linear results file (grid view) and a generative one (metrics view).
        Case(
            name: "plot-linear", steps: literalSteps + [["plot", "sim/results.csv", "--output", "sim.svg"]],
            product: .file("sim.svg"),
            pin: .anyKernel("7c7fc4f3e844884008f4cbd3a3cc55f6565adc20d4a0910ac5522893ef3d947b")),
        Case(
            name: "plot-generative", steps: generativeKDE + [["plot", "gen-kde/results.csv", "--output", "kde.svg"]],
            product: .file("kde.svg"),
            pin: .anyKernel("d0eab8bb9f00e6441f37893f05a42f0ebef01988db5b00d72978a5b560bd5dd7")),
        // verify: a few checks of each battery, the printed table.
        Case(
            name: "verify", steps: [["verify", "--only", "V1,U1,G3,E1", "--threads", "2"]], product: .stdout,
            pin: .anyKernel("60ca046a4553f66da5e220a58513ff2b18ebcf353e690a8a775467b51dc88d82")),
        // and the statistics it writes (the same run; verify on the experiment engine).
        Case(
            name: "verify-results", steps: [["verify", "--only", "V1,U1,G3,E1", "--threads", "2"]], product: .file("results/verify/results.csv"),
            pin: .perKernel([
                "Zen 0.3.21": "7baebd1dafab4a3e10bc931778aa21dc67d9456c10f03e373700d927cfc1ca99",
                "Haswell 0.3.21": "7baebd1dafab4a3e10bc931778aa21dc67d9456c10f03e373700d927cfc1ca99"
            ]))
    ]

    func testSHA256TestVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A message longer than one 64-byte block, ending across the length field's boundary.
        XCTAssertEqual(
            SHA256.hex(Data(repeating: 0x61, count: 1000)),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    func testGoldenOutputs() throws {
        let printing = ProcessInfo.processInfo.environment["COLLAPSE_GOLDEN_PRINT"] == "1"
        let kernel = try blasKernel(in: work)
        if printing { print("GOLDEN kernel \(kernel)") }
        let hashes = try hashes(of: Self.cases, in: work)
        var unpinned: [Case] = []
        for c in Self.cases {
            let hash = hashes[c.name]!
            if printing { print("GOLDEN \(c.name) \(hash)") }
            guard let pinned = c.pin.sha256(kernel: kernel) else {
                unpinned.append(c)
                continue
            }
            assertPinned(c.name, hash, pinned)
        }
        // On every kernel, pinned or not: a sweep run in two shards and merged is the sweep.
        XCTAssertEqual(hashes["sweep-shards-merged"], hashes["sweep"], "the merged shards differ from the unsharded sweep")
        try checkUnderReferenceKernel(unpinned, nativeKernel: kernel, nativeHashes: hashes)
    }

    /// The kernel that every kernel-dependent case is pinned for (with OpenBLAS 0.3.21, Debian
    /// 12's), and that runs on any x86-64 CPU with AVX2 and FMA: where this machine's own kernel
    /// has no pin (another CPU family), those cases run again with `OPENBLAS_CORETYPE` forcing it,
    /// so they are checked on such machines too instead of only printed. With another OpenBLAS
    /// version Haswell has no pin either, and they are printed.
    static let referenceKernel = "Haswell"

    /// Runs `cases` again under `referenceKernel` (in a directory of their own) and checks them
    /// against its pins, if this CPU can run it; otherwise says they were not checked.
    func checkUnderReferenceKernel(_ cases: [Case], nativeKernel: String, nativeHashes: [String: String]) throws {
        guard !cases.isEmpty else { return }
        let names = cases.map(\.name).joined(separator: ", ")
        guard Self.cpuRunsReferenceKernel() else {
            print("GOLDEN \(names): not pinned for OpenBLAS kernel \(nativeKernel) and this CPU lacks AVX2/FMA, not checked")
            return
        }
        let directory = work.appendingPathComponent("reference-kernel", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let environment = ["OPENBLAS_CORETYPE": Self.referenceKernel]
        let kernel = try blasKernel(in: directory, environment: environment)
        guard kernel.hasPrefix(Self.referenceKernel + " ") else {
            print("GOLDEN \(names): OPENBLAS_CORETYPE=\(Self.referenceKernel) ran kernel \(kernel), not checked")
            return
        }
        let hashes = try hashes(of: cases, in: directory, environment: environment)
        for c in cases {
            let hash = hashes[c.name]!
            print("GOLDEN \(c.name): not pinned for OpenBLAS kernel \(nativeKernel) (hash \(nativeHashes[c.name]!)); checked under \(kernel)")
            guard let pinned = c.pin.sha256(kernel: kernel) else {
                // Another OpenBLAS version: its Haswell kernels are not pinned either.
                print("GOLDEN \(c.name): not pinned for \(kernel) either, not checked; its hash there is \(hash)")
                continue
            }
            assertPinned(c.name + " (under " + kernel + ")", hash, pinned)
        }
    }

    func assertPinned(_ name: String, _ hash: String, _ pinned: String) {
        XCTAssertEqual(
            hash, pinned,
            """
            \(name): result bytes changed. If on purpose, update the hash in a commit that says why \
            (COLLAPSE_GOLDEN_PRINT=1 prints every hash).
            """)
    }

    /// Whether `/proc/cpuinfo` lists AVX2 and FMA, which OpenBLAS's Haswell kernels use.
    static func cpuRunsReferenceKernel() -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return set.contains("avx2") && set.contains("fma")
    }

    /// Runs every step of `cases` in `directory` (a step shared by several cases once) and hashes
    /// each case's product.
    func hashes(of cases: [Case], in directory: URL, environment: [String: String] = [:]) throws -> [String: String] {
        try Self.sweepConfig.write(to: directory.appendingPathComponent("golden.toml"), atomically: true, encoding: .utf8)
        var done: [String: CLIResult] = [:]
        var hashes: [String: String] = [:]
        for c in cases {
            var last: CLIResult?
            for step in c.steps {
                let key = step.joined(separator: "\u{1}")
                if let cached = done[key] { last = cached; continue }
                let r = try CLIHarness.run(step, in: directory, captureDirectory: root, environment: environment, timeout: 300)
                assertSuccess(r, "\(c.name): collapse \(step.joined(separator: " "))")
                done[key] = r
                last = r
            }
            let bytes: Data
            switch c.product {
            case .file(let path):
                bytes = (try? Data(contentsOf: directory.appendingPathComponent(path))) ?? Data()
                XCTAssertFalse(bytes.isEmpty, "\(c.name): \(path) missing or empty")
            case .stdout:
                bytes = Data(Self.withoutWallTime(last?.stdout ?? "").utf8)
            }
            hashes[c.name] = SHA256.hex(bytes)
        }
        return hashes
    }

    /// The OpenBLAS kernel family and version this machine runs (`"Zen 0.3.21"`), from the manifest
    /// of a tiny run: its `blas` reads `OpenBLAS <kernel> (OpenBLAS <version> <build options>; …)`.
    /// A `blas` of another form names no pinned kernel (the cases pinned for every kernel are
    /// still checked).
    func blasKernel(in directory: URL, environment: [String: String] = [:]) throws -> String {
        let r = try CLIHarness.run(
            ["simulate", "--dimension", "2", "--samples", "4", "--generations", "1", "--repeats", "2", "--output", "blas-probe"],
            in: directory, captureDirectory: root, environment: environment)
        assertSuccess(r, "the run that names the BLAS kernel")
        let data = try Data(contentsOf: directory.appendingPathComponent("blas-probe/manifest.json"))
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let blas = try XCTUnwrap(manifest["blas"] as? String, "manifest.json has no blas")
        guard let kernel = Self.kernelAndVersion(blas) else { return "of unknown kernel (\(blas))" }
        return kernel
    }

    /// `"Zen 0.3.21"` from `OpenBLAS Zen (OpenBLAS 0.3.21 NO_LAPACKE …; pthreads build; …)`.
    static func kernelAndVersion(_ blas: String) -> String? {
        let words = blas.split(separator: " ")
        guard words.count >= 4, words[0] == "OpenBLAS", words[2] == "(OpenBLAS" else { return nil }
        return "\(words[1]) \(words[3].trimmingCharacters(in: CharacterSet(charactersIn: ";)")))"
    }

    func testKernelAndVersionFromTheManifest() {
        XCTAssertEqual(
            Self.kernelAndVersion(
                "OpenBLAS Zen (OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64; pthreads build; /usr/lib/libopenblas.so.0)"),
            "Zen 0.3.21")
        XCTAssertEqual(Self.kernelAndVersion("OpenBLAS Haswell (OpenBLAS 0.3.29; sequential build, calls serialised)"), "Haswell 0.3.29")
        XCTAssertNil(Self.kernelAndVersion("OpenBLAS unknown ()"))
    }

    /// Removes the wall-time field `; 0.6 s` that verify prints at the end of its summary line.
    static func withoutWallTime(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let r = line.range(of: #"; [0-9.]+ s$"#, options: .regularExpression) else { return String(line) }
            return String(line[..<r.lowerBound])
        }.joined(separator: "\n")
    }
}
