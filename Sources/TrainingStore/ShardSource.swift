import Atomistic
import Parallel

/// This rank's share of a training set in any registered format: the one
/// way every command (train, sweep, grade, select-add, bench, data info)
/// loads data under MPI.
///
/// Contract (every rank of the communicator calls `read` with the same
/// source):
/// - A training store is read by hyperslabs: each rank reads only its own
///   contiguous range, balanced by the stored costs (`ShardedRead`).
/// - Any other format is parsed once, by rank 0; rank 0 computes each
///   configuration's cost with the same `CostModel` a store records, splits
///   the list into contiguous ranges with `Partition.contiguous` and sends
///   every rank its configurations bit for bit. So a text file and the store
///   converted from it give every rank the same configurations.
/// - `groups` keeps only configurations of those groups: after the split for
///   a store (no configuration is read twice), before it for text formats.
///   A group the data does not have is an error.
/// - A failure on any rank (an unreadable file, a bad configuration) is
///   thrown on every rank alike as a `CollectiveFailure`.
public struct ShardSource: Sendable {
    public var path: String
    public var options: FormatOptions
    public var groups: [String]?
    /// The cost model of text formats (a store brings its own).
    public var costModel: CostModel

    public init(path: String, options: FormatOptions = FormatOptions(), groups: [String]? = nil,
                costModel: CostModel = CostModel()) {
        self.path = path
        self.options = options
        self.groups = groups
        self.costModel = costModel
    }

    /// This rank's share; see the type's contract.
    public func read(_ comm: Communicator) throws -> DataShard {
        StoreFormat.register()
        let isStore = try Collective.together(comm) { StoreFormat.isStore(path) }
        var shard = try Collective.together(comm) { isStore ? try readStore(comm) : try readText(comm) }
        let counts = comm.allGatherOrdered([Double(shard.configurations.count),
                                            Double(shard.configurations.reduce(0) { $0 + $1.atomCount })])
        shard.totalConfigurations = stride(from: 0, to: counts.count, by: 2).reduce(0) { $0 + Int(counts[$1]) }
        shard.totalAtoms = stride(from: 1, to: counts.count, by: 2).reduce(0) { $0 + Int(counts[$1]) }
        return shard
    }

    /// The number of species of the data, read by the calling process
    /// alone: a store's symbol table (a header read), otherwise the symbols
    /// given or the largest species index + 1, whichever is larger.
    public func speciesCount() throws -> Int {
        if StoreFormat.isStore(path) { return max(try StoreReader(path: path).species.count, 1) }
        let data = try ConfigurationFormats.read(path, options: options)
        let largest = data.configurations.flatMap(\.species).max() ?? 0
        return max(data.symbols?.count ?? 0, largest + 1)
    }

    func unknownGroup(_ present: [String]) throws {
        guard let groups, let unknown = Set(groups).subtracting(present).sorted().first else { return }
        throw InputError(file: path, "no group '\(unknown)' (the data has: \(present.isEmpty ? "none" : present.joined(separator: ", ")))")
    }

    func keep(_ c: Configuration) -> Bool {
        guard let groups else { return true }
        return c.group.map(groups.contains) ?? false
    }

    func readStore(_ comm: Communicator) throws -> DataShard {
        let s = try ShardedRead.read(path: path, communicator: comm)
        try unknownGroup(s.groups)
        let kept = s.configurations.indices.filter { keep(s.configurations[$0]) }
        return DataShard(configurations: kept.map { s.configurations[$0] }, fileIndices: kept.map { s.range.lowerBound + $0 },
                         species: s.species.isEmpty ? options.symbols : s.species, groups: s.groups,
                         range: s.range, ranges: s.ranges, cost: s.cost, fileConfigurations: s.totalConfigurations)
    }

    /// What rank 0 sends each rank besides its configurations.
    struct Plan: Codable {
        var ranges: [Range<Int>]
        var costs: [Double]
        var fileIndices: [Int]
        var species: [String]?
        var groups: [String]
        var fileConfigurations: Int
    }

    func readText(_ comm: Communicator) throws -> DataShard {
        var pieces: [[UInt8]] = []
        let plan: Plan = try Collective.fromRoot(comm) {
            let data = try ConfigurationFormats.read(path, options: options)
            var present: [String] = []
            for c in data.configurations { if let g = c.group, !present.contains(g) { present.append(g) } }
            try unknownGroup(present.sorted())
            let kept = data.configurations.indices.filter { keep(data.configurations[$0]) }
            let costs = try kept.map { k -> Double in
                let c = data.configurations[k]
                do { return costModel.cost(atoms: c.atomCount, pairs: try costModel.neighborCount(c)) } catch {
                    throw ConfigurationFormats.located(error, in: path, configuration: k)
                }
            }
            let ranges = Partition.contiguous(costs: costs, parts: comm.size)
            pieces = ranges.map { r in ConfigurationPacking.pack(r.map { data.configurations[kept[$0]] }) }
            return Plan(ranges: ranges, costs: costs, fileIndices: kept, species: data.symbols, groups: present,
                        fileConfigurations: data.configurations.count)
        }
        let local = try Collective.together(comm) { try ConfigurationPacking.unpack(comm.scatter(bytes: pieces)) }
        let range = plan.ranges[comm.rank]
        return DataShard(configurations: local, fileIndices: range.map { plan.fileIndices[$0] }, species: plan.species,
                         groups: plan.groups, range: range, ranges: plan.ranges,
                         cost: range.reduce(0) { $0 + plan.costs[$1] }, fileConfigurations: plan.fileConfigurations)
    }
}

/// One rank's share of a training set, from `ShardSource`.
public struct DataShard: Sendable {
    /// This rank's configurations, in file order.
    public var configurations: [Configuration]
    /// The 0-based index in the file of each of `configurations` (for
    /// errors that name the configuration).
    public var fileIndices: [Int]
    /// Element symbols of species indices 0, 1, ... (nil: indices only).
    public var species: [String]?
    /// Every group of the data, on every rank.
    public var groups: [String]
    /// This rank's contiguous span (store: of the file; text: of the
    /// selected configurations) and every rank's, in rank order.
    public var range: Range<Int>
    public var ranges: [Range<Int>]
    /// Estimated cost of this rank's span.
    public var cost: Double
    /// Configurations in the file.
    public var fileConfigurations: Int
    /// Selected configurations and their atoms, over all ranks.
    public var totalConfigurations = 0
    public var totalAtoms = 0

    /// The error `error` found in local configuration `n`, at its place in `file`.
    public func located(_ error: Error, in file: String, local n: Int) -> InputError {
        ConfigurationFormats.located(error, in: file, configuration: fileIndices[n])
    }
}
