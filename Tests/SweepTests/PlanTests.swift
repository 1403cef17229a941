import XCTest
import MTP
@testable import Sweep

final class PlanTests: XCTestCase {
    func testLevelRangesAndLists() throws {
        XCTAssertEqual(try Plan.levels("8:24:2"), [8, 10, 12, 14, 16, 18, 20, 22, 24])
        XCTAssertEqual(try Plan.levels("8:12"), [8, 10, 12], "the default step is 2")
        XCTAssertEqual(try Plan.levels("16, 8,8"), [8, 16], "lists are sorted and deduplicated")
        XCTAssertThrowsError(try Plan.levels("24:8:2"))
        XCTAssertThrowsError(try Plan.levels("8:24:0"))
        XCTAssertThrowsError(try Plan.levels("30"))
        XCTAssertThrowsError(try Plan.levels("8,x"))
    }

    func testIterationLimitsByLevel() throws {
        XCTAssertEqual(try Plan.iterationLimits("16=25"), [16: 25])
        XCTAssertEqual(try Plan.iterationLimits(" 20 = 40,16=25"), [16: 25, 20: 40])
        XCTAssertEqual(Plan.iterationLimitsText([20: 40, 16: 25]), "16=25,20=40")
        XCTAssertEqual(try Plan.iterationLimits(Plan.iterationLimitsText([8: 1, 24: 300])), [8: 1, 24: 300])
        for bad in ["16", "16=0", "30=5", "16=25,16=30", "x=3", "16=2.5", ""] {
            XCTAssertThrowsError(try Plan.iterationLimits(bad), bad) {
                XCTAssertTrue("\($0)".contains("--max-iter-at"), "\($0)")
            }
        }
    }

    func testCutoffs() throws {
        XCTAssertEqual(try Plan.cutoffs("8.2,5.2,6.5", minDist: 1.8), [5.2, 6.5, 8.2])
        XCTAssertThrowsError(try Plan.cutoffs("1.5,5", minDist: 1.8), "a cutoff below the min distance")
        XCTAssertThrowsError(try Plan.cutoffs("5.001,5.002", minDist: 1.8), "cutoffs with the same name")
        XCTAssertThrowsError(try Plan.cutoffs("five", minDist: 1.8))
    }

    func testGridSizesAndCosts() throws {
        let grid = try Plan.grid(levels: [4, 8], cutoffs: [4.0, 5.0], speciesCount: 2, radialBasisSize: 8, minDist: 0.5)
        XCTAssertEqual(grid.map(\.spec.name), ["L04-c4.00", "L04-c5.00", "L08-c4.00", "L08-c5.00"])
        for p in grid {
            let pot = try Potential.untrained(level: p.spec.level, speciesCount: 2, minDist: 0.5, maxDist: p.spec.cutoff)
            XCTAssertEqual(p.parameterCount, pot.parameterCount)
            XCTAssertEqual(p.basisSize, pot.basis.scalarCount)
        }
        // Larger level or cutoff costs more; the cutoff enters as its cube.
        XCTAssertLessThan(grid[0].estimatedCost, grid[2].estimatedCost)
        XCTAssertEqual(grid[1].estimatedCost / grid[0].estimatedCost, 125.0 / 64.0, accuracy: 1e-12)
    }

    /// The shared constructor is what `mtp basis` writes.
    func testUntrainedPotentialMatchesBasisDefaults() throws {
        let pot = try Potential.untrained(level: 8, speciesCount: 1, minDist: 2, maxDist: 5)
        XCTAssertEqual(pot.radialBasisSize, 8)
        XCTAssertEqual(pot.radialCoeffs, Potential.defaultRadialCoeffs(speciesCount: 1, radialFuncsCount: pot.radialFuncsCount, radialBasisSize: 8))
        XCTAssertNil(try Potential.untrained(level: 8, speciesCount: 1, minDist: 2, maxDist: 5, radialCoeffs: false).radialCoeffs)
        XCTAssertThrowsError(try Potential.untrained(level: 16, speciesCount: 1, minDist: 2, maxDist: 5, radialFuncsCount: 1))
    }
}
