#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64: small, fast and fully specified, so a seed gives the same
/// numbers on every machine and Swift version (the standard library's
/// generator is neither seedable nor stable across releases). Training-set
/// generation, molecular dynamics and the tests all draw from it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [a, b), from the top 53 bits.
    public mutating func uniform(_ a: Double = 0, _ b: Double = 1) -> Double {
        a + (b - a) * Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// Standard normal (Box-Muller; one of the pair is discarded so that the
    /// stream position depends only on the number of calls).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
