import CollapseCore

/// `count` points in `dimension` dimensions, stored row by row (`x[i·d + j]` is coordinate `j`
/// of point `i`): the data of the continuous models (Gaussian, kernel density, mixture).
public struct PointSet: TrainingData, Sendable, Equatable {
    public let dimension: Int
    public var values: [Double]

    public init(dimension: Int, values: [Double]) {
        precondition(dimension >= 1 && values.count % dimension == 0,
                     "PointSet: \(values.count) values do not make rows of \(dimension)")
        self.dimension = dimension
        self.values = values
    }

    public var count: Int { values.count / dimension }

    /// Point `i` as an array.
    public func point(_ i: Int) -> ArraySlice<Double> { values[(i * dimension)..<((i + 1) * dimension)] }

    public static func concatenating(_ parts: [PointSet]) -> PointSet {
        precondition(!parts.isEmpty, "PointSet.concatenating needs at least one part")
        let d = parts[0].dimension
        precondition(parts.allSatisfy { $0.dimension == d }, "PointSet.concatenating: mixed dimensions")
        var v: [Double] = []
        v.reserveCapacity(parts.reduce(0) { $0 + $1.values.count })
        for p in parts { v += p.values }
        return PointSet(dimension: d, values: v)
    }

    public func subset(_ indices: [Int]) -> PointSet {
        var v: [Double] = []
        v.reserveCapacity(indices.count * dimension)
        for i in indices { v += point(i) }
        return PointSet(dimension: dimension, values: v)
    }
}

/// Integer observations: symbols `0..<K` of a categorical model, or counts of a Poisson model.
public struct IntegerSample: TrainingData, Sendable, Equatable {
    public var values: [Int]

    public init(_ values: [Int]) { self.values = values }

    public var count: Int { values.count }

    public static func concatenating(_ parts: [IntegerSample]) -> IntegerSample {
        IntegerSample(parts.flatMap(\.values))
    }

    public func subset(_ indices: [Int]) -> IntegerSample { IntegerSample(indices.map { values[$0] }) }
}

/// Token sequences (ids `0..<V`) for the n-gram model; one sequence is one data point.
public struct TokenSequences: TrainingData, Sendable, Equatable {
    public var sequences: [[Int]]

    public init(_ sequences: [[Int]]) { self.sequences = sequences }

    public var count: Int { sequences.count }

    /// Total number of tokens.
    public var tokenCount: Int { sequences.reduce(0) { $0 + $1.count } }

    public static func concatenating(_ parts: [TokenSequences]) -> TokenSequences {
        TokenSequences(parts.flatMap(\.sequences))
    }

    public func subset(_ indices: [Int]) -> TokenSequences { TokenSequences(indices.map { sequences[$0] }) }
}
