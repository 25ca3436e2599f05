import CLapack
import Foundation

/// Thin, shape-checked wrappers over the CBLAS routines the simulator needs.
public enum BLAS {
    /// The process's one BLAS thread setting: every BLAS call runs on the thread that makes it.
    ///
    /// The toolkit parallelises itself (replicates, regimes, independent fits), so BLAS must not:
    /// threaded BLAS inside parallel workers is 3–5× slower, and results would depend on the
    /// machine. OpenBLAS (pthreads build) starts a pool of `cores − 1` workers when it loads;
    /// idle, they spin on `sched_yield` before sleeping, which cost about 1.5 s of system time
    /// per process on a 16-core machine (measured: 1.58 s system against 1.6 s user for a
    /// one-thread run that made a few hundred BLAS calls; 0.01 s with the pool never started).
    /// So this sets one thread and shuts the pool down (`blas_thread_shutdown_`, looked up at
    /// run time: sequential builds do not have it, and the binary must load with any build).
    ///
    /// Idempotent and process-global: call it from the main thread before starting parallel
    /// work (the CLI does at start-up; `MonteCarlo` and the neural trainer do before their
    /// workers), never from inside it.
    public static func useCallingThreadOnly() { _ = callingThreadOnly }

    private static let callingThreadOnly: Void = {
        openblas_set_num_threads(1)
        if openblas_get_parallel() == 1, let handle = dlopen(nil, RTLD_NOW) {
            if let shutdown = dlsym(handle, "blas_thread_shutdown_") {
                _ = unsafeBitCast(shutdown, to: (@convention(c) () -> Int32).self)()
            }
            dlclose(handle)
        }
    }()

    /// Whether the loaded OpenBLAS may be called from several threads at once.
    ///
    /// Only the pthreads build guards its shared work-buffer pool (`blas_memory_alloc`) with a
    /// lock. Debian's sequential build (`libopenblas0-serial`, built without `USE_LOCKING`) does
    /// not: two threads can take the same buffer, and results are silently wrong (measured with
    /// 0.3.21 on 2 cores: concurrent `dgemm` + `dpotrf` of 96 × 96 matrices disagreed with the
    /// one-thread result 8–208 times in 80,000 calls, and `collapse simulate --dimension 160`
    /// on 2 threads wrote a different results.csv in one run of three). The OpenMP build is not
    /// claimed safe for callers outside its own thread team either. For any build but pthreads,
    /// LinearAlgebra therefore runs its BLAS and LAPACK calls one at a time (`serialised`).
    public static let isSafeForConcurrentCallers: Bool = openblas_get_parallel() == 1

    @usableFromInline static let callGate = CallGate(serialise: !isSafeForConcurrentCallers)

    /// Runs `body`, one or more OpenBLAS/LAPACKE calls, so that it is correct on any thread:
    /// directly with the pthreads build, under one process-wide lock with any other build.
    @inlinable
    static func serialised<R>(_ body: () throws -> R) rethrows -> R {
        let gate = callGate
        if !gate.serialise { return try body() }
        gate.lock.lock()
        defer { gate.lock.unlock() }
        return try body()
    }

    @usableFromInline final class CallGate: @unchecked Sendable {
        @usableFromInline let serialise: Bool
        @usableFromInline let lock = NSLock()
        init(serialise: Bool) { self.serialise = serialise }
    }

    /// OpenBLAS's kernel family for this CPU (e.g. "Haswell", "Cooperlake"), build configuration,
    /// threading model (`openblas_get_parallel`: sequential, pthreads or OpenMP) and the file it
    /// was loaded from: results are bit-identical only for the same kernels, so manifests record
    /// which library ran. Builds other than pthreads say that their calls are serialised.
    public static var implementation: String {
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        let config = openblas_get_config().map { String(cString: $0) } ?? ""
        let threading = ["sequential", "pthreads", "OpenMP"][safe: Int(openblas_get_parallel())] ?? "unknown"
        let calls = isSafeForConcurrentCallers ? "" : ", calls serialised"
        let file = loadedLibraryPath.map { "; \($0)" } ?? ""
        return "OpenBLAS \(core) (\(config.trimmingCharacters(in: .whitespaces)); \(threading) build\(calls)\(file))"
    }

    /// The file of the mapping that holds OpenBLAS's code (from `/proc/self/maps`, so the path
    /// the loader really used, links resolved), or nil where that is not available.
    public static var loadedLibraryPath: String? {
        let function: @convention(c) () -> UnsafeMutablePointer<CChar>? = openblas_get_config
        let address = UInt(bitPattern: unsafeBitCast(function, to: UnsafeRawPointer.self))
        // Read to the end: /proc files report a size of 0, which whole-file readers trust.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        // Scanned as bytes: splitting the file's few hundred lines into Strings took most of a
        // millisecond of every run's start-up.
        return data.withUnsafeBytes { mapsPath(containing: address, in: $0.bindMemory(to: UInt8.self)) }
    }

    /// The path of the `/proc/PID/maps` line (`start-end perms offset dev inode path`, the
    /// addresses in hex) whose range holds `address`; nil when none does or it names no file.
    public static func mapsPath(containing address: UInt, in maps: UnsafeBufferPointer<UInt8>) -> String? {
        var i = 0
        while i < maps.count {
            var end = i
            while end < maps.count, maps[end] != UInt8(ascii: "\n") { end += 1 }
            defer { i = end + 1 }
            var j = i
            guard let lo = hex(maps, &j, end), j < end, maps[j] == UInt8(ascii: "-") else { continue }
            j += 1
            guard let hi = hex(maps, &j, end), lo <= address, address < hi else { continue }
            // Four more fields (perms, offset, dev, inode), then the path after its padding.
            for _ in 0..<4 {
                while j < end, maps[j] == UInt8(ascii: " ") { j += 1 }
                while j < end, maps[j] != UInt8(ascii: " ") { j += 1 }
            }
            while j < end, maps[j] == UInt8(ascii: " ") { j += 1 }
            var last = end
            while last > j, maps[last - 1] == UInt8(ascii: " ") { last -= 1 }
            guard j < last, maps[j] == UInt8(ascii: "/") else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: maps[j..<last]), as: UTF8.self)
        }
        return nil
    }

    /// The hexadecimal number at `maps[j...]` (before `end`), `j` moved past it; nil if none.
    private static func hex(_ maps: UnsafeBufferPointer<UInt8>, _ j: inout Int, _ end: Int) -> UInt? {
        var value: UInt = 0, digits = 0
        while j < end, digits < 16 {
            let c = maps[j]
            let d: UInt
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt(c - UInt8(ascii: "a")) + 10
            default: return digits == 0 ? nil : value
            }
            value = value << 4 | d
            digits += 1
            j += 1
        }
        return digits == 0 ? nil : value
    }

    /// OpenBLAS's current thread count.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// `y ← α·op(A)·x + β·y` with `op(A) = A` or `Aᵀ` (`dgemv`), on raw buffers.
    ///
    /// `a` is column-major `rows × columns` with leading dimension `rows`.
    @inlinable
    public static func gemv(
        transpose: Bool, rows: Int, columns: Int, alpha: Double,
        a: UnsafePointer<Double>, x: UnsafePointer<Double>,
        beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        serialised {
            cblas_dgemv(
                CblasColMajor, transpose ? CblasTrans : CblasNoTrans,
                Int32(rows), Int32(columns), alpha, a, Int32(max(rows, 1)), x, 1, beta, y, 1)
        }
    }

    /// `op(A)·x` for a `Matrix`.
    public static func multiply(_ a: Matrix, _ x: [Double], transpose: Bool = false) -> [Double] {
        let inner = transpose ? a.rows : a.columns
        precondition(x.count == inner, "multiply: vector has \(x.count) entries, expected \(inner)")
        var y = [Double](repeating: 0, count: transpose ? a.columns : a.rows)
        if y.isEmpty || inner == 0 { return y }
        a.storage.withUnsafeBufferPointer { ap in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    gemv(
                        transpose: transpose, rows: a.rows, columns: a.columns, alpha: 1,
                        a: ap.baseAddress!, x: xp.baseAddress!, beta: 0, y: yp.baseAddress!)
                }
            }
        }
        return y
    }

    /// `op(A)·op(B)` (`dgemm`).
    public static func multiply(
        _ a: Matrix, _ b: Matrix,
        transposeA: Bool = false, transposeB: Bool = false
    ) -> Matrix {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        precondition(k == kb, "multiply: inner dimensions differ (\(k) vs \(kb))")
        var c = Matrix(rows: m, columns: n)
        if m == 0 || n == 0 || k == 0 { return c }
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                c.storage.withUnsafeMutableBufferPointer { cp in
                    serialised {
                        cblas_dgemm(
                            CblasColMajor, transposeA ? CblasTrans : CblasNoTrans,
                            transposeB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n), Int32(k), 1, ap.baseAddress!, Int32(a.rows),
                            bp.baseAddress!, Int32(b.rows), 0, cp.baseAddress!, Int32(m))
                    }
                }
            }
        }
        return c
    }

    /// The Gram matrix `XᵀX` (`dsyrk`), both triangles filled.
    public static func gram(_ x: Matrix) -> Matrix {
        let d = x.columns
        var g = Matrix(rows: d, columns: d)
        if d == 0 { return g }
        if x.rows > 0 {
            x.storage.withUnsafeBufferPointer { xp in
                g.storage.withUnsafeMutableBufferPointer { gp in
                    symmetricRankK(xp.baseAddress!, rows: x.rows, columns: d, into: gp.baseAddress!)
                }
            }
        }
        for j in 0..<d { for i in (j + 1)..<max(d, j + 1) where i < d { g[i, j] = g[j, i] } }
        return g
    }

    /// The upper triangle of `XᵀX` for the `rows × columns` column-major `x` (leading dimension
    /// `rows`), written to the `columns × columns` column-major `g` (`dsyrk`, β = 0; the strictly
    /// lower triangle is not touched).
    public static func symmetricRankK(_ x: UnsafePointer<Double>, rows: Int, columns d: Int, into g: UnsafeMutablePointer<Double>) {
        guard rows > 0, d > 0 else { return }
        serialised {
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(d), Int32(rows), 1, x, Int32(rows), 0, g, Int32(d))
        }
    }

    /// Euclidean dot product.
    @inlinable
    public static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
        serialised { cblas_ddot(Int32(count), x, 1, y, 1) }
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
