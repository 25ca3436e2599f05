import LinearAlgebra
import XCTest

final class MatrixTests: XCTestCase {
    func testColumnMajorLayoutAndSubscript() {
        let m = Matrix(rowsOf: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(m.rows, 2)
        XCTAssertEqual(m.columns, 3)
        XCTAssertEqual(m.storage, [1, 4, 2, 5, 3, 6], "element (i, j) at storage[i + j·rows]")
        XCTAssertEqual(m[1, 2], 6)
        XCTAssertEqual(m[0, 1], 2)
        var n = m
        n[1, 0] = 40
        XCTAssertEqual(n.storage, [1, 40, 2, 5, 3, 6])
        XCTAssertEqual(m[1, 0], 4, "value semantics")
        XCTAssertEqual(Matrix(rows: 2, columns: 3, columnMajor: [1, 4, 2, 5, 3, 6]), m)
    }

    func testInitialisers() {
        let z = Matrix(rows: 2, columns: 3)
        XCTAssertEqual(z.storage, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Matrix(rows: 2, columns: 2, repeating: 7).storage, [7, 7, 7, 7])
        XCTAssertEqual(Matrix(rowsOf: []), Matrix(rows: 0, columns: 0))
        XCTAssertEqual(Matrix.identity(3), Matrix(rowsOf: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]))
        XCTAssertEqual(Matrix.identity(0), Matrix(rows: 0, columns: 0))
    }

    func testRow() {
        let m = Matrix(rowsOf: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(m.row(0), [1, 2, 3])
        XCTAssertEqual(m.row(1), [4, 5, 6])
    }

    func testTransposed() {
        let m = Matrix(rowsOf: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(m.transposed, Matrix(rowsOf: [[1, 4], [2, 5], [3, 6]]))
        let g = gaussianMatrix(rows: 7, columns: 4, seed: 5)
        XCTAssertEqual(g.transposed.transposed, g)
        for i in 0..<7 { for j in 0..<4 { XCTAssertEqual(g.transposed[j, i], g[i, j]) } }
        XCTAssertEqual(Matrix(rows: 0, columns: 3).transposed, Matrix(rows: 3, columns: 0))
    }

    func testSelectingRows() {
        let m = Matrix(rowsOf: [[1, 2], [3, 4], [5, 6], [7, 8]])
        XCTAssertEqual(m.selectingRows([2, 0]), Matrix(rowsOf: [[5, 6], [1, 2]]))
        XCTAssertEqual(m.selectingRows([3, 3, 1]), Matrix(rowsOf: [[7, 8], [7, 8], [3, 4]]), "repeats allowed")
        XCTAssertEqual(m.selectingRows([0, 1, 2, 3]), m)
        XCTAssertEqual(m.selectingRows([]), Matrix(rows: 0, columns: 2))
        let g = gaussianMatrix(rows: 30, columns: 5, seed: 6)
        let idx = [29, 0, 17, 17, 4]
        let s = g.selectingRows(idx)
        for (k, i) in idx.enumerated() { XCTAssertEqual(s.row(k), g.row(i)) }
    }

    func testVstack() {
        let a = Matrix(rowsOf: [[1, 2]])
        let b = Matrix(rowsOf: [[3, 4], [5, 6]])
        XCTAssertEqual(Matrix.vstack([a, b]), Matrix(rowsOf: [[1, 2], [3, 4], [5, 6]]))
        XCTAssertEqual(Matrix.vstack([b]), b)
        XCTAssertEqual(Matrix.vstack([]), Matrix(rows: 0, columns: 0))
        XCTAssertEqual(Matrix.vstack([Matrix(rows: 0, columns: 2), a, Matrix(rows: 0, columns: 2)]), a)
        // vstack of row selections reassembles the matrix.
        let g = gaussianMatrix(rows: 10, columns: 3, seed: 7)
        XCTAssertEqual(Matrix.vstack([g.selectingRows(Array(0..<4)), g.selectingRows(Array(4..<10))]), g)
    }
}
