import Foundation

/// A minimal mutual-exclusion lock (Foundation's `NSLock`), with a scoped helper.
final class NSLockLike: @unchecked Sendable {
    private let lock = NSLock()
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
