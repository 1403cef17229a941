import Atomistic
import Parallel

/// One rank's part of a training store: a contiguous range of
/// configurations whose total cost is close to 1/size of the whole.
public struct Shard: Sendable {
    /// Configuration indices (0-based) this rank holds.
    public var range: Range<Int>
    /// Every rank's range, in rank order (the same on all ranks).
    public var ranges: [Range<Int>]
    /// Sum of the stored costs of `range`.
    public var cost: Double
    /// The configurations of `range`; species indices refer to `species`.
    public var configurations: [Configuration]
    public var species: [String]
    public var groups: [String]
    /// Number of configurations in the whole file.
    public var totalConfigurations: Int
}

public enum ShardedRead {
    /// Reads this rank's shard of `path`: every rank of `communicator` must
    /// call it. The ranges come from the stored costs (`Partition.contiguous`),
    /// computed identically on every rank; each rank reads its range with
    /// collective MPI-IO hyperslab reads and keeps nothing else but the
    /// per-configuration index. Ranks beyond the number of configurations
    /// get empty shards.
    public static func read(path: String, communicator: Communicator) throws -> Shard {
        let reader = try StoreReader(path: path, communicator: communicator)
        let ranges = Partition.contiguous(costs: reader.cost, parts: communicator.size)
        let range = ranges[communicator.rank]
        let configs = try reader.read(range)
        return Shard(range: range, ranges: ranges, cost: range.reduce(0) { $0 + reader.cost[$1] },
                     configurations: configs, species: reader.species, groups: reader.groups,
                     totalConfigurations: reader.configurationCount)
    }
}
