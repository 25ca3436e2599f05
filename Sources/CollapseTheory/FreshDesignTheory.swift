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

    /// Accumulate with fresh designs (proof D1, Step 6): the stacked OLS fit on every
    /// generation's `(X_j, y_j)` has, with `m_i = T₁ + … + T_i` and `T₁ ≥ d + 2`,
    /// `E‖ŵ_n − w*‖² = Σ_{i≤n} σ_i² (T_i/m_i)·d/(m_i − d − 1)` — below the fixed-design value
    /// `σ²·d/(T − d − 1)·Σ 1/i²` for equal sizes, with equality only at `n = 1`. nil when `T₁ < d + 2`.
    public static func accumulateExpectedTestError(dimension d: Int, schedule: [(samples: Int, noiseVariance: Double)]) -> Double? {
        guard let first = schedule.first, first.samples >= d + 2 else { return nil }
        var m = 0, total = 0.0
        for (t, s2) in schedule {
            m += t
            total += s2 * Double(t) / Double(m) * Double(d) / Double(m - d - 1)
        }
        return total
    }

    /// Over-parameterised min-norm chain with fresh designs (proof O1; `Σ = I`, `w* ~ N(0, I_d)`
    /// so `E‖w*‖² = d`): with `q = T₀/d` and `T₀ ≤ d − 2`,
    /// `E‖ŵ_n − w*‖² = d(1 − qⁿ) + σ₀²·T₀/(d − T₀ − 1)·(1 − qⁿ)/(1 − q)` (replace). Given `w*`,
    /// replace `d` by `‖w*‖²`. nil unless `T₀ ≤ d − 2`.
    public static func overparameterisedExpectedTestError(
        dimension d: Int, samples t0: Int, noiseVariance s0: Double,
        generation n: Int, truthNormSquared: Double? = nil
    ) -> Double? {
        guard t0 >= 1, t0 <= d - 2, n >= 1 else { return nil }
        let q = Double(t0) / Double(d)
        var qn = 1.0
        for _ in 0..<n { qn *= q }
        let norm = truthNormSquared ?? Double(d)
        return norm * (1 - qn) + s0 * Double(t0) / Double(d - t0 - 1) * (1 - qn) / (1 - q)
    }

    /// Dohmatob et al.'s downstream error after `synthetic` generator generations.
    public static func dohmatob(
        dimension d: Int, syntheticGenerations n: Int, generatorSamples t0: Int, generatorNoiseVariance s0: Double,
        samples t: Int, noiseVariance s2: Double
    ) -> Double? {
        precondition(n >= 0, "synthetic generations must be ≥ 0, got \(n)")
        return expectedTestError(dimension: d, schedule: Array(repeating: (t0, s0), count: n) + [(t, s2)])
    }
}
