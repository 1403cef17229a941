import Foundation

extension ProcessTime {
    /// Wall-clock seconds of `body`: what the benchmarks time (with
    /// `cpuSeconds` beside it when the machine may be shared).
    public static func wallSeconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let t0 = clock.now
        try body()
        return seconds(clock.now - t0)
    }
}
