/// How a sweep hands fits to its groups of ranks.
public enum SweepScheduleKind: String, Codable, CaseIterable, Sendable {
    /// Fixed groups; each takes the next fit of one shared queue (longest
    /// predicted first) whenever it finishes one (`DynamicSchedule`).
    case dynamic
    /// Each group's fits fixed before the start (`Schedule`).
    case `static`
    /// One group of all ranks running the fits one after the other.
    case serial
}

/// The groups of ranks of a dynamic sweep and the order of its queue.
///
/// The queue holds the fits longest predicted first (ties by index). Group g
/// starts with the g-th fit of the queue; after that, whichever group
/// finishes a fit takes the next one. Groups never change while a sweep
/// runs: a fit keeps the ranks it started on, so its potential is the one
/// `mtp train` gives on that many ranks. The idle tail is kept small by the
/// choice of groups instead: every candidate (G groups of near-equal size,
/// or the sizes the static schedule gives G bins, for G = 1 ... min(fits,
/// ranks)) is simulated with the fits' predicted times (`Schedule.time`),
/// and the one that ends first is taken (ties: the smaller predicted idle
/// share, then more groups). The largest group holds rank 0 and gets the
/// longest fit.
public struct DynamicSchedule: Equatable, Sendable {
    /// Ranks per group, largest first; group g holds the contiguous world
    /// ranks `ranks[g]`.
    public var sizes: [Int]
    /// Indices of the fits (into the costs given), in queue order.
    public var queue: [Int]
    /// Predicted end of the sweep and idle share of rank time, from the simulation.
    public var predictedMakespan: Double
    public var predictedIdleShare: Double
    /// Which group runs which fits in the simulation (the run may differ).
    public var predictedFits: [[Int]]

    public var ranks: [Range<Int>] {
        var next = 0
        return sizes.map { s in defer { next += s }; return next..<(next + s) }
    }

    public func group(ofRank rank: Int) -> Int? { ranks.firstIndex { $0.contains(rank) } }

    /// The queue of fits with these costs, longest first, ties by index.
    public static func queue(_ costs: [Double]) -> [Int] {
        costs.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    }

    /// The dynamic schedule of fits with these estimated costs on `ranks` ranks.
    public static func make(costs: [Double], ranks: Int, serialFraction: Double = 0.05) -> DynamicSchedule {
        precondition(ranks >= 1, "a schedule needs at least one rank")
        precondition(costs.allSatisfy { $0 >= 0 && $0.isFinite }, "costs must be finite and non-negative")
        let order = queue(costs)
        guard !costs.isEmpty else {
            return DynamicSchedule(sizes: [], queue: [], predictedMakespan: 0, predictedIdleShare: 0, predictedFits: [])
        }
        var best: DynamicSchedule? = nil
        for g in stride(from: min(costs.count, ranks), through: 1, by: -1) {
            let even = (0..<g).map { ranks / g + ($0 < ranks % g ? 1 : 0) }
            let binned = Schedule.make(costs: costs, ranks: ranks, groups: g, serialFraction: serialFraction)
                .groups.map(\.ranks.count).sorted(by: >)
            for sizes in even == binned ? [even] : [even, binned] {
                let s = simulate(costs: costs, queue: order, sizes: sizes, serialFraction: serialFraction)
                if let b = best {
                    let tolerance = 1e-9 * b.predictedMakespan
                    if s.predictedMakespan > b.predictedMakespan - tolerance {
                        guard abs(s.predictedMakespan - b.predictedMakespan) <= tolerance,
                              s.predictedIdleShare < b.predictedIdleShare - 1e-9 else { continue }
                    }
                }
                best = s
            }
        }
        return best!
    }

    /// List scheduling of `queue` on groups of `sizes` ranks: group g starts
    /// with queue[g], and the group free first (ties: lower index) takes the next.
    static func simulate(costs: [Double], queue: [Int], sizes: [Int], serialFraction s: Double) -> DynamicSchedule {
        var free = [Double](repeating: 0, count: sizes.count)
        var busy = [Double](repeating: 0, count: sizes.count)
        var fits = [[Int]](repeating: [], count: sizes.count)
        for (n, f) in queue.enumerated() {
            let g = n < sizes.count ? n : free.indices.min { free[$0] != free[$1] ? free[$0] < free[$1] : $0 < $1 }!
            let t = Schedule.time(cost: costs[f], ranks: sizes[g], serialFraction: s)
            free[g] += t
            busy[g] += t * Double(sizes[g])
            fits[g].append(f)
        }
        let makespan = free.max() ?? 0
        let total = Double(sizes.reduce(0, +)) * makespan
        return DynamicSchedule(sizes: sizes, queue: queue, predictedMakespan: makespan,
                               predictedIdleShare: total > 0 ? 1 - busy.reduce(0, +) / total : 0, predictedFits: fits)
    }
}
