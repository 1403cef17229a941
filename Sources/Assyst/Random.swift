/// SplitMix64: small, fast and fully specified, so a seed gives the same
/// training set on every machine and Swift version (the standard library's
/// generator is neither seedable nor stable across releases).
public struct AssystRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one task, derived from the run's seed and the task's
    /// identity rather than from a shared stream: each structure draws the
    /// same numbers whichever thread handles it and in whatever order.
    public init(seed: UInt64, stream: [UInt64]) {
        var h = seed ^ 0x6A09_E667_F3BC_C908
        for s in stream {
            var g = AssystRandom(seed: h ^ s)
            h = g.next() ^ (s &* 0x9E37_79B9_7F4A_7C15)
        }
        state = h
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// Uniform integer in 0..<n.
    public mutating func index(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }

    /// Standard normal (Box-Muller; one of the pair is discarded so that the
    /// stream position depends only on the number of calls).
    public mutating func normal() -> Double {
        let u1 = max(uniform(0, 1), 1e-300), u2 = uniform(0, 1)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// exp(uniform(log a, log b)): ratios drawn evenly on a log scale.
    public mutating func logUniform(_ a: Double, _ b: Double) -> Double {
        exp(uniform(log(a), log(b)))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
