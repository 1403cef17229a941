import Foundation
import Parallel

/// The groups of ranks of a sweep run and how each gets its fits, for any
/// `SweepScheduleKind`; every rank computes the same arrangement.
struct Arrangement {
    var kind: SweepScheduleKind
    /// World ranks of each group (contiguous; group 0 holds rank 0).
    var ranks: [Range<Int>]
    /// Static and serial: each group's fits in order (plan indices).
    /// Dynamic: every group's entry is the shared queue.
    var fits: [[Int]]
    /// Per group, the largest cutoff among the fits it may run.
    var largestCutoff: [Double]
    var predictedIdleShare: Double
    /// Dynamic: the groups' fits in the simulation with estimated costs.
    var predictedFits: [[Int]]

    static func make(_ kind: SweepScheduleKind, pending: [Int], plan: [PlannedFit], ranks: Int) -> Arrangement {
        let costs = pending.map { plan[$0].estimatedCost }
        let everyCutoff = pending.map { plan[$0].spec.cutoff }.max() ?? 0
        switch kind {
        case .dynamic:
            let d = DynamicSchedule.make(costs: costs, ranks: ranks)
            let queue = d.queue.map { pending[$0] }
            return Arrangement(kind: kind, ranks: d.ranks, fits: d.sizes.map { _ in queue },
                               largestCutoff: d.sizes.map { _ in everyCutoff }, predictedIdleShare: d.predictedIdleShare,
                               predictedFits: d.predictedFits.map { $0.map { pending[$0] } })
        case .static:
            let s = Schedule.make(costs: costs, ranks: ranks)
            let fits = s.groups.map { $0.fits.map { pending[$0] } }
            let busy = s.groups.reduce(0.0) { $0 + $1.predictedTime * Double($1.ranks.count) }
            let total = Double(ranks) * s.predictedMakespan
            return Arrangement(kind: kind, ranks: s.groups.map(\.ranks), fits: fits,
                               largestCutoff: fits.map { $0.map { plan[$0].spec.cutoff }.max() ?? 0 },
                               predictedIdleShare: total > 0 ? max(0, 1 - busy / total) : 0, predictedFits: fits)
        case .serial:
            let queue = DynamicSchedule.queue(costs).map { pending[$0] }
            return Arrangement(kind: kind, ranks: [0..<ranks], fits: [queue], largestCutoff: [everyCutoff],
                               predictedIdleShare: 0, predictedFits: [queue])
        }
    }

    func group(ofRank rank: Int) -> Int? { ranks.firstIndex { $0.contains(rank) } }

    /// Group g's queue; `totalCost` is the sweep's (used with counters).
    func queue(group g: Int, counters: SharedCounters?, plan: [PlannedFit], totalCost: Double) -> FitQueue {
        let order: FitQueue.Order = kind == .dynamic
            ? .shared(queue: fits[g], group: g, groupCount: ranks.count) : .fixed(fits[g])
        let total = counters != nil ? totalCost : fits[g].reduce(0.0) { $0 + plan[$1].estimatedCost }
        return FitQueue(order: order, counters: counters, totalCost: total)
    }
}
