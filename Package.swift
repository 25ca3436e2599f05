// swift-tools-version: 6.0
// The reference toolkit for the theory and simulation of model collapse.
import PackageDescription

// The collapse binary loads Debian's pthreads OpenBLAS (libopenblas0-pthread, installed with
// libopenblas-dev) even where the system's default libopenblas.so.0 (update-alternatives) is the
// sequential or OpenMP build: only the pthreads build locks the work-buffer pool that concurrent
// callers share (LinearAlgebra's BLAS.isSafeForConcurrentCallers), and the tool shuts its
// thread pool down at start-up. A run path that does not exist is skipped by the loader, which
// then takes the system's libopenblas.so.0; LinearAlgebra serialises BLAS calls for any build but
// pthreads. DT_RUNPATH (not DT_RPATH), so LD_LIBRARY_PATH still overrides it for measurements.
let openBLASPthreadsRunPath: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-Xlinker", "-rpath", "-Xlinker", "/usr/lib/x86_64-linux-gnu/openblas-pthread",
            "-Xlinker", "-rpath", "-Xlinker", "/usr/lib/aarch64-linux-gnu/openblas-pthread"
        ],
        .when(platforms: [.linux]))
]

// The collapse binary carries the Swift runtime and Foundation (-static-stdlib, Linux only): the
// loader no longer maps and relocates libswiftCore, Foundation and ICU at every start, time that
// no thread count shrinks (`collapse --version` 15.2 -> 10.1 ms, `simulate` of 2 replicates
// 22.8 -> 16.3 ms; docs/performance.md). The binary also runs where no Swift runtime is
// installed (it still loads OpenBLAS and LAPACKE). Swift code compiled with the flag autolinks
// the static Foundation's own libraries (CoreFoundation, ICU), so the executable's module is
// compiled with it too. Only the executable: the tests link the libraries as usual, and
// CLITests runs the binary from the build directory (`swift test` builds it) instead of
// depending on its target, which would pass these link flags on to the test bundle.
let staticRuntimeCompile: [SwiftSetting] = [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]
let staticRuntimeLink: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]

let package = Package(
    name: "ModelCollapse",
    products: [
        .executable(name: "collapse", targets: ["collapse"]),
        .library(name: "LinearCollapse", targets: ["LinearCollapse"]),
        .library(name: "CollapseTheory", targets: ["CollapseTheory"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "Randomness", targets: ["Randomness"]),
        .library(name: "CollapseCore", targets: ["CollapseCore"]),
        // For scripts/fuzz (libFuzzer targets of every parser) and other packages built on this one.
        .library(name: "ExperimentEngine", targets: ["ExperimentEngine"]),
        .library(name: "CollapseExport", targets: ["CollapseExport"]),
        .library(name: "CollapsePlot", targets: ["CollapsePlot"]),
        .library(name: "GenerativeChains", targets: ["GenerativeChains"]),
        .library(name: "NeuralCollapse", targets: ["NeuralCollapse"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // TOML 1.0 parsing of config files (toml++ underneath); only ExperimentEngine uses it.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0")
    ],
    targets: [
        // C: LAPACKE + OpenBLAS (Debian: liblapacke-dev, libopenblas-dev), and glibc's mallopt. Only LinearAlgebra imports it.
        .systemLibrary(name: "CLapack", path: "Sources/CLapack"),
        .target(name: "LinearAlgebra", dependencies: ["CLapack"]),
        .target(name: "Randomness"),
        // Closed forms and the catalogue of closed-form models: pure Swift, no BLAS, no sampling.
        .target(name: "CollapseTheory", dependencies: ["CollapseExport"]),
        // Regimes, the generative-model protocol and the one generation scheduler.
        .target(name: "CollapseCore", dependencies: ["Randomness", "CollapseExport"]),
        // The linear-regression collapse simulator, Monte Carlo runner and verification battery.
        .target(
            name: "LinearCollapse",
            dependencies: ["LinearAlgebra", "Randomness", "CollapseTheory", "CollapseCore", "CollapseExport", "ExperimentEngine"]),
        // Tidy CSV, JSON manifests, atomic file output: Foundation only.
        .target(name: "CollapseExport", plugins: ["BuildProvenance"]),
        // Embeds the git commit a build was made from (manifests name the binary's own source).
        .plugin(name: "BuildProvenance", capability: .buildTool(), path: "Sources/BuildProvenancePlugin"),
        // Exactly solvable parametric chains (Poisson, Gaussian mean, real/synthetic mixing).
        .target(name: "ParametricChains", dependencies: ["CollapseCore", "CollapseTheory", "Randomness", "LinearAlgebra"]),
        // Classic generative models (Gaussian, KDE, mixture, categorical, Poisson, n-gram) on the scheduler.
        .target(
            name: "GenerativeChains",
            dependencies: ["CollapseCore", "CollapseTheory", "Randomness", "LinearAlgebra", "CollapseExport", "ExperimentEngine"]),
        // SVG figures from results CSV files (pure Swift).
        .target(name: "CollapsePlot", dependencies: ["CollapseExport"]),
        // The experiment engine: family parameters, specs from flags and config files, and one
        // runner for every family (grid, durable cells, resume, shards, merge, progress, lock).
        .target(name: "ExperimentEngine", dependencies: ["CollapseExport", .product(name: "TOMLKit", package: "TOMLKit")]),
        // The catalogue: the engine's families by name, the named experiments of every family,
        // and the verification suite (every Monte Carlo vs closed-form check with its pass rule).
        .target(
            name: "CollapseSweep",
            dependencies: ["LinearCollapse", "GenerativeChains", "NeuralCollapse", "ParametricChains", "ExperimentEngine", "ExternalTrainer"]),
        // Any model as a family: an external trainer program (docs/trainer-protocol.md) driven
        // step by step by the generation scheduler, each step durable.
        .target(name: "ExternalTrainer", dependencies: ["CollapseCore", "Randomness", "CollapseExport", "ExperimentEngine"]),
        // Reverse-mode automatic differentiation over dense Float32 matrices (cblas_sgemm), AdamW.
        // -fno-math-errno: Float.squareRoot() goes through a C shim that clang otherwise compiles
        // as errno-setting sqrtf, which LLVM cannot vectorise; without errno it is sqrtps (the
        // same correctly rounded IEEE square root, 4 lanes at a time). Only errno changes.
        .target(
            name: "Autodiff", dependencies: ["LinearAlgebra", "Randomness"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-fno-math-errno"])]),
        // Neural generative models (transformer LM, VAE, DDPM) on the generation scheduler.
        .target(name: "NeuralCollapse", dependencies: ["Autodiff", "CollapseCore", "Randomness", "LinearAlgebra", "CollapseExport", "ExperimentEngine"]),
        .executableTarget(
            name: "collapse",
            dependencies: [
                "LinearCollapse", "CollapseTheory", "CollapseCore", "CollapseExport", "CollapsePlot", "CollapseSweep", "ParametricChains",
                "GenerativeChains",
                "NeuralCollapse", "LinearAlgebra", "Randomness", "ExperimentEngine", "ExternalTrainer",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ], swiftSettings: staticRuntimeCompile, linkerSettings: openBLASPthreadsRunPath + staticRuntimeLink),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "Randomness"]),
        .testTarget(name: "CollapseTheoryTests", dependencies: ["CollapseTheory", "CollapseExport"]),
        .testTarget(name: "CollapseCoreTests", dependencies: ["CollapseCore", "Randomness"]),
        .testTarget(
            name: "LinearCollapseTests",
            dependencies: ["LinearCollapse", "LinearAlgebra", "Randomness", "CollapseTheory", "CollapseCore", "CollapseExport", "ExperimentEngine"]),
        .testTarget(name: "CollapseExportTests", dependencies: ["CollapseExport", "Randomness"]),
        .testTarget(name: "ParametricChainsTests", dependencies: ["ParametricChains", "CollapseTheory", "CollapseCore", "Randomness"]),
        .testTarget(
            name: "GenerativeChainsTests",
            dependencies: ["GenerativeChains", "CollapseTheory", "CollapseCore", "Randomness", "ParametricChains"]),
        .testTarget(name: "CollapsePlotTests", dependencies: ["CollapsePlot", "CollapseExport"]),
        .testTarget(
            name: "CollapseSweepTests",
            dependencies: [
                "CollapseSweep", "LinearCollapse", "CollapseCore", "ExperimentEngine",
                "GenerativeChains", "NeuralCollapse", "Randomness", "CollapseExport"
            ]),
        .testTarget(name: "ExperimentEngineTests", dependencies: ["ExperimentEngine", "CollapseExport"]),
        .testTarget(name: "ExternalTrainerTests", dependencies: ["ExternalTrainer", "CollapseCore", "ExperimentEngine"]),
        // The libraries too: the help and completion tests compare the texts with their lists.
        .testTarget(
            name: "CLITests",
            dependencies: [
                "CollapseExport", "CollapseSweep", "CollapseTheory", "CollapseCore", "CollapsePlot",
                "LinearCollapse", "GenerativeChains", "NeuralCollapse", "ExternalTrainer", "ExperimentEngine"
            ]),
        .testTarget(name: "NeuralCollapseTests", dependencies: ["NeuralCollapse", "Autodiff", "CollapseCore", "Randomness", "ExperimentEngine"])
    ]
)
