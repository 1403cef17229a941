import Foundation
import Atomistic

/// The lowest-energy distinct relaxed crystals: which structures the series
/// stages (ELASTIC, EOS) are built from.
///
/// Why a rule of its own. ASSYST relaxes hundreds of random crystals, and
/// many relax to the same crystal: in the Mg set (1-4 atoms) hcp comes out
/// of three space groups' seeds, fcc of twelve, bcc of thirty. A series of
/// the K lowest structures would be K copies of hcp. Two structures are
/// taken for the same crystal when their energy per atom is within 0.1 meV
/// and their volume per atom within 0.5 % (relaxations stopped at their
/// tolerances leave the volume of one crystal 0.1-0.2 % apart). The space
/// group spglib detects is not part of the rule: at a tight tolerance the
/// same relaxed crystal is detected in several groups (fcc as 225, 139 and
/// 69; a body-centred tetragonal crystal as 139 and 71), which made an
/// earlier rule that also compared groups take fcc three times among the 14
/// lowest, and bcc not at all.
public enum LowestCrystals {
    /// Energy per atom (eV) and relative volume per atom within which two
    /// relaxed structures are the same crystal.
    public static let energyTolerance = 1e-4
    public static let volumeTolerance = 5e-3

    /// The `count` lowest-energy distinct crystals of `relaxed` (energy per
    /// atom, ties in input order). Structures without a finite energy, or
    /// without atoms, are passed over.
    public static func distinct(_ relaxed: [Configuration], count: Int) -> [Configuration] {
        guard count > 0 else { return [] }
        let labelled = relaxed.enumerated().compactMap { k, c -> (Int, Double, Configuration)? in
            guard let e = c.energy, c.atomCount > 0, e.isFinite else { return nil }
            return (k, e / Double(c.atomCount), c)
        }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var chosen: [(energy: Double, volume: Double, config: Configuration)] = []
        for (_, e, c) in labelled {
            guard chosen.count < count else { break }
            let v = abs(determinant(c.cell)) / Double(c.atomCount)
            let repeated = chosen.contains {
                abs($0.energy - e) < energyTolerance && abs($0.volume - v) < volumeTolerance * v
            }
            if !repeated { chosen.append((e, v, c)) }
        }
        return chosen.map(\.config)
    }
}
