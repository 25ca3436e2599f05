import Foundation

/// Reading input files without surprises: only regular files, opened without blocking (a FIFO
/// must not wait for a writer), with a size limit checked while reading.
public enum RegularFile {
    /// Why a file could not be read.
    public enum Failure: Error, CustomStringConvertible {
        /// `open`/`fstat`/`read` failed: strerror's text.
        case system(String)
        case directory
        /// A pipe, socket or device.
        case notRegular
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case let .system(reason): return "cannot read the file (\(reason))"
            case .directory: return "cannot read the file (it is a directory)"
            case .notRegular: return "not a regular file (a pipe, socket or device); give a file"
            case let .tooLarge(limit): return "larger than \(limit >> 20) MiB"
            }
        }
    }

    /// The bytes of the regular file at `path` (at most `limit` bytes).
    public static func read(_ path: String, limit: Int = Int.max) throws -> Data {
        var data = Data()
        try forEachBlock(path) { block in
            data.append(contentsOf: block)
            if data.count > limit { throw Failure.tooLarge(limit: limit) }
        }
        return data
    }

    /// Calls `body` with each successive block (at most 64 KiB) of the regular file at `path`,
    /// without loading the file.
    public static func forEachBlock(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let fd = try openRegular(path)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Foundation.read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure.system(String(cString: strerror(errno)))
            }
            if n == 0 { break }
            try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// The size in bytes of the regular file at `path`.
    public static func size(_ path: String) throws -> Int {
        let fd = try openRegular(path)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure.system(String(cString: strerror(errno))) }
        return Int(st.st_size)
    }

    /// A read-only descriptor of the regular file at `path` (opened without blocking).
    static func openRegular(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw Failure.system(String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure.system(reason)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return fd
        case S_IFDIR: close(fd); throw Failure.directory
        default: close(fd); throw Failure.notRegular
        }
    }
}

/// Paths compared as the file system sees them.
public enum FilePath {
    /// `url` with every symlink resolved, also through components that do not exist yet (an
    /// output about to be created resolves like its existing parent).
    public static func resolved(_ url: URL) -> URL {
        var existing = url.standardizedFileURL, rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var out = existing.resolvingSymlinksInPath()
        for c in rest { out.appendPathComponent(c) }
        return out.standardizedFileURL
    }

    /// Whether `a` and `b` name one file (symlinks resolved on both sides).
    public static func same(_ a: URL, _ b: URL) -> Bool { resolved(a).path == resolved(b).path }
}
