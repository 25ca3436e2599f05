extension RandomNumberGenerator {
    /// A uniform double in `[0, 1)` from the top 53 bits of one word: `(w >> 11)·2⁻⁵³`.
    /// Built from raw bits, so it is stable across Swift versions (unlike
    /// `Double.random(in:using:)`).
    @inlinable
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in `(0, 1]`, safe to pass to `log`.
    @inlinable
    public mutating func nextUniformPositive() -> Double {
        Double((next() >> 11) + 1) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound` by Lemire's multiply-and-reject method (exactly uniform).
    @inlinable
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// `count` distinct indices drawn uniformly without replacement from `0..<population`,
    /// in the order drawn (a partial Fisher–Yates shuffle on a sparse map when
    /// `count ≪ population`). O(count) time and memory.
    public mutating func sampleWithoutReplacement(count: Int, from population: Int) -> [Int] {
        precondition(
            count >= 0 && count <= population,
            "sampleWithoutReplacement: count \(count) not in 0...\(population)")
        var swapped: [Int: Int] = [:]
        swapped.reserveCapacity(count * 2)
        var out = [Int](repeating: 0, count: count)
        for i in 0..<count {
            let j = i + nextIndex(below: population - i)
            let vj = swapped[j] ?? j
            let vi = swapped[i] ?? i
            out[i] = vj
            swapped[j] = vi
        }
        return out
    }

    /// The same draws as `sampleWithoutReplacement(count:from:)` (identical output for the same
    /// generator state), using `scratch` instead of a hash map: `scratch` must hold the identity
    /// permutation `0, 1, 2, …` (it is extended to `population` if shorter) and is restored to it
    /// before returning, so it can be reused across calls. O(count) time, no hashing.
    public mutating func sampleWithoutReplacement(count: Int, from population: Int, scratch: inout [Int]) -> [Int] {
        precondition(
            count >= 0 && count <= population,
            "sampleWithoutReplacement: count \(count) not in 0...\(population)")
        if scratch.count < population { scratch.append(contentsOf: scratch.count..<population) }
        var out = [Int](repeating: 0, count: count)
        var swaps = [Int](repeating: 0, count: count)
        scratch.withUnsafeMutableBufferPointer { perm in
            for i in 0..<count {
                let j = i + nextIndex(below: population - i)
                perm.swapAt(i, j)
                out[i] = perm[i]
                swaps[i] = j
            }
            var i = count - 1
            while i >= 0 { perm.swapAt(i, swaps[i]); i -= 1 }
        }
        return out
    }
}
