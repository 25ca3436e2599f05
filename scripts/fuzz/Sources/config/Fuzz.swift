import FuzzDriver
import ExperimentEngine
import LinearCollapse

/// A config file as `collapse sweep --config` reads it: FlatTOML, then the linear family's spec
/// (every key, type, range and combination check). Any input must parse or throw, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? resolveSpec(LinearFamily(), config: (text, "fuzz.toml"), flags: [:], seed: nil)
    return 0
}

/// The entry SwiftPM links for this executable target: libFuzzer's driver with `fuzz`.
@_cdecl("fuzz_config_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 { runFuzzer(argc, argv, fuzz) }
