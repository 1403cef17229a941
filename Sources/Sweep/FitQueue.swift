import Parallel

/// Where a group of a sweep takes its next fit, and the sweep-wide progress
/// that the time-left estimate needs.
///
/// Two counters live on world rank 0 (`SharedCounters`, one-sided, so rank 0
/// keeps training while other groups take fits): the next position of the
/// shared queue (dynamic schedule), and the estimated cost of the fits
/// finished so far by every group (all schedules). Only a group's root
/// touches them; it broadcasts what it got to its group. Without them (no
/// one-sided MPI on the transport) only fixed orders run, and the progress
/// is the group's own.
final class FitQueue {
    enum Order {
        /// The group's own fits, in this order (static and serial schedules).
        case fixed([Int])
        /// Group `group` of `groupCount` starts with queue[group]; after
        /// that, position groupCount + (counter 0, incremented).
        case shared(queue: [Int], group: Int, groupCount: Int)
    }

    let order: Order
    let counters: SharedCounters?
    /// Estimated cost of the whole sweep's pending fits (counter 1 holds
    /// thousandths of the same unit), or of the group's own fits without counters.
    let totalCost: Double
    private var taken = 0
    private var ownCost = 0.0

    init(order: Order, counters: SharedCounters?, totalCost: Double) {
        precondition(counters != nil || { if case .fixed = order { return true } else { return false } }(),
                     "a shared queue needs the counters")
        self.order = order
        self.counters = counters
        self.totalCost = totalCost
    }

    /// Whether `finished` covers the whole sweep (else the group's fits).
    var sweepWide: Bool { counters != nil }

    /// The next fit for the group of `comm`, the same on all its ranks
    /// (collective over `comm`); nil when there is none left.
    func next(_ comm: Communicator) -> Int? {
        defer { taken += 1 }
        switch order {
        case .fixed(let fits):
            return taken < fits.count ? fits[taken] : nil
        case .shared(let queue, let group, let groupCount):
            var position = [0.0]
            if comm.isRoot {
                position[0] = Double(taken == 0 ? group : groupCount + Int(counters!.fetchAdd(0, 1)))
            }
            comm.broadcast(&position)
            let p = Int(position[0])
            return p < queue.count ? queue[p] : nil
        }
    }

    /// Adds a finished fit's estimated cost; returns the estimated cost
    /// finished by every group so far (without counters: by this group)
    /// (call on the group's root only).
    func finished(cost: Double) -> Double {
        ownCost += cost
        guard let counters else { return ownCost }
        let add = Int64((cost * 1000).rounded())
        return Double(counters.fetchAdd(1, add) + add) / 1000
    }
}
