import CollapseCore
import CollapseExport
import ExperimentEngine

/// The linear-regression chain as a family of the experiment engine: the grid d × T × σ², the
/// regimes, the Monte Carlo settings (engine, design, replicates), the design's spectrum and the
/// estimator (`ChainOptions`), the rules that tie them together, the memory model of the
/// simulator, and one cell's Monte Carlo run.
public struct LinearFamily: ExperimentFamily {
    public init() {}

    public var name: String { "linear" }

    /// Allowed ranges, shared by every command that takes these values.
    public enum Limits {
        public static let dimension = 1...100_000
        public static let samples = 1...100_000_000
        public static let maximumNoiseVariance = 1e12
        public static let generations = 1...100_000
        public static let repeats = 2...100_000_000
        /// `β` of `--spectrum power-law` and the source exponent `r`, as `theory --model ridge` allows.
        public static let maximumBeta = 10.0
        public static let maximumSource = 10.0
        /// The ridge penalty `λ` (on the mean squared loss), as `theory --model exact` allows.
        public static let maximumRidge = 1e12
    }

    public var parameters: [Parameter] {
        [
            Parameter("dimension", .integer(Limits.dimension), role: .axis, default: [.integer(10)], help: "Feature dimension(s) d, comma-separated (d ≥ 1)."),
            Parameter("samples", .integer(Limits.samples), role: .axis, default: [.integer(100)], help: "Samples per generation T, comma-separated (T ≥ 1)."),
            Parameter(
                "noise_variance", .real(lower: 0, upper: Limits.maximumNoiseVariance, lowerOpen: true), role: .axis, default: [.real(1)],
                help: "Label-noise variance(s) σ², comma-separated (> 0)."),
            Parameter(
                "generations", .integer(Limits.generations), role: .axis, default: [.integer(10)],
                help: "Number of model fits N (generation 1 fits the real data), comma-separated."),
            .regimes(Regime.names), .realFraction,
            Parameter(
                "repeats", .integer(Limits.repeats), role: .axis, default: [.integer(1000)], help: "Monte Carlo replicates R per cell (≥ 2), comma-separated."),
            Parameter(
                "engine", .choice(Engine.allCases.map(\.rawValue)), default: [.text("literal")],
                help:
                    "Simulator: literal (draws every design entry and label; the reference) or sufficient (draws XᵀX and XᵀE; O(d²) per generation; replace/accumulate with T ≥ d)."
            ),
            Parameter(
                "design", .choice(DesignMode.allCases.map(\.rawValue)), default: [.text("fixed")],
                help: "fixed (one design per replicate, the default) or fresh (a new design every generation; replace/accumulate, literal engine)."),
            Parameter(
                "spectrum", .choice(ChainOptions.Spectrum.names), default: [.text("isotropic")],
                help:
                    "Covariance of the design's rows: isotropic (Σ = I, w* ~ N(0, I)) or power-law (s_i = i^−β, s_1 = 1, and the fixed w* of source exponent r with ‖w*‖²_Σ = 1, as `theory --model ridge`); power-law needs --engine literal --design fixed and replace/accumulate."
            ),
            Parameter(
                "beta", .real(lower: 0, upper: Limits.maximumBeta, lowerOpen: true),
                help: "Capacity exponent β of --spectrum power-law, in (0, 10] (default 1.5)."),
            Parameter(
                "source", .real(lower: 0, upper: Limits.maximumSource, lowerOpen: false),
                help: "Source exponent r of --spectrum power-law, s_i·w*_i² ∝ i^−(1+2βr), in [0, 10] (default 0.5)."),
            Parameter(
                "fit", .choice(["ols", "ridge"]), default: [.text("ols")],
                help: "Estimator: ols (minimum-norm least squares) or ridge (needs --ridge; literal engine, fixed design, replace/accumulate)."),
            Parameter(
                "ridge", .real(lower: 0, upper: Limits.maximumRidge, lowerOpen: false),
                help:
                    "Ridge penalty λ ≥ 0 of --fit ridge on the mean squared loss, as `theory --model exact`: one fit is ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T; pooled fits solve (Σ_j ω_j XᵀX + TλI)ŵ = Σ_j ω_j Xᵀy_j."
            ),
            Parameter(
                "discount", .real(lower: 0, upper: 1, lowerOpen: false), role: .list,
                help:
                    "Discounted accumulation: for each γ in [0, 1] (comma-separated) a 'discounted' series weighting generation j by γ^(n−j) (γ = 1: accumulate, 0: replace); literal engine, fixed design."
            ),
            Parameter(
                "test_noise", .choice(["false", "true"]), default: [.text("false")],
                help: "Noisy test targets: every error and theory includes the label-noise variance σ² (THEORY §0).")
        ]
    }

    /// The spectrum, estimator, discounted series and test noise of `spec` (validated).
    public func options(_ spec: ExperimentSpec) -> ChainOptions {
        let spectrum: ChainOptions.Spectrum =
            spec.one("spectrum")?.textValue == "power-law"
            ? .powerLaw(
                beta: spec.one("beta")?.doubleValue ?? ChainOptions.defaultBeta,
                source: spec.one("source")?.doubleValue ?? ChainOptions.defaultSource)
            : .isotropic
        let ridge = spec.one("fit")?.textValue == "ridge" ? spec.one("ridge")?.doubleValue : nil
        return ChainOptions(
            spectrum: spectrum, ridge: ridge, discounts: spec["discount"].compactMap(\.doubleValue),
            testNoise: spec.one("test_noise")?.textValue == "true")
    }

    /// The regimes' rows and then the discounted series', as the results list them.
    func series(_ spec: ExperimentSpec) -> [(name: String, realFraction: Double?)] {
        regimes(spec).map { ($0.name, $0.realFraction) } + options(spec).discounts.map { _ in ("discounted", nil) }
    }

    public func regimes(_ spec: ExperimentSpec) -> [Regime] {
        let fractions = spec["real_fraction"].isEmpty ? [0.5] : spec["real_fraction"].compactMap(\.doubleValue)
        return Regime.expand(names: spec["regimes"].compactMap(\.textValue), realFractions: fractions)
    }

    public func cell(_ cell: ExperimentSpec.Cell) -> LinearCell {
        LinearCell(
            dimension: cell["dimension"]!.intValue!, samples: cell["samples"]!.intValue!,
            noiseVariance: cell["noise_variance"]!.doubleValue!)
    }

    public func engine(_ spec: ExperimentSpec) -> Engine { Engine(rawValue: spec.one("engine")?.textValue ?? "literal")! }
    public func design(_ spec: ExperimentSpec) -> DesignMode { DesignMode(rawValue: spec.one("design")?.textValue ?? "fixed")! }

    public func settings(_ spec: ExperimentSpec, seed: UInt64, threads: Int) -> MonteCarloSettings {
        MonteCarloSettings(
            repeats: replicates(spec), generations: spec.one("generations")?.intValue ?? 10, regimes: regimes(spec),
            seed: seed, threads: threads, engine: engine(spec), design: design(spec), options: options(spec))
    }

    public func validate(_ spec: ExperimentSpec) throws {
        let regimes = self.regimes(spec)
        if spec.isGiven("real_fraction") && !regimes.contains(where: { $0.realFraction != nil }) {
            throw ParameterError(key: "real_fraction", message: "applies only to the mix and fresh-real regimes; add one to --regimes or drop --real-fraction")
        }
        let engine = self.engine(spec), design = self.design(spec)
        try validateOptions(spec, regimes: regimes, engine: engine, design: design)
        if engine == .sufficient {
            for c in spec.cells {
                if let reason = SufficientStatisticSimulator.unsupportedReason(cell: cell(c), regimes: regimes) {
                    throw ParameterError(key: "engine", value: "sufficient", message: "\(reason); use --engine literal")
                }
            }
        }
        if design == .fresh {
            if engine == .sufficient {
                throw ParameterError(
                    key: "design", value: "fresh", message: "needs --engine literal (the sufficient engine draws one Gram matrix per replicate)")
            }
            if let reason = FreshDesignSimulator.unsupportedReason(regimes: regimes) {
                throw ParameterError(key: "design", value: "fresh", message: reason)
            }
        }
    }

    /// The rules of `--spectrum`, `--beta`, `--source`, `--fit`, `--ridge` and `--discount`: each
    /// value applies only where it means something, and what `RidgeRefitSimulator` cannot run is
    /// refused rather than ignored.
    func validateOptions(_ spec: ExperimentSpec, regimes: [Regime], engine: Engine, design: DesignMode) throws {
        let powerLaw = spec.one("spectrum")?.textValue == "power-law", ridgeFit = spec.one("fit")?.textValue == "ridge"
        for key in ["beta", "source"] where spec.isGiven(key) && !powerLaw {
            throw ParameterError(
                key: key, message: "applies to --spectrum power-law only (the spectrum is isotropic); add --spectrum power-law or drop --\(key)")
        }
        if spec.isGiven("ridge") && !ridgeFit {
            throw ParameterError(key: "ridge", message: "applies to --fit ridge only (the fit is ols); add --fit ridge or drop --ridge")
        }
        if ridgeFit && !spec.isGiven("ridge") {
            throw ParameterError(key: "fit", value: "ridge", message: "needs --ridge λ ≥ 0, the penalty on the mean squared loss")
        }
        let options = self.options(spec)
        guard options.needsRefitSimulator else { return }
        let what = [powerLaw ? "--spectrum power-law" : nil, ridgeFit ? "--fit ridge" : nil, options.discounts.isEmpty ? nil : "--discount"]
            .compactMap { $0 }.joined(separator: ", ")
        if engine == .sufficient {
            throw ParameterError(key: "engine", value: "sufficient", message: "simulates isotropic OLS only; \(what) needs --engine literal")
        }
        if design == .fresh {
            throw ParameterError(key: "design", value: "fresh", message: "is simulated for isotropic OLS only; \(what) needs --design fixed")
        }
        if let other = regimes.first(where: { $0 != .replace && $0 != .accumulate }) {
            throw ParameterError(
                key: "regimes", value: other.name,
                message: "is not simulated with \(what); allowed with these options: replace, accumulate")
        }
    }

    /// The workers' simulators, plus every replicate's error kept twice (in its block and per
    /// series) for the order statistics: 16 bytes × R × regimes × N.
    public func estimatedBytes(_ spec: ExperimentSpec, cell c: ExperimentSpec.Cell, threads: Int) -> Double {
        let n = generations(spec, c), r = replicates(spec.restricted(to: c)), k = series(spec).count
        let worker =
            options(spec).needsRefitSimulator
            ? RidgeRefitSimulator.estimatedBytesPerWorker(cell: cell(c), series: k * n, generations: n)
            : LinearChainSimulator.estimatedBytesPerWorker(cell: cell(c), regimes: regimes(spec), generations: n)
        return worker * Double(threads) + 16 * Double(r) * Double(k * n)
    }

    /// Design and Gram (T d²), then T(d + 4) per generation and regime; accumulate-subsample
    /// refactorises every generation.
    public func work(_ spec: ExperimentSpec, cell c: ExperimentSpec.Cell) -> Double {
        let l = cell(c)
        let t = Double(l.samples), d = Double(l.dimension), n = Double(generations(spec, c))
        let regimes = self.regimes(spec)
        if options(spec).needsRefitSimulator {
            // Gram, eigendecomposition and VᵀΣV; per generation and series two T×d products,
            // two d×d solves and the O(d²) exact moments.
            return t * d * d + 2 * d * d * d + n * Double(series(spec).count) * (2 * t * d + 3 * d * d)
        }
        var w = t * d * d + n * t * (d + 4) * Double(regimes.count)
        if regimes.contains(.accumulateSubsample) { w += n * t * d * d }
        return w
    }

    public func replicates(_ spec: ExperimentSpec) -> Int { spec.one("repeats")?.intValue ?? 1000 }

    /// The cell's N (an axis: a list runs one cell per value).
    func generations(_ spec: ExperimentSpec, _ c: ExperimentSpec.Cell) -> Int { (c["generations"] ?? spec.one("generations"))?.intValue ?? 10 }

    /// `LinearResultsCSV.header`, and a `generations` column when N is swept (the rows of
    /// different N would otherwise look alike; `repeats` is a column already).
    public func header(_ spec: ExperimentSpec) -> [String] {
        LinearResultsCSV.header + LinearResultsCSV.optionColumns(options(spec)) + extraAxes(spec)
    }

    /// The swept axes without a column of their own: `generations` only (d, T, σ² and R are
    /// columns already).
    func extraAxes(_ spec: ExperimentSpec) -> [String] { spec.sweptAxes(except: ["dimension", "samples", "noise_variance", "repeats"]) }

    /// Which cells fit minimum-norm OLS (T < d) or have no Gaussian-design expectation
    /// (T < d + 2, proof L1), and where accumulate-subsample's error has no variance (proof A1),
    /// once per kind.
    public func notes(_ spec: ExperimentSpec) -> [String] {
        var seen = Set<LinearCell>()
        let cells = spec.cells.map(cell).filter { seen.insert($0).inserted }  // one per (d, T, σ²)
        var out: [String] = []
        let over = cells.filter(\.isOverParameterised)
        if !over.isEmpty {
            out.append(
                "note: T < d in \(over.count) cell(s) (\(over.prefix(4).map(\.description).joined(separator: "; "))\(over.count > 4 ? "; …" : "")): "
                    + "fitting minimum-norm least squares; theory is empty there")
        }
        let boundary = cells.filter { !$0.isOverParameterised && $0.samples < $0.dimension + 2 }
        if !boundary.isEmpty {
            out.append(
                "note: T < d + 2 in \(boundary.count) cell(s): the Gaussian-design expectation is infinite; "
                    + "theory is empty there (theory_given_design still applies)")
        }
        // Accumulate-subsample: the variance is infinite at generation n once T ≤ (d + 3)n, the
        // mean once T ≤ (d + 1)n (proof A1; LinearResultsCSV.finiteMoments marks each row).
        if regimes(spec).contains(.accumulateSubsample), design(spec) == .fixed {
            var heavy = Set<LinearCell>()
            for c in spec.cells {
                let l = cell(c)
                if l.samples >= l.dimension, l.samples <= (l.dimension + 3) * generations(spec, c) { heavy.insert(l) }
            }
            if !heavy.isEmpty {
                out.append(
                    "note: accumulate-subsample in \(heavy.count) cell(s): from generation T/(d + 3) on, a subsample can have between "
                        + "d and d + 3 distinct design rows, so the error's variance is infinite (from T/(d + 1) on, its mean too; "
                        + "proof A1); the moments column marks each generation: read the median there")
            }
        }
        let options = self.options(spec)
        if case .powerLaw = options.spectrum {
            out.append("note: --spectrum power-law: w* is the spectrum's fixed truth (‖w*‖²_Σ = 1), the same in every replicate; test error ‖ŵ − w*‖²_Σ")
        }
        if let ridge = options.ridge, ridge > 0 {
            out.append("note: --fit ridge: theory (design-averaged) is empty, no closed form; theory_given_design is exact (proof E1)")
        }
        return out
    }

    /// One row per (regime, generation) in order, carrying the cell's d, T, σ², R, the regime's
    /// λ and the run's engine and design, with numbers where numbers belong (a changed digit in a
    /// mean cannot be caught). The runner has checked each row's field count against the header
    /// before asking.
    public func checkRows(_ rows: Substring, spec: ExperimentSpec, cell c: ExperimentSpec.Cell) -> (row: Int, problem: String)? {
        let regimes = self.series(spec), l = cell(c), n = generations(spec, c), r = replicates(spec.restricted(to: c))
        let lines = CSVField.lines(rows)
        guard lines.count == regimes.count * n else {
            return (max(lines.count, 1), "\(lines.count) rows, expected \(regimes.count * n) (\(regimes.count) series × \(n) generations)")
        }
        let header = LinearResultsCSV.header
        let col = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        let numeric =
            (["mean", "std_error", "ci95_low", "ci95_high", "theory", "z", "theory_given_design", "z_given_design"]
            + RobustSummary.columns).map { col[$0]! }
        // The fields every row of this cell carries, and those of each regime and generation.
        let cellFields: [(Int, String)] = [
            ("model", "linear"), ("metric", LinearResultsCSV.metric), ("samples", String(l.samples)), ("repeats", String(r)),
            ("dimension", String(l.dimension)), ("noise_variance", CSVField.number(l.noiseVariance)),
            ("engine", engine(spec).rawValue), ("design", design(spec).rawValue)
        ].map { (col[$0.0]!, $0.1) }
        let regimeFields = regimes.map { [(col["regime"]!, $0.name), (col["real_fraction"]!, CSVField.number($0.realFraction))] }
        let generationColumn = col["generation"]!
        for (k, line) in lines.enumerated() {
            let f = CSVField.unquotedFields(line)
            let regime = regimes[k / n], generation = k % n + 1
            guard (cellFields + regimeFields[k / n]).allSatisfy({ f[$0.0] == $0.1 }), f[generationColumn] == String(generation) else {
                return (k + 1, "row does not belong to \(regime.name) generation \(generation) of \(l) with \(r) replicates")
            }
            for i in numeric where !f[i].isEmpty && Double(f[i]) == nil {
                return (k + 1, "column '\(header[i])': '\(f[i])' is not a number")
            }
            if Double(f[col["mean"]!]) == nil { return (k + 1, "mean is empty") }
        }
        return nil
    }

    public func run(_ spec: ExperimentSpec, cell c: ExperimentSpec.Cell, context: CellContext) throws -> String {
        try runCell(spec, cell: c, context: context).rows
    }

    public var providesReplicateValues: Bool { true }
    public var sharesThreadsAcrossCells: Bool { true }

    public func runCell(_ spec: ExperimentSpec, cell c: ExperimentSpec.Cell, context: CellContext) throws -> CellOutput {
        let rows: [GenerationSummary]
        var settings = settings(spec.restricted(to: c), seed: context.seed, threads: context.threads)
        settings.keepsReplicateValues = context.keepsReplicateValues
        settings.threadBudget = context.threadBudget
        do {
            rows = try MonteCarlo.run(cell: cell(c), settings: settings, progress: context.advance, isCancelled: context.isCancelled)
        } catch is MonteCarloCancelled {
            throw CellCancelled()
        } catch {
            throw LinearFamilyError(description: "numerical failure at \(cell(c)): \(error)")
        }
        return CellOutput(
            rows: LinearResultsCSV.rows(
                rows, engine: engine(spec), design: design(spec), options: options(spec),
                extra: c.csvFields(extraAxes(spec))),
            replicateValues: context.keepsReplicateValues ? rows.map { $0.values ?? [] } : nil)
    }
}

public struct LinearFamilyError: Error, CustomStringConvertible {
    public var description: String
}
