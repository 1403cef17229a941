import Atomistic
import COpenBLAS

/// Dense helpers on small column-major matrices. A failed LAPACK call
/// throws `LinearAlgebraError`.
public enum SmallLinearAlgebra {
    /// Singular values of a column-major `n x n` matrix, largest first.
    /// A singular matrix is not a failure: its smallest value is 0, which
    /// `Trainer.linearCondition` reports as an infinite condition number.
    public static func singularValues(_ m: [Double], n: Int) throws -> [Double] {
        var a = m
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var s = [Double](repeating: 0, count: n)
        var ldu: Int32 = 1, ldvt: Int32 = 1
        var u = [0.0], vt = [0.0]
        var lwork: Int32 = -1
        var query = 0.0
        var jobu = Int8(UInt8(ascii: "N")), jobvt = Int8(UInt8(ascii: "N"))
        dgesvd_(&jobu, &jobvt, &nn, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &query, &lwork, &info)
        try LinearAlgebraError.check("dgesvd", info: info)
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesvd_(&jobu, &jobvt, &nn, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &info)
        try LinearAlgebraError.check("dgesvd", info: info, meaning: "the singular value decomposition did not converge (dgesvd info \(info))")
        return s
    }

    /// 1-norm condition number of an upper-triangular column-major `n x n`
    /// matrix, LAPACK's estimate (`dtrcon`: O(n^2) instead of an SVD's
    /// O(n^3)); infinite for a singular matrix.
    public static func triangularConditionEstimate(_ m: [Double], n: Int) throws -> Double {
        var a = m
        var norm = Int8(UInt8(ascii: "1")), uplo = Int8(UInt8(ascii: "U")), diag = Int8(UInt8(ascii: "N"))
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0, rcond = 0.0
        var work = [Double](repeating: 0, count: 3 * n)
        var iwork = [Int32](repeating: 0, count: n)
        dtrcon_(&norm, &uplo, &diag, &nn, &a, &lda, &rcond, &work, &iwork, &info)
        try LinearAlgebraError.check("dtrcon", info: info)
        return rcond > 0 ? 1 / rcond : .infinity
    }

    /// x = pinv(S) b for a symmetric positive semi-definite n x n matrix S,
    /// by SVD, ignoring singular values below `cutoff` times the largest;
    /// also returns the condition number of S (largest / smallest singular value).
    /// A zero matrix is not a failure: it gives x = 0 and an infinite
    /// condition number, as does any singular S.
    public static func pseudoSolve(_ m: [Double], n: Int, _ b: [Double], cutoff: Double) throws -> ([Double], Double) {
        var a = m
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var s = [Double](repeating: 0, count: n)
        var u = [Double](repeating: 0, count: n * n), vt = [Double](repeating: 0, count: n * n)
        var ldu = Int32(n), ldvt = Int32(n)
        var lwork: Int32 = -1
        var query = 0.0
        var job = Int8(UInt8(ascii: "A"))
        var job2 = job
        dgesvd_(&job, &job2, &nn, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &query, &lwork, &info)
        try LinearAlgebraError.check("dgesvd", info: info)
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesvd_(&job, &job2, &nn, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &info)
        try LinearAlgebraError.check("dgesvd", info: info, meaning: "the singular value decomposition did not converge (dgesvd info \(info))")
        guard let top = s.first, top > 0 else { return ([Double](repeating: 0, count: n), .infinity) }
        // Column-major: U[:, k] at u[k * n ..], V^T[k, :] at vt[k + n * j].
        var x = [Double](repeating: 0, count: n)
        for k in 0..<n where s[k] > cutoff * top {
            var c = 0.0
            for i in 0..<n { c += u[k * n + i] * b[i] }
            c /= s[k]
            for j in 0..<n { x[j] += c * vt[k + n * j] }
        }
        let low = s.last ?? 0
        return (x, low > 0 ? top / low : .infinity)
    }

    /// Solves the upper-triangular system R x = b (R column-major n x n,
    /// column j at `r[j * leading]`, `leading` >= n).
    public static func solveUpper(_ r: [Double], n: Int, leading: Int? = nil, _ b: [Double]) -> [Double] {
        let ld = leading ?? n
        var x = b
        var i = n - 1
        while i >= 0 {
            var s = x[i]
            for j in (i + 1)..<max(n, i + 1) { s -= r[j * ld + i] * x[j] }
            x[i] = r[i * ld + i] != 0 ? s / r[i * ld + i] : 0
            i -= 1
        }
        return x
    }
}
