/// A dataset the scheduler can pool, stack and subsample. Points are exchangeable rows.
public protocol TrainingData {
    /// Number of points.
    var count: Int { get }
    /// The points of `parts` stacked in order.
    static func concatenating(_ parts: [Self]) -> Self
    /// The points at `indices`, in that order.
    func subset(_ indices: [Int]) -> Self
}

/// A model that can be fit to data, sampled to make synthetic data, and evaluated.
///
/// Every model of the toolkit — the OLS chain, classic generative models, neural ones —
/// plugs into `GenerationScheduler` through this protocol, so one loop owns the
/// fit → sample → pool bookkeeping for all of them.
public protocol GenerativeModel {
    associatedtype Data: TrainingData

    /// Fits the model from scratch on `data`.
    mutating func fit(_ data: Data) throws

    /// Draws a synthetic dataset of `count` points from the current fit. A conditional model
    /// (such as regression on a fixed design) labels its own inputs; `count` is then the
    /// real data's size. Throws where sampling can fail (an external trainer).
    mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) throws -> Data

    /// The test metric of the current fit, computed on real held-out data or exactly from
    /// the known truth. Throws where evaluation can fail (an external trainer).
    func evaluate() throws -> Double
}
