/// xoshiro256** 1.0 (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
/// ACM TOMS 2021): period 2²⁵⁶ − 1, all 64 output bits of high quality, ~1 ns per word.
///
/// Streams are never shared between replicates: derive one per replicate with
/// `Xoshiro256StarStar(seed:stream:)`, so results do not depend on scheduling.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    public var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds the 256-bit state from four consecutive SplitMix64 outputs of `seed`
    /// (never all zero, since SplitMix64 is a bijection of a counter).
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// The child stream identified by the path `stream` under `seed` (numpy's `spawn` idea):
    /// the key is folded word by word through the SplitMix64 mixer, so distinct paths give
    /// unrelated states and the same path always gives the same state.
    public init(seed: UInt64, stream: [UInt64]) {
        self.init(seed: StreamKey.derive(seed, stream))
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Xoshiro256StarStar.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Xoshiro256StarStar.rotl(s3, 45)
        return result
    }

    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// Derivation of child-stream seeds from a root seed and a path of integers.
public enum StreamKey {
    /// Folds `path` into `root`: `k ← mix(k ⊕ mix(p_i + γ·(i+1)))`. Deterministic and
    /// order-sensitive; different paths give (with overwhelming probability) different keys.
    public static func derive(_ root: UInt64, _ path: [UInt64]) -> UInt64 {
        var k = SplitMix64.mix(root ^ 0x6A09_E667_F3BC_C908)
        for (i, p) in path.enumerated() {
            let salted = p &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(i + 1)
            k = SplitMix64.mix(k ^ SplitMix64.mix(salted))
        }
        return k
    }
}
