import Autodiff
import Foundation

/// The training loop shared by the three models.
enum Training {
    /// Runs `steps` AdamW steps; `loss(step, tape)` records the step's mini-batch loss on
    /// `tape`. The learning rate follows `LearningRate.warmupCosine` up to `peak`. Returns the
    /// mean loss over the last 10 % of steps; throws when the loss stops being finite.
    static func run(_ model: String, fit: Int, steps: Int, peak: Float, parameters: ParameterList,
                    optimizer: inout AdamW, loss: (Int, Tape) -> Tensor) throws -> Double {
        let tail = max(1, steps / 10)
        var tailLoss = 0.0
        for step in 0..<steps {
            let tape = Tape()
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

