import NeuralCollapse
import XCTest

/// `TorchAnchor` reads the printed output of scripts/torch-anchor.py and of the earlier external
/// torch_bench.py.
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

    /// The shape of `scripts/torch-anchor.py --preset small` (numbers made up): the GFLOP field
    /// after the time is not taken for it.
    static let scriptOutput = """
        torch 2.13.0+cpu device=cpu threads=1 preset=small runs=10 attention=math (scripts/torch-anchor.py)
        sgemm 512^3\tcpu\t2.630 ms\t0.2684 GFLOP\t102.06 GFLOP/s\tmedian of 10 products
        lm-small (T=96 D=128 H=4 L=2 B=12, 474880 parameters, attention math)\tcpu\t51.400 ms/step\t3.2841 GFLOP/step\t63.89 GFLOP/s\tmedian of 10 steps
        vae-small (784-256-(16,16)-256-784, B=64)\tcpu\t2.760 ms/step\t0.1589 GFLOP/step\t57.56 GFLOP/s\tmedian of 3 fits of 10 steps
        diffusion-small (24+16-256x3-24, K=100, B=128)\tcpu\t1.980 ms/step\t0.1132 GFLOP/step\t57.20 GFLOP/s\tmedian of 3 fits of 10 steps

        """

    func testScriptOutputIsParsedUnderTheBenchKeys() throws {
        let a = try TorchAnchor.parse(Self.scriptOutput)
        XCTAssertEqual(a.version, "torch 2.13.0+cpu device=cpu threads=1 preset=small runs=10 attention=math (scripts/torch-anchor.py)")
        XCTAssertEqual(a.milliseconds, ["sgemm 512^3": 2.63, "lm-small": 51.4, "vae-small": 2.76, "diffusion-small": 1.98])
        // `--device cuda` prints the same lines with `cuda`: nothing for the CPU bench.
        let cuda = Self.scriptOutput.replacingOccurrences(of: "\tcpu\t", with: "\tcuda\t")
        XCTAssertThrowsError(try TorchAnchor.parse(cuda))
    }

    func testBadAnchorsAreRefusedWithTheLine() {
        func refusal(_ text: String) -> String? {
            do { _ = try TorchAnchor.parse(text); return nil } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal(""), "no CPU measurement lines ('name<TAB>cpu<TAB>…<TAB>T ms', as scripts/torch-anchor.py prints)")
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
