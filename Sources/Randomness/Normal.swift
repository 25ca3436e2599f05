import Foundation

/// Standard normal variates by the ziggurat method (Marsaglia & Tsang, "The Ziggurat Method
/// for Generating Random Variables", J. Stat. Software 5(8), 2000), 256 layers.
///
/// **Construction.** With `f(x) = exp(−x²/2)`, the layers have common area
/// `v = 4.92867323399e-3` and the base layer's right edge is `r = 3.6541528853610088`
/// (Marsaglia & Tsang's constants for 256 layers). Edges: `x₀ = v/f(r)`, `x₁ = r`,
/// `x_{i+1} = f⁻¹(v/x_i + f(x_i))`, `x₂₅₆ = 0`. The tables are computed at start-up, not copied.
///
/// **One draw** uses one 64-bit word: bits 0–7 pick the layer `i`, bit 8 the sign, bits 11–63
/// a 53-bit uniform `u`; `x = u·x_i`. If `x < x_{i+1}` (≈ 98.8 % of draws) `x` is accepted.
/// Otherwise layer 0 samples the tail `x > r` exactly (Marsaglia 1964: `a = −ln(u₁)/r`,
/// `b = −ln(u₂)`, accept when `2b > a²`, return `r + a`), and other layers accept the wedge
/// point when a uniform height under the layer falls below `f(x)`. The layer index and the
/// uniform come from disjoint bits, avoiding the correlation defect of the original 32-bit
/// version (Doornik 2005). Exact in distribution up to the 53-bit resolution of `u`.
public enum Normal {
    @usableFromInline
    static let tables = ZigguratTables()

    /// One standard normal variate.
    @inlinable
    public static func next<G: RandomNumberGenerator>(using rng: inout G) -> Double {
        tables.draw(&rng)
    }

    /// Fills `buffer` with i.i.d. `N(0, scale²)` variates.
    @inlinable
    public static func fill<G: RandomNumberGenerator>(
        _ buffer: UnsafeMutableBufferPointer<Double>,
        scale: Double = 1, using rng: inout G
    ) {
        let t = tables
        for i in buffer.indices { buffer[i] = scale * t.draw(&rng) }
    }

    /// `count` i.i.d. `N(0, scale²)` variates.
    @inlinable
    public static func array<G: RandomNumberGenerator>(
        count: Int, scale: Double = 1,
        using rng: inout G
    ) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { fill($0, scale: scale, using: &rng) }
        return out
    }
}

/// The ziggurat's layer edges `x_i` and heights `f(x_i)`; immutable after construction.
public final class ZigguratTables: @unchecked Sendable {
    public static let layers = 256
    public static let r = 3.6541528853610088
    public static let v = 4.92867323399e-3

    /// Edges x[0...256]; heights f[0...256] with f(x[0]) defined as f(r) for the base layer.
    @usableFromInline let x: UnsafeMutablePointer<Double>
    @usableFromInline let f: UnsafeMutablePointer<Double>
    /// `x_i·2⁻⁵³`, so the fast path maps the 53 random bits straight onto the layer width
    /// (scaling by a power of two is exact: the same value as `(j·2⁻⁵³)·x_i`).
    @usableFromInline let xScaled: UnsafeMutablePointer<Double>

    init() {
        let n = Self.layers, r = Self.r, v = Self.v
        x = .allocate(capacity: n + 1)
        f = .allocate(capacity: n + 1)
        xScaled = .allocate(capacity: n + 1)
        x[0] = v / exp(-0.5 * r * r)
        x[1] = r
        for i in 1..<(n - 1) {
            x[i + 1] = (-2 * log(v / x[i] + exp(-0.5 * x[i] * x[i]))).squareRoot()
        }
        x[n] = 0
        for i in 0...n { f[i] = exp(-0.5 * x[i] * x[i]) }
        f[0] = exp(-0.5 * r * r)
        for i in 0...n { xScaled[i] = x[i] * 0x1.0p-53 }
    }

    /// The edges, for tests.
    public var edges: [Double] { (0...Self.layers).map { x[$0] } }

    @inlinable @inline(__always)
    func draw<G: RandomNumberGenerator>(_ rng: inout G) -> Double {
        let bits = rng.next()
        let i = Int(bits & 0xFF)
        // bits >> 11 < 2⁵³ fits a signed integer: the one-instruction signed conversion.
        let z = Double(Int64(bitPattern: bits >> 11)) * xScaled[i]
        // Sign from bit 8, applied branch-free (a 50/50 branch would mispredict half the time):
        // flipping the sign bit of z ≥ 0 is exactly −z.
        if _fastPath(z < x[i + 1]) { return Double(bitPattern: z.bitPattern ^ ((bits & 0x100) << 55)) }
        return slowDraw(bits: bits, &rng)
    }

    /// The rare (≈ 1.2 %) rejection path: tail of layer 0, wedges of the others, then retry.
    @usableFromInline @inline(never)
    func slowDraw<G: RandomNumberGenerator>(bits first: UInt64, _ rng: inout G) -> Double {
        var bits = first
        while true {
            let i = Int(bits & 0xFF)
            let negative = (bits & 0x100) != 0
            let z = Double(bits >> 11) * xScaled[i]
            if z < x[i + 1] { return negative ? -z : z }
            if i == 0 {
                // Tail beyond r (Marsaglia 1964).
                let r = ZigguratTables.r
                while true {
                    let a = -log(rng.nextUniformPositive()) / r
                    let b = -log(rng.nextUniformPositive())
                    if 2 * b > a * a { return negative ? -(r + a) : (r + a) }
                }
            }
            // Wedge of layer i: accept if a uniform height in [f(x_i), f(x_{i+1})] is below f(z).
            let h = f[i] + rng.nextUniform() * (f[i + 1] - f[i])
            if h < exp(-0.5 * z * z) { return negative ? -z : z }
            bits = rng.next()
        }
    }
}
