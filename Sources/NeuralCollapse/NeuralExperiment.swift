import Autodiff
import CollapseCore
import Dispatch
import Foundation
import LinearAlgebra
import Randomness

/// One row of a neural run: the test loss after generation `generation`'s fit, and the
/// model's extra metrics (`NeuralRun.metricNames`).
public struct NeuralResultRow: Sendable, Equatable {
    public var model: String
    public var regime: Regime
    public var generation: Int
    public var testLoss: Double
    public var metrics: [Double]

    public init(model: String, regime: Regime, generation: Int, testLoss: Double, metrics: [Double]) {
        self.model = model; self.regime = regime; self.generation = generation; self.testLoss = testLoss; self.metrics = metrics
    }
}

/// The rows of a run (regimes in the order given, generations ascending) and what they mean.
public struct NeuralRun: Sendable {
    public var model: String
    public var metricNames: [String]
    public var rows: [NeuralResultRow]
    /// Human-readable description of the data and sizes, for the manifest.
    public var parameters: [(String, String)]
    /// Seconds of each regime's chain (wall time inside its worker).
    public var regimeSeconds: [Double]
}

/// Generation 1 of a neural chain: the model fitted to the real data, its test loss and its
/// diagnostics. It does not depend on the regime (every regime's chain starts from the same
/// model seed and real data, and the regime acts only from generation 2 on), so the regimes of
/// a run can share one: bit for bit the rows and samples of fitting it in each.
public struct FirstGeneration<M: NeuralGenerativeModel>: @unchecked Sendable {
    public var model: M
    public var loss: Double
    public var diagnostics: [(String, Double)]

    /// Fits `make()` to `real`; throws `NeuralInterrupted` when a cancellation request cut the
    /// fit or the diagnostics short (the result would be wrong, so it is not kept).
    public static func fit(make: () -> M, real: M.Data) throws -> FirstGeneration {
        var model = make()
        try model.fit(real)
        let loss = try model.evaluate()
        let diagnostics = model.diagnostics(generation: 1)
        if NeuralCancellation.isRequested { throw NeuralInterrupted() }
        return FirstGeneration(model: model, loss: loss, diagnostics: diagnostics)
    }
}

public enum NeuralExperiment {
    /// Runs one `GenerationScheduler` chain per regime, each on its own worker, with BLAS pinned
    /// to one thread. Every chain gets the same real data, the same model seed and the same
    /// sampling and subsampling streams (`(seed, sampling)`, `(seed, subsampling)`), so the
    /// regimes share generation 1 exactly and differ only by how they pool. Results do not
    /// depend on `threads`: each chain is single-threaded and deterministic.
    ///
    /// **Interruption.** When `NeuralCancellation` is requested, the fit or sampling in progress
    /// stops within a step, no further regime starts, and the rows of every generation already
    /// evaluated are returned with `interrupted = true`: a prefix of each started regime's chain,
    /// so they equal the first rows of an uninterrupted run (regimes not started have no rows).
    /// The caller clears the flag (`NeuralCancellation.reset()`) before the run.
    ///
    /// `afterFit` sees each regime's model after every generation's fit and diagnostics, before
    /// that generation's row is kept (`NeuralSamples` writes samples there); it must not change
    /// the chain (a model is a value: it gets a copy), and an error it throws ends the regime.
    ///
    /// `firstGeneration`, when given, supplies generation 1 (`FirstGeneration`: the fit on the
    /// real data, its loss and diagnostics) instead of each regime fitting it: it is the same for
    /// every regime, so a caller running regimes as separate cells trains it once and shares it.
    public static func run<M: NeuralGenerativeModel>(
        regimes: [Regime], generations: Int, threads: Int, seed: UInt64, realData: M.Data,
        makeModel: @escaping () -> M, progress: ((String) -> Void)? = nil,
        afterFit: (@Sendable (_ regime: Regime, _ generation: Int, _ model: M) throws -> Void)? = nil,
        firstGeneration: (() throws -> FirstGeneration<M>)? = nil
    ) throws -> (rows: [NeuralResultRow], metricNames: [String], seconds: [Double], interrupted: Bool) {
        precondition(!regimes.isEmpty && threads >= 1)
        BLAS.useCallingThreadOnly()
        let shared = RunState<M>(realData, makeModel, regimes.count, progress)
        shared.first = firstGeneration
        DispatchQueue.concurrentPerform(iterations: min(threads, regimes.count)) { _ in
            while true {
                shared.lock.lock(); let i = shared.next; shared.next += 1; shared.lock.unlock()
                if i >= regimes.count { return }
                let regime = regimes[i]
                let started = Date()
                let result = Result<[NeuralResultRow], Error> {
                    var rows: [NeuralResultRow] = []
                    if NeuralCancellation.isRequested { throw NeuralInterrupted() }
                    var model = shared.make()
                    var sampling = Xoshiro256StarStar(seed: seed, stream: [NeuralStreams.sampling])
                    var subsampling = Xoshiro256StarStar(seed: seed, stream: [NeuralStreams.subsampling])
                    var first: FirstGeneration<M>?
                    do {
                        _ = try GenerationScheduler<M>(regime: regime, generations: generations).run(
                            model: &model, realData: shared.real, sampling: &sampling, subsampling: &subsampling,
                            firstFit: shared.first.map { provide in
                                { m in
                                    let f = try provide()
                                    first = f
                                    m = f.model
                                    return f.loss
                                }
                            },
                            observe: { n, m, loss in
                                let extra = n == 1 ? first?.diagnostics ?? m.diagnostics(generation: n) : m.diagnostics(generation: n)
                                // Diagnostics that sample (the DDPM's structural checks) stop
                                // early on a request; such a row would be wrong, so drop it.
                                if NeuralCancellation.isRequested { throw NeuralInterrupted() }
                                try afterFit?(regime, n, m)
                                shared.lock.lock(); shared.names = extra.map(\.0); shared.lock.unlock()
                                rows.append(
                                    NeuralResultRow(
                                        model: M.name, regime: regime, generation: n,
                                        testLoss: loss, metrics: extra.map(\.1)))
                                shared.progress?(
                                    "\(M.name) \(regime): generation \(n)/\(generations) done (\(String(format: "%.0f", Date().timeIntervalSince(started))) s)")
                            })
                    } catch is NeuralInterrupted {
                        shared.lock.lock(); shared.partial[i] = rows; shared.lock.unlock()
                        throw NeuralInterrupted()
                    }
                    return rows
                }
                shared.lock.lock()
                shared.results[i] = result
                shared.seconds[i] = Date().timeIntervalSince(started)
                shared.lock.unlock()
            }
        }
        var rows: [NeuralResultRow] = []
        var interrupted = false
        for (i, r) in shared.results.enumerated() {
            switch r! {
            case .success(let done): rows += done
            case .failure(let error) where error is NeuralInterrupted:
                interrupted = true
                rows += shared.partial[i]
            case .failure(let error): throw error
            }
        }
        return (rows, shared.names, shared.seconds, interrupted)
    }

    /// Splits user data into at most `train` training and `test` held-out points: a fifth of
    /// the points (at least 2, at most `test`) are held out, the rest (at most `train`) train.
    public static func split<D: TrainingData>(_ all: D, train: Int, test: Int, seed: UInt64) -> (D, D) {
        let nTest = min(test, max(2, all.count / 5))
        let nTrain = min(train, all.count - nTest)
        let (tr, te) = split(count: all.count, train: nTrain, test: nTest, seed: seed)
        return (all.subset(tr), all.subset(te))
    }

    /// Shuffles `count` indices with the `(seed, split)` stream and splits them into a training
    /// part of `train` and a test part of `test` indices (for user-supplied data).
    public static func split(count: Int, train: Int, test: Int, seed: UInt64) -> (train: [Int], test: [Int]) {
        precondition(train + test <= count)
        var rng = Xoshiro256StarStar(seed: seed, stream: [NeuralStreams.split])
        let order = rng.sampleWithoutReplacement(count: train + test, from: count)
        return (Array(order[..<train]), Array(order[train...]))
    }
}

/// Shared state of the regime workers (guarded by `lock`).
final class RunState<M: NeuralGenerativeModel>: @unchecked Sendable {
    let real: M.Data
    let make: () -> M
    /// Generation 1, when the caller supplies it (`FirstGeneration`).
    var first: (() throws -> FirstGeneration<M>)?
    let progress: ((String) -> Void)?
    var results: [Result<[NeuralResultRow], Error>?]
    /// Rows of the generations a regime finished before it was interrupted.
    var partial: [[NeuralResultRow]]
    var names: [String] = []
    var seconds: [Double]
    var next = 0
    let lock = NSLock()
    init(_ real: M.Data, _ make: @escaping () -> M, _ n: Int, _ progress: ((String) -> Void)?) {
        self.real = real; self.make = make; self.progress = progress
        results = Array(repeating: nil, count: n); seconds = Array(repeating: 0, count: n)
        partial = Array(repeating: [], count: n)
    }
}
