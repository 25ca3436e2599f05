import ArgumentParser
import CollapseExport
import CollapseTheory
import Foundation

/// The flags of `collapse theory --model ridge` (proof R1).
struct RidgeTheoryOptions: ParsableArguments {
    @Option(name: .customLong("spectrum"), parsing: .unconditional,
            help: "Covariance spectrum for --model ridge: isotropic (Σ = I) or power-law (s_i = i^−β, s_1 = 1).")
    var spectrum = "isotropic"

    @Option(name: .customLong("beta"), parsing: .unconditional, help: "Capacity exponent β > 0 of --spectrum power-law (default 1.5).")
    var beta: Double?

    @Option(name: .customLong("source"), parsing: .unconditional,
            help: "Source exponent r ≥ 0 of --spectrum power-law: s_i·w*_i² ∝ i^−(1+2βr) (default 0.5).")
    var source: Double?

    @Option(name: .customLong("ridge"), parsing: .unconditional,
            help: "Ridge penalty λ ≥ 0 on the mean squared loss, ŵ = (XᵀX/T + λI)⁻¹Xᵀy/T, comma-separated (0: min-norm OLS). --model ridge: also 'optimal' (minimises the deterministic equivalent at each generation; the default). --model exact: default 0.")
    var ridge: String?

    /// The one parser of `--ridge` (for `--model ridge` and `--model exact`): distinct finite
    /// penalties in [0, 1e12], and `optimal` (a `nil` entry) where `allowOptimal`.
    static func penalties(_ raw: String, allowOptimal: Bool) throws -> [Double?] {
        let expected = "comma-separated penalties λ ≥ 0 in [0, 1e12]" +
            (allowOptimal ? " or 'optimal', e.g. 0.01,0.1,optimal" : ", e.g. 0,0.1")
        let items = try ListParsing.items(raw, flag: "--ridge", expected: expected)
        _ = try ListParsing.unique(items, raw: raw, flag: "--ridge", expected: expected)
        return try items.map { s -> Double? in
            if s == "optimal" {
                guard allowOptimal else { throw ValidationError("--ridge: 'optimal' applies to --model ridge only; expected \(expected)") }
                return nil
            }
            guard let v = Double(s) else {
                throw ValidationError("--ridge: '\(s)' is not a number\(allowOptimal ? " or 'optimal'" : ""); expected \(expected)")
            }
            guard v.isFinite else { throw ValidationError("--ridge: \(ListParsing.nonFinite(s)); expected \(expected)") }
            guard v >= 0 && v <= 1e12 else { throw ValidationError("--ridge: \(s) is out of range; expected \(expected)") }
            return v
        }
    }
}

extension TheoryCommand {
    static let ridgeFormula = TheoryCatalogue.ridgeFormula

    /// `nil` entries mean 'optimal'.
    func ridgeChoices() throws -> [Double?] {
        try RidgeTheoryOptions.penalties(ridgeOptions.ridge ?? "optimal", allowOptimal: true)
    }

    func ridgeSpectrum(dimension d: Int) throws -> RidgeSpectrum {
        let o = ridgeOptions
        switch o.spectrum {
        case "isotropic":
            if o.beta != nil { throw ValidationError("--beta: applies to --spectrum power-law only (the spectrum is isotropic)") }
            if o.source != nil { throw ValidationError("--source: applies to --spectrum power-law only (the spectrum is isotropic)") }
            return .isotropic(dimension: d)
        case "power-law":
            let beta = o.beta ?? 1.5, r = o.source ?? 0.5
            guard beta.isFinite && beta > 0 && beta <= 10 else {
                throw ValidationError("--beta: \(beta) is out of range; expected a finite number in (0, 10]")
            }
            guard r.isFinite && r >= 0 && r <= 10 else {
                throw ValidationError("--source: \(r) is out of range; expected a finite number in [0, 10]")
            }
            return .powerLaw(dimension: d, beta: beta, source: r)
        default:
            throw ValidationError("--spectrum: unknown spectrum '\(o.spectrum)'; allowed: isotropic, power-law")
        }
    }

    func validateRidge() throws {
        guard ["replace", "replace,accumulate"].contains(regimes) else {
            throw ValidationError("--regimes: --model ridge is Dohmatob et al.'s replace chain; omit --regimes or pass replace")
        }
        let choices = try ridgeChoices()
        for d in try grid.dimensions() {
            _ = try ridgeSpectrum(dimension: d)
            for t in try grid.sampleSizes() {
                let t0 = generatorSamples ?? t
                if grid.generations >= 2 && t0 < d + 2 {
                    throw ValidationError("--generator-samples \(t0) with --dimension \(d): the OLS generators need T₀ ≥ d + 2 = \(d + 2) " +
                                          "(their error has infinite mean below)" + (generatorSamples == nil ? "; T₀ defaults to --samples, pass --generator-samples" : ""))
                }
                if choices.contains(0) && t == d {
                    throw ValidationError("--ridge 0 with --samples \(t) = --dimension \(d): the ridgeless variance is infinite at T = d; use λ > 0")
                }
            }
        }
        _ = try grid.noiseVariances()
        if let s0 = generatorNoiseVariance, !(s0.isFinite && s0 > 0) {
            throw ValidationError("--generator-noise-variance: \(s0) is out of range; expected a finite number > 0")
        }
    }

    /// One row per (d, T, σ², λ choice, generation N): the deterministic equivalent after N − 1
    /// synthetic generations.
    func runRidge() throws {
        let o = ridgeOptions
        let table: CSVTable
        do {
            let built = try TheoryTables.ridge(spectra: try grid.dimensions().map { ($0, try ridgeSpectrum(dimension: $0)) },
                                               setting: .init(spectrumName: o.spectrum, beta: o.beta, source: o.source),
                                               samples: try grid.sampleSizes(), noiseVariances: try grid.noiseVariances(),
                                               generatorSamples: generatorSamples, generatorNoiseVariance: generatorNoiseVariance,
                                               choices: try ridgeChoices(), generations: grid.generations)
            built.warnings.forEach(Console.note)
            table = built.table
        } catch let e as TheoryTables.NoEquivalent {
            throw CLIError(e.description)
        }
        if format != "table" { printLong(table); return }
        print(Self.ridgeFormula)
        print(pad("d", 6) + pad("T", 7) + pad("σ²", 7) + pad("T₀", 7) + pad("σ₀²", 7) + pad("gen", 5) + pad("syn", 5) + pad("λ", 12) +
              pad("κ", 12) + pad("bias", 12) + pad("variance", 12) + pad("collapse", 12) + pad("test error", 12))
        for r in table.rows {
            print(pad(r[3], 6) + pad(r[4], 7) + pad(r[5], 7) + pad(r[6], 7) + pad(r[7], 7) + pad(r[1], 5) + pad(r[2], 5) +
                  pad(fmt(Double(r[12])!) + (r[11] == "optimal" ? "*" : ""), 12) + pad(fmt(Double(r[13])!), 12) + pad(fmt(Double(r[16])!), 12) +
                  pad(fmt(Double(r[17])!), 12) + pad(fmt(Double(r[18])!), 12) + pad(fmt(Double(r[19])!), 12))
        }
        if table.rows.contains(where: { $0[11] == "optimal" }) {
            print("* collapse-aware optimal λ (numerical minimiser of the deterministic equivalent, λ to relative 1e−6; λ = 0 when ridgeless is best)")
        }
    }
}
