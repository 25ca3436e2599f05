import Autodiff
import CollapseExport
import ExperimentEngine
import Foundation
import LinearAlgebra
import Randomness

/// Achieved FLOP/s of training steps against single-thread `cblas_sgemm` on a square product,
/// measured in the same process (BLAS pinned to one thread).
public enum NeuralThroughput {
    public struct Measurement: Sendable {
        public var name: String
        /// The measurement's name in a `TorchAnchor` (`sgemm 512^3`, `lm-small`, …).
        public var key: String
        /// Analytic matrix-multiply FLOPs of one step.
        public var flops: Double
        /// Median seconds per step over `runs` timed steps.
        public var medianSeconds: Double
        public var runs: Int
        public var flopsPerSecond: Double { flops / medianSeconds }
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }

    static func time(_ runs: Int, warmup: Int = 2, _ body: () -> Void) -> [Double] {
        for _ in 0..<warmup { body() }
        return (0..<runs).map { _ in
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        }
    }

    /// `C = A·B` for `n × n` Float32 matrices, one BLAS thread: FLOPs `2n³`.
    public static func sgemmPeak(n: Int = 512, runs: Int = 9) -> Measurement {
        BLAS.useCallingThreadOnly()
        var rng = Xoshiro256StarStar(seed: 7)
        let a = Normal.array(count: n * n, using: &rng).map(Float.init), b = Normal.array(count: n * n, using: &rng).map(Float.init)
        var c = [Float](repeating: 0, count: n * n)
        let times = time(runs) {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(
                            transA: false, transB: false, m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n,
                            beta: 0, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
        }
        return Measurement(name: "sgemm \(n)×\(n)×\(n)", key: "sgemm \(n)^3", flops: 2 * pow(Double(n), 3), medianSeconds: median(times), runs: runs)
    }

    /// One language-model training step (forward, backward, AdamW) at `config`'s sizes.
    public static func languageModelStep(_ config: TransformerConfig, runs: Int = 10, key: String = "lm") -> Measurement {
        BLAS.useCallingThreadOnly()
        var rng = Xoshiro256StarStar(seed: 8)
        let w = TransformerWeights(config: config, using: &rng)
        let stream = StoryGrammar(maxLength: max(60, min(127, config.context - 1))).corpus(count: 400, using: &rng).stream
        var opt = AdamW(parameters: w.parameters, learningRate: 1e-3, weightDecay: 0.01, clipNorm: 1)
        let workspace = Workspace()
        let times = time(runs) {
            let starts = (0..<config.batch).map { _ in rng.nextIndex(below: stream.count - config.context) }
            let tape = Tape(workspace: workspace)
            tape.backward(w.loss(tape, stream: stream, starts: starts, length: config.context))
            opt.update(w.parameters)
            tape.release()
        }
        return Measurement(name: "lm training step", key: key, flops: config.trainingFLOPsPerStep, medianSeconds: median(times), runs: runs)
    }

    /// The training steps of every model at `preset`'s sizes (built-in data).
    /// The training steps of `preset`, measured one by one (`measure`), each with its work: its
    /// FLOPs times the steps it runs, warm-up included (what progress and its ETA count).
    public static func steps(preset: NeuralPreset, runs: Int) throws -> [(work: Double, measure: () -> Measurement)] {
        BLAS.useCallingThreadOnly()
        let vae = try VAETask.make(preset, seed: 9, dataPath: nil)
        let diffusion = try DiffusionTask.make(preset, seed: 9, dataPath: nil)
        let lm = LanguageModelTask.sizes(preset).config
        let vaeFLOPs = vae.make().config.trainingFLOPsPerStep(dimension: vae.train.dimension)
        let diffusionFLOPs = diffusion.make().config.trainingFLOPsPerStep(dimension: diffusion.train.dimension)
        let fits = Double(2 + 3 * runs)
        return [
            (lm.trainingFLOPsPerStep * Double(2 + runs), { languageModelStep(lm, runs: runs, key: "lm-\(preset)") }),
            (vaeFLOPs * fits, { fitStep("vae training step", key: "vae-\(preset)", task: vae, runs: runs, flops: vaeFLOPs) }),
            (
                diffusionFLOPs * fits,
                {
                    fitStep(
                        "diffusion training step", key: "diffusion-\(preset)", task: diffusion, runs: runs,
                        flops: diffusionFLOPs)
                }
            )
        ]
    }

    /// Seconds per step of a model's whole fit (init, `steps` steps), timed over a fit of
    /// `runs` steps with the preset's other sizes.
    static func fitStep<M: NeuralGenerativeModel & StepBudgeted>(
        _ name: String, key: String, task: NeuralTask<M>, runs: Int,
        flops: Double
    ) -> Measurement {
        var model = task.make()
        model.setBudget(.steps(2))
        try? model.fit(task.train)  // warm-up
        let times = (0..<3).map { _ -> Double in
            model.setBudget(.steps(runs))
            let t0 = DispatchTime.now().uptimeNanoseconds
            try? model.fit(task.train)
            return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 / Double(runs)
        }
        return Measurement(name: name, key: key, flops: flops, medianSeconds: median(times), runs: 3 * runs)
    }
}

/// A model whose training budget can be set (for timing).
protocol StepBudgeted {
    mutating func setBudget(_ budget: TrainingBudget)
}

extension VariationalAutoencoder: StepBudgeted {
    mutating func setBudget(_ budget: TrainingBudget) { config.budget = budget }
}

extension ConformerDiffusionModel: StepBudgeted {
    mutating func setBudget(_ budget: TrainingBudget) { config.budget = budget }
}

extension NeuralThroughput {
    /// The sgemm peak and each training step of `preset` over `runs` timed steps, as a table for
    /// reading: GFLOP per step, median milliseconds, GFLOP/s and the fraction of the peak, and
    /// with an `anchor` the ratio `PyTorch ms / collapse ms` of each measurement it has
    /// (above 1: collapse is faster; "—" where the anchor has no such measurement). `progress`
    /// counts the measurements, weighted by the FLOPs each times.
    public static func report(
        preset: NeuralPreset, runs: Int, sgemmSize: Int, anchor: TorchAnchor? = nil,
        progress: RunProgress? = nil
    ) throws -> String {
        let peakRuns = max(5, runs)
        let plan: [(work: Double, measure: () -> Measurement)] =
            [(work: 2 * pow(Double(sgemmSize), 3) * Double(2 + peakRuns), measure: { sgemmPeak(n: sgemmSize, runs: peakRuns) })]
            + (try steps(preset: preset, runs: runs))
        progress?.begin(cells: plan.count, totalWork: plan.map(\.work).reduce(0, +))
        let measured = plan.map { item in
            let m = item.measure()
            progress?.advance(replicates: m.runs, work: item.work)
            progress?.cellFinished()
            return m
        }
        progress?.end()
        let peak = measured[0], steps = measured.dropFirst()
        func pad(_ s: String, _ w: Int) -> String { TextTable.pad(s, w) }
        var out =
            pad("measurement", 22) + pad("GFLOP/step", 14) + pad("median ms", 12) + pad("GFLOP/s", 10) + pad("of peak", 9)
            + (anchor == nil ? "" : pad("PyTorch ms", 12) + pad("vs PyTorch", 12)) + "\n"
        for m in [peak] + steps {
            var cells: [String] = [
                pad(m.name, 22), pad(String(format: "%.4f", m.flops / 1e9), 14), pad(String(format: "%.3f", m.medianSeconds * 1e3), 12),
                pad(String(format: "%.2f", m.flopsPerSecond / 1e9), 10),
                pad(String(format: "%.1f%%", 100 * m.flopsPerSecond / peak.flopsPerSecond), 9)
            ]
            if let anchor {
                if let ms = anchor.milliseconds(for: m.key) {
                    cells += [pad(String(format: "%.3f", ms), 12), pad(String(format: "%.2f×", ms / (m.medianSeconds * 1e3)), 12)]
                } else {
                    cells += [pad("—", 12), pad("—", 12)]
                }
            }
            out += cells.joined() + "\n"
        }
        out +=
            "(lm: median of \(runs) steps; vae, diffusion: median of 3 fits of \(runs) steps, per step; sgemm: median of \(max(5, runs)) products; one BLAS thread)\n"
        if let anchor {
            out +=
                "(vs PyTorch = PyTorch ms / collapse ms, above 1 is faster; anchor \(anchor.version ?? "of unknown torch version"), measured elsewhere unless run side by side)\n"
        }
        return out
    }
}
