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

    /// The triangular estimate: exact for a diagonal matrix (1-norm
    /// condition 100), within a factor n of the exact 2-norm ratio for a
    /// full triangle, infinite when singular.
    func testTriangularConditionEstimate() throws {
        let diag = [1.0, 0, 0, 0, 10, 0, 0, 0, 100]
        XCTAssertEqual(try SmallLinearAlgebra.triangularConditionEstimate(diag, n: 3), 100, accuracy: 1e-9)
        let n = 40
        var a = [Double](repeating: 0, count: n * n)
        for c in 0..<n { for r in 0...c { a[c * n + r] = r == c ? Double(c + 1) : 0.3 * sin(Double(r * n + c)) } }
        let s = try SmallLinearAlgebra.singularValues(a, n: n)
        let exact = s[0] / s[n - 1]
        let estimate = try SmallLinearAlgebra.triangularConditionEstimate(a, n: n)
        XCTAssertGreaterThan(estimate, exact / Double(n))
        XCTAssertLessThan(estimate, exact * Double(n))
        a[5 * n + 5] = 0
        XCTAssertEqual(try SmallLinearAlgebra.triangularConditionEstimate(a, n: n), .infinity)
    }
}
