import CollapseCore

/// `count` points in `dimension` dimensions, stored row by row (`x[i·d + j]` is coordinate `j`
/// of point `i`): the data of the continuous models (Gaussian, kernel density, mixture).
public struct PointSet: TrainingData, Sendable, Equatable {
    public let dimension: Int
    public var values: [Double]

    public init(dimension: Int, values: [Double]) {
        precondition(
            dimension >= 1 && values.count % dimension == 0,
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

/// Token sequences (ids `0..<V`) of one common length `length`, for the n-gram model; one
/// sequence is one data point. Stored flat (`tokens[i·length + t]`) so pooling and subsetting
/// copy plain integers.
public struct TokenSequences: TrainingData, Sendable, Equatable {
    public let length: Int
    public var tokens: [Int32]

    public init(length: Int, tokens: [Int32]) {
        precondition(length >= 1 && tokens.count % length == 0, "TokenSequences: \(tokens.count) tokens do not make sequences of \(length)")
        self.length = length
        self.tokens = tokens
    }

    /// Sequences given one by one (all of the same length).
    public init(_ sequences: [[Int]]) {
        precondition(!sequences.isEmpty, "TokenSequences needs at least one sequence")
        let l = sequences[0].count
        precondition(sequences.allSatisfy { $0.count == l }, "TokenSequences: sequences of different lengths")
        self.init(length: l, tokens: sequences.flatMap { $0.map(Int32.init) })
    }

    public var count: Int { tokens.count / length }

    /// Sequence `i`.
    public func sequence(_ i: Int) -> ArraySlice<Int32> { tokens[(i * length)..<((i + 1) * length)] }

    public static func concatenating(_ parts: [TokenSequences]) -> TokenSequences {
        precondition(!parts.isEmpty, "TokenSequences.concatenating needs at least one part")
        let l = parts[0].length
        precondition(parts.allSatisfy { $0.length == l }, "TokenSequences.concatenating: mixed lengths")
        var t: [Int32] = []
        t.reserveCapacity(parts.reduce(0) { $0 + $1.tokens.count })
        for p in parts { t += p.tokens }
        return TokenSequences(length: l, tokens: t)
    }

    public func subset(_ indices: [Int]) -> TokenSequences {
        var t: [Int32] = []
        t.reserveCapacity(indices.count * length)
        for i in indices { t += sequence(i) }
        return TokenSequences(length: length, tokens: t)
    }
}
