import CollapseExport
import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// `ChildProcess`: what the child gets (standard streams, signal dispositions, descriptors,
/// process group) and how its end is reported.
final class ChildProcessTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("child-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func sh(_ script: String) throws -> (ChildProcess.Termination, out: String, err: String) {
        let out = dir.appendingPathComponent("out.txt"), err = dir.appendingPathComponent("err.txt")
        let t = try ChildProcess.run(
            executable: "/bin/sh", arguments: ["/bin/sh", "-c", script], standardOutput: out.path, standardError: err.path)
        return (t, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    func testExitStatusAndStreams() throws {
        let (t, out, err) = try sh("echo to-out; echo to-err >&2; exit 3")
        XCTAssertEqual(t, .exited(3))
        XCTAssertEqual(out, "to-out\n")
        XCTAssertEqual(err, "to-err\n")
        XCTAssertEqual(try sh("true").0, .exited(0))
    }

    /// Standard input is /dev/null: a child that reads it sees end of file at once.
    func testStandardInputIsEmpty() throws {
        let (t, out, _) = try sh("wc -c")
        XCTAssertEqual(t, .exited(0))
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "0")
    }

    /// A file as standard input, and the three paths removed once `spawn` returns: the child has
    /// them open by then and reads and writes them to its end (what SVGConverter relies on).
    func testFilesMayBeRemovedOnceSpawned() throws {
        let files = dir.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        let input = files.appendingPathComponent("in"), out = files.appendingPathComponent("out"), err = files.appendingPathComponent("err")
        try Data("three\nlines\nhere\n".utf8).write(to: input)
        for f in [out, err] { XCTAssertTrue(FileManager.default.createFile(atPath: f.path, contents: nil)) }
        let (outHandle, errHandle) = (try FileHandle(forReadingFrom: out), try FileHandle(forReadingFrom: err))
        let pid = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["/bin/sh", "-c", "sleep 0.05; wc -l; echo done >&2"], standardInput: input.path,
            standardOutput: out.path, standardError: err.path)
        try FileManager.default.removeItem(at: files)
        XCTAssertEqual(try ChildProcess.wait(pid), .exited(0))
        XCTAssertEqual(String(decoding: try outHandle.readToEnd() ?? Data(), as: UTF8.self).trimmingCharacters(in: .whitespaces), "3\n")
        XCTAssertEqual(String(decoding: try errHandle.readToEnd() ?? Data(), as: UTF8.self), "done\n")
    }

    func testKilledBySignal() throws {
        XCTAssertEqual(try sh("kill -TERM $$").0, .signaled(SIGTERM))
    }

    /// A signal this process ignores (SIGPIPE, as Swift programs do) is back at its default in
    /// the child (a shell cannot undo a disposition it was started with as ignored).
    func testIgnoredSignalIsDefaultInChild() throws {
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        XCTAssertEqual(try sh("kill -PIPE $$").0, .signaled(SIGPIPE))
    }

    func testOwnProcessGroup() throws {
        let out = dir.appendingPathComponent("pgid.txt")
        let pid = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["/bin/sh", "-c", "cut -d' ' -f5 /proc/$$/stat"], standardOutput: out.path, ownGroup: true)
        XCTAssertEqual(try ChildProcess.wait(pid), .exited(0))
        let pgid = try String(contentsOf: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(pgid, String(pid))
    }

    /// A descriptor this process holds open without close-on-exec (as Foundation's
    /// `Data.write(to:)` and `Data(contentsOf:)` do, on whichever thread) stays out of the child:
    /// it has standard input, output and error and nothing else.
    func testNoOtherDescriptorIsInherited() throws {
        let fd = open(dir.appendingPathComponent("held-open.txt").path, O_WRONLY | O_CREAT, 0o644)
        XCTAssertGreaterThan(fd, 2)
        defer { close(fd) }
        XCTAssertEqual(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0)
        let (t, out, err) = try sh("ls /proc/$$/fd")
        XCTAssertEqual(t, .exited(0), err)
        XCTAssertEqual(out.split(separator: "\n"), ["0", "1", "2"])
    }

    func testMissingProgramIsAnError() {
        XCTAssertThrowsError(try ChildProcess.run(executable: dir.appendingPathComponent("absent").path, arguments: ["absent"])) { error in
            XCTAssertTrue("\(error)".contains("cannot start"), "\(error)")
            XCTAssertTrue("\(error)".contains("absent"), "\(error)")
        }
    }

    func testWaitingTwiceIsAnError() throws {
        let pid = try ChildProcess.spawn(executable: "/bin/true", arguments: ["true"])
        XCTAssertEqual(try ChildProcess.wait(pid), .exited(0))
        XCTAssertThrowsError(try ChildProcess.wait(pid))
    }
}
