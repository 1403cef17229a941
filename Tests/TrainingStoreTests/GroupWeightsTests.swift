import XCTest
import Atomistic
@testable import TrainingStore

final class GroupWeightsTests: XCTestCase {
    func shard() -> DataShard {
        var configs: [Configuration] = []
        for (g, w) in [("TRIAX", 2.0), ("SHEAR", 1.0), ("VOLMIN", 1.0)] {
            var c = Configuration(cell: [Vec3(3, 0, 0), Vec3(0, 3, 0), Vec3(0, 0, 3)], pbc: .all, species: [0], positions: [.zero])
            c.group = g; c.energyWeight = w; c.forceWeight = w; c.virialWeight = w
            configs.append(c)
        }
        configs.append(Configuration(cell: [Vec3(3, 0, 0), Vec3(0, 3, 0), Vec3(0, 0, 3)], pbc: .all, species: [0], positions: [.zero]))
        return DataShard(configurations: configs, fileIndices: [0, 1, 2, 3], species: ["Mg"], groups: ["TRIAX", "SHEAR", "VOLMIN"],
                         range: 0..<4, ranges: [0..<4], cost: 4, fileConfigurations: 4)
    }

    func testParseAndDescription() throws {
        let w = try GroupWeights(parsing: "TRIAX=0.2, SHEAR = 0.5")
        XCTAssertEqual(w.factors, ["TRIAX": 0.2, "SHEAR": 0.5])
        XCTAssertEqual(w.description, "SHEAR=0.5,TRIAX=0.2")
    }

    func testMalformedValuesAreRefused() {
        for bad in ["", "TRIAX", "TRIAX=", "=0.2", "TRIAX=-1", "TRIAX=nan", "TRIAX=inf", "TRIAX=0.2,TRIAX=0.3", "TRIAX=1=2"] {
            XCTAssertThrowsError(try GroupWeights(parsing: bad), bad) { e in
                XCTAssertTrue("\(e)".contains("--group-weights"), "\(e)")
            }
        }
    }

    func testFactorsMultiplyTheStoredWeightsOfTheirGroupOnly() throws {
        var s = shard()
        try GroupWeights(parsing: "TRIAX=0.25,SHEAR=0").apply(to: &s, dataPath: "set.h5")
        XCTAssertEqual(s.configurations.map(\.energyWeight), [0.5, 0, 1, 1])
        XCTAssertEqual(s.configurations.map(\.forceWeight), [0.5, 0, 1, 1])
        XCTAssertEqual(s.configurations.map(\.virialWeight), [0.5, 0, 1, 1])
    }

    func testUnknownGroupNamesTheData() {
        var s = shard()
        XCTAssertThrowsError(try GroupWeights(parsing: "RATTLE=0.5").apply(to: &s, dataPath: "set.h5")) { e in
            XCTAssertTrue("\(e)".contains("set.h5"), "\(e)")
            XCTAssertTrue("\(e)".contains("RATTLE"), "\(e)")
        }
    }
}
