import CollapseExport
import Foundation

extension ExperimentMerge {
    /// Copies the samples directories of `directories` (shards of a family that `keepsSamples`:
    /// `samples/CELL/generation-NNN.EXT`) into `output/samples`, marked as a run's (so `--force`
    /// may remove it). Shards hold disjoint cells, so their files never collide; a file that two
    /// inputs, or an input and `output` (an earlier merge), hold with different bytes is refused
    /// before anything is copied, naming both paths. Identical copies are fine (a merge repeated
    /// with `--force`). Only marked samples directories count; a run's temporary files
    /// (`.NAME.tmp-PID`) are skipped. Returns the number of files in the merged samples.
    @discardableResult
    public static func mergeSamples(_ directories: [URL], into output: URL) throws -> Int {
        let fm = FileManager.default
        var sources: [String: URL] = [:]
        for dir in directories {
            let root = dir.appendingPathComponent(ExperimentRunner.samplesDirectory)
            guard ExperimentRunner.isSamplesDirectory(root) else { continue }
            for relative in try sampleFiles(under: root) {
                let source = root.appendingPathComponent(relative)
                if let other = sources[relative] {
                    guard try sameBytes(other, source) else {
                        throw RunnerError(
                            "merge: \(source.path) and \(other.path) differ; the shards' samples conflict "
                                + "(they are not shards of one run): merge nothing, or remove one")
                    }
                    continue
                }
                sources[relative] = source
            }
        }
        guard !sources.isEmpty else { return 0 }
        let target = output.appendingPathComponent(ExperimentRunner.samplesDirectory)
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: target.path, isDirectory: &isDirectory) && !(isDirectory.boolValue && ExperimentRunner.isSamplesDirectory(target)) {
            throw RunnerError(
                "merge: \(target.path) exists and is not a run's samples directory (no \(ExperimentRunner.samplesMarker)); "
                    + "it is left alone: move it or choose another --output")
        }
        for (relative, source) in sources {
            let destination = target.appendingPathComponent(relative)
            if fm.fileExists(atPath: destination.path), !(try sameBytes(source, destination)) {
                throw RunnerError("merge: \(destination.path) exists and differs from \(source.path); " + "remove \(target.path) or choose another --output")
            }
        }
        try OwnedDirectory.samples.create(in: output)
        for (relative, source) in sources.sorted(by: { $0.key < $1.key }) {
            let destination = target.appendingPathComponent(relative)
            try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(try readSample(source), to: destination)
        }
        return try sampleFiles(under: target).count
    }

    /// The regular files under `root` (paths relative to it), but the marker and temporaries.
    static func sampleFiles(under root: URL) throws -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { throw RunnerError("merge: \(root.path): cannot list it") }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name == ExperimentRunner.samplesMarker || (name.hasPrefix(".") && name.contains(".tmp-")) { continue }
            let attributes = try fm.attributesOfItem(atPath: root.appendingPathComponent(relative).path)
            if attributes[.type] as? FileAttributeType == .typeRegular { out.append(relative) }
        }
        return out.sorted()
    }

    static func readSample(_ url: URL) throws -> Data {
        do { return try RegularFile.read(url.path, limit: 1 << 30) } catch let e as RegularFile.Failure {
            throw RunnerError("merge: \(url.path): \(e.description)")
        }
    }

    static func sameBytes(_ a: URL, _ b: URL) throws -> Bool { try readSample(a) == readSample(b) }
}
