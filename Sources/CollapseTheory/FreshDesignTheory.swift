/// The OLS chain with a fresh Gaussian design every generation (proof D1; Dohmatob, Feng &
/// Kempe 2024). With generation `k` fit by OLS on its own `T_k × d` design and noise `σ_k²`:
/// `E‖ŵ_n − w*‖² = Σ_{k≤n} σ_k² d/(T_k − d − 1)` (replace; every `T_k ≥ d + 2`). Dohmatob et
/// al.'s chain — `m` generators on `T₀` samples with noise `σ₀²`, then a downstream fit on `T`
/// samples with noise `σ²` — is the schedule `(T₀, σ₀²) × m, (T, σ²)`: their `n` synthetic
/// generations are our generation `n + 1`, and `E = σ²d/(T − d − 1) + n·σ₀²d/(T₀ − d − 1)`.
public enum FreshDesignTheory {
    /// `Σ_k σ_k² d/(T_k − d − 1)` over `schedule`; nil when some `T_k < d + 2`.
    public static func expectedTestError(dimension d: Int, schedule: [(samples: Int, noiseVariance: Double)]) -> Double? {
        var total = 0.0
        for (t, s2) in schedule {
            guard let k = LinearCollapseTheory.expectedTraceOfInverseGram(dimension: d, samples: t) else { return nil }
            total += s2 * k
        }
        return total
    }

    /// Dohmatob et al.'s downstream error after `synthetic` generator generations.
    public static func dohmatob(dimension d: Int, syntheticGenerations n: Int, generatorSamples t0: Int, generatorNoiseVariance s0: Double,
                                samples t: Int, noiseVariance s2: Double) -> Double? {
        precondition(n >= 0, "synthetic generations must be ≥ 0, got \(n)")
        return expectedTestError(dimension: d, schedule: Array(repeating: (t0, s0), count: n) + [(t, s2)])
    }
}
