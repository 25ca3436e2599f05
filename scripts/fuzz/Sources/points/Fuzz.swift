import FuzzDriver
import GenerativeChains

/// A point file (`generative --dataset csv --data`) and a token corpus (`--dataset corpus`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? UserData.points(csv: text, file: "fuzz.csv")
    _ = try? UserData.corpus(text, length: 1 + size % 40, file: "fuzz.txt")
    return 0
}

/// The entry SwiftPM links for this executable target: libFuzzer's driver with `fuzz`.
@_cdecl("fuzz_points_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 { runFuzzer(argc, argv, fuzz) }
