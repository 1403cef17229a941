extension Configuration {
    /// The shortest distance (A) between two atoms, periodic images
    /// included, or nil when no two atoms lie within `limit` of each other
    /// (a single atom in a large cell, a molecule of one atom). MLIP's
    /// `mlp mindist` and `--update-mindist` use the same quantity.
    public func minimalDistance(limit: Double = 20) throws -> Double? {
        var cutoff = min(4.0, limit)
        while true {
            let list = try NeighborList(self, cutoff: cutoff)
            if let d = list.distance.min() { return d }
            if cutoff >= limit { return nil }
            cutoff = min(2 * cutoff, limit)
        }
    }
}

extension Array where Element == Configuration {
    /// The shortest interatomic distance over all configurations and the
    /// (0-based) configuration where it occurs; nil if none has two atoms
    /// within `limit`.
    public func shortestDistance(limit: Double = 20) throws -> (distance: Double, configuration: Int)? {
        var best: (distance: Double, configuration: Int)? = nil
        for (k, c) in enumerated() {
            if let d = try c.minimalDistance(limit: Swift.min(limit, best?.distance ?? limit)), d < (best?.distance ?? .infinity) {
                best = (d, k)
            }
        }
        return best
    }

    /// `shortestDistance`'s distance alone.
    public func minimalDistance(limit: Double = 20) throws -> Double? {
        try shortestDistance(limit: limit)?.distance
    }
}
