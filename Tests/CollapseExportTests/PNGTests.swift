import CollapseExport
import Foundation
import XCTest

final class PNGTests: XCTestCase {
    /// The chunks of a PNG after its signature: (type, body, stored CRC).
    private func chunks(_ data: Data) -> [(String, [UInt8], UInt32)] {
        let bytes = [UInt8](data)
        var out: [(String, [UInt8], UInt32)] = []
        var i = 8
        func u32(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        while i + 12 <= bytes.count {
            let n = Int(u32(i))
            let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            out.append((type, Array(bytes[(i + 8)..<(i + 8 + n)]), u32(i + 8 + n)))
            i += 12 + n
        }
        XCTAssertEqual(i, bytes.count, "chunks end at the end of the file")
        return out
    }

    /// Inflates a zlib stream made only of stored blocks (what `PNG.zlibStored` writes).
    private func inflateStored(_ z: [UInt8]) throws -> [UInt8] {
        XCTAssertEqual((Int(z[0]) << 8 | Int(z[1])) % 31, 0, "zlib header check bits")
        XCTAssertEqual(z[0] & 0x0F, 8, "deflate")
        var i = 2, out: [UInt8] = []
        while true {
            let header = z[i]
            XCTAssertEqual(header >> 1, 0, "stored block")
            let n = Int(z[i + 1]) | Int(z[i + 2]) << 8, nComplement = Int(z[i + 3]) | Int(z[i + 4]) << 8
            XCTAssertEqual(n ^ 0xFFFF, nComplement)
            out += z[(i + 5)..<(i + 5 + n)]
            i += 5 + n
            if header & 1 == 1 { break }
        }
        XCTAssertEqual(z.count, i + 4)
        XCTAssertEqual(
            Array(z[i...]),
            [
                UInt8(PNG.adler32(out) >> 24), UInt8((PNG.adler32(out) >> 16) & 0xFF),
                UInt8((PNG.adler32(out) >> 8) & 0xFF), UInt8(PNG.adler32(out) & 0xFF)
            ])
        return out
    }

    func testChecksumsMatchPublishedValues() {
        XCTAssertEqual(PNG.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNG.crc32(Array("IEND".utf8)), 0xAE42_6082)
        XCTAssertEqual(PNG.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(PNG.adler32([]), 1)
        // Past the 5552-byte reduction interval: 100,000 bytes of 0xFF, against a direct sum.
        let long = [UInt8](repeating: 0xFF, count: 100_000)
        var a: UInt64 = 1, b: UInt64 = 0
        for x in long { a = (a + UInt64(x)) % 65_521; b = (b + a) % 65_521 }
        XCTAssertEqual(PNG.adler32(long), UInt32(b << 16 | a))
    }

    func testSignatureHeaderChunksAndPixels() throws {
        let (w, h) = (37, 5)
        let pixels = (0..<(w * h)).map { UInt8(($0 * 7) % 256) }
        let png = PNG.grayscale(width: w, height: h, pixels: pixels)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let cs = chunks(png)
        XCTAssertEqual(cs.map(\.0), ["IHDR", "IDAT", "IEND"])
        for (type, body, crc) in cs { XCTAssertEqual(PNG.crc32(Array(type.utf8) + body), crc, type) }
        XCTAssertEqual(cs[0].1, [0, 0, 0, 37, 0, 0, 0, 5, 8, 0, 0, 0, 0])
        let raw = try inflateStored(cs[1].1)
        XCTAssertEqual(raw.count, h * (w + 1))
        for y in 0..<h {
            XCTAssertEqual(raw[y * (w + 1)], 0, "filter type none")
            XCTAssertEqual(Array(raw[(y * (w + 1) + 1)..<((y + 1) * (w + 1))]), Array(pixels[(y * w)..<((y + 1) * w)]))
        }
    }

    func testLargeImageSpansSeveralStoredBlocks() throws {
        let (w, h) = (300, 500)  // 150,500 filtered bytes: three stored blocks
        let pixels = (0..<(w * h)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 300) }
        let raw = try inflateStored(chunks(PNG.grayscale(width: w, height: h, pixels: pixels))[1].1)
        XCTAssertEqual(raw.count, h * (w + 1))
        XCTAssertEqual(Array(raw[(499 * 301 + 1)...]), Array(pixels[(499 * 300)...]))
    }

    /// Python's zlib (and PIL, where installed) decode the file to the same pixels.
    func testPythonDecodesIt() throws {
        // The first python3 on PATH (where a user's PIL lives), else the system's.
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        let python = (path + ["/usr/bin/python3"]).first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let python else { throw XCTSkip("python3 not found") }
        let (w, h) = (28, 70_000 / 28 + 3)  // more than one stored block
        let pixels = (0..<(w * h)).map { UInt8(($0 * 13 + $0 / w) % 256) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("png-test-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try PNG.grayscale(width: w, height: h, pixels: pixels).write(to: url)
        let script = """
            import sys, zlib, struct
            data = open(sys.argv[1], 'rb').read()
            i, idat = 8, b''
            while i < len(data):
                n, t = struct.unpack('>I4s', data[i:i + 8])
                if zlib.crc32(data[i + 4:i + 8 + n]) != struct.unpack('>I', data[i + 8 + n:i + 12 + n])[0]: sys.exit('bad crc')
                if t == b'IDAT': idat += data[i + 8:i + 8 + n]
                i += 12 + n
            raw = zlib.decompress(idat)
            w = struct.unpack('>I', data[16:20])[0]
            rows = [raw[r * (w + 1) + 1:(r + 1) * (w + 1)] for r in range(len(raw) // (w + 1))]
            print('zlib', sum(rows[-1]), len(rows))
            try:
                from PIL import Image
            except ImportError:
                print('nopil'); sys.exit(0)
            im = Image.open(sys.argv[1]); im.load()
            print('pil', im.mode, im.size[0], im.size[1], sum(im.tobytes()), im.tobytes() == b''.join(rows))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script, url.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, out)
        let lines = out.split(separator: "\n").map(String.init)
        let lastRow = pixels[((h - 1) * w)...].reduce(0) { $0 + Int($1) }
        XCTAssertEqual(lines.first, "zlib \(lastRow) \(h)")
        if lines.last == "nopil" { throw XCTSkip("PIL is not installed; zlib decoded the stream") }
        XCTAssertEqual(lines.last, "pil L \(w) \(h) \(pixels.reduce(0) { $0 + Int($1) }) True")
    }
}
