import Atomistic
import COpenBLAS
import Parallel

/// The triangular factor R of rows spread over ranks in contiguous ranges
/// of items (configurations): each fixed block of items (`BlockLayout`) is
/// factored by its owner, the blocks' factors are combined in the fixed
/// binary tree over block index (`BlockTree`), and every rank gets R. The
/// same rows give the same bits under any number of ranks.
///
/// Memory per rank, with `F = 8 n^2` bytes (one full n x n factor), `B` the
/// blocks this rank owns and `m` the rows of its largest block:
///
///     M_tree <= F (floor(log2 B) + 1)                finished factors held (at most 2 floor(log2 B) + 2, packed: F/2 each)
///             + F h                                  this rank's rows of a block owned by a lower rank, until received (h = those rows / n)
///             + F max((min(m, 2n) + m) / n, 5/2)     one leaf (its workspace and the rows received for it) or one
///                                                    combination (two full triangles and its received half)
///
/// Factors are held and sent packed (`PackedTriangle`); a leaf factors its
/// rows in place, at most `2n` at a time (a Householder QR of the block's
/// rows, folded in place when a block has more than `2n`); a combination
/// unpacks its two inputs into the two triangles of LAPACK's
/// triangular-pentagonal QR (`dtpqrt`), releasing each packed input as soon
/// as it is copied. `mtp bench tree` measures the peak against this bound.
public enum FactorTree {
    /// R (column-major n x n, full) of all ranks' rows, on every rank.
    /// `rowCount(items)` is the number of rows of this rank's `items` (global
    /// item indices within `layout.localItems`); `rows(items, body)` calls
    /// `body` with each of them, in order. Collective over `comm`.
    public static func reduce(_ layout: BlockLayout, columns n: Int, communicator comm: Communicator,
                              rowCount: (Range<Int>) throws -> Int,
                              rows: (Range<Int>, (UnsafeBufferPointer<Double>) throws -> Void) throws -> Void) throws -> [Double] {
        func local(_ items: Range<Int>) -> Range<Int> { items.clamped(to: layout.localItems) }
        let packed = try BlockTree.reduce(layout, communicator: comm, head: {
            // This rank's rows of a block owned by a lower rank: the row count, then the rows.
            // Sized by rowCount (no regrowth, which would copy); more rows still fit.
            let items = local(layout.headItems)
            var out: [Double] = []
            out.reserveCapacity(1 + (try rowCount(items)) * n)
            out.append(0)
            try rows(items) { row in
                out.append(contentsOf: row)
                out[0] += 1
            }
            return out
        }, leaf: { k, pieces in
            let own = local(layout.items(of: k))
            let total = try rowCount(own) + pieces.reduce(0) { $0 + Int($1[0]) }
            var qr = InPlaceQR(columns: n, rows: total)
            try rows(own) { try qr.append($0) }
            for i in pieces.indices {
                try pieces[i].withUnsafeBufferPointer { p in
                    for j in 0..<Int(p[0]) { try qr.append(UnsafeBufferPointer(rebasing: p[(1 + j * n)..<(1 + (j + 1) * n)])) }
                }
                pieces[i] = []
            }
            return try qr.packedFactor()
        }, combine: { left, right in
            var a = PackedTriangle.unpack(left, columns: n)
            left = []
            var b = PackedTriangle.unpack(right, columns: n)
            right = []
            try StreamingQR.combinePairInPlace(&a, &b, columns: n)
            b = []
            return PackedTriangle.pack(a, columns: n)
        })
        if packed.isEmpty { return [Double](repeating: 0, count: n * n) }
        return PackedTriangle.unpack(packed, columns: n)
    }

    /// The bound above, in bytes, for a rank owning `blocks` blocks of at
    /// most `blockRows` rows and sending `headRows` rows to a lower rank.
    public static func memoryBound(columns n: Int, blocks: Int, blockRows: Int, headRows: Int) -> Double {
        let f = 8 * Double(n) * Double(n)
        let logB = blocks > 0 ? Double(Int.bitWidth - 1 - blocks.leadingZeroBitCount) : 0
        let leaf = Double(min(blockRows, 2 * n) + blockRows) / Double(n)
        return f * (logB + 1 + Double(headRows) / Double(n) + max(leaf, 2.5))
    }
}

/// Householder QR of a block's rows in one column-major buffer of at most
/// `2n` rows: when it is full, its rows are factored in place and R takes
/// the top n rows, the rest refilled. A block of up to 2n rows (the usual
/// case: about n) is one `dgeqrf`. The result depends only on the rows
/// and their order.
struct InPlaceQR {
    let n: Int
    private(set) var capacity: Int
    private var a: [Double]
    private var filled = 0
    private var factored = true   // the filled rows are R already (or none)

    init(columns n: Int, rows: Int) {
        self.n = n
        capacity = max(1, min(rows, 2 * n))
        a = [Double](repeating: 0, count: capacity * n)
    }

    mutating func append(_ row: UnsafeBufferPointer<Double>) throws {
        precondition(row.count == n)
        if filled == capacity {
            if capacity > n { try factor() } else { grow() }
        }
        let stride = capacity, at = filled, n = n
        a.withUnsafeMutableBufferPointer { a in
            for c in 0..<n { a[c * stride + at] = row[c] }
        }
        filled += 1
        factored = false
    }

    /// More rows than counted: room for 2n.
    private mutating func grow() {
        let wider = 2 * n
        var b = [Double](repeating: 0, count: wider * n)
        for c in 0..<n { for r in 0..<filled { b[c * wider + r] = a[c * capacity + r] } }
        a = b
        capacity = wider
    }

    /// QR of the filled rows in place; R in the top min(filled, n) rows.
    private mutating func factor() throws {
        guard !factored, filled > 0 else { return }
        var m = Int32(filled), nn = Int32(n), lda = Int32(capacity), info: Int32 = 0
        var tau = [Double](repeating: 0, count: min(filled, n))
        var lwork: Int32 = -1
        var query = 0.0
        dgeqrf_(&m, &nn, &a, &lda, &tau, &query, &lwork, &info)
        try LinearAlgebraError.check("dgeqrf", info: info)
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&m, &nn, &a, &lda, &tau, &work, &lwork, &info)
        try LinearAlgebraError.check("dgeqrf", info: info)
        let kept = min(filled, n)
        for c in 0..<n { for r in (min(c + 1, kept))..<filled { a[c * capacity + r] = 0 } }
        filled = kept
        factored = true
    }

    /// R of every row appended, packed (`PackedTriangle`).
    mutating func packedFactor() throws -> [Double] {
        try factor()
        var out = [Double](repeating: 0, count: PackedTriangle.count(n))
        var k = 0
        for c in 0..<n {
            for r in 0...c {
                if r < filled { out[k] = a[c * capacity + r] }
                k += 1
            }
        }
        a = []
        return out
    }
}
