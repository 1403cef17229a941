import Foundation

/// Resident memory of this process, from /proc/self/status (Linux): what a
/// rank's data and neighbour lists cost, and how far a node's memory goes.
public enum ResidentMemory {
    /// Resident and peak resident bytes (VmRSS, VmHWM); NaN where /proc
    /// does not say.
    public static func current() -> (resident: Double, peak: Double) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (.nan, .nan) }
        var rss = Double.nan, hwm = Double.nan
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 2, let v = Double(f[1]) else { continue }
            if f[0] == "VmRSS:" { rss = v * 1024 }
            if f[0] == "VmHWM:" { hwm = v * 1024 }
        }
        return (rss, hwm)
    }

    /// Resets the peak (VmHWM) to the current resident size, so that the
    /// next `current().peak` is the peak of what ran in between (Linux >= 4.0:
    /// "5" to /proc/self/clear_refs). False where that is not possible.
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? h.close() }
        do { try h.write(contentsOf: Data("5".utf8)) } catch { return false }
        return true
    }
}
