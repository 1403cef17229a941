import XCTest
@testable import Validation

/// Curve errors with and without the constant offset, and the warning when
/// one point dominates (issue 20 item 4).
final class CurveErrorsTests: XCTestCase {
    func testOffsetIsRemovedAndRMSEIsKept() throws {
        let ref = [10.0, 5, 0, 5, 10]
        let pot = ref.map { $0 + 25 }                  // the energy zero differs by 25
        let e = try XCTUnwrap(CurveErrors(pot, ref))
        XCTAssertEqual(e.rmse, 25, accuracy: 1e-12)
        XCTAssertEqual(e.offsetFreeRMSE, 0, accuracy: 1e-12)
        XCTAssertNil(e.dominanceWarning(unit: "meV/atom"), "an offset spreads over every point")
    }

    func testOffsetFreeRMSEByHand() throws {
        // Differences 1, -1, 3, 1: mean 1, deviations 0, -2, 2, 0.
        let e = try XCTUnwrap(CurveErrors([1, -1, 3, 1], [0, 0, 0, 0]))
        XCTAssertEqual(e.rmse, (12.0 / 4).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(e.offsetFreeRMSE, (8.0 / 4).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(e.worst, 2)
        XCTAssertEqual(e.worstShare, 9.0 / 12, accuracy: 1e-12)
    }

    func testOneExtrapolatedPointIsFlagged() throws {
        let ref = [0.0, 0, 0, 0, 0, 0, 0]
        let pot = [2000.0, 1, -1, 0, 1, -1, 0]          // the first point blew up
        let e = try XCTUnwrap(CurveErrors(pot, ref))
        let w = try XCTUnwrap(e.dominanceWarning(unit: "meV/atom"))
        XCTAssertTrue(w.contains("one point (1 of 7)"), w)
        XCTAssertTrue(w.contains("100%"), w)
    }

    func testUnusableCurvesGiveNil() {
        XCTAssertNil(CurveErrors([1, 2], [1]))
        XCTAssertNil(CurveErrors([1, .nan], [1, 2]))
        XCTAssertNil(CurveErrors([], []))
    }
}
