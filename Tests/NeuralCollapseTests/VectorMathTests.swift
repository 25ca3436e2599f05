import Autodiff
import Foundation
import XCTest

/// The vector kernels against Double references, in ulps of the Float result.
///
/// **Tolerances.** `VectorMath.exp` is Cephes' expf scheme (Cody–Waite reduction, degree-5
/// minimax), whose error bound is about 1 ulp; measured here 0.98 ulp, so 1 ulp is asserted.
/// The kernels built on it add a few correctly rounded operations (≤ ½ ulp each):
///
/// - softmax: 4 ulp per entry (exp 1, the sum of the row's terms and the final multiply),
///   against a reference that starts from the same Float differences `z_j − max z` the kernel
///   forms: rounding those (`|z_j − max z|·2⁻²⁴` relative in `e^{z_j − max z}`) is the input's
///   conditioning, shared by any Float softmax, not the kernel's error;
/// - GELU `x·σ(2u)`: `4 + 3|u|` ulp relative to `max(|GELU(x)|, 2⁻²⁰)`: 4 for the exp, add,
///   divide and multiply, plus the conditioning of `e^{−2u}` on `u`, which is formed with three
///   roundings (relative error ≤ 1.5 ulp, amplified by `|2u|`);
/// - its derivative `s + 2x·s(1 − s)·u′`: `4 + |x|·u′(x)` ulp of 1, since where `s → 1` the
///   factor `1 − s` is known only to ½ ulp(1) (the tanh form's `1 − t²` has the same limit).
final class VectorMathTests: XCTestCase {
    static let expULPs = 1.0
    static let softmaxULPs = 4.0

    /// `|a − e|` in units of the last place of `e` rounded to Float.
    func ulps(_ a: Float, _ e: Double) -> Double {
        abs(Double(a) - e) / Double(Float(e).ulp)
    }

    func exp(_ xs: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                VectorMath.forEachChunk(xs.count) { i, c in
                    VectorMath.store(VectorMath.exp(VectorMath.load(x.baseAddress! + i, c)), o.baseAddress! + i, c)
                }
            }
        }
        return out
    }

    /// Every 64th Float of `[−87.3, 88.7]` (the range with normal results, 33 million
    /// arguments, all binades near 0 included).
    func testExpIsWithinOneULP() {
        var worst = 0.0, worstX: Float = 0
        var batch: [Float] = []
        batch.reserveCapacity(4096)
        func flush() {
            for (xi, yi) in zip(batch, exp(batch)) {
                let u = ulps(yi, Foundation.exp(Double(xi)))
                if u > worst { worst = u; worstX = xi }
            }
            batch.removeAll(keepingCapacity: true)
        }
        for (sign, limit) in [(Float(-1), Float(87.3)), (1, 88.7)] {
            for bits in stride(from: Float.leastNormalMagnitude.bitPattern, through: limit.bitPattern, by: 64) {
                batch.append(sign * Float(bitPattern: bits))
                if batch.count == 4096 { flush() }
            }
        }
        flush()
        XCTAssertLessThanOrEqual(worst, Self.expULPs, "largest error \(worst) ulp at x = \(worstX)")
    }

    func testExpSpecialValues() {
        let xs: [Float] = [0, -0.0, 1, -.infinity, .infinity, 88.73, 89, 1000, -104.5, -1000, .nan]
        let y = exp(xs)
        XCTAssertEqual(y[0], 1)
        XCTAssertEqual(y[1], 1)
        XCTAssertEqual(ulps(y[2], M_E), 0, accuracy: Self.expULPs)
        XCTAssertEqual(y[3], 0)
        for i in 4...7 { XCTAssertEqual(y[i], .infinity, "exp(\(xs[i]))") }
        XCTAssertEqual(y[8], 0)
        XCTAssertEqual(y[9], 0)
        XCTAssertTrue(y[10].isNaN)
    }

    /// Each element's result depends only on its own input, not on its place in the buffer
    /// (the padded last vector goes through the same code).
    func testResultsDoNotDependOnPosition() {
        let xs: [Float] = (0..<13).map { Float($0) * 0.37 - 2 }
        let whole = exp(xs)
        for i in xs.indices { XCTAssertEqual(exp([xs[i]])[0].bitPattern, whole[i].bitPattern) }
    }

    func testSoftmaxAgainstDouble() {
        for n in [1, 7, 8, 13, 96, 256] {
            let z: [Float] = (0..<n).map { Float(sin(Double($0) * 1.7) * 6) }
            var p = [Float](repeating: 0, count: n)
            let lse = z.withUnsafeBufferPointer { pz in
                p.withUnsafeMutableBufferPointer { pp in
                    VectorMath.softmax(pz.baseAddress!, count: n, into: pp.baseAddress!)
                }
            }
            let mf = z.max()!, m = Double(mf)
            let s = z.reduce(0.0) { $0 + Foundation.exp(Double($1 - mf)) }
            for j in 0..<n {
                let e = Foundation.exp(Double(z[j] - mf)) / s
                XCTAssertLessThanOrEqual(ulps(p[j], e), Self.softmaxULPs, "n = \(n), entry \(j)")
            }
            XCTAssertLessThanOrEqual(ulps(lse, m + Foundation.log(s)), Self.softmaxULPs, "log-sum-exp, n = \(n)")
        }
    }

    /// `x·σ(2u)` against the tanh form `½x(1 + tanh u)` in Double, and its derivative against
    /// the tanh-form derivative.
    func testGELUMatchesTheTanhForm() {
        let xs: [Float] = (0..<4001).map { Float($0 - 2000) * 0.005 }
        var y = [Float](repeating: 0, count: xs.count), gate = y
        xs.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                gate.withUnsafeMutableBufferPointer { pg in
                    VectorMath.gelu(px.baseAddress!, count: xs.count, into: py.baseAddress!, gate: pg.baseAddress!)
                }
            }
        }
        let c = (2 / Double.pi).squareRoot()
        var worst = 0.0, worstD = 0.0  // largest error / its bound
        for (i, x) in xs.enumerated() {
            let xd = Double(x), u = c * (xd + 0.044715 * xd * xd * xd), t = Foundation.tanh(u)
            let du = c * (1 + 3 * 0.044715 * xd * xd)
            let ref = 0.5 * xd * (1 + t)
            let err = abs(Double(y[i]) - ref) / Double(max(Float(abs(ref)), 0x1p-20).ulp)
            worst = max(worst, err / (4 + 3 * abs(u)))
            let dref = 0.5 * (1 + t) + 0.5 * xd * (1 - t * t) * du
            let d = VectorMath.geluDerivative(VectorMath.Vector(repeating: x), gate: VectorMath.Vector(repeating: gate[i]))[0]
            worstD = max(worstD, abs(Double(d) - dref) / Double(Float(1).ulp) / (4 + abs(xd) * du))
        }
        XCTAssertLessThanOrEqual(worst, 1, "GELU: largest error / (4 + 3|u|) ulp")
        XCTAssertLessThanOrEqual(worstD, 1, "GELU derivative: largest error / (4 + |x|u′) ulp of 1")
    }
}
