/// How each generation's training set is assembled from real and synthetic data
/// (THEORY §2). Generation 1 always trains on the real data alone.
public enum Regime: Hashable, Sendable, CustomStringConvertible {
    /// Train on the newest generation's synthetic data only.
    case replace
    /// Train on the real data plus every synthetic generation so far (the pool).
    case accumulate
    /// Pool as `accumulate`, but train on `T` points drawn without replacement from the pool
    /// (fixed compute per generation; Kazdan et al. 2024, arXiv 2410.16713).
    case accumulateSubsample
    /// Train on a fraction `realFraction` of real data and `1 − realFraction` of the newest
    /// synthetic data: the first `m = round(realFraction·T)` real points and the synthetic
    /// points `m..<T` (Bertrand et al. 2023, arXiv 2310.00429).
    case mix(realFraction: Double)
    /// Train on `m = round(realFraction·T)` *freshly drawn* real points and the synthetic
    /// points `m..<T` of the newest generation: the "fresh data loop" of Alemohammad et al.
    /// 2023 (arXiv 2307.01850). For a fixed-design regression "fresh" means new real labels
    /// on the same inputs.
    case freshReal(realFraction: Double)

    /// The name used on the command line and in CSV files.
    public var name: String {
        switch self {
        case .replace: return "replace"
        case .accumulate: return "accumulate"
        case .accumulateSubsample: return "accumulate-subsample"
        case .mix: return "mix"
        case .freshReal: return "fresh-real"
        }
    }

    /// The real-data fraction of `mix` and `fresh-real`, nil otherwise.
    public var realFraction: Double? {
        switch self {
        case let .mix(f), let .freshReal(f): return f
        default: return nil
        }
    }

    public var description: String {
        if let f = realFraction { return "\(name)(\(f))" }
        return name
    }

    /// Regime names accepted on the command line.
    public static let names = ["replace", "accumulate", "accumulate-subsample", "mix", "fresh-real"]

    /// The regime called `name` on the command line; `mix` and `fresh-real` take `realFraction`.
    public static func named(_ name: String, realFraction: Double) -> Regime? {
        switch name {
        case "replace": return .replace
        case "accumulate": return .accumulate
        case "accumulate-subsample": return .accumulateSubsample
        case "mix": return .mix(realFraction: realFraction)
        case "fresh-real": return .freshReal(realFraction: realFraction)
        default: return nil
        }
    }

    /// The regimes called `names`, with `mix` and `fresh-real` expanded at their position into
    /// one regime per real fraction (the one list every command and config file means).
    public static func expand(names: [String], realFractions: [Double]) -> [Regime] {
        names.flatMap { name -> [Regime] in
            switch name {
            case "mix", "fresh-real": return realFractions.map { Regime.named(name, realFraction: $0)! }
            default: return Regime.named(name, realFraction: 0).map { [$0] } ?? []
            }
        }
    }

    /// Number of real points a `mix` training set keeps out of `t`.
    public static func realCount(fraction: Double, of t: Int) -> Int {
        precondition(fraction >= 0 && fraction <= 1, "mix fraction must be in [0, 1], got \(fraction)")
        return min(t, max(0, Int((fraction * Double(t)).rounded(.toNearestOrEven))))
    }
}
