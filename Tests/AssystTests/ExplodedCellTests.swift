import XCTest
import Atomistic
@testable import Assyst

/// The rule that drops relaxed cells that fell apart (issue 20: one such
/// structure set the maximum error of every group of the seed study).
final class ExplodedCellTests: XCTestCase {
    // Mg's atomic volume: fcc nearest neighbours at 3.19 A, radius 4.78 A.
    let rule = ExplodedCellRule(atomicVolume: 22.87)

    func box(_ a: Double, _ b: Double, _ c: Double) -> [Vec3] { [Vec3(a, 0, 0), Vec3(0, b, 0), Vec3(0, 0, c)] }

    func testRadiusFromAtomicVolume() {
        XCTAssertEqual(rule.radius, 1.5 * pow(4 * 22.87, 1.0 / 3) / 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(rule.radius, 4.779, accuracy: 1e-3)
    }

    func testBulkCrystalsAreKept() {
        let a = pow(4 * 22.87, 1.0 / 3)
        let fcc = Configuration(cell: box(a, a, a), pbc: .all, species: [0, 0, 0, 0],
                                positions: [.zero, Vec3(0, a / 2, a / 2), Vec3(a / 2, 0, a / 2), Vec3(a / 2, a / 2, 0)])
        XCTAssertNil(rule.isolatedAtom(in: fcc))
        // One atom per cell: its own images are its neighbours.
        let sc = Configuration(cell: box(2.84, 2.84, 2.84), pbc: .all, species: [0], positions: [.zero])
        XCTAssertNil(rule.isolatedAtom(in: sc))
    }

    func testMonolayerWithVacuumIsKept() {
        // A square layer at 3.2 A spacing with 12 A of vacuum: 4 neighbours at 3.2 A, 4 at 4.5 A.
        let layer = Configuration(cell: box(3.2, 3.2, 15), pbc: .all, species: [0], positions: [.zero])
        XCTAssertNil(rule.isolatedAtom(in: layer))
    }

    func testIsolatedAtomAndDimerAreFlagged() {
        let lone = Configuration(cell: box(3.2, 3.2, 15), pbc: .all, species: [0, 0],
                                 positions: [.zero, Vec3(1.6, 1.6, 7.5)])
        XCTAssertNil(rule.isolatedAtom(in: lone), "both atoms have in-plane images")
        // A cell stretched along x and y keeps only the atom's images along z, two of them.
        let chain = Configuration(cell: box(12, 12, 3.0), pbc: .all, species: [0], positions: [.zero])
        XCTAssertNil(rule.isolatedAtom(in: chain))
        // A dimer in a box: one neighbour each.
        let dimer = Configuration(cell: box(12, 12, 12), pbc: .all, species: [0, 0], positions: [.zero, Vec3(3, 0, 0)])
        XCTAssertEqual(rule.isolatedAtom(in: dimer)?.atom, 0)
        XCTAssertEqual(rule.isolatedAtom(in: dimer)?.neighbours, 1)
        // A crystal whose cell exploded along z, leaving one atom far from the others.
        let exploded = Configuration(cell: box(3.2, 3.2, 40), pbc: .all, species: [0, 0, 0],
                                     positions: [.zero, Vec3(1.6, 1.6, 2.3), Vec3(0, 0, 20)])
        XCTAssertNil(rule.isolatedAtom(in: exploded), "in-plane images keep the far atom's count at 8")
        let far = Configuration(cell: box(8, 8, 40), pbc: .all, species: [0, 0, 0],
                                positions: [.zero, Vec3(3, 0, 0), Vec3(0, 0, 20)])
        XCTAssertEqual(rule.isolatedAtom(in: far)?.atom, 0, "a dimer and a lone atom")
        XCTAssertEqual(rule.isolatedAtom(in: far)?.neighbours, 1)
    }

    func testReasonNamesTheRule() {
        XCTAssertTrue(rule.reason.contains("exploded cell"))
        XCTAssertTrue(rule.reason.contains("4.78 A"))
    }
}
