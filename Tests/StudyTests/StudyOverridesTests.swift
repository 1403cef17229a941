import XCTest
import Foundation
@testable import Study

/// The library's reading of a study request: a preset, the values given on
/// top of it, one message naming the option at fault.
final class StudyOverridesTests: XCTestCase {
    func testOverridesApplyOnTopOfThePreset() throws {
        var o = StudyOverrides(element: "Mg", atomicVolume: 22.87, calculator: "eam:Mg.eam.fs")
        let small = try o.configuration()
        XCTAssertEqual(small, try { () -> StudyConfiguration in
            var c = StudyScale.small.configuration(element: "Mg", atomicVolume: 22.87,
                                                   calculator: "eam:" + FileManager.default.currentDirectoryPath + "/Mg.eam.fs")
            c.figureLevels = c.figureLevels.filter { c.levels.contains($0) }
            return c
        }())
        o.scale = "paper"
        o.levels = "20:24:4"; o.cutoffs = "8.2"; o.subsets = "EVERYTHING"; o.maxIterations = 7
        o.phononStructures = 3; o.phononSoftModes = 2; o.groupWeights = "PHONON=10"; o.energyWeights = "kT=0.1,floor=0.01"
        o.spaceGroups = "194,225-229"; o.validation = "quick"
        let c = try o.configuration()
        XCTAssertEqual(c.levels, [20, 24])
        XCTAssertEqual(c.cutoffs, [8.2])
        XCTAssertEqual(c.subsets, ["EVERYTHING"])
        XCTAssertEqual(c.maxIterations, 7)
        XCTAssertEqual(c.phononStructures, 3)
        XCTAssertEqual(c.phononSoftModes, 2)
        XCTAssertEqual(c.spaceGroups, [194, 225, 226, 227, 228, 229])
        XCTAssertTrue(c.quickValidation)
        XCTAssertNil(c.grow, "off unless asked for, as in studies of before")
        o.grow = true
        XCTAssertEqual(try o.configuration().grow, true)
        o.grow = false
        XCTAssertNil(c.maxIterationsAt)
        o.maxIterationsAt = "20=5, 16=3"
        XCTAssertEqual(try o.configuration().maxIterationsAt, "16=3,20=5")
        o.maxIterationsAt = "16"
        XCTAssertThrowsError(try o.configuration())
        o.maxIterationsAt = nil
        // The paper preset's Fig. 14 levels (16, 24) kept where the study has them.
        XCTAssertEqual(c.figureLevels, [24])
        o.figureLevels = "20"
        XCTAssertEqual(try o.configuration().figureLevels, [20])
        // An absolute calculator file stays as given.
        o.calculator = "eam:/abs/Mg.eam.fs"
        XCTAssertEqual(try o.configuration().calculator, "eam:/abs/Mg.eam.fs")
    }

    func testEachBadValueNamesItsOption() {
        let base = StudyOverrides(element: "Mg", atomicVolume: 22.87, calculator: "eam:/x.fs")
        for (edit, option) in [({ (o: inout StudyOverrides) in o.scale = "huge" }, "--scale"),
                               ({ $0.spaceGroups = "0" }, "--space-groups"),
                               ({ $0.validation = "slow" }, "--validation"),
                               ({ $0.figureLevels = "a,b" }, "--figure-levels"),
                               ({ $0.phononSoftModes = 2 }, "--phonon-soft-modes needs --phonon-structures"),
                               ({ $0.levels = "30" }, "--levels")] {
            var o = base
            edit(&o)
            XCTAssertThrowsError(try o.configuration()) { XCTAssertTrue("\($0)".contains(option), "\(option): \($0)") }
        }
    }
}
