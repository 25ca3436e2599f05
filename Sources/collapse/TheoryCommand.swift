import ArgumentParser
import CollapseExport
import CollapseTheory
import Foundation

/// `collapse theory`: the closed forms of proofs T1/T2 for every grid cell and generation.
struct TheoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theory",
        abstract: "Print the closed-form expected test error (Gaussian design) of replace and accumulate.",
        discussion: """
        replace: σ² n d/(T−d−1) (proof T1); accumulate: σ² d/(T−d−1) Σ_{i≤n} 1/i² ≤ σ² d/(T−d−1)·π²/6 \
        (proof T2). Requires T ≥ d + 2: for T = d or d + 1 the expectation is infinite, and for T < d \
        (XᵀX)⁻¹ does not exist.
        """)

    @OptionGroup var grid: GridOptions

    @Option(name: .customLong("regimes"), parsing: .unconditional, help: "Comma-separated regimes with a closed form: replace, accumulate.")
    var regimes = "replace,accumulate"

    @Option(name: .customLong("format"), parsing: .unconditional,
            help: "Output: table (for reading), csv (the long results format every command writes: one row per generation and metric, the value in `theory`; `collapse plot` draws it) or wide (one row per generation, one column per quantity).")
    var format = "table"

    static let formats = ["table", "csv", "wide"]

    @Option(name: .customLong("model"), parsing: .unconditional,
            help: "Which chain: linear (default), exact, fresh-design, ridge, poisson, gaussian-mean, gaussian-refit, gaussian-refit-d, categorical, mixing (see --list). For the chain models --samples is M, the samples per generation.")
    var model = "linear"

    @OptionGroup(title: "Exact propagation (--model exact)") var exact: ExactPropagationOptions

    @OptionGroup var ridgeOptions: RidgeTheoryOptions

    @Flag(name: .customLong("list"), help: "List the models with their formulas and proofs, then exit.")
    var list = false

    @Option(name: .customLong("rate"), parsing: .unconditional, help: "Poisson rate(s) λ for --model poisson, comma-separated (> 0).")
    var rate = "1"

    @Option(name: .customLong("generator-samples"), parsing: .unconditional, help: "T₀ of the generators for --model fresh-design or ridge (Dohmatob chain; default: --samples).")
    var generatorSamples: Int?

    @Option(name: .customLong("generator-noise-variance"), parsing: .unconditional, help: "σ₀² of the generators for --model fresh-design or ridge (default: --noise-variance).")
    var generatorNoiseVariance: Double?

    @Option(name: .customLong("estimator"), parsing: .unconditional, help: "Variance estimator for --model gaussian-refit: unbiased or mle.")
    var estimator = "unbiased"

    @Option(name: .customLong("covariance-eigenvalues"), parsing: .unconditional,
            help: "Eigenvalues of Σ for --model gaussian-refit-d, comma-separated (> 0); the dimension is their number (default: σ²·I_d from --noise-variance and --dimension).")
    var covarianceEigenvalues: String?

    @Option(name: .customLong("zipf-support"), parsing: .unconditional, help: "K, the support size of the Zipf truth for --model categorical.")
    var zipfSupport = 10

    @Option(name: .customLong("zipf-exponent"), parsing: .unconditional, help: "s, the Zipf exponent for --model categorical (≥ 0).")
    var zipfExponent = 1.1

    @Option(name: .customLong("weight"), parsing: .unconditional, help: "Real-data weight(s) w for --model mixing, in (0, 1] (default: (√5−1)/2).")
    var weight: String?

    static var models: [TheoryCatalogue.Model] { TheoryCatalogue.models }

    func validate() throws {
        if list { return }
        try grid.validateGenerations()
        if model == "exact" {
            try exact.validate(regimes: regimes, ridge: ridgeOptions.ridge)
            guard TheoryCommand.formats.contains(format) else { throw ValidationError("--format: unknown format '\(format)'; allowed: table, csv, wide") }
            _ = try grid.cells()
            return
        }
        _ = try parsedRegimes()
        guard Self.formats.contains(format) else {
            throw ValidationError("--format: unknown format '\(format)'; allowed: table, csv, wide")
        }
        guard Self.models.contains(where: { $0.name == model }) else {
            throw ValidationError("--model: unknown model '\(model)'; allowed: \(Self.models.map(\.name).joined(separator: ", "))")
        }
        if model == "ridge" { try validateRidge(); return }
        if model == "fresh-design" {
            let d = try grid.dimensions(), ts = try grid.sampleSizes() + (generatorSamples.map { [$0] } ?? [])
            // D1 needs T ≥ d + 2; the over-parameterised chain (O1, one size) needs T ≤ d − 2.
            for dim in d { for t in ts where t < dim + 2 && !(generatorSamples == nil && t <= dim - 2) {
                throw ValidationError("--samples/--generator-samples \(t) with --dimension \(dim): the fresh-design expectation needs T ≥ d + 2 = \(dim + 2)" +
                                      (generatorSamples == nil ? " or T ≤ d − 2 = \(dim - 2) (over-parameterised, proof O1)" : "") + "; it is infinite in between")
            } }
            if let s0 = generatorNoiseVariance, !(s0.isFinite && s0 > 0) {
                throw ValidationError("--generator-noise-variance: \(s0) is out of range; expected a finite number > 0")
            }
            return
        }
        if model == "gaussian-refit-d" { try validateMultivariateGaussian(); return }
        if model == "gaussian-refit" {
            guard GaussianFittingTheory.Estimator(rawValue: estimator) != nil else {
                throw ValidationError("--estimator: unknown estimator '\(estimator)'; allowed: unbiased, mle")
            }
            for m in try grid.sampleSizes() where m < 2 {
                throw ValidationError("--samples \(m): a variance estimate needs M ≥ 2 samples per generation")
            }
        }
        if model == "categorical" {
            guard zipfSupport >= 1 && zipfSupport <= 1_000_000 else {
                throw ValidationError("--zipf-support: \(zipfSupport) is out of range; expected an integer in 1...1000000")
            }
            guard zipfExponent.isFinite && zipfExponent >= 0 else {
                throw ValidationError("--zipf-exponent: \(zipfExponent) is out of range; expected a finite number ≥ 0")
            }
        }
        if model != "linear" {
            _ = try grid.sampleSizes()
            _ = try grid.noiseVariances()
            _ = try ListParsing.positiveDoubles(rate, flag: "--rate")
            _ = try weights()
            return
        }
        for cell in try grid.cells() where cell.samples < cell.dimension + 2 {
            throw ValidationError("""
                --samples \(cell.samples) with --dimension \(cell.dimension): the Gaussian-design expectation \
                needs T ≥ d + 2 = \(cell.dimension + 2) (at T = d or d + 1 it is infinite; for T < d, (XᵀX)⁻¹ \
                does not exist). Use `collapse simulate`, which fits min-norm OLS for any T.
                """)
        }
    }

    func parsedRegimes() throws -> [ClosedFormRegime] {
        try ListParsing.regimes(regimes, allowed: ["replace", "accumulate"], realFractions: []).map {
            $0 == .replace ? ClosedFormRegime.replace : ClosedFormRegime.accumulate
        }
    }

    func weights() throws -> [Double] {
        guard let weight else { return [GoldenRatioMixing.optimalWeight] }
        return try ListParsing.fractions(weight, flag: "--weight").map { w in
            guard w > 0 else { throw ValidationError("--weight: 0 is out of range; expected weights in (0, 1]") }
            return w
        }
    }

    /// Proof D1: replace with a fresh design each generation; the Dohmatob chain when the
    /// generators' size is given (generations 1…n−1 are generators, generation n the downstream fit).
    func runFreshDesign() throws {
        let table = TheoryTables.freshDesign(dimensions: try grid.dimensions(), samples: try grid.sampleSizes(),
                                             noiseVariances: try grid.noiseVariances(), generatorSamples: generatorSamples,
                                             generatorNoiseVariance: generatorNoiseVariance, regimes: try parsedRegimes(),
                                             generations: grid.generations)
        if format != "table" { printLong(table); return }
        print(Self.models.first { $0.name == model }!.formula)
        print(pad("regime", 12) + pad("d", 5) + pad("T", 8) + pad("σ²", 8) + pad("T₀", 8) + pad("σ₀²", 8) + pad("generation", 12) + pad("synthetic", 11) + pad("test error", 14))
        for r in table.rows {
            print(pad(r[1], 12) + pad(r[4], 5) + pad(r[5], 8) + pad(r[6], 8) + pad(r[7], 8) + pad(r[8], 8) + pad(r[2], 12) + pad(r[3], 11) + pad(Double(r[9]).map(fmt) ?? "—", 14))
        }
    }

    /// The chains of proofs U1 and G1: one row per (parameters, regime or weight, generation).
    func runChainModel() throws {
        let ms = try grid.sampleSizes(), n = grid.generations
        let table: CSVTable
        switch model {
        case "gaussian-refit":
            let table = TheoryTables.gaussianRefit(GaussianFittingTheory.Estimator(rawValue: estimator)!, samples: ms,
                                                   variances: try grid.noiseVariances(), regimes: try parsedRegimes(), generations: n)
            if format != "table" { printLong(table); return }
            print(Self.models.first { $0.name == model }!.formula)
            print(pad("regime", 12) + pad("M", 6) + pad("σ²", 8) + pad("generation", 12) + pad("E(μ̂−μ)²", 14) + pad("E σ̂²", 14))
            for r in table.rows { print(pad(r[1], 12) + pad(r[3], 6) + pad(r[4], 8) + pad(r[2], 12) + pad(fmt(Double(r[6])!), 14) + pad(fmt(Double(r[7])!), 14)) }
            return
        case "categorical":
            let table = TheoryTables.categorical(support: zipfSupport, exponent: zipfExponent, samples: ms, regimes: try parsedRegimes(), generations: n)
            if format != "table" { printLong(table); return }
            print(Self.models.first { $0.name == model }!.formula)
            print(pad("regime", 12) + pad("M", 6) + pad("generation", 12) + pad("E Σp̂²", 14))
            for r in table.rows { print(pad(r[1], 12) + pad(r[3], 6) + pad(r[2], 12) + pad(fmt(Double(r[6])!), 14)) }
            return
        case "mixing":
            table = TheoryTables.mixing(samples: ms, variances: try grid.noiseVariances(), weights: try weights(), generations: n)
        default:
            let variances = model == "poisson" ? try ListParsing.positiveDoubles(rate, flag: "--rate") : try grid.noiseVariances()
            table = TheoryTables.meanChain(model: model, samples: ms, variances: variances, regimes: try parsedRegimes(), generations: n)
        }
        if format != "table" { printLong(table); return }
        print(Self.models.first { $0.name == model }!.formula)
        print(pad("regime", 12) + pad("M", 7) + pad(model == "poisson" ? "λ" : "σ²", 10) + pad("w", 8) + pad("generation", 12) + pad("MSE", 14))
        for r in table.rows {
            print(pad(r[1], 12) + pad(r[3], 7) + pad(r[4], 10) + pad(r[5].isEmpty ? "—" : String(format: "%.4f", Double(r[5])!), 8) +
                  pad(r[2], 12) + pad(fmt(Double(r[6])!), 14))
        }
    }

    func run() throws {
        if list {
            for m in Self.models { print("\(m.name.padding(toLength: 17, withPad: " ", startingAt: 0)) \(m.formula)") }
            return
        }
        if model == "fresh-design" { try runFreshDesign(); return }
        if model == "exact" {
            try exact.run(grid: grid, regimes: regimes, ridge: ridgeOptions.ridge, format: format, formula: Self.models.first { $0.name == model }!.formula)
            return
        }
        if model == "gaussian-refit-d" { try runMultivariateGaussian(); return }
        if model == "ridge" { try runRidge(); return }
        if model != "linear" { try runChainModel(); return }
        let forms = try parsedRegimes()
        let cells = try grid.cells()
        let n = grid.generations
        if format != "table" {
            printLong(TheoryTables.linear(cells: cells.map { ($0.dimension, $0.samples, $0.noiseVariance) }, regimes: forms, generations: n))
            return
        }
        for (ci, cell) in cells.enumerated() {
            let c = LinearCollapseTheory.expectedTraceOfInverseGram(dimension: cell.dimension, samples: cell.samples)!
            let bound = cell.noiseVariance * c * LinearCollapseTheory.baselLimit
            if ci > 0 { print("") }
            print("d = \(cell.dimension), T = \(cell.samples), σ² = \(cell.noiseVariance):  " +
                  "σ²d/(T−d−1) = \(fmt(cell.noiseVariance * c)),  accumulate bound ·π²/6 = \(fmt(bound))")
            print(pad("generation", 10) + forms.map { pad($0.rawValue, 16) }.joined())
            for g in 1...n {
                let vals = forms.map { form in
                    LinearCollapseTheory.expectedTestError(form, generation: g, dimension: cell.dimension,
                                                           samples: cell.samples, noiseVariance: cell.noiseVariance)!
                }
                print(pad(String(g), 10) + vals.map { pad(fmt($0), 16) }.joined())
            }
        }
    }
}

extension TheoryCommand {
    /// The closed-form table in the long results format (`LongResults`), so that `collapse plot`
    /// draws a theory curve alone and pandas reads it like any results file; or, with
    /// `--format wide`, as built (one row per generation).
    func printLong(_ table: CSVTable) {
        if format == "wide" { print(table.rendered(), terminator: ""); return }
        let m = TheoryCatalogue.model(model)!
        print(LongResults.fromClosedForms(table, model: model, metrics: m.metrics, derived: m.derived).rendered(), terminator: "")
    }
}

/// Right-aligns `s` in `width` columns.
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
}

/// Six significant digits for tables (CSV output keeps full precision).
func fmt(_ x: Double) -> String { String(format: "%.6g", x) }
