import Atomistic
import COpenBLAS

/// The triangular factor R of a tall matrix whose rows arrive a block at a
/// time: each block is stacked under the current R and re-factored with
/// LAPACK's Householder QR, so memory stays O(columns^2 + block) however
/// many rows there are. Least squares through R never forms the normal
/// equations, whose condition number is the square of the problem's.
///
/// Factors from several ranks combine the same way (`combine`): stacking
/// the R of each part and factoring again gives an R of the whole (TSQR).
///
/// A failed factorisation throws `LinearAlgebraError` (from `append` when a
/// full block is folded in, `flush` or `combine`).
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
    public mutating func append(_ row: UnsafeBufferPointer<Double>) throws {
        precondition(row.count == columns)
        for c in 0..<columns { block[pending * columns + c] = row[c] }
        pending += 1
        rowCount += 1
        if pending == blockRows { try flush() }
    }

    public mutating func append(_ row: [Double]) throws {
        try row.withUnsafeBufferPointer { try append($0) }
    }

    /// Folds pending rows into R.
    /// The first rows are factored alone (R is still zero: stacking it
    /// would only add work); later blocks are folded in by LAPACK's
    /// triangular-pentagonal QR (`dtpqrt`), which never touches the zeros
    /// below R's diagonal: 2 m n^2 flops for m rows instead of the
    /// 2 (n + m) n^2 - 2 n^3 / 3 of a QR of the stacked matrix.
    public mutating func flush() throws {
        guard pending > 0 else { return }
        let n = columns, m = pending
        var b = [Double](repeating: 0, count: m * n)   // column-major m x n
        for c in 0..<n { for p in 0..<m { b[c * m + p] = block[p * n + c] } }
        if rowCount == pending {
            r = try Self.triangularFactor(&b, rows: m, columns: n)
        } else {
            var mm = Int32(m), nn = Int32(n), ll: Int32 = 0, nb = Int32(Self.innerBlock(columns: n)), info: Int32 = 0
            var lda = Int32(n), ldb = Int32(m), ldt = nb
            var t = [Double](repeating: 0, count: Int(nb) * n)
            var work = [Double](repeating: 0, count: Int(nb) * n)
            dtpqrt_(&mm, &nn, &ll, &nb, &r, &lda, &b, &ldb, &t, &ldt, &work, &info)
            try LinearAlgebraError.check("dtpqrt", info: info)
            for c in 0..<n { for row in (c + 1)..<n { r[c * n + row] = 0 } }
        }
        pending = 0
    }

    /// LAPACK's inner block for folding rows into R (`dtpqrt`'s nb): its
    /// Householder panels are level-2 work, so narrow problems want narrow
    /// panels. Timed alone on this machine's OpenBLAS (2026-12-06, 256-914
    /// rows onto R): at 126 columns nb 8 takes 0.27 ms against 0.42 at 48,
    /// at 330 columns nb 16-24 is 8 % faster than 48, from 914 columns on
    /// 48 is as good as any (docs/training.md, "The Jacobian kernel").
    /// The factor differs from another nb's only by rounding.
    static func innerBlock(columns n: Int) -> Int {
        min(n, n < 200 ? 8 : (n < 600 ? 16 : 48))
    }

    /// R of the stacked factors (each column-major `n x n`), in the order given.
    public static func combine(_ factors: [[Double]], columns n: Int) throws -> [Double] {
        let m = n * factors.count
        var a = [Double](repeating: 0, count: m * n)
        for (f, rf) in factors.enumerated() {
            for c in 0..<n { for row in 0...c { a[c * m + f * n + row] = rf[c * n + row] } }
        }
        return try triangularFactor(&a, rows: m, columns: n)
    }

    /// R of two upper-triangular factors stacked (`top` over `bottom`, each
    /// column-major n x n): LAPACK's triangular-pentagonal QR (`dtpqrt`),
    /// which skips the zeros below both diagonals, about a fifth of the
    /// flops of `combine([top, bottom])`. The result's lower triangle is zero.
    public static func combinePair(_ top: [Double], _ bottom: [Double], columns n: Int) throws -> [Double] {
        var a = top, b = bottom
        try combinePairInPlace(&a, &b, columns: n)
        return a
    }

    /// `combinePair` without copies: R replaces `top` (lower triangle
    /// zeroed), `bottom` is overwritten (Householder vectors).
    public static func combinePairInPlace(_ top: inout [Double], _ bottom: inout [Double], columns n: Int) throws {
        precondition(top.count == n * n && bottom.count == n * n)
        var nn = Int32(n), ll = Int32(n), nb = Int32(min(n, 48)), info: Int32 = 0
        var t = [Double](repeating: 0, count: Int(nb) * n)
        var work = [Double](repeating: 0, count: Int(nb) * n)
        var lda = Int32(n), ldb = Int32(n), ldt = nb
        var m = nn
        dtpqrt_(&m, &nn, &ll, &nb, &top, &lda, &bottom, &ldb, &t, &ldt, &work, &info)
        try LinearAlgebraError.check("dtpqrt", info: info)
        for c in 0..<n { for row in (c + 1)..<n { top[c * n + row] = 0 } }
    }

    /// Householder QR of a column-major m x n matrix; returns R (n x n, rows
    /// from m on zero when m < n).
    static func triangularFactor(_ a: inout [Double], rows m: Int, columns n: Int) throws -> [Double] {
        var mm = Int32(m), nn = Int32(n), lda = Int32(m), info: Int32 = 0
        var tau = [Double](repeating: 0, count: n)
        var lwork: Int32 = -1
        var query = 0.0
        dgeqrf_(&mm, &nn, &a, &lda, &tau, &query, &lwork, &info)
        try LinearAlgebraError.check("dgeqrf", info: info)
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&mm, &nn, &a, &lda, &tau, &work, &lwork, &info)
        try LinearAlgebraError.check("dgeqrf", info: info)
        var out = [Double](repeating: 0, count: n * n)
        for c in 0..<n { for row in 0..<min(c + 1, m) { out[c * n + row] = a[c * m + row] } }
        return out
    }
}
