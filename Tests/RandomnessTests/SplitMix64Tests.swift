import Randomness
import XCTest

final class SplitMix64Tests: XCTestCase {
    /// Widely quoted reference value: the first SplitMix64 output for seed 0 is
    /// 0xE220A8397B1DCDAF. Our independent C reference program (below) reproduces it.
    func testPublishedFirstOutputForSeedZero() {
        var g = SplitMix64(seed: 0)
        XCTAssertEqual(g.next(), 0xE220_A839_7B1D_CDAF)
    }

    /// Golden outputs. These were produced by an independent C program written from the
    /// public-domain reference algorithm (Vigna's splitmix64.c:
    /// `z = (x += 0x9e3779b97f4a7c15); z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    /// z = (z ^ (z >> 27)) * 0x94d049bb133111eb; return z ^ (z >> 31);`), compiled with gcc,
    /// not from the Swift implementation.
    static let golden: [(seed: UInt64, outputs: [UInt64])] = [
        (
            0x0000_0000_0000_0000,
            [
                0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F,
                0xF88BB8A8724C81EC, 0x1B39896A51A8749B, 0x53CB9F0C747EA2EA
            ]
        ),
        (
            0x0000_0000_0000_0001,
            [
                0x910A2DEC89025CC1, 0xBEEB8DA1658EEC67, 0xF893A2EEFB32555E,
                0x71C18690EE42C90B, 0x71BB54D8D101B5B9, 0xC34D0BFF90150280
            ]
        ),
        (
            0x0000_0000_0000_002A,
            [
                0xBDD732262FEB6E95, 0x28EFE333B266F103, 0x47526757130F9F52,
                0x581CE1FF0E4AE394, 0x09BC585A244823F2, 0xDE4431FA3C80DB06
            ]
        ),
        (
            0xDEAD_BEEF_CAFE_BABE,
            [
                0x0D7D93560D1929D2, 0x491DFB740E50D43F, 0x42722BF4473E5E7D,
                0xD6CA8A0790FFFC45, 0xB2D3AB004CDB504B, 0xB75625FC4E9510A6
            ]
        ),
        (
            0xFFFF_FFFF_FFFF_FFFF,
            [
                0xE4D971771B652C20, 0xE99FF867DBF682C9, 0x382FF84CB27281E9,
                0x6D1DB36CCBA982D2, 0xB4A0472E578069AE, 0xD31DADBDA438BB33
            ]
        )
    ]

    func testMatchesCReferenceImplementation() {
        for (seed, expected) in Self.golden {
            var g = SplitMix64(seed: seed)
            let got = (0..<expected.count).map { _ in g.next() }
            XCTAssertEqual(got, expected, "seed 0x\(String(seed, radix: 16))")
        }
    }

    func testStateAdvancesByTheGoldenGamma() {
        // The state is a Weyl sequence with increment 0x9E3779B97F4A7C15 (wrapping).
        var g = SplitMix64(seed: 0xFFFF_FFFF_FFFF_FFF0)
        XCTAssertEqual(g.state, 0xFFFF_FFFF_FFFF_FFF0)
        _ = g.next()
        XCTAssertEqual(g.state, 0xFFFF_FFFF_FFFF_FFF0 &+ 0x9E37_79B9_7F4A_7C15)
        _ = g.next()
        XCTAssertEqual(g.state, 0xFFFF_FFFF_FFFF_FFF0 &+ 2 &* 0x9E37_79B9_7F4A_7C15)
    }

    func testOutputIsMixOfState() {
        var g = SplitMix64(seed: 12345)
        for _ in 0..<100 {
            let out = g.next()
            XCTAssertEqual(out, SplitMix64.mix(g.state))
        }
    }

    func testMixKnownValues() {
        // mix(0) = 0 (every step maps 0 to 0). mix(γ) is the seed-0 first output, from the
        // C reference above.
        XCTAssertEqual(SplitMix64.mix(0), 0)
        XCTAssertEqual(SplitMix64.mix(0x9E37_79B9_7F4A_7C15), 0xE220_A839_7B1D_CDAF)
    }

    func testMixIsInjectiveOnASample() {
        // mix is a bijection (xorshifts and odd multiplications are invertible); on 2¹⁶
        // consecutive inputs every output must therefore be distinct.
        var seen = Set<UInt64>()
        for i in UInt64(0)..<(1 << 16) { seen.insert(SplitMix64.mix(i)) }
        XCTAssertEqual(seen.count, 1 << 16)
    }

    func testMixAvalanche() {
        // Flipping one input bit flips each output bit with probability ½ for a good mixer.
        // Over 2000 random inputs × 64 input bits = 128 000 flips, the number of flipped
        // output bits is Binomial(64·128000, ½) if the mixer is ideal; check it with the
        // binomial SE (false alarm 1e-6). Also each (input bit) row separately:
        // Binomial(64·2000, ½) per input bit, 64 checks (family-wise ≤ 6.4e-5).
        var g = SplitMix64(seed: 7)
        let samples = 2000
        var perInputBit = [Int](repeating: 0, count: 64)
        for _ in 0..<samples {
            let x = g.next()
            let mx = SplitMix64.mix(x)
            for b in 0..<64 {
                perInputBit[b] += (mx ^ SplitMix64.mix(x ^ (1 << UInt64(b)))).nonzeroBitCount
            }
        }
        assertBinomial(
            count: perInputBit.reduce(0, +), trials: 64 * 64 * samples, probability: 0.5,
            "total avalanche flips")
        for b in 0..<64 {
            assertBinomial(
                count: perInputBit[b], trials: 64 * samples, probability: 0.5,
                "avalanche for input bit \(b)")
        }
    }

    func testValueSemantics() {
        var a = SplitMix64(seed: 99)
        _ = a.next()
        var b = a
        XCTAssertEqual(a.next(), b.next())
        XCTAssertEqual(a.state, b.state)
    }
}
