import XCTest
@testable import Parallel

final class CommunicatorTests: XCTestCase {
    /// A singleton MPI job (no mpirun) is one rank whose reductions are the identity.
    func testSingletonReductions() {
        let comm = Communicator.start()
        XCTAssertEqual(comm.size, 1)
        XCTAssertEqual(comm.rank, 0)
        var v = [1.5, -2.0]
        comm.allReduceSum(&v)
        XCTAssertEqual(v, [1.5, -2.0])
        XCTAssertEqual(comm.allGatherOrdered([3, 4]), [3, 4])
        XCTAssertEqual(comm.allReduceMax(7), 7)
    }
}
