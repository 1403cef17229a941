import XCTest
@testable import Parallel

final class BlockLayoutTests: XCTestCase {
    /// Ranks holding 5, 0, 3 and 9 items, blocks of 4: block 1 = items 4-7
    /// is owned by rank 0 (item 4) and completed by rank 2 (items 5-7); the
    /// empty rank 1 takes no part.
    func testOwnersHeadsAndContributors() {
        let layouts = (0..<4).map { BlockLayout(counts: [5, 0, 3, 9], blockSize: 4, rank: $0) }
        let l = layouts[0]
        XCTAssertEqual(l.itemCount, 17)
        XCTAssertEqual(l.blockCount, 5)
        XCTAssertEqual(l.levels, 3)
        XCTAssertEqual((0..<5).map { l.owner(of: $0) }, [0, 0, 3, 3, 3])
        XCTAssertEqual(l.contributors(to: 1), [2])
        XCTAssertEqual(l.contributors(to: 0), [])
        XCTAssertEqual(l.contributors(to: 2), [])
        XCTAssertEqual(layouts.map { $0.ownedBlocks }, [0..<2, 2..<2, 2..<2, 2..<5])
        XCTAssertEqual(layouts.map { $0.headItems.count }, [0, 0, 3, 0])
        XCTAssertEqual(layouts[2].headItems, 5..<8)
        XCTAssertEqual(l.items(of: 4), 16..<17)
        XCTAssertEqual(l.holder(of: 5), 2)
        XCTAssertEqual(BlockLayout(counts: [3], blockSize: 8, rank: 0).levels, 0)
        XCTAssertEqual(BlockLayout(counts: [0, 0], blockSize: 1, rank: 1).blockCount, 0)
    }

    /// On one rank the reduction is the fixed binary tree over block index:
    /// ((b0 b1)(b2 b3))(b4), left to right.
    func testSingleRankTreeOrder() throws {
        let comm = Communicator.start()
        guard comm.size == 1 else { return }
        let layout = BlockLayout(counts: [5], blockSize: 1, rank: 0)
        let result = try BlockTree.reduce(layout, communicator: comm, head: { [0] },
                                          leaf: { k, pieces in XCTAssertTrue(pieces.isEmpty); return [Double(k)] },
                                          combine: { l, r in [l[0] * 10 + r[0] + 100] })
        // (0 1) -> 101, (2 3) -> 123, (101 123) -> 1010+123+100 = 1233, (1233 4) -> 12330+4+100
        XCTAssertEqual(result, [12434])
    }

    /// A failing leaf ends the reduction with the leaf's error, not a hang.
    func testFailureIsThrown() {
        let comm = Communicator.start()
        guard comm.size == 1 else { return }
        struct Broken: Error, CustomStringConvertible { var description: String { "block 2 broke" } }
        let layout = BlockLayout(counts: [4], blockSize: 1, rank: 0)
        XCTAssertThrowsError(try BlockTree.reduce(layout, communicator: comm, head: { [0] },
                                                  leaf: { k, _ in if k == 2 { throw Broken() }; return [1] },
                                                  combine: { [$0[0] + $1[0]] })) { error in
            XCTAssertEqual("\(error)", "block 2 broke")
        }
    }
}
