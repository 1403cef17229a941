import XCTest
import Atomistic

final class LinearAlgebraErrorTests: XCTestCase {
    func testZeroInfoPassesAndDoesNotEvaluateTheMeaning() throws {
        var evaluated = false
        func meaning() -> String { evaluated = true; return "unused" }
        try LinearAlgebraError.check("dgesvd", info: 0, meaning: meaning())
        XCTAssertFalse(evaluated)
    }

    func testPositiveInfoThrowsWithTheCallersMeaning() {
        XCTAssertThrowsError(try LinearAlgebraError.check("dgetrf", info: 3, meaning: "pivot 3 is zero")) { e in
            XCTAssertEqual(e as? LinearAlgebraError, LinearAlgebraError(routine: "dgetrf", info: 3, meaning: "pivot 3 is zero"))
            XCTAssertEqual("\(e)", "pivot 3 is zero")
        }
        XCTAssertThrowsError(try LinearAlgebraError.check("zheev", info: 2)) { e in
            XCTAssertEqual("\(e)", "zheev failed (info 2)")
        }
    }

    func testNegativeInfoNamesTheIllegalArgumentWhateverTheMeaning() {
        XCTAssertThrowsError(try LinearAlgebraError.check("dgeqrf", info: -4, meaning: "not this")) { e in
            XCTAssertEqual((e as? LinearAlgebraError)?.info, -4)
            XCTAssertEqual("\(e)", "dgeqrf: argument 4 had an illegal value")
        }
    }
}
