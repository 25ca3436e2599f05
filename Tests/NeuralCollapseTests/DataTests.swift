import CollapseCore
import Foundation
import NeuralCollapse
import Randomness
import XCTest

/// The built-in data generators, the file loaders and the `TrainingData` semantics.
final class DataTests: XCTestCase {
    func assertThrows(_ body: @autoclosure () throws -> Any, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let text = "\(error)"
            for n in needles { XCTAssertTrue(text.contains(n), "message lacks '\(n)': \(text)", file: file, line: line) }
        }
    }

    // MARK: Stories

    func testStoryGrammarIsSeededBoundedAndAgrees() {
        var a = Xoshiro256StarStar(seed: 1), b = Xoshiro256StarStar(seed: 1)
        let g = StoryGrammar(maxLength: 95)
        let c1 = g.corpus(count: 300, using: &a), c2 = g.corpus(count: 300, using: &b)
        XCTAssertEqual(c1, c2)
        XCTAssertTrue(c1.stories.allSatisfy { $0.count <= 95 && !$0.isEmpty })
        // Agreement: a story about a girl never says "He " / " his ", and vice versa.
        for s in c1.stories.map({ String(decoding: $0, as: UTF8.self) }) {
            let girl = ["Lily", "Mia", "Anna", "Zoe", "Sue"].contains { s.hasPrefix($0) || s.contains("called \($0).") }
            let boy = ["Tom", "Ben", "Sam", "Max", "Tim"].contains { s.hasPrefix($0) || s.contains("called \($0).") }
            XCTAssertTrue(girl != boy, s)
            if girl { XCTAssertFalse(s.contains("He ") || s.contains(" his "), s) }
            if boy { XCTAssertFalse(s.contains("She ") || s.contains(" her "), s) }
        }
        XCTAssertGreaterThan(Set(c1.stories).count, 200, "the grammar should be diverse")
    }

    func testCorpusLoaderFormats() throws {
        let lines = (1...12).map { "story \($0)" }.joined(separator: "\n") + "\n"
        XCTAssertEqual(try TextCorpusLoader.parse(Array(lines.utf8), name: "a").count, 12)
        let blocks = (1...11).map { "first line \($0)\nsecond line" }.joined(separator: "\n\n")
        let c = try TextCorpusLoader.parse(Array(blocks.utf8), name: "b")
        XCTAssertEqual(c.count, 11)
        XCTAssertEqual(String(decoding: c.stories[0], as: UTF8.self), "first line 1 second line")
        assertThrows(try TextCorpusLoader.parse(Array("abc".utf8) + [0xc3, 0x28], name: "x.txt"), ["x.txt", "byte 4", "UTF-8"])
        assertThrows(try TextCorpusLoader.parse(Array("a\nb\n".utf8), name: "y.txt"), ["y.txt", "2 stories"])
        assertThrows(try TextCorpusLoader.parse(Array(lines.utf8) + [0] + Array("z\n".utf8), name: "n.txt"), ["n.txt", "NUL"])
    }

    // MARK: Images

    func testGlyphsAreImagesOfInk() {
        var rng = Xoshiro256StarStar(seed: 2)
        let set = GlyphGenerator().images(count: 50, using: &rng)
        XCTAssertEqual(set.count, 50)
        XCTAssertEqual(set.dimension, 784)
        XCTAssertTrue(set.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Ink bounds for any draw: the shortest skeleton ("1", ≈ 0.97 units) at the smallest scale
        // and width covers ≈ 0.97·0.78·28 px × 2.2 px ≈ 47 px; the longest ("8", ≈ 2.4 units) at
        // full scale and width ≈ 67 px × 5.8 px ≈ 390 px.
        for i in 0..<50 {
            let ink = set.pixels[(i * 784)..<((i + 1) * 784)].reduce(0, +)
            XCTAssertTrue(ink > 20 && ink < 500, "image \(i) has ink \(ink)")
        }
    }

    func testIDXRoundTripAndErrors() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let set = GlyphGenerator().images(count: 4, using: &rng)
        let bytes = IDXLoader.encode(set)
        let back = try IDXLoader.parse(bytes, name: "ok")
        XCTAssertEqual(back.count, 4)
        for (a, b) in zip(back.pixels, set.pixels) { XCTAssertEqual(a, b, accuracy: 0.5 / 255 + 1e-6) }
        assertThrows(try IDXLoader.parse([0x1f, 0x8b, 8, 0], name: "g.gz"), ["g.gz", "byte 1", "gzip"])
        assertThrows(try IDXLoader.parse(Array(bytes[0..<10]), name: "h"), ["h", "byte 11", "header"])
        var magic = bytes; magic[0] = 1
        assertThrows(try IDXLoader.parse(magic, name: "m"), ["m", "byte 1", "magic"])
        var type = bytes; type[2] = 0x0d
        assertThrows(try IDXLoader.parse(type, name: "t"), ["t", "byte 3", "element type"])
        var size = bytes; size[11] = 27
        assertThrows(try IDXLoader.parse(size, name: "s"), ["s", "byte 9", "28×28"])
        assertThrows(try IDXLoader.parse(Array(bytes.dropLast(5)), name: "c"), ["c", "byte \(bytes.count - 4)", "image 4 of 4"])
        assertThrows(try IDXLoader.parse(bytes + [0, 0], name: "e"), ["e", "byte \(bytes.count + 1)", "trailing"])
    }

    // MARK: Conformers

    /// NeRF placement and the dihedral formula agree: placing with φ measures φ.
    func testPlacementAndDihedralAgree() {
        let a = SIMD3<Double>(0.3, -1.2, 0.1), b = SIMD3<Double>(0, 0, 0), c = SIMD3<Double>(1.5, 0.2, 0)
        for phi in stride(from: -170.0, through: 180, by: 10) {
            let d = Geometry.place(a, b, c, r: 1.53, theta: 112 * .pi / 180, phi: phi * .pi / 180)
            XCTAssertEqual(Geometry.dihedral(a, b, c, d), phi, accuracy: 1e-9)
            XCTAssertEqual(((d - c) * (d - c)).sum().squareRoot(), 1.53, accuracy: 1e-12)
        }
    }

    /// Bond lengths average 1.53 Å (z = 5 · SE: false alarm ≈ 6e-7); the torsions are
    /// trans/gauche in proportions ½/¼/¼ (each proportion within 5 binomial SEs); frames centred.
    func testChainConformersHaveTheirLaw() {
        var rng = Xoshiro256StarStar(seed: 4)
        let set = ChainMoleculeGenerator(atoms: 8).conformers(count: 400, using: &rng)
        XCTAssertEqual(set.torsions.count, 5)
        let lengths = set.bondLengths
        let mean = lengths.reduce(0, +) / Double(lengths.count)
        XCTAssertEqual(mean, 1.53, accuracy: 5 * 0.02 / Double(lengths.count).squareRoot() + 1e-4)
        let angles = set.torsionAngles
        let trans = Double(angles.filter { abs($0) > 120 }.count) / Double(angles.count)
        let gplus = Double(angles.filter { $0 > 0 && $0 < 120 }.count) / Double(angles.count)
        let n = Double(angles.count)
        XCTAssertEqual(trans, 0.5, accuracy: 5 * (0.25 / n).squareRoot())
        XCTAssertEqual(gplus, 0.25, accuracy: 5 * (0.1875 / n).squareRoot())
        for f in 0..<set.count {
            for axis in 0..<3 {
                let s = (0..<8).reduce(Float(0)) { $0 + set.coordinates[f * 24 + 3 * $1 + axis] }
                XCTAssertEqual(s, 0, accuracy: 1e-4)
            }
        }
        XCTAssertEqual(ConformerStructure.torsionDistance(set, reference: set), 0)
        XCTAssertEqual(
            ConformerStructure.bondLengthError(set, reference: set), 0.016, accuracy: 0.003,
            "mean |N(0, 0.02²)| = 0.02·√(2/π) ≈ 0.016")
    }

    func testXYZRoundTripAndErrors() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let set = ChainMoleculeGenerator(atoms: 6).conformers(count: 12, using: &rng)
        let text = XYZLoader.encode(set)
        let back = try XYZLoader.parse(Array(text.utf8), name: "ok.xyz")
        XCTAssertEqual(back.count, 12)
        XCTAssertEqual(back.bonds, set.bonds, "bonds inferred from distances are the chain's")
        for (a, b) in zip(back.coordinates, set.coordinates) { XCTAssertEqual(a, b, accuracy: 2e-5) }
        let frame = "3\nc\nC 0 0 0\nC 1.5 0 0\nC 3 0 0\n"
        let ten = String(repeating: frame, count: 10)
        XCTAssertEqual(try XYZLoader.parse(Array(ten.utf8), name: "t").count, 10)
        assertThrows(try XYZLoader.parse(Array((ten + "x\n").utf8), name: "a.xyz"), ["a.xyz", "line 51", "atom count"])
        assertThrows(try XYZLoader.parse(Array((ten + "2\nc\nC 0 0 0\nC 1 0 0\n").utf8), name: "b.xyz"), ["b.xyz", "line 51", "frame 11 has 2 atoms"])
        assertThrows(try XYZLoader.parse(Array((ten + "3\nc\nC 0 0 0\nC 1 0\n").utf8), name: "c.xyz"), ["c.xyz", "line 54", "element x y z"])
        assertThrows(try XYZLoader.parse(Array((ten + "3\nc\nC 0 0 0\nXx 1 0 0\nC 3 0 0\n").utf8), name: "d.xyz"), ["d.xyz", "line 54", "unknown element 'Xx'"])
        assertThrows(try XYZLoader.parse(Array((ten + "3\nc\nC 0 0 0\n").utf8), name: "e.xyz"), ["e.xyz", "ends inside frame 11"])
        assertThrows(try XYZLoader.parse(Array((ten + "3\nc\nC 0 0 0\nC 1 0 nan\nC 3 0 0\n").utf8), name: "f.xyz"), ["f.xyz", "line 54", "coordinate 3"])
        assertThrows(try XYZLoader.parse(Array(frame.utf8), name: "g.xyz"), ["g.xyz", "1 frame", "at least 10"])
        // Regressions (issue 14; the first found by scripts/fuzz): an atom count of Int.max trapped
        // on overflow; CRLF and BOM files were refused.
        assertThrows(try XYZLoader.parse(Array("9223372036854775807".utf8), name: "max.xyz"), ["max.xyz", "ends inside frame 1"])
        let crlf = "\u{FEFF}" + ten.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(try XYZLoader.parse(Array(crlf.utf8), name: "crlf.xyz").count, 10)
    }

    // MARK: TrainingData

    func testConcatenateAndSubset() {
        var rng = Xoshiro256StarStar(seed: 6)
        let t = StoryGrammar().corpus(count: 5, using: &rng)
        XCTAssertEqual(TextCorpus.concatenating([t, t.subset([4, 0])]).stories, t.stories + [t.stories[4], t.stories[0]])
        let im = GlyphGenerator().images(count: 3, using: &rng)
        XCTAssertEqual(ImageSet.concatenating([im, im]).subset([4]).pixels, Array(im.pixels[784..<1568]))
        let cf = ChainMoleculeGenerator(atoms: 5).conformers(count: 3, using: &rng)
        XCTAssertEqual(
            ConformerSet.concatenating([cf, cf]).subset([5, 0]).coordinates,
            Array(cf.coordinates[30..<45]) + Array(cf.coordinates[0..<15]))
    }
}

/// Regression (found by scripts/fuzz, target corpus): "\r\r\n" collapsed into a "\r\n" Character
/// that splitting on "\n" did not cut, so a story kept a newline byte and TextCorpus trapped.
final class TextCorpusLineEndTests: XCTestCase {
    func testEveryLineEndingSplitsStories() throws {
        let text = (0..<12).map { "story \($0)" }.joined(separator: "\r\r\n") + "\r\n"
        let corpus = try TextCorpusLoader.parse(Array(text.utf8), name: "c.txt")
        XCTAssertEqual(corpus.count, 12)
        XCTAssertFalse(corpus.stories.contains { $0.contains(10) }, "no story holds a newline byte")
        let mixed = "a\nb\r\nc\rd\n" + (0..<10).map { "s\($0)" }.joined(separator: "\n")
        XCTAssertEqual(try TextCorpusLoader.parse(Array(mixed.utf8), name: "m.txt").count, 13, "a lone CR is not a line end")
    }
}
