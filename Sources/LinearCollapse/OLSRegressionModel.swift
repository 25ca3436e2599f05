import CollapseCore
import LinearAlgebra
import Randomness

/// Regression data: a design `X ∈ R^{T×d}` and labels `y ∈ R^T`, one point per row.
public struct RegressionData: TrainingData, Sendable {
    public var x: Matrix
    public var y: [Double]

    public init(x: Matrix, y: [Double]) {
        precondition(x.rows == y.count, "RegressionData: \(x.rows) rows but \(y.count) labels")
        self.x = x
        self.y = y
    }

    public var count: Int { y.count }

    public static func concatenating(_ parts: [RegressionData]) -> RegressionData {
        RegressionData(x: Matrix.vstack(parts.map(\.x)), y: parts.flatMap(\.y))
    }

    public func subset(_ indices: [Int]) -> RegressionData {
        RegressionData(x: x.selectingRows(indices), y: indices.map { y[$0] })
    }
}

/// The linear generative model of the collapse chain: an OLS (minimum-norm least-squares)
/// fit `ŵ = X⁺y`, which generates synthetic labels `Xŵ + E`, `E ~ N(0, σ²I_T)`, on the fixed
/// design `X` it was built with, and is evaluated by its exact excess risk `‖ŵ − w*‖²`
/// (`Σ = I`; THEORY §0).
///
/// This is the scheduler's reference implementation: every fit refactorises the (possibly
/// stacked) training design. `LinearChainSimulator` is the fast path and must agree with it.
public struct OLSRegressionModel: GenerativeModel {
    public typealias Data = RegressionData

    /// The fixed design used to generate synthetic labels.
    public let design: Matrix
    /// The true parameter `w*` (for `evaluate`).
    public let truth: [Double]
    /// The label noise standard deviation `σ`.
    public let noiseStandardDeviation: Double
    /// The current fit `ŵ`.
    public private(set) var coefficients: [Double]

    public init(design: Matrix, truth: [Double], noiseStandardDeviation: Double) {
        precondition(truth.count == design.columns, "truth has \(truth.count) entries, design has \(design.columns) columns")
        self.design = design
        self.truth = truth
        self.noiseStandardDeviation = noiseStandardDeviation
        self.coefficients = [Double](repeating: 0, count: design.columns)
    }

    public mutating func fit(_ data: RegressionData) throws {
        coefficients = try LeastSquaresSolver(design: data.x).solve(data.y)
    }

    /// Labels the fixed design with the current fit plus fresh noise: `y = Xŵ + σ·ξ`,
    /// drawing the `T` normals of `ξ` in row order.
    public mutating func sample<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> RegressionData {
        precondition(count == design.rows, "OLS model samples on its fixed design of \(design.rows) rows, asked for \(count)")
        var y = Normal.array(count: count, scale: noiseStandardDeviation, using: &rng)
        let mean = BLAS.multiply(design, coefficients)
        for i in 0..<count { y[i] += mean[i] }
        return RegressionData(x: design, y: y)
    }

    /// `‖ŵ − w*‖²`, the exact excess risk for isotropic Gaussian test inputs.
    public func evaluate() -> Double {
        var s = 0.0
        for j in 0..<truth.count { let e = coefficients[j] - truth[j]; s += e * e }
        return s
    }
}
