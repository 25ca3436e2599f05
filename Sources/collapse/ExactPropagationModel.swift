import ArgumentParser
import CollapseCore
import CollapseExport
import CollapseTheory
import ExperimentEngine
import Foundation
import LinearAlgebra
import LinearCollapse
import Randomness

/// Flags of `collapse theory --model exact`: the exact risk curve of a fixed-design ridge /
/// min-norm chain (penalty λ on the mean squared loss, as for `--model ridge`) given one design `X` and truth `w*` (proof E1), without Monte Carlo.
struct ExactPropagationOptions: ParsableArguments {
    @Option(name: .customLong("discount"), parsing: .unconditional,
            help: "For --model exact: also weighted accumulation with weight γ^age on older generations, γ in [0, 1], comma-separated.")
    var discount: String?

    @Option(name: .customLong("design-file"), parsing: .unconditional,
            help: "For --model exact: CSV file of the design X (a header row, then T rows of d numbers); --dimension and --samples are then read from it.")
    var designFile: String?

    @Option(name: .customLong("truth-file"), parsing: .unconditional,
            help: "For --model exact: CSV file of w* (a header row, then d rows of one number). Default: w* ~ N(0, I) from --seed.")
    var truthFile: String?

    @Option(name: .customLong("seed"), parsing: .unconditional,
            help: "For --model exact: draw X (and w*) as replicate --replicate of `collapse simulate --seed` does (default seed 1).")
    var seed: String?

    @Option(name: .customLong("replicate"), parsing: .unconditional, help: "For --model exact: which replicate's design to draw (default 0).")
    var replicate = 0

    @Option(name: .customLong("real-fraction"), parsing: .unconditional,
            help: "For --model exact with fresh-real: real fraction(s) λ in [0, 1]; rows 0..<round(λT) get fresh real labels (default 0.5).")
    var realFraction = "0.5"

    /// `--ridge` (shared with `--model ridge`): penalties on the mean squared loss; default 0.
    func ridges(_ ridge: String?) throws -> [Double] {
        try RidgeTheoryOptions.penalties(ridge ?? "0", allowOptimal: false).map { $0! }
    }

    func discounts() throws -> [Double] {
        guard let discount else { return [] }
        return try ListParsing.fractions(discount, flag: "--discount")
    }

    func parsedSeed() throws -> UInt64 { try seed.map { try RunOptions.seed($0) } ?? 1 }

    /// The regimes of `--regimes`: replace, accumulate, fresh-real (expanded per real fraction).
    func schemes(_ regimes: String) throws -> [Regime] {
        try ListParsing.regimes(regimes, allowed: ["replace", "accumulate", "fresh-real"],
                                realFractions: ListParsing.fractions(realFraction, flag: "--real-fraction"))
    }

    func validate(regimes: String, ridge: String?) throws {
        _ = try ridges(ridge); _ = try discounts(); _ = try parsedSeed(); _ = try schemes(regimes)
        guard replicate >= 0 else { throw ValidationError("--replicate: \(replicate) is out of range; expected an integer ≥ 0") }
        if truthFile != nil && designFile == nil {
            throw ValidationError("--truth-file needs --design-file (without it the design and truth are both drawn from --seed)")
        }
    }

    /// One numeric matrix from a CSV file with a header row; errors name the file and line.
    static func readMatrix(_ path: String, flag: String) throws -> [[Double]] {
        let doc: CSVDocument
        do { doc = try CSVReader.read(contentsOf: URL(fileURLWithPath: path)) } catch { throw CLIError("\(flag): \(error)") }
        guard !doc.rows.isEmpty else { throw CLIError("\(flag): \(path): no data rows after the header") }
        return try doc.rows.enumerated().map { i, row in
            try row.enumerated().map { j, field in
                guard let v = Double(field.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw CLIError("\(flag): \(path):\(doc.lines[i]): column \(j + 1) is '\(field)'; expected a finite number")
                }
                return v
            }
        }
    }

    /// The problems: one per grid cell, with `X` and `w*` of replicate `--replicate` of
    /// `collapse simulate --seed` on that cell; or, with `--design-file`, that design (and truth)
    /// for every noise variance.
    func problems(grid: GridOptions) throws -> [(design: Matrix, truth: [Double], noiseVariance: Double)] {
        let seed = try parsedSeed()
        func guardMemory(_ d: Int, _ t: Int) throws {
            do {
                try MemoryGuard.check(need: ExactPropagation.estimatedBytes(dimension: d, samples: t), maxMemory: nil,
                                      advice: "reduce --dimension/--samples (the propagation holds several d × d matrices)")
            } catch let e as SpecError { throw ValidationError("--model exact at d = \(d), T = \(t): \(e.description)") }
        }
        if let designFile {
            let rows = try Self.readMatrix(designFile, flag: "--design-file")
            guard rows.allSatisfy({ $0.count == rows[0].count }) else {
                throw CLIError("--design-file: \(designFile): rows have different numbers of columns")
            }
            try guardMemory(rows[0].count, rows.count)
            let x = Matrix(rowsOf: rows)
            let truth: [Double]
            if let truthFile {
                let w = try Self.readMatrix(truthFile, flag: "--truth-file")
                guard w.allSatisfy({ $0.count == 1 }), w.count == x.columns else {
                    throw CLIError("--truth-file: \(truthFile): expected \(x.columns) rows of one number (the design has \(x.columns) columns), " +
                                   "got \(w.count) rows of \(w.first?.count ?? 0)")
                }
                truth = w.map { $0[0] }
            } else {
                var rng = Xoshiro256StarStar(seed: seed, stream: [0x7472_7574_68, UInt64(x.columns), UInt64(replicate)])
                truth = Normal.array(count: x.columns, using: &rng)
            }
            return try grid.noiseVariances().map { (x, truth, $0) }
        }
        for cell in try grid.cells() { try guardMemory(cell.dimension, cell.samples) }
        return try grid.cells().map { cell in
            var rng = cell.stream(seed: seed, replicate: replicate, purpose: .data)
            let real = LinearRealData.draw(cell: cell, using: &rng)
            return (real.design, real.truth, cell.noiseVariance)
        }
    }

    /// `collapse theory --model exact`: E‖ŵ_n − w*‖² given X and w* for every ridge penalty and
    /// scheme (proof E1 items 1–3 and 5).
    func run(grid: GridOptions, regimes: String, ridge: String?, format: String, formula: String) throws {
        var table = CSVTable(header: ["model", "regime", "real_fraction", "discount", "generation", "dimension", "samples",
                                      "noise_variance", "ridge", "theory_given_design"])
        let n = grid.generations
        for problem in try problems(grid: grid) {
            let x = problem.design, d = x.columns, t = x.rows, s2 = problem.noiseVariance
            for lambda in try ridges(ridge) {
                // The library's fits solve (XᵀX + λ_sum I)w = Xᵀy: λ_sum = T·λ.
                let penalty = Double(t) * lambda
                let exact: ExactPropagation
                do { exact = try ExactPropagation(design: x, truth: problem.truth, noiseVariance: s2, ridge: penalty) } catch {
                    throw CLIError("numerical failure at d=\(d) T=\(t): \(error)")
                }
                func add(_ regime: String, _ fraction: Double?, _ gamma: Double?, _ curve: [Double]) {
                    for g in 1...n {
                        table.append(["exact", regime, fraction.map(CSVField.number) ?? "", gamma.map(CSVField.number) ?? "", String(g),
                                      String(d), String(t), CSVField.number(s2), CSVField.number(lambda), CSVField.number(curve[g - 1])])
                    }
                }
                for regime in try schemes(regimes) {
                    switch regime {
                    case .replace: add("replace", nil, nil, exact.testErrorCurve(.replace, generations: n))
                    case .accumulate: add("accumulate", nil, nil, exact.testErrorCurve(.accumulate, generations: n))
                    case let .freshReal(f):
                        let m = Regime.realCount(fraction: f, of: t)
                        do {
                            add("fresh-real", f, nil, try FreshRealPropagation(design: x, truth: problem.truth, realRows: m, noiseVariance: s2,
                                                                              ridge: penalty).testErrorCurve(generations: n))
                        } catch { throw CLIError("numerical failure at d=\(d) T=\(t): \(error)") }
                    default: break
                    }
                }
                for gamma in try discounts() {
                    add("discounted", nil, gamma, exact.testErrorCurve(.discounted(gamma: gamma), generations: n))
                }
            }
        }
        if format != "table" {
            print((format == "wide" ? table : LongResults.fromClosedForms(table, model: "exact", metrics: TheoryCatalogue.model("exact")!.metrics))
                .rendered(), terminator: "")
            return
        }
        print(formula)
        print(pad("regime", 12) + pad("λ_real", 8) + pad("γ", 6) + pad("d", 5) + pad("T", 7) + pad("σ²", 8) + pad("ridge", 8) +
              pad("generation", 12) + pad("E‖ŵ−w*‖² | X", 15))
        for r in table.rows {
            print(pad(r[1], 12) + pad(r[2].isEmpty ? "—" : r[2], 8) + pad(r[3].isEmpty ? "—" : r[3], 6) + pad(r[5], 5) + pad(r[6], 7) +
                  pad(r[7], 8) + pad(r[8], 8) + pad(r[4], 12) + pad(fmt(Double(r[9])!), 15))
        }
    }
}
