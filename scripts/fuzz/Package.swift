// swift-tools-version:6.0
// libFuzzer targets for every parser of the toolkit. run.sh builds them with
// `-Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library`, so the toolkit's modules are
// coverage-instrumented too; each target defines LLVMFuzzerTestOneInput and gets libFuzzer's main.
import Foundation
import PackageDescription

/// A path dependency's identity is its directory's name (the clone's name, whatever it is).
let toolkit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "CollapseFuzz",
    dependencies: [.package(path: "../..")],
    targets: [
        .target(name: "FuzzDriver", path: "Sources/driver"),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzDriver",
            .product(name: "ExperimentEngine", package: toolkit), .product(name: "LinearCollapse", package: toolkit),
        ], path: "Sources/config"),
        .executableTarget(name: "fuzz-results-csv", dependencies: ["FuzzDriver",
            .product(name: "CollapsePlot", package: toolkit), .product(name: "CollapseExport", package: toolkit),
        ], path: "Sources/results-csv"),
        .executableTarget(name: "fuzz-points", dependencies: ["FuzzDriver", .product(name: "GenerativeChains", package: toolkit)],
                          path: "Sources/points"),
        .executableTarget(name: "fuzz-idx", dependencies: ["FuzzDriver", .product(name: "NeuralCollapse", package: toolkit)],
                          path: "Sources/idx"),
        .executableTarget(name: "fuzz-xyz", dependencies: ["FuzzDriver", .product(name: "NeuralCollapse", package: toolkit)],
                          path: "Sources/xyz"),
        .executableTarget(name: "fuzz-corpus", dependencies: ["FuzzDriver", .product(name: "NeuralCollapse", package: toolkit)],
                          path: "Sources/corpus"),
    ]
)
