import Foundation
import LinearAlgebra
import XCTest

/// BLAS wrappers against plain loops. Error bound for a length-k dot product computed two
/// ways: each differs from the exact value by at most γ_k·Σ|a_l b_l| with γ_k = kε/(1 − kε)
/// (Higham, Accuracy and Stability, §3.1), so the two differ by at most ≈ 2kε·Σ|a_l b_l|.
/// We assert exactly that bound (with ε = `Double.ulpOfOne`, twice the unit round-off, for
/// margin), plus an absolute 1e-300 for exact zeros.
final class BLASTests: XCTestCase {
    private func assertProductClose(
        _ got: Matrix, _ a: Dense, _ b: Dense, inner k: Int, _ label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let ref = multiply(a, b)
        let bound = absoluteProduct(a, b)
        XCTAssertEqual(got.rows, ref.count, "\(label) rows", file: file, line: line)
        XCTAssertEqual(got.columns, ref.first?.count ?? got.columns, "\(label) columns", file: file, line: line)
        for i in 0..<ref.count {
            for j in 0..<ref[i].count {
                let tol = 2 * Double(k) * Double.ulpOfOne * bound[i][j] + 1e-300
                XCTAssertEqual(got[i, j], ref[i][j], accuracy: tol, "\(label) [\(i), \(j)]", file: file, line: line)
            }
        }
    }

    func testGramMatchesLoops() {
        for (k, (t, d)) in [(7, 3), (3, 7), (1, 1), (50, 12), (5, 1), (1, 5)].enumerated() {
            let x = gaussianMatrix(rows: t, columns: d, seed: 1000 + UInt64(k))
            let g = BLAS.gram(x)
            XCTAssertEqual(g.rows, d)
            XCTAssertEqual(g.columns, d)
            let xd = dense(x)
            assertProductClose(g, transpose(xd), xd, inner: t, "gram \(t)×\(d)")
            for i in 0..<d { for j in 0..<d { XCTAssertEqual(g[i, j], g[j, i], "gram exactly symmetric") } }
            for i in 0..<d { XCTAssertGreaterThanOrEqual(g[i, i], 0) }
        }
    }

    func testGramOfEmptyDesigns() {
        XCTAssertEqual(BLAS.gram(Matrix(rows: 0, columns: 3)), Matrix(rows: 3, columns: 3))
        XCTAssertEqual(BLAS.gram(Matrix(rows: 4, columns: 0)), Matrix(rows: 0, columns: 0))
    }

    func testGramSmallExactExample() {
        // Integer entries: every product and sum is exact in double precision.
        let x = Matrix(rowsOf: [[1, 2], [3, 4], [5, 6]])
        XCTAssertEqual(BLAS.gram(x), Matrix(rowsOf: [[35, 44], [44, 56]]))
    }

    func testMatrixVectorMultiply() {
        let a = gaussianMatrix(rows: 9, columns: 4, seed: 1100)
        let ad = dense(a)
        let x = gaussianVector(4, seed: 1101)
        let y = BLAS.multiply(a, x)
        let ref = multiply(ad, x)
        let bound = multiply(ad.map { $0.map(abs) }, x.map(abs))
        XCTAssertEqual(y.count, 9)
        for i in 0..<9 { XCTAssertEqual(y[i], ref[i], accuracy: 2 * 4 * Double.ulpOfOne * bound[i] + 1e-300) }

        let z = gaussianVector(9, seed: 1102)
        let yt = BLAS.multiply(a, z, transpose: true)
        let reft = multiply(transpose(ad), z)
        let boundt = multiply(transpose(ad).map { $0.map(abs) }, z.map(abs))
        XCTAssertEqual(yt.count, 4)
        for j in 0..<4 { XCTAssertEqual(yt[j], reft[j], accuracy: 2 * 9 * Double.ulpOfOne * boundt[j] + 1e-300) }

        // Exact small example.
        let m = Matrix(rowsOf: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(BLAS.multiply(m, [1, 0, -1]), [-2, -2])
        XCTAssertEqual(BLAS.multiply(m, [1, -1], transpose: true), [-3, -3, -3])
    }

    func testMatrixVectorMultiplyDegenerateShapes() {
        XCTAssertEqual(BLAS.multiply(Matrix(rows: 3, columns: 0), []), [0, 0, 0])
        XCTAssertEqual(BLAS.multiply(Matrix(rows: 0, columns: 2), [1, 2]), [])
        XCTAssertEqual(BLAS.multiply(Matrix(rows: 0, columns: 2), [], transpose: true), [0, 0])
    }

    func testMatrixMatrixMultiplyAllTransposeCombinations() {
        // C = op(A)·op(B) with op(A): 5×3 and op(B): 3×4.
        let a = dense(gaussianMatrix(rows: 5, columns: 3, seed: 1200))
        let b = dense(gaussianMatrix(rows: 3, columns: 4, seed: 1201))
        for ta in [false, true] {
            for tb in [false, true] {
                let storedA = matrix(ta ? transpose(a) : a)
                let storedB = matrix(tb ? transpose(b) : b)
                let c = BLAS.multiply(storedA, storedB, transposeA: ta, transposeB: tb)
                assertProductClose(c, a, b, inner: 3, "multiply transposeA \(ta) transposeB \(tb)")
            }
        }
        // Exact small example.
        let m = Matrix(rowsOf: [[1, 2], [3, 4]])
        XCTAssertEqual(BLAS.multiply(m, m), Matrix(rowsOf: [[7, 10], [15, 22]]))
        XCTAssertEqual(BLAS.multiply(m, m, transposeA: true), Matrix(rowsOf: [[10, 14], [14, 20]]))
        XCTAssertEqual(BLAS.multiply(m, m, transposeB: true), Matrix(rowsOf: [[5, 11], [11, 25]]))
    }

    func testMatrixMatrixMultiplyDegenerateShapes() {
        // Inner dimension 0 gives a zero matrix of the outer shape.
        XCTAssertEqual(
            BLAS.multiply(Matrix(rows: 2, columns: 0), Matrix(rows: 0, columns: 3)),
            Matrix(rows: 2, columns: 3))
        XCTAssertEqual(
            BLAS.multiply(Matrix(rows: 0, columns: 4), Matrix(rows: 4, columns: 2)),
            Matrix(rows: 0, columns: 2))
    }

    func testGemvOnRawBuffers() {
        // y ← α·op(A)x + β·y.
        let a = Matrix(rowsOf: [[1, 2, 3], [4, 5, 6]])
        var y = [10.0, 20.0]
        let x = [1.0, 1.0, 1.0]
        a.storage.withUnsafeBufferPointer { ap in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    BLAS.gemv(
                        transpose: false, rows: 2, columns: 3, alpha: 2, a: ap.baseAddress!,
                        x: xp.baseAddress!, beta: 0.5, y: yp.baseAddress!)
                }
            }
        }
        XCTAssertEqual(y, [2 * 6 + 5, 2 * 15 + 10])
        var yt = [1.0, 1.0, 1.0]
        let xt = [1.0, -1.0]
        a.storage.withUnsafeBufferPointer { ap in
            xt.withUnsafeBufferPointer { xp in
                yt.withUnsafeMutableBufferPointer { yp in
                    BLAS.gemv(
                        transpose: true, rows: 2, columns: 3, alpha: 1, a: ap.baseAddress!,
                        x: xp.baseAddress!, beta: 1, y: yp.baseAddress!)
                }
            }
        }
        XCTAssertEqual(yt, [-2, -2, -2])
    }

    func testDot() {
        let u = [1.0, 2.0, 3.0], v = [4.0, -5.0, 6.0]
        XCTAssertEqual(
            u.withUnsafeBufferPointer { up in
                v.withUnsafeBufferPointer { vp in BLAS.dot(up.baseAddress!, vp.baseAddress!, count: 3) }
            }, 12)
        let a = gaussianVector(1000, seed: 1300), b = gaussianVector(1000, seed: 1301)
        let got = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in BLAS.dot(ap.baseAddress!, bp.baseAddress!, count: 1000) }
        }
        let ref = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let bound = zip(a, b).reduce(0) { $0 + abs($1.0 * $1.1) }
        XCTAssertEqual(got, ref, accuracy: 2 * 1000 * Double.ulpOfOne * bound)
    }

    /// After `useCallingThreadOnly` (idempotent) BLAS has one thread and its worker pool is gone,
    /// and large products, which would otherwise be split across that pool, still compute.
    func testCallingThreadOnly() {
        BLAS.useCallingThreadOnly()
        BLAS.useCallingThreadOnly()
        XCTAssertEqual(BLAS.threadCount, 1)
        let a = gaussianMatrix(rows: 300, columns: 200, seed: 71), b = gaussianMatrix(rows: 200, columns: 250, seed: 72)
        let c = BLAS.multiply(a, b)
        let ad = dense(a), bd = dense(b)
        for (i, j) in [(0, 0), (299, 249), (123, 77)] {
            var ref = 0.0, bound = 0.0
            for k in 0..<200 { ref += ad[i][k] * bd[k][j]; bound += abs(ad[i][k] * bd[k][j]) }
            XCTAssertEqual(c.storage[i + j * 300], ref, accuracy: 2 * 200 * Double.ulpOfOne * bound)
        }
    }

    /// The loaded OpenBLAS says whether it is safe for concurrent callers, and the manifest
    /// string says so: only the pthreads build is; any other is serialised.
    func testConcurrencySafetyFollowsTheThreadingModel() {
        let pthreads = BLAS.implementation.contains("; pthreads build")
        XCTAssertEqual(BLAS.isSafeForConcurrentCallers, pthreads, BLAS.implementation)
        XCTAssertEqual(BLAS.implementation.contains("calls serialised"), !pthreads, BLAS.implementation)
        if let path = BLAS.loadedLibraryPath { XCTAssertTrue(path.contains("openblas"), path) }
    }

    /// The byte scan of `/proc/self/maps` finds the line a straightforward split into fields
    /// finds (the scan before it), for OpenBLAS's own address and for addresses in every mapping
    /// of this process; and it handles lines without a path, padding and the range's ends.
    func testMapsScanAgreesWithSplittingTheLines() throws {
        func reference(_ address: UInt, _ maps: String) -> String? {
            for line in maps.split(separator: "\n") {
                let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
                guard fields.count == 6 else { continue }
                let range = fields[0].split(separator: "-")
                guard range.count == 2, let lo = UInt(range[0], radix: 16), let hi = UInt(range[1], radix: 16),
                    lo <= address, address < hi
                else { continue }
                let path = fields[5].trimmingCharacters(in: .whitespaces)
                return path.hasPrefix("/") ? path : nil
            }
            return nil
        }
        func scan(_ address: UInt, _ maps: String) -> String? {
            Array(maps.utf8).withUnsafeBufferPointer { BLAS.mapsPath(containing: address, in: $0) }
        }
        // Read to the end (a /proc file reports a size of 0).
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/maps"))
        defer { try? handle.close() }
        let maps = String(decoding: try XCTUnwrap(try handle.readToEnd()), as: UTF8.self)
        var checked = 0
        for line in maps.split(separator: "\n") {
            let range = line.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let lo = UInt(range[0], radix: 16), let hi = UInt(range[1], radix: 16) else { continue }
            for address in [lo, lo + (hi - lo) / 2, hi - 1, hi] {
                XCTAssertEqual(scan(address, maps), reference(address, maps), String(address, radix: 16))
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 40)
        if let path = BLAS.loadedLibraryPath { XCTAssertTrue(path.hasPrefix("/") && path.contains("openblas"), path) }

        let synthetic = """
            00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon
            00e03000-00e24000 rw-p 00000000 00:00 0           [heap]
            7f2c00000000-7f2c00021000 rw-p 00000000 00:00 0
            7f2c4e89a000-7f2c4ea1b000 r-xp 00000000 fd:01 12345  /lib/a path/with spaces.so   
            7ffd1c9f2000-7ffd1ca13000 rw-p 00000000 00:00 0                          [stack]
            """
        for (address, expected) in [
            (0x0040_0000, "/usr/bin/dbus-daemon"), (0x0045_1fff, "/usr/bin/dbus-daemon"), (0x0045_2000, nil),
            (0x00e0_3000, nil), (0x7f2c_0000_0010, nil), (0x7f2c_4e89_a000, "/lib/a path/with spaces.so"),
            (0x7ffd_1c9f_2000, nil), (0x1, nil)
        ] as [(UInt, String?)] {
            XCTAssertEqual(scan(address, synthetic), expected, String(address, radix: 16))
            XCTAssertEqual(scan(address, synthetic), reference(address, synthetic), String(address, radix: 16))
        }
    }

    /// Products and factorisations that take OpenBLAS work buffers (a 96 × 96 `dgemm`, the
    /// d = 160 least-squares fit through `dpotrf`/`dpotri`) run on four threads at once give
    /// the same bits as on one. With Debian's sequential OpenBLAS and no serialisation this
    /// failed (`LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-serial` runs that build).
    func testConcurrentCallsMatchOneThread() throws {
        BLAS.useCallingThreadOnly()
        let a = gaussianMatrix(rows: 96, columns: 96, seed: 81)
        let design = gaussianMatrix(rows: 200, columns: 160, seed: 82)
        let y = (0..<200).map { Double($0 % 7) - 3 }
        let product = BLAS.multiply(a, a, transposeA: true)
        let fit = try LeastSquaresSolver(design: design).solve(y)
        final class Mismatches: @unchecked Sendable { var count = 0; let lock = NSLock() }
        let mismatches = Mismatches()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            var bad = 0
            for _ in 0..<150 {
                if BLAS.multiply(a, a, transposeA: true) != product { bad += 1 }
                if (try? LeastSquaresSolver(design: design).solve(y)) != fit { bad += 1 }
            }
            mismatches.lock.lock(); mismatches.count += bad; mismatches.lock.unlock()
        }
        XCTAssertEqual(mismatches.count, 0, BLAS.implementation)
    }
}
