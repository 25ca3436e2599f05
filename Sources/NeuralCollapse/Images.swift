import CollapseCore
import Foundation
import Randomness

/// Grayscale images with intensities in [0, 1], stored row-major, one image per row.
public struct ImageSet: TrainingData, Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 1 && height >= 1 && pixels.count % (width * height) == 0, "ImageSet: bad sizes")
        self.width = width; self.height = height; self.pixels = pixels
    }

    public var dimension: Int { width * height }
    public var count: Int { pixels.count / dimension }

    public static func concatenating(_ parts: [ImageSet]) -> ImageSet {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.width == parts[0].width && $0.height == parts[0].height })
        return ImageSet(width: parts[0].width, height: parts[0].height, pixels: parts.flatMap(\.pixels))
    }

    public func subset(_ indices: [Int]) -> ImageSet {
        let d = dimension
        var out = [Float](); out.reserveCapacity(indices.count * d)
        for i in indices { out += pixels[(i * d)..<((i + 1) * d)] }
        return ImageSet(width: width, height: height, pixels: out)
    }

    public var meanPixel: Double { pixels.isEmpty ? 0 : pixels.reduce(0.0) { $0 + Double($1) } / Double(pixels.count) }
}

/// Digit-like glyphs, 28 × 28: one of ten stroke skeletons (polylines in the unit square),
/// drawn with a random stroke width, slant (shear), scale, offset and per-vertex jitter, and
/// rendered anti-aliased (intensity falls linearly from 1 to 0 over one pixel at the edge of
/// the stroke). A stand-in for MNIST that needs no download.
public struct GlyphGenerator: Sendable {
    public static let size = 28

    static func circle(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double, from a0: Double = 0, to a1: Double = 2 * .pi, points: Int = 14) -> [(
        Double, Double
    )] {
        (0...points).map { i in
            let a = a0 + (a1 - a0) * Double(i) / Double(points); return (cx + rx * sin(a), cy - ry * cos(a))
        }
    }

    /// Stroke skeletons of the digits 0–9 (x right, y down).
    static let skeletons: [[[(Double, Double)]]] = [
        [circle(0.5, 0.5, 0.24, 0.36)],
        [[(0.36, 0.26), (0.52, 0.12), (0.52, 0.88)]],
        [[(0.27, 0.3), (0.36, 0.15), (0.55, 0.11), (0.71, 0.22), (0.69, 0.4), (0.26, 0.88), (0.78, 0.88)]],
        [[(0.26, 0.16), (0.7, 0.14), (0.45, 0.45), (0.68, 0.58), (0.68, 0.8), (0.47, 0.9), (0.25, 0.83)]],
        [[(0.64, 0.88), (0.64, 0.12), (0.2, 0.64), (0.8, 0.64)]],
        [[(0.74, 0.12), (0.32, 0.12), (0.29, 0.45), (0.55, 0.4), (0.72, 0.55), (0.7, 0.8), (0.5, 0.9), (0.26, 0.84)]],
        [[(0.68, 0.12), (0.45, 0.22), (0.31, 0.45), (0.3, 0.74), (0.48, 0.9), (0.68, 0.78), (0.68, 0.58), (0.47, 0.5), (0.31, 0.6)]],
        [[(0.22, 0.12), (0.78, 0.12), (0.44, 0.88)]],
        [circle(0.5, 0.3, 0.17, 0.18), circle(0.5, 0.7, 0.21, 0.2)],
        [circle(0.5, 0.32, 0.2, 0.2), [(0.7, 0.34), (0.6, 0.88)]]
    ]

    public init() {}

    public func images<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> ImageSet {
        var pixels: [Float] = []
        pixels.reserveCapacity(count * Self.size * Self.size)
        for _ in 0..<count { pixels += glyph(digit: rng.nextIndex(below: 10), using: &rng) }
        return ImageSet(width: Self.size, height: Self.size, pixels: pixels)
    }

    public func glyph<G: RandomNumberGenerator>(digit: Int, using rng: inout G) -> [Float] {
        func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * rng.nextUniform() }
        let width = uniform(0.04, 0.085), slant = uniform(-0.3, 0.3), scale = uniform(0.78, 1.0)
        let dx = uniform(-0.07, 0.07), dy = uniform(-0.06, 0.06)
        let strokes = Self.skeletons[digit].map { stroke in
            stroke.map { p -> (Double, Double) in
                let jx = 0.012 * Normal.next(using: &rng), jy = 0.012 * Normal.next(using: &rng)
                let x = 0.5 + scale * (p.0 - 0.5 + slant * (0.5 - p.1)) + dx + jx
                let y = 0.5 + scale * (p.1 - 0.5) + dy + jy
                return (x, y)
            }
        }
        let n = Self.size, pixel = 1 / Double(n)
        var out = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                let px = (Double(j) + 0.5) * pixel, py = (Double(i) + 0.5) * pixel
                var d = Double.infinity
                for s in strokes { for k in 1..<s.count { d = min(d, Self.segmentDistance(px, py, s[k - 1], s[k])) } }
                out[i * n + j] = Float(min(1, max(0, (width - d) / pixel + 0.5)))
            }
        }
        return out
    }

    static func segmentDistance(_ x: Double, _ y: Double, _ a: (Double, Double), _ b: (Double, Double)) -> Double {
        let vx = b.0 - a.0, vy = b.1 - a.1, wx = x - a.0, wy = y - a.1
        let len2 = vx * vx + vy * vy
        let t = len2 > 0 ? min(1, max(0, (wx * vx + wy * vy) / len2)) : 0
        let ex = wx - t * vx, ey = wy - t * vy
        return (ex * ex + ey * ey).squareRoot()
    }
}

/// MNIST's IDX image files: big-endian header `00 00 08 03`, then the image count, rows and
/// columns (UInt32 each), then `count·rows·cols` unsigned bytes (0 = background), row-major.
/// Intensities are scaled to [0, 1].
public enum IDXLoader {
    public static func load(path: String) throws -> ImageSet {
        try parse(DataFile.read(path), name: path)
    }

    public static func parse(_ bytes: [UInt8], name: String) throws -> ImageSet {
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            throw NeuralDataError("\(name): byte 1: gzip-compressed; decompress it first (gunzip) to the raw IDX file")
        }
        guard bytes.count >= 4 else {
            throw NeuralDataError("\(name): byte \(bytes.count + 1): file ends inside the 16-byte IDX header")
        }
        func u32(_ o: Int) -> Int { Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]) }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw NeuralDataError("\(name): byte 1: magic number starts \(hex(bytes[0])) \(hex(bytes[1])), expected 00 00 (an IDX file)")
        }
        guard bytes[2] == 0x08 else {
            throw NeuralDataError("\(name): byte 3: element type \(hex(bytes[2])), expected 08 (unsigned bytes, as in MNIST images)")
        }
        guard bytes[3] == 3 else {
            throw NeuralDataError("\(name): byte 4: \(bytes[3]) dimension(s), expected 3 (images × rows × columns; a labels file has 1)")
        }
        guard bytes.count >= 16 else {
            throw NeuralDataError("\(name): byte \(bytes.count + 1): file ends inside the 16-byte IDX header")
        }
        let count = u32(4), rows = u32(8), cols = u32(12)
        guard count >= 1 else { throw NeuralDataError("\(name): byte 5: the header says 0 images") }
        guard rows == 28 && cols == 28 else {
            throw NeuralDataError("\(name): byte 9: images are \(rows)×\(cols), expected 28×28")
        }
        let expected = 16 + count * rows * cols
        guard bytes.count >= expected else {
            let image = (bytes.count - 16) / (rows * cols) + 1
            throw NeuralDataError("\(name): byte \(bytes.count + 1): file ends inside image \(image) of \(count) (the header promises \(expected) bytes)")
        }
        guard bytes.count == expected else {
            throw NeuralDataError("\(name): byte \(expected + 1): \(bytes.count - expected) unexpected trailing byte(s) after \(count) images")
        }
        return ImageSet(width: cols, height: rows, pixels: bytes[16...].map { Float($0) / 255 })
    }

    /// The IDX encoding of `images` (intensities rounded to bytes).
    public static func encode(_ images: ImageSet) -> [UInt8] {
        func be(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        return [0, 0, 8, 3] + be(images.count) + be(images.height) + be(images.width)
            + images.pixels.map { UInt8((min(1, max(0, $0)) * 255).rounded()) }
    }

    static func hex(_ b: UInt8) -> String { String(format: "%02x", b) }
}
