import Foundation
import Atomistic
@testable import Assyst

/// A cubic INTMIN crystal as the series stages receive it: `atoms` atoms in a
/// row along x, energy per atom (nil: unlabelled), and the identity features
/// ASSYST writes (crystal key, detected space group, relaxation steps), for
/// the tests of `LowestCrystals` and the series built from its choice.
func relaxedCrystal(_ key: String, a: Double, atoms: Int = 1, energyPerAtom: Double?, group: String = "225") -> Configuration {
    var c = Configuration(cell: [Vec3(a, 0, 0), Vec3(0, a, 0), Vec3(0, 0, a)], pbc: Periodicity(true, true, true),
                          species: Array(repeating: 0, count: atoms),
                          positions: (0..<atoms).map { Vec3(Double($0) * a / Double(atoms), 0, 0) })
    c.energy = energyPerAtom.map { $0 * Double(atoms) }
    c.group = AssystStage.intmin.rawValue
    c.setFeature(AssystFeature.crystal, key)
    c.setFeature(AssystFeature.detectedGroup, group)
    c.setFeature(AssystFeature.steps, "12")
    return c
}
