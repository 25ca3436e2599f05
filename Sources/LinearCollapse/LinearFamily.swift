import CollapseCore
import CollapseExport
import ExperimentEngine

/// The linear-regression chain as a family of the experiment engine: the grid d × T × σ², the
/// regimes, the Monte Carlo settings (engine, design, replicates), the rules that tie them
/// together, the memory model of the simulator, and one cell's Monte Carlo run.
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
    }

    public var parameters: [Parameter] {
        [
            Parameter("dimension", .integer(Limits.dimension), role: .axis, default: [.integer(10)], help: "Feature dimension(s) d, comma-separated (d ≥ 1)."),
            Parameter("samples", .integer(Limits.samples), role: .axis, default: [.integer(100)], help: "Samples per generation T, comma-separated (T ≥ 1)."),
            Parameter("noise_variance", .real(lower: 0, upper: Limits.maximumNoiseVariance, lowerOpen: true), role: .axis, default: [.real(1)],
                      help: "Label-noise variance(s) σ², comma-separated (> 0)."),
            Parameter("generations", .integer(Limits.generations), role: .axis, default: [.integer(10)],
                      help: "Number of model fits N (generation 1 fits the real data), comma-separated."),
            Parameter("regimes", .choice(Regime.names), role: .list, default: [.text("replace"), .text("accumulate")],
                      help: "Comma-separated regimes: replace, accumulate, accumulate-subsample, mix, fresh-real."),
            Parameter("real_fraction", .real(lower: 0, upper: 1, lowerOpen: false), role: .list,
                      help: "Real-data fraction(s) λ for mix and fresh-real, comma-separated, in [0, 1] (default: 0.5)."),
            Parameter("repeats", .integer(Limits.repeats), role: .axis, default: [.integer(1000)], help: "Monte Carlo replicates R per cell (≥ 2), comma-separated."),
            Parameter("engine", .choice(Engine.allCases.map(\.rawValue)), default: [.text("literal")],
                      help: "Simulator: literal (draws every design entry and label; the reference) or sufficient (draws XᵀX and XᵀE; O(d²) per generation; replace/accumulate with T ≥ d)."),
            Parameter("design", .choice(DesignMode.allCases.map(\.rawValue)), default: [.text("fixed")],
                      help: "fixed (one design per replicate, the default) or fresh (a new design every generation; replace/accumulate, literal engine)."),
        ]
    }

    public func regimes(_ spec: ExperimentSpec) -> [Regime] {
        let fractions = spec["real_fraction"].isEmpty ? [0.5] : spec["real_fraction"].compactMap(\.doubleValue)
        return Regime.expand(names: spec["regimes"].compactMap(\.textValue), realFractions: fractions)
    }

    public func cell(_ cell: ExperimentSpec.Cell) -> LinearCell {
        LinearCell(dimension: cell["dimension"]!.intValue!, samples: cell["samples"]!.intValue!,
                   noiseVariance: cell["noise_variance"]!.doubleValue!)
    }

    public func engine(_ spec: ExperimentSpec) -> Engine { Engine(rawValue: spec.one("engine")?.textValue ?? "literal")! }
    public func design(_ spec: ExperimentSpec) -> DesignMode { DesignMode(rawValue: spec.one("design")?.textValue ?? "fixed")! }

    public func settings(_ spec: ExperimentSpec, seed: UInt64, threads: Int) -> MonteCarloSettings {
        MonteCarloSettings(repeats: replicates(spec), generations: spec.one("generations")?.intValue ?? 10, regimes: regimes(spec),
                           seed: seed, threads: threads, engine: engine(spec), design: design(spec))
    }

    public func validate(_ spec: ExperimentSpec) throws {
        let regimes = self.regimes(spec)
        if spec.isGiven("real_fraction") && !regimes.contains(where: { $0.realFraction != nil }) {
            throw ParameterError(key: "real_fraction", message: "applies only to the mix and fresh-real regimes; add one to --regimes or drop --real-fraction")
        }
        let engine = self.engine(spec), design = self.design(spec)
        if engine == .sufficient {
            for c in spec.cells {
                if let reason = SufficientStatisticSimulator.unsupportedReason(cell: cell(c), regimes: regimes) {
                    throw ParameterError(key: "engine", value: "sufficient", message: "\(reason); use --engine literal")
                }
            }
        }
        if design == .fresh {
            if engine == .sufficient {
                throw ParameterError(key: "design", value: "fresh", message: "needs --engine literal (the sufficient engine draws one Gram matrix per replicate)")
            }
            if let reason = FreshDesignSimulator.unsupportedReason(regimes: regimes) {
                throw ParameterError(key: "design", value: "fresh", message: reason)
            }
        }
    }

    /// The workers' simulators, plus every replicate's error kept twice (in its block and per
    /// series) for the order statistics: 16 bytes × R × regimes × N.
    public func estimatedBytes(_ spec: ExperimentSpec, cell c: ExperimentSpec.Cell, threads: Int) -> Double {
        let n = generations(spec, c), r = replicates(spec.restricted(to: c))
        return LinearChainSimulator.estimatedBytesPerWorker(cell: cell(c), regimes: regimes(spec), generations: n) * Double(threads)
            + 16 * Double(r) * Double(regimes(spec).count * n)
    }

    /// Design and Gram (T d²), then T(d + 4) per generation and regime; accumulate-subsample
    /// refactorises every generation.
    public func work(_ spec: ExperimentSpec, cell c: ExperimentSpec.Cell) -> Double {
        let l = cell(c)
        let t = Double(l.samples), d = Double(l.dimension), n = Double(generations(spec, c))
        let regimes = self.regimes(spec)
        var w = t * d * d + n * t * (d + 4) * Double(regimes.count)
        if regimes.contains(.accumulateSubsample) { w += n * t * d * d }
        return w
    }

    public func replicates(_ spec: ExperimentSpec) -> Int { spec.one("repeats")?.intValue ?? 1000 }

    /// The cell's N (an axis: a list runs one cell per value).
    func generations(_ spec: ExperimentSpec, _ c: ExperimentSpec.Cell) -> Int { (c["generations"] ?? spec.one("generations"))?.intValue ?? 10 }

    /// `LinearResultsCSV.header`, and a `generations` column when N is swept (the rows of
    /// different N would otherwise look alike; `repeats` is a column already).
    public func header(_ spec: ExperimentSpec) -> [String] { LinearResultsCSV.header + extraAxes(spec) }

    /// The swept axes without a column of their own: `generations` only (d, T, σ² and R are
    /// columns already).
    func extraAxes(_ spec: ExperimentSpec) -> [String] { spec.sweptAxes(except: ["dimension", "samples", "noise_variance", "repeats"]) }

    /// Which cells fit minimum-norm OLS (T < d) or have no Gaussian-design expectation
    /// (T < d + 2, proof L1), once per kind.
    public func notes(_ spec: ExperimentSpec) -> [String] {
        var seen = Set<LinearCell>()
        let cells = spec.cells.map(cell).filter { seen.insert($0).inserted }   // one per (d, T, σ²)
        var out: [String] = []
        let over = cells.filter(\.isOverParameterised)
        if !over.isEmpty {
            out.append("note: T < d in \(over.count) cell(s) (\(over.prefix(4).map(\.description).joined(separator: "; "))\(over.count > 4 ? "; …" : "")): " +
                       "fitting minimum-norm least squares; theory is empty there")
        }
        let boundary = cells.filter { !$0.isOverParameterised && $0.samples < $0.dimension + 2 }
        if !boundary.isEmpty {
            out.append("note: T < d + 2 in \(boundary.count) cell(s): the Gaussian-design expectation is infinite; " +
                       "theory is empty there (theory_given_design still applies)")
        }
        return out
    }

    /// One row per (regime, generation) in order, carrying the cell's d, T, σ², R, the regime's
    /// λ and the run's engine and design, with numbers where numbers belong (a changed digit in a
    /// mean cannot be caught). The runner has checked each row's field count against the header
    /// before asking.
    public func checkRows(_ rows: Substring, spec: ExperimentSpec, cell c: ExperimentSpec.Cell) -> (row: Int, problem: String)? {
        let regimes = self.regimes(spec), l = cell(c), n = generations(spec, c), r = replicates(spec.restricted(to: c))
        let lines = CSVField.lines(rows)
        guard lines.count == regimes.count * n else {
            return (max(lines.count, 1), "\(lines.count) rows, expected \(regimes.count * n) (\(regimes.count) regimes × \(n) generations)")
        }
        let header = LinearResultsCSV.header
        let col = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        let numeric = (["mean", "std_error", "ci95_low", "ci95_high", "theory", "z", "theory_given_design", "z_given_design"]
                       + RobustSummary.columns).map { col[$0]! }
        // The fields every row of this cell carries, and those of each regime and generation.
        let cellFields: [(Int, String)] = [
            ("model", "linear"), ("metric", LinearResultsCSV.metric), ("samples", String(l.samples)), ("repeats", String(r)),
            ("dimension", String(l.dimension)), ("noise_variance", CSVField.number(l.noiseVariance)),
            ("engine", engine(spec).rawValue), ("design", design(spec).rawValue),
        ].map { (col[$0.0]!, $0.1) }
        let regimeFields = regimes.map { [(col["regime"]!, $0.name), (col["real_fraction"]!, CSVField.number($0.realFraction))] }
        let generationColumn = col["generation"]!
        for (k, line) in lines.enumerated() {
            let f = CSVField.unquotedFields(line)
            let regime = regimes[k / n], generation = k % n + 1
            guard (cellFields + regimeFields[k / n]).allSatisfy({ f[$0.0] == $0.1 }), f[generationColumn] == String(generation) else {
                return (k + 1, "row does not belong to \(regime) generation \(generation) of \(l) with \(r) replicates")
            }
            for i in numeric where !f[i].isEmpty && Double(f[i]) == nil {
                return (k + 1, "column '\(header[i])': '\(f[i])' is not a number")
            }
            if Double(f[col["mean"]!]) == nil { return (k + 1, "mean is empty") }
        }
        return nil
    }

    public func run(_ spec: ExperimentSpec, cell c: ExperimentSpec.Cell, context: CellContext) throws -> String {
        let rows: [GenerationSummary]
        do {
            rows = try MonteCarlo.run(cell: cell(c), settings: settings(spec.restricted(to: c), seed: context.seed, threads: context.threads),
                                      progress: context.advance, isCancelled: context.isCancelled)
        } catch is MonteCarloCancelled {
            throw CellCancelled()
        } catch {
            throw LinearFamilyError(description: "numerical failure at \(cell(c)): \(error)")
        }
        return LinearResultsCSV.rows(rows, engine: engine(spec), design: design(spec), extra: c.csvFields(extraAxes(spec)))
    }
}

public struct LinearFamilyError: Error, CustomStringConvertible {
    public var description: String
}
