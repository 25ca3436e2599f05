import LinearAlgebra
import XCTest

/// Tests of `LeastSquaresSolver` against independent plain-Swift references
/// (ReferenceLinearAlgebra.swift).
///
/// Tolerances (all relative, in the 2-norm):
/// • `wellConditioned = 1e-10`: for Gaussian T×d designs with T ≥ 4d, cond(X) ≤ ~3, so
///   cond(G) ≤ ~10, and both the solver (Cholesky of G or SVD of X) and the reference
///   (Gaussian elimination on G) have forward error ≲ d·cond(G)·ε ≈ 1e-13. 1e-10 keeps three
///   orders of margin while any real mistake (wrong triangle, transpose, stride, rank) gives
///   errors of order 1.
/// • `rankDeficient = 1e-9`: truncated-SVD pseudo-inverses of a matrix rounded from an exact
///   rank-r product have error ≈ 2·κ_r·ε·(a small constant), κ_r = s₁/s_r ≲ 100 here; the
///   reference forms FᵀF, CCᵀ (cond ≲ κ_r²). Expected ≲ 1e-11.
/// • `illConditioned = 1e-6`: a column scaled by 1e-7 gives cond(X) ≈ 1e7·cond(X₀); a
///   backward-stable SVD solve has relative forward error ≈ cond(X)·ε ≈ 1e-8 (the κ²·residual
///   term is negligible because ‖w‖ is ~1e7 times larger than the residual). Allow 100×.
///   (Observed errors are ~1e-16: a single scaled column is benign for the SVD path. The
///   tolerance is the a-priori bound, not a measurement; the guard against the dangerous
///   mistake, Cholesky on such a design (error ≈ cond(G)·ε ≈ 1e-2), is the `method` check.)
final class LeastSquaresSolverTests: XCTestCase {
    static let wellConditioned = 1e-10
    static let rankDeficient = 1e-9
    static let illConditioned = 1e-6

    // MARK: - Full column rank, Cholesky path

    func testWellConditionedTallDesignsUseCholeskyAndMatchNormalEquations() throws {
        for (k, (t, d)) in [(1, 1), (10, 1), (40, 8), (100, 10), (200, 5), (64, 16)].enumerated() {
            let x = gaussianMatrix(rows: t, columns: d, seed: 100 + UInt64(k))
            let y = gaussianVector(t, seed: 200 + UInt64(k))
            let solver = try LeastSquaresSolver(design: x)
            XCTAssertEqual(solver.method, .cholesky, "\(t)×\(d)")
            XCTAssertEqual(solver.rank, d)
            XCTAssertEqual(solver.rows, t)
            XCTAssertEqual(solver.columns, d)

            let xd = dense(x)
            let g = multiply(transpose(xd), xd)
            // Reference: solve the normal equations G w = Xᵀy by Gaussian elimination.
            let reference = solve(g, multiply(transpose(xd), y).map { [$0] }).map { $0[0] }
            assertRelativelyClose(solver.solve(y), reference, Self.wellConditioned, "solution \(t)×\(d)")

            let gInv = inverse(g)
            assertRelativelyClose(
                solver.traceOfGramPseudoInverse, trace(gInv), Self.wellConditioned,
                "tr(G⁻¹) \(t)×\(d)")
            // tr(G⁻²) = ‖G⁻¹‖_F² for symmetric G⁻¹.
            assertRelativelyClose(
                solver.traceOfGramPseudoInverseSquared, trace(multiply(gInv, gInv)),
                Self.wellConditioned, "tr(G⁻²) \(t)×\(d)")
            XCTAssertEqual(
                solver.nullSpaceComponent(of: gaussianVector(d, seed: 300)), [Double](repeating: 0, count: d),
                "full column rank ⇒ (I − P)v = 0")
        }
    }

    func testSquareWellConditionedDesignIsSolvedExactly() throws {
        // X = 3I + N(0, 0.01) perturbation, 6×6: invertible, cond(X) ≈ 1.1; ŵ = X⁻¹y.
        let d = 6
        var x = gaussianMatrix(rows: d, columns: d, seed: 7)
        for i in 0..<d * d { x.storage[i] *= 0.1 }
        for i in 0..<d { x.storage[i + i * d] += 3 }
        let y = gaussianVector(d, seed: 8)
        let solver = try LeastSquaresSolver(design: x)
        XCTAssertEqual(solver.method, .cholesky)
        let reference = solve(dense(x), y.map { [$0] }).map { $0[0] }
        assertRelativelyClose(solver.solve(y), reference, Self.wellConditioned, "square solve")
    }

    func testNoiselessLabelsRecoverTheCoefficients() throws {
        let (t, d) = (50, 7)
        let x = gaussianMatrix(rows: t, columns: d, seed: 11)
        let wStar = gaussianVector(d, seed: 12)
        let y = multiply(dense(x), wStar)
        let solver = try LeastSquaresSolver(design: x)
        assertRelativelyClose(solver.solve(y), wStar, Self.wellConditioned, "w* recovered")
    }

    func testResidualIsOrthogonalToColumns() throws {
        // Optimality condition Xᵀ(Xŵ − y) = 0, measured relative to ‖X‖_F·‖y‖ (the scale of the
        // individual terms): ≲ d·cond(G)·ε.
        for (t, d, seed) in [(60, 6, UInt64(1)), (8, 20, 2)] {
            let x = gaussianMatrix(rows: t, columns: d, seed: seed)
            let y = gaussianVector(t, seed: seed + 50)
            let w = try LeastSquaresSolver(design: x).solve(y)
            let xd = dense(x)
            let residual = zip(multiply(xd, w), y).map { $0 - $1 }
            let normalEq = multiply(transpose(xd), residual)
            let scale = frobeniusSquared(xd).squareRoot() * norm(y)
            XCTAssertLessThan(norm(normalEq) / scale, Self.wellConditioned, "\(t)×\(d)")
        }
    }

    func testWorkspaceSolveMatchesConvenienceSolveAndIsLinear() throws {
        let (t, d) = (30, 4)
        for x in [gaussianMatrix(rows: t, columns: d, seed: 21), gaussianMatrix(rows: 3, columns: d, seed: 22)] {
            let solver = try LeastSquaresSolver(design: x)
            var ws = LeastSquaresSolver.Workspace(for: solver)
            var w = [Double](repeating: .nan, count: d)
            for k in 0..<5 {
                let y = gaussianVector(x.rows, seed: 400 + UInt64(k))
                y.withUnsafeBufferPointer { yp in
                    w.withUnsafeMutableBufferPointer { wp in solver.solve(yp, into: wp, workspace: &ws) }
                }
                XCTAssertEqual(w, solver.solve(y), "workspace reuse must not change results (\(solver.method))")
            }
            // Linearity: X⁺(a·y₁ + b·y₂) = a·X⁺y₁ + b·X⁺y₂.
            let y1 = gaussianVector(x.rows, seed: 500), y2 = gaussianVector(x.rows, seed: 501)
            let combined = solver.solve(zip(y1, y2).map { 2 * $0 - 0.5 * $1 })
            let separate = zip(solver.solve(y1), solver.solve(y2)).map { 2 * $0 - 0.5 * $1 }
            assertRelativelyClose(combined, separate, Self.wellConditioned, "linearity (\(solver.method))")
        }
    }

    // MARK: - T < d: minimum-norm interpolation, SVD path

    func testWideDesignUsesSVDAndMatchesMinimumNormSolution() throws {
        for (k, (t, d)) in [(1, 3), (5, 20), (12, 30), (19, 20)].enumerated() {
            let x = gaussianMatrix(rows: t, columns: d, seed: 600 + UInt64(k))
            let y = gaussianVector(t, seed: 700 + UInt64(k))
            let solver = try LeastSquaresSolver(design: x)
            XCTAssertEqual(solver.method, .svd, "\(t)×\(d)")
            XCTAssertEqual(solver.rank, t, "\(t)×\(d) Gaussian design has full row rank")

            let xd = dense(x)
            let pinv = pseudoInverseFullRowRank(xd)  // Xᵀ(XXᵀ)⁻¹
            let w = solver.solve(y)
            // 19×20 is nearly square: cond(X) ≈ (√d + √T)/(√d − √T) ≈ 80, and the reference
            // works with XXᵀ (cond ≈ 6 000), so its own error is ~1e-12: use the looser
            // `rankDeficient` tolerance for that shape.
            let tol = t == 19 ? Self.rankDeficient : Self.wellConditioned
            assertRelativelyClose(w, multiply(pinv, y), tol, "X⁺y \(t)×\(d)")
            // Interpolation: Xŵ = y.
            assertRelativelyClose(multiply(xd, w), y, tol, "interpolates \(t)×\(d)")

            // tr(G⁺) = ‖X⁺‖_F² = tr((XXᵀ)⁻¹); tr((G⁺)²) = tr((XXᵀ)⁻²).
            let hInv = inverse(multiply(xd, transpose(xd)))
            assertRelativelyClose(solver.traceOfGramPseudoInverse, trace(hInv), tol, "tr(G⁺) \(t)×\(d)")
            assertRelativelyClose(solver.traceOfGramPseudoInverse, frobeniusSquared(pinv), tol, "‖X⁺‖_F² \(t)×\(d)")
            assertRelativelyClose(
                solver.traceOfGramPseudoInverseSquared, trace(multiply(hInv, hInv)), tol,
                "tr((G⁺)²) \(t)×\(d)")

            // Null-space component: n = (I − P)v with P = X⁺X.
            let v = gaussianVector(d, seed: 800 + UInt64(k))
            let nsc = solver.nullSpaceComponent(of: v)
            let xv = multiply(xd, v)
            XCTAssertLessThan(
                norm(multiply(xd, nsc)) / (frobeniusSquared(xd).squareRoot() * norm(v)), 1e-12,
                "X(I − P)v = 0, \(t)×\(d)")
            let projected = multiply(pinv, xv)  // X⁺Xv, in the row space
            assertRelativelyClose(zip(v, nsc).map { $0 - $1 }, projected, tol, "v − (I − P)v = X⁺Xv, \(t)×\(d)")
            // Idempotent, and the minimum-norm solution has no null-space component.
            assertRelativelyClose(solver.nullSpaceComponent(of: nsc), nsc, Self.wellConditioned, "idempotent")
            XCTAssertLessThan(norm(solver.nullSpaceComponent(of: w)) / norm(w), 1e-12, "ŵ ∈ row(X)")
        }
    }

    // MARK: - Rank deficiency with T ≥ d

    func testDuplicatedColumnFallsBackToSVD() throws {
        // X = [A | a₀]: column 4 duplicates column 0, so rank 4 and null space span{e₀ − e₄}.
        let (t, d) = (30, 5)
        let a = gaussianMatrix(rows: t, columns: d - 1, seed: 31)
        var cols = (0..<(d - 1)).map { j in Array(a.storage[(j * t)..<((j + 1) * t)]) }
        cols.append(cols[0])
        let x = Matrix(rows: t, columns: d, columnMajor: cols.flatMap { $0 })
        let solver = try LeastSquaresSolver(design: x)
        XCTAssertEqual(solver.method, .svd)
        XCTAssertEqual(solver.rank, d - 1)

        // Rank factorisation X = F·C with F = A and C = [I₄ | e₀].
        let f = dense(a)
        var c = identity(d - 1)
        for i in 0..<(d - 1) { c[i].append(i == 0 ? 1 : 0) }
        let pinv = pseudoInverse(factor: f, c)
        let y = gaussianVector(t, seed: 32)
        let w = solver.solve(y)
        assertRelativelyClose(w, multiply(pinv, y), Self.rankDeficient, "min-norm solution")
        XCTAssertEqual(w[0], w[4], accuracy: Self.rankDeficient * norm(w), "the minimum norm splits the weight evenly")

        assertRelativelyClose(solver.traceOfGramPseudoInverse, frobeniusSquared(pinv), Self.rankDeficient, "tr(G⁺)")
        let gPlus = multiply(pinv, transpose(pinv))  // G⁺ = X⁺(X⁺)ᵀ
        assertRelativelyClose(
            solver.traceOfGramPseudoInverseSquared, frobeniusSquared(gPlus), Self.rankDeficient,
            "tr((G⁺)²)")

        // (I − P)v = ((v₀ − v₄)/2)(e₀ − e₄).
        let v = [1.0, 2.0, -3.0, 0.5, 4.0]
        let expected = [-1.5, 0, 0, 0, 1.5]
        let got = solver.nullSpaceComponent(of: v)
        for j in 0..<d { XCTAssertEqual(got[j], expected[j], accuracy: Self.rankDeficient * norm(v), "component \(j)") }
    }

    func testGeneralRankDeficientProductDesign() throws {
        // X = F·C with F 40×3 and C 3×7 Gaussian: rank 3, T ≥ d.
        let f = dense(gaussianMatrix(rows: 40, columns: 3, seed: 41))
        let c = dense(gaussianMatrix(rows: 3, columns: 7, seed: 42))
        let xd = multiply(f, c)
        let solver = try LeastSquaresSolver(design: matrix(xd))
        XCTAssertEqual(solver.method, .svd)
        XCTAssertEqual(solver.rank, 3)
        let pinv = pseudoInverse(factor: f, c)
        let y = gaussianVector(40, seed: 43)
        assertRelativelyClose(solver.solve(y), multiply(pinv, y), Self.rankDeficient, "min-norm solution")
        assertRelativelyClose(solver.traceOfGramPseudoInverse, frobeniusSquared(pinv), Self.rankDeficient, "tr(G⁺)")
        let gPlus = multiply(pinv, transpose(pinv))
        assertRelativelyClose(
            solver.traceOfGramPseudoInverseSquared, frobeniusSquared(gPlus), Self.rankDeficient,
            "tr((G⁺)²)")
        // Row space of X is row(C): (I − P)v ⟂ rows of C and v − (I − P)v = X⁺Xv.
        let v = gaussianVector(7, seed: 44)
        let nsc = solver.nullSpaceComponent(of: v)
        XCTAssertLessThan(norm(multiply(c, nsc)) / (frobeniusSquared(c).squareRoot() * norm(v)), Self.rankDeficient)
        assertRelativelyClose(
            zip(v, nsc).map { $0 - $1 }, multiply(multiply(pinv, xd), v), Self.rankDeficient,
            "v − (I − P)v = X⁺Xv")
    }

    func testZeroColumnGivesZeroWeight() throws {
        // A zero column makes G exactly singular (dpotrf fails); the min-norm solution puts
        // zero weight on it and solves the remaining columns by ordinary least squares.
        let (t, d) = (25, 4)
        var x = gaussianMatrix(rows: t, columns: d, seed: 51)
        for i in 0..<t { x[i, 2] = 0 }
        let solver = try LeastSquaresSolver(design: x)
        XCTAssertEqual(solver.method, .svd)
        XCTAssertEqual(solver.rank, 3)
        let y = gaussianVector(t, seed: 52)
        let reduced = dense(x).map { [$0[0], $0[1], $0[3]] }
        let wr = multiply(pseudoInverseFullColumnRank(reduced), y)
        assertRelativelyClose(solver.solve(y), [wr[0], wr[1], 0, wr[2]], Self.rankDeficient, "zero-column solution")
        let nsc = solver.nullSpaceComponent(of: [1, 1, 1, 1])
        for (j, e) in [0.0, 0, 1, 0].enumerated() { XCTAssertEqual(nsc[j], e, accuracy: Self.rankDeficient) }
        let ginv = inverse(multiply(transpose(reduced), reduced))
        assertRelativelyClose(solver.traceOfGramPseudoInverse, trace(ginv), Self.rankDeficient, "tr(G⁺)")
    }

    func testZeroDesignHasRankZero() throws {
        let solver = try LeastSquaresSolver(design: Matrix(rows: 5, columns: 3))
        XCTAssertEqual(solver.method, .svd)
        XCTAssertEqual(solver.rank, 0)
        XCTAssertEqual(solver.solve([1, 2, 3, 4, 5]), [0, 0, 0])
        XCTAssertEqual(solver.traceOfGramPseudoInverse, 0)
        XCTAssertEqual(solver.traceOfGramPseudoInverseSquared, 0)
        XCTAssertEqual(solver.nullSpaceComponent(of: [1, -2, 3]), [1, -2, 3])
    }

    // MARK: - Ill-conditioning

    /// X = X₀·D with D = diag(1, …, 1, s) and X₀ well conditioned. For full column rank the
    /// exact solution is ŵ = D⁻¹ŵ₀ and tr(G⁻¹) = Σ_j (G₀⁻¹)_jj / D_j², with ŵ₀ and G₀ computed
    /// from the well-conditioned X₀ (so the references are accurate).
    private func scaledColumnCase(scale s: Double, seed: UInt64) throws
        -> (solver: LeastSquaresSolver, w: [Double], reference: [Double], trace: Double, referenceTrace: Double, gramRatio: Double)
    {
        let (t, d) = (60, 5)
        let x0 = gaussianMatrix(rows: t, columns: d, seed: seed)
        var x = x0
        for i in 0..<t { x[i, d - 1] *= s }
        let y = gaussianVector(t, seed: seed + 1)
        let solver = try LeastSquaresSolver(design: x)
        let x0d = dense(x0)
        var reference = multiply(pseudoInverseFullColumnRank(x0d), y)
        reference[d - 1] /= s
        let g0 = multiply(transpose(x0d), x0d)
        let g0Inv = inverse(g0)
        var refTrace = 0.0
        for j in 0..<d { refTrace += g0Inv[j][j] / (j == d - 1 ? s * s : 1) }
        // cond(G) ≥ max_j G_jj / min_j G_jj (Rayleigh quotients at unit vectors).
        let diag = (0..<d).map { g0[$0][$0] * ($0 == d - 1 ? s * s : 1) }
        return (
            solver, solver.solve(y), reference, solver.traceOfGramPseudoInverse, refTrace,
            diag.max()! / diag.min()!
        )
    }

    func testVeryIllConditionedDesignUsesSVD() throws {
        // s = 1e-7 ⇒ cond(G) ≳ 1e14 > 1e8 = 1/choleskyRcondThreshold.
        let c = try scaledColumnCase(scale: 1e-7, seed: 61)
        XCTAssertGreaterThan(c.gramRatio, 1e8, "test premise: cond(G) > 1e8")
        XCTAssertEqual(c.solver.method, .svd)
        XCTAssertEqual(c.solver.rank, 5, "1e-7 is far above the rank cut-off max(T, d)·ε·s_max ≈ 1e-13")
        assertRelativelyClose(c.w, c.reference, Self.illConditioned, "ill-conditioned solution")
        assertRelativelyClose(c.trace, c.referenceTrace, Self.illConditioned, "ill-conditioned tr(G⁻¹)")
        // Full column rank on the SVD path: no null-space component either.
        let v = [1.0, -2, 3, -4, 5]
        XCTAssertLessThanOrEqual(norm(c.solver.nullSpaceComponent(of: v)), 1e-12 * norm(v))
    }

    func testModeratelyIllConditionedDesignUsesSVD() throws {
        // s = 1e-5 ⇒ cond(G) ≈ 1e10: Cholesky would still succeed, but rcond < 1e-8 must route
        // it to the SVD.
        let c = try scaledColumnCase(scale: 1e-5, seed: 62)
        XCTAssertGreaterThan(c.gramRatio, 1e9, "test premise")
        XCTAssertEqual(c.solver.method, .svd)
        XCTAssertEqual(c.solver.rank, 5)
        assertRelativelyClose(c.w, c.reference, Self.illConditioned, "solution")
        assertRelativelyClose(c.trace, c.referenceTrace, Self.illConditioned, "tr(G⁻¹)")
    }

    func testMildlyScaledDesignStaysOnCholesky() throws {
        // s = 1e-2 ⇒ cond(G) ≈ 1e4·cond(G₀) ≪ 1e8: Cholesky, and accurate (diagonal scaling
        // does not hurt Cholesky much, van der Sluis); expected error ≲ cond(G)·ε ≈ 1e-11.
        let c = try scaledColumnCase(scale: 1e-2, seed: 63)
        XCTAssertLessThan(c.gramRatio, 1e6, "test premise")
        XCTAssertEqual(c.solver.method, .cholesky)
        assertRelativelyClose(c.w, c.reference, 1e-9, "solution")
        assertRelativelyClose(c.trace, c.referenceTrace, 1e-9, "tr(G⁻¹)")
    }

    func testCholeskyThresholdIsDocumentedValue() {
        XCTAssertEqual(LeastSquaresSolver.choleskyRcondThreshold, 1e-8)
    }

    // MARK: - Errors

    func testNonFiniteDesignThrows() {
        for bad in [Double.nan, .infinity, -.infinity] {
            var x = gaussianMatrix(rows: 10, columns: 3, seed: 71)
            x[4, 1] = bad
            XCTAssertThrowsError(try LeastSquaresSolver(design: x), "\(bad)") { error in
                guard case LinearAlgebraError.nonFinite = error else {
                    return XCTFail("expected LinearAlgebraError.nonFinite, got \(error)")
                }
            }
        }
        // Also on the SVD path (T < d).
        var wide = gaussianMatrix(rows: 2, columns: 5, seed: 72)
        wide[1, 4] = .nan
        XCTAssertThrowsError(try LeastSquaresSolver(design: wide)) { error in
            XCTAssertEqual(error as? LinearAlgebraError, .nonFinite(what: "design matrix"))
        }
    }

    func testErrorDescriptions() {
        XCTAssertEqual(
            LinearAlgebraError.nonFinite(what: "design matrix").description,
            "design matrix contains NaN or infinite values")
        XCTAssertEqual(
            LinearAlgebraError.lapack(routine: "dgesdd", info: 3).description,
            "LAPACK dgesdd failed with info = 3")
        XCTAssertEqual(
            LinearAlgebraError.lapack(routine: "dpotrf", info: -4).description,
            "LAPACK dpotrf: argument 4 had an illegal value")
    }
}
