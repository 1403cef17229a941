import Atomistic

/// The estimated cost of evaluating (and differentiating) a potential on one
/// configuration, used to balance shards between ranks.
///
/// MTP work has a per-pair part (radial basis and moment accumulation for
/// every neighbour within the cutoff) and a per-atom part (contracting the
/// moments into basis functions). The estimate is
///
///     cost = pairs + atomWeight * atoms
///
/// with `pairs` the ordered neighbour pairs within `cutoff`, the largest
/// cutoff the set will be fitted with (a larger cutoff over-counts evenly,
/// a smaller one would hide dense configurations). `atomWeight` expresses
/// the contraction work of one atom in pair units; it matters only between
/// configurations of different density, so a rough value is enough.
public struct CostModel: Equatable, Sendable {
    public var cutoff: Double
    public var atomWeight: Double

    public static let defaultCutoff = 5.0
    public static let defaultAtomWeight = 20.0

    public init(cutoff: Double = CostModel.defaultCutoff, atomWeight: Double = CostModel.defaultAtomWeight) {
        self.cutoff = cutoff
        self.atomWeight = atomWeight
    }

    /// Ordered neighbour pairs of `config` within the cutoff.
    public func neighborCount(_ config: Configuration) throws -> Int {
        try NeighborList(config, cutoff: cutoff).pairCount
    }

    public func cost(atoms: Int, pairs: Int) -> Double {
        Double(pairs) + atomWeight * Double(atoms)
    }
}
