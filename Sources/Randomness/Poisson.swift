import Foundation

/// Poisson variates, exact: Knuth's multiplication method on pieces of mean ≤ 16 (a Poisson(μ)
/// is the sum of independent Poisson pieces whose means add to μ). O(μ) uniforms per draw,
/// which is fine for the chains here (means up to ~10⁴).
public enum Poisson {
    static let pieceMean = 16.0

    public static func next<G: RandomNumberGenerator>(mean: Double, using rng: inout G) -> Int {
        precondition(mean >= 0 && mean <= 1e8, "Poisson mean must be in [0, 1e8] (the sampler is O(mean)), got \(mean)")
        var remaining = mean
        var total = 0
        while remaining > 0 {
            let mu = min(remaining, pieceMean)
            remaining -= mu
            let limit = exp(-mu)
            var product = rng.nextUniformPositive()
            while product > limit {
                total += 1
                product *= rng.nextUniformPositive()
            }
        }
        return total
    }
}
