import XCTest
import Foundation
import Atomistic
@testable import Assyst

/// Which relaxed crystals the series stages start from.
final class LowestCrystalsTests: XCTestCase {
    /// Lowest energy per atom first; the same crystal found twice (energy
    /// and volume per atom within tolerance) counts once; unlabelled ones
    /// are passed over; ties keep input order.
    func testPicksTheLowestDistinctCrystals() {
        let relaxed = [
            relaxedCrystal("a", a: 3.0, energyPerAtom: -1.2),
            relaxedCrystal("b", a: 3.2, atoms: 2, energyPerAtom: -1.5, group: "194"),
            relaxedCrystal("b-again", a: 3.2, atoms: 2, energyPerAtom: -1.49999999, group: "194"),
            relaxedCrystal("c", a: 3.1, energyPerAtom: -1.4),
            relaxedCrystal("unlabelled", a: 3.3, energyPerAtom: nil),
            relaxedCrystal("same energy, other volume", a: 3.5, atoms: 2, energyPerAtom: -1.5, group: "194"),
            // 0.3 % more volume: relaxed to a looser tolerance, the same crystal.
            relaxedCrystal("b, looser", a: 3.2 * pow(1.003, 1.0 / 3), atoms: 2, energyPerAtom: -1.49999, group: "194"),
            relaxedCrystal("not finite", a: 3.0, energyPerAtom: -.infinity),
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
            relaxedCrystal("fcc", a: 3.2, atoms: 2, energyPerAtom: -1.5, group: "225"),
            relaxedCrystal("fcc, found as 139", a: 3.2 * pow(1.0014, 1.0 / 3), atoms: 2, energyPerAtom: -1.49999, group: "139"),
            relaxedCrystal("other stacking", a: 3.2, atoms: 4, energyPerAtom: -1.4995, group: "166"),
            relaxedCrystal("bcc", a: 3.1, energyPerAtom: -1.49, group: "229"),
        ]
        XCTAssertEqual(LowestCrystals.distinct(relaxed, count: 3).map { $0.feature(AssystFeature.crystal) },
                       ["fcc", "other stacking", "bcc"])
    }
}
