/// Products with a design `X ∈ R^{T×d}` of few columns, in Swift: `XᵀX` (upper triangle), `Xw`
/// and `Xᵀy`.
///
/// **Why not BLAS.** Every OpenBLAS level-3 call, `dsyrk` included, takes its work buffer from
/// OpenBLAS's process-wide pool under one mutex (`blas_memory_alloc`; see `Triangular`). The
/// fresh-design chain forms `X_nᵀX_n` for a new design every generation, so parallel replicates
/// queued on that mutex: `simulate --design fresh --dimension 4 --samples 50 --generations 50
/// --repeats 10000 --threads 2` made 13,948 `futex` calls (3 on one thread) and reached 76–95 %
/// parallel efficiency from run to run on 2 cores, against 94 % for two one-thread runs side by
/// side. For a few columns the products are too small for BLAS's blocking to pay: measured on
/// one core, no contention (AMD EPYC, the SSE2 code the package builds), the Gram matrix here
/// took 0.47× `dsyrk`'s time at d = 4, T = 50, 0.75× at d = 8, T = 50 and 0.93–1.05× at d = 12;
/// at d = 16 it took 1.2–1.35×, so wider designs stay in BLAS. The whole chain on one thread
/// (the manifest's time, medians of 5–9 interleaved runs): d = 4, T = 50 0.14 → 0.12 s and
/// 1.17 → 0.97 s, d = 12, T = 30 0.27 → 0.25 s, d = 8, T = 200 0.218 → 0.223 s, d = 12,
/// T = 1000 0.139 → 0.147 s. And the bits: BLAS's kernels sum in an order that depends on the
/// CPU (OpenBLAS's Zen and Cooperlake kernels give different last bits), these loops in one
/// fixed order on every CPU.
///
/// **Arithmetic order.** A sum over the T rows (`XᵀX`, `Xᵀy`) is taken in `Triangular.dot`'s
/// order: lane l (of four) holds the terms with k ≡ l (mod 4) and k < 4⌊T/4⌋, added in
/// ascending k starting from 0; the lanes are combined as (l₀ + l₁) + (l₂ + l₃); then the
/// remaining terms, k ≥ 4⌊T/4⌋, are added in ascending k. A sum over the d columns (`Xw`) is one running sum, 0 + x_k0 w_0 + x_k1 w_1 +
/// …, in ascending column order. Every product and every sum rounds once (Swift does not fuse a
/// multiply and an add), so the bits depend neither on the CPU nor on the blocking of the loops
/// (four columns share each load of the other operand): `SmallProductsTests` checks them
/// against scalar loops in that order. The error bound is that of any order, γ_n Σ|terms| for
/// n terms (Higham, Accuracy and Stability, §3.1).
///
/// Storage: `x` column-major with leading dimension `T` (`rows`).
public enum SmallProducts {
    /// The widest design worth multiplying here rather than in BLAS: the cut-off of the
    /// fresh-design chain and of `LeastSquaresSolver`'s Cholesky path (`XᵀX`, `Xᵀy` and the
    /// literal chain's projected noise `XᵀE`, whose `dsyrk` and `dgemm` met the lock in 4–22 % of
    /// the replicates of `simulate --dimension 4 --samples 50 --generations 50 --repeats 40000
    /// --threads 2`: 1,697–8,905 `futex` calls, against 3 on one thread).
    public static let maximumColumns = 12

    /// Writes the upper triangle (i ≤ j) of `XᵀX` to the `d × d` column-major `g`; the strictly
    /// lower triangle is not touched (as `dsyrk` with β = 0).
    @inlinable
    public static func gram(_ x: UnsafePointer<Double>, rows t: Int, columns d: Int, into g: UnsafeMutablePointer<Double>) {
        var j0 = 0
        // Columns j0..<j0+4 against every column i < j0 + 4 (outputs with i > j are dropped).
        while j0 + 4 <= d {
            let c0 = x + j0 * t
            for i in 0..<(j0 + 4) {
                let r = fourDots(x + i * t, columns: c0, rows: t)
                for m in 0..<4 where i <= j0 + m { g[i + (j0 + m) * d] = r[m] }
            }
            j0 += 4
        }
        // The last d mod 4 columns, one output at a time, in the same order.
        for j in j0..<d {
            for i in 0...j { g[i + j * d] = Triangular.dot(x + i * t, x + j * t, count: t) }
        }
    }

    /// `y ← Xw` (`T` outputs).
    @inlinable
    public static func multiply(_ x: UnsafePointer<Double>, rows t: Int, columns d: Int, by w: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        y.update(repeating: 0, count: t)
        multiplyAdd(x, rows: t, columns: d, by: w, into: y)
    }

    /// `y ← y + Xw` (`T` outputs): each output is the running sum y_k + x_k0 w_0 + x_k1 w_1 + …
    /// (so `multiply` is this from y = 0, the same bits as from no start value).
    @inlinable
    public static func multiplyAdd(_ x: UnsafePointer<Double>, rows t: Int, columns d: Int, by w: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        // Column by column ("axpy" form, as in `Triangular`): every output receives its terms in
        // ascending column order, and the inner loop updates independent outputs.
        for j in 0..<d {
            let wj = w[j], column = x + j * t
            for k in 0..<t { y[k] += column[k] * wj }
        }
    }

    /// `f ← Xᵀy` (`d` outputs).
    @inlinable
    public static func transposeMultiply(
        _ x: UnsafePointer<Double>, rows t: Int, columns d: Int, by y: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>
    ) {
        var j0 = 0
        while j0 + 4 <= d {
            let r = fourDots(y, columns: x + j0 * t, rows: t)
            for m in 0..<4 { f[j0 + m] = r[m] }
            j0 += 4
        }
        for j in j0..<d { f[j] = Triangular.dot(x + j * t, y, count: t) }
    }

    /// `Σ_k v_k x_kj` for the four columns j = 0..<4 starting at `c0` (leading dimension `t`),
    /// each in `Triangular.dot`'s order; the four sums share each load of `v`.
    @usableFromInline @inline(__always)
    static func fourDots(_ v: UnsafePointer<Double>, columns c0: UnsafePointer<Double>, rows t: Int) -> SIMD4<Double> {
        let c1 = c0 + t, c2 = c1 + t, c3 = c2 + t
        let t4 = t & ~3
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var k = 0
        while k < t4 {
            let u = load(v + k)
            a0 += u * load(c0 + k)
            a1 += u * load(c1 + k)
            a2 += u * load(c2 + k)
            a3 += u * load(c3 + k)
            k += 4
        }
        var r = SIMD4(lanes(a0), lanes(a1), lanes(a2), lanes(a3))
        while k < t {
            let u = v[k]
            r[0] += u * c0[k]
            r[1] += u * c1[k]
            r[2] += u * c2[k]
            r[3] += u * c3[k]
            k += 1
        }
        return r
    }

    @usableFromInline @inline(__always)
    static func load(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
    }

    /// (l₀ + l₁) + (l₂ + l₃).
    @usableFromInline @inline(__always)
    static func lanes(_ a: SIMD4<Double>) -> Double { (a[0] + a[1]) + (a[2] + a[3]) }
}

/// The products with a design `X ∈ R^{T×d}` that the chains make, in Swift (`SmallProducts`) for
/// at most `SmallProducts.maximumColumns` columns and in BLAS above: one place that decides, so
/// that the chains that call it (the literal chain and `LeastSquaresSolver`, the fresh design, the
/// ridge and power-law refits, `ExactPropagation`'s Gram matrices) take the same path for the same
/// `d` and get the same bits for the same operands. Storage as in `SmallProducts`.
public enum DesignProducts {
    /// Whether a design of `d` columns is multiplied in Swift.
    @inlinable
    public static func inSwift(columns d: Int) -> Bool { d <= SmallProducts.maximumColumns }

    /// `XᵀX` as a `Matrix`, both triangles filled (as `BLAS.gram`).
    public static func gram(_ x: Matrix) -> Matrix {
        let d = x.columns
        var g = Matrix(rows: d, columns: d)
        guard d > 0, x.rows > 0 else { return g }
        x.storage.withUnsafeBufferPointer { xp in
            g.storage.withUnsafeMutableBufferPointer { gram(xp.baseAddress!, rows: x.rows, columns: d, into: $0.baseAddress!) }
        }
        for j in 0..<d { for i in (j + 1)..<d { g[i, j] = g[j, i] } }
        return g
    }

    /// The upper triangle of `XᵀX` into the `d × d` column-major `g` (lower triangle untouched).
    @inlinable
    public static func gram(_ x: UnsafePointer<Double>, rows t: Int, columns d: Int, into g: UnsafeMutablePointer<Double>) {
        if inSwift(columns: d) {
            SmallProducts.gram(x, rows: t, columns: d, into: g)
        } else {
            BLAS.symmetricRankK(x, rows: t, columns: d, into: g)
        }
    }

    /// `y ← Xw`.
    @inlinable
    public static func multiply(_ x: UnsafePointer<Double>, rows t: Int, columns d: Int, by w: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        if inSwift(columns: d) {
            SmallProducts.multiply(x, rows: t, columns: d, by: w, into: y)
        } else {
            y.update(repeating: 0, count: t)  // OpenBLAS 0.3.21 scales y by β = 0, so a NaN left there would stay
            BLAS.gemv(transpose: false, rows: t, columns: d, alpha: 1, a: x, x: w, beta: 0, y: y)
        }
    }

    /// `y ← y + Xw`.
    @inlinable
    public static func multiplyAdd(_ x: UnsafePointer<Double>, rows t: Int, columns d: Int, by w: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        if inSwift(columns: d) {
            SmallProducts.multiplyAdd(x, rows: t, columns: d, by: w, into: y)
        } else {
            BLAS.gemv(transpose: false, rows: t, columns: d, alpha: 1, a: x, x: w, beta: 1, y: y)
        }
    }

    /// `f ← Xᵀy`.
    @inlinable
    public static func transposeMultiply(
        _ x: UnsafePointer<Double>, rows t: Int, columns d: Int, by y: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>
    ) {
        if inSwift(columns: d) {
            SmallProducts.transposeMultiply(x, rows: t, columns: d, by: y, into: f)
        } else {
            f.update(repeating: 0, count: d)
            BLAS.gemv(transpose: true, rows: t, columns: d, alpha: 1, a: x, x: y, beta: 0, y: f)
        }
    }
}
