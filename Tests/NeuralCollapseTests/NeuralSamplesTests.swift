import CollapseExport
import Foundation
import NeuralCollapse
import Randomness
import XCTest

/// The sample files a neural run keeps (`NeuralSamples`): their formats and names.
final class NeuralSamplesTests: XCTestCase {
    /// Reverses `TextCorpus.escaped`.
    func unescaped(_ line: Substring) -> [UInt8] {
        var out: [UInt8] = [], bytes = Array(line.utf8), i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") {
                if bytes[i + 1] == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")); i += 2; continue }
                XCTAssertEqual(bytes[i + 1], UInt8(ascii: "x"))
                out.append(UInt8(String(decoding: bytes[(i + 2)..<(i + 4)], as: UTF8.self), radix: 16)!)
                i += 4
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        return out
    }

    /// Stories become one printable line each that gives back their bytes exactly, whatever the
    /// bytes (control characters, invalid or truncated UTF-8, backslashes).
    func testStoriesAreEscapedLinesThatGiveBackTheirBytes() throws {
        var rng = Xoshiro256StarStar(seed: 4, stream: [1])
        var stories: [[UInt8]] = [Array("Tom had a red ball.".utf8), Array("a\\b\tc\rd\u{7F}é€😀".utf8), [0xFF, 0xC3], [0xE2, 0x82, 0x41], []]
        for _ in 0..<200 {
            stories.append(
                (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                    let b = UInt8.random(in: 0...255, using: &rng)
                    return b == 10 ? 11 : b
                })
        }
        let file = TextCorpus(stories: stories).sampleFile()
        let text = try XCTUnwrap(String(data: file, encoding: .utf8))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, stories.count + 1)
        XCTAssertEqual(lines.last, "")
        XCTAssertEqual(lines[0], "Tom had a red ball.")
        XCTAssertEqual(lines[1], "a\\\\b\\x09c\\x0Dd\\x7Fé€😀")
        XCTAssertEqual(lines[2], "\\xFF\\xC3")
        for (line, story) in zip(lines, stories) {
            XCTAssertFalse(line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(line)")
            XCTAssertEqual(unescaped(line), story)
        }
    }

    /// Images: a 4-across grid with 2-pixel mid-grey gaps, intensities to bytes.
    func testImagesBecomeAPNGGrid() throws {
        var pixels = [Float](repeating: 0, count: 5 * 3 * 2)  // five 3 × 2 images
        pixels[0] = 1; pixels[1] = 0.5; pixels[2] = 2; pixels[3] = -1; pixels[4] = .nan
        pixels[4 * 6 + 5] = 1  // the last pixel of image 5 (second row, first column)
        let png = [UInt8](ImageSet(width: 3, height: 2, pixels: pixels).sampleFile())
        XCTAssertEqual(Array(png.prefix(8)), PNG.signature)
        // 4 columns × (3 + 2) + 2 = 22 wide, 2 rows × (2 + 2) + 2 = 10 high.
        XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 22, 0, 0, 0, 10])
        // The IDAT holds one stored block: its bytes are the filtered scanlines.
        let idat = 8 + 25, n = Int(png[idat]) << 24 | Int(png[idat + 1]) << 16 | Int(png[idat + 2]) << 8 | Int(png[idat + 3])
        let raw = Array(png[(idat + 8 + 2 + 5)..<(idat + 8 + n - 4)])
        XCTAssertEqual(raw.count, 10 * 23)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { raw[y * 23 + 1 + x] }
        XCTAssertEqual(pixel(0, 0), 128, "border")
        XCTAssertEqual([pixel(2, 2), pixel(3, 2), pixel(4, 2), pixel(2, 3), pixel(3, 3)], [255, 128, 255, 0, 0])
        XCTAssertEqual(pixel(4, 7), 255, "image 5's last pixel")
        XCTAssertEqual(pixel(7, 2), 0, "image 2")
        XCTAssertEqual(ImageSet.grid(16).columns, 4)
        XCTAssertEqual(ImageSet.grid(16).rows, 4)
        XCTAssertEqual(ImageSet.grid(2).columns, 2)
    }

    /// Conformers: multi-frame XYZ in the format the `--data` loader reads (which wants at
    /// least 10 frames, so 12 here; a sample holds 4).
    func testConformersBecomeXYZThatLoads() throws {
        var rng = Xoshiro256StarStar(seed: 2, stream: [1])
        let set = ChainMoleculeGenerator(atoms: 8).conformers(count: 12, using: &rng)
        let text = String(decoding: set.subset(Array(0..<4)).sampleFile(), as: UTF8.self)
        XCTAssertEqual(text.split(separator: "\n").count, 4 * 10)
        XCTAssertTrue(text.hasPrefix("8\nframe 1\n"), text)
        let back = try XYZLoader.parse([UInt8](set.sampleFile()), name: "sample.xyz")
        XCTAssertEqual(back.count, 12)
        XCTAssertEqual(back.elements, set.elements)
        XCTAssertEqual(zip(back.coordinates, set.coordinates).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-4)
    }

    func testNames() {
        XCTAssertEqual(NeuralSamples.fileName(generation: 7, of: TextCorpus.self), "generation-007.txt")
        XCTAssertEqual(NeuralSamples.fileName(generation: 100, of: ImageSet.self), "generation-100.png")
        XCTAssertEqual(NeuralSamples.cellDirectory(regime: "replace", axes: []), "replace")
        XCTAssertEqual(
            NeuralSamples.cellDirectory(regime: "accumulate", axes: [("steps", "200"), ("temperature", "0.8")]),
            "accumulate-steps-200-temperature-0.8")
        XCTAssertEqual(NeuralSamples.cellDirectory(regime: "a/b", axes: []), "a_b")
    }
}
