import XCTest
@testable import Parallel

/// The message layer on one rank (scripts/test-mpi.sh runs the commands
/// built on it under several ranks).
final class MessagesTests: XCTestCase {
    struct Payload: Codable, Equatable { var name: String; var values: [Double] }

    func testBytesStringsAndCodableRoundTrip() throws {
        let comm = Communicator.start()
        XCTAssertEqual(comm.broadcast(bytes: [1, 2, 255]), [1, 2, 255])
        XCTAssertEqual(comm.allGather(bytes: [7, 8]), [[7, 8]])
        XCTAssertEqual(comm.scatter(bytes: [[3, 4, 5]]), [3, 4, 5])
        XCTAssertEqual(comm.broadcast("Cu,Ag \u{00e5}"), "Cu,Ag \u{00e5}")
        XCTAssertEqual(comm.allGather("x"), ["x"])
        let p = Payload(name: "fit", values: [0.1, 1e-300, -2.5e17, 1.0 / 3])
        XCTAssertEqual(try comm.broadcast(p), p)
        XCTAssertEqual(try comm.allGather(p), [p])
    }

    func testCollectiveFailureCarriesTheMessage() {
        let comm = Communicator.start()
        struct Oops: Error, CustomStringConvertible { var description: String { "file.cfg:3: bad number" } }
        XCTAssertThrowsError(try Collective.together(comm) { throw Oops() }) { error in
            XCTAssertEqual("\(error)", "file.cfg:3: bad number")
        }
        XCTAssertEqual(try Collective.together(comm) { 42 }, 42)
        XCTAssertEqual(try Collective.fromRoot(comm) { "root" }, "root")
        XCTAssertNil(Collective.firstFailure(nil, comm))
    }
}
