import COpenBLAS

/// The triangular factor R of a tall matrix whose rows arrive a block at a
/// time: each block is stacked under the current R and re-factored with
/// LAPACK's Householder QR, so memory stays O(columns^2 + block) however
/// many rows there are. Least squares through R never forms the normal
/// equations, whose condition number is the square of the problem's.
///
/// Factors from several ranks combine the same way (`combine`): stacking
/// the R of each part and factoring again gives an R of the whole (TSQR).
public struct StreamingQR {
    public let columns: Int
    /// Upper-triangular factor, column-major `columns x columns`.
    public private(set) var r: [Double]
    private var block: [Double]       // pending rows, row-major
    private var pending = 0
    private let blockRows: Int
    /// Rows seen so far.
    public private(set) var rowCount = 0

    public init(columns: Int, blockRows: Int = 256) {
        self.columns = columns
        self.blockRows = max(blockRows, columns)
        r = [Double](repeating: 0, count: columns * columns)
        block = [Double](repeating: 0, count: self.blockRows * columns)
    }

    /// Adds one row (length `columns`).
    public mutating func append(_ row: UnsafeBufferPointer<Double>) {
        precondition(row.count == columns)
        for c in 0..<columns { block[pending * columns + c] = row[c] }
        pending += 1
        rowCount += 1
        if pending == blockRows { flush() }
    }

    public mutating func append(_ row: [Double]) {
        row.withUnsafeBufferPointer { append($0) }
    }

    /// Folds pending rows into R.
    public mutating func flush() {
        guard pending > 0 else { return }
        let n = columns, m = n + pending
        var a = [Double](repeating: 0, count: m * n)   // column-major m x n
        for c in 0..<n {
            for row in 0...c { a[c * m + row] = r[c * n + row] }
            for p in 0..<pending { a[c * m + n + p] = block[p * n + c] }
        }
        r = Self.triangularFactor(&a, rows: m, columns: n)
        pending = 0
    }

    /// R of the stacked factors (each column-major `n x n`), in the order given.
    public static func combine(_ factors: [[Double]], columns n: Int) -> [Double] {
        let m = n * factors.count
        var a = [Double](repeating: 0, count: m * n)
        for (f, rf) in factors.enumerated() {
            for c in 0..<n { for row in 0...c { a[c * m + f * n + row] = rf[c * n + row] } }
        }
        return triangularFactor(&a, rows: m, columns: n)
    }

    /// Householder QR of a column-major m x n matrix (m >= n); returns R.
    static func triangularFactor(_ a: inout [Double], rows m: Int, columns n: Int) -> [Double] {
        var mm = Int32(m), nn = Int32(n), lda = Int32(m), info: Int32 = 0
        var tau = [Double](repeating: 0, count: n)
        var lwork: Int32 = -1
        var query = 0.0
        dgeqrf_(&mm, &nn, &a, &lda, &tau, &query, &lwork, &info)
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&mm, &nn, &a, &lda, &tau, &work, &lwork, &info)
        precondition(info == 0, "dgeqrf failed: \(info)")
        var out = [Double](repeating: 0, count: n * n)
        for c in 0..<n { for row in 0...c { out[c * n + row] = a[c * m + row] } }
        return out
    }
}

/// Dense helpers on small column-major matrices.
public enum SmallLinearAlgebra {
    /// Singular values of a column-major `n x n` matrix, largest first.
    public static func singularValues(_ m: [Double], n: Int) -> [Double] {
        var a = m
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var s = [Double](repeating: 0, count: n)
        var ldu: Int32 = 1, ldvt: Int32 = 1
        var u = [0.0], vt = [0.0]
        var lwork: Int32 = -1
        var query = 0.0
        var jobu = Int8(UInt8(ascii: "N")), jobvt = Int8(UInt8(ascii: "N"))
        dgesvd_(&jobu, &jobvt, &nn, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &query, &lwork, &info)
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesvd_(&jobu, &jobvt, &nn, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &info)
        return info == 0 ? s : [Double](repeating: .nan, count: n)
    }

    /// x = pinv(S) b for a symmetric positive semi-definite n x n matrix S,
    /// by SVD, ignoring singular values below `cutoff` times the largest;
    /// also returns the condition number of S (largest / smallest singular value).
    public static func pseudoSolve(_ m: [Double], n: Int, _ b: [Double], cutoff: Double) -> ([Double], Double) {
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
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesvd_(&job, &job2, &nn, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &info)
        guard info == 0, let top = s.first, top > 0 else { return ([Double](repeating: 0, count: n), .infinity) }
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

    /// Solves the upper-triangular system R x = b (R column-major n x n).
    public static func solveUpper(_ r: [Double], n: Int, _ b: [Double]) -> [Double] {
        var x = b
        var i = n - 1
        while i >= 0 {
            var s = x[i]
            for j in (i + 1)..<max(n, i + 1) { s -= r[j * n + i] * x[j] }
            x[i] = r[i * n + i] != 0 ? s / r[i * n + i] : 0
            i -= 1
        }
        return x
    }
}
