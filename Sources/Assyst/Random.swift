import Atomistic

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The generator of training-set construction: a seed gives the same
/// training set on every machine.
public typealias AssystRandom = SplitMix64

extension SplitMix64 {
    /// A generator for one task, derived from the run's seed and the task's
    /// identity rather than from a shared stream: each structure draws the
    /// same numbers whichever thread handles it and in whatever order.
    public init(seed: UInt64, stream: [UInt64]) {
        var h = seed ^ 0x6A09_E667_F3BC_C908
        for s in stream {
            var g = SplitMix64(seed: h ^ s)
            h = g.next() ^ (s &* 0x9E37_79B9_7F4A_7C15)
        }
        self.init(seed: h)
    }

    /// Uniform integer in 0..<n.
    public mutating func index(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }

    /// exp(uniform(log a, log b)): ratios drawn evenly on a log scale.
    public mutating func logUniform(_ a: Double, _ b: Double) -> Double {
        exp(uniform(log(a), log(b)))
    }
}
