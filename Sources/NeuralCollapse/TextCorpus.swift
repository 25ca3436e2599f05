import CollapseCore
import CollapseExport
import Foundation
import Randomness

/// A corpus of stories, each a byte string without newlines. The language model reads the
/// corpus as one byte stream with `\n` after every story.
public struct TextCorpus: TrainingData, Equatable, Sendable {
    public var stories: [[UInt8]]

    public init(stories: [[UInt8]]) {
        precondition(stories.allSatisfy { !$0.contains(TextCorpus.separator) }, "TextCorpus: a story contains a newline")
        self.stories = stories
    }

    public static let separator: UInt8 = 10  // "\n"

    public var count: Int { stories.count }

    public static func concatenating(_ parts: [TextCorpus]) -> TextCorpus {
        TextCorpus(stories: parts.flatMap(\.stories))
    }

    public func subset(_ indices: [Int]) -> TextCorpus {
        TextCorpus(stories: indices.map { stories[$0] })
    }

    /// The training stream: every story followed by `\n`.
    public var stream: [UInt8] {
        var s: [UInt8] = []
        s.reserveCapacity(stories.reduce(0) { $0 + $1.count + 1 })
        for story in stories { s += story; s.append(Self.separator) }
        return s
    }

    public var text: String { stories.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") }

    public var meanLength: Double {
        stories.isEmpty ? 0 : Double(stories.reduce(0) { $0 + $1.count }) / Double(stories.count)
    }
}

/// Simple stories from a stochastic grammar with agreement (a named child keeps its pronoun
/// and its toy through the story), in the spirit of TinyStories but generated, not downloaded.
///
///     story    → opening middle{1,3} ending
///     opening  → "NAME had a ADJ TOY." | "Once there was a child called NAME." | "NAME went to the PLACE."
///     middle   → "PRON liked the TOY very much." | "One day PRON saw a ADJ ANIMAL." | …
///     ending   → "NAME was FEELING." | "They went home." | "The end."
///
/// Stories longer than `maxLength` bytes are redrawn, so every story fits the model's context.
public struct StoryGrammar: Sendable {
    public var maxLength: Int

    public init(maxLength: Int = 127) {
        precondition(maxLength >= 60, "StoryGrammar: maxLength must be ≥ 60")
        self.maxLength = maxLength
    }

    static let girls = ["Lily", "Mia", "Anna", "Zoe", "Sue"]
    static let boys = ["Tom", "Ben", "Sam", "Max", "Tim"]
    static let toys = ["ball", "kite", "book", "hat", "boat", "drum"]
    static let animals = ["dog", "cat", "bird", "frog", "fish"]
    static let adjectives = ["red", "big", "little", "blue", "old", "shiny"]
    static let places = ["park", "garden", "beach", "forest", "shop"]
    static let feelings = ["happy", "sad", "tired", "glad"]

    public func corpus<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> TextCorpus {
        TextCorpus(stories: (0..<count).map { _ in Array(story(using: &rng).utf8) })
    }

    public func story<G: RandomNumberGenerator>(using rng: inout G) -> String {
        while true {
            let s = draw(&rng)
            if s.utf8.count <= maxLength { return s }
        }
    }

    private func draw<G: RandomNumberGenerator>(_ rng: inout G) -> String {
        func pick(_ xs: [String]) -> String { xs[rng.nextIndex(below: xs.count)] }
        let girl = rng.nextIndex(below: 2) == 0
        let name = pick(girl ? Self.girls : Self.boys)
        let pron = girl ? "she" : "he", capitalPron = girl ? "She" : "He", poss = girl ? "her" : "his"
        let toy = pick(Self.toys), adj = pick(Self.adjectives), place = pick(Self.places)
        var sentences: [String] = []
        switch rng.nextIndex(below: 3) {
        case 0: sentences.append("\(name) had a \(adj) \(toy).")
        case 1: sentences.append("Once there was a child called \(name).")
        default: sentences.append("\(name) went to the \(place).")
        }
        for _ in 0...rng.nextIndex(below: 3) {
            switch rng.nextIndex(below: 5) {
            case 0: sentences.append("\(capitalPron) liked the \(toy) very much.")
            case 1: sentences.append("One day \(pron) saw a \(pick(Self.adjectives)) \(pick(Self.animals)).")
            case 2: sentences.append("\(name) played with \(poss) \(toy) in the \(place).")
            case 3: sentences.append("The \(pick(Self.animals)) ran to the \(place).")
            default: sentences.append("\(capitalPron) lost \(poss) \(toy) and looked for it.")
            }
        }
        switch rng.nextIndex(below: 3) {
        case 0: sentences.append("\(name) was \(pick(Self.feelings)).")
        case 1: sentences.append("They went home.")
        default: sentences.append("The end.")
        }
        return sentences.joined(separator: " ")
    }
}

/// A data file that cannot be used, with the file and the position of the problem.
public struct NeuralDataError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads raw bytes of a data file with a clear message when it cannot.
enum DataFile {
    static func read(_ path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw NeuralDataError("\(path): no such file")
        }
        guard !isDir.boolValue else { throw NeuralDataError("\(path): is a directory, expected a file") }
        let data: Data
        do { data = try RegularFile.read(url.path, limit: limit) } catch let e as RegularFile.Failure {
            if case .tooLarge = e { throw NeuralDataError("\(path): larger than \(limit >> 20) MiB") }
            throw NeuralDataError("\(path): \(e.description)")
        }
        return [UInt8](data)
    }
}

/// A plain-text corpus: one story per line, or — when the file has blank lines — stories
/// separated by blank lines (the lines of one story are joined with a space).
public enum TextCorpusLoader {
    public static func load(path: String) throws -> TextCorpus {
        try parse(DataFile.read(path, limit: 256 << 20), name: path)
    }

    public static func parse(_ bytes: [UInt8], name: String) throws -> TextCorpus {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            // Find the first invalid byte for the message.
            var offset = 0
            var it = bytes.makeIterator()
            var decoder = UTF8()
            loop: while true {
                switch decoder.decode(&it) {
                case .scalarValue(let s): offset += String(s).utf8.count
                case .emptyInput: break loop
                case .error: break loop
                }
            }
            throw NeuralDataError("\(name): byte \(offset + 1): not valid UTF-8 text; expected a plain-text corpus")
        }
        if let i = bytes.firstIndex(of: 0) {
            throw NeuralDataError("\(name): byte \(i + 1): NUL byte; expected a plain-text corpus")
        }
        // Lines end in LF or CRLF. Split on the scalar, not the Character: Swift joins "\r\n" into one
        // Character, so "\r\r\n" left a line holding a newline byte (found by libFuzzer; the
        // story then broke TextCorpus's no-newline invariant).
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { scalars -> String in
            var line = String(String.UnicodeScalarView(scalars))
            if line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
            return line.trimmingCharacters(in: .whitespaces)
        }
        // Blank-separated when a blank line lies between two non-blank ones.
        let blankSeparated: Bool = {
            guard let f = lines.firstIndex(where: { !$0.isEmpty }), let l = lines.lastIndex(where: { !$0.isEmpty }) else { return false }
            return lines[f...l].contains(where: \.isEmpty)
        }()
        var stories: [String] = []
        if blankSeparated {
            var current: [String] = []
            for line in lines {
                if line.isEmpty {
                    if !current.isEmpty { stories.append(current.joined(separator: " ")); current = [] }
                } else {
                    current.append(line)
                }
            }
            if !current.isEmpty { stories.append(current.joined(separator: " ")) }
        } else {
            stories = lines.filter { !$0.isEmpty }
        }
        guard stories.count >= 10 else {
            throw NeuralDataError(
                "\(name): \(stories.count) stor\(stories.count == 1 ? "y" : "ies") found; expected at least 10 (one per line, or separated by blank lines)")
        }
        return TextCorpus(stories: stories.map { Array($0.utf8) })
    }
}
