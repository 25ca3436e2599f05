import CollapseCore
import CollapseExport
import CollapseTheory
import LinearAlgebra
import Randomness

/// Monte Carlo versus theory: a battery of parameter points, each compared with the closed
/// forms by z-scores, under one family-wise false-alarm probability.
///
/// Two statistics are used (see `GenerationSummary`):
/// - **design-averaged** `z = (mean − σ²c_n d/(T−d−1))/SE` (proofs T1, T2, L1). Its normal
///   approximation needs finite higher moments of `tr((XᵀX)⁻¹)`, whose `k`-th moment is finite
///   iff `T − d + 1 > 2k` (L1); it is used only where `T ≥ d + minimumDesignAveragedMargin`
///   (moments up to order 5 finite).
/// - **given-design** `z = Σ Z_i/√R`, `Z_i` standardised by the exact conditional mean and
///   variance (proof L2): mean 0 and variance 1 for every design, so it is valid at `T = d + 2`
///   and for over-parameterised `T < d`.
/// The accumulate bound is checked one-sided: `(mean − σ²d/(T−d−1)·π²/6)/SE ≤ z*`.
///
/// **Threshold.** With `K` z-statistics in the family and family-wise false-alarm
/// probability `α`, each is compared with `z* = Φ⁻¹(1 − α/(2K))` (Bonferroni: under the
/// theory, `P(any |z| > z*) ≤ α` up to the normal approximation, for any dependence).
public enum Verification {
    /// Design-averaged checks need `T ≥ d + 10` (the same margin as the CSV's z).
    public static let minimumDesignAveragedMargin = MonteCarlo.minimumDesignAveragedMargin

    /// One parameter point of the battery.
    public struct Point: Sendable {
        public var id: String
        public var purpose: String
        public var cell: LinearCell
        public var generations: Int
        public var reported: [Int]
        public var repeats: Int
        public var checkBound: Bool

        public init(
            id: String, purpose: String, cell: LinearCell, generations: Int, reported: [Int],
            repeats: Int, checkBound: Bool = false
        ) {
            self.id = id
            self.purpose = purpose
            self.cell = cell
            self.generations = generations
            self.reported = reported
            self.repeats = repeats
            self.checkBound = checkBound
        }
    }

    /// What a check compares.
    public enum Kind: String, Sendable {
        case designAveraged = "design-averaged"
        case givenDesign = "given-design"
        case accumulateBound = "bound"
    }

    /// One printed check.
    public struct Check: Sendable {
        public var id: String
        public var kind: Kind
        public var cell: LinearCell
        public var regime: Regime
        public var generation: Int
        public var mean: Double
        public var standardError: Double
        /// The value compared with (theory, mean of given-design theory, or the bound).
        public var target: Double
        public var z: Double
        /// Whether `z` passes the threshold (two-sided, or one-sided for the bound).
        public var passed: Bool
    }

    public struct Report: Sendable {
        public var checks: [Check]
        public var threshold: Double
        public var familyFalseAlarm: Double
        public var passed: Bool { checks.allSatisfy(\.passed) }

        public init(checks: [Check], threshold: Double, familyFalseAlarm: Double) {
            self.checks = checks
            self.threshold = threshold
            self.familyFalseAlarm = familyFalseAlarm
        }
    }

    /// The default battery: the paper's settings, the sample size near `d + 2`, large and tiny
    /// noise, `d = 1`, over-parameterised min-norm fits and the π²/6 bound.
    public static let defaultBattery: [Point] = [
        Point(
            id: "V1", purpose: "THEORY §1 checked numbers",
            cell: LinearCell(dimension: 10, samples: 100, noiseVariance: 1),
            generations: 10, reported: [1, 2, 5, 10], repeats: 4000),
        Point(
            id: "V2", purpose: "paper figure cell",
            cell: LinearCell(dimension: 32, samples: 1000, noiseVariance: 1),
            generations: 50, reported: [1, 2, 10, 50], repeats: 1000),
        Point(
            id: "V3", purpose: "large noise",
            cell: LinearCell(dimension: 32, samples: 316, noiseVariance: 100),
            generations: 20, reported: [1, 5, 20], repeats: 2000),
        Point(
            id: "V4", purpose: "tiny noise",
            cell: LinearCell(dimension: 5, samples: 40, noiseVariance: 1e-6),
            generations: 10, reported: [1, 10], repeats: 2000),
        Point(
            id: "V5", purpose: "T = d + 2 (design-averaged variance infinite)",
            cell: LinearCell(dimension: 10, samples: 12, noiseVariance: 1),
            generations: 10, reported: [1, 2, 10], repeats: 4000),
        Point(
            id: "V6", purpose: "d = 1, T = d + 2",
            cell: LinearCell(dimension: 1, samples: 3, noiseVariance: 2),
            generations: 10, reported: [1, 10], repeats: 4000),
        Point(
            id: "V7", purpose: "over-parameterised T < d (min-norm)",
            cell: LinearCell(dimension: 20, samples: 10, noiseVariance: 1),
            generations: 10, reported: [1, 2, 10], repeats: 2000),
        Point(
            id: "V8", purpose: "accumulate stays below σ²d/(T−d−1)·π²/6",
            cell: LinearCell(dimension: 10, samples: 30, noiseVariance: 1),
            generations: 200, reported: [1, 200], repeats: 2000, checkBound: true)
    ]

    /// Fresh-design points (proof D1): a schedule of `(T_k, σ_k²)`, replace, compared at the
    /// last generation with `Σ_k σ_k² d/(T_k − d − 1)`.
    public struct FreshPoint: Sendable {
        public var id: String
        public var purpose: String
        public var dimension: Int
        public var schedule: [(samples: Int, noiseVariance: Double)]
        public var repeats: Int
        public var regime: Regime = .replace
    }

    public static let freshDesignBattery: [FreshPoint] = [
        FreshPoint(
            id: "F1", purpose: "fresh design each generation, replace: n·σ²d/(T−d−1) as for a fixed design (proof D1)",
            dimension: 5, schedule: Array(repeating: (20, 1.0), count: 10), repeats: 8000),
        FreshPoint(
            id: "F3", purpose: "fresh design, accumulate: Σ_i σ²(T_i/m_i)·d/(m_i−d−1), below the fixed-design value (proof D1)",
            dimension: 5, schedule: Array(repeating: (20, 1.0), count: 10), repeats: 8000, regime: .accumulate),
        FreshPoint(
            id: "O1", purpose: "over-parameterised min-norm chain, fresh design: d(1−qⁿ) + σ²T/(d−T−1)·(1−qⁿ)/(1−q) (proof O1)",
            dimension: 30, schedule: Array(repeating: (8, 1.0), count: 10), repeats: 8000),
        FreshPoint(
            id: "F2", purpose: "Dohmatob chain: 5 generators (T₀ = 16, σ₀² = 2) then a downstream fit (T = 60, σ² = 0.5) (proof D1)",
            dimension: 4, schedule: Array(repeating: (16, 2.0), count: 5) + [(60, 0.5)], repeats: 8000)
    ]

    /// Runs the fresh-design points; design-averaged checks of the last generation (T ≥ d + 10,
    /// or d ≥ T + 10 for the over-parameterised O1, so all needed moments are finite).
    public static func runFreshDesign(points: [FreshPoint] = freshDesignBattery, seed: UInt64, threads: Int) throws -> [Check] {
        var checks: [Check] = []
        for (position, p) in points.enumerated() {
            // The stream of a check is its index in the battery, whatever else runs (`--only`).
            let index = freshDesignBattery.firstIndex { $0.id == p.id } ?? position
            let sim = FreshDesignSimulator(dimension: p.dimension, schedule: p.schedule, regimes: [p.regime])
            let nGen = p.schedule.count
            let failure = BlockResults(blocks: 1, series: 1)
            let summary = ParallelReplicates.run(repeats: p.repeats, series: nGen, threads: threads) { rep, buffer in
                var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.freshDesignChecks + UInt64(index), UInt64(rep)])
                do { try sim.run(rng: &rng, errors: buffer) } catch { failure.record(error: error) }
            }
            if let error = failure.firstError { throw error }
            let theory: Double?
            if p.regime == .accumulate {
                theory = FreshDesignTheory.accumulateExpectedTestError(dimension: p.dimension, schedule: p.schedule)
            } else if p.schedule.allSatisfy({ $0.samples <= p.dimension - 2 }), Set(p.schedule.map(\.samples)).count == 1,
                Set(p.schedule.map(\.noiseVariance)).count == 1
            {
                theory = FreshDesignTheory.overparameterisedExpectedTestError(
                    dimension: p.dimension, samples: p.schedule[0].samples, noiseVariance: p.schedule[0].noiseVariance, generation: nGen)
            } else {
                theory = FreshDesignTheory.expectedTestError(dimension: p.dimension, schedule: p.schedule)
            }
            guard let theory else {
                preconditionFailure("fresh-design point \(p.id) has no closed form; fix the battery")
            }
            let mean = summary.mean[nGen - 1], se = summary.standardError[nGen - 1]
            let last = p.schedule[nGen - 1]
            checks.append(
                Check(
                    id: p.id, kind: .designAveraged,
                    cell: LinearCell(dimension: p.dimension, samples: last.samples, noiseVariance: last.noiseVariance),
                    regime: p.regime, generation: nGen, mean: mean, standardError: se, target: theory,
                    z: (mean - theory) / se, passed: false))
        }
        return checks
    }

    /// Exact-propagation points (proof E1): one design and truth drawn from the seed, then `R`
    /// noise replicates of literal ridge refits compared with the exact curve.
    public struct PropagationPoint: Sendable {
        public var id: String
        public var purpose: String
        public var dimension: Int
        public var samples: Int
        public var noiseVariance: Double
        public var ridge: Double
        public var schemes: [ExactPropagation.Scheme]
        public var generations: Int
        public var reported: [Int]
        public var repeats: Int
        /// `m > 0`: the fresh-real chain (rows `0..<m` relabelled `Xw* + E` every generation;
        /// scheme replace), exact curve from `FreshRealPropagation` (E1 item 5).
        public var freshRealRows: Int = 0
    }

    public static let propagationBattery: [PropagationPoint] = [
        PropagationPoint(
            id: "E1", purpose: "ridge λ = 0.5 on one design: replace, accumulate, discounted γ = 0.7 vs the exact curve (proof E1)",
            dimension: 6, samples: 10, noiseVariance: 1, ridge: 0.5,
            schemes: [.replace, .accumulate, .discounted(gamma: 0.7)], generations: 10, reported: [1, 3, 10], repeats: 20000),
        PropagationPoint(
            id: "E2", purpose: "min-norm (λ = 0), T < d on one design: replace and accumulate vs the exact curve (proof E1)",
            dimension: 8, samples: 5, noiseVariance: 2, ridge: 0,
            schemes: [.replace, .accumulate], generations: 10, reported: [1, 3, 10], repeats: 20000),
        PropagationPoint(
            id: "E3", purpose: "fresh real labels on 4 of 10 rows, ridge λ = 0.4 (bounded) vs the exact curve (proof E1 item 5)",
            dimension: 3, samples: 10, noiseVariance: 1, ridge: 0.4,
            schemes: [.replace], generations: 12, reported: [1, 3, 12], repeats: 20000, freshRealRows: 4),
        PropagationPoint(
            id: "E5", purpose: "fresh real labels on 4 of 10 rows, min-norm, rank X_R = rank X = 3 (bounded) vs the exact curve (proof E1 item 5)",
            dimension: 3, samples: 10, noiseVariance: 1, ridge: 0,
            schemes: [.replace], generations: 12, reported: [1, 3, 12], repeats: 20000, freshRealRows: 4),
        PropagationPoint(
            id: "E4", purpose: "fresh real labels on 3 of 10 rows, min-norm, rank X_R < rank X = 6 (linear growth) vs the exact curve (proof E1 item 5)",
            dimension: 6, samples: 10, noiseVariance: 1, ridge: 0,
            schemes: [.replace], generations: 12, reported: [1, 3, 12], repeats: 20000, freshRealRows: 3)
    ]

    public static func schemeName(_ s: ExactPropagation.Scheme, freshRealRows: Int = 0) -> String {
        if freshRealRows > 0 { return "fresh-real m=\(freshRealRows)" }
        switch s {
        case .replace: return "replace"
        case .accumulate: return "accumulate"
        case let .discounted(gamma): return "discount \(gamma)"
        }
    }

    /// One exact-propagation check: Monte Carlo mean of literal refits against the exact curve.
    public struct PropagationCheck: Sendable {
        public var point: PropagationPoint
        public var scheme: ExactPropagation.Scheme
        public var generation: Int
        public var mean: Double
        public var standardError: Double
        public var exact: Double
        public var z: Double
    }

    /// Runs the exact-propagation points; `z = (mean − exact)/SE` per scheme and reported generation.
    public static func runPropagation(points: [PropagationPoint] = propagationBattery, seed: UInt64, threads: Int) throws -> [PropagationCheck] {
        var out: [PropagationCheck] = []
        for (position, p) in points.enumerated() {
            let index = propagationBattery.firstIndex { $0.id == p.id } ?? position  // stable under --only
            var designRNG = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.propagationChecks + UInt64(index)])
            let x = Matrix(rows: p.samples, columns: p.dimension, columnMajor: Normal.array(count: p.samples * p.dimension, using: &designRNG))
            let truth = Normal.array(count: p.dimension, using: &designRNG)
            let exact = try ExactPropagation(design: x, truth: truth, noiseVariance: p.noiseVariance, ridge: p.ridge)
            let freshReal =
                p.freshRealRows > 0
                ? try FreshRealPropagation(design: x, truth: truth, realRows: p.freshRealRows, noiseVariance: p.noiseVariance, ridge: p.ridge)
                : nil
            for (si, scheme) in p.schemes.enumerated() {
                let sim = try RidgeChainSimulator(
                    design: x, truth: truth, noiseVariance: p.noiseVariance, ridge: p.ridge, scheme: scheme,
                    freshRealRows: p.freshRealRows)
                let failure = BlockResults(blocks: 1, series: 1)
                let summary = ParallelReplicates.run(repeats: p.repeats, series: p.generations, threads: threads) { rep, buffer in
                    var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.propagationChecks + UInt64(index), UInt64(si), UInt64(rep)])
                    do { try sim.run(generations: p.generations, rng: &rng, errors: buffer) } catch { failure.record(error: error) }
                }
                if let error = failure.firstError { throw error }
                let curve = freshReal?.testErrorCurve(generations: p.generations) ?? exact.testErrorCurve(scheme, generations: p.generations)
                for n in p.reported {
                    let mean = summary.mean[n - 1], se = summary.standardError[n - 1]
                    out.append(
                        PropagationCheck(
                            point: p, scheme: scheme, generation: n, mean: mean, standardError: se,
                            exact: curve[n - 1], z: (mean - curve[n - 1]) / se))
                }
            }
        }
        return out
    }

    /// `Φ⁻¹(1 − α/(2K))`.
    public static func threshold(familyFalseAlarm alpha: Double, statistics k: Int) -> Double {
        precondition(alpha > 0 && alpha < 1 && k >= 1, "threshold needs 0 < α < 1 and K ≥ 1")
        return NormalDistribution.twoSidedCriticalValue(falseAlarm: alpha / Double(k))
    }

    /// Runs `battery` under `seed` and compares every reported statistic with `z*`.
    public static func run(
        battery: [Point] = defaultBattery, seed: UInt64, threads: Int,
        familyFalseAlarm alpha: Double = 1e-3
    ) throws -> Report {
        struct Pending { var check: Check; var oneSided: Bool }
        var pending: [Pending] = []
        for point in battery {
            let settings = MonteCarloSettings(
                repeats: point.repeats, generations: point.generations,
                regimes: [.replace, .accumulate], seed: seed, threads: threads)
            let rows = try MonteCarlo.run(cell: point.cell, settings: settings)
            let averagedValid = point.cell.samples >= point.cell.dimension + minimumDesignAveragedMargin
            for row in rows where point.reported.contains(row.generation) {
                func add(_ kind: Kind, _ target: Double, _ z: Double, oneSided: Bool = false) {
                    pending.append(
                        Pending(
                            check: Check(
                                id: point.id, kind: kind, cell: point.cell, regime: row.regime,
                                generation: row.generation, mean: row.mean, standardError: row.standardError,
                                target: target, z: z, passed: false), oneSided: oneSided))
                }
                if averagedValid, let th = row.theory, let z = row.zScore { add(.designAveraged, th, z) }
                if let given = row.theoryGivenDesign, let z = row.zGivenDesign { add(.givenDesign, given, z) }
                if point.checkBound, row.regime == .accumulate, row.generation == point.generations,
                    let bound = LinearCollapseTheory.accumulateBound(
                        dimension: point.cell.dimension, samples: point.cell.samples,
                        noiseVariance: point.cell.noiseVariance)
                {
                    add(.accumulateBound, bound, (row.mean - bound) / row.standardError, oneSided: true)
                }
            }
        }
        let zStar = threshold(familyFalseAlarm: alpha, statistics: max(pending.count, 1))
        let checks = pending.map { p -> Check in
            var c = p.check
            c.passed = p.oneSided ? c.z <= zStar : abs(c.z) <= zStar
            return c
        }
        return Report(checks: checks, threshold: zStar, familyFalseAlarm: alpha)
    }
}

extension Verification {
    /// The agreement of a linear results file with theory: the largest |z| of each statistic
    /// (`z`, design-averaged; `z_given_design`) against the Bonferroni threshold
    /// `z* = Φ⁻¹(1 − α/(2K))` over the K statistics present.
    public struct Agreement: Sendable {
        public var maxDesignAveraged: Double?
        public var maxGivenDesign: Double?
        public var statistics: Int
        public var threshold: Double
        public var familyFalseAlarm: Double
        public var agrees: Bool { (maxDesignAveraged ?? 0) <= threshold && (maxGivenDesign ?? 0) <= threshold }

        /// The manifest's record of the verdict.
        public var manifestEntries: [(String, JSONValue)] {
            [
                ("max_abs_z_score", maxDesignAveraged.map(JSONValue.double) ?? .null),
                ("max_abs_z_given_design", maxGivenDesign.map(JSONValue.double) ?? .null),
                ("z_threshold", .double(threshold)), ("family_false_alarm", .double(familyFalseAlarm)),
                ("agrees_with_theory", .bool(agrees))
            ]
        }
    }

    /// The agreement of `results` (linear results, `LinearResultsCSV`) at family-wise false alarm `alpha`.
    public static func agreement(_ results: CSVDocument, familyFalseAlarm alpha: Double) -> Agreement {
        func column(_ name: String) -> [Double] {
            guard let i = results.columnIndex(name) else { return [] }
            return results.rows.compactMap { Double($0[i]) }.map(abs)
        }
        let a = column("z"), g = column("z_given_design")
        let k = max(a.count + g.count, 1)
        return Agreement(
            maxDesignAveraged: a.max(), maxGivenDesign: g.max(), statistics: k,
            threshold: threshold(familyFalseAlarm: alpha, statistics: k), familyFalseAlarm: alpha)
    }
}
