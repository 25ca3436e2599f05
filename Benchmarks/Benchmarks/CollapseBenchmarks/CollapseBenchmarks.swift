// Benchmarks of the linear model-collapse simulator (ordo-one/benchmark).
//
// Everything is single-threaded (OpenBLAS set to one thread, Monte Carlo with threads = 1) and
// uses fixed seeds, so every run measures the same arithmetic. Run with scripts/bench.sh, which
// also derives the per-generation cost of the literal engine,
//     cost(one generation) = (t[N = 51] − t[N = 1]) / 50,
// and compares it with the irreducible work of a generation (T normals + one Xᵀ·noise dgemv).
//
// The benchmark names are parsed by scripts/bench.sh: keep them in sync.

import Benchmark
import CollapseCore
import LinearAlgebra
import LinearCollapse
import Randomness

// MARK: - Shared settings

/// The cell of the per-generation benchmarks: d = 32, T = 1000, σ² = 1.
private let cell = LinearCell(dimension: 32, samples: 1000, noiseVariance: 1)
private let seed: UInt64 = 20_240_402
/// Replicates cycled through by the replicate-chain benchmarks (deterministic set of designs).
private let replicateCycle = 64

/// Microbenchmarks (µs per call): many samples, shown in ns.
private var micro: Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .throughput], timeUnits: .nanoseconds, warmupIterations: 100,
        maxDuration: .seconds(2), maxIterations: 20_000)
}
/// One replicate chain (~0.1–10 ms per call).
private var chain: Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .throughput], timeUnits: .microseconds, warmupIterations: 5,
        maxDuration: .seconds(2), maxIterations: 2_000)
}
/// A whole Monte Carlo run (~0.1–1 s per call): a few samples.
private var run: Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .throughput], timeUnits: .milliseconds, warmupIterations: 1,
        maxDuration: .seconds(6), maxIterations: 5)
}

/// OpenBLAS on one thread (also set by OPENBLAS_NUM_THREADS=1 in scripts/bench.sh).
private func singleThreadedBLAS() { BLAS.useCallingThreadOnly() }

// MARK: - States (built in setup, outside the measurement)

private final class NormalState {
    var rng = Xoshiro256StarStar(seed: seed)
    let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: 1000)
    init() { buffer.initialize(repeating: 0) }
    deinit { buffer.deallocate() }
}

/// A fixed 1000 × 32 Gaussian design, its factorisation and scratch buffers.
private final class DesignState {
    let t = cell.samples, d = cell.dimension
    var rng: Xoshiro256StarStar
    let design: Matrix
    let solver: LeastSquaresSolver
    let noise, projectedNoise, h, w, scratch: UnsafeMutableBufferPointer<Double>

    init() throws {
        singleThreadedBLAS()
        var generator = Xoshiro256StarStar(seed: seed, stream: [7])
        var x = [Double](repeating: 0, count: cell.samples * cell.dimension)
        x.withUnsafeMutableBufferPointer { Normal.fill($0, using: &generator) }
        design = Matrix(rows: cell.samples, columns: cell.dimension, columnMajor: x)
        solver = try LeastSquaresSolver(design: design)
        func buffer(_ n: Int) -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
            b.initialize(repeating: 0)
            return b
        }
        noise = buffer(cell.samples); projectedNoise = buffer(cell.dimension)
        h = buffer(cell.dimension); w = buffer(cell.dimension); scratch = buffer(cell.dimension)
        Normal.fill(w, using: &generator)
        rng = generator
    }

    deinit { for b in [noise, projectedNoise, h, w, scratch] { b.deallocate() } }
}

/// One literal-engine simulator with its reusable workspace (as a Monte Carlo worker has).
private final class LiteralChainState {
    let simulator: LinearChainSimulator
    let workspace: LinearChainSimulator.Workspace
    let errors: UnsafeMutableBufferPointer<Double>
    var replicate = 0

    init(regimes: [Regime], generations: Int) {
        singleThreadedBLAS()
        simulator = LinearChainSimulator(cell: cell, regimes: regimes, generations: generations)
        workspace = simulator.makeWorkspace()
        errors = .allocate(capacity: regimes.count * generations)
        errors.initialize(repeating: 0)
    }

    deinit { errors.deallocate() }

    func runOne() throws {
        let stats = try simulator.runReplicate(seed: seed, replicate: replicate, errors: errors, workspace: workspace)
        replicate = (replicate + 1) % replicateCycle
        blackHole(stats.traceOfGramPseudoInverse)
        blackHole(errors[errors.count - 1])
    }
}

private final class SufficientChainState {
    let simulator: SufficientStatisticSimulator
    let errors: UnsafeMutableBufferPointer<Double>
    var replicate = 0

    init(regimes: [Regime], generations: Int) {
        simulator = SufficientStatisticSimulator(cell: cell, regimes: regimes, generations: generations)
        errors = .allocate(capacity: regimes.count * generations)
        errors.initialize(repeating: 0)
    }

    deinit { errors.deallocate() }

    func runOne() throws {
        let stats = try simulator.runReplicate(seed: seed, replicate: replicate, errors: errors)
        replicate = (replicate + 1) % replicateCycle
        blackHole(stats.traceOfGramPseudoInverse)
        blackHole(errors[errors.count - 1])
    }
}

/// The paper's linear figure (`collapse reproduce`): d = 32, T ∈ {100, 316, 1000},
/// σ² ∈ {0.01, 0.1, 1, 10, 100}, 50 generations, replace + accumulate.
private let paperCells: [LinearCell] = [100, 316, 1000].flatMap { t in
    [0.01, 0.1, 1, 10, 100].map { LinearCell(dimension: 32, samples: t, noiseVariance: $0) }
}

private func reproduce(engine: Engine, repeats: Int) throws {
    let settings = MonteCarloSettings(
        repeats: repeats, generations: 50, regimes: [.replace, .accumulate],
        seed: seed, threads: 1, engine: engine)
    for c in paperCells {
        let rows = try MonteCarlo.run(cell: c, settings: settings)
        blackHole(rows.last?.mean)
    }
}

private func regimeLabel(_ regime: Regime) -> String {
    if case let .mix(fraction) = regime { return "mix(\(fraction))" }
    return regime.name
}

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    // 1. The normal sampler.
    Benchmark("normal sampler: 1000 normals", configuration: micro) { benchmark, state in
        for _ in benchmark.scaledIterations {
            Normal.fill(state.buffer, using: &state.rng)
            blackHole(state.buffer[999])
        }
    } setup: {
        NormalState()
    }

    // 2. The factorisation of one design (dsyrk + dpotrf + dpocon + traces).
    Benchmark("factorisation: LeastSquaresSolver 1000x32", configuration: micro) { benchmark, state in
        for _ in benchmark.scaledIterations {
            let solver = try LeastSquaresSolver(design: state.design)
            blackHole(solver.traceOfGramPseudoInverse)
        }
    } setup: {
        try DesignState()
    }

    // 3. One generation, and the irreducible work beside it.
    Benchmark("irreducible: 1000 normals + one X^T·noise (dgemv) d=32 T=1000", configuration: micro) { benchmark, state in
        for _ in benchmark.scaledIterations {
            Normal.fill(state.noise, using: &state.rng)
            state.design.storage.withUnsafeBufferPointer { xp in
                BLAS.gemv(
                    transpose: true, rows: state.t, columns: state.d, alpha: 1, a: xp.baseAddress!,
                    x: state.noise.baseAddress!, beta: 0, y: state.h.baseAddress!)
            }
            blackHole(state.h[0])
        }
    } setup: {
        try DesignState()
    }

    // The replace generation spelled out with the solver's projected-label API, one generation
    // at a time (the engine itself projects up to 64 generations' noise with one dgemm):
    // E ~ N(0, σ²I_T), h = Gŵ + XᵀE, ŵ ← G⁻¹h.
    Benchmark("one OLS generation (X^T noise + refit), d=32 T=1000", configuration: micro) { benchmark, state in
        for _ in benchmark.scaledIterations {
            Normal.fill(state.noise, using: &state.rng)
            state.solver.projectLabels(state.noise.baseAddress!, columns: 1, into: state.projectedNoise.baseAddress!)
            state.solver.projectFit(state.w.baseAddress!, into: state.h.baseAddress!)
            for i in 0..<state.d { state.h[i] += state.projectedNoise[i] }
            state.solver.solveProjected(
                state.h.baseAddress!, into: state.w.baseAddress!,
                scratch: state.scratch.baseAddress!)
            blackHole(state.w[0])
        }
    } setup: {
        try DesignState()
    }

    // The literal engine's cost per generation: (t[N=51] − t[N=1]) / 50 (scripts/bench.sh).
    for regime in [Regime.replace, .accumulate] {
        for generations in [1, 51] {
            Benchmark(
                "literal replicate \(regimeLabel(regime)) d=32 T=1000 N=\(generations)",
                configuration: chain
            ) { benchmark, state in
                for _ in benchmark.scaledIterations { try state.runOne() }
            } setup: {
                LiteralChainState(regimes: [regime], generations: generations)
            }
        }
    }

    // 4. One literal replicate chain per regime, 50 generations.
    for regime in [Regime.replace, .accumulate, .accumulateSubsample, .mix(realFraction: 0.5)] {
        Benchmark(
            "literal replicate chain \(regimeLabel(regime)) d=32 T=1000 N=50",
            configuration: chain
        ) { benchmark, state in
            for _ in benchmark.scaledIterations { try state.runOne() }
        } setup: {
            LiteralChainState(regimes: [regime], generations: 50)
        }
    }

    // 5. One sufficient-statistic replicate chain, 50 generations.
    for regime in [Regime.replace, .accumulate] {
        Benchmark(
            "sufficient replicate chain \(regimeLabel(regime)) d=32 T=1000 N=50",
            configuration: chain
        ) { benchmark, state in
            for _ in benchmark.scaledIterations { try state.runOne() }
        } setup: {
            SufficientChainState(regimes: [regime], generations: 50)
        }
    }

    // 6. Reproduce-sized runs: the paper figure's 15 cells, replace + accumulate, 50 generations,
    // one thread.
    Benchmark("reproduce: MonteCarlo.run 15 cells literal R=100 threads=1", configuration: run) { benchmark in
        singleThreadedBLAS()
        for _ in benchmark.scaledIterations { try reproduce(engine: .literal, repeats: 100) }
    }
    Benchmark("reproduce: MonteCarlo.run 15 cells sufficient R=1000 threads=1", configuration: run) { benchmark in
        singleThreadedBLAS()
        for _ in benchmark.scaledIterations { try reproduce(engine: .sufficient, repeats: 1000) }
    }
}
