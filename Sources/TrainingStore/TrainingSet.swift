import Atomistic

/// A training set in memory: configurations with the table of species
/// symbols their indices refer to and the ordered list of group names.
///
/// `species` may be empty when the source (a `.cfg` file) names no
/// elements; `groups` lists every `Configuration.group` used, in the order
/// the file's group index records them.
public struct TrainingSet: Equatable, Sendable {
    public var configurations: [Configuration]
    public var species: [String]
    public var groups: [String]

    public init(configurations: [Configuration] = [], species: [String] = [], groups: [String]? = nil) {
        self.configurations = configurations
        self.species = species
        self.groups = groups ?? []
        addGroups(of: configurations)
    }

    /// Adds `configs`, whose species indices refer to `symbols` (nil: to this
    /// set's own table). Symbols new to the set are appended to its table and
    /// the configurations' indices are remapped accordingly; an index outside
    /// `symbols` is an error naming `source`.
    public mutating func append(_ configs: [Configuration], symbols: [String]?, source: String) throws {
        var incoming = configs
        if let symbols {
            guard !species.isEmpty || configurations.allSatisfy({ $0.species.isEmpty }) else {
                throw InputError(file: source, "the existing set names no species symbols; cannot merge configurations that do (\(symbols.joined(separator: ",")))")
            }
            var map: [Int] = []
            for s in symbols {
                if let k = species.firstIndex(of: s) { map.append(k) } else { species.append(s); map.append(species.count - 1) }
            }
            for c in incoming.indices {
                for a in incoming[c].species.indices {
                    let t = incoming[c].species[a]
                    guard t >= 0 && t < map.count else {
                        throw InputError(file: source, "configuration \(c + 1), atom \(a + 1): species index \(t) has no symbol (known: \(symbols.joined(separator: ",")))")
                    }
                    incoming[c].species[a] = map[t]
                }
            }
        } else if !species.isEmpty {
            for (c, config) in incoming.enumerated() {
                if let a = config.species.firstIndex(where: { $0 < 0 || $0 >= species.count }) {
                    throw InputError(file: source, "configuration \(c + 1), atom \(a + 1): species index \(config.species[a]) is not one of the set's \(species.count) species (\(species.joined(separator: ","))); pass --species")
                }
            }
        }
        configurations += incoming
        addGroups(of: incoming)
    }

    private mutating func addGroups(of configs: [Configuration]) {
        for c in configs { if let g = c.group, !groups.contains(g) { groups.append(g) } }
    }

    /// Number of species indices: the symbol table's size, or one more than
    /// the largest index used when no symbols are known.
    public var speciesCount: Int {
        max(species.count, (configurations.lazy.flatMap(\.species).max() ?? -1) + 1)
    }

    public var atomCount: Int { configurations.reduce(0) { $0 + $1.atomCount } }
}
