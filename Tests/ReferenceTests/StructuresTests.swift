import XCTest
import Atomistic
import Structures

/// Lattices and supercell edits: atom counts, nearest-neighbour distances,
/// volumes, and that edits keep what they should.
final class StructuresTests: XCTestCase {
    func nearest(_ c: Configuration) throws -> Double {
        let list = try NeighborList(c, cutoff: 6)
        return list.distance.min()!
    }

    func testLatticesHaveTheirTextbookGeometry() throws {
        let a = 3.2
        let hcp = Lattice.hcp(a: a, cOverA: (8.0 / 3).squareRoot()).unitCell(species: 2)
        XCTAssertEqual(hcp.atomCount, 2)
        XCTAssertEqual(hcp.species, [2, 2])
        XCTAssertEqual(try nearest(hcp), a, accuracy: 1e-12)
        XCTAssertEqual(hcp.volume, 2.0.squareRoot() * a * a * a, accuracy: 1e-9)  // ideal close packing: a^3/sqrt(2) per atom
        // 12 nearest neighbours at a in ideal hcp.
        let list = try NeighborList(hcp, cutoff: a * 1.01)
        XCTAssertEqual(list.offsets[1] - list.offsets[0], 12)

        let dhcp = Lattice.dhcp(a: a, cOverA: 2 * (8.0 / 3).squareRoot()).unitCell()
        XCTAssertEqual(dhcp.atomCount, 4)
        XCTAssertEqual(try nearest(dhcp), a, accuracy: 1e-12)
        XCTAssertEqual(dhcp.volume / 4, hcp.volume / 2, accuracy: 1e-9)

        let fcc = Lattice.fcc(a: 4).unitCell()
        XCTAssertEqual(fcc.atomCount, 4)
        XCTAssertEqual(try nearest(fcc), 4 / 2.0.squareRoot(), accuracy: 1e-12)
        let bcc = Lattice.bcc(a: 3).unitCell()
        XCTAssertEqual(bcc.atomCount, 2)
        XCTAssertEqual(try nearest(bcc), 3 * 3.0.squareRoot() / 2, accuracy: 1e-12)
        for l in [Lattice.hcp(a: 1, cOverA: 1.6), .dhcp(a: 1, cOverA: 3.2), .fcc(a: 1), .bcc(a: 1)] {
            XCTAssertEqual(l.unitCell().atomCount, l.atomsPerCell)
        }
    }

    func testSupercellVacancyAndDeformation() throws {
        var base = Lattice.hcp(a: 3.2, cOverA: 1.62).unitCell()
        base.energy = -3; base.group = "bulk"
        let big = base.supercell(6, 6, 4)
        XCTAssertEqual(big.atomCount, 288)
        XCTAssertEqual(big.volume, 144 * base.volume, accuracy: 1e-8)
        XCTAssertNil(big.energy)
        XCTAssertEqual(big.group, "bulk")
        XCTAssertEqual(big.positions[1], base.positions[1])
        XCTAssertEqual(try nearest(big), try nearest(base), accuracy: 1e-12)

        let vacancy = big.removingAtom(at: 5)
        XCTAssertEqual(vacancy.atomCount, 287)
        XCTAssertEqual(vacancy.positions[5], big.positions[6])
        XCTAssertEqual(vacancy.cell, big.cell)

        // x' = F x for positions and cell rows; fractional coordinates kept.
        let f = [Vec3(1.1, 0.2, 0), Vec3(0, 0.9, 0.1), Vec3(0.05, 0, 1.2)]
        let d = base.deformed(by: f)
        let det = 1.1 * (0.9 * 1.2 - 0) - 0.2 * (0 - 0.1 * 0.05)
        XCTAssertEqual(d.volume, base.volume * det, accuracy: 1e-9)
        XCTAssertEqual(d.positions[0].x, 1.1 * base.positions[0].x + 0.2 * base.positions[0].y, accuracy: 1e-12)
        XCTAssertEqual(d.cell[2].z, 1.2 * base.cell[2].z, accuracy: 1e-12)
        XCTAssertEqual(d.cell[0].z, 0.05 * base.cell[0].x, accuracy: 1e-12)
    }
}
