import Autodiff
import Randomness
import XCTest

/// Every differentiable op against central finite differences.
///
/// For an op `y = f(x₁, …)` we test the vector–Jacobian product with a fixed random cotangent
/// `r`: the scalar `L = Σ r ⊙ y` (summed in Double) has `∂L/∂x = backward(y, seed: r)`, and
/// each checked entry is compared with `(L(x + h) − L(x − h))/(2h)`.
///
/// **Tolerance.** The forward pass runs in Float32 (unit roundoff `u = 2⁻²⁴ ≈ 6e-8`). With
/// `h = 1e-2` and inputs of order 1, the difference quotient has truncation error
/// `h²/6·|L'''| ≈ 2e-5·|L'''|` and rounding error about `u·k·Σ|r y|/h` (k = the longest
/// accumulation, ≤ 64 here), which for these sizes (`Σ|r y| ≲ 50`) is ≲ 2e-3. So we require
/// `|FD − AD| ≤ 5e-3·max(1, |AD|_∞)` — two orders of magnitude below the error of a wrong
/// gradient (a dropped term or factor typically moves entries by O(|AD|)); the negative
/// control below checks that a 3 % error in one entry of a tensor is flagged.
/// Non-smooth points (ReLU at 0, the causal mask) are kept farther than `h` away.
final class GradientCheckTests: XCTestCase {
    static let h: Float = 1e-2
    static let tolerance = 5e-3

    struct Mismatch: CustomStringConvertible {
        var input: Int, index: Int, ad: Double, fd: Double
        var description: String { "input \(input)[\(index)]: autodiff \(ad), finite difference \(fd)" }
    }

    /// Random parameters of the given shapes, `N(0, scale²)`.
    func parameters(_ shapes: [(Int, Int)], seed: UInt64, scale: Double = 1) -> [Tensor] {
        var rng = Xoshiro256StarStar(seed: seed)
        return shapes.map { r, c in
            Tensor.parameter(rows: r, cols: c, value: Normal.array(count: r * c, scale: scale, using: &rng).map(Float.init))
        }
    }

    /// The autodiff gradients and the finite differences for (at most `perInput`) entries of
    /// each input; returns the entries that disagree.
    func gradientMismatches(
        _ inputs: [Tensor], perInput: Int = 60, seed: UInt64 = 99,
        corrupt: ((inout [[Float]]) -> Void)? = nil,
        _ f: (Tape, [Tensor]) -> Tensor
    ) -> (mismatches: [Mismatch], checked: Int) {
        let tape = Tape()
        let y = f(tape, inputs)
        var rng = Xoshiro256StarStar(seed: seed)
        let r = Normal.array(count: y.count, using: &rng).map(Float.init)
        for x in inputs { x.zeroGrad() }
        tape.backward(y, seed: r)
        var ad = inputs.map(\.grad)
        corrupt?(&ad)
        func loss() -> Double {
            let out = f(Tape(recording: false), inputs)
            var s = 0.0
            for i in 0..<out.count { s += Double(r[i]) * Double(out.value[i]) }
            return s
        }
        let scale = max(1, ad.flatMap { $0 }.map { abs(Double($0)) }.max() ?? 0)
        var bad: [Mismatch] = [], checked = 0
        for (k, x) in inputs.enumerated() {
            let stride = max(1, x.count / perInput)
            for i in Swift.stride(from: 0, to: x.count, by: stride) {
                let saved = x.value[i]
                x.value[i] = saved + Self.h
                let plus = loss()
                x.value[i] = saved - Self.h
                let minus = loss()
                x.value[i] = saved
                let fd = (plus - minus) / (2 * Double(Self.h))
                checked += 1
                if abs(fd - Double(ad[k][i])) > Self.tolerance * scale {
                    bad.append(Mismatch(input: k, index: i, ad: Double(ad[k][i]), fd: fd))
                }
            }
        }
        return (bad, checked)
    }

    func check(
        _ name: String, _ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
        _ f: (Tape, [Tensor]) -> Tensor
    ) {
        let (bad, checked) = gradientMismatches(inputs, f)
        XCTAssertGreaterThan(checked, 0, name, file: file, line: line)
        XCTAssertTrue(
            bad.isEmpty, "\(name): \(bad.count) of \(checked) entries disagree, e.g. \(bad.prefix(3))",
            file: file, line: line)
    }

    // MARK: Ops

    func testMatmul() {
        check("matmul", parameters([(5, 7), (7, 4)], seed: 1)) { t, x in t.matmul(x[0], x[1]) }
    }

    func testAddBiasAndLinear() {
        check("addBias", parameters([(6, 5), (1, 5)], seed: 2)) { t, x in t.addBias(x[0], x[1]) }
        check("linear", parameters([(6, 5), (5, 3), (1, 3)], seed: 3)) { t, x in t.linear(x[0], x[1], x[2]) }
    }

    func testElementwise() {
        check("add", parameters([(4, 6), (4, 6)], seed: 4)) { t, x in t.add(x[0], x[1]) }
        check("mul", parameters([(4, 6), (4, 6)], seed: 5)) { t, x in t.mul(x[0], x[1]) }
        check("scale", parameters([(4, 6)], seed: 6)) { t, x in t.scale(x[0], -1.7) }
        check("exp", parameters([(4, 6)], seed: 7)) { t, x in t.exp(x[0]) }
        check("tanh", parameters([(4, 6)], seed: 8)) { t, x in t.tanh(x[0]) }
        check("sigmoid", parameters([(4, 6)], seed: 9, scale: 2)) { t, x in t.sigmoid(x[0]) }
        check("gelu", parameters([(4, 6)], seed: 10, scale: 2)) { t, x in t.gelu(x[0]) }
        check("silu", parameters([(4, 6)], seed: 11, scale: 2)) { t, x in t.silu(x[0]) }
    }

    func testReLUAwayFromTheKink() {
        let x = parameters([(5, 8)], seed: 12)
        // Move every entry at least 5h from 0, where ReLU is differentiable.
        for i in x[0].value.indices where abs(x[0].value[i]) < 5 * Self.h {
            x[0].value[i] = x[0].value[i] < 0 ? -0.3 : 0.3
        }
        check("relu", x) { t, x in t.relu(x[0]) }
    }

    func testLayerNorm() {
        let x = parameters([(5, 9), (1, 9), (1, 9)], seed: 13)
        check("layerNorm", x) { t, x in t.layerNorm(x[0], x[1], x[2]) }
    }

    func testEmbeddingWithRepeatedIndices() {
        check("embedding", parameters([(6, 4)], seed: 14)) { t, x in t.embedding(x[0], [3, 0, 3, 5, 1, 3]) }
    }

    func testSoftmaxCrossEntropy() {
        check("softmaxCrossEntropy", parameters([(7, 5)], seed: 15, scale: 2)) { t, x in
            t.softmaxCrossEntropy(x[0], targets: [0, 4, 2, 2, 1, 3, 4])
        }
    }

    func testMSE() {
        check("mse", parameters([(4, 5), (4, 5)], seed: 16)) { t, x in t.mse(x[0], x[1]) }
    }

    func testGaussianKL() {
        check("gaussianKL", parameters([(4, 3), (4, 3)], seed: 17)) { t, x in t.gaussianKL(mean: x[0], logVariance: x[1]) }
    }

    func testCausalSelfAttention() {
        // 2 sequences of length 5, 2 heads of width 3 (D = 6, qkv is 10 × 18).
        check("causalSelfAttention", parameters([(10, 18)], seed: 18)) { t, x in
            t.causalSelfAttention(x[0], sequences: 2, length: 5, heads: 2)
        }
    }

    /// The attention output at position t must not depend on positions after t.
    func testAttentionIsCausal() {
        let x = parameters([(6, 12)], seed: 19)[0]
        let before = Tape(recording: false).causalSelfAttention(x, sequences: 1, length: 6, heads: 2).value
        for j in 0..<12 { x.value[5 * 12 + j] += 3 }  // change the last position only
        let after = Tape(recording: false).causalSelfAttention(x, sequences: 1, length: 6, heads: 2).value
        XCTAssertEqual(Array(before[0..<(5 * 4)]), Array(after[0..<(5 * 4)]))
        XCTAssertNotEqual(Array(before[(5 * 4)...]), Array(after[(5 * 4)...]))
    }

    /// A small composite (two-layer MLP with layer norm and a VAE-style loss), so that
    /// accumulation through shared tensors and chained ops is checked as a whole.
    func testCompositeNetwork() {
        let x = parameters([(6, 5), (5, 8), (1, 8), (1, 8), (1, 8), (8, 4), (1, 4)], seed: 20, scale: 0.7)
        check("composite", x) { t, p in
            let h = t.gelu(t.layerNorm(t.linear(p[0], p[1], p[2]), p[3], p[4]))
            let out = t.linear(h, p[5], p[6])
            let recon = t.mse(t.sigmoid(out), t.constant([Float](repeating: 0.3, count: 24), rows: 6, cols: 4))
            return t.add(t.scale(recon, 3), t.gaussianKL(mean: out, logVariance: t.scale(out, 0.5)))
        }
    }

    /// Negative control: the comparison flags a gradient with a 3 % error in one entry.
    func testCheckDetectsAWrongGradient() {
        let x = parameters([(5, 7), (7, 4)], seed: 21)
        let (bad, _) = gradientMismatches(
            x, perInput: 1000,
            corrupt: { g in
                let i = g[0].indices.max { abs(g[0][$0]) < abs(g[0][$1]) }!
                g[0][i] *= 1.03
            },
            { t, x in t.matmul(x[0], x[1]) })
        XCTAssertEqual(bad.count, 1, "the corrupted entry must be the one flagged: \(bad)")
    }

    // MARK: Optimiser

    /// AdamW's first step moves every weight by lr·sign(g) (m̂/√v̂ = g/|g|) plus the decay.
    func testAdamWFirstStep() {
        var params = ParameterList()
        let w = params.add(Tensor.parameter(rows: 1, cols: 3, value: [1, -2, 0.5]), decay: true)
        let b = params.add(Tensor.parameter(rows: 1, cols: 1, value: [4]), decay: false)
        w.grad = [0.2, -3, 1e-3]
        b.grad = [-0.5]
        var opt = AdamW(parameters: params, learningRate: 0.1, weightDecay: 0.01)
        opt.update(params)
        let expected: [Float] = [1 - 0.1 * (1 + 0.01 * 1), -2 - 0.1 * (-1 + 0.01 * -2), 0.5 - 0.1 * (1 + 0.01 * 0.5)]
        for i in 0..<3 { XCTAssertEqual(w.value[i], expected[i], accuracy: 1e-5) }
        XCTAssertEqual(b.value[0], 4 + 0.1, accuracy: 1e-5)
        XCTAssertEqual(w.grad, [0, 0, 0], "update zeroes the gradients")
    }

    /// AdamW minimises a convex quadratic.
    func testAdamWConvergesOnAQuadratic() {
        var params = ParameterList()
        let w = params.add(Tensor.parameter(rows: 1, cols: 4, value: [3, -1, 2, 0]), decay: false)
        let target = Tensor(rows: 1, cols: 4, value: [0.5, 0.25, -1, 2])
        var opt = AdamW(parameters: params, learningRate: 0.05)
        for _ in 0..<600 {
            let t = Tape()
            t.backward(t.mse(w, target))
            opt.update(params)
        }
        for i in 0..<4 { XCTAssertEqual(w.value[i], target.value[i], accuracy: 1e-2) }
    }
}
