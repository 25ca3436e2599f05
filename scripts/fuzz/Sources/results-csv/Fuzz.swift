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

// SwiftPM links an executable target's entry point as `fuzz_results_csv_main` (so tests can link it);
// here that entry hands control to libFuzzer's driver with the function above.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("fuzz_results_csv_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var count = argc
    var vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
