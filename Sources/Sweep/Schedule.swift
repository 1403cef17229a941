/// Which ranks run which fits of a sweep.
///
/// The fits are split into G groups of near-equal estimated cost by
/// longest-processing-time-first (largest fit to the least loaded group),
/// and each group gets a contiguous block of ranks on which it runs its fits
/// one after the other, largest first. Ranks are handed out one at a time to
/// the group predicted to finish last, so a group holding one large fit gets
/// more ranks than groups of small fits. G is chosen (1 ... min(fits, ranks))
/// to minimise the predicted time of the whole sweep.
///
/// A fit's time on r ranks is modelled as cost x (s + (1 - s) / r) (Amdahl,
/// serial fraction s): training splits configurations over ranks, but the
/// gathered triangular factor and the step are computed on every rank. The
/// serial part is what makes many small groups better than few large ones
/// when costs allow.
public struct Schedule: Equatable, Sendable {
    public struct Group: Equatable, Sendable {
        /// World ranks of the group (contiguous).
        public var ranks: Range<Int>
        /// Indices of the fits (into the costs given), in the order they run.
        public var fits: [Int]
        /// Sum of the fits' estimated costs.
        public var cost: Double
        /// Predicted time on `ranks.count` ranks, in cost units.
        public var predictedTime: Double
    }

    public var groups: [Group]
    /// Predicted time of the slowest group, in cost units.
    public var predictedMakespan: Double { groups.map(\.predictedTime).max() ?? 0 }

    /// The group of world rank `rank` (nil if it has none: more ranks than
    /// the schedule uses never happens, but an empty sweep has no groups).
    public func group(ofRank rank: Int) -> Int? { groups.firstIndex { $0.ranks.contains(rank) } }

    /// Predicted time of fits of total cost `cost` on `ranks` ranks.
    public static func time(cost: Double, ranks: Int, serialFraction s: Double) -> Double {
        cost * (s + (1 - s) / Double(max(ranks, 1)))
    }

    /// The schedule of fits with the given estimated costs on `ranks` ranks.
    public static func make(costs: [Double], ranks: Int, serialFraction: Double = 0.05) -> Schedule {
        precondition(ranks >= 1, "a schedule needs at least one rank")
        precondition(costs.allSatisfy { $0 >= 0 && $0.isFinite }, "costs must be finite and non-negative")
        guard !costs.isEmpty else { return Schedule(groups: []) }
        var best: Schedule? = nil
        // From many groups to few, so that ties keep more, smaller groups.
        for g in stride(from: min(costs.count, ranks), through: 1, by: -1) {
            let s = make(costs: costs, ranks: ranks, groups: g, serialFraction: serialFraction)
            if best == nil || s.predictedMakespan < best!.predictedMakespan * (1 - 1e-12) { best = s }
        }
        return best!
    }

    /// The schedule with exactly `groupCount` groups.
    static func make(costs: [Double], ranks: Int, groups groupCount: Int, serialFraction s: Double) -> Schedule {
        // Longest processing time first; ties by index, so every rank
        // computes the same schedule.
        let order = costs.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
        var bins = [[Int]](repeating: [], count: groupCount)
        var load = [Double](repeating: 0, count: groupCount)
        for f in order {
            let target = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
            bins[target].append(f)
            load[target] += costs[f]
        }
        // One rank each, then every further rank to the group predicted last.
        var count = [Int](repeating: 1, count: groupCount)
        for _ in groupCount..<ranks {
            let slowest = load.indices.max {
                let a = time(cost: load[$0], ranks: count[$0], serialFraction: s)
                let b = time(cost: load[$1], ranks: count[$1], serialFraction: s)
                return a != b ? a < b : $0 > $1
            }!
            count[slowest] += 1
        }
        var groups: [Group] = []
        var next = 0
        for g in 0..<groupCount {
            groups.append(Group(ranks: next..<(next + count[g]), fits: bins[g], cost: load[g],
                                predictedTime: time(cost: load[g], ranks: count[g], serialFraction: s)))
            next += count[g]
        }
        return Schedule(groups: groups)
    }
}
