import Atomistic

/// Loss weights per group of a training set, from the command line
/// (`--group-weights TRIAX=0.2,SHEAR=0.5`).
///
/// The store keeps per-configuration weights of the energy, force and
/// stress terms, but a user fitting an ASSYST set wants to weigh whole
/// stages (the extreme strains of TRIAX and SHEAR less than the relaxed
/// crystals, as the seed paper discusses) without rewriting the store. A
/// factor multiplies the three stored weights of every configuration of its
/// group; groups not named keep theirs. Applied to each rank's shard after
/// reading, so the fit sees the same weights under any rank count.
public struct GroupWeights: Sendable, Equatable {
    /// Factor per group name.
    public var factors: [String: Double]

    public init(_ factors: [String: Double]) { self.factors = factors }

    /// Parses `NAME=FACTOR[,NAME=FACTOR...]`; factors must be finite and >= 0.
    public init(parsing text: String) throws {
        var f: [String: Double] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            let name = parts.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard parts.count == 2, !name.isEmpty, let v = Double(parts[1].trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0 else {
                throw GroupWeightsError(text: String(item))
            }
            guard f[name] == nil else { throw GroupWeightsError(text: String(item), why: "group \(name) given twice") }
            f[name] = v
        }
        guard !f.isEmpty else { throw GroupWeightsError(text: text) }
        factors = f
    }

    /// Multiplies the weights of `shard`'s configurations; a group the data
    /// does not have is an error naming `dataPath`.
    public func apply(to shard: inout DataShard, dataPath: String) throws {
        if let unknown = Set(factors.keys).subtracting(shard.groups).sorted().first {
            throw InputError(file: dataPath, "--group-weights: no group '\(unknown)' (the data has: \(shard.groups.isEmpty ? "none" : shard.groups.joined(separator: ", ")))")
        }
        for k in shard.configurations.indices {
            guard let g = shard.configurations[k].group, let f = factors[g] else { continue }
            shard.configurations[k].energyWeight *= f
            shard.configurations[k].forceWeight *= f
            shard.configurations[k].virialWeight *= f
        }
    }

    /// `NAME=FACTOR,...` in name order (for logs and records).
    public var description: String {
        factors.keys.sorted().map { "\($0)=\(factors[$0]!)" }.joined(separator: ",")
    }
}

/// A malformed `--group-weights` value.
public struct GroupWeightsError: Error, CustomStringConvertible {
    public var text: String
    public var why: String = "expected NAME=FACTOR[,NAME=FACTOR...] with finite factors >= 0"
    public var description: String { "--group-weights '\(text)': \(why)" }
}
