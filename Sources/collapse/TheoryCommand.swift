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

    @Option(name: .customLong("format"), parsing: .unconditional, help: "Output format: table or csv.")
    var format = "table"

    func validate() throws {
        try grid.validateGenerations()
        _ = try parsedRegimes()
        guard ["table", "csv"].contains(format) else {
            throw ValidationError("--format: unknown format '\(format)'; allowed: table, csv")
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

    func run() throws {
        let forms = try parsedRegimes()
        let cells = try grid.cells()
        let n = grid.generations
        if format == "csv" {
            var table = CSVTable(header: ["regime", "generation", "dimension", "samples", "noise_variance",
                                          "theory_test_error", "accumulate_bound"])
            for cell in cells {
                let bound = LinearCollapseTheory.accumulateBound(
                    dimension: cell.dimension, samples: cell.samples, noiseVariance: cell.noiseVariance)
                for form in forms {
                    for g in 1...n {
                        let v = LinearCollapseTheory.expectedTestError(
                            form, generation: g, dimension: cell.dimension, samples: cell.samples,
                            noiseVariance: cell.noiseVariance)
                        table.append([form.rawValue, String(g), String(cell.dimension), String(cell.samples),
                                      CSVField.number(cell.noiseVariance), CSVField.number(v), CSVField.number(bound)])
                    }
                }
            }
            print(table.rendered(), terminator: "")
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

/// Right-aligns `s` in `width` columns.
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
}

/// Six significant digits for tables (CSV output keeps full precision).
func fmt(_ x: Double) -> String { String(format: "%.6g", x) }
