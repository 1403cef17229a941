import XCTest
import Foundation
import Atomistic
@testable import Assyst

/// Which relaxed crystals the series stages start from.
final class LowestCrystalsTests: XCTestCase {
    func crystal(_ key: String, a: Double, atoms: Int = 1, energyPerAtom: Double?, group: String = "225") -> Configuration {
        var c = Configuration(cell: [Vec3(a, 0, 0), Vec3(0, a, 0), Vec3(0, 0, a)], pbc: Periodicity(true, true, true),
                              species: Array(repeating: 0, count: atoms),
                              positions: (0..<atoms).map { Vec3(Double($0) * a / Double(atoms), 0, 0) })
        c.energy = energyPerAtom.map { $0 * Double(atoms) }
        c.group = AssystStage.intmin.rawValue
        c.setFeature(AssystFeature.crystal, key)
        c.setFeature(AssystFeature.detectedGroup, group)
        return c
    }

    /// Lowest energy per atom first; the same crystal found twice (energy
    /// and volume per atom within tolerance) counts once; unlabelled ones
    /// are passed over; ties keep input order.
    func testPicksTheLowestDistinctCrystals() {
        let relaxed = [
            crystal("a", a: 3.0, energyPerAtom: -1.2),
            crystal("b", a: 3.2, atoms: 2, energyPerAtom: -1.5, group: "194"),
            crystal("b-again", a: 3.2, atoms: 2, energyPerAtom: -1.49999999, group: "194"),
            crystal("c", a: 3.1, energyPerAtom: -1.4),
            crystal("unlabelled", a: 3.3, energyPerAtom: nil),
            crystal("same energy, other volume", a: 3.5, atoms: 2, energyPerAtom: -1.5, group: "194"),
            // 0.3 % more volume: relaxed to a looser tolerance, the same crystal.
            crystal("b, looser", a: 3.2 * pow(1.003, 1.0 / 3), atoms: 2, energyPerAtom: -1.49999, group: "194"),
            crystal("not finite", a: 3.0, energyPerAtom: -.infinity),
        ]
        XCTAssertEqual(LowestCrystals.distinct(relaxed, count: 3).map { $0.feature(AssystFeature.crystal) },
                       ["b", "same energy, other volume", "c"])
        XCTAssertEqual(LowestCrystals.distinct(relaxed, count: 10).count, 4)
        XCTAssertTrue(LowestCrystals.distinct(relaxed, count: 0).isEmpty)
        XCTAssertTrue(LowestCrystals.distinct(relaxed, count: -1).isEmpty)
    }

    /// The same crystal detected in another space group (fcc as 225 and as
    /// 139 in the Mg set) is still the same crystal; a crystal 0.5 meV/atom
    /// apart at the same volume (a different stacking) is not.
    func testTheDetectedGroupDoesNotMakeACrystalDistinct() {
        let relaxed = [
            crystal("fcc", a: 3.2, atoms: 2, energyPerAtom: -1.5, group: "225"),
            crystal("fcc, found as 139", a: 3.2 * pow(1.0014, 1.0 / 3), atoms: 2, energyPerAtom: -1.49999, group: "139"),
            crystal("other stacking", a: 3.2, atoms: 4, energyPerAtom: -1.4995, group: "166"),
            crystal("bcc", a: 3.1, energyPerAtom: -1.49, group: "229"),
        ]
        XCTAssertEqual(LowestCrystals.distinct(relaxed, count: 3).map { $0.feature(AssystFeature.crystal) },
                       ["fcc", "other stacking", "bcc"])
    }
}
