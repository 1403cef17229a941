import XCTest
import Atomistic
@testable import Fitting
@testable import Parallel

/// The factor tree's parts: packed triangles, the in-place leaf QR (also
/// when a block has more than 2n rows and is folded), the reduction on one
/// rank against one QR of every row, and its memory bound's terms.
final class FactorTreeTests: XCTestCase {
    func rows(_ count: Int, _ n: Int, seed: UInt64) -> [[Double]] {
        var g = SplitMix64(seed: seed)
        return (0..<count).map { _ in (0..<n).map { _ in g.uniform(-1, 1) } }
    }

    /// R^T R of a column-major n x n triangle.
    func gram(_ r: [Double], _ n: Int) -> [Double] {
        var g = [Double](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n { for i in 0...min(a, b) { g[a * n + b] += r[a * n + i] * r[b * n + i] } } }
        return g
    }

    func testPackedTriangleRoundTrip() {
        let n = 5
        let full = (0..<(n * n)).map { Double($0) }
        let packed = PackedTriangle.pack(full, columns: n)
        XCTAssertEqual(packed.count, 15)
        XCTAssertEqual(Array(packed.prefix(6)), [0, 5, 6, 10, 11, 12])
        let back = PackedTriangle.unpack(packed, columns: n)
        for c in 0..<n { for r in 0..<n { XCTAssertEqual(back[c * n + r], r <= c ? full[c * n + r] : 0) } }
    }

    /// Blocks of fewer than n rows, about n, and more than 2n (folded in
    /// place) all give R with R^T R = A^T A; a miscounted block grows.
    func testInPlaceQRIsTheFactorOfItsRows() throws {
        let n = 7
        for (count, said) in [(3, 3), (9, 9), (40, 40), (12, 2)] {
            let a = rows(count, n, seed: UInt64(count))
            var qr = InPlaceQR(columns: n, rows: said)
            for r in a { try r.withUnsafeBufferPointer { try qr.append($0) } }
            let r = PackedTriangle.unpack(try qr.packedFactor(), columns: n)
            var want = [Double](repeating: 0, count: n * n)
            for row in a { for i in 0..<n { for j in 0..<n { want[i * n + j] += row[i] * row[j] } } }
            let got = gram(r, n)
            for k in want.indices { XCTAssertEqual(got[k], want[k], accuracy: 1e-12 * Double(count), "\(count) rows, entry \(k)") }
        }
    }

    /// On one rank, the tree over blocks of 2 items (3 rows each) is the
    /// factor of all rows, and the same bits every time; the head and
    /// pieces are exercised by scripts/test-mpi.sh and `mtp bench tree`.
    func testSingleRankReductionIsTheWholeFactor() throws {
        let comm = Communicator.start()
        guard comm.size == 1 else { return }
        let n = 6, items = 11
        let all = rows(items * 3, n, seed: 42)
        let layout = BlockLayout(counts: [items], blockSize: 2, rank: 0)
        func reduce() throws -> [Double] {
            try FactorTree.reduce(layout, columns: n, communicator: comm, rowCount: { $0.count * 3 }, rows: { range, body in
                for c in range { for k in 0..<3 { try all[c * 3 + k].withUnsafeBufferPointer { try body($0) } } }
            })
        }
        let r = try reduce()
        XCTAssertEqual(r, try reduce())
        var want = [Double](repeating: 0, count: n * n)
        for row in all { for i in 0..<n { for j in 0..<n { want[i * n + j] += row[i] * row[j] } } }
        let got = gram(r, n)
        for k in want.indices { XCTAssertEqual(got[k], want[k], accuracy: 1e-11, "entry \(k)") }
        for c in 0..<n { for i in (c + 1)..<n { XCTAssertEqual(r[c * n + i], 0) } }
    }

    /// The bound at the issue's point (n = 3000, 13 blocks of 3090 rows per
    /// rank, a head of up to one block): about 7.6 factors, under 1 GB.
    func testMemoryBoundAtTheIssuesPoint() {
        let f = 8.0 * 3000 * 3000
        let b = FactorTree.memoryBound(columns: 3000, blocks: 13, blockRows: 3090, headRows: 3090)
        XCTAssertEqual(b / f, 3 + 1 + 1.03 + 2.5, accuracy: 1e-9)
        XCTAssertLessThan(b, 1e9)
        // One block of 3n rows, no head: the leaf's 2n rows and the 3n received dominate.
        XCTAssertEqual(FactorTree.memoryBound(columns: 100, blocks: 1, blockRows: 300, headRows: 0) / (8e4), 1 + 5, accuracy: 1e-9)
    }
}
