import Foundation

/// Gamma and chi-square variates.
public enum Gamma {
    /// A `Gamma(shape, 1)` variate by Marsaglia & Tsang's method ("A simple method for generating
    /// gamma variables", ACM TOMS 26(3), 2000): with `a' = shape − 1/3`, `c = 1/√(9a')`, draw
    /// `x ~ N(0,1)`, `v = (1 + cx)³`, accept `a'v` when `v > 0` and
    /// `log u < x²/2 + a' − a'v + a' log v`. For `shape < 1`, `Gamma(a) = Gamma(a + 1)·U^{1/a}`.
    /// Exact in distribution (up to the resolution of the underlying normals and uniforms).
    @inlinable
    public static func next<G: RandomNumberGenerator>(shape: Double, using rng: inout G) -> Double {
        precondition(shape > 0 && shape.isFinite, "gamma shape must be finite and > 0, got \(shape)")
        if shape < 1 {
            let g = next(shape: shape + 1, using: &rng)
            return g * Foundation.pow(rng.nextUniformPositive(), 1 / shape)
        }
        let a = shape - 1.0 / 3.0
        let c = 1 / (9 * a).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = Normal.next(using: &rng)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = rng.nextUniformPositive()
            if u < 1 - 0.0331 * x * x * x * x { return a * v }
            if Foundation.log(u) < 0.5 * x * x + a * (1 - v + Foundation.log(v)) { return a * v }
        }
    }

    /// A chi-square variate with `degreesOfFreedom` (> 0) degrees of freedom: `2·Gamma(k/2)`.
    @inlinable
    public static func chiSquare<G: RandomNumberGenerator>(degreesOfFreedom k: Double, using rng: inout G) -> Double {
        2 * next(shape: k / 2, using: &rng)
    }
}
