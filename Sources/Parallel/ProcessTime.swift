import Foundation

/// Time measurements the commands and the trainer share.
public enum ProcessTime {
    /// CPU time of this process, all threads (user + system): on a shared
    /// machine the cost of the work, where wall time also counts waiting
    /// for a core.
    public static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Seconds of a `Duration`.
    public static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
