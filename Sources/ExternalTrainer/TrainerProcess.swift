import CollapseExport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A failed step of an external trainer: what ran, why it failed, and where its logs are.
public struct TrainerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Thrown when the run was cancelled (Ctrl-C, SIGTERM) while a step ran; the step was stopped
/// and is not committed.
public struct StepCancelled: Error {}

/// Runs one step of the trainer protocol (docs/trainer-protocol.md) as
/// `/bin/sh -c '<command> "$@"' collapse-trainer <step> <arguments…>`, in its own process group,
/// with standard input from /dev/null and standard output and error appended to log files, and
/// returns the JSON object on the last non-empty line of its standard output.
public struct TrainerProcess: Sendable {
    /// The trainer command as the user wrote it (read by the shell).
    public var command: String
    /// Seconds a step may run before it is stopped (nil: no limit).
    public var timeout: Double?

    public init(command: String, timeout: Double? = nil) {
        self.command = command
        self.timeout = timeout
    }

    /// The argument vector of a step.
    public func argv(step: String, arguments: [String]) -> [String] {
        ["/bin/sh", "-c", command + " \"$@\"", "collapse-trainer", step] + arguments
    }

    /// The step as a shell line, for messages and `command.txt`.
    public func shellLine(step: String, arguments: [String]) -> String {
        ([command, step] + arguments.map(Self.shellQuoted)).joined(separator: " ")
    }

    static func shellQuoted(_ s: String) -> String {
        let plain = s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./:=,+@%".unicodeScalars.contains($0) }
        return plain && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Runs `step` with `arguments`, logging to `stdoutLog` and `stderrLog` (created or
    /// truncated), and returns its reply: the last non-empty line of its standard output as
    /// printed, and that line read as a JSON object. `describe` names the step in errors (e.g.
    /// "fit of generation 3 (accumulate, replicate 0)"). Checks `isCancelled` before starting
    /// the step (a cancelled run starts no new step) and polls it every 0.1 s while the step
    /// runs, stopping it (SIGTERM to its process group, SIGKILL 5 s later) when it fires. Without
    /// the first check a run of steps shorter than the polling interval never saw a Ctrl-C.
    public func run(
        step: String, arguments: [String], environment: [String: String], stdoutLog: URL, stderrLog: URL,
        describe: String, logsKept: Bool = true, onStart: (pid_t) -> Void = { _ in },
        isCancelled: @escaping @Sendable () -> Bool
    ) throws -> (line: String, object: [String: JSONReply]) {
        if isCancelled() { throw StepCancelled() }
        let started = Date()
        let status = try spawnAndWait(
            argv: argv(step: step, arguments: arguments), environment: environment,
            stdoutLog: stdoutLog, stderrLog: stderrLog, onStart: onStart, isCancelled: isCancelled)
        func failure(_ why: String) -> TrainerError {
            TrainerError(
                Self.failureMessage(
                    describe: describe, why: why, command: shellLine(step: step, arguments: arguments),
                    stdoutLog: logsKept ? stdoutLog : nil, stderrLog: stderrLog))
        }
        switch status {
        case .cancelled: throw StepCancelled()
        case .timedOut:
            throw failure(String(format: "ran longer than --step-timeout %g s and was stopped", timeout ?? 0))
        case let .signaled(sig):
            throw failure("killed by signal \(sig) after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        case let .exited(code) where code != 0:
            throw failure("exit status \(code)")
        case .exited:
            break
        }
        let line = Self.lastNonEmptyLine(of: stdoutLog)
        guard let line else { throw failure("it printed nothing on standard output; the protocol asks for one JSON object on its last line") }
        guard let object = JSONReply.object(line) else {
            throw failure("the last line of its standard output is not a JSON object: \(line.prefix(200))")
        }
        return (line, object)
    }

    enum Status {
        case exited(Int32)
        case signaled(Int32)
        case timedOut, cancelled
    }

    private func spawnAndWait(
        argv: [String], environment: [String: String], stdoutLog: URL, stderrLog: URL,
        onStart: (pid_t) -> Void, isCancelled: @escaping @Sendable () -> Bool
    ) throws -> Status {
        // Its own process group (so a stop reaches the trainer's children too, and a terminal's
        // Ctrl-C reaches collapse, which stops the step itself), default signal dispositions and
        // an empty mask whatever collapse installed.
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(
                executable: "/bin/sh", arguments: argv, environment: env.map { "\($0.key)=\($0.value)" }.sorted(),
                standardOutput: stdoutLog.path, standardError: stderrLog.path, ownGroup: true)
        } catch {
            throw TrainerError("external trainer: \(error)")
        }
        onStart(pid)

        // waitpid blocks on a helper thread, so the step's end is seen at once; this thread polls
        // for cancellation and the timeout.
        let finished = DispatchSemaphore(value: 0)
        let box = StatusBox()
        let child = pid
        Thread.detachNewThread {
            box.termination = Result { try ChildProcess.wait(child) }
            finished.signal()
        }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var stopped: Status?
        while finished.wait(timeout: .now() + 0.1) == .timedOut {
            if isCancelled() { stopped = .cancelled } else if let deadline, Date() >= deadline { stopped = .timedOut } else { continue }
            kill(-child, SIGTERM)
            if finished.wait(timeout: .now() + 5) == .timedOut {
                kill(-child, SIGKILL)
                finished.wait()
            }
            break
        }
        // A stopped step's group may hold children that outlived the shell.
        if stopped != nil { kill(-child, SIGKILL) }
        if let stopped { return stopped }
        switch try box.termination.get() {
        case let .exited(code): return .exited(code)
        case let .signaled(signal): return .signaled(signal)
        }
    }

    /// The report of a failed step: what failed and why, the command, the logs, and the tail of
    /// the step's standard error.
    static func failureMessage(describe: String, why: String, command: String, stdoutLog: URL?, stderrLog: URL) -> String {
        var lines = ["external trainer: the \(describe) step failed: \(why)", "  command: \(command)"]
        if let stdoutLog { lines.append("  logs: \(stdoutLog.path), \(stderrLog.path)") }
        if let tail = tail(of: stderrLog) {
            lines.append("  stderr (last lines):")
            lines += tail.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        } else {
            lines.append("  stderr: (empty)")
        }
        return lines.joined(separator: "\n")
    }

    /// Stops what is left of a step started by a run that was killed: every process of process
    /// group `group` whose environment holds `COLLAPSE_ATTEMPT=attempt` (so a reused process
    /// group id of someone else's is never touched). Linux /proc; elsewhere nothing.
    public static func stopOrphans(group: pid_t, attempt: String) {
        guard group > 1, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        let marker = Data("COLLAPSE_ATTEMPT=\(attempt)\u{0}".utf8)
        var found = false
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid(), getpgid(pid) == group,
                let environ = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")), environ.range(of: marker) != nil
            else { continue }
            found = true
        }
        if found { kill(-group, SIGKILL) }
    }

    /// The last non-empty line of a log (its last 64 KiB), trimmed.
    static func lastNonEmptyLine(of url: URL) -> String? {
        guard let text = tailText(url, bytes: 65536) else { return nil }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.last { !$0.isEmpty }
    }

    /// The last 20 lines (at most 4 KiB) of a log, or nil when it is empty.
    static func tail(of url: URL) -> String? {
        guard let text = tailText(url, bytes: 4096) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(20).joined(separator: "\n")
        let trimmed = lines.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    private static func tailText(_ url: URL, bytes: Int) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        guard let data = try? handle.readToEnd(), !data.isEmpty else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

private final class StatusBox: @unchecked Sendable { var termination: Result<ChildProcess.Termination, any Error> = .success(.exited(0)) }
