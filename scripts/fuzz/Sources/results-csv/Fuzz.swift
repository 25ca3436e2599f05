import FuzzDriver
import CollapseExport
import CollapsePlot
import Foundation

/// A results file as `collapse plot` reads it: RFC 4180 CSV, then the linear or the long schema.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let document = try? CSVReader.parse(Data(bytes: data, count: size), file: "fuzz.csv") else { return 0 }
    _ = try? ResultsTable(document: document)
    _ = try? MetricResultsTable(document: document)
    return 0
}

/// The entry SwiftPM links for this executable target: libFuzzer's driver with `fuzz`.
@_cdecl("fuzz_results_csv_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 { runFuzzer(argc, argv, fuzz) }
