import Foundation

/// A minimal PNG encoder in pure Swift (no zlib): 8-bit grayscale, one IDAT chunk whose zlib
/// stream holds stored (uncompressed) deflate blocks. The files are larger than compressed ones
/// but every decoder reads them, and the bytes depend only on the pixels.
public enum PNG {
    /// The 8-byte PNG signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG of a `width` × `height` grayscale image, `pixels` row-major, one byte each
    /// (0 black, 255 white).
    public static func grayscale(width: Int, height: Int, pixels: [UInt8]) -> Data {
        precondition(
            width > 0 && height > 0 && pixels.count == width * height,
            "PNG: \(pixels.count) pixels for a \(width) × \(height) image")
        var out = Data(signature)
        var header: [UInt8] = []
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 0, 0, 0, 0]  // bit depth 8, colour type 0 (grayscale), deflate, filter 0, no interlace
        appendChunk("IHDR", header, to: &out)
        // Each scanline starts with its filter type (0: none).
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width + 1))
        for y in 0..<height {
            raw.append(0)
            raw += pixels[(y * width)..<((y + 1) * width)]
        }
        appendChunk("IDAT", zlibStored(raw), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// A zlib stream (RFC 1950) of `bytes` in stored deflate blocks (RFC 1951, BTYPE 00) of at
    /// most 65,535 bytes each, ending with the Adler-32 of `bytes`.
    public static func zlibStored(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // deflate, 32 KiB window, no dictionary; (0x7801 % 31 == 0)
        var start = 0
        repeat {
            let n = min(65_535, bytes.count - start)
            let final: UInt8 = start + n == bytes.count ? 1 : 0
            out.append(final)  // BFINAL, BTYPE = 00; the rest of the byte pads to the boundary
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += bytes[start..<(start + n)]
            start += n
        } while start < bytes.count
        out += bigEndian(adler32(bytes))
        return out
    }

    /// The CRC-32 of ISO 3309 / ITU-T V.42 (PNG's chunk check; zlib's `crc32`).
    public static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// The Adler-32 checksum of RFC 1950.
    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        // 5552 bytes is the most that cannot overflow 32 bits before the reduction.
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + 5552)
            for k in i..<end { a += UInt32(bytes[k]); b += a }
            a %= 65_521; b %= 65_521
            i = end
        }
        return (b << 16) | a
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func bigEndian(_ x: UInt32) -> [UInt8] { [UInt8(x >> 24), UInt8((x >> 16) & 0xFF), UInt8((x >> 8) & 0xFF), UInt8(x & 0xFF)] }

    static func appendChunk(_ type: String, _ body: [UInt8], to out: inout Data) {
        let typeBytes = Array(type.utf8)
        out.append(contentsOf: bigEndian(UInt32(body.count)))
        out.append(contentsOf: typeBytes)
        out.append(contentsOf: body)
        out.append(contentsOf: bigEndian(crc32(typeBytes + body)))
    }
}
