import Autodiff
import Foundation
import Synchronization

/// The training loop shared by the three models.
enum Training {
    /// Runs `steps` AdamW steps; `loss(step, tape)` records the step's mini-batch loss on
    /// `tape`, whose buffers come from one `Workspace` for the whole fit (allocated in the
    /// first step, reused by the others). The learning rate follows `LearningRate.warmupCosine` up to `peak`. Returns the
    /// mean loss over the last 10 % of steps; throws when the loss stops being finite.
    static func run(
        _ model: String, fit: Int, steps: Int, peak: Float, parameters: ParameterList,
        optimizer: inout AdamW, loss: (Int, Tape) -> Tensor
    ) throws -> Double {
        let tail = max(1, steps / 10)
        var tailLoss = 0.0
        let workspace = Workspace()
        for step in 0..<steps {
            if NeuralCancellation.isRequested { throw NeuralInterrupted() }
            let tape = Tape(workspace: workspace)
            defer { tape.release() }
            let l = loss(step, tape)
            guard l.scalar.isFinite else {
                throw NeuralDataError("\(model): training loss became \(l.scalar) at step \(step + 1) of fit \(fit)")
            }
            if step >= steps - tail { tailLoss += Double(l.scalar) }
            tape.backward(l)
            optimizer.update(parameters, learningRate: LearningRate.warmupCosine(step: step, of: steps, peak: peak))
        }
        return tailLoss / Double(tail)
    }
}

/// Cooperative cancellation of neural runs (SIGINT/SIGTERM in the CLI). Training loops poll
/// the flag before every step and throw `NeuralInterrupted`; the language model's and the
/// DDPM's samplers poll it per token position or diffusion step and stop early (their truncated
/// output is never used: the next fit throws at its first step, and `NeuralExperiment.run`
/// drops a generation whose diagnostics ran while the flag was set). So a run stops within one
/// step of training or sampling and keeps every generation evaluated before the request. The
/// flag is process-wide; callers clear it with `reset()` before a run.
public enum NeuralCancellation {
    static let flag = Atomic<Bool>(false)

    /// Asks running fits to stop (a relaxed atomic store: safe from a signal handler).
    public static func request() { flag.store(true, ordering: .relaxed) }

    /// Clears a request (before a new run).
    public static func reset() { flag.store(false, ordering: .relaxed) }

    public static var isRequested: Bool { flag.load(ordering: .relaxed) }
}

/// Thrown by a fit that stopped because `NeuralCancellation` was requested.
public struct NeuralInterrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "interrupted" }
}

/// Learning-rate schedules.
public enum LearningRate {
    /// Linear warm-up over the first 5 % of `steps` (at least one step), then cosine decay
    /// from `peak` to `peak/10`.
    public static func warmupCosine(step: Int, of steps: Int, peak: Float) -> Float {
        let warm = max(1, steps / 20)
        if step < warm { return peak * Float(step + 1) / Float(warm) }
        let progress = Double(step - warm) / Double(max(1, steps - warm))
        return peak * Float(0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * progress)))
    }
}

/// How long each generation's fit trains.
///
/// Under accumulate each model trains on all real and synthetic data so far (Gerstgrasser et
/// al. 2024), so the compute per fit grows with the pool (generation n trains on n datasets);
/// accumulate-subsample (Kazdan et al. 2024) holds the pool, and so the compute, at the real
/// training set's size. `epochs` gives the first design; `steps` fixes the compute per fit
/// whatever the pool, which under accumulate gives each datum fewer passes as n grows.
public enum TrainingBudget: Sendable, Equatable, CustomStringConvertible {
    /// The same number of optimiser steps in every fit.
    case steps(Int)
    /// `e` passes over the fit's training pool: `max(1, ⌈e · examples / examplesPerStep⌉)`
    /// steps (for the language model an example is a byte and a step sees `batch · context`).
    case epochs(Double)

    /// Whether the budget trains at all (a positive step count or a positive finite epoch count).
    public var isPositive: Bool {
        switch self {
        case .steps(let k): return k >= 1
        case .epochs(let e): return e > 0 && e.isFinite
        }
    }

    /// Optimiser steps of a fit on `examples` training examples, `perStep` seen per step.
    public func steps(examples: Int, perStep: Int) -> Int {
        precondition(examples >= 0 && perStep >= 1)
        switch self {
        case .steps(let k): return k
        case .epochs(let e):
            // The quotient is rounded to 9 decimals first, so that 0.3 · 10 / 1 gives 3 steps,
            // not the 4 that its binary round-off (3.0000000000000004) would.
            let quotient = ((e * Double(examples) / Double(perStep)) * 1e9).rounded() / 1e9
            return max(1, Int(quotient.rounded(.up)))
        }
    }

    public var description: String {
        switch self {
        case .steps(let k): return "\(k) steps per fit, whatever the pool size (fixed compute per fit)"
        case .epochs(let e):
            return "\(e == e.rounded() && abs(e) < 1e9 ? String(Int(e)) : String(e)) epochs over each fit's training pool (steps grow with the pool)"
        }
    }
}
