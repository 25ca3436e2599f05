import CollapsePlot
import Foundation
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// One element of a parsed SVG document.
struct SVGElement {
    var name: String
    var attributes: [String: String]
    var text: String

    var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }
    func has(class c: String) -> Bool { classes.contains(c) }
}

/// Parses SVG text with XMLParser (so a malformed document fails) and collects its elements.
final class SVGInspector: NSObject, XMLParserDelegate {
    private(set) var elements: [SVGElement] = []
    private var stack: [Int] = []
    private(set) var error: String?

    static func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> SVGInspector? {
        let inspector = SVGInspector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = inspector
        guard parser.parse() else {
            XCTFail(
                "SVG is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error") "
                    + "at line \(parser.lineNumber), column \(parser.columnNumber)", file: file, line: line)
            return nil
        }
        return inspector
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        elements.append(SVGElement(name: elementName, attributes: attributeDict, text: ""))
        stack.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = stack.last { elements[i].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        _ = stack.popLast()
    }

    /// Elements with class `c` (any element name).
    func withClass(_ c: String) -> [SVGElement] { elements.filter { $0.has(class: c) } }

    var root: SVGElement? { elements.first }
}

/// Synthetic results files.
enum SyntheticResults {
    static let header =
        "regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,"
        + "theory_test_error,real_fraction,ci95_low,ci95_high,theory_given_design,z_score,z_given_design"

    /// The closed forms (T ≥ d + 2) with a small deterministic wobble as "Monte Carlo".
    static func theory(_ regime: String, n: Int, d: Int, t: Int, s2: Double) -> Double? {
        guard t >= d + 2 else { return nil }
        let base = s2 * Double(d) / Double(t - d - 1)
        switch regime {
        case "replace": return base * Double(n)
        case "accumulate": return base * (1...n).reduce(0) { $0 + 1 / Double($1 * $1) }
        default: return nil
        }
    }

    /// A results CSV over the grid, in the simulator's order (cell, regime, generation).
    /// `regimes` may contain `mix(λ)`; mix and accumulate-subsample rows have no theory.
    static func csv(
        regimes: [String] = ["replace", "accumulate"], dimensions: [Int] = [4],
        samples: [Int] = [20, 50], noiseVariances: [Double] = [0.1, 1, 10], generations: Int = 6,
        repeats: Int = 100, withConfidenceColumns: Bool = true
    ) -> String {
        var lines = [
            withConfidenceColumns
                ? header
                : "regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,theory_test_error,real_fraction"
        ]
        for d in dimensions {
            for t in samples {
                for s2 in noiseVariances {
                    for label in regimes {
                        var name = label, fraction = ""
                        if label.hasPrefix("mix("), label.hasSuffix(")") {
                            name = "mix"
                            fraction = String(label.dropFirst(4).dropLast())
                        }
                        for n in 1...generations {
                            let th = theory(name, n: n, d: d, t: t, s2: s2)
                            let mean = (th ?? s2 * Double(d) / Double(t) * Double(n) * 0.6) * (1 + 0.01 * Double(n % 3))
                            let se = mean * 0.05
                            var fields = [
                                name, String(n), String(d), String(t), s2.description, String(repeats),
                                mean.description, se.description, th.map(\.description) ?? "", fraction
                            ]
                            if withConfidenceColumns {
                                fields += [(mean - 1.959964 * se).description, (mean + 1.959964 * se).description, "", "", ""]
                            }
                            lines.append(fields.joined(separator: ","))
                        }
                    }
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ text: String, source: String = "synthetic.csv") throws -> ResultsTable {
        try ResultsTable(csv: text, source: source)
    }
}

/// A fresh temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("collapse-plot-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// The numbers in SVG path data.
func pathNumbers(_ d: String) -> [Double] {
    d.split(whereSeparator: { " ,MLZh".contains($0) }).compactMap { Double($0) }
}
