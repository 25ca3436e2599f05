/// A numerical failure reported by LAPACK, carrying the routine and its `info` value.
///
/// Programmer misuse (wrong shapes) is a `precondition`; numerical failure is this error.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// LAPACK returned `info ≠ 0`. `info < 0`: argument `-info` was illegal; `info > 0`: the
    /// routine-specific failure (not positive definite, SVD did not converge, …).
    case lapack(routine: String, info: Int32)
    /// A matrix, vector or value contains NaN or an infinity.
    case nonFinite(what: String)

    public var description: String {
        switch self {
        case let .lapack(routine, info):
            if info < 0 { return "LAPACK \(routine): argument \(-info) had an illegal value" }
            return "LAPACK \(routine) failed with info = \(info)"
        case let .nonFinite(what):
            return "\(what) contains NaN or infinite values"
        }
    }
}
