import CollapseSweep
import ExperimentEngine
import Foundation
import LinearCollapse
import Randomness
import XCTest

/// Random mutations of valid inputs must give a value or a typed error — never a crash, a hang
/// or an unbounded allocation. Bounded here (a few seconds); set COLLAPSE_FUZZ_ITERATIONS for a
/// longer run, e.g. `COLLAPSE_FUZZ_ITERATIONS=200000 swift test -c release --filter Fuzz`.
enum Fuzz {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["COLLAPSE_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 4000
    }

    /// Pieces that stress a parser: delimiters, quotes, escapes, numbers at the edges, unicode.
    static let fragments = [
        "\"", "[", "]", ",", "=", "#", "\n", "\r\n", "\\", "\\u", " ", "\t", "'", "0", "-1",
        "1e308", "1e999", "nan", "inf", "18446744073709551616", "9223372036854775807",
        "samples", "regimes", "[[", "]]", "é", "σ²", "\u{0}", "\u{FEFF}", "true", "{", "}", ".", "_"
    ]

    /// One random mutation of `text` (deterministic given the generator state).
    static func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
        var chars = Array(text)
        let ops = 1 + Int(rng.next() % 4)
        for _ in 0..<ops {
            let at = chars.isEmpty ? 0 : Int(rng.next() % UInt64(chars.count + 1))
            switch rng.next() % 6 {
            case 0 where !chars.isEmpty: chars.remove(at: min(at, chars.count - 1))
            case 1: chars.insert(contentsOf: fragments[Int(rng.next() % UInt64(fragments.count))], at: at)
            case 2 where !chars.isEmpty:
                chars[min(at, chars.count - 1)] = Character(UnicodeScalar(UInt8(32 + rng.next() % 95)))
            case 3: chars = Array(chars.prefix(at))
            case 4 where !chars.isEmpty:
                let lines = String(chars).split(separator: "\n", omittingEmptySubsequences: false)
                let i = Int(rng.next() % UInt64(lines.count))
                var copy = lines
                copy.insert(lines[i], at: i)
                chars = Array(copy.joined(separator: "\n"))
            default: chars.insert(contentsOf: fragments[Int(rng.next() % UInt64(fragments.count))], at: at)
            }
        }
        return String(chars)
    }
}

final class ConfigFuzzTests: XCTestCase {
    func testMutatedConfigsParseOrFailWithALocatedError() throws {
        let linear = Experiments.all.filter { $0.familyName == "linear" }
        let seeds =
            try linear.map { $0.toml } + [
                linearSpec("regimes = [\"mix\"]\nreal_fraction = [0.1, 0.9]\nseed = \"123\"\n", file: "x").tomlText(),
                linearSpec("regimes = [\"replace\"]\nengine = \"sufficient\"\nsamples = [40, 50]\n", file: "y").tomlText()
            ]
        let family = LinearFamily()
        var rng = SplitMix64(seed: 20241125)
        var accepted = 0, rejected = 0
        let started = Date()
        for i in 0..<Fuzz.iterations {
            let text = Fuzz.mutate(seeds[i % seeds.count], &rng)
            let t0 = Date()
            do {
                let spec = try linearSpec(text, file: "fuzz.toml")
                // Whatever parses must satisfy the documented limits.
                let cells = spec.cells.map(family.cell)
                XCTAssertFalse(cells.isEmpty)
                XCTAssertTrue(cells.allSatisfy { LinearFamily.Limits.dimension.contains($0.dimension) })
                XCTAssertTrue(cells.allSatisfy { $0.noiseVariance > 0 && $0.noiseVariance.isFinite })
                XCTAssertTrue(LinearFamily.Limits.repeats.contains(family.replicates(spec)))
                accepted += 1
            } catch let e as SpecError {
                XCTAssertTrue(e.description.hasPrefix("fuzz.toml:"), e.description)
                rejected += 1
            }
            XCTAssertLessThan(Date().timeIntervalSince(t0), 1, "parse took too long on:\n\(text)")
        }
        XCTAssertGreaterThan(accepted, 0)
        XCTAssertGreaterThan(rejected, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
    }
}

/// Mutated cell files (the CSV inputs of `merge` and `--resume`) are merged or rejected with a
/// located error naming the file; never a crash.
final class CellFileFuzzTests: XCTestCase {
    func testMutatedCellFilesMergeOrFailCleanly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cellfuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let spec = try linearSpec("dimension = 2\nsamples = 8\ngenerations = 3\nregimes = [\"replace\", \"accumulate\"]\nrepeats = 10\n", seed: 1)
        let dir = root.appendingPathComponent("a")
        _ = try ExperimentRunner(
            options: .init(
                family: LinearFamily(), spec: spec, threads: 1, output: dir, command: "test",
                arguments: [])
        ).run()
        let cell = dir.appendingPathComponent("cells/cell-00000.csv")
        let original = try String(contentsOf: cell, encoding: .utf8)
        var rng = SplitMix64(seed: 42)
        var merged = 0, rejected = 0
        for _ in 0..<min(Fuzz.iterations / 4, 1000) {
            try Fuzz.mutate(original, &rng).write(to: cell, atomically: true, encoding: .utf8)
            do {
                _ = try ExperimentMerge.merge([dir], into: root.appendingPathComponent("m"), family: LinearFamily())
                merged += 1
            } catch let e as RunnerError {
                XCTAssertTrue(e.description.contains("cell-00000.csv"), e.description)
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 0)
        _ = merged
    }
}
