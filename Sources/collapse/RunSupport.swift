import ArgumentParser
import CollapseExport
import ExperimentEngine
import Foundation
import LinearCollapse

/// A run-time failure reported as `Error: …` with exit status 1 (no stack trace).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Options shared by the commands that sample.
struct RunOptions: ParsableArguments {
    @Option(
        name: .customLong("seed"), parsing: .unconditional,
        help:
            "Root seed in 0...2^64−1 (default: the seed of the config file, the named experiment or the family, where one is set; else one is drawn, printed and recorded in the manifest)."
    )
    var seed: String?

    @Option(name: .customLong("threads"), parsing: .unconditional, help: "Worker threads (default: all cores). Results do not depend on it.")
    var threads: Int?

    @Option(
        name: .customLong("max-memory"), parsing: .unconditional,
        help: "Refuse runs whose estimated working memory exceeds this (bytes, or with K/M/G/T, e.g. 4G).")
    var maxMemory: String?

    func parsedMaxMemory() throws -> Double? {
        try maxMemory.map { m in try usage { try MemoryGuard.parseSize(m, flag: "--max-memory") } }
    }

    func resolvedThreads() throws -> Int {
        let t = threads ?? ProcessInfo.processInfo.activeProcessorCount
        guard t >= 1 && t <= 1024 else {
            throw ValidationError("--threads: \(t) is out of range; expected an integer in 1...1024")
        }
        return t
    }

    func parsedSeed() throws -> UInt64? { try seed.map(Self.seed) }

    /// A `--seed` value: an integer in 0...2⁶⁴−1.
    static func seed(_ raw: String) throws -> UInt64 {
        guard let v = UInt64(raw) else {
            throw ValidationError("--seed: '\(raw)' is not an integer in 0...18446744073709551615")
        }
        return v
    }

    /// The seed to use; when none was given, `fallback` or a fresh one (`drawSeed`).
    func resolvedSeed(default fallback: UInt64? = nil) throws -> UInt64 {
        if let s = try parsedSeed() { return s }
        return fallback ?? Self.drawSeed()
    }

    /// A fresh seed, announced on stderr so that the run can be repeated.
    static func drawSeed() -> UInt64 {
        var g = SystemRandomNumberGenerator()
        let s = g.next()
        Console.note("seed: \(s) (pass --seed \(s) to reproduce this run)")
        return s
    }
}

enum Console {
    /// A line on stderr.
    static func note(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}

/// `--help` for a family's parameter flags (`ParameterFlags`). Each command keeps it in a
/// `static let parametersHelp`: ArgumentParser builds a command several times per parse, and
/// every build would make the parameter list and its text again.
func parameterHelp(
    _ parameters: [Parameter],
    abstract: String = "The model's parameters, each also a config-file key (with _ for -):"
) -> ArgumentHelp {
    ArgumentHelp(
        abstract,
        discussion: ParameterFlags.help(parameters), valueName: "--parameter value")
}

/// Shell completion of the parameter flags `parameters(words)` and their values (`ParameterCompletion`).
func parameterCompletion(_ parameters: @escaping @Sendable ([String]) -> [Parameter]) -> CompletionKind {
    .custom { words, index, prefix in ParameterCompletion.candidates(words: words, index: index, prefix: prefix, parameters: parameters(words)) }
}

/// The family parameters among the words the command's own options did not take (config key
/// → raw text).
func parameterFlags(_ words: [String], of parameters: [Parameter], owner: String = "here") throws -> [String: String] {
    try usage { try ParameterFlags.parse(words, parameters: parameters, owner: owner) }
}

/// The family parameters given on the command line (config key → raw text), those not given
/// left out.
func givenFlags(_ pairs: [(String, String?)]) -> [String: String] {
    Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
}

/// Runs `body`, reporting a library's `SpecError` (a value out of range) as a usage error:
/// `Error: …`, exit status 64.
func usage<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as SpecError { throw ValidationError(e.description) }
}
