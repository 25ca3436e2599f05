import ArgumentParser
import CollapseExport
import CollapseTheory

/// `collapse theory --model gaussian-refit-d` (proof G4): the `d`-dimensional Gaussian refit.
/// Every closed form and the law of `W₂` depend on `Σ` only through its eigenvalues (G4 item 2),
/// so the truth is given by its spectrum: `--covariance-eigenvalues`, or `σ²·I_d` for each `d` in
/// `--dimension` and `σ²` in `--noise-variance`.
extension TheoryCommand {
    /// The spectra of the truths, in output order.
    func multivariateSpectra() throws -> [[Double]] {
        if let covarianceEigenvalues {
            let values = try ListParsing.positiveDoubles(covarianceEigenvalues, flag: "--covariance-eigenvalues")
            if grid.dimension != (try GridOptions.parse([])).dimension, try grid.dimensions() != [values.count] {
                throw ValidationError("--dimension \(grid.dimension) does not match the \(values.count) values of --covariance-eigenvalues; " +
                                      "the dimension is the number of eigenvalues (omit --dimension)")
            }
            return [values]
        }
        var spectra: [[Double]] = []
        for d in try grid.dimensions() { for v in try grid.noiseVariances() { spectra.append(Array(repeating: v, count: d)) } }
        return spectra
    }

    func validateMultivariateGaussian() throws {
        guard GaussianFittingTheory.Estimator(rawValue: estimator) != nil else {
            throw ValidationError("--estimator: unknown estimator '\(estimator)'; allowed: unbiased, mle")
        }
        for m in try grid.sampleSizes() where m < 2 {
            throw ValidationError("--samples \(m): a covariance estimate needs M ≥ 2 samples per generation")
        }
        _ = try multivariateSpectra()
    }

    func runMultivariateGaussian() throws {
        let table = TheoryTables.multivariateGaussian(GaussianFittingTheory.Estimator(rawValue: estimator)!, spectra: try multivariateSpectra(),
                                                      samples: try grid.sampleSizes(), regimes: try parsedRegimes(), generations: grid.generations)
        if format != "table" { printLong(table); return }
        print(Self.models.first { $0.name == model }!.formula)
        print(pad("regime", 12) + pad("d", 4) + pad("M", 6) + pad("tr Σ", 10) + pad("generation", 12) + pad("E‖μ̂−μ‖²", 13) +
              pad("E tr Σ̂", 13) + pad("E log det", 13) + pad("W₂² ≥", 13) + pad("W₂² ≤", 13))
        for r in table.rows {
            let logDet = Double(r[12]).map(fmt) ?? "—"
            print(pad(r[1], 12) + pad(r[3], 4) + pad(r[4], 6) + pad(fmt(Double(r[7])!), 10) + pad(r[2], 12) + pad(fmt(Double(r[10])!), 13) +
                  pad(fmt(Double(r[11])!), 13) + pad(logDet, 13) + pad(fmt(Double(r[13])!), 13) + pad(fmt(Double(r[14])!), 13))
        }
    }
}
