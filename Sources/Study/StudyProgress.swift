import Foundation

/// Time left of a stage from the work done so far in this run: the work
/// units are relative estimates (a fit's parameters x cutoff^3 x atoms of
/// its subset, one unit per validation), so the estimate is the elapsed
/// time scaled by the work still to do. Work finished by an earlier run
/// counts for neither side.
public struct StudyProgress: Sendable {
    public var stage: String
    public var total: Double
    public private(set) var done = 0.0
    let start: Date

    public init(stage: String, total: Double, start: Date = Date()) {
        self.stage = stage; self.total = total; self.start = start
    }

    public mutating func add(_ work: Double) { done += work }

    /// Seconds left, nil before any work is done.
    public func secondsLeft(now: Date = Date()) -> Double? {
        guard done > 0 else { return nil }
        return now.timeIntervalSince(start) / done * max(total - done, 0)
    }

    /// "stage fits: 40% of the work, 120 s elapsed, ~180 s left".
    public func line(_ what: String, now: Date = Date()) -> String {
        let elapsed = now.timeIntervalSince(start)
        let left = secondsLeft(now: now).map { String(format: "~%.0f s left", $0) } ?? "time left unknown until the first item finishes"
        return String(format: "study [%@] %@: %.0f%% of the stage's work, %.0f s elapsed, %@", stage, what,
                      100 * done / max(total, 1e-300), elapsed, left)
    }
}
