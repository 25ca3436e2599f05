import LinearAlgebra
import Randomness
import XCTest

// Plain-Swift reference linear algebra for the LinearAlgebra tests: no BLAS, no LAPACK,
// nothing shared with the code under test. Dense matrices are `[[Double]]` (row-major arrays
// of rows) so they cannot accidentally share the column-major conventions being tested.

typealias Dense = [[Double]]

/// A `rows × columns` matrix with i.i.d. N(0, 1) entries from a seeded stream.
func gaussianMatrix(rows: Int, columns: Int, seed: UInt64) -> Matrix {
    var g = Xoshiro256StarStar(seed: seed)
    return Matrix(
        rows: rows, columns: columns,
        columnMajor: Normal.array(count: rows * columns, using: &g))
}

func gaussianVector(_ n: Int, seed: UInt64) -> [Double] {
    var g = Xoshiro256StarStar(seed: seed)
    return Normal.array(count: n, using: &g)
}

func dense(_ m: Matrix) -> Dense {
    (0..<m.rows).map { i in (0..<m.columns).map { j in m.storage[i + j * m.rows] } }
}

func matrix(_ a: Dense, columns: Int? = nil) -> Matrix {
    let r = a.count, c = columns ?? a.first?.count ?? 0
    var s = [Double](repeating: 0, count: r * c)
    for i in 0..<r { for j in 0..<c { s[i + j * r] = a[i][j] } }
    return Matrix(rows: r, columns: c, columnMajor: s)
}

func transpose(_ a: Dense, columns: Int? = nil) -> Dense {
    let r = a.count, c = columns ?? a.first?.count ?? 0
    return (0..<c).map { j in (0..<r).map { i in a[i][j] } }
}

func multiply(_ a: Dense, _ b: Dense) -> Dense {
    let n = a.count, k = b.count, m = b.first?.count ?? 0
    var c = Dense(repeating: [Double](repeating: 0, count: m), count: n)
    for i in 0..<n {
        precondition(a[i].count == k)
        for j in 0..<m {
            var s = 0.0
            for l in 0..<k { s += a[i][l] * b[l][j] }
            c[i][j] = s
        }
    }
    return c
}

func multiply(_ a: Dense, _ x: [Double]) -> [Double] {
    a.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
}

/// `Σ_l |a_il||b_lj|`, for floating-point error bounds on products.
func absoluteProduct(_ a: Dense, _ b: Dense) -> Dense {
    multiply(a.map { $0.map(abs) }, b.map { $0.map(abs) })
}

/// Solves `A X = B` by Gaussian elimination with partial pivoting. `A` square non-singular.
func solve(_ a: Dense, _ b: Dense) -> Dense {
    let n = a.count
    var m = a, r = b
    for col in 0..<n {
        var p = col
        for i in (col + 1)..<max(n, col + 1) where abs(m[i][col]) > abs(m[p][col]) { p = i }
        precondition(m[p][col] != 0, "reference solve: singular matrix")
        if p != col { m.swapAt(p, col); r.swapAt(p, col) }
        for i in (col + 1)..<max(n, col + 1) {
            let f = m[i][col] / m[col][col]
            if f == 0 { continue }
            for j in col..<n { m[i][j] -= f * m[col][j] }
            for j in 0..<r[i].count { r[i][j] -= f * r[col][j] }
        }
    }
    for col in stride(from: n - 1, through: 0, by: -1) {
        for j in 0..<r[col].count {
            var s = r[col][j]
            for k in (col + 1)..<max(n, col + 1) { s -= m[col][k] * r[k][j] }
            r[col][j] = s / m[col][col]
        }
    }
    return r
}

func identity(_ n: Int) -> Dense {
    (0..<n).map { i in (0..<n).map { j in i == j ? 1 : 0 } }
}

func inverse(_ a: Dense) -> Dense { solve(a, identity(a.count)) }

func trace(_ a: Dense) -> Double { (0..<a.count).reduce(0) { $0 + a[$1][$1] } }

func frobeniusSquared(_ a: Dense) -> Double { a.reduce(0) { $0 + $1.reduce(0) { $0 + $1 * $1 } } }

/// `X⁺ = (XᵀX)⁻¹Xᵀ` for full column rank (normal equations, Gaussian elimination).
func pseudoInverseFullColumnRank(_ x: Dense) -> Dense {
    let xt = transpose(x)
    return solve(multiply(xt, x), xt)
}

/// `X⁺ = Xᵀ(XXᵀ)⁻¹` for full row rank.
func pseudoInverseFullRowRank(_ x: Dense) -> Dense {
    let xt = transpose(x)
    return transpose(solve(multiply(x, xt), x))  // ((XXᵀ)⁻¹X)ᵀ = Xᵀ(XXᵀ)⁻¹ (XXᵀ symmetric)
}

/// `X⁺` for a rank factorisation `X = F C` (F: T×r full column rank, C: r×d full row rank):
/// `X⁺ = C⁺F⁺ = Cᵀ(CCᵀ)⁻¹ (FᵀF)⁻¹Fᵀ`.
func pseudoInverse(factor f: Dense, _ c: Dense) -> Dense {
    multiply(pseudoInverseFullRowRank(c), pseudoInverseFullColumnRank(f))
}

func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    let scale = norm(b)
    return norm(zip(a, b).map { $0 - $1 }) / (scale > 0 ? scale : 1)
}

func relativeError(_ a: Dense, _ b: Dense) -> Double {
    relativeError(a.flatMap { $0 }, b.flatMap { $0 })
}

func assertRelativelyClose(
    _ a: [Double], _ b: [Double], _ tol: Double, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let e = relativeError(a, b)
    XCTAssertLessThanOrEqual(
        e, tol, "\(label): relative error \(e) > \(tol)\n got \(a)\n expected \(b)",
        file: file, line: line)
}

func assertRelativelyClose(
    _ a: Double, _ b: Double, _ tol: Double, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let e = abs(a - b) / max(abs(b), .leastNormalMagnitude)
    XCTAssertLessThanOrEqual(
        e, tol, "\(label): got \(a), expected \(b), relative error \(e) > \(tol)",
        file: file, line: line)
}
