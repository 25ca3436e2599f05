import FuzzDriver
import NeuralCollapse

/// `neural --data` input bytes through TextCorpusLoader.parse: any input parses or throws, never traps
/// or allocates what its header merely claims.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? TextCorpusLoader.parse(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz")
    return 0
}

/// The entry SwiftPM links for this executable target: libFuzzer's driver with `fuzz`.
@_cdecl("fuzz_corpus_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 { runFuzzer(argc, argv, fuzz) }
