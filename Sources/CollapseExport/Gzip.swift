import Foundation

/// A gzip encoder in pure Swift (no zlib), for large run outputs (`per-replicate.csv.gz`).
///
/// A gzip member (RFC 1952) is a 10-byte header (magic 1F 8B, method 8 = deflate, no flags,
/// modification time 0 so the bytes depend only on the input, extra flags 0, OS 255 =
/// unknown), the deflate stream of the data (RFC 1951), the CRC-32 of the data (`PNG.crc32`)
/// and its length mod 2³², both little-endian. Every gzip reader (`gzip -dc`, Python's
/// `gzip`, pandas) reads it.
///
/// The deflate stream is one block with the fixed Huffman codes (BTYPE 01, RFC 1951 §3.2.6) of
/// a greedy LZ77 parse: at each position the longest earlier match of 3 to 258 bytes within
/// 32 KiB, searched along a hash chain of the next 3 bytes (at most `maxChain` candidates,
/// the nearest first; ties keep the nearest), else a literal. Deterministic: the same bytes in
/// give the same bytes out. Numeric CSV text shrinks to about a third.
public enum Gzip {
    /// The most candidates a match search examines.
    static let maxChain = 32

    /// The gzip member of `bytes`.
    public static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        out += deflate(bytes)
        out += littleEndian(PNG.crc32(bytes)) + littleEndian(UInt32(truncatingIfNeeded: bytes.count))
        return out
    }

    static func littleEndian(_ x: UInt32) -> [UInt8] { (0..<4).map { UInt8((x >> (8 * $0)) & 0xFF) } }

    /// Base lengths of length symbols 257…285 and their extra bits.
    static let lengthBase: [Int] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258
    ]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    /// Base distances of distance symbols 0…29 and their extra bits.
    static let distanceBase: [Int] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577
    ]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// Bits written least significant first (RFC 1951 §3.1.1); Huffman codes go in reversed.
    struct BitWriter {
        var bytes: [UInt8] = []
        var buffer: UInt64 = 0
        var count = 0

        mutating func write(_ value: Int, bits: Int) {
            buffer |= UInt64(value) << UInt64(count)
            count += bits
            while count >= 8 { bytes.append(UInt8(buffer & 0xFF)); buffer >>= 8; count -= 8 }
        }

        /// A Huffman code of `length` bits, most significant bit first.
        mutating func writeCode(_ code: Int, length: Int) {
            var reversed = 0
            for i in 0..<length where code & (1 << i) != 0 { reversed |= 1 << (length - 1 - i) }
            write(reversed, bits: length)
        }

        mutating func finish() -> [UInt8] {
            if count > 0 { bytes.append(UInt8(buffer & 0xFF)) }
            return bytes
        }
    }

    /// The fixed literal/length code of `symbol` (0…287): (code, length).
    static func fixedCode(_ symbol: Int) -> (Int, Int) {
        switch symbol {
        case 0...143: return (0x30 + symbol, 8)
        case 144...255: return (0x190 + symbol - 144, 9)
        case 256...279: return (symbol - 256, 7)
        default: return (0xC0 + symbol - 280, 8)
        }
    }

    /// A raw deflate stream (RFC 1951) of `bytes`: one final block with fixed Huffman codes.
    public static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var w = BitWriter()
        w.bytes.reserveCapacity(bytes.count / 2 + 16)
        w.write(1, bits: 1)  // BFINAL
        w.write(1, bits: 2)  // BTYPE = 01, fixed Huffman codes
        let n = bytes.count
        let window = 32_768, hashSize = 1 << 15
        var head = [Int32](repeating: -1, count: hashSize)
        var previous = [Int32](repeating: -1, count: window)
        func literal(_ b: UInt8, _ w: inout BitWriter) { let (c, l) = fixedCode(Int(b)); w.writeCode(c, length: l) }
        bytes.withUnsafeBufferPointer { data in
            func hash(_ i: Int) -> Int {
                ((Int(data[i]) << 10) ^ (Int(data[i + 1]) << 5) ^ Int(data[i + 2])) & (hashSize - 1)
            }
            func insert(_ i: Int) {
                guard i + 2 < n else { return }
                let h = hash(i)
                previous[i & (window - 1)] = head[h]
                head[h] = Int32(i)
            }
            var i = 0
            while i < n {
                var bestLength = 0, bestDistance = 0
                if i + 2 < n {
                    var candidate = Int(head[hash(i)])
                    var chain = maxChain
                    let limit = min(258, n - i)
                    while candidate >= 0 && i - candidate <= window && chain > 0 {
                        var length = 0
                        while length < limit && data[candidate + length] == data[i + length] { length += 1 }
                        if length > bestLength { bestLength = length; bestDistance = i - candidate; if length == limit { break } }
                        let next = Int(previous[candidate & (window - 1)])
                        // A slot overwritten by a newer position no longer links further back.
                        guard next < candidate else { break }
                        candidate = next
                        chain -= 1
                    }
                }
                if bestLength >= 3 {
                    var s = 0
                    while s + 1 < lengthBase.count && lengthBase[s + 1] <= bestLength { s += 1 }
                    let (c, l) = fixedCode(257 + s)
                    w.writeCode(c, length: l)
                    if lengthExtra[s] > 0 { w.write(bestLength - lengthBase[s], bits: lengthExtra[s]) }
                    var d = 0
                    while d + 1 < distanceBase.count && distanceBase[d + 1] <= bestDistance { d += 1 }
                    w.writeCode(d, length: 5)
                    if distanceExtra[d] > 0 { w.write(bestDistance - distanceBase[d], bits: distanceExtra[d]) }
                    for k in i..<(i + bestLength) { insert(k) }
                    i += bestLength
                } else {
                    literal(data[i], &w)
                    insert(i)
                    i += 1
                }
            }
        }
        let (c, l) = fixedCode(256)  // end of block
        w.writeCode(c, length: l)
        return w.finish()
    }
}
