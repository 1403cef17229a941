import XCTest
@testable import Fitting

final class SmallLinearAlgebraTests: XCTestCase {
    func testSingularValuesLargestFirst() throws {
        // Column-major diag(3, 1, 2).
        let s = try SmallLinearAlgebra.singularValues([3, 0, 0, 0, 1, 0, 0, 0, 2], n: 3)
        XCTAssertEqual(s[0], 3, accuracy: 1e-14)
        XCTAssertEqual(s[1], 2, accuracy: 1e-14)
        XCTAssertEqual(s[2], 1, accuracy: 1e-14)
    }

    func testPseudoSolveDropsDirectionsBelowTheCutoff() throws {
        // diag(4, 1e-20): the second direction is below 1e-13 of the first.
        let (x, cond) = try SmallLinearAlgebra.pseudoSolve([4, 0, 0, 1e-20], n: 2, [8, 1], cutoff: 1e-13)
        XCTAssertEqual(x[0], 2, accuracy: 1e-14)
        XCTAssertEqual(x[1], 0)
        XCTAssertEqual(cond, 4e20, accuracy: 1e6)
    }

    /// A zero matrix is an answer, not a LAPACK failure: x = 0 and an
    /// infinite condition number.
    func testPseudoSolveOfZeroMatrixIsZeroWithInfiniteCondition() throws {
        let (x, cond) = try SmallLinearAlgebra.pseudoSolve([0, 0, 0, 0], n: 2, [1, 1], cutoff: 1e-13)
        XCTAssertEqual(x, [0, 0])
        XCTAssertEqual(cond, .infinity)
    }
}
