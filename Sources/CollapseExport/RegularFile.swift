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
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw Failure.system(String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure.system(String(cString: strerror(errno))) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Failure.directory
        default: throw Failure.notRegular
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Foundation.read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure.system(String(cString: strerror(errno)))
            }
            if n == 0 { break }
            data.append(buffer, count: n)
            if data.count > limit { throw Failure.tooLarge(limit: limit) }
        }
        return data
    }
}
