import CollapseExport
import Foundation
import LinearCollapse
import ParametricChains

/// Every Monte Carlo versus closed-form check of `collapse verify`, as one list of statistics
/// with their pass rules, under one Bonferroni family: V1–V8 (linear chain, proofs T1, T2, L1,
/// L2), F1–F3 and O1 (fresh designs, D1, O1), E1–E5 (exact propagation, E1), R1–R3 (ridge after
/// the generator chain, R1), U1–U2, G1–G6, W1 (exactly solvable chains, U1, G1, G3, G4, W1),
/// S1–S3 (`simulate`'s power-law designs, ridge fits, discounted accumulation and test noise;
/// E1, T1, T2, L1, R1).
public enum VerificationSuite {
    /// One statistic and its pass rule at threshold `z*`.
    public struct Outcome: Sendable {
        public enum Rule: Sendable {
            /// `|z| ≤ z*`.
            case twoSided
            /// `z ≤ z*` (the accumulate bound).
            case oneSided
            /// `|mean − target| ≤ z*·SE + allowance` (ridge deterministic equivalents, R1 §5).
            case withAllowance(Double)
        }

        public var id: String
        /// What is compared: `design-averaged`, `given-design`, `bound`, a propagation scheme, a
        /// chain, a ridge check.
        public var check: String
        /// The parameter point, e.g. `replace d=10 T=100 σ²=1`.
        public var setting: String
        public var generation: Int
        public var mean: Double
        /// nil where no single standard error applies (given-design: each replicate is
        /// standardised by its own conditional variance, proof L2).
        public var standardError: Double?
        /// The closed form, exact value or bound compared with.
        public var target: Double
        public var z: Double
        public var rule: Rule
        /// The data regime, where the check simulates one (the linear and fresh-design checks).
        public var regime: String?

        public init(
            id: String, check: String, setting: String, generation: Int, mean: Double, standardError: Double?, target: Double,
            z: Double, rule: Rule, regime: String? = nil
        ) {
            self.id = id; self.check = check; self.setting = setting; self.generation = generation
            self.mean = mean; self.standardError = standardError; self.target = target; self.z = z; self.rule = rule
            self.regime = regime
        }

        public func passes(threshold zStar: Double) -> Bool {
            switch rule {
            case .twoSided: return abs(z) <= zStar
            case .oneSided: return z <= zStar
            case let .withAllowance(a): return abs(mean - target) <= zStar * (standardError ?? 0) + a
            }
        }
    }

    /// Every check id, in battery order.
    public static var allIDs: [String] {
        Verification.defaultBattery.map(\.id) + Verification.freshDesignBattery.map(\.id)
            + Verification.propagationBattery.map(\.id) + ChainVerification.battery.map(\.id) + RidgeVerification.battery.map(\.id)
            + DesignVerification.battery.map(\.id)
    }

    /// The battery a check belongs to (`linear`, `fresh-design`, `propagation`, `chain`,
    /// `ridge`), its replicates and its generations; nil for an unknown id.
    public static func point(_ id: String) -> (battery: String, repeats: Int, generations: Int)? {
        if let p = Verification.defaultBattery.first(where: { $0.id == id }) { return ("linear", p.repeats, p.generations) }
        if let p = Verification.freshDesignBattery.first(where: { $0.id == id }) { return ("fresh-design", p.repeats, p.schedule.count) }
        if let p = Verification.propagationBattery.first(where: { $0.id == id }) { return ("propagation", p.repeats, p.generations) }
        if let p = ChainVerification.battery.first(where: { $0.id == id }) { return ("chain", p.repeats, p.generations) }
        if let p = RidgeVerification.battery.first(where: { $0.id == id }) { return ("ridge", p.repeats, p.generations) }
        if let p = DesignVerification.battery.first(where: { $0.id == id }) { return ("designs", p.repeats, p.generations) }
        return nil
    }

    /// One line per check: its id, parameter point, replicates and purpose.
    public static var listing: [String] {
        func id(_ s: String) -> String { s.padding(toLength: 4, withPad: " ", startingAt: 0) }
        return Verification.defaultBattery.map { "\(id($0.id)) linear chain \($0.cell), \($0.generations) generations, R = \($0.repeats): \($0.purpose)" }
            + Verification.freshDesignBattery.map {
                "\(id($0.id)) fresh-design chain d=\($0.dimension), \($0.schedule.count) generations, R = \($0.repeats): \($0.purpose)"
            }
            + Verification.propagationBattery.map {
                "\(id($0.id)) one fixed design d=\($0.dimension) T=\($0.samples) σ²=\($0.noiseVariance), \($0.generations) generations, R = \($0.repeats): \($0.purpose)"
            }
            + ChainVerification.battery.map { "\(id($0.id)) M = \($0.samples), \($0.generations) generations, R = \($0.repeats): \($0.purpose)" }
            + RidgeVerification.battery.map {
                "\(id($0.id)) ridge chain \($0.spectrumLabel) d=\($0.spectrum.dimension) T=\($0.samples) λ=\($0.ridge) T₀=\($0.generatorSamples), "
                    + "\($0.generations) generations, R = \($0.repeats): \($0.purpose)"
            }
            + DesignVerification.battery.map {
                "\(id($0.id)) simulate chain \($0.cell), \($0.generations) generations, R = \($0.repeats): \($0.purpose)"
            }
    }

    /// What the table's columns mean where a row is not a plain (mean − target)/SE.
    public static let notes = [
        "given-design rows: the target is the mean of the exact conditional expectations; z = Σ Zᵢ/√R with each replicate "
            + "standardised by its own conditional mean and variance (L2), so no single SE applies.",
        "bound rows: one-sided, z = (mean − σ²d/(T−d−1)·π²/6)/SE ≤ z*. ridge rows: exact|X compares risk − E[risk | X] with 0; "
            + "det. equivalent passes when |mean − DE| ≤ z*·SE + allowance (A·DE/d, A = \(RidgeVerification.equivalentAllowance); proof R1 §5)."
    ]

    /// Runs the selected checks (all when `only` is nil) under `seed`.
    public static func run(seed: UInt64, threads: Int, only: Set<String>?, familyFalseAlarm alpha: Double) throws -> [Outcome] {
        func chosen(_ id: String) -> Bool { only?.contains(id) ?? true }
        var out: [Outcome] = []
        let linearPoints = Verification.defaultBattery.filter { chosen($0.id) }
        var linear =
            linearPoints.isEmpty
            ? []
            : try Verification.run(battery: linearPoints, seed: seed, threads: threads, familyFalseAlarm: alpha).checks
        linear += try Verification.runFreshDesign(points: Verification.freshDesignBattery.filter { chosen($0.id) }, seed: seed, threads: threads)
        for c in linear {
            let c2 = c.cell
            out.append(
                Outcome(
                    id: c.id, check: c.kind.rawValue,
                    setting: "\(c.regime.name) d=\(c2.dimension) T=\(c2.samples) σ²=\(c2.noiseVariance)", generation: c.generation,
                    mean: c.mean, standardError: c.kind == .givenDesign ? nil : c.standardError, target: c.target, z: c.z,
                    rule: c.kind == .accumulateBound ? .oneSided : .twoSided, regime: c.regime.name))
        }
        for c in try Verification.runPropagation(points: Verification.propagationBattery.filter { chosen($0.id) }, seed: seed, threads: threads) {
            out.append(
                Outcome(
                    id: c.point.id, check: Verification.schemeName(c.scheme, freshRealRows: c.point.freshRealRows),
                    setting: "d=\(c.point.dimension) T=\(c.point.samples) λ=\(c.point.ridge)", generation: c.generation,
                    mean: c.mean, standardError: c.standardError, target: c.exact, z: c.z, rule: .twoSided))
        }
        for c in ChainVerification.run(seed: seed, threads: threads, only: only) {
            out.append(
                Outcome(
                    id: c.id, check: c.label, setting: c.parameters, generation: c.generation, mean: c.mean,
                    standardError: c.standardError, target: c.theory, z: c.z, rule: .twoSided))
        }
        for c in try RidgeVerification.run(points: RidgeVerification.battery.filter { chosen($0.id) }, seed: seed, threads: threads) {
            out.append(
                Outcome(
                    id: c.point.id, check: c.point.kind.rawValue,
                    setting: "d=\(c.point.spectrum.dimension) T=\(c.point.samples) λ=\(c.point.ridge)", generation: c.generation,
                    mean: c.mean, standardError: c.standardError, target: c.target, z: c.z, rule: .withAllowance(c.allowance)))
        }
        for c in try DesignVerification.run(points: DesignVerification.battery.filter { chosen($0.id) }, seed: seed, threads: threads) {
            let p = c.point
            out.append(
                Outcome(
                    id: p.id, check: c.kind.rawValue, setting: "\(c.series) d=\(p.cell.dimension) T=\(p.cell.samples) σ²=\(p.cell.noiseVariance)",
                    generation: c.generation, mean: c.mean, standardError: c.standardError, target: c.target, z: c.z,
                    rule: c.kind == .equivalent ? .withAllowance(c.allowance) : .twoSided, regime: c.series))
        }
        return out
    }
}

extension VerificationSuite {
    /// One row per statistic: id, check, setting, generation, mean ± SE, target, z and the
    /// verdict at threshold `zStar`; then the suite's notes. Empty for no outcomes.
    public static func table(_ outcomes: [Outcome], zStar: Double) -> String {
        guard !outcomes.isEmpty else { return "" }
        func pad(_ s: String, _ w: Int) -> String { TextTable.pad(s, w) }
        func fmt(_ x: Double) -> String { TextTable.number(x) }
        let width = min(34, max(8, outcomes.map(\.setting.count).max() ?? 8))
        func setting(_ s: String) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }
        let head: [String] = [
            pad("id", 4), pad("check", 24), "  ", setting("setting"), pad("gen", 5), pad("MC mean", 13), pad("± SE", 12),
            pad("target", 13), pad("z", 8), "  result"
        ]
        var out = head.joined() + "\n"
        for o in outcomes {
            let fields: [String] = [
                pad(o.id, 4), pad(o.check, 24), "  ", setting(o.setting), pad(String(o.generation), 5), pad(fmt(o.mean), 13),
                pad(o.standardError.map(fmt) ?? "(std.)", 12), pad(fmt(o.target), 13), pad(String(format: "%.2f", o.z), 8),
                o.passes(threshold: zStar) ? "  ok" : "  FAIL"
            ]
            out += fields.joined() + "\n"
        }
        return out + notes.map { $0 + "\n" }.joined()
    }
}
