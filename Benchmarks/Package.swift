// swift-tools-version: 6.1
// Performance benchmarks of the model-collapse toolkit (ordo-one/benchmark).
// A separate package so that the main package does not depend on the benchmark tooling.
// Run: scripts/bench.sh (from the repository root), or
//   swift package --package-path Benchmarks --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "CollapseBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        // Naming a trait list replaces benchmark's default traits (MallocInterposer +
        // RuntimeInterposer): RuntimeInterposer would pull in swift-runtime-interposer,
        // which is not available here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "ModelCollapse", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "CollapseBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LinearCollapse", package: "ModelCollapse"),
                .product(name: "LinearAlgebra", package: "ModelCollapse"),
                .product(name: "Randomness", package: "ModelCollapse"),
                .product(name: "CollapseCore", package: "ModelCollapse")
            ],
            path: "Benchmarks/CollapseBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ]
)
