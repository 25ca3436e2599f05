import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A program run as a child process with `posix_spawn`, waited for with a blocking `waitpid`.
///
/// Foundation's `Process` was the other way, and cost a figure up to 50 ms of doing nothing:
/// its `waitUntilExit` polls a run loop every 0.05 s, so a conversion that ends just after a
/// poll is seen only at the next (`collapse plot` to PNG took 0.13 s where rsvg-convert itself
/// takes 0.06 s; docs/performance.md). Here the waiting thread wakes when the child exits.
///
/// The child gets standard input, output and error from the given files (input from /dev/null
/// unless given), an empty signal mask and the default dispositions of the signals collapse handles or
/// ignores, and optionally a process group of its own. It inherits no other descriptor: every
/// one above standard error is closed in the child, as Foundation's `Process` did. Close-on-exec
/// alone would not do: Foundation's `Data(contentsOf:)` and `Data.write(to:)` open without it,
/// so a child started while another thread has a file open that way (DefaultFigures writes one
/// figure's SVG while the other's rsvg-convert starts) would keep that file open.
public enum ChildProcess {
    /// How a child ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// The signals whose dispositions the child gets back at their defaults.
    static let defaultSignals = [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT]

    /// Starts `executable` with `arguments` (argv[0] first) and `environment` ("NAME=value"
    /// entries; nil: this process's), reading standard input from `standardInput` and writing
    /// standard output and error to `standardOutput` and `standardError` (created or truncated;
    /// "/dev/null" discards). `ownGroup` puts it in a new process group whose id is its pid.
    /// Returns its pid, or throws why it could not start. It returns once the child runs the
    /// program with its three files open (glibc's posix_spawn, 2.24 on, waits for the exec and
    /// reports a file that could not be opened as its error), so the paths may be removed then.
    public static func spawn(
        executable: String, arguments: [String], environment: [String]? = nil, standardInput: String = "/dev/null",
        standardOutput: String = "/dev/null", standardError: String = "/dev/null", ownGroup: Bool = false
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        closeAbove(standardError: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in defaultSignals { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if ownGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var pid = pid_t()
        let spawned: Int32 = withCStrings(arguments) { argv in
            if let environment {
                return withCStrings(environment) { envp in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
            }
            return posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard spawned == 0 else { throw SpawnError(executable: executable, code: spawned) }
        return pid
    }

    /// Blocks until child `pid` ends (retrying when a signal interrupts the wait) and reaps it;
    /// throws when it cannot be waited for (ECHILD: not a child of this process, or already reaped).
    public static func wait(_ pid: pid_t) throws -> Termination {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 {
            let code = errno
            if code != EINTR { throw WaitError(pid: pid, code: code) }
        }
        return raw & 0x7f == 0 ? .exited((raw >> 8) & 0xff) : .signaled(raw & 0x7f)
    }

    /// Runs `executable` to its end (see `spawn`) and returns how it ended.
    public static func run(
        executable: String, arguments: [String], standardInput: String = "/dev/null", standardOutput: String = "/dev/null",
        standardError: String = "/dev/null", ownGroup: Bool = false
    ) throws -> Termination {
        try wait(
            try spawn(
                executable: executable, arguments: arguments, standardInput: standardInput, standardOutput: standardOutput,
                standardError: standardError, ownGroup: ownGroup))
    }

    /// `posix_spawn` failed: the program could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        public var executable: String
        public var code: Int32
        public var description: String { "cannot start \(executable) (\(String(cString: strerror(code))))" }
    }

    /// `waitpid` failed for a reason other than an interrupting signal.
    public struct WaitError: Error, CustomStringConvertible {
        public var pid: pid_t
        public var code: Int32
        public var description: String { "cannot wait for process \(pid) (\(String(cString: strerror(code))))" }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 on), looked up at run time: Swift's
/// Glibc module leaves it out (spawn.h declares it for _GNU_SOURCE only); nil where libc lacks it.
private let addCloseFrom: (@convention(c) (UnsafeMutableRawPointer, Int32) -> Int32)? = {
    guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
    defer { dlclose(handle) }
    return dlsym(handle, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: (@convention(c) (UnsafeMutableRawPointer, Int32) -> Int32).self)
    }
}()

/// Adds to `actions` the closing of every descriptor above standard error: all of them at once
/// where libc can (closefrom), else those open now as /proc/self/fd lists them (glibc ignores a
/// close action whose descriptor is no longer open when the child runs it).
private func closeAbove(standardError actions: inout posix_spawn_file_actions_t) {
    if let addCloseFrom, withUnsafeMutablePointer(to: &actions, { addCloseFrom($0, 3) }) == 0 { return }
    for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
        if let fd = Int32(name), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }
}

/// Calls `body` with a NULL-terminated C array of `strings`.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) }
    defer { for p in pointers { free(p) } }
    return body(pointers + [nil])
}
