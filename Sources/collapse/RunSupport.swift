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
    @Option(name: .customLong("seed"), parsing: .unconditional, help: "Root seed in 0...2^64−1 (default: the config's or named experiment's seed; else verify uses 1, reproduce 20240402, and the other commands draw one, print it and record it).")
    var seed: String?

    @Option(name: .customLong("threads"), parsing: .unconditional, help: "Worker threads (default: all cores). Results do not depend on it.")
    var threads: Int?

    @Option(name: .customLong("max-memory"), parsing: .unconditional,
            help: "Refuse runs whose estimated working memory exceeds this (bytes, or with K/M/G/T, e.g. 4G).")
    var maxMemory: String?

    func parsedMaxMemory() throws -> Double? {
        try maxMemory.map { try parseMemorySize($0, flag: "--max-memory") }
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

    /// Fails early (before computing) unless `path` is a directory, or can be created as one:
    /// its nearest existing ancestor must be a writable directory.
    init(path: String, flag: String = "--output") throws {
        guard !path.isEmpty else { throw ValidationError("\(flag): empty path; expected a directory path") }
        url = URL(fileURLWithPath: path).standardizedFileURL
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw ValidationError("\(flag) \(path): exists and is not a directory; expected a directory (created if missing)")
            }
            guard access(url.path, W_OK) == 0 else {
                throw ValidationError("\(flag) \(path): directory is not writable")
            }
            return
        }
        var ancestor = url.deletingLastPathComponent()
        while !fm.fileExists(atPath: ancestor.path, isDirectory: &isDir) && ancestor.path != "/" {
            ancestor = ancestor.deletingLastPathComponent()
        }
        guard isDir.boolValue else {
            throw ValidationError("\(flag) \(path): cannot create it, because \(ancestor.path) is a file, not a directory")
        }
        guard access(ancestor.path, W_OK) == 0 else {
            throw ValidationError("\(flag) \(path): cannot create it, because \(ancestor.path) is not writable")
        }
    }

    /// Refuses a directory holding anything but `owned` files (a previous run's outputs, which
    /// are replaced) unless `force`: a run never mixes its results with someone else's files.
    func checkContents(owned: [String], force: Bool, flag: String = "--output") throws {
        guard !force, let contents = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return }
        let foreign = contents.filter { !owned.contains($0) && !$0.hasPrefix(".") }.sorted()
        if !foreign.isEmpty {
            throw ValidationError("\(flag) \(url.path): not empty (holds \(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")); " +
                                  "choose another directory or pass --force to write there anyway")
        }
    }

    /// Creates the directory and writes `files` (name → text), each atomically.
    func write(_ files: [(String, String)]) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { "\($0)" } ?? String(cString: strerror(errno))
            throw CLIError("cannot create output directory \(url.path): \(reason)")
        }
        for (name, text) in files {
            try AtomicFile.write(text, to: url.appendingPathComponent(name))
        }
    }
}

/// Reads a UTF-8 text file named by `flag`, with a clear message when it cannot.
func readTextFile(_ path: String, flag: String) throws -> String {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; only regular files are read.
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
        throw ValidationError("\(flag) \(path): cannot read the file (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
        throw ValidationError("\(flag) \(path): cannot read the file (\(String(cString: strerror(errno))))")
    }
    switch st.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: throw ValidationError("\(flag) \(path): cannot read the file (it is a directory)")
    default: throw ValidationError("\(flag) \(path): not a regular file (a pipe, socket or device); give a file")
    }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 {
            if errno == EINTR { continue }
            throw ValidationError("\(flag) \(path): cannot read the file (\(String(cString: strerror(errno))))")
        }
        if n == 0 { break }
        data.append(buffer, count: n)
        if data.count > 16 << 20 { throw ValidationError("\(flag) \(path): larger than 16 MiB; not a config file") }
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw ValidationError("\(flag) \(path): not UTF-8 text")
    }
    return text
}

enum Console {
    /// A line on stderr.
    static func note(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}

/// Parses a memory size: bytes, or a number with K, M, G or T (powers of 1024; an optional
/// trailing B or iB).
func parseMemorySize(_ text: String, flag: String) throws -> Double {
    var s = text.trimmingCharacters(in: .whitespaces).uppercased()
    for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count { s.removeLast(suffix.count); break }
    var scale = 1.0
    if let last = s.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
        scale = pow(1024, Double(power))
        s.removeLast()
    }
    guard let v = Double(s), v.isFinite, v > 0 else {
        throw ValidationError("\(flag): '\(text)' is not a memory size; expected a positive number of bytes or with K, M, G, T, e.g. 512M or 4G")
    }
    return v * scale
}


import CollapseCore

/// Runs `body`, reporting a library's `SpecError` (a value out of range) as a usage error:
/// `Error: …`, exit status 64.
func usage<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as SpecError { throw ValidationError(e.description) }
}
