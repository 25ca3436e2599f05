import NeuralCollapse
import XCTest

/// `TorchAnchor` reads the printed output of ../shared/bench/torch_bench.py.
final class TorchAnchorTests: XCTestCase {
    /// The shape of `python3 torch_bench.py all` (numbers made up): header, CPU lines, GPU lines.
    static let fixture = """
        torch 2.11.0 cuda=True
        sgemm 512^3\tcpu\t1.740 ms\t154.3 GFLOP/s
        lm-small\tcpu\tNone\tcompile=False\t44.50 ms/step\t73.8 GFLOP/s\tparams=475392
        vae-small (784-256-32|16-256-784 as MLP)\tcpu\t2.770 ms/step\t57.4 GFLOP/s
        diffusion-small (40-256x3-24)\tcpu\t2.000 ms/step\t56.6 GFLOP/s
        lm-paper\tcpu\tNone\tcompile=False\t4840.00 ms/step\t61.2 GFLOP/s\tparams=8900000
        lm-small\tcuda\tNone\tcompile=False\t5.20 ms/step\t631.6 GFLOP/s\tparams=475392
        lm-paper\tcuda\ttorch.bfloat16\tcompile=True\t13.20 ms/step\t22431.4 GFLOP/s\tparams=8900000

        """

    func testFixtureIsParsed() throws {
        let a = try TorchAnchor.parse(Self.fixture)
        XCTAssertEqual(a.version, "torch 2.11.0 cuda=True")
        XCTAssertEqual(a.milliseconds, ["sgemm 512^3": 1.74, "lm-small": 44.5, "vae-small": 2.77, "diffusion-small": 2.0, "lm-paper": 4840])
    }

    func testBadAnchorsAreRefusedWithTheLine() {
        func refusal(_ text: String) -> String? {
            do { _ = try TorchAnchor.parse(text); return nil } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal(""), "no CPU measurement lines of torch_bench.py ('name<TAB>cpu<TAB>…<TAB>T ms')")
        XCTAssertNotNil(refusal("{\"lm-small\": 44.5}"))
        XCTAssertEqual(refusal("torch 2.11.0\nlm-small\tcpu\tNone\tfast"), "line 2: no '<number> ms' field in 'lm-small\tcpu\tNone\tfast'")
        XCTAssertEqual(refusal("lm-small\tcpu\t-3 ms/step"), "line 1: time -3.0 ms is not positive")
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try TorchAnchor.load(path: "/nonexistent/anchor.txt")) { error in
            XCTAssertEqual("\(error)", "no such file")
        }
    }
}
