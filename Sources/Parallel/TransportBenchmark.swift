import Foundation
import CMPI
import _CShims

/// The MPI transport as the performance model needs it (`mtp bench mpi`,
/// docs/performance-model.md): ping-pong from rank 0 to every other rank
/// (latency, bandwidth) and allgather timings; on a multi-host run, visible
/// proof that ranks on different hosts exchange data, because every byte
/// sent is checked on arrival and on its way back.
///
/// Every method is collective: all ranks of the communicator call it in the
/// same order.
public struct TransportBenchmark {
    /// Rank 0 and one other rank: one-way times per message size (half the
    /// best round trip), the bytes exchanged and verified, and the fit
    /// t = latency + bytes / bandwidth.
    public struct Pair: Codable, Sendable {
        public var rank: Int
        public var host: String
        public var sizes: [Int]
        public var oneWaySeconds: [Double]
        public var bytesVerified: Int
        public var latencySeconds: Double
        public var bandwidthBytesPerSecond: Double
    }
    /// The best time of an allgather (the slowest rank's) of so many bytes per rank.
    public struct Gather: Codable, Sendable {
        public var bytesPerRank: Int
        public var seconds: Double
    }
    /// Everything measured, as `mtp bench mpi -o` writes it.
    public struct Record: Codable, Sendable {
        public var ranks: Int
        public var hosts: [String]
        public var addresses: [[String]]
        public var oversubscribed: Bool
        public var pairs: [Pair]
        public var allgather: [Gather]
        /// Medians over the pairs (the model's alpha and beta).
        public var latencySeconds: Double
        public var bandwidthBytesPerSecond: Double
    }
    /// Messages that arrived corrupted or incomplete, over all ranks.
    public struct CorruptionError: Error, CustomStringConvertible {
        public var count: Int
        public var description: String { "\(count) messages arrived corrupted or incomplete" }
    }

    public let communicator: Communicator
    /// Largest message (bytes) and round trips per message size (the best counts).
    public let maxBytes: Int, repeats: Int
    /// Ping-pong message sizes: 8 B, then times 8 up to `maxBytes`.
    public let sizes: [Int]
    /// Messages this rank found corrupted or incomplete so far.
    public private(set) var failures = 0

    public init(_ comm: Communicator, maxBytes: Int, repeats: Int) {
        communicator = comm
        self.maxBytes = maxBytes
        self.repeats = repeats
        var sizes: [Int] = []
        var s = 8
        while s <= maxBytes { sizes.append(s); s *= 8 }
        self.sizes = sizes
    }

    /// Ping-pong between rank 0 and rank `peer` (whose host is `host`) at
    /// every size. The times are rank 0's (infinite on the other ranks).
    public mutating func pingPong(peer k: Int, host: String) -> Pair {
        let comm = communicator
        var times: [Double] = []
        var verified = 0
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        var status = MPI_Status()
        let byte = mtp_mpi_char()
        for size in sizes {
            var best = Double.infinity
            // Small messages take microseconds: many more tries give
            // a round trip in which neither side was descheduled.
            let reps = size >= (1 << 20) ? max(1, repeats / 4) : size <= 4096 ? 10 * repeats : repeats
            for rep in 0..<reps {
                comm.barrier()
                // The pattern depends on the peer, the size and the
                // repetition, so a stale or misrouted message fails.
                let salt = UInt8(truncatingIfNeeded: k &* 7 &+ size &+ rep)
                if comm.rank == 0 {
                    for i in 0..<size { buffer[i] = UInt8(truncatingIfNeeded: i &* 131) &+ salt }
                    let t = ProcessTime.wallSeconds {
                        buffer.withUnsafeMutableBufferPointer { b in
                            _ = MPI_Send(b.baseAddress, Int32(size), byte, Int32(k), 17, comm.handle)
                            _ = MPI_Recv(b.baseAddress, Int32(size), byte, Int32(k), 18, comm.handle, &status)
                        }
                    }
                    best = min(best, t)
                    for i in 0..<size where buffer[i] != (UInt8(truncatingIfNeeded: i &* 131) &+ salt) ^ 0x5a { failures += 1; break }
                    verified += 2 * size
                } else if comm.rank == k {
                    buffer.withUnsafeMutableBufferPointer { b in
                        _ = MPI_Recv(b.baseAddress, Int32(size), byte, 0, 17, comm.handle, &status)
                    }
                    for i in 0..<size where buffer[i] != UInt8(truncatingIfNeeded: i &* 131) &+ salt { failures += 1; break }
                    for i in 0..<size { buffer[i] ^= 0x5a }
                    buffer.withUnsafeMutableBufferPointer { b in
                        _ = MPI_Send(b.baseAddress, Int32(size), byte, 0, 18, comm.handle)
                    }
                }
            }
            times.append(best / 2)
        }
        let fit = Self.latencyBandwidth(sizes: sizes, times: times)
        return Pair(rank: k, host: host, sizes: sizes, oneWaySeconds: times, bytesVerified: verified,
                    latencySeconds: fit.latency, bandwidthBytesPerSecond: fit.bandwidth)
    }

    /// Allgathers (`allGatherOrdered`, MPI_Allgatherv as the trainer's
    /// reductions) of 8 B per rank, then times 8 while the total stays
    /// within `maxBytes`: the best of the slowest rank's times.
    public mutating func allGathers() -> [Gather] {
        let comm = communicator
        var gathers: [Gather] = []
        var g = 8
        while g <= maxBytes / max(comm.size, 1) {
            let local = [Double](repeating: Double(comm.rank), count: g / 8)
            var best = Double.infinity
            for _ in 0..<(g <= 4096 ? 5 * repeats : max(1, repeats / 2)) {
                comm.barrier()
                var out: [Double] = []
                let t = ProcessTime.wallSeconds { out = comm.allGatherOrdered(local) }
                best = min(best, comm.allReduceMax(t))
                if out.count != comm.size * local.count || out.last != Double(comm.size - 1) { failures += 1 }
            }
            gathers.append(Gather(bytesPerRank: g, seconds: best))
            g *= 8
        }
        return gathers
    }

    /// The record of the measurements; throws `CorruptionError` on every
    /// rank if any rank saw a corrupted or incomplete message.
    public func record(_ placement: Placement, pairs: [Pair], allgather: [Gather]) throws -> Record {
        let total = Int(communicator.allGatherOrdered([Double(failures)]).reduce(0, +))
        if total > 0 { throw CorruptionError(count: total) }
        let median = { (x: [Double]) -> Double in x.isEmpty ? .nan : x.sorted()[x.count / 2] }
        return Record(ranks: communicator.size, hosts: placement.hosts, addresses: placement.addresses,
                      oversubscribed: placement.oversubscribed, pairs: pairs, allgather: allgather,
                      latencySeconds: median(pairs.map(\.latencySeconds)),
                      bandwidthBytesPerSecond: median(pairs.map(\.bandwidthBytesPerSecond)))
    }

    /// t = latency + bytes / bandwidth. Latency: the fastest small message
    /// (up to 512 B); bandwidth: the largest message with the latency taken
    /// off. A straight-line fit over all sizes would let one slow small
    /// message (a descheduled peer on a busy machine) swing both.
    public static func latencyBandwidth(sizes: [Int], times: [Double]) -> (latency: Double, bandwidth: Double) {
        guard let lastSize = sizes.last, let lastTime = times.last else { return (.nan, .nan) }
        let latency = zip(sizes, times).filter { $0.0 <= 512 }.map(\.1).min() ?? times[0]
        let transfer = lastTime - latency
        return (latency, transfer > 0 ? Double(lastSize) / transfer : .infinity)
    }
}
