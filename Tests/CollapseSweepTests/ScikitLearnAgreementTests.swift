import CollapseSweep
import Foundation
import GenerativeChains
import XCTest

/// `collapse data`'s moons, circles and blobs against scikit-learn's own generators, by
/// `scripts/sklearn-datasets.py` (the exact multiset without noise; pooled two-sample
/// Kolmogorov–Smirnov tests at a family-wise false-alarm probability of 10⁻³ with noise; fixed
/// seeds on both sides). Runs only where scikit-learn and scipy import: `$SKLEARN_PYTHON`
/// (a virtual environment's python) or `python3`; skipped with a message otherwise.
final class ScikitLearnAgreementTests: XCTestCase {
    func testExportsAgreeWithScikitLearn() throws {
        let python = ProcessInfo.processInfo.environment["SKLEARN_PYTHON"] ?? "python3"
        func run(_ args: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [python] + args
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: out, as: UTF8.self))
        }
        guard (try? run(["-c", "import sklearn, scipy"]))?.0 == 0 else {
            throw XCTSkip("scikit-learn and scipy do not import in \(python); set SKLEARN_PYTHON to a python that has them to compare with scikit-learn")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sklearn-agreement-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(name: String, dataset: String, n: Int, samples: Int, options: [String: String])] = [
            ("moons-default", "moons", 101, 5, [:]),
            ("circles-default", "circles", 100, 5, [:]),
            ("circles-factor", "circles", 37, 3, ["factor": "0.3"]),
            ("moons-noise", "moons", 250, 40, ["noise": "0.1"]),
            ("circles-noise", "circles", 250, 40, ["noise": "0.05", "factor": "0.5"]),
            ("blobs-default", "blobs", 250, 40, [:]),
            ("blobs-3d", "blobs", 200, 40, ["dimension": "3", "centers": "4", "cluster_std": "2", "center_box": "-5,5"])
        ]
        var json: [[String: Any]] = []
        for c in cases {
            var files: [String] = []
            for s in 0..<c.samples {
                let e = try DataExport.export(.init(dataset: c.dataset, count: String(c.n), seed: UInt64(s + 1), options: c.options))
                let file = "\(c.name)-\(s).csv"
                try Data(e.bytes).write(to: dir.appendingPathComponent(file))
                files.append(file)
            }
            var entry: [String: Any] = [
                "name": c.name, "generator": c.dataset, "n": c.n, "files": files,
                "noise": Double(c.options["noise"] ?? "0")!, "factor": Double(c.options["factor"] ?? "0.8")!,
                "cluster_std": Double(c.options["cluster_std"] ?? "1")!
            ]
            if c.dataset == "blobs" {
                let box = try GenerativeFamily.centerBox(c.options["center_box"] ?? "-10,10")
                let o = PointOptions(centers: Int(c.options["centers"] ?? "3")!, centerLow: box.0, centerHigh: box.1)
                entry["centers"] = SyntheticPoints.blobCentres(o, dimension: Int(c.options["dimension"] ?? "2")!)
            }
            json.append(entry)
        }
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("cases.json"))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/sklearn-datasets.py").path
        let (status, output) = try run([script, dir.path])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("0 failed"), output)
    }
}
