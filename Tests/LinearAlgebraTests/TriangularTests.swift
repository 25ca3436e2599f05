import LinearAlgebra
import XCTest

/// `Triangular`'s products and solves against the dense reference of `ReferenceLinearAlgebra`
/// (round-off tolerance: these are O(d²) sums of well-scaled terms, 1e-12 relative).
final class TriangularTests: XCTestCase {
    /// A well-conditioned triangular factor (diagonal 2 + |N(0,1)|, off-diagonal N(0,1)/√d),
    /// column-major, the other triangle zero.
    func factor(_ d: Int, upper: Bool, seed: UInt64) -> [Double] {
        let g = gaussianVector(d * d, seed: seed)
        var a = [Double](repeating: 0, count: d * d)
        for j in 0..<d {
            for i in 0..<d where upper ? i <= j : i >= j {
                a[i + j * d] = i == j ? 2 + abs(g[i + j * d]) : g[i + j * d] / Double(d).squareRoot()
            }
        }
        return a
    }

    func testProductsAndSolvesMatchTheDenseReference() {
        for (k, d) in [1, 2, 5, 17, 64].enumerated() {
            for upper in [true, false] {
                let a = factor(d, upper: upper, seed: 10 + UInt64(k))
                let m = dense(Matrix(rows: d, columns: d, columnMajor: a))
                let mt = transpose(m)
                let x = gaussianVector(d, seed: 50 + UInt64(k))
                func apply(_ f: (UnsafePointer<Double>, Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
                    var v = x
                    a.withUnsafeBufferPointer { ap in v.withUnsafeMutableBufferPointer { f(ap.baseAddress!, d, $0.baseAddress!) } }
                    return v
                }
                let label = "\(upper ? "upper" : "lower") d = \(d)"
                if upper {
                    // Uᵀ and the solves read U stored by rows.
                    let rows = Triangular.upperRows(a, dimension: d)
                    func applyRows(_ f: (UnsafePointer<Double>, Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
                        var v = x
                        rows.withUnsafeBufferPointer { rp in v.withUnsafeMutableBufferPointer { f(rp.baseAddress!, d, $0.baseAddress!) } }
                        return v
                    }
                    assertRelativelyClose(apply { Triangular.upperMultiply($0, dimension: $1, $2) }, multiply(m, x), 1e-12, "U x \(label)")
                    assertRelativelyClose(
                        applyRows { Triangular.upperTransposeMultiply(rows: $0, dimension: $1, $2) }, multiply(mt, x), 1e-12, "Uᵀx \(label)")
                    assertRelativelyClose(multiply(m, applyRows { Triangular.upperSolve(rows: $0, dimension: $1, $2) }), x, 1e-12, "U U⁻¹x \(label)")
                    assertRelativelyClose(
                        multiply(mt, applyRows { Triangular.upperTransposeSolve(rows: $0, dimension: $1, $2) }), x, 1e-12, "Uᵀ U⁻ᵀx \(label)")
                } else {
                    assertRelativelyClose(apply { Triangular.lowerMultiply($0, dimension: $1, $2) }, multiply(m, x), 1e-12, "L x \(label)")
                    assertRelativelyClose(apply { Triangular.lowerTransposeMultiply($0, dimension: $1, $2) }, multiply(mt, x), 1e-12, "Lᵀx \(label)")
                    assertRelativelyClose(multiply(m, apply { Triangular.lowerSolve($0, dimension: $1, $2) }), x, 1e-12, "L L⁻¹x \(label)")
                    assertRelativelyClose(multiply(mt, apply { Triangular.lowerTransposeSolve($0, dimension: $1, $2) }), x, 1e-12, "Lᵀ L⁻ᵀx \(label)")
                }
            }
        }
    }

    /// Both sides of `smallFactorisationLimit` (Swift below, LAPACK above) solve the normal
    /// equations and give tr(G⁻¹) to round-off.
    func testCholeskyPathOnBothSidesOfTheSwiftLimit() throws {
        let limit = LeastSquaresSolver.smallFactorisationLimit
        for (k, d) in [limit, limit + 3].enumerated() {
            let t = 3 * d
            let x = gaussianMatrix(rows: t, columns: d, seed: 400 + UInt64(k))
            let y = gaussianVector(t, seed: 500 + UInt64(k))
            let solver = try LeastSquaresSolver(design: x)
            XCTAssertEqual(solver.method, .cholesky, "d = \(d)")
            let xd = dense(x)
            let g = multiply(transpose(xd), xd)
            let reference = solve(g, multiply(transpose(xd), y).map { [$0] }).map { $0[0] }
            assertRelativelyClose(solver.solve(y), reference, 1e-10, "solution d = \(d)")
            assertRelativelyClose(solver.traceOfGramPseudoInverse, trace(inverse(g)), 1e-10, "tr(G⁻¹) d = \(d)")
        }
    }
    /// The column-ordered `upperMultiply`, and the kernels reading U by rows, give the bits of
    /// the row forms they replaced (one running
    /// sum per output, terms in index order; written out here), including signed zeros, on
    /// random factors with exact zeros and negative entries mixed in.
    func testUpperKernelsAreBitIdenticalToTheRowForms() {
        func upperMultiplyRows(_ u: [Double], _ d: Int, _ x: [Double]) -> [Double] {
            var x = x
            for i in 0..<d {
                var s = 0.0
                for j in i..<d { s += u[i + j * d] * x[j] }
                x[i] = s
            }
            return x
        }
        func upperTransposeMultiplyRows(_ u: [Double], _ d: Int, _ x: [Double]) -> [Double] {
            var x = x
            for i in stride(from: d - 1, through: 0, by: -1) {
                var s = 0.0
                for j in 0...i { s += u[j + i * d] * x[j] }
                x[i] = s
            }
            return x
        }
        func upperTransposeSolveRows(_ u: [Double], _ d: Int, _ x: [Double]) -> [Double] {
            var x = x
            for i in 0..<d {
                var s = x[i]
                for j in 0..<i { s -= u[j + i * d] * x[j] }
                x[i] = s / u[i + i * d]
            }
            return x
        }
        func upperSolveRows(_ u: [Double], _ d: Int, _ x: [Double]) -> [Double] {
            var x = x
            for i in stride(from: d - 1, through: 0, by: -1) {
                var s = x[i]
                for j in (i + 1)..<d { s -= u[i + j * d] * x[j] }
                x[i] = s / u[i + i * d]
            }
            return x
        }
        for d in [1, 2, 3, 4, 7, 8, 9, 16, 32, 33] {
            for seed in UInt64(1)...5 {
                var u = factor(d, upper: true, seed: 100 * seed + UInt64(d))
                var x = gaussianVector(d, seed: 7_000 + seed + UInt64(d))
                // Exact zeros and negative zeros in places, so signed-zero sums are exercised.
                for k in stride(from: 0, to: d * d, by: 5) where u[k] != 0 && k % d != k / d { u[k] = k % 2 == 0 ? 0 : -0.0 }
                for k in stride(from: 0, to: d, by: 3) { x[k] = k % 2 == 0 ? -0.0 : 0 }
                func apply(_ f: (UnsafePointer<Double>, Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
                    var v = x
                    u.withUnsafeBufferPointer { up in v.withUnsafeMutableBufferPointer { f(up.baseAddress!, d, $0.baseAddress!) } }
                    return v
                }
                func bits(_ v: [Double]) -> [UInt64] { v.map(\.bitPattern) }
                let rows = Triangular.upperRows(u, dimension: d)
                func applyRows(_ f: (UnsafePointer<Double>, Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
                    var v = x
                    rows.withUnsafeBufferPointer { rp in v.withUnsafeMutableBufferPointer { f(rp.baseAddress!, d, $0.baseAddress!) } }
                    return v
                }
                XCTAssertEqual(
                    bits(applyRows { Triangular.upperTransposeMultiply(rows: $0, dimension: $1, $2) }), bits(upperTransposeMultiplyRows(u, d, x)),
                    "Uᵀx by rows d \(d)")
                XCTAssertEqual(
                    bits(applyRows { Triangular.upperTransposeSolve(rows: $0, dimension: $1, $2) }), bits(upperTransposeSolveRows(u, d, x)),
                    "U⁻ᵀx by rows d \(d)")
                // upperSolve(rows:) sums in four partial sums (another order): close, not equal.
                assertRelativelyClose(applyRows { Triangular.upperSolve(rows: $0, dimension: $1, $2) }, upperSolveRows(u, d, x), 1e-12, "U⁻¹x by rows d \(d)")
                XCTAssertEqual(bits(apply { Triangular.upperMultiply($0, dimension: $1, $2) }), bits(upperMultiplyRows(u, d, x)), "U x d \(d)")
            }
        }
    }
}
