import Foundation
import Atomistic

/// A relaxed cell that came apart: some atom has (almost) no neighbours.
///
/// A cell relaxation can let a crystal fall apart into isolated atoms or
/// small clusters separated by vacuum while the volume stays under the
/// relaxation's tenfold runaway limit (a cell that grows along one axis
/// and shrinks along the others). Such a structure ends close to the
/// isolated-atom energy, far from every other structure of the set, and
/// its perturbed copies carry the same defect into the training set (the
/// seed study here kept one, and it alone set the maximum error of every
/// group). Energies cannot flag it without the isolated atom's energy (a
/// costly calculation with DFT), so the rule is geometric: every atom of a
/// bulk crystal has neighbours within 1.5 times the nearest-neighbour
/// distance of the close-packed crystal of the same atomic volume (12 to
/// 18 in fcc and hcp, 3 or more even in a monolayer or a chain's
/// neighbourhood); an atom with fewer than `minNeighbours` there is
/// isolated, and its structure is discarded with its copies.
public struct ExplodedCellRule: Sendable, Equatable {
    /// Radius (A) within which neighbours are counted.
    public var radius: Double
    /// Fewer neighbours than this within `radius` mark an atom as isolated.
    public var minNeighbours: Int

    public init(radius: Double, minNeighbours: Int = 2) {
        self.radius = radius
        self.minNeighbours = minNeighbours
    }

    /// The rule for crystals of `atomicVolume` (A^3/atom): 1.5 times the fcc
    /// nearest-neighbour distance (4 V)^(1/3) / sqrt 2.
    public init(atomicVolume v: Double) {
        self.init(radius: 1.5 * pow(4 * v, 1.0 / 3) / 2.0.squareRoot())
    }

    /// An atom with fewer than `minNeighbours` neighbours within `radius`
    /// (its index and neighbour count), or nil when every atom has enough.
    /// Periodic images count as neighbours. A cell the neighbour search
    /// refuses (degenerate, far too many images) is reported as exploded
    /// at atom 0 with no neighbours.
    public func isolatedAtom(in config: Configuration) -> (atom: Int, neighbours: Int)? {
        guard config.atomCount > 0 else { return nil }
        guard let list = try? NeighborList(config, cutoff: radius) else { return (0, 0) }
        for i in 0..<config.atomCount {
            var count = 0
            for p in list.offsets[i]..<list.offsets[i + 1] where list.distance[p] < radius { count += 1 }
            if count < minNeighbours { return (i, count) }
        }
        return nil
    }

    /// The reason a discarded structure is counted under (no varying numbers).
    public var reason: String {
        String(format: "exploded cell (an atom with fewer than %d neighbours within %.2f A)", minNeighbours, radius)
    }
}
