/// A LAPACK routine reported failure through its `info` argument.
///
/// The one way every module handles LAPACK failures: each call site checks
/// `info` with `check` and throws this error, and callers propagate it with
/// `try`, so that a failed factorisation never turns into a crash, a NaN or
/// a silent zero further on. It lives here, in the module every other one
/// imports, rather than beside the BLAS bindings, because it needs nothing
/// from LAPACK itself: Fitting, ActiveLearning and Validation all see it
/// without a new dependency.
///
/// `info < 0` means argument `-info` was illegal (a programming error);
/// `info > 0` is the routine's own failure (no convergence, a zero pivot...),
/// which `meaning` may describe in the caller's terms.
public struct LinearAlgebraError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The LAPACK routine, e.g. "dgesvd".
    public let routine: String
    /// Its `info` value (never 0).
    public let info: Int
    /// What a positive `info` means at this call site, if said.
    public let meaning: String?

    public init(routine: String, info: Int, meaning: String? = nil) {
        self.routine = routine
        self.info = info
        self.meaning = meaning
    }

    public var description: String {
        if info < 0 { return "\(routine): argument \(-info) had an illegal value" }
        return meaning ?? "\(routine) failed (info \(info))"
    }

    /// Throws unless `info` is 0. `meaning` is only evaluated on failure.
    @inline(__always)
    public static func check(_ routine: String, info: Int32, meaning: @autoclosure () -> String? = nil) throws {
        guard info != 0 else { return }
        throw LinearAlgebraError(routine: routine, info: Int(info), meaning: info > 0 ? meaning() : nil)
    }
}
