import Randomness

/// The one generation loop: fit → evaluate → sample → pool, under a `Regime`.
///
/// Generation 1 fits the real data. For `n ≥ 2` the model of generation `n − 1` draws a
/// synthetic dataset the size of the real one (from `sampling`), the pool gains it, and the
/// regime chooses the training set:
/// - replace: the newest synthetic dataset;
/// - accumulate: real plus every synthetic dataset, stacked in generation order;
/// - accumulate-subsample: `T = real.count` points drawn without replacement from that stack
///   (indices from `subsampling`, a separate stream so the label noise stays aligned with
///   the other regimes);
/// - mix(λ): real points `0..<m` and synthetic points `m..<T` with `m = round(λT)`;
/// - fresh-real(λ): `m` points of a *fresh* real dataset (from `freshReal(n)`, which the caller
///   draws from its own stream) and synthetic points `m..<T`.
///
/// This is the reference path: it literally stacks and refits. Specialised simulators (the
/// linear fast path) must reproduce its numbers, and tests show they do.
public struct GenerationScheduler<Model: GenerativeModel> {
    public let regime: Regime
    public let generations: Int

    public init(regime: Regime, generations: Int) {
        precondition(generations >= 1, "generations must be ≥ 1, got \(generations)")
        if let f = regime.realFraction {
            precondition(f >= 0 && f <= 1, "\(regime.name) fraction must be in [0, 1], got \(f)")
        }
        self.regime = regime
        self.generations = generations
    }

    /// Runs the chain and returns `evaluate()` after each generation's fit (index 0 is
    /// generation 1). `observe` sees the generation, the model and its `evaluate()` after every
    /// fit; an error it throws ends the chain there and propagates. `freshReal(n)` must return a
    /// new real dataset of `realData.count` points for generation `n`; only `fresh-real` calls it.
    /// `firstFit`, when given, replaces generation 1's `model.fit(realData)` and `evaluate()`: it
    /// sets `model` to a fit on `realData` and returns its metric. Generation 1 does not depend
    /// on the regime, so a caller running several regimes may fit it once and install it here.
    public func run<G: RandomNumberGenerator, H: RandomNumberGenerator>(
        model: inout Model, realData: Model.Data,
        sampling: inout G, subsampling: inout H,
        freshReal: ((_ generation: Int) throws -> Model.Data)? = nil,
        firstFit: ((inout Model) throws -> Double)? = nil,
        observe: (_ generation: Int, _ model: Model, _ metric: Double) throws -> Void = { _, _, _ in }
    ) throws -> [Double] {
        if case .freshReal = regime, freshReal == nil {
            preconditionFailure("the fresh-real regime needs a freshReal data source")
        }
        let t = realData.count
        var pool: [Model.Data] = [realData]
        var metrics: [Double] = []
        metrics.reserveCapacity(generations)
        if let firstFit {
            metrics.append(try firstFit(&model))
        } else {
            try model.fit(realData)
            metrics.append(try model.evaluate())
        }
        try observe(1, model, metrics[0])
        if generations == 1 { return metrics }
        for n in 2...generations {
            let synthetic = try model.sample(count: t, using: &sampling)
            let training: Model.Data
            switch regime {
            case .replace:
                training = synthetic
            case .accumulate:
                pool.append(synthetic)
                training = Model.Data.concatenating(pool)
            case .accumulateSubsample:
                pool.append(synthetic)
                let stacked = Model.Data.concatenating(pool)
                training = stacked.subset(subsampling.sampleWithoutReplacement(count: t, from: stacked.count))
            case let .mix(fraction):
                let m = Regime.realCount(fraction: fraction, of: t)
                training = Model.Data.concatenating([
                    realData.subset(Array(0..<m)),
                    synthetic.subset(Array(m..<t))
                ])
            case let .freshReal(fraction):
                let m = Regime.realCount(fraction: fraction, of: t)
                let fresh = try freshReal!(n)
                precondition(fresh.count >= m, "freshReal returned \(fresh.count) points, need \(m)")
                training = Model.Data.concatenating([
                    fresh.subset(Array(0..<m)),
                    synthetic.subset(Array(m..<t))
                ])
            }
            try model.fit(training)
            metrics.append(try model.evaluate())
            try observe(n, model, metrics[n - 1])
        }
        return metrics
    }
}
