import CollapseExport
import Foundation

/// A directory a run keeps inside its output directory (`samples/`, `work/`), marked by a file
/// of its own, so that `--force` removes it only where the run made it, and `merge` writes into
/// it only where a run made it.
struct OwnedDirectory: Sendable {
    /// The directory's name in the output directory.
    let name: String
    /// The marker file's name inside it.
    let marker: String
    /// What the directory is, for messages ("samples", "work").
    let kind: String
    /// The marker file's text.
    let markerText: String

    static let samples = OwnedDirectory(
        name: "samples", marker: ".collapse-samples", kind: "samples",
        markerText: "samples of what a collapse run generated, by cell and generation; removed with the run by --force\n")
    static let work = OwnedDirectory(
        name: "work", marker: ".collapse-work", kind: "work",
        markerText: "the work directory of a collapse run (steps of its cells); removed with the run by --force\n")

    func url(in directory: URL) -> URL { directory.appendingPathComponent(name) }

    /// Whether `url` carries the marker (is a run's own).
    func isOwned(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.appendingPathComponent(marker).path) }

    /// Creates the directory in `directory` (if missing) with its marker; returns its URL.
    @discardableResult
    func create(in directory: URL) throws -> URL {
        let url = url(in: directory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try AtomicFile.write(markerText, to: url.appendingPathComponent(marker))
        return url
    }

    /// `--force`'s refusal where `directory` holds an entry of this name that no run marked.
    func checkForceMayRemove(in directory: URL, contents: [String]) throws {
        let url = url(in: directory)
        guard contents.contains(name), !isOwned(url) else { return }
        throw RunnerError(
            "--force: \(url.path) has no \(marker) file; it is not a run's \(kind) directory, so it is left alone: move it or choose another --output"
        )
    }
}
