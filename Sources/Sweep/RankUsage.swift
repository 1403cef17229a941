import Foundation
import Atomistic

/// How a sweep run used its ranks: written by rank 0 as `DIR/sweep.json`
/// after training (each run overwrites it; it describes that run only).
///
/// Rank time is ranks x the training's wall time (from the split into
/// groups until the last group finished). A rank is busy from the moment its
/// group starts loading data until the end of its group's last fit; it is
/// idle while waiting for the other groups at the end. Time inside a fit
/// counts as busy on every rank of its group, including the part of each
/// iteration that every rank repeats (the gathered factor and the step):
/// that shows as longer wall time, not as idle share.
public struct RankUsage: Codable, Equatable, Sendable {
    public struct Group: Codable, Equatable, Sendable {
        /// First world rank and number of ranks.
        public var firstRank: Int
        public var ranks: Int
        /// Fits run, in order.
        public var fits: [String]
        public var busySeconds: Double
    }

    public var schedule: SweepScheduleKind
    public var ranks: Int
    public var fitsRun: Int
    public var groups: [Group]
    public var trainingWallSeconds: Double
    /// Per world rank.
    public var busySeconds: [Double]
    public var cpuSeconds: [Double]
    /// 1 - sum(busy) / (ranks x wall).
    public var idleShare: Double
    /// The schedule's own prediction from estimated costs (nil: none).
    public var predictedIdleShare: Double?

    public init(schedule: SweepScheduleKind, groups: [Group], wall: Double, busy: [Double], cpu: [Double],
                predictedIdleShare: Double?) {
        self.schedule = schedule
        self.ranks = busy.count
        self.fitsRun = groups.reduce(0) { $0 + $1.fits.count }
        self.groups = groups
        self.trainingWallSeconds = wall
        self.busySeconds = busy
        self.cpuSeconds = cpu
        let total = Double(busy.count) * wall
        self.idleShare = total > 0 ? max(0, 1 - busy.reduce(0, +) / total) : 0
        self.predictedIdleShare = predictedIdleShare
    }

    /// One line for the sweep's log.
    public var summaryLine: String {
        String(format: "sweep: %@ schedule, %d fit%@ on %d group%@ of %@ rank%@: training %.1f s, idle %.1f%% of rank time%@",
               schedule.rawValue, fitsRun, fitsRun == 1 ? "" : "s", groups.count, groups.count == 1 ? "" : "s",
               groups.map { String($0.ranks) }.joined(separator: "+"), ranks == 1 ? "" : "s", trainingWallSeconds,
               100 * idleShare, predictedIdleShare.map { String(format: " (predicted %.1f%%)", 100 * $0) } ?? "")
    }
}
