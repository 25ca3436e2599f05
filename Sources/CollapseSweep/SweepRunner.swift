import CollapseCore
import CollapseExport
import ExperimentEngine
import Foundation
import LinearCollapse

/// The sweep's progress receiver is the engine's.
public typealias SweepProgress = RunProgress

/// Runs a sweep into an output directory, one durable file per finished cell:
///
/// ```
/// DIR/sweep.toml        the resolved sweep (seed included): what --resume and merge check
/// DIR/cells/cell-NNNNN.csv   the rows of grid cell NNNNN, written atomically when it finishes
/// DIR/results.csv       all cells of this run (or shard) in grid order, when every one is done
/// DIR/manifest.json     command, seed, version, threads, wall time, status
/// ```
///
/// Each cell's rows depend only on the seed and the cell, so an interrupted sweep resumed with
/// `resume: true`, a sharded sweep merged with `SweepMerge`, and an uninterrupted run give the
/// same `results.csv` bytes.
public struct SweepRunner: Sendable {
    public struct Options: Sendable {
        public var spec: SweepSpec
        public var seed: UInt64
        public var threads: Int
        public var shard: Shard?
        public var output: URL
        public var resume: Bool
        public var force: Bool
        public var arguments: [String]

        public init(spec: SweepSpec, seed: UInt64, threads: Int, shard: Shard?, output: URL,
                    resume: Bool, force: Bool, arguments: [String]) {
            self.spec = spec
            self.seed = seed
            self.threads = threads
            self.shard = shard
            self.output = output
            self.resume = resume
            self.force = force
            self.arguments = arguments
        }
    }

    public enum Status: String, Sendable { case complete, interrupted }

    public struct Outcome: Sendable {
        public var status: Status
        public var cellsRun: Int
        public var cellsReused: Int
        public var rows: Int
        public var wallSeconds: Double
        public var resultsFile: URL?
    }

    public struct SweepError: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    public let options: Options
    public var specWithSeed: SweepSpec { var s = options.spec; s.seed = options.seed; return s }

    public init(options: Options) { self.options = options }

    static let specFile = "sweep.toml"
    static let cellsDirectory = "cells"
    static let ownedFiles = ["sweep.toml", "results.csv", "manifest.json", "figure.svg", "figure-ratio.svg"]

    public static func cellFileName(_ index: Int) -> String { String(format: "cell-%05d.csv", index) }

    /// The recorded sweep of `directory`, if any.
    public static func recordedSpec(in directory: URL) throws -> SweepSpec? {
        let url = directory.appendingPathComponent(specFile)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let text = try String(contentsOf: url, encoding: .utf8)
        return try SweepSpec.parse(text, file: url.path)
    }

    /// Checks the output directory before any computation: fresh (missing or empty), or
    /// resumable (same sweep recorded), or overwritable with `force`. Throws a clear error
    /// otherwise; with `force`, deletes only the files a sweep writes.
    public func prepareOutput() throws {
        let fm = FileManager.default
        let dir = options.output
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir.path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw SweepError("--output \(dir.path): exists and is not a directory") }
        let contents = try fm.contentsOfDirectory(atPath: dir.path)
        if contents.isEmpty { return }
        if options.resume {
            guard let recorded = try Self.recordedSpec(in: dir) else {
                throw SweepError("--resume: \(dir.path) is not empty but holds no \(Self.specFile); it is not a sweep directory")
            }
            let diff = Self.differences(recorded, specWithSeed)
            guard diff.isEmpty else {
                throw SweepError("--resume: \(dir.path) holds a different sweep (\(diff.joined(separator: "; "))); " +
                                 "use another --output, or --force to start over")
            }
            return
        }
        if options.force {
            for name in Self.ownedFiles where contents.contains(name) {
                try fm.removeItem(at: dir.appendingPathComponent(name))
            }
            let cells = dir.appendingPathComponent(Self.cellsDirectory)
            if fm.fileExists(atPath: cells.path) { try fm.removeItem(at: cells) }
            return
        }
        throw SweepError("--output \(dir.path) is not empty; pass --resume to continue the sweep there, " +
                         "or --force to overwrite it")
    }

    /// Human-readable differences between two specs (empty when equal).
    public static func differences(_ a: SweepSpec, _ b: SweepSpec) -> [String] {
        var out: [String] = []
        func cmp<T: Equatable>(_ key: String, _ x: T, _ y: T) { if x != y { out.append("\(key): \(x) vs \(y)") } }
        func show(_ seed: UInt64?) -> String { seed.map(String.init) ?? "none" }
        cmp("name", a.name, b.name)
        cmp("dimension", a.dimensions, b.dimensions)
        cmp("samples", a.samples, b.samples)
        cmp("noise_variance", a.noiseVariances, b.noiseVariances)
        cmp("generations", a.generations, b.generations)
        cmp("regimes", a.regimeNames, b.regimeNames)
        if a.usesRealFraction || b.usesRealFraction { cmp("real_fraction", a.realFractions, b.realFractions) }
        cmp("repeats", a.repeats, b.repeats)
        if a.seed != b.seed { out.append("seed: \(show(a.seed)) vs \(show(b.seed))") }
        cmp("engine", a.engine, b.engine)
        cmp("design", a.design, b.design)
        return out
    }

    /// Relative cost of one replicate of `cell` (for progress and ETA).
    public static func work(cell: LinearCell, spec: SweepSpec) -> Double {
        let t = Double(cell.samples), d = Double(cell.dimension), n = Double(spec.generations)
        var w = t * d * d + n * t * (d + 4) * Double(spec.regimes.count)
        if spec.regimeNames.contains("accumulate-subsample") { w += n * t * d * d }
        return w
    }

    /// Runs the sweep. `isCancelled` is polled between replicate blocks; when it fires, the
    /// current cell is abandoned, finished cells stay on disk, the manifest says
    /// `interrupted`, and the outcome's status is `.interrupted`.
    public func run(progress: (any SweepProgress)? = nil, isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Outcome {
        let started = Date()
        let fm = FileManager.default
        let spec = specWithSeed
        let dir = options.output
        let cellsDir = dir.appendingPathComponent(Self.cellsDirectory)
        try fm.createDirectory(at: cellsDir, withIntermediateDirectories: true)
        // Temporary files of writes cut short by a kill (AtomicFile names them ".NAME.tmp-PID").
        for name in (try? fm.contentsOfDirectory(atPath: cellsDir.path)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            try? fm.removeItem(at: cellsDir.appendingPathComponent(name))
        }
        let specURL = dir.appendingPathComponent(Self.specFile)
        if !fm.fileExists(atPath: specURL.path) { try AtomicFile.write(spec.tomlText(), to: specURL) }

        let allCells = spec.cells
        let mine = allCells.indices.filter { options.shard?.contains(cell: $0) ?? true }
        let done = Set(mine.filter { fm.fileExists(atPath: cellsDir.appendingPathComponent(Self.cellFileName($0)).path) })
        // Finished cells are checked before anything is computed: a damaged one is reported, not reused.
        for index in done.sorted() {
            do { _ = try Self.assemble(cells: [index], of: spec, from: [dir]) } catch let e as SweepError {
                throw SweepError("\(e.description); delete that file and rerun with --resume to recompute the cell")
            }
        }
        let todo = mine.filter { !done.contains($0) }
        let settings = MonteCarloSettings(repeats: spec.repeats, generations: spec.generations,
                                          regimes: spec.regimes, seed: options.seed, threads: options.threads,
                                          engine: spec.engine, design: spec.design)
        progress?.begin(cells: todo.count, totalWork: todo.reduce(0) {
            $0 + Double(spec.repeats) * Self.work(cell: allCells[$1], spec: spec)
        })
        defer { progress?.end() }

        var status = Status.complete
        var ran = 0
        for index in todo {
            let cell = allCells[index]
            let unit = Self.work(cell: cell, spec: spec)
            let rows: [GenerationSummary]
            do {
                rows = try MonteCarlo.run(cell: cell, settings: settings,
                                          progress: progress.map { p in { @Sendable n in p.advance(replicates: n, work: Double(n) * unit) } },
                                          isCancelled: isCancelled)
            } catch is MonteCarloCancelled {
                status = .interrupted
                break
            } catch {
                throw SweepError("numerical failure at \(cell): \(error)")
            }
            try AtomicFile.write(LinearResultsCSV.table(rows).rendered(),
                                 to: cellsDir.appendingPathComponent(Self.cellFileName(index)))
            ran += 1
            progress?.cellFinished()
            if isCancelled() && index != todo.last { status = .interrupted; break }
        }

        var resultsURL: URL?
        var rowCount = 0
        if status == .complete {
            let text = try Self.assemble(cells: mine, of: spec, from: [dir])
            rowCount = text.rowCount
            resultsURL = dir.appendingPathComponent("results.csv")
            try AtomicFile.write(text.csv, to: resultsURL!)
        }
        let wall = Date().timeIntervalSince(started)
        var parameters: [(String, JSONValue)] = [
            ("name", .string(spec.name)),
            ("dimension", .array(spec.dimensions.map(JSONValue.int))),
            ("samples", .array(spec.samples.map(JSONValue.int))),
            ("noise_variance", .array(spec.noiseVariances.map(JSONValue.double))),
            ("generations", .int(spec.generations)),
            ("repeats", .int(spec.repeats)),
            ("regimes", .array(spec.regimeNames.map(JSONValue.string))),
            ("engine", .string(spec.engine.rawValue)),
            ("design", .string(spec.design.rawValue)),
            ("cells_total", .int(allCells.count)),
            ("cells_in_run", .int(mine.count)),
            ("cells_run_now", .int(ran)),
            ("cells_reused", .int(done.count)),
        ]
        if spec.usesRealFraction { parameters.append(("real_fraction", .array(spec.realFractions.map(JSONValue.double)))) }
        if let shard = options.shard { parameters.append(("shard", .string(shard.description))) }
        if resultsURL != nil { parameters.append(("rows", .int(rowCount))) }
        let manifest = RunManifest(command: "sweep", arguments: options.arguments, seed: options.seed,
                                   threads: options.threads, wallSeconds: wall, startedAt: started,
                                   parameters: parameters,
                                   outputs: resultsURL == nil ? [Self.cellsDirectory] : ["results.csv", Self.cellsDirectory],
                                   status: status.rawValue, environment: RunEnvironment.entries)
        try AtomicFile.write(manifest.json().rendered() + "\n", to: dir.appendingPathComponent("manifest.json"))
        return Outcome(status: status, cellsRun: ran, cellsReused: done.count, rows: rowCount,
                       wallSeconds: wall, resultsFile: resultsURL)
    }

    /// Concatenates the cell files `cells` (grid indices, ascending), looked up in `directories`,
    /// under one header. Throws if a cell is missing or its header differs.
    static func assemble(cells: [Int], of spec: SweepSpec, from directories: [URL]) throws -> (csv: String, rowCount: Int) {
        let header = LinearResultsCSV.header.joined(separator: ",")
        var out = header + "\n"
        var rows = 0
        let grid = spec.cells
        for index in cells {
            let name = cellFileName(index)
            guard let url = directories.lazy.map({ $0.appendingPathComponent(cellsDirectory).appendingPathComponent(name) })
                .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                throw SweepError("cell \(index) (\(name)) is missing from \(directories.map(\.path).joined(separator: ", "))")
            }
            guard let data = FileManager.default.contents(atPath: url.path), data.count <= 1 << 30,
                  let text = String(data: data, encoding: .utf8) else {
                throw SweepError("\(url.path): unreadable, larger than 1 GiB or not UTF-8 text")
            }
            guard text.hasPrefix(header + "\n") else { throw SweepError("\(url.path):1: unexpected header; not a cell file of this version") }
            let body = text.dropFirst(header.count + 1)
            try validateCell(body, url: url, cell: grid[index], spec: spec)
            rows += body.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            out += body
        }
        return (out, rows)
    }
}

extension SweepRunner {
    /// Checks a cell file's rows against the sweep: one row per (regime, generation) in order,
    /// the cell's d, T, σ² and R, and numbers where numbers belong. Guards resume and merge
    /// against truncated, edited or foreign files (a changed digit in a mean cannot be caught).
    static func validateCell(_ body: Substring, url: URL, cell: LinearCell, spec: SweepSpec) throws {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "" else { throw SweepError("\(url.path): does not end with a newline (truncated?)") }
        let regimes = spec.regimes
        let expected = regimes.count * spec.generations
        guard lines.count - 1 == expected else {
            throw SweepError("\(url.path): \(lines.count - 1) rows, expected \(expected) (\(regimes.count) regimes × \(spec.generations) generations)")
        }
        let columns = LinearResultsCSV.header.count
        for (k, line) in lines.dropLast().enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            let regime = regimes[k / spec.generations], generation = k % spec.generations + 1
            func fail(_ why: String) -> SweepError { SweepError("\(url.path):\(k + 2): \(why)") }
            guard f.count == columns else { throw fail("\(f.count) fields, expected \(columns)") }
            guard f[0] == regime.name, f[1] == String(generation), f[2] == String(cell.dimension),
                  f[3] == String(cell.samples), f[4] == CSVField.number(cell.noiseVariance), f[5] == String(spec.repeats),
                  f[9] == CSVField.number(regime.realFraction) else {
                throw fail("row does not belong to \(regime) generation \(generation) of \(cell) with \(spec.repeats) replicates")
            }
            for i in 6..<columns where i != 9 && !f[i].isEmpty && Double(f[i]) == nil {
                throw fail("column '\(LinearResultsCSV.header[i])': '\(f[i])' is not a number")
            }
            guard Double(f[6]) != nil else { throw fail("mean_test_error is empty") }
        }
    }
}

/// Combines the cell files of several sweep directories (shards) into the CSV an unsharded run
/// writes, byte for byte.
public enum SweepMerge {
    /// Checks that every directory records the same sweep and that every grid cell is present,
    /// then writes `output/results.csv` (and `output/sweep.toml`). Returns the row count.
    public static func merge(_ directories: [URL], into output: URL) throws -> (rows: Int, spec: SweepSpec) {
        guard let first = directories.first else { throw SweepRunner.SweepError("merge: give at least one directory") }
        var spec: SweepSpec?
        for dir in directories {
            guard let s = try SweepRunner.recordedSpec(in: dir) else {
                throw SweepRunner.SweepError("merge: \(dir.path) holds no \(SweepRunner.specFile); not a sweep directory")
            }
            if let spec {
                let diff = SweepRunner.differences(spec, s)
                guard diff.isEmpty else {
                    throw SweepRunner.SweepError("merge: \(dir.path) holds a different sweep than \(first.path) (\(diff.joined(separator: "; ")))")
                }
            } else { spec = s }
        }
        let resolved = spec!
        let all = Array(resolved.cells.indices)
        let assembled = try SweepRunner.assemble(cells: all, of: resolved, from: directories)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try AtomicFile.write(assembled.csv, to: output.appendingPathComponent("results.csv"))
        // The merged directory records the merged sweep (replacing any earlier one).
        try AtomicFile.write(resolved.tomlText(), to: output.appendingPathComponent(SweepRunner.specFile))
        return (assembled.rowCount, resolved)
    }
}
