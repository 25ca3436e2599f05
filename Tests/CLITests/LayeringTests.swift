import Foundation
import XCTest

/// The module layers the README draws: every library target imports only targets of lower
/// layers (read from Package.swift, so a new dependency that points up or sideways fails here).
final class LayeringTests: XCTestCase {
    static let layers: [String: Int] = [
        "CLapack": -1, "CollapseExport": 0, "Randomness": 0, "LinearAlgebra": 0,
        "ExperimentEngine": 1, "CollapseCore": 1, "Autodiff": 1, "CollapsePlot": 1, "CollapseTheory": 1,
        "LinearCollapse": 2, "GenerativeChains": 2, "ParametricChains": 2, "NeuralCollapse": 2, "ExternalTrainer": 2,
        "CollapseSweep": 3,
        "collapse": 4
    ]

    func testDependenciesPointDown() throws {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Package.swift")
        let text = try String(contentsOf: package, encoding: .utf8)
        // `.target(name: "X", dependencies: [...])` and `.executableTarget(...)`, dependencies as string literals.
        let pattern = try NSRegularExpression(pattern: #"\.(?:target|executableTarget)\(\s*name:\s*"([A-Za-z]+)"(?:,\s*dependencies:\s*\[([^\]]*)\])?"#)
        var checked = 0
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 1), in: text)!])
            let layer = try XCTUnwrap(Self.layers[name], "target \(name) has no layer: add it to the README's layout and here")
            guard let r = Range(match.range(at: 2), in: text) else { checked += 1; continue }
            let deps = text[r].split(separator: ",").compactMap { item -> String? in
                let t = item.trimmingCharacters(in: .whitespacesAndNewlines)
                return t.hasPrefix("\"") ? String(t.dropFirst().dropLast()) : nil
            }
            for dep in deps {
                let below = try XCTUnwrap(Self.layers[dep], "\(name) depends on \(dep), which has no layer")
                XCTAssertLessThan(below, layer, "\(name) (layer \(layer)) imports \(dep) (layer \(below)): arrows must point down")
            }
            checked += 1
        }
        XCTAssertEqual(checked, Self.layers.count - 1, "every target but the system library CLapack was checked")
    }
}
