import CollapseCore
import Foundation
import Randomness

/// A problem with a user's data file: the file, the line (0: the whole file) and what is wrong.
public struct UserDataError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int = 0, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// A user's own real data. Per replicate its rows (points, or sequences) are shuffled by the
/// replicate's own stream and split: the first `test` rows are the held-out test set, the next
/// `T` the generation-1 training set, and the rest the held-back rows that `fresh-real` draws
/// each generation's fresh real points from (without replacement within a generation).
public enum UserData {
    /// Points from CSV text: one point per line, comma-separated finite numbers, every line
    /// with the same count; an optional header line (a first line that is not all numbers);
    /// blank lines and lines starting with `#` are skipped.
    public static func points(csv text: String, file: String) throws -> PointSet {
        var values: [Double] = []
        var dimension: Int?
        var first = true
        // Lines end in LF, CRLF or CR: "\r\n" is one Character, so splitting on "\n" alone would
        // leave CRLF files as one line.
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = fields.map { Double($0) }
            if first {
                first = false
                if numbers.allSatisfy({ $0 == nil }) { continue }  // a header
            }
            if let j = numbers.firstIndex(where: { $0 == nil }) {
                throw UserDataError(file: file, line: i + 1, message: "field \(j + 1) \(quoted(fields[j])) is not a number; expected comma-separated numbers")
            }
            if let j = numbers.firstIndex(where: { !$0!.isFinite }) {
                throw UserDataError(file: file, line: i + 1, message: "field \(j + 1) \(quoted(fields[j])) is not finite")
            }
            if let d = dimension, d != fields.count {
                throw UserDataError(file: file, line: i + 1, message: "has \(fields.count) fields, earlier lines have \(d)")
            }
            dimension = fields.count
            values += numbers.map { $0! }
        }
        guard let d = dimension else { throw UserDataError(file: file, message: "no data lines") }
        return PointSet(dimension: d, values: values)
    }

    /// `'field'` for a message, with control characters (line breaks, tabs, …) shown as
    /// `\u{…}` escapes and at most 40 characters kept, so a message is one line whatever the file holds.
    static func quoted(_ field: String) -> String {
        var out = ""
        for (k, scalar) in field.unicodeScalars.enumerated() {
            if k == 40 { out += "…"; break }
            out +=
                scalar.properties.generalCategory == .control || scalar.properties.isWhitespace && scalar != " "
                ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        return "'" + out + "'"
    }

    /// Token sequences from a plain-text corpus: tokens split on whitespace, ids in order of
    /// first appearance, cut into consecutive sequences of `length` tokens (a shorter tail is
    /// dropped). Returns the sequences and the vocabulary (`vocabulary[id]`).
    public static func corpus(_ text: String, length: Int, file: String) throws -> (TokenSequences, [String]) {
        precondition(length >= 1, "sequence length must be ≥ 1")
        var ids: [Substring: Int] = [:]
        var vocabulary: [String] = []
        var tokens: [Int] = []
        for token in text.split(whereSeparator: { $0.isWhitespace }) {
            if let id = ids[token] { tokens.append(id); continue }
            ids[token] = vocabulary.count
            tokens.append(vocabulary.count)
            vocabulary.append(String(token))
        }
        guard tokens.count >= length else {
            throw UserDataError(file: file, message: "has \(tokens.count) tokens, fewer than one sequence of \(length)")
        }
        let whole = tokens.count / length * length
        return (TokenSequences(length: length, tokens: tokens[0..<whole].map(Int32.init)), vocabulary)
    }

    /// One replicate's split of a user's rows: a uniformly random order from `rng`, then the
    /// first `testSize` rows as the test set, the next `samples` as the real training set, and
    /// the rest held back for fresh-real.
    public static func split<D: TrainingData, G: RandomNumberGenerator>(_ all: D, testSize: Int, samples: Int, using rng: inout G)
        -> (test: D, real: D, heldBack: D)
    {
        precondition(testSize + samples <= all.count, "split: \(testSize) + \(samples) rows of \(all.count)")
        let order = rng.sampleWithoutReplacement(count: all.count, from: all.count)
        return (
            all.subset(Array(order[0..<testSize])), all.subset(Array(order[testSize..<(testSize + samples)])),
            all.subset(Array(order[(testSize + samples)...]))
        )
    }

    /// A generation's fresh real rows: `min(samples, heldBack.count)` held-back rows drawn
    /// without replacement.
    public static func fresh<D: TrainingData, G: RandomNumberGenerator>(_ heldBack: D, samples: Int, using rng: inout G) -> D {
        heldBack.subset(rng.sampleWithoutReplacement(count: min(samples, heldBack.count), from: heldBack.count))
    }
}
