import ArgumentParser
import CollapseExport
import Foundation
import LinearCollapse

/// A run-time failure reported as `Error: …` with exit status 1 (no stack trace).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Options shared by the commands that sample.
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("seed"), help: "Root seed in 0...2^64−1. Default: simulate draws one (printed and recorded), verify uses 1, reproduce 20240402.")
    var seed: String?

    @Option(name: .customLong("threads"), help: "Worker threads (default: all cores). Results do not depend on it.")
    var threads: Int?

    func resolvedThreads() throws -> Int {
        let t = threads ?? ProcessInfo.processInfo.activeProcessorCount
        guard t >= 1 && t <= 1024 else {
            throw ValidationError("--threads: \(t) is out of range; expected an integer in 1...1024")
        }
        return t
    }

    func parsedSeed() throws -> UInt64? {
        guard let seed else { return nil }
        guard let v = UInt64(seed) else {
            throw ValidationError("--seed: '\(seed)' is not an integer in 0...18446744073709551615")
        }
        return v
    }

    /// The seed to use; when none was given, a fresh one, announced on stderr.
    func resolvedSeed(default fallback: UInt64? = nil) throws -> UInt64 {
        if let s = try parsedSeed() { return s }
        if let fallback { return fallback }
        var g = SystemRandomNumberGenerator()
        let s = g.next()
        Console.note("seed: \(s) (pass --seed \(s) to reproduce this run)")
        return s
    }
}

/// Output directory handling: checked before any computation, written atomically after.
struct OutputDirectory {
    let url: URL

    /// Fails early (before computing) if `path` exists and is not a directory.
    init(path: String, flag: String = "--output") throws {
        guard !path.isEmpty else { throw ValidationError("\(flag): empty path; expected a directory path") }
        url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue {
            throw ValidationError("\(flag) \(path): exists and is not a directory; expected a directory (created if missing)")
        }
    }

    /// Creates the directory and writes `files` (name → text), each atomically.
    func write(_ files: [(String, String)]) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create output directory \(url.path): \(error.localizedDescription)")
        }
        for (name, text) in files {
            try AtomicFile.write(text, to: url.appendingPathComponent(name))
        }
    }
}

enum Console {
    /// A line on stderr.
    static func note(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}

/// Runs every cell and returns the rows in grid order.
func runGrid(cells: [LinearCell], settings: MonteCarloSettings) throws -> [GenerationSummary] {
    var rows: [GenerationSummary] = []
    for cell in cells {
        do {
            rows += try MonteCarlo.run(cell: cell, settings: settings)
        } catch {
            throw CLIError("numerical failure at \(cell): \(error)")
        }
    }
    return rows
}

/// The manifest's view of a regime list.
func regimeJSON(_ regimes: [Regime]) -> JSONValue {
    .array(regimes.map { r in
        if let f = r.realFraction { return .object([("name", .string(r.name)), ("real_fraction", .double(f))]) }
        return .string(r.name)
    })
}

/// The largest |z| among rows, per statistic.
func maxAbsZ(_ rows: [GenerationSummary]) -> (designAveraged: Double?, givenDesign: Double?) {
    let a = rows.compactMap(\.zScore).map(abs).max()
    let g = rows.compactMap(\.zGivenDesign).map(abs).max()
    return (a, g)
}

import CollapseCore
