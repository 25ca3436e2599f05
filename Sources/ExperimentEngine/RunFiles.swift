import CollapseExport
import Foundation

/// An output directory checked before any computation: it exists as a writable directory, or it
/// can be created (its nearest existing ancestor is a writable directory). Refusals are
/// `SpecError`s naming the flag.
public struct OutputDirectory: Sendable {
    public let url: URL

    public init(path: String, flag: String = "--output") throws {
        guard !path.isEmpty else { throw SpecError("\(flag): empty path; expected a directory path") }
        url = URL(fileURLWithPath: path).standardizedFileURL
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw SpecError("\(flag) \(path): exists and is not a directory; expected a directory (created if missing)")
            }
            guard access(url.path, W_OK) == 0 else { throw SpecError("\(flag) \(path): directory is not writable") }
            return
        }
        var ancestor = url.deletingLastPathComponent()
        while !fm.fileExists(atPath: ancestor.path, isDirectory: &isDir) && ancestor.path != "/" {
            ancestor = ancestor.deletingLastPathComponent()
        }
        guard isDir.boolValue else {
            throw SpecError("\(flag) \(path): cannot create it, because \(ancestor.path) is a file, not a directory")
        }
        guard access(ancestor.path, W_OK) == 0 else {
            throw SpecError("\(flag) \(path): cannot create it, because \(ancestor.path) is not writable")
        }
    }
}

/// Input text files (configs): read without blocking and without surprises.
public enum TextFile {
    /// The UTF-8 text of the regular file `path` named by `flag` (at most 16 MiB). A FIFO, socket
    /// or device is refused without waiting (O_NONBLOCK), as is a directory; refusals are
    /// `SpecError`s naming the flag and the file.
    public static func read(_ path: String, flag: String) throws -> String {
        let data: Data
        do { data = try RegularFile.read(path, limit: 16 << 20) } catch let e as RegularFile.Failure {
            if case .tooLarge = e { throw SpecError("\(flag) \(path): larger than 16 MiB; not a config file") }
            throw SpecError("\(flag) \(path): \(e.description)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw SpecError("\(flag) \(path): not UTF-8 text") }
        return text
    }
}

extension MemoryGuard {
    /// A memory size: bytes, or a number with K, M, G or T (powers of 1024; an optional trailing
    /// B or iB), e.g. `512M`, `4G`.
    public static func parseSize(_ text: String, flag: String) throws -> Double {
        var s = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count { s.removeLast(suffix.count); break }
        var scale = 1.0
        if let last = s.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            scale = pow(1024, Double(power))
            s.removeLast()
        }
        guard let v = Double(s), v.isFinite, v > 0 else {
            throw SpecError("\(flag): '\(text)' is not a memory size; expected a positive number of bytes or with K, M, G, T, e.g. 512M or 4G")
        }
        return v * scale
    }
}
