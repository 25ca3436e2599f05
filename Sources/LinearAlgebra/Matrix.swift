/// A dense real matrix stored column-major (LAPACK's layout): element `(i, j)` lives at
/// `storage[i + j * rows]`.
///
/// Value semantics through the backing array; the BLAS/LAPACK wrappers in this module take
/// `Matrix` and plain `[Double]` vectors and never expose the C module.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// Column-major elements, `rows * columns` of them.
    public var storage: [Double]

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    /// Wraps column-major `storage`; its count must be `rows * columns`.
    public init(rows: Int, columns: Int, columnMajor storage: [Double]) {
        precondition(
            storage.count == rows * columns,
            "Matrix storage has \(storage.count) elements, expected \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Builds a matrix from an array of rows (convenient in tests and examples).
    public init(rowsOf values: [[Double]]) {
        let r = values.count
        let c = values.first?.count ?? 0
        var m = Matrix(rows: r, columns: c)
        for i in 0..<r {
            precondition(values[i].count == c, "Row \(i) has \(values[i].count) entries, expected \(c)")
            for j in 0..<c { m[i, j] = values[i][j] }
        }
        self = m
    }

    /// The `n × n` identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    @inlinable
    public subscript(row: Int, column: Int) -> Double {
        get { storage[row + column * rows] }
        set { storage[row + column * rows] = newValue }
    }

    /// The transpose, as a new matrix.
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for j in 0..<columns {
            for i in 0..<rows { t[j, i] = self[i, j] }
        }
        return t
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] {
        (0..<columns).map { self[i, $0] }
    }

    /// The matrix formed by the rows at `indices` (in that order; repeats allowed).
    public func selectingRows(_ indices: [Int]) -> Matrix {
        var m = Matrix(rows: indices.count, columns: columns)
        storage.withUnsafeBufferPointer { src in
            m.storage.withUnsafeMutableBufferPointer { dst in
                for j in 0..<columns {
                    let s = j * rows, d = j * indices.count
                    for (k, i) in indices.enumerated() { dst[d + k] = src[s + i] }
                }
            }
        }
        return m
    }

    /// Stacks matrices with equal column counts vertically.
    public static func vstack(_ blocks: [Matrix]) -> Matrix {
        guard let first = blocks.first else { return Matrix(rows: 0, columns: 0) }
        let c = first.columns
        let r = blocks.reduce(0) { $0 + $1.rows }
        var m = Matrix(rows: r, columns: c)
        var offset = 0
        for b in blocks {
            precondition(b.columns == c, "vstack: column counts differ (\(b.columns) vs \(c))")
            for j in 0..<c {
                for i in 0..<b.rows { m[offset + i, j] = b[i, j] }
            }
            offset += b.rows
        }
        return m
    }
}
