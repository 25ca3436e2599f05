import CollapseExport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A deterministic slice of a grid: cell `i` (in grid order) belongs to shard `i mod count`.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        precondition(count >= 1 && index >= 0 && index < count, "shard must satisfy 0 ≤ index < count, got \(index)/\(count)")
        self.index = index
        self.count = count
    }

    /// Parses `I/N`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        self.init(index: i, count: n)
    }

    public func contains(cell index: Int) -> Bool { index % count == self.index }
    public var description: String { "\(index)/\(count)" }
}

/// Receives the progress of a run (called from worker threads).
public protocol RunProgress: Sendable {
    /// The run is about to compute `cells` cells worth `totalWork` work units.
    func begin(cells: Int, totalWork: Double)
    /// `replicates` replicates worth `work` work units finished.
    func advance(replicates: Int, work: Double)
    /// One cell finished.
    func cellFinished()
    /// The run ended (successfully or not).
    func end()
}

/// An error of the runner (output directory, resume, merge, a damaged cell file).
public struct RunnerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Holds an exclusive lock on an output directory for the life of a run: a second writer
/// fails at once and is told the holder's pid. The lock is `flock` on `DIR/.lock`, released
/// by the kernel when its process ends, so a crashed run leaves no stale lock.
public final class OutputLock: @unchecked Sendable {
    private let fd: Int32

    public init(directory: URL) throws {
        let path = directory.appendingPathComponent(".lock").path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunnerError("\(directory.path): cannot create its lock file (\(String(cString: strerror(errno))))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw RunnerError("\(directory.path): another run (pid \(holder)) is writing there; wait for it or choose another --output")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }
}

/// Available memory and the memory guard shared by every family.
public enum MemoryGuard {
    /// `MemAvailable` from /proc/meminfo, in bytes.
    public static func availableBytes() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kb = Double(parts[1]) { return kb * 1024 }
        }
        return nil
    }

    /// Refuses `need` bytes above `maxMemory` (when given) or 80 % of the memory available now.
    public static func check(need: Double, maxMemory: Double?, advice: String) throws {
        if let maxMemory, need > maxMemory {
            throw SpecError(String(format: "--max-memory %.3g GB: the run needs about %.3g GB; %@", maxMemory / 1e9, need / 1e9, advice))
        }
        if let available = availableBytes(), need > 0.8 * available {
            throw SpecError(
                String(
                    format: "the run needs about %.1f GB of working memory but only %.1f GB is available; %@",
                    need / 1e9, available / 1e9, advice))
        }
    }
}

/// Runs any family's grid into an output directory, one durable file per finished cell:
///
/// ```
/// DIR/experiment.toml       the resolved run (family, every parameter, seed): what --resume and merge check
/// DIR/cells/cell-NNNNN.csv  the rows of grid cell NNNNN, written atomically when it finishes
/// DIR/results.csv           every cell of this run (or shard) in grid order, when all are done
/// DIR/per-replicate.csv     with --per-replicate: every replicate's value behind results.csv
///                           (`PerReplicate`; .csv.gz when large), from cells/cell-NNNNN.replicates.csv
/// DIR/manifest.json         command, seed, version, threads, wall time, status
/// ```
///
/// A cell's rows depend only on the spec, the cell and the seed, so an interrupted run resumed
/// with `resume`, a sharded run merged with `ExperimentMerge`, and an uninterrupted run give the
/// same `results.csv` bytes.
public struct ExperimentRunner: Sendable {
    public struct Options: Sendable {
        public var family: any ExperimentFamily
        /// The resolved spec; its seed must be set.
        public var spec: ExperimentSpec
        public var threads: Int
        public var shard: Shard?
        public var output: URL
        public var resume: Bool
        public var force: Bool
        public var command: String
        public var arguments: [String]
        public var environment: [(String, JSONValue)]
        public var maxMemory: Double?
        /// Whether to write every replicate's value beside `results.csv` (`PerReplicate`).
        public var perReplicate = false
        /// Facts about the complete results the manifest should record (a verdict, a maximum),
        /// computed from the rows of `results.csv` once it is written (parsed once, and handed
        /// back in the outcome).
        public var summarize: (@Sendable (CSVDocument) throws -> [(String, JSONValue)])?

        public init(
            family: any ExperimentFamily, spec: ExperimentSpec, threads: Int, shard: Shard? = nil, output: URL,
            resume: Bool = false, force: Bool = false, command: String, arguments: [String],
            environment: [(String, JSONValue)] = [], maxMemory: Double? = nil
        ) {
            precondition(spec.seed != nil, "ExperimentRunner needs a spec with its seed resolved")
            self.family = family
            self.spec = spec
            self.threads = threads
            self.shard = shard
            self.output = output
            self.resume = resume
            self.force = force
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.maxMemory = maxMemory
            self.summarize = nil
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
        /// The per-replicate file (`PerReplicate`) of a complete run with `perReplicate`.
        public var perReplicateFile: URL?
        public var perReplicateRows = 0
        /// `results.csv`, parsed, when the run is complete and was given a `summarize` hook.
        public var results: CSVDocument?
    }

    public let options: Options
    public init(options: Options) { self.options = options }

    public static let specFile = "experiment.toml"
    public static let cellsDirectory = "cells"
    /// Files a run writes, its figures included (and `--force` may remove): reproduce writes the
    /// PNGs too.
    public static let ownedFiles = [
        "experiment.toml", "results.csv", "manifest.json", "figure.svg", "figure-ratio.svg",
        "figure.png", "figure-ratio.png", PerReplicate.fileName, PerReplicate.compressedFileName
    ]

    /// Whether `directory` holds nothing but a run's files (or nothing): a command that by
    /// design reruns into one directory (`reproduce`) may replace such a run without `--force`.
    public static func holdsOnlyRunFiles(_ directory: URL) -> Bool {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return contents.allSatisfy {
            ownedFiles.contains($0) || $0 == cellsDirectory || $0 == ".lock" || ($0 == workDirectory && isWorkDirectory(directory.appendingPathComponent($0)))
                || ($0 == samplesDirectory && isSamplesDirectory(directory.appendingPathComponent($0)))
        }
    }

    /// The directory where a family that `keepsSamples` writes samples of what its cells
    /// generate (neural runs: text, PNG grids, XYZ frames), one subdirectory per cell.
    public static let samplesDirectory = OwnedDirectory.samples.name
    /// The file that marks a samples directory as the run's own (so `--force` may remove it).
    public static let samplesMarker = OwnedDirectory.samples.marker

    static func isSamplesDirectory(_ url: URL) -> Bool { OwnedDirectory.samples.isOwned(url) }

    /// The directory where a family that `usesWorkDirectory` keeps state between steps of its
    /// cells (an external trainer's models, samples and logs), shared by every cell of the run.
    public static let workDirectory = OwnedDirectory.work.name
    /// The file that marks a work directory as the run's own (so `--force` may remove it).
    public static let workMarker = OwnedDirectory.work.marker

    static func isWorkDirectory(_ url: URL) -> Bool { OwnedDirectory.work.isOwned(url) }

    public static func cellFileName(_ index: Int) -> String { String(format: "cell-%05d.csv", index) }
    /// The rows an interrupted cell had finished (kept for reading, never reused).
    public static func partialFileName(_ index: Int) -> String { String(format: "cell-%05d.partial.csv", index) }

    /// The cells of this run (all, or this shard's), as grid indices.
    public var cellIndices: [Int] {
        let all = options.spec.cells.indices
        return all.filter { options.shard?.contains(cell: $0) ?? true }
    }

    /// Checks memory and the output directory before any computation: fresh (missing or
    /// empty), resumable (the same run recorded), or overwritable with `force` (only the files a
    /// run writes are removed). Throws a clear error otherwise.
    public func prepare() throws {
        try Self.checkMemory(
            family: options.family, spec: options.spec, cells: cellIndices, threads: options.threads,
            maxMemory: options.maxMemory)
        let fm = FileManager.default
        let dir = options.output
        for (key, path) in options.family.inputFiles(options.spec) {
            if let problem = OutputSafety.overlap(output: dir, input: URL(fileURLWithPath: path)) {
                throw RunnerError("--output \(dir.path): \(problem) (\(options.spec.location(of: key))); choose another --output")
            }
        }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir.path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw RunnerError("--output \(dir.path): exists and is not a directory") }
        let contents = try fm.contentsOfDirectory(atPath: dir.path).filter { $0 != ".lock" }
        if contents.isEmpty { return }
        if options.resume {
            guard let recorded = try Self.recordedSpec(in: dir, family: options.family) else {
                throw RunnerError("--resume: \(dir.path) is not empty but holds no \(Self.specFile); it is not a run directory of this tool")
            }
            let diff = ExperimentSpec.differences(recorded, options.spec)
            guard diff.isEmpty else {
                throw RunnerError(
                    "--resume: \(dir.path) holds a different run (\(diff.joined(separator: "; "))); use another --output, or --force to start over")
            }
            return
        }
        if options.force {
            // Only what a run writes, and only as regular files: a directory or device named
            // results.csv is someone else's and is never removed.
            for name in Self.ownedFiles where contents.contains(name) {
                var isDirectory: ObjCBool = false
                let url = dir.appendingPathComponent(name)
                let attributes = try? fm.attributesOfItem(atPath: url.path)
                guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    attributes?[.type] as? FileAttributeType == .typeRegular
                else {
                    throw RunnerError(
                        "--force: \(url.path) is not a regular file; it is not a run's output, so it is left alone: move it or choose another --output")
                }
            }
            try OwnedDirectory.work.checkForceMayRemove(in: dir, contents: contents)
            try OwnedDirectory.samples.checkForceMayRemove(in: dir, contents: contents)
            let work = OwnedDirectory.work.url(in: dir), samples = OwnedDirectory.samples.url(in: dir)
            for name in Self.ownedFiles where contents.contains(name) { try fm.removeItem(at: dir.appendingPathComponent(name)) }
            if contents.contains(Self.samplesDirectory) { try fm.removeItem(at: samples) }
            let cells = dir.appendingPathComponent(Self.cellsDirectory)
            if fm.fileExists(atPath: cells.path) { try fm.removeItem(at: cells) }
            if fm.fileExists(atPath: work.path) { try fm.removeItem(at: work) }
            return
        }
        let shown = contents.sorted().prefix(3).joined(separator: ", ") + (contents.count > 3 ? ", …" : "")
        throw RunnerError(
            "--output \(dir.path) is not empty (holds \(shown)); pass --resume to continue the run there, "
                + "or --force to overwrite the run's files (others are kept)")
    }

    /// Refuses a run whose largest cell's estimated working memory exceeds `maxMemory` or 80 %
    /// of the memory available now.
    public static func checkMemory(
        family: any ExperimentFamily, spec: ExperimentSpec, cells: [Int]? = nil, threads: Int,
        maxMemory: Double?
    ) throws {
        let need = estimatedBytes(family: family, spec: spec, cells: cells, threads: threads)
        try MemoryGuard.check(need: need, maxMemory: maxMemory, advice: "reduce the sizes, the grid's largest cell or --threads")
    }

    /// The estimated working memory of a run (its largest cell's, on `threads`) that the memory
    /// guard checks; the manifest's `estimated_bytes` adds the largest cell on one worker for
    /// each further cell in flight (`cellsInFlight`).
    public static func estimatedBytes(family: any ExperimentFamily, spec: ExperimentSpec, cells: [Int]? = nil, threads: Int) -> Double {
        let grid = spec.cells
        return (cells ?? Array(grid.indices)).map { family.estimatedBytes(spec, cell: grid[$0], threads: threads) }.max() ?? 0
    }

    /// How many cells run at once: 1, or for a family that `sharesThreadsAcrossCells`, up to
    /// `threads` (and the cells left), fewer where the memory guard's limit (`maxMemory`, 80 %
    /// of the memory available now) would be passed by the largest cell on `threads` workers
    /// plus the largest cell on one worker for each further cell in flight (an upper bound:
    /// the workers of all cells together never outnumber `threads`).
    public static func cellsInFlight(family: any ExperimentFamily, spec: ExperimentSpec, cells: [Int], threads: Int, maxMemory: Double?) -> Int {
        let most = min(threads, cells.count)
        guard family.sharesThreadsAcrossCells, !family.runsCellsConcurrently, most > 1 else { return 1 }
        let full = estimatedBytes(family: family, spec: spec, cells: cells, threads: threads)
        let one = estimatedBytes(family: family, spec: spec, cells: cells, threads: 1)
        var limit = maxMemory ?? .infinity
        if let available = MemoryGuard.availableBytes() { limit = min(limit, 0.8 * available) }
        var k = most
        while k > 1 && full + Double(k - 1) * one > limit { k -= 1 }
        return k
    }

    /// A run's own text file (`experiment.toml`): a regular file of at most 16 MiB of UTF-8, read
    /// without blocking.
    static func readRunFile(_ url: URL) throws -> String {
        do {
            guard let text = String(data: try RegularFile.read(url.path, limit: 16 << 20), encoding: .utf8) else {
                throw RunnerError("\(url.path): not UTF-8 text")
            }
            return text
        } catch let e as RegularFile.Failure { throw RunnerError("\(url.path): \(e.description)") }
    }

    /// The run recorded in `directory`, if any.
    public static func recordedSpec(in directory: URL, family: any ExperimentFamily) throws -> ExperimentSpec? {
        let url = directory.appendingPathComponent(specFile)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let text = try readRunFile(url)
        var spec = ExperimentSpec(family: family)
        try spec.apply(config: text, file: url.path, family: family)
        return spec
    }

    /// Runs the grid. `isCancelled` is polled between cells and by the family inside a cell;
    /// when it fires, finished cells stay on disk, the manifest says `interrupted` and the
    /// outcome's status is `.interrupted`.
    public func run(progress: (any RunProgress)? = nil, isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Outcome {
        let started = Date()
        let fm = FileManager.default
        let spec = options.spec, family = options.family
        let dir = options.output
        // The first missing ancestor: if creating the directory fails part-way (an over-long
        // name, a full disk), what was created is removed again.
        var created: URL?
        var probe = dir.standardizedFileURL
        while !fm.fileExists(atPath: probe.path) && probe.path != "/" { created = probe; probe = probe.deletingLastPathComponent() }
        // mkdir each missing component (POSIX, so a failure reports errno's reason).
        var missing: [URL] = []
        var p = dir.standardizedFileURL
        while !fm.fileExists(atPath: p.path) && p.path != "/" { missing.insert(p, at: 0); p = p.deletingLastPathComponent() }
        for component in missing where mkdir(component.path, 0o777) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            if let created { try? fm.removeItem(at: created) }
            throw RunnerError("--output \(dir.path): cannot create the directory (\(reason))")
        }
        let lock = try OutputLock(directory: dir)
        defer {
            // Unlinked while still held, so the directory keeps only the run's files.
            unlink(dir.appendingPathComponent(".lock").path)
            withExtendedLifetime(lock) {}
        }
        let cellsDir = dir.appendingPathComponent(Self.cellsDirectory)
        try fm.createDirectory(at: cellsDir, withIntermediateDirectories: true)
        // Temporary files of writes cut short by a kill (AtomicFile names them ".NAME.tmp-PID").
        for name in (try? fm.contentsOfDirectory(atPath: cellsDir.path)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            try? fm.removeItem(at: cellsDir.appendingPathComponent(name))
        }
        let specURL = dir.appendingPathComponent(Self.specFile)
        if !fm.fileExists(atPath: specURL.path) { try AtomicFile.write(spec.tomlText(), to: specURL) }
        let workURL: URL? = family.usesWorkDirectory ? try OwnedDirectory.work.create(in: dir) : nil
        let samplesURL: URL? = family.keepsSamples ? try OwnedDirectory.samples.create(in: dir) : nil

        let grid = spec.cells
        let mine = cellIndices
        let header = family.header(spec)
        // With --per-replicate a cell is done only with its per-replicate file too (a cell an
        // earlier run finished without it is run again: the same rows, and its values).
        let perReplicate = options.perReplicate, replicateHeader = PerReplicate.header(header)
        let done = Set(
            mine.filter {
                fm.fileExists(atPath: cellsDir.appendingPathComponent(Self.cellFileName($0)).path)
                    && (!perReplicate || fm.fileExists(atPath: cellsDir.appendingPathComponent(PerReplicate.cellFileName($0)).path))
            })
        for index in done.sorted() {
            do { _ = try Self.assemble(cells: [index], header: header, from: [dir], check: (family, spec)) } catch let e as RunnerError {
                throw RunnerError("\(e.description); delete that file and rerun with --resume to recompute the cell")
            }
        }
        let todo = mine.filter { !done.contains($0) }
        progress?.begin(
            cells: todo.count,
            totalWork: todo.reduce(0) {
                $0 + Double(family.replicates(spec.restricted(to: grid[$1]))) * family.work(spec, cell: grid[$1])
            })
        defer { progress?.end() }

        // One cell: its rows, written atomically when it finishes (rows a cancelled cell had
        // finished go to a .partial file, which is never reused).
        let cellsURL = cellsDir
        @Sendable func runCell(_ index: Int, threads: Int, budget: ThreadBudget? = nil) throws {
            let cell = grid[index]
            let unit = family.work(spec, cell: cell)
            var context = CellContext(
                seed: spec.seed!, threads: threads, isCancelled: isCancelled,
                advance: { n in progress?.advance(replicates: n, work: Double(n) * unit) }, workDirectory: workURL,
                samplesDirectory: samplesURL)
            context.keepsReplicateValues = perReplicate
            context.threadBudget = budget
            let partial = cellsURL.appendingPathComponent(Self.partialFileName(index))
            do {
                let output = try family.runCell(spec, cell: cell, context: context)
                let rows = output.rows
                if perReplicate {
                    // Before the cell file: a cell file without its values is never taken as done.
                    guard let values = output.replicateValues else {
                        throw RunnerError("the \(family.name) family returned no per-replicate values for cell \(index)")
                    }
                    try AtomicFile.write(
                        replicateHeader.joined(separator: ",") + "\n"
                            + PerReplicate.rows(resultsHeader: header, rows: rows, values: values),
                        to: cellsURL.appendingPathComponent(PerReplicate.cellFileName(index)))
                }
                try AtomicFile.write(header.joined(separator: ",") + "\n" + rows, to: cellsURL.appendingPathComponent(Self.cellFileName(index)))
                try? FileManager.default.removeItem(at: partial)
            } catch let cancelled as CellCancelled {
                if let rows = cancelled.partialRows, !rows.isEmpty {
                    try? AtomicFile.write(header.joined(separator: ",") + "\n" + rows, to: partial)
                }
                throw cancelled
            }
            progress?.cellFinished()
        }

        var ran = 0
        let inFlight = Self.cellsInFlight(family: family, spec: spec, cells: todo, threads: options.threads, maxMemory: options.maxMemory)
        if family.runsCellsConcurrently && options.threads > 1 && todo.count > 1 {
            // Up to `threads` cells at once, each on one thread; every cell's bytes are its own,
            // so the results do not depend on which finishes first.
            let queue = CellQueue(todo)
            DispatchQueue.concurrentPerform(iterations: min(options.threads, todo.count)) { _ in
                while let index = queue.take(isCancelled: isCancelled) {
                    do {
                        try runCell(index, threads: 1)
                        queue.finished()
                    } catch is CellCancelled {
                        queue.stop()
                    } catch {
                        queue.stop(error)
                    }
                }
            }
            if let error = queue.error { throw error }
            ran = queue.ran
        } else if inFlight > 1 {
            // `inFlight` cells at once on one budget of `threads` threads: each cell's driver
            // holds a share while it works, and its parallel phases take the shares that are
            // free, so no thread idles while a cell in flight has a block left (ThreadBudget).
            // Every cell's bytes are its own, so the results do not depend on the interleaving.
            let queue = CellQueue(todo)
            let budget = ThreadBudget(threads: options.threads)
            DispatchQueue.concurrentPerform(iterations: inFlight) { _ in
                while let index = queue.take(isCancelled: isCancelled) {
                    budget.acquire()
                    do {
                        try runCell(index, threads: options.threads, budget: budget)
                        queue.finished()
                    } catch is CellCancelled {
                        queue.stop()
                    } catch {
                        queue.stop(error)
                    }
                    budget.release()
                }
            }
            if let error = queue.error { throw error }
            ran = queue.ran
        } else {
            for index in todo {
                if isCancelled() { break }
                do { try runCell(index, threads: options.threads) } catch is CellCancelled { break }
                ran += 1
            }
        }
        let status: Status = ran == todo.count ? .complete : .interrupted

        var resultsURL: URL?, perReplicateURL: URL?
        var rowCount = 0, perReplicateRows = 0
        var assembled = "", results: CSVDocument?
        // A previous run's manifest goes first: if writing results.csv or the new manifest fails
        // (a full disk), no reader finds a new results.csv beside an old manifest that says complete.
        let manifestURL = dir.appendingPathComponent("manifest.json")
        if fm.fileExists(atPath: manifestURL.path) { try fm.removeItem(at: manifestURL) }
        if status == .complete {
            // The reused cells' rows were checked above and the others were written by this
            // process: the family's row check is not repeated (the header and field counts are).
            let text = try Self.assemble(cells: mine, header: header, from: [dir])
            rowCount = text.rowCount
            resultsURL = dir.appendingPathComponent("results.csv")
            try AtomicFile.write(text.csv, to: resultsURL!)
            if options.summarize != nil { assembled = text.csv }
            if perReplicate, let values = try PerReplicate.assemble(cells: mine, header: replicateHeader, from: [dir]) {
                perReplicateURL = try PerReplicate.write(values, to: dir)
                perReplicateRows = values.rows
            }
        }
        let wall = Date().timeIntervalSince(started)
        var parameters: [(String, JSONValue)] = [("family", .string(spec.family))]
        if let name = spec.name { parameters.append(("name", .string(name))) }
        for key in spec.keys {
            guard let vs = spec.values[key] else { continue }
            let json = vs.map { v -> JSONValue in
                switch v {
                case let .integer(i): return .int(i)
                case let .real(x): return .double(x)
                case let .text(s): return .string(s)
                }
            }
            parameters.append((key, spec.role(of: key) == .single ? json[0] : .array(json)))
        }
        for (key, value) in family.manifestEntries(spec) where !parameters.contains(where: { $0.0 == key }) {
            parameters.append((key, value))
        }
        // The guard's estimate, beside the run's sizes (scripts/memory-vs-rss.py compares it with the peak RSS).
        let estimate =
            Self.estimatedBytes(family: family, spec: spec, cells: mine, threads: options.threads)
            + Double(inFlight - 1) * Self.estimatedBytes(family: family, spec: spec, cells: mine, threads: 1)
        parameters.append(("estimated_bytes", .int(Int(min(estimate, 9e18).rounded()))))
        parameters += [
            ("cells_total", .int(grid.count)), ("cells_in_run", .int(mine.count)),
            ("cells_run_now", .int(ran)), ("cells_reused", .int(done.count))
        ]
        if let shard = options.shard { parameters.append(("shard", .string(shard.description))) }
        if let resultsURL {
            parameters.append(("rows", .int(rowCount)))
            if perReplicateURL != nil { parameters.append(("per_replicate_rows", .int(perReplicateRows))) }
            if let summarize = options.summarize {
                let document = try CSVReader.parse(assembled, file: resultsURL.path)
                parameters += try summarize(document)
                results = document
            }
        }
        let manifest = RunManifest(
            command: options.command, arguments: options.arguments, seed: spec.seed!,
            threads: options.threads, wallSeconds: wall, startedAt: started, parameters: parameters,
            outputs: (resultsURL == nil ? [Self.cellsDirectory] : ["results.csv", Self.cellsDirectory])
                + (perReplicateURL.map { [$0.lastPathComponent] } ?? [])
                + (samplesURL == nil ? [] : [Self.samplesDirectory]),
            status: status.rawValue, environment: options.environment)
        try AtomicFile.write(manifest.json().rendered() + "\n", to: manifestURL)
        return Outcome(
            status: status, cellsRun: ran, cellsReused: done.count, rows: rowCount, wallSeconds: wall, resultsFile: resultsURL,
            perReplicateFile: perReplicateURL, perReplicateRows: perReplicateRows, results: results)
    }

    /// Concatenates the cell files `cells` (grid indices, ascending), looked up in `directories`,
    /// under one header. Throws if a cell is missing, its header differs, a row has the wrong
    /// number of fields, it does not end in a newline (truncated), or the family's `checkRows`
    /// (when `check` is given) finds a row that does not belong to the cell.
    public static func assemble(
        cells: [Int], header: [String], from directories: [URL],
        check: (family: any ExperimentFamily, spec: ExperimentSpec)? = nil
    ) throws -> (csv: String, rowCount: Int) {
        let grid = check?.spec.cells
        let head = header.joined(separator: ",")
        var out = head + "\n"
        var rows = 0
        for index in cells {
            let name = cellFileName(index)
            guard
                let url = directories.lazy.map({ $0.appendingPathComponent(cellsDirectory).appendingPathComponent(name) })
                    .first(where: { FileManager.default.fileExists(atPath: $0.path) })
            else {
                throw RunnerError("cell \(index) (\(name)) is missing from \(directories.map(\.path).joined(separator: ", "))")
            }
            guard let data = try? RegularFile.read(url.path, limit: 1 << 30), let text = String(data: data, encoding: .utf8) else {
                throw RunnerError("\(url.path): unreadable (not a regular file, larger than 1 GiB or not UTF-8 text)")
            }
            guard text.hasPrefix(head + "\n") else { throw RunnerError("\(url.path):1: unexpected header; not a cell file of this run") }
            let body = text.dropFirst(head.count + 1)
            guard body.isEmpty || body.hasSuffix("\n") else { throw RunnerError("\(url.path): does not end with a newline (truncated?)") }
            for (k, line) in CSVField.lines(body).enumerated() {
                let fields = CSVField.unquotedFieldCount(line)
                guard fields == header.count else {
                    throw RunnerError("\(url.path):\(k + 2): \(fields) fields, expected \(header.count)")
                }
                rows += 1
            }
            if let check, let grid, let (row, problem) = check.family.checkRows(body, spec: check.spec, cell: grid[index]) {
                throw RunnerError("\(url.path):\(row + 1): \(problem)")
            }
            out += body
        }
        return (out, rows)
    }
}

/// Whether an output path would touch an input: the one check every command uses before it
/// writes (symlinks resolved on both sides).
public enum OutputSafety {
    /// The path with every symlink resolved (`FilePath.resolved`).
    static func resolved(_ url: URL) -> URL { FilePath.resolved(url) }

    /// Why writing into directory `output` would touch `input`, or nil: `output` is the input,
    /// or contains it (the run's files, or `--force`, could replace it).
    public static func overlap(output: URL, input: URL) -> String? {
        let o = resolved(output).path, i = resolved(input).path
        if i == o { return "is the input \(input.path)" }
        if i.hasPrefix(o.hasSuffix("/") ? o : o + "/") { return "contains the input \(input.path)" }
        return nil
    }

    /// Whether two paths name the same file once symlinks are resolved.
    public static func same(_ a: URL, _ b: URL) -> Bool { FilePath.same(a, b) }
}

/// The cells left to run, handed to concurrent workers in grid order.
final class CellQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let cells: [Int]
    private var next = 0
    private var stopped = false
    private(set) var ran = 0
    private(set) var error: Error?

    init(_ cells: [Int]) { self.cells = cells }

    /// The next cell, or nil when all are taken, the run stopped, or cancellation was requested.
    func take(isCancelled: () -> Bool) -> Int? {
        if isCancelled() { stop() }
        lock.lock(); defer { lock.unlock() }
        guard !stopped, next < cells.count else { return nil }
        next += 1
        return cells[next - 1]
    }

    func finished() { lock.lock(); ran += 1; lock.unlock() }

    /// No more cells are handed out (an interruption, or `error`: the first one is kept).
    func stop(_ error: Error? = nil) {
        lock.lock()
        stopped = true
        if self.error == nil, let error { self.error = error }
        lock.unlock()
    }
}

/// Combines the cell files of several run directories (shards) into the CSV an unsharded run
/// writes, byte for byte.
public enum ExperimentMerge {
    /// Refusals before a merge into `output`, each a `SpecError`: `output` may not be one of the
    /// `directories` (it may hold them, as OUT/shard-I), may not already hold a run's files
    /// unless `force`, and every input must be a directory.
    public static func checkOutput(_ output: String, directories: [String], force: Bool) throws {
        guard !directories.isEmpty else { throw SpecError("give one or more sweep directories to merge") }
        for d in directories where OutputSafety.same(URL(fileURLWithPath: output), URL(fileURLWithPath: d)) {
            throw SpecError("--output \(output): is \(d), a directory to merge; choose another --output")
        }
        let existing = ["results.csv", "manifest.json", ExperimentRunner.specFile].filter {
            FileManager.default.fileExists(atPath: URL(fileURLWithPath: output).appendingPathComponent($0).path)
        }
        if !existing.isEmpty && !force {
            throw SpecError("--output \(output): already holds \(existing.joined(separator: ", ")); pass --force to replace them, or choose another --output")
        }
        var isDir: ObjCBool = false
        for d in directories where !(FileManager.default.fileExists(atPath: d, isDirectory: &isDir) && isDir.boolValue) {
            throw SpecError("\(d): not a directory; expected sweep directories written by `collapse sweep`")
        }
        _ = try OutputDirectory(path: output)
    }

    /// Checks that every directory records the same run of `family` and that every cell is
    /// present, then writes `output/results.csv` and `output/experiment.toml`, and copies the
    /// shards' samples into `output/samples` (`mergeSamples`). Returns the row count and the
    /// number of sample files. Where the shards kept per-replicate values (`--per-replicate`)
    /// their files are combined into the unsharded run's `PerReplicate` file too.
    public static func merge(_ directories: [URL], into output: URL, family: any ExperimentFamily) throws
        -> (rows: Int, spec: ExperimentSpec, samples: Int, perReplicate: String?)
    {
        guard let first = directories.first else { throw RunnerError("merge: give at least one directory") }
        var spec: ExperimentSpec?
        for dir in directories {
            guard let s = try ExperimentRunner.recordedSpec(in: dir, family: family) else {
                throw RunnerError("merge: \(dir.path) holds no \(ExperimentRunner.specFile); not a run directory")
            }
            if let spec {
                let diff = ExperimentSpec.differences(spec, s)
                guard diff.isEmpty else {
                    throw RunnerError("merge: \(dir.path) holds a different run than \(first.path) (\(diff.joined(separator: "; ")))")
                }
            } else {
                spec = s
            }
        }
        let resolved = spec!
        let assembled = try ExperimentRunner.assemble(
            cells: Array(resolved.cells.indices), header: family.header(resolved),
            from: directories, check: (family, resolved))
        let values = try PerReplicate.assemble(
            cells: Array(resolved.cells.indices), header: PerReplicate.header(family.header(resolved)),
            from: directories)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let samples = try mergeSamples(directories, into: output)
        var perReplicate: String?
        if let values { perReplicate = try PerReplicate.write(values, to: output).lastPathComponent } else { try PerReplicate.remove(from: output) }
        try AtomicFile.write(assembled.csv, to: output.appendingPathComponent("results.csv"))
        try AtomicFile.write(resolved.tomlText(), to: output.appendingPathComponent(ExperimentRunner.specFile))
        return (assembled.rowCount, resolved, samples, perReplicate)
    }

    /// The family named in a run directory's `experiment.toml`.
    public static func familyName(in directory: URL) throws -> String? {
        let url = directory.appendingPathComponent(ExperimentRunner.specFile)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let entries = try FlatTOML.parse(try ExperimentRunner.readRunFile(url), file: url.path)
        guard let e = entries.first(where: { $0.key == "family" }), case let .string(name) = e.value else { return nil }
        return name
    }
}
