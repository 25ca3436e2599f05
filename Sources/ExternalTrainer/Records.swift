import CollapseCore
import CollapseExport
import Foundation

/// How a data file is cut into records (docs/trainer-protocol.md, "Record formats"). Records are
/// opaque: the toolkit only counts them and refers to them by 0-based index.
public enum RecordFormat: Equatable, Sendable, CustomStringConvertible {
    /// One line of text per record (the last line's `\n` may be missing).
    case lines
    /// One JSON value per line (JSON Lines); counted as `lines`.
    case jsonl
    /// Fixed-size records of this many bytes, no header.
    case binary(Int)

    /// Parses `lines`, `jsonl` or `binary:N` (N ≥ 1).
    public init?(_ text: String) {
        switch text {
        case "lines": self = .lines
        case "jsonl": self = .jsonl
        default:
            guard text.hasPrefix("binary:"), let n = Int(text.dropFirst("binary:".count)), n >= 1 else { return nil }
            self = .binary(n)
        }
    }

    public var description: String {
        switch self {
        case .lines: return "lines"
        case .jsonl: return "jsonl"
        case let .binary(n): return "binary:\(n)"
        }
    }

    /// What the formats look like, for messages.
    public static let allowed = "lines, jsonl or binary:N (N-byte records)"

    /// The file extension of sample files in this format.
    public var fileExtension: String {
        switch self {
        case .lines: return "txt"
        case .jsonl: return "jsonl"
        case .binary: return "bin"
        }
    }

    /// The number of records in the regular file at `path`, read in blocks without loading it.
    /// Throws `RecordError` naming the file when it cannot be read, or when a binary file's size
    /// is not a whole number of records.
    public func count(file path: String) throws -> Int {
        switch self {
        case let .binary(size):
            let bytes = try RegularFile.size(path)
            guard bytes % size == 0 else {
                throw RecordError("\(path): \(bytes) bytes is not a whole number of \(size)-byte records (format \(self))")
            }
            return bytes / size
        case .lines, .jsonl:
            var lines = 0
            var last: UInt8 = 10
            try RegularFile.forEachBlock(path) { block in
                for b in block where b == 10 { lines += 1 }
                if let l = block.last { last = l }
            }
            return lines + (last == 10 ? 0 : 1)
        }
    }
}

/// A problem with a data file or a sample file.
public struct RecordError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// A training set of file-backed records, by reference: the concatenation of `parts`, part `i`
/// being the records `start ..< start + count` of the file at `path`. Stacking and
/// subsampling (what the scheduler does for accumulate and accumulate-subsample) only rewrite
/// references, so accumulating generations copies no data.
public struct RecordSet: TrainingData, Equatable, Sendable {
    public struct Part: Equatable, Sendable {
        public var path: String
        public var start: Int
        public var count: Int
        public init(path: String, start: Int, count: Int) {
            self.path = path
            self.start = start
            self.count = count
        }
    }

    public private(set) var parts: [Part]
    public let count: Int

    /// `parts` with adjacent runs of one file merged and empty parts dropped.
    public init(parts: [Part]) {
        var merged: [Part] = []
        for p in parts where p.count > 0 {
            if let last = merged.last, last.path == p.path, last.start + last.count == p.start {
                merged[merged.count - 1].count += p.count
            } else {
                merged.append(p)
            }
        }
        self.parts = merged
        count = merged.reduce(0) { $0 + $1.count }
    }

    /// Records `0 ..< count` of the file at `path`.
    public init(file path: String, count: Int) { self.init(parts: [Part(path: path, start: 0, count: count)]) }

    public static func concatenating(_ sets: [RecordSet]) -> RecordSet { RecordSet(parts: sets.flatMap(\.parts)) }

    /// The records at `indices` (of this set), in that order.
    public func subset(_ indices: [Int]) -> RecordSet {
        var offsets: [Int] = []  // offsets[i]: index of parts[i]'s first record in this set
        var total = 0
        for p in parts { offsets.append(total); total += p.count }
        var out: [Part] = []
        out.reserveCapacity(indices.count)
        for i in indices {
            precondition(i >= 0 && i < count, "record index \(i) out of range 0..<\(count)")
            // The last part whose offset is ≤ i.
            var lo = 0, hi = parts.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if offsets[mid] <= i { lo = mid } else { hi = mid - 1 }
            }
            out.append(Part(path: parts[lo].path, start: parts[lo].start + (i - offsets[lo]), count: 1))
        }
        return RecordSet(parts: out)
    }

    /// The `TRAIN.json` of the protocol: `{"protocol": 1, "format": …, "records": N, "parts": […]}`,
    /// one part per line (deterministic bytes: it is part of the fit step's key).
    public func trainingFile(format: RecordFormat) -> String {
        func quoted(_ s: String) -> String { JSONValue.string(s).rendered() }
        let lines = parts.map { "    {\"path\": \(quoted($0.path)), \"start\": \($0.start), \"count\": \($0.count)}" }
        return "{\n  \"protocol\": 1,\n  \"format\": \(quoted(format.description)),\n  \"records\": \(count),\n  \"parts\": [\n"
            + lines.joined(separator: ",\n") + "\n  ]\n}\n"
    }
}
