import Foundation

/// PyTorch's times for the steps that `collapse neural bench` measures, read from what
/// `scripts/torch-anchor.py` prints (one tab-separated line per measurement; the earlier external
/// `torch_bench.py cpu` printed the same shape and is still read).
///
/// A measurement line is `name⇥device⇥…⇥T ms…`: the name's first word is the key
/// (`sgemm 512^3` keeps its size: `sgemm 512^3`; `vae-small (784-256-…)` becomes `vae-small`),
/// the device must be `cpu`, and the first field of the form `<number> ms` or
/// `<number> ms/step` is the median time. Other lines (the `torch 2.x cuda=…` header, GPU
/// lines, blank lines) are skipped; the first CPU line of a key wins (torch_bench.py printed the
/// fp32, uncompiled language-model step first).
///
/// The ratio reported is `PyTorch ms / collapse ms`: above 1, collapse is faster.
public struct TorchAnchor: Sendable, Equatable {
    /// The `torch …` header line, when present.
    public var version: String?
    /// Median milliseconds per step (per product for sgemm) by key.
    public var milliseconds: [String: Double]

    public init(version: String?, milliseconds: [String: Double]) {
        self.version = version
        self.milliseconds = milliseconds
    }

    /// Why an anchor file was refused.
    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Reads the anchor file at `path`.
    public static func load(path: String) throws -> TorchAnchor {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw FormatError(reason)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw FormatError("not UTF-8 text") }
        return try parse(text)
    }

    /// Parses the printed output of `scripts/torch-anchor.py` (or of `torch_bench.py`).
    public static func parse(_ text: String) throws -> TorchAnchor {
        var anchor = TorchAnchor(version: nil, milliseconds: [:])
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count == 1, fields[0].hasPrefix("torch ") { anchor.version = fields[0]; continue }
            guard fields.count >= 3, fields[1] == "cpu" else { continue }
            let key = Self.key(fields[0])
            guard let ms = fields.dropFirst(2).lazy.compactMap(Self.milliseconds).first else {
                throw FormatError("line \(index + 1): no '<number> ms' field in '\(line)'")
            }
            guard ms.isFinite && ms > 0 else { throw FormatError("line \(index + 1): time \(ms) ms is not positive") }
            if anchor.milliseconds[key] == nil { anchor.milliseconds[key] = ms }
        }
        guard !anchor.milliseconds.isEmpty else {
            throw FormatError("no CPU measurement lines ('name<TAB>cpu<TAB>…<TAB>T ms', as scripts/torch-anchor.py prints)")
        }
        return anchor
    }

    /// `sgemm 512^3` stays whole; otherwise the name's first word (`lm-small`).
    static func key(_ name: String) -> String {
        name.hasPrefix("sgemm ") ? name : String(name.split(separator: " ").first ?? Substring(name))
    }

    /// `12.5 ms` or `12.5 ms/step` → 12.5.
    static func milliseconds(_ field: String) -> Double? {
        let parts = field.split(separator: " ")
        guard parts.count == 2, parts[1] == "ms" || parts[1] == "ms/step" else { return nil }
        return Double(parts[0])
    }

    /// The anchor's key for a bench measurement (`NeuralThroughput.Measurement.key`).
    public func milliseconds(for key: String) -> Double? { milliseconds[key] }
}
