import Foundation

/// Progress on stderr: cells done / total, replicates per second and ETA by work units. On a
/// terminal (or with --progress) a bar redrawn in place; otherwise (a log file, a batch job) one
/// plain line per `lineInterval` seconds, so long runs say where they are without flooding logs.
/// The counts are named by `Units`: an engine run's cells and replicates, or another command's
/// parts and items (theory's grid cells and rows, bench's measurements and steps).
public final class TextProgress: RunProgress, @unchecked Sendable {
    /// What `begin(cells:)` counts (the parts, each `cellFinished()`) and what the rate counts
    /// (the items `advance(replicates:)` reports).
    public struct Units: Sendable {
        public var parts: String, items: String
        public init(parts: String, items: String) { (self.parts, self.items) = (parts, items) }
        /// An engine run: cells, and replicates per second.
        public static let cells = Units(parts: "cells", items: "rep")
    }

    /// nil: the bar; else the seconds between plain lines.
    private let lineInterval: Double?
    private let units: Units
    private let lock = NSLock()
    private var cells = 0, cellsDone = 0
    private var totalWork = 0.0, work = 0.0
    private var replicates = 0
    private var start = Date()
    private var lastDraw = Date.distantPast

    /// The bar (`lineInterval` nil) or plain lines every `lineInterval` seconds.
    public init(lineInterval: Double? = nil, units: Units = .cells) { (self.lineInterval, self.units) = (lineInterval, units) }

    /// The plain-line reporter for a stderr that is not a terminal: every 60 s, or every
    /// `COLLAPSE_PROGRESS_INTERVAL` seconds when that is set (tests use a short one).
    public static func lines(units: Units = .cells) -> TextProgress {
        let env = ProcessInfo.processInfo.environment["COLLAPSE_PROGRESS_INTERVAL"].flatMap(Double.init)
        return TextProgress(lineInterval: env.map { max($0, 0.01) } ?? 60, units: units)
    }

    public func begin(cells: Int, totalWork: Double) {
        lock.withLock {
            self.cells = cells
            self.totalWork = max(totalWork, 1)
            start = Date()
            lastDraw = start
            if lineInterval == nil { draw(force: true) }
        }
    }

    public func advance(replicates n: Int, work w: Double) {
        lock.withLock {
            replicates += n
            work += w
            draw(force: false)
        }
    }

    public func cellFinished() {
        lock.withLock {
            cellsDone += 1; draw(force: lineInterval == nil)
        }
    }

    public func end() { lock.withLock { if lineInterval == nil { FileHandle.standardError.write(Data("\n".utf8)) } } }

    private func draw(force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= (lineInterval ?? 0.2) else { return }
        lastDraw = now
        let fraction = min(work / totalWork, 1)
        let width = 28
        let filled = Int(fraction * Double(width))
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(replicates) / elapsed : 0
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .nan
        let status =
            "\(units.parts) \(cellsDone)/\(cells)  \(String(format: "%3.0f", fraction * 100))%  "
            + "\(String(format: "%.0f", rate)) \(units.items)/s  ETA \(Self.clock(eta))"
        let line =
            lineInterval == nil
            ? "\r[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + status + "   "
            : "progress: " + status + " (elapsed \(Self.clock(elapsed)))\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// `m:ss` or `h:mm:ss`; `--:--` when unknown.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
