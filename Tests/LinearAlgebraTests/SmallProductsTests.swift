import LinearAlgebra
import XCTest

/// `SmallProducts`: the orders it documents, bit for bit; the error bound of any summation order
/// against BLAS (`dsyrk`, `dgemv`); the triangle `gram` leaves alone; and `DesignProducts`, which
/// chooses between them.
final class SmallProductsTests: XCTestCase {
    /// Shapes across the blocking: d below, at and beyond one block of four columns (and the last
    /// d mod 4 columns), T below, at and off a multiple of the four lanes.
    static let shapes: [(t: Int, d: Int)] = [
        (1, 1), (3, 2), (4, 3), (5, 4), (7, 5), (8, 6), (9, 7), (20, 8), (50, 4), (33, 9), (2, 11), (101, 12)
    ]

    private func gram(_ x: Matrix) -> [Double] {
        let d = x.columns
        var g = [Double](repeating: .nan, count: d * d)
        x.storage.withUnsafeBufferPointer { xp in
            g.withUnsafeMutableBufferPointer { SmallProducts.gram(xp.baseAddress!, rows: x.rows, columns: d, into: $0.baseAddress!) }
        }
        return g
    }

    /// A sum over rows in the documented order: four lanes over k < 4⌊T/4⌋ in ascending k,
    /// (l₀ + l₁) + (l₂ + l₃), then the rest in ascending k.
    private func documentedOrder(_ a: [Double], _ b: [Double]) -> Double {
        let t = a.count, t4 = t / 4 * 4
        var lane = [0.0, 0.0, 0.0, 0.0]
        for k in 0..<t4 { lane[k % 4] += a[k] * b[k] }
        var s = (lane[0] + lane[1]) + (lane[2] + lane[3])
        for k in t4..<t { s += a[k] * b[k] }
        return s
    }

    private func column(_ x: Matrix, _ j: Int) -> [Double] { (0..<x.rows).map { x[$0, j] } }

    private func documentedOrder(_ x: Matrix, _ i: Int, _ j: Int) -> Double { documentedOrder(column(x, i), column(x, j)) }

    private func multiply(_ x: Matrix, _ w: [Double]) -> [Double] {
        var y = [Double](repeating: .nan, count: x.rows)
        x.storage.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { SmallProducts.multiply(xp.baseAddress!, rows: x.rows, columns: x.columns, by: w, into: $0.baseAddress!) }
        }
        return y
    }

    private func transposeMultiply(_ x: Matrix, _ y: [Double]) -> [Double] {
        var f = [Double](repeating: .nan, count: x.columns)
        x.storage.withUnsafeBufferPointer { xp in
            f.withUnsafeMutableBufferPointer {
                SmallProducts.transposeMultiply(xp.baseAddress!, rows: x.rows, columns: x.columns, by: y, into: $0.baseAddress!)
            }
        }
        return f
    }

    func testEveryEntryIsTheDocumentedSumBitForBit() {
        for (n, shape) in Self.shapes.enumerated() {
            let x = gaussianMatrix(rows: shape.t, columns: shape.d, seed: 7000 + UInt64(n))
            let g = gram(x)
            for j in 0..<shape.d {
                for i in 0...j {
                    XCTAssertEqual(
                        g[i + j * shape.d].bitPattern, documentedOrder(x, i, j).bitPattern, "T = \(shape.t), d = \(shape.d), (\(i), \(j))")
                }
            }
        }
    }

    /// Against `dsyrk` (`BLAS.gram`) and plain loops: each of two summation orders is within
    /// γ_T·Σ_k|x_ki x_kj| of the exact sum (Higham, Accuracy and Stability, §3.1), so they differ
    /// by at most ≈ 2Tε·Σ_k|x_ki x_kj| (asserted with ε = `Double.ulpOfOne`, twice the unit
    /// round-off, for margin).
    func testAgreesWithDsyrkWithinTheErrorBoundOfAnyOrder() {
        for (n, shape) in Self.shapes.enumerated() {
            let x = gaussianMatrix(rows: shape.t, columns: shape.d, seed: 7100 + UInt64(n))
            let g = gram(x)
            let reference = BLAS.gram(x)
            let bound = absoluteProduct(transpose(dense(x)), dense(x))
            for j in 0..<shape.d {
                for i in 0...j {
                    let tolerance = 2 * Double(shape.t) * Double.ulpOfOne * bound[i][j] + 1e-300
                    XCTAssertEqual(g[i + j * shape.d], reference[i, j], accuracy: tolerance, "T = \(shape.t), d = \(shape.d), (\(i), \(j))")
                }
            }
        }
    }

    /// `Xw`: one running sum per output from 0, columns ascending; `Xᵀy`: the four-lane order.
    func testMatrixVectorProductsAreTheDocumentedSumsBitForBit() {
        for (n, shape) in Self.shapes.enumerated() {
            let x = gaussianMatrix(rows: shape.t, columns: shape.d, seed: 7300 + UInt64(n))
            let w = gaussianVector(shape.d, seed: 7400 + UInt64(n)), y = gaussianVector(shape.t, seed: 7500 + UInt64(n))
            let xw = multiply(x, w), xty = transposeMultiply(x, y)
            for k in 0..<shape.t {
                var s = 0.0
                for j in 0..<shape.d { s += x[k, j] * w[j] }
                XCTAssertEqual(xw[k].bitPattern, s.bitPattern, "Xw, T = \(shape.t), d = \(shape.d), row \(k)")
            }
            for j in 0..<shape.d {
                XCTAssertEqual(xty[j].bitPattern, documentedOrder(column(x, j), y).bitPattern, "Xᵀy, T = \(shape.t), d = \(shape.d), \(j)")
            }
        }
    }

    /// Against `dgemv` (`BLAS.multiply`), with the bound of the test above: an n-term sum
    /// computed two ways differs by at most ≈ 2nε·Σ|terms|.
    func testMatrixVectorProductsAgreeWithDgemvWithinTheErrorBoundOfAnyOrder() {
        for (n, shape) in Self.shapes.enumerated() {
            let x = gaussianMatrix(rows: shape.t, columns: shape.d, seed: 7600 + UInt64(n))
            let w = gaussianVector(shape.d, seed: 7700 + UInt64(n)), y = gaussianVector(shape.t, seed: 7800 + UInt64(n))
            let xw = multiply(x, w), xty = transposeMultiply(x, y)
            let referenceXw = BLAS.multiply(x, w), referenceXty = BLAS.multiply(x, y, transpose: true)
            for k in 0..<shape.t {
                let bound = (0..<shape.d).reduce(0.0) { $0 + abs(x[k, $1] * w[$1]) }
                XCTAssertEqual(xw[k], referenceXw[k], accuracy: 2 * Double(shape.d) * Double.ulpOfOne * bound + 1e-300, "Xw row \(k)")
            }
            for j in 0..<shape.d {
                let bound = (0..<shape.t).reduce(0.0) { $0 + abs(x[$1, j] * y[$1]) }
                XCTAssertEqual(xty[j], referenceXty[j], accuracy: 2 * Double(shape.t) * Double.ulpOfOne * bound + 1e-300, "Xᵀy \(j)")
            }
        }
    }

    /// `y + Xw`: one running sum per output from y_k, columns ascending (the literal chain's labels
    /// `E + Xŵ`).
    func testMultiplyAddIsTheDocumentedRunningSumBitForBit() {
        for (n, shape) in Self.shapes.enumerated() {
            let x = gaussianMatrix(rows: shape.t, columns: shape.d, seed: 7900 + UInt64(n))
            let w = gaussianVector(shape.d, seed: 8000 + UInt64(n)), start = gaussianVector(shape.t, seed: 8100 + UInt64(n))
            var y = start
            x.storage.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { SmallProducts.multiplyAdd(xp.baseAddress!, rows: shape.t, columns: shape.d, by: w, into: $0.baseAddress!) }
            }
            for k in 0..<shape.t {
                var s = start[k]
                for j in 0..<shape.d { s += x[k, j] * w[j] }
                XCTAssertEqual(y[k].bitPattern, s.bitPattern, "T = \(shape.t), d = \(shape.d), row \(k)")
            }
        }
    }

    /// `DesignProducts` takes `SmallProducts` up to `maximumColumns` and BLAS above, bit for bit
    /// the routine it names; the BLAS branch of `multiply` and `transposeMultiply` overwrites
    /// whatever its output held (OpenBLAS 0.3.21 scales it by β = 0, which keeps a NaN).
    func testDesignProductsTakeSwiftUpToTheCutOffAndBLASAbove() {
        let m = SmallProducts.maximumColumns
        for (n, d) in [1, 4, m, m + 1, m + 5].enumerated() {
            let t = 23
            let x = gaussianMatrix(rows: t, columns: d, seed: 8200 + UInt64(n))
            let w = gaussianVector(d, seed: 8300 + UInt64(n)), v = gaussianVector(t, seed: 8400 + UInt64(n))
            var g = [Double](repeating: 0, count: d * d), xw = [Double](repeating: .nan, count: t)
            var xwPlus = v, xtv = [Double](repeating: .nan, count: d)
            x.storage.withUnsafeBufferPointer { xp in
                let a = xp.baseAddress!
                g.withUnsafeMutableBufferPointer { DesignProducts.gram(a, rows: t, columns: d, into: $0.baseAddress!) }
                xw.withUnsafeMutableBufferPointer { DesignProducts.multiply(a, rows: t, columns: d, by: w, into: $0.baseAddress!) }
                xwPlus.withUnsafeMutableBufferPointer { DesignProducts.multiplyAdd(a, rows: t, columns: d, by: w, into: $0.baseAddress!) }
                xtv.withUnsafeMutableBufferPointer { DesignProducts.transposeMultiply(a, rows: t, columns: d, by: v, into: $0.baseAddress!) }
            }
            XCTAssertEqual(DesignProducts.inSwift(columns: d), d <= m)
            let expectedGram: [Double], expectedXw: [Double], expectedXtv: [Double]
            var expectedPlus = v
            if d <= m {
                expectedGram = gram(x).enumerated().map { $0.offset % d <= $0.offset / d ? $0.element : 0 }
                expectedXw = multiply(x, w)
                expectedXtv = transposeMultiply(x, v)
                x.storage.withUnsafeBufferPointer { xp in
                    expectedPlus.withUnsafeMutableBufferPointer {
                        SmallProducts.multiplyAdd(xp.baseAddress!, rows: t, columns: d, by: w, into: $0.baseAddress!)
                    }
                }
            } else {
                let full = BLAS.gram(x)
                expectedGram = (0..<(d * d)).map { $0 % d <= $0 / d ? full[$0 % d, $0 / d] : 0 }
                expectedXw = BLAS.multiply(x, w)
                expectedXtv = BLAS.multiply(x, v, transpose: true)
                x.storage.withUnsafeBufferPointer { xp in
                    expectedPlus.withUnsafeMutableBufferPointer {
                        BLAS.gemv(transpose: false, rows: t, columns: d, alpha: 1, a: xp.baseAddress!, x: w, beta: 1, y: $0.baseAddress!)
                    }
                }
            }
            XCTAssertEqual(g.map(\.bitPattern), expectedGram.map(\.bitPattern), "gram, d = \(d)")
            // The Matrix form: the same upper triangle, mirrored (`BLAS.gram`'s form above the cut-off).
            let full = DesignProducts.gram(x)
            for j in 0..<d {
                for i in 0..<d {
                    let upper = i <= j ? expectedGram[i + j * d] : expectedGram[j + i * d]
                    XCTAssertEqual(full[i, j].bitPattern, upper.bitPattern, "Matrix gram, d = \(d), (\(i), \(j))")
                }
            }
            XCTAssertEqual(xw.map(\.bitPattern), expectedXw.map(\.bitPattern), "Xw, d = \(d)")
            XCTAssertEqual(xwPlus.map(\.bitPattern), expectedPlus.map(\.bitPattern), "v + Xw, d = \(d)")
            XCTAssertEqual(xtv.map(\.bitPattern), expectedXtv.map(\.bitPattern), "Xᵀv, d = \(d)")
        }
    }

    /// Up to the cut-off `LeastSquaresSolver` projects many label vectors at once (`projectLabels`,
    /// the literal chain's noise) with the same bits as one (`solve`'s `Xᵀy`), so a fit through
    /// projected labels is the fit, bit for bit. (Above it `dgemm` and `dgemv` may order their
    /// sums differently.)
    func testProjectedLabelsAreTheSolversOwnProducts() throws {
        for (n, d) in [1, 3, SmallProducts.maximumColumns].enumerated() {
            let t = 40, count = 5
            let x = gaussianMatrix(rows: t, columns: d, seed: 8500 + UInt64(n))
            let solver = try LeastSquaresSolver(design: x)
            XCTAssertEqual(solver.method, .cholesky)
            let e = gaussianVector(t * count, seed: 8600 + UInt64(n))
            var h = [Double](repeating: .nan, count: d * count), w = [Double](repeating: .nan, count: d)
            var scratch = [Double](repeating: 0, count: d)
            e.withUnsafeBufferPointer { ep in
                h.withUnsafeMutableBufferPointer { solver.projectLabels(ep.baseAddress!, columns: count, into: $0.baseAddress!) }
            }
            for c in 0..<count {
                h.withUnsafeBufferPointer { hp in
                    w.withUnsafeMutableBufferPointer { wp in
                        scratch.withUnsafeMutableBufferPointer {
                            solver.solveProjected(hp.baseAddress! + c * d, into: wp.baseAddress!, scratch: $0.baseAddress!)
                        }
                    }
                }
                let direct = solver.solve(Array(e[(c * t)..<((c + 1) * t)]))
                XCTAssertEqual(w.map(\.bitPattern), direct.map(\.bitPattern), "d = \(d), column \(c)")
            }
        }
    }

    /// Integer entries: every product and sum is exact, so any order gives the exact Gram matrix.
    func testSmallExactExample() {
        let x = Matrix(rowsOf: [[1, 2, 0], [3, 4, -1], [5, 6, 2], [7, 8, 1], [9, 10, -3]])
        let g = gram(x)
        XCTAssertEqual(g[0 + 0 * 3], 165)
        XCTAssertEqual(g[0 + 1 * 3], 190)
        XCTAssertEqual(g[1 + 1 * 3], 220)
        XCTAssertEqual(g[0 + 2 * 3], -13)
        XCTAssertEqual(g[1 + 2 * 3], -14)
        XCTAssertEqual(g[2 + 2 * 3], 15)
    }

    /// As `dsyrk` with β = 0: the strictly lower triangle is not touched.
    func testLeavesTheStrictlyLowerTriangleAlone() {
        for (n, shape) in Self.shapes.enumerated() {
            let g = gram(gaussianMatrix(rows: shape.t, columns: shape.d, seed: 7200 + UInt64(n)))
            for j in 0..<shape.d {
                for i in (j + 1)..<max(shape.d, j + 1) { XCTAssertTrue(g[i + j * shape.d].isNaN, "T = \(shape.t), d = \(shape.d), (\(i), \(j))") }
                for i in 0...j { XCTAssertFalse(g[i + j * shape.d].isNaN) }
            }
        }
    }
}
