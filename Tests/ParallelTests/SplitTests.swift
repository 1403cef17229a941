import XCTest
@testable import Parallel

final class SplitTests: XCTestCase {
    /// A singleton job split by one color is a one-rank communicator whose
    /// collectives work; an undefined color gives none.
    func testSingletonSplit() throws {
        let world = Communicator.start()
        let sub = try XCTUnwrap(world.split(color: 3, key: 0))
        XCTAssertEqual(sub.size, 1)
        XCTAssertEqual(sub.rank, 0)
        XCTAssertEqual(sub.allGatherOrdered([1, 2]), [1, 2])
        sub.free()
        XCTAssertNil(world.split(color: nil, key: 0))
    }
}
