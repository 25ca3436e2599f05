import CollapseCore
import CollapseExport
import Foundation
import Randomness

/// Training data a neural run can keep a small sample of, as one file per generation: the
/// language model's stories as UTF-8 lines, the VAE's images as a PNG grid, the DDPM's
/// conformers as multi-frame XYZ.
public protocol NeuralSampleData: TrainingData {
    /// How many items a sample holds.
    static var sampleCount: Int { get }
    /// The sample file's extension (`txt`, `png`, `xyz`).
    static var sampleExtension: String { get }
    /// The bytes of the sample file of these items.
    func sampleFile() -> Data
}

extension TextCorpus: NeuralSampleData {
    public static var sampleCount: Int { 8 }
    public static var sampleExtension: String { "txt" }
    /// One story a line, as UTF-8 text with control bytes (below 0x20, and 0x7F), bytes that
    /// are not UTF-8 and the backslash escaped (`\x0D`, `\xFF`, `\\`), so each line is the story's
    /// bytes exactly and prints as one line.
    public func sampleFile() -> Data { Data(stories.map { Self.escaped($0) + "\n" }.joined().utf8) }

    public static func escaped(_ bytes: [UInt8]) -> String {
        var out = "", parser = Unicode.UTF8.ForwardParser(), input = bytes.makeIterator()
        func hex(_ b: UInt8) -> String { "\\x" + String(format: "%02X", b) }
        var offset = 0
        while true {
            switch parser.parseScalar(from: &input) {
            case let .valid(encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += hex(UInt8(scalar.value))
                } else if scalar == "\\" {
                    out += "\\\\"
                } else {
                    out.unicodeScalars.append(scalar)
                }
                offset += encoded.count
            case let .error(length):
                for b in bytes[offset..<(offset + length)] { out += hex(b) }
                offset += length
            case .emptyInput:
                return out
            }
        }
    }
}

extension ImageSet: NeuralSampleData {
    public static var sampleCount: Int { 16 }
    public static var sampleExtension: String { "png" }
    /// An 8-bit grayscale PNG of the images in a grid, four across, with 2-pixel mid-grey gaps
    /// and border (intensities clamped to [0, 1], NaN as 0, 1 → 255).
    public func sampleFile() -> Data {
        let (grid, gap) = (Self.grid(count), 2)
        let w = grid.columns * (width + gap) + gap, h = grid.rows * (height + gap) + gap
        var out = [UInt8](repeating: 128, count: w * h)
        for i in 0..<count {
            let x0 = gap + (i % grid.columns) * (width + gap), y0 = gap + (i / grid.columns) * (height + gap)
            for y in 0..<height {
                for x in 0..<width {
                    let p = pixels[i * dimension + y * width + x]
                    out[(y0 + y) * w + x0 + x] = p.isNaN ? 0 : UInt8((min(max(p, 0), 1) * 255).rounded())
                }
            }
        }
        return PNG.grayscale(width: w, height: h, pixels: out)
    }

    /// Four columns (fewer for fewer images), as many rows as needed (at least one).
    public static func grid(_ count: Int) -> (columns: Int, rows: Int) {
        let columns = max(1, min(4, count))
        return (columns, max(1, (count + columns - 1) / columns))
    }
}

extension ConformerSet: NeuralSampleData {
    public static var sampleCount: Int { 4 }
    public static var sampleExtension: String { "xyz" }
    /// Multi-frame XYZ (`XYZLoader.encode`, 5 decimals), which `--data` reads back.
    public func sampleFile() -> Data { Data(XYZLoader.encode(self).utf8) }
}

/// The samples a neural run keeps: after every generation's fit, `sampleCount` items drawn from
/// that generation's model with the stream `(seed, [neuralSamples, generation])`, apart from the
/// chain's streams, so keeping samples changes no result, and the file of generation n is the
/// same for every regime that shares the model (generation 1) and for any `--threads`.
public enum NeuralSamples {
    /// `generation-NNN.EXT` (three digits: generations are at most 100).
    public static func fileName<D: NeuralSampleData>(generation: Int, of _: D.Type) -> String {
        String(format: "generation-%03d.", generation) + D.sampleExtension
    }

    /// The sample of `model` at `generation` (nil when a cancellation request cut the draw short).
    public static func draw<M: NeuralGenerativeModel>(_ model: M, generation: Int, seed: UInt64) throws -> M.Data?
    where M.Data: NeuralSampleData {
        var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.neuralSamples, UInt64(generation)])
        var copy = model
        let data = try copy.sample(count: M.Data.sampleCount, using: &rng)
        return NeuralCancellation.isRequested ? nil : data
    }

    /// Writes `model`'s sample at `generation` to `directory` atomically (creating the
    /// directory); throws `NeuralInterrupted` when a cancellation request cut the draw short.
    public static func write<M: NeuralGenerativeModel>(_ model: M, generation: Int, seed: UInt64, to directory: URL) throws
    where M.Data: NeuralSampleData {
        guard let data = try draw(model, generation: generation, seed: seed) else { throw NeuralInterrupted() }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try AtomicFile.write(data.sampleFile(), to: directory.appendingPathComponent(fileName(generation: generation, of: M.Data.self)))
    }

    /// The directory of a cell's samples under the run's samples directory: the regime's name,
    /// then `-KEY-VALUE` for each other swept axis (so cells never share a directory).
    public static func cellDirectory(regime: String, axes: [(key: String, value: String)]) -> String {
        ([regime] + axes.flatMap { [$0.key, $0.value] }).joined(separator: "-")
            .map { $0.isLetter || $0.isNumber || "-_.+".contains($0) ? String($0) : "_" }.joined()
    }

    /// Removes temporary files a killed write left in `directory` (`AtomicFile` names them
    /// `.NAME.tmp-PID`).
    static func removeStaleTemporaries(in directory: URL) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            try? fm.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
