import Foundation
import Parallel

/// How the ranks of a communicator split a training store, and whether
/// the split is right: every rank reads its shard with MPI-IO; the root
/// compares the shards, in rank order, with a serial read of the whole
/// file (no gap, no overlap, identical contents by digest) and checks the
/// cost balance.
public struct ShardCheck {
    /// One rank's shard.
    public struct RankShard: Equatable {
        /// The configurations lower..<upper (kept apart: a broken split may invert them).
        public var lower: Int, upper: Int
        public var atoms: Int
        public var cost: Double
    }

    public var ranks: [RankShard]
    public var totalConfigurations: Int
    /// (max - mean) / mean of the shard costs.
    public var imbalance: Double
    /// What is wrong with the split; empty if it is right or was not checked.
    public var problems: [String] = []

    /// Collective over `communicator`. Returns the summary on the root and
    /// nil elsewhere. With `verify`, the root also reads the file serially
    /// and lists every problem; an imbalance above `maxImbalance` counts
    /// only with at least ten configurations per rank.
    public static func run(path: String, communicator world: Communicator, verify: Bool,
                           maxImbalance: Double) throws -> ShardCheck? {
        let shard = try ShardedRead.read(path: path, communicator: world)
        let digests = shard.configurations.map { Double(bitPattern: ConfigurationDigest.of($0)) }
        let all = world.allGatherOrdered(digests)
        let atoms = Double(shard.configurations.reduce(0) { $0 + $1.atomCount })
        let summary = world.allGatherOrdered([Double(shard.range.lowerBound), Double(shard.range.upperBound), shard.cost, atoms])
        guard world.isRoot else { return nil }
        let ranks = (0..<world.size).map { r in
            RankShard(lower: Int(summary[4 * r]), upper: Int(summary[4 * r + 1]), atoms: Int(summary[4 * r + 3]), cost: summary[4 * r + 2])
        }
        var result = ShardCheck(ranks: ranks, totalConfigurations: shard.totalConfigurations,
                                imbalance: Partition.imbalance(ranks.map(\.cost)))
        guard verify else { return result }
        var expectedStart = 0
        for (r, s) in ranks.enumerated() {
            let lo = s.lower, hi = s.upper
            if lo != expectedStart { result.problems.append("rank \(r) starts at \(lo), expected \(expectedStart) (\(lo > expectedStart ? "gap" : "overlap"))") }
            if hi < lo { result.problems.append("rank \(r) has an inverted range") }
            expectedStart = max(expectedStart, hi)
        }
        if expectedStart != shard.totalConfigurations { result.problems.append("shards end at \(expectedStart), the file holds \(shard.totalConfigurations)") }
        let serial = try StoreReader(path: path).readAll().configurations.map { Double(bitPattern: ConfigurationDigest.of($0)).bitPattern }
        if serial.count != all.count {
            result.problems.append("shards hold \(all.count) configurations, the file \(serial.count)")
        } else if let k = zip(serial, all.map(\.bitPattern)).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            result.problems.append("configuration \(k + 1) read by its shard differs from the serial read")
        }
        if shard.totalConfigurations >= 10 * world.size && result.imbalance > maxImbalance {
            result.problems.append("cost imbalance \(String(format: "%.2f", result.imbalance * 100))% exceeds \(String(format: "%.2f", maxImbalance * 100))%")
        }
        return result
    }

    /// One line per rank, then the totals.
    public var lines: [String] {
        ranks.enumerated().map { r, s in
            "rank \(r): configurations \(s.lower)..<\(s.upper) (\(s.upper - s.lower)), atoms \(s.atoms), cost \(String(format: "%.0f", s.cost))"
        } + ["ranks \(ranks.count), configurations \(totalConfigurations), cost imbalance \(String(format: "%.2f", imbalance * 100))%"]
    }
}
