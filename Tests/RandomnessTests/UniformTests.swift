import Randomness
import XCTest

final class UniformTests: XCTestCase {
    // MARK: - nextUniform / nextUniformPositive: exact bit mapping

    func testNextUniformBitMapping() {
        // Documented: (w >> 11)·2⁻⁵³, so 0 ↦ 0, all-ones ↦ 1 − 2⁻⁵³, and the low 11 bits are ignored.
        var g = ReplayGenerator([0, UInt64.max, 1 << 63, 0x7FF, (1 << 11) | 0x7FF])
        XCTAssertEqual(g.nextUniform(), 0)
        XCTAssertEqual(g.nextUniform(), 1 - 0x1p-53)
        XCTAssertEqual(g.nextUniform(), 0.5)
        XCTAssertEqual(g.nextUniform(), 0)
        XCTAssertEqual(g.nextUniform(), 0x1p-53)
        XCTAssertEqual(g.consumed, 5, "one word per uniform")
    }

    func testNextUniformPositiveBitMapping() {
        // Documented range (0, 1]: ((w >> 11) + 1)·2⁻⁵³, so 0 ↦ 2⁻⁵³ and all-ones ↦ 1.
        var g = ReplayGenerator([0, UInt64.max, 1 << 63])
        XCTAssertEqual(g.nextUniformPositive(), 0x1p-53)
        XCTAssertEqual(g.nextUniformPositive(), 1)
        XCTAssertEqual(g.nextUniformPositive(), 0.5 + 0x1p-53)
        XCTAssertEqual(g.consumed, 3)
    }

    // MARK: - nextUniform: statistics

    func testNextUniformRangeMeanVarianceAndHistogram() {
        // n = 1 000 000 uniforms (seeded). Mean 1/2 with SE √(1/12/n); E[(U−½)²] = 1/12 with
        // SE √(Var((U−½)²)/n), Var((U−½)²) = 1/80 − 1/144 = 1/180; 64-bin χ² histogram;
        // lag-1 correlation SE 1/√n. Four checks at false alarm 1e-6 each.
        var g = Xoshiro256StarStar(seed: 1)
        let n = 1_000_000
        var sum = 0.0, sumSq = 0.0, lagSum = 0.0
        var bins = [Int](repeating: 0, count: 64)
        var prev = 0.5
        var minU = 1.0, maxU = 0.0
        for _ in 0..<n {
            let u = g.nextUniform()
            minU = min(minU, u); maxU = max(maxU, u)
            sum += u
            sumSq += (u - 0.5) * (u - 0.5)
            lagSum += (u - 0.5) * (prev - 0.5)
            prev = u
            bins[Int(u * 64)] += 1
        }
        XCTAssertGreaterThanOrEqual(minU, 0)
        XCTAssertLessThan(maxU, 1)
        let dn = Double(n)
        assertWithinZ(sum / dn, 0.5, se: (1.0 / 12 / dn).squareRoot(), "uniform mean")
        assertWithinZ(sumSq / dn, 1.0 / 12, se: (1.0 / 180 / dn).squareRoot(), "uniform variance")
        // Lag-1 autocovariance / variance, SE ≈ 1/√n under independence.
        assertWithinZ((lagSum / dn) / (1.0 / 12), 0, se: 1 / dn.squareRoot(), "uniform lag-1 correlation")
        assertChiSquareUniform(bins, "nextUniform 64-bin histogram")
    }

    func testNextUniformPositiveRange() {
        var g = Xoshiro256StarStar(seed: 2)
        for _ in 0..<100_000 {
            let u = g.nextUniformPositive()
            XCTAssertGreaterThan(u, 0)
            XCTAssertLessThanOrEqual(u, 1)
            if !(u > 0 && u <= 1) { break }
        }
    }

    // MARK: - nextIndex(below:)

    func testNextIndexBoundOneAndDeterministicMapping() {
        var g = Xoshiro256StarStar(seed: 3)
        for _ in 0..<1000 { XCTAssertEqual(g.nextIndex(below: 1), 0) }
        // Lemire's method returns the high word of w·bound when the low word is not rejected.
        // bound 7: threshold = 2⁶⁴ mod 7 = 2; w = 2⁶³ gives high ⌊7/2⌋ = 3, low 2⁶³ ≥ 2: accepted.
        var r = ReplayGenerator([1 << 63, UInt64.max, 0])
        XCTAssertEqual(r.nextIndex(below: 7), 3)
        XCTAssertEqual(r.nextIndex(below: 7), 6)  // ⌊7·(2⁶⁴−1)/2⁶⁴⌋ = 6, low = 2⁶⁴ − 7 ≥ 2
        // w = 0: low word 0 < threshold 2 is rejected; the next word must be consumed.
        var s = ReplayGenerator([0, 1 << 62])
        XCTAssertEqual(s.nextIndex(below: 7), 1)  // ⌊7/4⌋ = 1
        XCTAssertEqual(s.consumed, 2)
    }

    func testNextIndexRejectsTheBiasedWords() {
        // bound b = 3·2⁶¹ does not divide 2⁶⁴: 2⁶⁴ mod b = 2⁶². For a word w the low product
        // word is (3w mod 8)·2⁶¹, which is < 2⁶² exactly when 3w ≡ 0 or 1 (mod 8), i.e.
        // w ≡ 0 or 3 (mod 8). Those words must be rejected; w = 5 is accepted with
        // high word ⌊15/8⌋ = 1.
        let b = 3 << 61
        var g = ReplayGenerator([8, 3, 5])
        XCTAssertEqual(g.nextIndex(below: b), 1)
        XCTAssertEqual(g.consumed, 3, "words 8 and 3 must be rejected")
        // w = 2: 3·2 = 6 ≡ 6 (mod 8), accepted, high ⌊6/8⌋ = 0; w = 2⁶⁴−1: accepted, high b−1.
        var h = ReplayGenerator([2, UInt64.max])
        XCTAssertEqual(h.nextIndex(below: b), 0)
        XCTAssertEqual(h.nextIndex(below: b), b - 1)
    }

    func testNextIndexUniformSmallBound() {
        // bound 7, n = 700 000: χ² on the 7 cells (6 d.o.f.), false alarm 1e-6.
        var g = Xoshiro256StarStar(seed: 4)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<700_000 {
            let k = g.nextIndex(below: 7)
            XCTAssertTrue((0..<7).contains(k))
            counts[k] += 1
        }
        assertChiSquareUniform(counts, "nextIndex(below: 7)")
    }

    func testNextIndexUniformLargeNonDividingBound() {
        // bound b = 3·2⁶¹ (2⁶⁴ mod b = 2⁶² ≠ 0). Two χ² tests on n = 480 000 draws
        // (false alarm 1e-6 each):
        // • 48 coarse buckets k >> 57 (b/48 = 2⁵⁷): `w mod b` would put 3/2 as much mass on
        //   the first 32 buckets as on the rest;
        // • k mod 3: taking the high word of w·b without rejection gives residues 0, 1, 2 with
        //   probabilities 3/8, 3/8, 2/8, which this detects.
        let b = 3 << 61
        var g = Xoshiro256StarStar(seed: 5)
        var coarse = [Int](repeating: 0, count: 48)
        var residues = [Int](repeating: 0, count: 3)
        for _ in 0..<480_000 {
            let k = g.nextIndex(below: b)
            XCTAssertTrue(k >= 0 && k < b)
            coarse[k >> 57] += 1
            residues[k % 3] += 1
        }
        assertChiSquareUniform(coarse, "nextIndex(below: 3·2⁶¹) coarse buckets")
        assertChiSquareUniform(residues, "nextIndex(below: 3·2⁶¹) residues mod 3")
    }

    func testNextIndexMaximalBound() {
        // bound Int.max: results in range and top bit (≥ 2⁶²) set about half the time.
        var g = Xoshiro256StarStar(seed: 6)
        var high = 0
        let n = 100_000
        for _ in 0..<n {
            let k = g.nextIndex(below: Int.max)
            XCTAssertTrue(k >= 0 && k < Int.max)
            if k >= 1 << 62 { high += 1 }
        }
        // P(k ≥ 2⁶²) = (Int.max − 2⁶²)/Int.max ≈ ½ (exact to 1e-18).
        assertBinomial(count: high, trials: n, probability: 0.5, "nextIndex(below: Int.max) upper half")
    }

    // MARK: - sampleWithoutReplacement

    func testSampleWithoutReplacementDistinctAndInRange() {
        var g = Xoshiro256StarStar(seed: 7)
        for (count, population) in [(0, 0), (0, 5), (1, 1), (3, 10), (10, 10), (50, 1_000_000), (999, 1000)] {
            let s = g.sampleWithoutReplacement(count: count, from: population)
            XCTAssertEqual(s.count, count)
            XCTAssertEqual(Set(s).count, count, "duplicates in \(count) of \(population)")
            XCTAssertTrue(s.allSatisfy { $0 >= 0 && $0 < population }, "out of range in \(count) of \(population)")
        }
    }

    func testSampleWithoutReplacementFullPermutation() {
        var g = Xoshiro256StarStar(seed: 8)
        for population in [1, 2, 17, 1000] {
            let s = g.sampleWithoutReplacement(count: population, from: population)
            XCTAssertEqual(s.sorted(), Array(0..<population))
        }
    }

    func testSampleWithoutReplacementInclusionProbabilities() {
        // count 7 of population 20, 60 000 repetitions: each element is included with
        // probability 7/20, Binomial SE; 20 checks at false alarm 1e-6 (family-wise ≤ 2e-5).
        // The first-drawn element is uniform on 0..<20: χ² with 19 d.o.f.
        var g = Xoshiro256StarStar(seed: 9)
        let reps = 60_000, count = 7, population = 20
        var included = [Int](repeating: 0, count: population)
        var first = [Int](repeating: 0, count: population)
        for _ in 0..<reps {
            let s = g.sampleWithoutReplacement(count: count, from: population)
            for k in s { included[k] += 1 }
            first[s[0]] += 1
        }
        for k in 0..<population {
            assertBinomial(
                count: included[k], trials: reps, probability: Double(count) / Double(population),
                "inclusion of element \(k)")
        }
        assertChiSquareUniform(first, "first drawn element")
    }

    func testSampleWithoutReplacementSparseInclusion() {
        // count 5 of population 1 000 000, 40 000 repetitions (the sparse-map regime). Each
        // sampled position is marginally uniform, so the number of sampled elements below
        // 100 000 in one repetition is hypergeometric with mean 5·0.1 and variance
        // 5·0.1·0.9·(N−5)/(N−1) ≤ the binomial one. Summed over independent repetitions the
        // total has mean 200 000·0.1 and variance ≤ Binomial(200 000, 0.1)'s, so the binomial
        // SE (false alarm 1e-6) is slightly conservative.
        var g = Xoshiro256StarStar(seed: 10)
        let reps = 40_000
        var low = 0
        for _ in 0..<reps {
            for k in g.sampleWithoutReplacement(count: 5, from: 1_000_000) where k < 100_000 { low += 1 }
        }
        assertBinomial(count: low, trials: 5 * reps, probability: 0.1, "sparse inclusion below 10⁵")
    }

    func testPermutationsOfThreeAreUniform() {
        // count == population == 3, 60 000 shuffles: each of the 6 orderings has probability
        // 1/6; χ² with 5 d.o.f. at false alarm 1e-6.
        var g = Xoshiro256StarStar(seed: 11)
        var counts = [Int](repeating: 0, count: 6)
        let index: [[Int]: Int] = [[0, 1, 2]: 0, [0, 2, 1]: 1, [1, 0, 2]: 2, [1, 2, 0]: 3, [2, 0, 1]: 4, [2, 1, 0]: 5]
        for _ in 0..<60_000 {
            let p = g.sampleWithoutReplacement(count: 3, from: 3)
            counts[index[p]!] += 1
        }
        assertChiSquareUniform(counts, "permutations of 3")
    }
}

/// The hash-free variant must return exactly the draws of the hash-map version and restore
/// its scratch permutation.
final class SampleWithoutReplacementScratchTests: XCTestCase {
    func testScratchVariantMatchesHashMapVariantAndRestoresScratch() {
        var scratch: [Int] = []
        for (count, population) in [(0, 5), (5, 5), (3, 10), (50, 1000), (1000, 100_000), (7, 7)] {
            var a = Xoshiro256StarStar(seed: 5, stream: [UInt64(count), UInt64(population)])
            var b = a
            let expected = a.sampleWithoutReplacement(count: count, from: population)
            let got = b.sampleWithoutReplacement(count: count, from: population, scratch: &scratch)
            XCTAssertEqual(got, expected, "count \(count) of \(population)")
            XCTAssertEqual(a.next(), b.next(), "both variants consume the generator identically")
            XCTAssertEqual(scratch, Array(0..<scratch.count), "scratch must be the identity again")
            XCTAssertGreaterThanOrEqual(scratch.count, population)
        }
    }
}
