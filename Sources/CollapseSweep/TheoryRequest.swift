import CollapseCore
import CollapseExport
import CollapseTheory
import ExperimentEngine
import Foundation
import LinearAlgebra
import LinearCollapse
import Randomness

/// One `collapse theory` request: the model, its parameters as the user typed them (lists are
/// comma-separated), the rules that make a closed form defined (each refusal names the flag and
/// what is allowed), the table of `TheoryTables` it selects, and the way it is printed.
///
/// `validate()` throws a `SpecError` for input that is out of range or has no finite closed form;
/// `render()` returns the text to print (a table for reading, or the long / wide CSV) and the
/// notes to show on stderr, and throws `TheoryRequest.Failure` for a file it cannot read or a
/// numerical failure of exact propagation.
public struct TheoryRequest: Sendable {
    public var model = "linear"
    public var format = "table"
    public var regimes = "replace,accumulate"
    public var dimension = "10"
    public var samples = "100"
    public var noiseVariance = "1"
    public var generations = 10
    public var rate = "1"
    public var generatorSamples: Int?
    public var generatorNoiseVariance: Double?
    public var estimator = "unbiased"
    public var covarianceEigenvalues: String?
    public var zipfSupport = 10
    public var zipfExponent = 1.1
    public var weight: String?
    // Ridge (proof R1) and exact propagation (proof E1).
    public var spectrum = "isotropic"
    public var beta: Double?
    public var source: Double?
    public var ridge: String?
    public var discount: String?
    public var designFile: String?
    public var truthFile: String?
    public var seed: String?
    public var replicate = 0
    public var realFraction = "0.5"

    public init() {}

    /// `collapse theory`'s flags, one per field: each written `--key value` (`_` as `-`), its
    /// help shown by `--help`. The values stay text until `validate()`, whose messages name the
    /// flag and what is allowed.
    public static let parameters: [Parameter] = [
        Parameter(
            "model", .choice(TheoryCatalogue.models.map(\.name)), default: [.text("linear")],
            help:
                "Which chain: \(TheoryCatalogue.models.map(\.name).joined(separator: ", ")) (see --list). For the chain models --samples is M, the samples per generation."
        ),
        Parameter(
            "format", .choice(formats), default: [.text("table")],
            help:
                "table (for reading), csv (the long results format every command writes: one row per generation and metric, the value in `theory`; `collapse plot` draws it) or wide (one row per generation, one column per quantity)."
        ),
        Parameter(
            "regimes", .choice(["replace", "accumulate", "fresh-real"]), role: .list, default: [.text("replace"), .text("accumulate")],
            help: "Regimes with a closed form: replace, accumulate (--model exact: also fresh-real)."),
        Parameter("dimension", .integer(LinearFamily.Limits.dimension), role: .list, default: [.text("10")], help: "Feature dimension(s) d ≥ 1."),
        Parameter(
            "samples", .integer(1...LinearFamily.Limits.samples.upperBound), role: .list, default: [.text("100")],
            help: "Samples per generation T (the linear closed forms need T ≥ d + 2; for the chain models T is M ≥ 1)."),
        Parameter("noise_variance", .real(lower: 0, upper: 1e12, lowerOpen: true), role: .list, default: [.text("1")], help: "Label-noise variance(s) σ² > 0."),
        Parameter(
            "generations", .integer(LinearFamily.Limits.generations), default: [.text("10")], help: "Number of model fits N (generation 1 fits the real data)."),
        Parameter(
            "rate", .real(lower: 0, upper: 1e12, lowerOpen: true), role: .list, default: [.text("1")], help: "Poisson rate(s) λ > 0 for --model poisson."),
        Parameter(
            "generator_samples", .integer(1...LinearFamily.Limits.samples.upperBound),
            help: "T₀ of the generators for --model fresh-design or ridge (Dohmatob chain; default: --samples)."),
        Parameter(
            "generator_noise_variance", .text,
            help: "σ₀² of the generators for --model fresh-design or ridge (default: --noise-variance)."),
        Parameter("estimator", .choice(estimators), default: [.text("unbiased")], help: "Variance estimator for --model gaussian-refit."),
        Parameter(
            "covariance_eigenvalues", .text, role: .list,
            help: "Eigenvalues of Σ (> 0) for --model gaussian-refit-d; the dimension is their number (default: σ²·I_d from --noise-variance and --dimension)."),
        Parameter("zipf_support", .integer(1...1_000_000), default: [.text("10")], help: "K, the support size of the Zipf truth for --model categorical."),
        Parameter("zipf_exponent", .text, default: [.text("1.1")], help: "s ≥ 0, the Zipf exponent for --model categorical."),
        Parameter("weight", .text, role: .list, help: "Real-data weight(s) w in (0, 1] for --model mixing (default: (√5−1)/2)."),
        Parameter(
            "spectrum", .choice(ChainOptions.Spectrum.names), default: [.text("isotropic")],
            help: "Covariance spectrum for --model ridge: isotropic (Σ = I) or power-law (s_i = i^−β, s_1 = 1)."),
        Parameter("beta", .text, help: "Capacity exponent β > 0 of --spectrum power-law (default 1.5)."),
        Parameter("source", .text, help: "Source exponent r ≥ 0 of --spectrum power-law: s_i·w*_i² ∝ i^−(1+2βr) (default 0.5)."),
        Parameter(
            "ridge", .text, role: .list,
            help:
                "Ridge penalty λ ≥ 0 on the mean squared loss, ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T (0: min-norm OLS). --model ridge: also 'optimal' (minimises the deterministic equivalent at each generation; the default). --model exact: default 0."
        ),
        Parameter(
            "discount", .text, role: .list,
            help: "For --model exact: also weighted accumulation with weight γ^age on older generations, γ in [0, 1]."),
        Parameter(
            "design_file", .text,
            help: "For --model exact: CSV file of the design X (a header row, then T rows of d numbers); --dimension and --samples are then read from it."
        ).file(),
        Parameter(
            "truth_file", .text,
            help: "For --model exact: CSV file of w* (a header row, then d rows of one number). Default: w* ~ N(0, I) from --seed."
        ).file(),
        Parameter("seed", .text, help: "For --model exact: draw X (and w*) as replicate --replicate of `collapse simulate --seed` does (default seed 1)."),
        Parameter("replicate", .text, default: [.text("0")], help: "For --model exact: which replicate's design to draw."),
        Parameter(
            "real_fraction", .text, role: .list, default: [.text("0.5")],
            help: "For --model exact with fresh-real: real fraction(s) λ in [0, 1]; rows 0..<round(λT) get fresh real labels.")
    ]

    /// The request of the flags given (config key → text as typed); flags not given keep their
    /// defaults. Throws a `SpecError` naming the flag for a number that does not parse.
    public init(flags: [String: String]) throws {
        func integer(_ key: String) throws -> Int? {
            try flags[key].map { raw in
                guard let v = Int(raw.trimmingCharacters(in: .whitespaces)) else {
                    throw SpecError("--\(key.replacingOccurrences(of: "_", with: "-")): '\(raw)' is not an integer")
                }
                return v
            }
        }
        func real(_ key: String) throws -> Double? {
            try flags[key].map { raw in
                guard let v = Double(raw.trimmingCharacters(in: .whitespaces)) else {
                    throw SpecError("--\(key.replacingOccurrences(of: "_", with: "-")): '\(raw)' is not a number")
                }
                return v
            }
        }
        model = flags["model"] ?? model
        format = flags["format"] ?? format
        regimes = flags["regimes"] ?? regimes
        dimension = flags["dimension"] ?? dimension
        samples = flags["samples"] ?? samples
        noiseVariance = flags["noise_variance"] ?? noiseVariance
        generations = try integer("generations") ?? generations
        rate = flags["rate"] ?? rate
        generatorSamples = try integer("generator_samples")
        generatorNoiseVariance = try real("generator_noise_variance")
        estimator = flags["estimator"] ?? estimator
        covarianceEigenvalues = flags["covariance_eigenvalues"]
        zipfSupport = try integer("zipf_support") ?? zipfSupport
        zipfExponent = try real("zipf_exponent") ?? zipfExponent
        weight = flags["weight"]
        spectrum = flags["spectrum"] ?? spectrum
        (beta, source, ridge, discount) = (try real("beta"), try real("source"), flags["ridge"], flags["discount"])
        (designFile, truthFile, seed) = (flags["design_file"], flags["truth_file"], flags["seed"])
        replicate = try integer("replicate") ?? replicate
        realFraction = flags["real_fraction"] ?? realFraction
    }

    public static let formats = ["table", "csv", "wide"]
    /// `--estimator` of `--model gaussian-refit`: the unbiased variance or the MLE (proof G1).
    public static let estimators = ["unbiased", "mle"]

    /// A failure while computing (not a bad value): an unreadable file, a numerical failure.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// `--list`: every model with its formula and proof.
    public static var list: String {
        TheoryCatalogue.models.map { "\($0.name.padding(toLength: 17, withPad: " ", startingAt: 0)) \($0.formula)\n" }.joined()
    }

    var formula: String { TheoryCatalogue.models.first { $0.name == model }!.formula }

    // MARK: Parsed values

    func dimensions() throws -> [Int] {
        try ListParsing.integers(dimension, flag: "--dimension", minimum: 1, maximum: LinearFamily.Limits.dimension.upperBound)
    }
    func sampleSizes() throws -> [Int] { try ListParsing.integers(samples, flag: "--samples", minimum: 1, maximum: LinearFamily.Limits.samples.upperBound) }
    func noiseVariances() throws -> [Double] { try ListParsing.positiveDoubles(noiseVariance, flag: "--noise-variance") }

    /// The grid cells, dimension outermost, noise variance innermost.
    func cells() throws -> [LinearCell] {
        let ds = try dimensions(), ts = try sampleSizes(), ss = try noiseVariances()
        return ds.flatMap { d in ts.flatMap { t in ss.map { LinearCell(dimension: d, samples: t, noiseVariance: $0) } } }
    }

    /// Regime names from `allowed`; `mix` and `fresh-real` expand to one regime per real fraction.
    static func regimes(_ raw: String, allowed: [String], realFractions: [Double]) throws -> [Regime] {
        let flag = "--regimes", expected = "a comma-separated list of \(allowed.joined(separator: ", "))"
        var out: [Regime] = []
        for name in try ListParsing.unique(ListParsing.items(raw, flag: flag, expected: expected), raw: raw, flag: flag, expected: expected) {
            guard allowed.contains(name) else {
                if Regime.names.contains(name) { throw SpecError("\(flag): '\(name)' has no closed form; allowed here: \(allowed.joined(separator: ", "))") }
                throw SpecError("\(flag): unknown regime '\(name)'; allowed: \(allowed.joined(separator: ", "))")
            }
            switch name {
            case "mix", "fresh-real": out.append(contentsOf: realFractions.map { Regime.named(name, realFraction: $0)! })
            default: out.append(Regime.named(name, realFraction: 0)!)
            }
        }
        return out
    }

    func closedFormRegimes() throws -> [ClosedFormRegime] {
        try Self.regimes(regimes, allowed: ["replace", "accumulate"], realFractions: []).map { $0 == .replace ? .replace : .accumulate }
    }

    func weights() throws -> [Double] {
        guard let weight else { return [GoldenRatioMixing.optimalWeight] }
        return try ListParsing.fractions(weight, flag: "--weight").map { w in
            guard w > 0 else { throw SpecError("--weight: 0 is out of range; expected weights in (0, 1]") }
            return w
        }
    }

    // MARK: Validation

    public func validate() throws {
        _ = try ListParsing.checked(generations, flag: "--generations", in: LinearFamily.Limits.generations)
        guard Self.formats.contains(format) else { throw SpecError("--format: unknown format '\(format)'; allowed: \(Self.formats.joined(separator: ", "))") }
        if model == "exact" { try validateExact(); _ = try cells(); return }
        _ = try closedFormRegimes()
        guard TheoryCatalogue.models.contains(where: { $0.name == model }) else {
            throw SpecError("--model: unknown model '\(model)'; allowed: \(TheoryCatalogue.models.map(\.name).joined(separator: ", "))")
        }
        switch model {
        case "ridge": try validateRidge()
        case "fresh-design": try validateFreshDesign()
        case "gaussian-refit-d": try validateMultivariateGaussian()
        case "linear":
            for cell in try cells() where cell.samples < cell.dimension + 2 {
                throw SpecError(
                    """
                    --samples \(cell.samples) with --dimension \(cell.dimension): the Gaussian-design expectation \
                    needs T ≥ d + 2 = \(cell.dimension + 2) (at T = d or d + 1 it is infinite; for T < d, (XᵀX)⁻¹ \
                    does not exist). Use `collapse simulate`, which fits min-norm OLS for any T.
                    """)
            }
        default: try validateChainModel()
        }
    }

    func validateFreshDesign() throws {
        let d = try dimensions(), ts = try sampleSizes() + (generatorSamples.map { [$0] } ?? [])
        // D1 needs T ≥ d + 2; the over-parameterised chain (O1, one size) needs T ≤ d − 2.
        for dim in d {
            for t in ts where t < dim + 2 && !(generatorSamples == nil && t <= dim - 2) {
                throw SpecError(
                    "--samples/--generator-samples \(t) with --dimension \(dim): the fresh-design expectation needs T ≥ d + 2 = \(dim + 2)"
                        + (generatorSamples == nil ? " or T ≤ d − 2 = \(dim - 2) (over-parameterised, proof O1)" : "") + "; it is infinite in between")
            }
        }
        try validateGeneratorNoise()
    }

    func validateGeneratorNoise() throws {
        if let s0 = generatorNoiseVariance, !(s0.isFinite && s0 > 0) {
            throw SpecError("--generator-noise-variance: \(s0) is out of range; expected a finite number > 0")
        }
    }

    func validateChainModel() throws {
        if model == "gaussian-refit" {
            guard GaussianFittingTheory.Estimator(rawValue: estimator) != nil else {
                throw SpecError("--estimator: unknown estimator '\(estimator)'; allowed: \(Self.estimators.joined(separator: ", "))")
            }
            for m in try sampleSizes() where m < 2 { throw SpecError("--samples \(m): a variance estimate needs M ≥ 2 samples per generation") }
        }
        if model == "categorical" {
            guard zipfSupport >= 1 && zipfSupport <= 1_000_000 else {
                throw SpecError("--zipf-support: \(zipfSupport) is out of range; expected an integer in 1...1000000")
            }
            guard zipfExponent.isFinite && zipfExponent >= 0 else {
                throw SpecError("--zipf-exponent: \(zipfExponent) is out of range; expected a finite number ≥ 0")
            }
        }
        _ = try sampleSizes()
        _ = try noiseVariances()
        _ = try ListParsing.positiveDoubles(rate, flag: "--rate")
        _ = try weights()
    }

    // MARK: Rendering

    /// The text to print and the notes for stderr.
    /// `progress` (the linear model: its grid cells and rows) hears how far the table is.
    public func render(progress: RunProgress? = nil) throws -> (text: String, notes: [String]) {
        var notes: [String] = []
        let n = generations
        let table: CSVTable
        switch model {
        case "exact": table = try exactTable()
        case "ridge":
            let built: (table: CSVTable, warnings: [String])
            do {
                built = try TheoryTables.ridge(
                    spectra: try dimensions().map { ($0, try ridgeSpectrum(dimension: $0)) },
                    setting: .init(spectrumName: spectrum, beta: beta, source: source),
                    samples: try sampleSizes(), noiseVariances: try noiseVariances(),
                    generatorSamples: generatorSamples, generatorNoiseVariance: generatorNoiseVariance,
                    choices: try ridgeChoices(), generations: n)
            } catch let e as TheoryTables.NoEquivalent { throw Failure(e.description) }
            notes = built.warnings
            table = built.table
        case "fresh-design":
            table = TheoryTables.freshDesign(
                dimensions: try dimensions(), samples: try sampleSizes(), noiseVariances: try noiseVariances(),
                generatorSamples: generatorSamples, generatorNoiseVariance: generatorNoiseVariance,
                regimes: try closedFormRegimes(), generations: n)
        case "gaussian-refit-d":
            table = TheoryTables.multivariateGaussian(
                GaussianFittingTheory.Estimator(rawValue: estimator)!, spectra: try multivariateSpectra(),
                samples: try sampleSizes(), regimes: try closedFormRegimes(), generations: n)
        case "gaussian-refit":
            table = TheoryTables.gaussianRefit(
                GaussianFittingTheory.Estimator(rawValue: estimator)!, samples: try sampleSizes(),
                variances: try noiseVariances(), regimes: try closedFormRegimes(), generations: n)
        case "categorical":
            table = TheoryTables.categorical(
                support: zipfSupport, exponent: zipfExponent, samples: try sampleSizes(),
                regimes: try closedFormRegimes(), generations: n)
        case "mixing":
            table = TheoryTables.mixing(samples: try sampleSizes(), variances: try noiseVariances(), weights: try weights(), generations: n)
        case "linear":
            let cells = try self.cells(), forms = try closedFormRegimes()
            progress?.begin(cells: cells.count, totalWork: Double(cells.count * forms.count * n))
            defer { progress?.end() }
            let rows = progress.map { p in { (k: Int) in p.advance(replicates: k, work: Double(k)) } }
            if format == "table" { return (linearText(cells, rows: rows, cellFinished: progress?.cellFinished), notes) }
            table = TheoryTables.linear(
                cells: cells.map { ($0.dimension, $0.samples, $0.noiseVariance) }, regimes: forms, generations: n,
                rows: rows, cellFinished: progress?.cellFinished)
        default:
            let variances = model == "poisson" ? try ListParsing.positiveDoubles(rate, flag: "--rate") : try noiseVariances()
            table = TheoryTables.meanChain(
                model: model, samples: try sampleSizes(), variances: variances, regimes: try closedFormRegimes(),
                generations: n)
        }
        switch format {
        case "wide": return (table.rendered(), notes)
        case "csv":
            let m = TheoryCatalogue.model(model)!
            return (LongResults.fromClosedForms(table, model: model, metrics: m.metrics, derived: m.derived).rendered(), notes)
        default: return (readable(table), notes)
        }
    }

    /// Per cell: its constants, then one line per generation and regime.
    func linearText(_ cells: [LinearCell], rows: ((Int) -> Void)? = nil, cellFinished: (() -> Void)? = nil) -> String {
        let forms = (try? closedFormRegimes()) ?? []
        var out = ""
        for (ci, cell) in cells.enumerated() {
            let c = LinearCollapseTheory.expectedTraceOfInverseGram(dimension: cell.dimension, samples: cell.samples)!
            if ci > 0 { out += "\n" }
            out +=
                "d = \(cell.dimension), T = \(cell.samples), σ² = \(cell.noiseVariance):  σ²d/(T−d−1) = \(fmt(cell.noiseVariance * c)),  "
                + "accumulate bound ·π²/6 = \(fmt(cell.noiseVariance * c * LinearCollapseTheory.baselLimit))\n"
            out += pad("generation", 10) + forms.map { pad($0.rawValue, 16) }.joined() + "\n"
            for g in 1...generations {
                out +=
                    pad(String(g), 10)
                    + forms.map { form in
                        pad(
                            fmt(
                                LinearCollapseTheory.expectedTestError(
                                    form, generation: g, dimension: cell.dimension, samples: cell.samples,
                                    noiseVariance: cell.noiseVariance)!), 16)
                    }.joined() + "\n"
                rows?(forms.count)
            }
            cellFinished?()
        }
        return out
    }

    /// The table for reading: the formula, a header, one line per row of `table` (the columns
    /// and widths of `readableColumns`), and the footnote of the optimal ridge.
    func readable(_ table: CSVTable) -> String {
        let index = Dictionary(table.header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let columns = readableColumns
        var out = (model == "ridge" ? TheoryCatalogue.ridgeFormula : formula) + "\n"
        out += columns.map { pad($0.title, $0.width) }.joined() + "\n"
        for row in table.rows {
            out +=
                columns.map { c in
                    let raw = index[c.column].map { row[$0] } ?? ""
                    return pad(c.show(raw, row, index), c.width)
                }.joined() + "\n"
        }
        if model == "ridge", let i = index["ridge_choice"], table.rows.contains(where: { $0[i] == "optimal" }) {
            out += "* collapse-aware optimal λ (numerical minimiser of the deterministic equivalent, λ to relative 1e−6; λ = 0 when ridgeless is best)\n"
        }
        return out
    }

    struct Column {
        var title: String
        var column: String
        var width: Int
        var show: (String, [String], [String: Int]) -> String
        /// As written.
        init(_ title: String, _ column: String, _ width: Int) { self.init(title, column, width) { s, _, _ in s } }
        init(_ title: String, _ column: String, _ width: Int, show: @escaping (String, [String], [String: Int]) -> String) {
            self.title = title; self.column = column; self.width = width; self.show = show
        }
        /// Six significant digits; `—` when empty.
        static func number(_ title: String, _ column: String, _ width: Int) -> Column {
            Column(title, column, width) { s, _, _ in Double(s).map(fmt) ?? "—" }
        }
        /// As written; `—` when empty.
        static func optional(_ title: String, _ column: String, _ width: Int) -> Column {
            Column(title, column, width) { s, _, _ in s.isEmpty ? "—" : s }
        }
    }

    /// The columns each model's readable table shows, by the names of `TheoryTables`' columns.
    var readableColumns: [Column] {
        switch model {
        case "exact":
            return [
                Column("regime", "regime", 12), .optional("λ_real", "real_fraction", 8), .optional("γ", "discount", 6), Column("d", "dimension", 5),
                Column("T", "samples", 7), Column("σ²", "noise_variance", 8), Column("ridge", "ridge", 8), Column("generation", "generation", 12),
                .number("E‖ŵ−w*‖² | X", "theory_given_design", 15)
            ]
        case "ridge":
            return [
                Column("d", "dimension", 6), Column("T", "samples", 7), Column("σ²", "noise_variance", 7), Column("T₀", "generator_samples", 7),
                Column("σ₀²", "generator_noise_variance", 7), Column("gen", "generation", 5), Column("syn", "synthetic_generations", 5),
                Column("λ", "ridge", 12) { s, row, index in fmt(Double(s)!) + (row[index["ridge_choice"]!] == "optimal" ? "*" : "") },
                .number("κ", "kappa", 12), .number("bias", "bias", 12), .number("variance", "variance", 12), .number("collapse", "collapse", 12),
                .number("test error", "theory_test_error", 12)
            ]
        case "fresh-design":
            return [
                Column("regime", "regime", 12), Column("d", "dimension", 5), Column("T", "samples", 8), Column("σ²", "noise_variance", 8),
                Column("T₀", "generator_samples", 8), Column("σ₀²", "generator_noise_variance", 8), Column("generation", "generation", 12),
                Column("synthetic", "synthetic_generations", 11), .number("test error", "theory_test_error", 14)
            ]
        case "gaussian-refit-d":
            return [
                Column("regime", "regime", 12), Column("d", "dimension", 4), Column("M", "samples", 6), .number("tr Σ", "covariance_trace", 10),
                Column("generation", "generation", 12), .number("E‖μ̂−μ‖²", "mean_squared_error", 13), .number("E tr Σ̂", "expected_trace", 13),
                .number("E log det", "expected_log_det_ratio", 13), .number("W₂² ≥", "wasserstein2_lower", 13), .number("W₂² ≤", "wasserstein2_upper", 13)
            ]
        case "gaussian-refit":
            return [
                Column("regime", "regime", 12), Column("M", "samples", 6), Column("σ²", "variance", 8), Column("generation", "generation", 12),
                .number("E(μ̂−μ)²", "mean_squared_error", 14), .number("E σ̂²", "expected_variance", 14)
            ]
        case "categorical":
            return [
                Column("regime", "regime", 12), Column("M", "samples", 6), Column("generation", "generation", 12),
                .number("E Σp̂²", "expected_collision", 14)
            ]
        default:
            return [
                Column("regime", "regime", 12), Column("M", "samples", 7), Column(model == "poisson" ? "λ" : "σ²", "variance", 10),
                Column("w", "weight", 8) { s, _, _ in s.isEmpty ? "—" : String(format: "%.4f", Double(s)!) },
                Column("generation", "generation", 12), .number("MSE", "theory_mse", 14)
            ]
        }
    }
}

/// Right-aligns in a column of a readable table.
func pad(_ s: String, _ width: Int) -> String { TextTable.pad(s, width) }
/// Six significant digits.
func fmt(_ x: Double) -> String { TextTable.number(x) }

// MARK: - Ridge (proof R1)

extension TheoryRequest {
    /// The one parser of `--ridge` (for `--model ridge` and `--model exact`): distinct finite
    /// penalties in [0, 1e12], and `optimal` (a `nil` entry) where `allowOptimal`.
    static func penalties(_ raw: String, allowOptimal: Bool) throws -> [Double?] {
        let expected = "comma-separated penalties λ ≥ 0 in [0, 1e12]" + (allowOptimal ? " or 'optimal', e.g. 0.01,0.1,optimal" : ", e.g. 0,0.1")
        let items = try ListParsing.items(raw, flag: "--ridge", expected: expected)
        _ = try ListParsing.unique(items, raw: raw, flag: "--ridge", expected: expected)
        return try items.map { s -> Double? in
            if s == "optimal" {
                guard allowOptimal else { throw SpecError("--ridge: 'optimal' applies to --model ridge only; expected \(expected)") }
                return nil
            }
            guard let v = Double(s) else { throw SpecError("--ridge: '\(s)' is not a number\(allowOptimal ? " or 'optimal'" : ""); expected \(expected)") }
            guard v.isFinite else { throw SpecError("--ridge: \(ListParsing.nonFinite(s)); expected \(expected)") }
            guard v >= 0 && v <= 1e12 else { throw SpecError("--ridge: \(s) is out of range; expected \(expected)") }
            return v
        }
    }

    /// `nil` entries mean 'optimal'.
    func ridgeChoices() throws -> [Double?] { try Self.penalties(ridge ?? "optimal", allowOptimal: true) }

    func ridgeSpectrum(dimension d: Int) throws -> RidgeSpectrum {
        switch spectrum {
        case "isotropic":
            if beta != nil { throw SpecError("--beta: applies to --spectrum power-law only (the spectrum is isotropic)") }
            if source != nil { throw SpecError("--source: applies to --spectrum power-law only (the spectrum is isotropic)") }
            return .isotropic(dimension: d)
        case "power-law":
            let b = beta ?? 1.5, r = source ?? 0.5
            guard b.isFinite && b > 0 && b <= 10 else { throw SpecError("--beta: \(b) is out of range; expected a finite number in (0, 10]") }
            guard r.isFinite && r >= 0 && r <= 10 else { throw SpecError("--source: \(r) is out of range; expected a finite number in [0, 10]") }
            return .powerLaw(dimension: d, beta: b, source: r)
        default:
            throw SpecError("--spectrum: unknown spectrum '\(spectrum)'; allowed: \(ChainOptions.Spectrum.names.joined(separator: ", "))")
        }
    }

    func validateRidge() throws {
        guard ["replace", "replace,accumulate"].contains(regimes) else {
            throw SpecError("--regimes: --model ridge is Dohmatob et al.'s replace chain; omit --regimes or pass replace")
        }
        let choices = try ridgeChoices()
        for d in try dimensions() {
            _ = try ridgeSpectrum(dimension: d)
            for t in try sampleSizes() {
                let t0 = generatorSamples ?? t
                if generations >= 2 && t0 < d + 2 {
                    throw SpecError(
                        "--generator-samples \(t0) with --dimension \(d): the OLS generators need T₀ ≥ d + 2 = \(d + 2) "
                            + "(their error has infinite mean below)" + (generatorSamples == nil ? "; T₀ defaults to --samples, pass --generator-samples" : ""))
                }
                if choices.contains(0) && t == d {
                    throw SpecError("--ridge 0 with --samples \(t) = --dimension \(d): the ridgeless variance is infinite at T = d; use λ > 0")
                }
            }
        }
        _ = try noiseVariances()
        try validateGeneratorNoise()
    }
}

// MARK: - The d-dimensional Gaussian refit (proof G4)

extension TheoryRequest {
    /// The spectra of the truths, in output order. Every closed form and the law of `W₂` depend
    /// on `Σ` only through its eigenvalues (G4 item 2): `--covariance-eigenvalues`, or `σ²·I_d`
    /// for each `d` in `--dimension` and `σ²` in `--noise-variance`.
    func multivariateSpectra() throws -> [[Double]] {
        if let covarianceEigenvalues {
            let values = try ListParsing.positiveDoubles(covarianceEigenvalues, flag: "--covariance-eigenvalues")
            if dimension != TheoryRequest().dimension, try dimensions() != [values.count] {
                throw SpecError(
                    "--dimension \(dimension) does not match the \(values.count) values of --covariance-eigenvalues; "
                        + "the dimension is the number of eigenvalues (omit --dimension)")
            }
            return [values]
        }
        return try dimensions().flatMap { d in try noiseVariances().map { Array(repeating: $0, count: d) } }
    }

    func validateMultivariateGaussian() throws {
        guard GaussianFittingTheory.Estimator(rawValue: estimator) != nil else {
            throw SpecError("--estimator: unknown estimator '\(estimator)'; allowed: \(Self.estimators.joined(separator: ", "))")
        }
        for m in try sampleSizes() where m < 2 { throw SpecError("--samples \(m): a covariance estimate needs M ≥ 2 samples per generation") }
        _ = try multivariateSpectra()
    }
}

// MARK: - Exact propagation (proof E1)

extension TheoryRequest {
    /// `--ridge` for `--model exact`: penalties on the mean squared loss; default 0.
    func exactRidges() throws -> [Double] { try Self.penalties(ridge ?? "0", allowOptimal: false).map { $0! } }

    func discounts() throws -> [Double] { try discount.map { try ListParsing.fractions($0, flag: "--discount") } ?? [] }

    func exactSeed() throws -> UInt64 {
        guard let seed else { return 1 }
        guard let v = UInt64(seed) else { throw SpecError("--seed: '\(seed)' is not an integer in 0...18446744073709551615") }
        return v
    }

    /// The regimes of `--regimes`: replace, accumulate, fresh-real (expanded per real fraction).
    func schemes() throws -> [Regime] {
        try Self.regimes(
            regimes, allowed: ["replace", "accumulate", "fresh-real"],
            realFractions: ListParsing.fractions(realFraction, flag: "--real-fraction"))
    }

    func validateExact() throws {
        _ = try exactRidges(); _ = try discounts(); _ = try exactSeed(); _ = try schemes()
        guard replicate >= 0 else { throw SpecError("--replicate: \(replicate) is out of range; expected an integer ≥ 0") }
        if truthFile != nil && designFile == nil {
            throw SpecError("--truth-file needs --design-file (without it the design and truth are both drawn from --seed)")
        }
    }

    /// One numeric matrix from a CSV file with a header row; errors (bad input: `SpecError`) name
    /// the file and line.
    static func readMatrix(_ path: String, flag: String) throws -> [[Double]] {
        let doc: CSVDocument
        do { doc = try CSVReader.read(contentsOf: URL(fileURLWithPath: path)) } catch { throw SpecError("\(flag): \(error)") }
        guard !doc.rows.isEmpty else { throw SpecError("\(flag): \(path): no data rows after the header") }
        return try doc.rows.enumerated().map { i, row in
            try row.enumerated().map { j, field in
                guard let v = Double(field.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw SpecError("\(flag): \(path):\(doc.lines[i]): column \(j + 1) is '\(field)'; expected a finite number")
                }
                return v
            }
        }
    }

    /// The problems: one per grid cell, with `X` and `w*` of replicate `--replicate` of
    /// `collapse simulate --seed` on that cell; or, with `--design-file`, that design (and truth)
    /// for every noise variance.
    func exactProblems() throws -> [(design: Matrix, truth: [Double], noiseVariance: Double)] {
        let seed = try exactSeed()
        func guardMemory(_ d: Int, _ t: Int) throws {
            do {
                try MemoryGuard.check(
                    need: ExactPropagation.estimatedBytes(dimension: d, samples: t), maxMemory: nil,
                    advice: "reduce --dimension/--samples (the propagation holds several d × d matrices)")
            } catch let e as SpecError { throw SpecError("--model exact at d = \(d), T = \(t): \(e.description)") }
        }
        if let designFile {
            let rows = try Self.readMatrix(designFile, flag: "--design-file")
            guard rows.allSatisfy({ $0.count == rows[0].count }) else {
                throw SpecError("--design-file: \(designFile): rows have different numbers of columns")
            }
            try guardMemory(rows[0].count, rows.count)
            let x = Matrix(rowsOf: rows)
            let truth: [Double]
            if let truthFile {
                let w = try Self.readMatrix(truthFile, flag: "--truth-file")
                guard w.allSatisfy({ $0.count == 1 }), w.count == x.columns else {
                    throw SpecError(
                        "--truth-file: \(truthFile): expected \(x.columns) rows of one number (the design has \(x.columns) columns), "
                            + "got \(w.count) rows of \(w.first?.count ?? 0)")
                }
                truth = w.map { $0[0] }
            } else {
                var rng = Xoshiro256StarStar(seed: seed, stream: [StreamRegistry.exactTruth, UInt64(x.columns), UInt64(replicate)])
                truth = Normal.array(count: x.columns, using: &rng)
            }
            return try noiseVariances().map { (x, truth, $0) }
        }
        for cell in try cells() { try guardMemory(cell.dimension, cell.samples) }
        return try cells().map { cell in
            var rng = cell.stream(seed: seed, replicate: replicate, purpose: .data)
            let real = LinearRealData.draw(cell: cell, using: &rng)
            return (real.design, real.truth, cell.noiseVariance)
        }
    }

    /// E‖ŵ_n − w*‖² given X and w* for every ridge penalty and scheme (proof E1 items 1–3 and 5).
    func exactTable() throws -> CSVTable {
        var table = CSVTable(header: [
            "model", "regime", "real_fraction", "discount", "generation", "dimension", "samples",
            "noise_variance", "ridge", "theory_given_design"
        ])
        let n = generations
        for problem in try exactProblems() {
            let x = problem.design, d = x.columns, t = x.rows, s2 = problem.noiseVariance
            for lambda in try exactRidges() {
                // The library's fits solve (XᵀX + λ_sum I)w = Xᵀy: λ_sum = T·λ.
                let penalty = Double(t) * lambda
                let exact: ExactPropagation
                do { exact = try ExactPropagation(design: x, truth: problem.truth, noiseVariance: s2, ridge: penalty) } catch {
                    throw Failure("numerical failure at d=\(d) T=\(t): \(error)")
                }
                func add(_ regime: String, _ fraction: Double?, _ gamma: Double?, _ curve: [Double]) {
                    for g in 1...n {
                        table.append([
                            "exact", regime, fraction.map(CSVField.number) ?? "", gamma.map(CSVField.number) ?? "", String(g),
                            String(d), String(t), CSVField.number(s2), CSVField.number(lambda), CSVField.number(curve[g - 1])
                        ])
                    }
                }
                for regime in try schemes() {
                    switch regime {
                    case .replace: add("replace", nil, nil, exact.testErrorCurve(.replace, generations: n))
                    case .accumulate: add("accumulate", nil, nil, exact.testErrorCurve(.accumulate, generations: n))
                    case let .freshReal(f):
                        let m = Regime.realCount(fraction: f, of: t)
                        do {
                            add(
                                "fresh-real", f, nil,
                                try FreshRealPropagation(
                                    design: x, truth: problem.truth, realRows: m, noiseVariance: s2,
                                    ridge: penalty
                                ).testErrorCurve(generations: n))
                        } catch { throw Failure("numerical failure at d=\(d) T=\(t): \(error)") }
                    default: break
                    }
                }
                for gamma in try discounts() { add("discounted", nil, gamma, exact.testErrorCurve(.discounted(gamma: gamma), generations: n)) }
            }
        }
        return table
    }
}
