import CollapseExport
import Foundation

/// What a family's cell returns: its results rows and, when the run keeps them
/// (`CellContext.keepsReplicateValues`), every replicate's value behind each row.
public struct CellOutput: Sendable {
    /// CSV rows, no header, each ending in `\n` (what `ExperimentFamily.run` returns).
    public var rows: String
    /// `replicateValues[i]`: the values, in replicate order (replicate 1 first), of which row
    /// `i` is the summary; nil where the family does not keep them.
    public var replicateValues: [[Double]]?

    public init(rows: String, replicateValues: [[Double]]? = nil) {
        self.rows = rows
        self.replicateValues = replicateValues
    }
}

/// The per-replicate file of a run (`--per-replicate`): every replicate's value of every metric
/// at every generation of every cell, in the long format
///
/// ```
/// model,dataset,regime,real_fraction,samples,<the family's parameter columns>,generation,metric,replicate,value
/// ```
///
/// where the identifying columns are the results file's (`LongResults.columns`' identifying
/// ones, then every column after them but the family's statistics, `LongResults.familyStatistics`),
/// so each results row's `mean`, `median`, … are statistics of the per-replicate rows that share
/// its identifying fields. `replicate` is 1-based, in the order of the replicates' random
/// streams; `value` is written to round-trip exactly (`CSVField.number`).
///
/// Each cell's rows go to `cells/cell-NNNNN.replicates.csv` (atomically, before its results cell
/// file, so a cell counts as done only with both); when the run is complete they are
/// concatenated in grid order beside `results.csv` as `per-replicate.csv`, or, above
/// `compressAbove` rows, gzip-compressed (`Gzip`) as `per-replicate.csv.gz`. The bytes depend
/// only on the spec and the seed, so a resumed run, merged shards and an uninterrupted run write
/// the same file, for any `--threads`.
public enum PerReplicate {
    public static let fileName = "per-replicate.csv"
    public static let compressedFileName = "per-replicate.csv.gz"
    /// Above this many rows (not counting the header) the file is written gzip-compressed.
    public static let compressAbove = 100_000

    /// `cell-NNNNN.replicates.csv`.
    public static func cellFileName(_ index: Int) -> String { String(format: "cell-%05d.replicates.csv", index) }

    /// The results columns that identify a row (in results order, `samples` included, the Monte
    /// Carlo statistics and the family's statistics left out), the generation and metric moved
    /// last, as positions in `resultsHeader`.
    static func identifyingColumns(_ resultsHeader: [String]) -> [Int] {
        let statistics = Set(LongResults.columns + LongResults.familyStatistics)
            .subtracting(["model", "dataset", "regime", "real_fraction", "samples"])
        let named = resultsHeader.enumerated().filter { !statistics.contains($0.element) }.map(\.offset)
        let last = ["generation", "metric"].compactMap { resultsHeader.firstIndex(of: $0) }
        return named + last
    }

    /// The per-replicate header of a run whose results header is `resultsHeader`.
    public static func header(_ resultsHeader: [String]) -> [String] {
        identifyingColumns(resultsHeader).map { resultsHeader[$0] } + ["replicate", "value"]
    }

    /// The per-replicate rows (no header) of a cell's results `rows` (no header) and the values
    /// behind each. Throws when the counts disagree (a family's bug, reported, not written).
    public static func rows(resultsHeader: [String], rows: String, values: [[Double]]) throws -> String {
        let document = try CSVReader.parse(resultsHeader.joined(separator: ",") + "\n" + rows)
        guard document.rows.count == values.count else {
            throw RunnerError("per-replicate values: \(values.count) series for \(document.rows.count) results rows")
        }
        let columns = identifyingColumns(resultsHeader)
        var out = ""
        for (row, series) in zip(document.rows, values) {
            let prefix = columns.map { CSVField.escape(row[$0]) }.joined(separator: ",")
            for (k, v) in series.enumerated() { out += prefix + "," + String(k + 1) + "," + CSVField.number(v) + "\n" }
        }
        return out
    }

    /// The per-replicate rows of `cells` (grid order) from their cell files in `directories`,
    /// under one header; nil when no cell has a file, and an error naming the first cell without
    /// one when only some have. Each file must start with `header` and end with a newline.
    public static func assemble(cells: [Int], header: [String], from directories: [URL]) throws -> (csv: String, rows: Int)? {
        let head = header.joined(separator: ",")
        func url(_ index: Int) -> URL? {
            directories.lazy.map { $0.appendingPathComponent(ExperimentRunner.cellsDirectory).appendingPathComponent(cellFileName(index)) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
        }
        let found = cells.map(url)
        guard found.contains(where: { $0 != nil }) else { return nil }
        var out = head + "\n", count = 0
        for (index, file) in zip(cells, found) {
            guard let file else {
                throw RunnerError(
                    "cell \(index) has no per-replicate values (\(cellFileName(index)) is missing from "
                        + "\(directories.map(\.path).joined(separator: ", "))): rerun its run with --per-replicate --resume")
            }
            guard let data = try? RegularFile.read(file.path, limit: 1 << 32), let text = String(data: data, encoding: .utf8) else {
                throw RunnerError("\(file.path): unreadable (not a regular file, or not UTF-8 text)")
            }
            guard text.hasPrefix(head + "\n") else { throw RunnerError("\(file.path):1: unexpected header; not a per-replicate file of this run") }
            let body = text.dropFirst(head.count + 1)
            guard body.isEmpty || body.hasSuffix("\n") else { throw RunnerError("\(file.path): does not end with a newline (truncated?)") }
            count += body.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            out += body
        }
        return (out, count)
    }

    /// Writes the assembled file into `directory` as `fileName`, or gzip-compressed as
    /// `compressedFileName` above `compressAbove` rows, removing the other name if a previous
    /// run left it. Returns the file written.
    @discardableResult
    public static func write(_ assembled: (csv: String, rows: Int), to directory: URL) throws -> URL {
        let compress = assembled.rows > compressAbove
        let url = directory.appendingPathComponent(compress ? compressedFileName : fileName)
        let other = directory.appendingPathComponent(compress ? fileName : compressedFileName)
        if compress { try AtomicFile.write(Data(Gzip.compress(Array(assembled.csv.utf8))), to: url) } else { try AtomicFile.write(assembled.csv, to: url) }
        if FileManager.default.fileExists(atPath: other.path) { try FileManager.default.removeItem(at: other) }
        return url
    }

    /// Removes a per-replicate file (either name) from `directory`: a merge without values
    /// leaves none behind from an earlier merge.
    public static func remove(from directory: URL) throws {
        for name in [fileName, compressedFileName] where FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }
}
