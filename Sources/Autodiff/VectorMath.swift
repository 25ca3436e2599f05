import Foundation

/// Elementwise kernels on 8-lane vectors, shared by the tape's ops and the inference paths.
///
/// Every element of a buffer goes through the same vector code, the last partial vector
/// included (it is loaded padded and stored partially), so a result depends only on the
/// element's inputs and the buffer's length, never on where the element sits or on threads.
/// Reductions (`sum`, `maximum`) accumulate lane-wise in index order and add the 8 lanes in a
/// fixed order at the end.
public enum VectorMath {
    public typealias Vector = SIMD8<Float>
    public static let width = 8

    // MARK: Loads and stores

    /// `count` (≤ 8) floats from `p`, the other lanes set to `padding`.
    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>, _ count: Int, padding: Float = 0) -> Vector {
        if count >= width { return UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
        var v = Vector(repeating: padding)
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    /// Stores the first `count` (≤ 8) lanes of `v` at `p`.
    @inlinable @inline(__always)
    public static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= width { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self); return }
        for i in 0..<count { p[i] = v[i] }
    }

    /// Calls `body(offset, count)` for the chunks `0..<8, 8..<16, …` of `0..<n` (the last
    /// one may be shorter: `count = min(8, n − offset)`). The full chunks come from a loop of
    /// their own, where `count` is the constant 8, so an inlined `load`/`store` needs no test.
    @inlinable @inline(__always)
    public static func forEachChunk(_ n: Int, _ body: (_ offset: Int, _ count: Int) -> Void) {
        var i = 0
        while i + width <= n { body(i, width); i += width }
        if i < n { body(i, n - i) }
    }

    /// `m ? a : b` lane-wise for a mask `m` of all-one or all-zero lanes.
    @inlinable @inline(__always)
    static func select(_ m: SIMD8<Int32>, _ a: Vector, _ b: Vector) -> Vector {
        unsafeBitCast((unsafeBitCast(a, to: SIMD8<Int32>.self) & m) | (unsafeBitCast(b, to: SIMD8<Int32>.self) & ~m), to: Vector.self)
    }

    /// All ones in the lanes where `d` has its sign bit set (`d < 0`, or `−0`, or a NaN with
    /// the sign bit).
    @inlinable @inline(__always)
    static func signMask(_ d: Vector) -> SIMD8<Int32> { unsafeBitCast(d, to: SIMD8<Int32>.self) &>> 31 }

    /// `x` clamped to `[lower, upper]` lane-wise (±∞ included), by bit operations: `upper − x`
    /// is negative exactly when `x > upper` (rounding keeps signs), `x − lower` when `x < lower`.
    /// (`SIMD.replacing(with:where:)` and `pointwiseMin` compile to a branch or a call per lane
    /// here; this is measured 2× faster inside the GELU loop.)
    @inlinable @inline(__always)
    public static func clamp(_ x: Vector, lower: Float, upper: Float) -> Vector {
        let hi = Vector(repeating: upper), lo = Vector(repeating: lower)
        let h = select(signMask(hi - x), hi, x)
        return select(signMask(h - lo), lo, h)
    }

    /// `max(a, b)` lane-wise, for numbers (with `a = b = ±∞` either one; NaN lanes unspecified).
    @inlinable @inline(__always)
    public static func maximum(_ a: Vector, _ b: Vector) -> Vector { select(signMask(a - b), b, a) }

    // MARK: Exponential

    /// `eˣ` lane-wise, with a maximum error below 1 ulp for normal results.
    ///
    /// Cody–Waite reduction `x = k·ln 2 + r`, `k = round(x/ln 2)`, `|r| ≤ ln 2/2`, with
    /// `ln 2 = C₁ + C₂` (`C₁ = 0.693359375` has 9 bits, so `k·C₁` is exact for `|k| ≤ 150`);
    /// `eʳ ≈ 1 + r + r²·P(r)` with Cephes' degree-5 minimax `P` (expf.c); then
    /// `eˣ = eʳ·2^⌊k/2⌋·2^(k−⌊k/2⌋)` (two factors, so that `k = 128` overflows to `+∞` and
    /// `k ≤ −127` underflows gradually instead of wrapping the exponent field).
    /// `k` comes from adding `1.5·2²³` (round to nearest even), so no rounding instruction
    /// beyond SSE2 is needed.
    ///
    /// **Accuracy** (Tests/NeuralCollapseTests/VectorMathTests.swift): against `exp` in Double
    /// at every 64th Float in `[−87.3, 88.7]` (normal results) the largest error is 0.98 ulp;
    /// `x > 88.73` gives `+∞`, `x < −104` gives `0`, NaN gives NaN.
    @inlinable @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        let xc = clamp(x, lower: -104, upper: 89)  // a NaN lane is fixed at the end
        let shifter = Vector(repeating: 12_582_912)  // 1.5·2²³
        let kShifted = xc * 1.442_695_040_888_963_4 + shifter  // k in the low mantissa bits
        let k = kShifted - shifter
        let r = (xc - k * 0.693_359_375) - k * -2.121_944_40e-4
        var p = Vector(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let er = p * (r * r) + r + 1
        let ki = unsafeBitCast(kShifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let k1 = ki &>> 1, k2 = ki &- k1
        let s1 = unsafeBitCast((k1 &+ 127) &<< 23, to: Vector.self)
        let s2 = unsafeBitCast((k2 &+ 127) &<< 23, to: Vector.self)
        return (er * s1 * s2).replacing(with: x, where: x .!= x)  // NaN in, NaN out
    }

    /// `σ(x) = 1/(1 + e⁻ˣ)` lane-wise (a few ulp: one `exp`, one add, one division; `0` for
    /// `x < −88.7`, where `σ` is below the smallest normal Float).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    // MARK: GELU

    /// `√(2/π)`.
    public static let geluC: Float = 0.797_884_560_802_865_4

    /// The GELU gate `s = σ(2u)`, `u = √(2/π)(x + 0.044715x³)`, so that the tanh-form GELU is
    /// `½x(1 + tanh u) = x·s` (since `1 + tanh u = 2σ(2u)`).
    @inlinable @inline(__always)
    public static func geluGate(_ x: Vector) -> Vector {
        let u: Vector = geluC * (x + 0.044_715 * (x * x * x))
        return sigmoid(2 * u)
    }

    /// `d GELU/dx = s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²)` from the gate `s` (this is
    /// `½(1 + t) + ½x(1 − t²)·u'` with `t = tanh u = 2s − 1`).
    @inlinable @inline(__always)
    public static func geluDerivative(_ x: Vector, gate s: Vector) -> Vector {
        let du: Vector = geluC * (1 + 0.134_145 * (x * x))  // u'(x); 0.134145 = 3·0.044715
        let ds: Vector = 2 * s * (1 - s)  // σ'(2u)·2
        return s + x * ds * du
    }

    /// `out = GELU(x)` and `gate = σ(2u)` (if given) for `n` elements.
    @inlinable
    public static func gelu(
        _ x: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Float>,
        gate: UnsafeMutablePointer<Float>?
    ) {
        var i = 0
        while i < n {
            let c = min(width, n - i)
            let v = load(x + i, c)
            let s = geluGate(v)
            if let gate { store(s, gate + i, c) }
            store(v * s, out + i, c)
            i += width
        }
    }

    // MARK: Rows

    /// `Σ x` over `n` elements (8 lane-wise partial sums, then the lanes in order).
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = Vector(repeating: 0)
        var i = 0
        while i < n { acc += load(x + i, min(width, n - i)); i += width }
        return acc.sum()
    }

    /// Writes `softmax(z)` (`n ≥ 1` entries) into `p` (may be `z`) and returns `log Σ exp(z)`.
    ///
    /// `p_j = e^{z_j − m}/Σ_i e^{z_i − m}` with `m = max z` (so every exponent is ≤ 0).
    @inlinable
    public static func softmax(_ z: UnsafePointer<Float>, count n: Int, into p: UnsafeMutablePointer<Float>) -> Float {
        var mv = Vector(repeating: -.infinity)
        var i = 0
        while i < n { mv = maximum(mv, load(z + i, min(width, n - i), padding: -.infinity)); i += width }
        let m = mv.max()
        var acc = Vector(repeating: 0)
        i = 0
        while i < n {
            let c = min(width, n - i)
            let e = exp(load(z + i, c, padding: -.infinity) - m)
            acc += e
            store(e, p + i, c)
            i += width
        }
        let s = acc.sum()
        let inv = 1 / s
        i = 0
        while i < n { let c = min(width, n - i); store(load(p + i, c) * inv, p + i, c); i += width }
        return m + Foundation.log(s)
    }
}
