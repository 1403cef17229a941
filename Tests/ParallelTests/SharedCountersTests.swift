import XCTest
@testable import Parallel

final class SharedCountersTests: XCTestCase {
    /// Counters start at zero, return their value before each addition, and
    /// are independent of each other; the quiet barrier returns.
    func testFetchAddOnOneRank() throws {
        let comm = Communicator.start()
        let c = try XCTUnwrap(SharedCounters.make(count: 2, holder: 0, comm: comm))
        XCTAssertEqual(c.fetchAdd(0, 1), 0)
        XCTAssertEqual(c.fetchAdd(0, 1), 1)
        XCTAssertEqual(c.fetchAdd(1, 2500), 0)
        XCTAssertEqual(c.fetchAdd(1, -500), 2500)
        XCTAssertEqual(c.value(0), 2)
        XCTAssertEqual(c.value(1), 2000)
        comm.quietBarrier()
        c.free()
    }
}
