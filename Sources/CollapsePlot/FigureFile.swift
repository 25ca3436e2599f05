import CollapseExport
import Foundation

/// The file formats a figure is written in: SVG, drawn here, and PNG and PDF, rendered from the
/// SVG by `SVGConverter` (rsvg-convert).
public enum FigureFormat: String, CaseIterable, Sendable {
    case svg, png, pdf

    /// The allowed names, as the messages list them.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The format a figure is written in: `format` when given (the file's extension, if it has
    /// one, must be that format's), else the extension's (`.svg`, `.png`, `.pdf`, in any case),
    /// SVG for a name without one. A name whose extension disagrees with `--format`, or is none of
    /// these, is refused naming the flag, since a `.pdf` file holding a PNG misleads.
    public static func of(output: String, format: String?) throws -> FigureFormat {
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        let named = FigureFormat(rawValue: ext)
        guard let format else {
            if ext.isEmpty { return .svg }
            guard let named else {
                throw PlotRequestError(
                    "--output \(output): unknown figure extension '.\(ext)'; name it .svg, .png or .pdf "
                        + "(or give --format \(names.replacingOccurrences(of: ", ", with: "|")))")
            }
            return named
        }
        guard let asked = FigureFormat(rawValue: format.lowercased()) else {
            throw PlotRequestError("--format: unknown format '\(format)'; allowed: \(names)")
        }
        if !ext.isEmpty && named != asked {
            let base = URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent
            throw PlotRequestError(
                "--format \(asked.rawValue) disagrees with --output \(output) (a .\(ext) name); " + "name the file \(base).\(asked.rawValue)"
                    + (named.map { ", or leave --format out to write \($0.rawValue.uppercased())" } ?? ""))
        }
        return asked
    }
}

/// A figure that could not be rendered or written: rsvg-convert missing (the message names the
/// Debian package that provides it) or failing, or the file not writable.
public struct FigureWriteError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// PNG and PDF from SVG by `rsvg-convert` (librsvg: Debian's `librsvg2-bin`), found on `PATH`.
/// The SVG names DejaVu Sans first, so text is set in the face its layout was measured for where
/// fontconfig has it (Debian's `fonts-dejavu-core`; `scripts/install-deps.sh` installs both).
public enum SVGConverter {
    public static let program = "rsvg-convert"
    /// What to install where `program` is missing.
    public static let installHint = "install Debian's librsvg2-bin (apt-get install librsvg2-bin, or scripts/install-deps.sh)"

    /// The `rsvg-convert` executable on `PATH` (`environment`'s), nil when there is none.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let fm = FileManager.default
        for dir in (environment["PATH"] ?? "").split(separator: ":") where !dir.isEmpty {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(program)
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                fm.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
        }
        return nil
    }

    /// Whether PNG and PDF can be written here.
    public static var isAvailable: Bool { locate() != nil }

    /// `rsvg-convert`, or an error saying that `format` needs it and how to install it.
    public static func required(
        for format: FigureFormat,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> URL {
        guard let url = locate(environment: environment) else {
            throw FigureWriteError(
                "\(format.rawValue.uppercased()) output needs \(program), which is not on PATH: " + "\(installHint); --format svg needs nothing")
        }
        return url
    }

    /// `svg` rendered as `format` (PNG or PDF) at the SVG's own size (a PNG of `width` ×
    /// `height` pixels, a PDF page of the same size at 96 px per inch) on white.
    ///
    /// rsvg-convert reads the SVG on its standard input and writes the figure to its standard
    /// output, three files in a temporary directory that is removed as soon as rsvg-convert has
    /// them open (this process reads the output through a handle it opened before): a second
    /// Ctrl-C, which ends collapse at once, leaves no directory behind while a figure renders.
    public static func convert(_ svg: String, to format: FigureFormat) throws -> Data {
        precondition(format != .svg, "SVGConverter.convert: SVG needs no conversion")
        let program = try required(for: format)
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("collapse-figure-\(UUID().uuidString)")
        let input = dir.appendingPathComponent("figure.svg"), output = dir.appendingPathComponent("figure.\(format.rawValue)")
        let log = dir.appendingPathComponent("stderr.txt")
        let outputHandle: FileHandle, logHandle: FileHandle
        do {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(svg.utf8).write(to: input)
            try Data().write(to: output)
            try Data().write(to: log)
            (outputHandle, logHandle) = (try FileHandle(forReadingFrom: output), try FileHandle(forReadingFrom: log))
        } catch {
            try? fm.removeItem(at: dir)
            throw FigureWriteError("cannot write the temporary files of a \(format.rawValue.uppercased()) figure in \(dir.path): \(error.localizedDescription)")
        }
        defer {
            try? outputHandle.close()
            try? logHandle.close()
        }
        let arguments = [program.path, "--format", format.rawValue, "--background-color", "white", "--unlimited"]
        let pid: pid_t
        do {
            // In a process group of its own, as Foundation's Process started it: a terminal's
            // Ctrl-C then reaches collapse alone, and a figure being rendered (reproduce's last
            // step, after the results are written) is finished rather than killed half-way.
            pid = try ChildProcess.spawn(
                executable: program.path, arguments: arguments, standardInput: input.path, standardOutput: output.path,
                standardError: log.path, ownGroup: true)
        } catch {
            try? fm.removeItem(at: dir)
            throw FigureWriteError("\(error); \(installHint)")
        }
        try? fm.removeItem(at: dir)
        let termination: ChildProcess.Termination
        do { termination = try ChildProcess.wait(pid) } catch { throw FigureWriteError("\(program.path): \(error)") }
        let data = (try? outputHandle.readToEnd()) ?? nil, logged = (try? logHandle.readToEnd()) ?? nil
        let why = logged.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard termination == .exited(0), let data, !data.isEmpty else {
            let how: String
            switch termination {
            case let .exited(code): how = "exit status \(code)"
            case let .signaled(signal): how = "killed by signal \(signal)"
            }
            throw FigureWriteError("\(program.path) failed to write \(format.rawValue.uppercased()) (\(how))\(why.isEmpty ? "" : ": \(why)")")
        }
        return data
    }
}

/// Writing a figure file.
public enum FigureFile {
    /// Writes `svg` to `url` as `format` (rendered by `SVGConverter` for PNG and PDF),
    /// atomically, creating the directory; nothing is written when rendering fails.
    public static func write(_ svg: String, as format: FigureFormat, to url: URL) throws {
        let data = format == .svg ? Data(svg.utf8) : try SVGConverter.convert(svg, to: format)
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw FigureWriteError("cannot create directory \(dir.path): \(error.localizedDescription)")
        }
        try AtomicFile.write(data, to: url)
    }
}
