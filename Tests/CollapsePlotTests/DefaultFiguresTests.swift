import CollapseExport
import CollapsePlot
import Foundation
import XCTest

/// The figures written beside linear results (`sweep`: SVG; `reproduce`: SVG and PNG).
final class DefaultFiguresTests: XCTestCase {
    var work: URL!
    var linear: String!

    override func setUpWithError() throws {
        work = try temporaryDirectory(self)
        linear = work.appendingPathComponent("linear.csv").path
        try SyntheticResults.csv(dimensions: [4, 8], samples: [20, 50]).write(toFile: linear, atomically: true, encoding: .utf8)
    }

    func testDefaultFiguresWritePNGBesideSVGWhereTheyCan() throws {
        let dir = work.appendingPathComponent("run")
        let written = try DefaultFigures.write(results: try CSVReader.read(contentsOf: URL(fileURLWithPath: linear)), into: dir, png: true)
        if SVGConverter.isAvailable {
            XCTAssertEqual(written.files, ["figure.svg", "figure.png", "figure-ratio.svg", "figure-ratio.png"])
            XCTAssertNil(written.pngNote)
            XCTAssertNotNil(FigureOutputTests.pngSize(try Data(contentsOf: dir.appendingPathComponent("figure.png"))))
        } else {
            XCTAssertEqual(written.files, ["figure.svg", "figure-ratio.svg"])
            XCTAssertTrue(try XCTUnwrap(written.pngNote).contains("librsvg2-bin"))
        }
        let svgOnly = try DefaultFigures.write(
            results: try CSVReader.read(contentsOf: URL(fileURLWithPath: linear)), into: work.appendingPathComponent("svg"), png: false)
        XCTAssertEqual(svgOnly.files, ["figure.svg", "figure-ratio.svg"])
        XCTAssertNil(svgOnly.pngNote)
    }
}
