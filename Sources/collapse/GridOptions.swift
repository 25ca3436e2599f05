import ArgumentParser
import LinearCollapse

/// The parameter grid flags shared by `theory` and `simulate`: each takes a comma-separated
/// list, and the lists form a grid (dimension outermost, noise variance innermost).
struct GridOptions: ParsableArguments {
    @Option(name: .customLong("dimension"), parsing: .unconditional, help: "Feature dimension(s) d, comma-separated (d ≥ 1).")
    var dimension = "10"

    @Option(name: .customLong("samples"), parsing: .unconditional, help: "Samples per generation T, comma-separated (the linear closed forms need T ≥ d + 2; for the chain models T is M ≥ 1).")
    var samples = "100"

    @Option(name: .customLong("noise-variance"), parsing: .unconditional, help: "Label-noise variance(s) σ², comma-separated (> 0).")
    var noiseVariance = "1"

    @Option(name: .customLong("generations"), parsing: .unconditional, help: "Number of model fits N (generation 1 fits the real data).")
    var generations = 10

    func dimensions() throws -> [Int] {
        try ListParsing.integers(dimension, flag: "--dimension", minimum: 1, maximum: LinearFamily.Limits.dimension.upperBound)
    }
    func sampleSizes() throws -> [Int] {
        try ListParsing.integers(samples, flag: "--samples", minimum: 1, maximum: LinearFamily.Limits.samples.upperBound)
    }
    func noiseVariances() throws -> [Double] { try ListParsing.positiveDoubles(noiseVariance, flag: "--noise-variance") }

    func validateGenerations() throws {
        _ = try ListParsing.checked(generations, flag: "--generations", in: LinearFamily.Limits.generations)
    }

    /// The grid cells in output order.
    func cells() throws -> [LinearCell] {
        let ds = try dimensions(), ts = try sampleSizes(), ss = try noiseVariances()
        var out: [LinearCell] = []
        for d in ds { for t in ts { for s in ss { out.append(LinearCell(dimension: d, samples: t, noiseVariance: s)) } } }
        return out
    }
}
