import Foundation
import Atomistic

/// What is in a training store, per group: configurations, atoms, label
/// ranges and, optionally, histograms of neighbour distances. It answers
/// the questions asked before fitting: are all labels there, are the
/// energies and stresses plausible, and which cutoff sees which shells.
/// The store is read in chunks, so memory is bounded by a chunk, not the file.
public struct StoreSummary: Equatable {
    /// Counts and label ranges of one group.
    public struct GroupStatistics: Equatable {
        /// Smallest and largest value seen (not a ClosedRange: a NaN label
        /// must show up in the table, not trap).
        public struct Extent: Equatable {
            public var min: Double, max: Double
        }

        public var configurations = 0, atoms = 0
        /// Smallest and largest energy per atom (eV).
        public var energyPerAtom: Extent?
        /// Largest force norm (eV/A).
        public var forceMax: Double?
        /// Smallest and largest stress component (GPa, compression positive).
        public var stress: Extent?
        /// Configurations carrying each label.
        public var withEnergy = 0, withForces = 0, withStress = 0

        public init() {}

        public mutating func add(_ c: Configuration) {
            configurations += 1
            atoms += c.atomCount
            func widen(_ r: inout Extent?, _ x: Double) { r = r.map { Extent(min: Swift.min($0.min, x), max: Swift.max($0.max, x)) } ?? Extent(min: x, max: x) }
            if let e = c.energy { withEnergy += 1; widen(&energyPerAtom, e / c.normalisationCount) }
            if let f = c.forces { withForces += 1; forceMax = max(forceMax ?? 0, f.map(norm).max() ?? 0) }
            if let w = c.virial, c.pbc == .all, c.volume > 0 {
                withStress += 1
                for x in w.voigt { widen(&stress, -x / c.volume * LabelErrors.gpaPerEVPerA3) }
            }
        }

        /// One row of `StoreSummary.table` for a group called `name`.
        public func row(_ name: String) -> String {
            func f(_ x: Double) -> String { String(format: "%.4f", x) }
            let e = energyPerAtom.map { "[\(f($0.min)), \(f($0.max))]" } ?? "-"
            let fm = forceMax.map { f($0) } ?? "-"
            let s = stress.map { "[\(f($0.min)), \(f($0.max))]" } ?? "-"
            var line = name.padding(toLength: 13, withPad: " ", startingAt: 0) + " "
            line += String(format: "%7d %8d   ", configurations, atoms)
            line += e.padding(toLength: 26, withPad: " ", startingAt: 0) + fm.padding(toLength: 16, withPad: " ", startingAt: 0) + s
            let missing = [(withEnergy, "energy"), (withForces, "forces"), (withStress, "stress")]
                .filter { $0.0 < configurations }.map { "\(configurations - $0.0) without \($0.1)" }
            if !missing.isEmpty { line += "  (" + missing.joined(separator: ", ") + ")" }
            return line
        }
    }

    /// Distance histograms per group, counts per bin of `binWidth` from 0;
    /// the last bin also holds everything beyond it.
    public struct Histograms: Equatable {
        public var binWidth: Double
        public var maxDistance: Double
        /// Per group: the nearest-neighbour distance of every atom.
        public var nearest: [[Double]]
        /// Per group: every neighbour within `maxDistance`, seen from each atom
        /// (so each pair twice).
        public var pairs: [[Double]]
        /// Per group: the shortest interatomic distance (infinity when no
        /// two atoms lie within `maxDistance`), the figure to compare with
        /// a potential's min_dist.
        public var shortest: [Double] = []

        public var bins: Int { Int((maxDistance / binWidth).rounded(.up)) }
        /// The centre of bin `b` (A).
        public func center(_ b: Int) -> Double { (Double(b) + 0.5) * binWidth }
    }

    public var path: String
    public var configurationCount: Int
    public var totalAtoms: Int
    public var costModel: CostModel
    /// Element symbols, "type N" for species without one.
    public var symbols: [String]
    /// Atoms per species.
    public var speciesAtoms: [Int]
    /// The store's groups, then "(no group)" for configurations in none.
    public var groupNames: [String]
    /// Statistics per entry of `groupNames`.
    public var groups: [GroupStatistics]
    /// Per entry of `groupNames`; nil when not asked for.
    public var histograms: Histograms?

    /// Reads the store at `path`; with `histogramBinWidth` and
    /// `maxDistance`, also builds the neighbour-distance histograms.
    public init(path: String, histogramBinWidth: Double? = nil, maxDistance: Double = 8.2, chunk: Int = 256) throws {
        let reader = try StoreReader(path: path)
        self.path = path
        configurationCount = reader.configurationCount
        totalAtoms = reader.totalAtoms
        costModel = reader.costModel
        symbols = (0..<reader.speciesCount).map { $0 < reader.species.count ? reader.species[$0] : "type \($0)" }
        speciesAtoms = [Int](repeating: 0, count: reader.speciesCount)
        groupNames = reader.groups + ["(no group)"]
        groups = [GroupStatistics](repeating: GroupStatistics(), count: groupNames.count)
        histograms = histogramBinWidth.map { w in
            let empty = Histograms(binWidth: w, maxDistance: maxDistance, nearest: [], pairs: [])
            let zero = [[Double]](repeating: [Double](repeating: 0, count: empty.bins), count: groupNames.count)
            return Histograms(binWidth: w, maxDistance: maxDistance, nearest: zero, pairs: zero,
                              shortest: [Double](repeating: .infinity, count: groupNames.count))
        }
        for start in stride(from: 0, to: reader.configurationCount, by: chunk) {
            let range = start..<min(start + chunk, reader.configurationCount)
            for (k, c) in zip(range, try reader.read(range)) {
                let g = reader.groupIndex[k] >= 0 ? Int(reader.groupIndex[k]) : groupNames.count - 1
                groups[g].add(c)
                for s in c.species { speciesAtoms[s] += 1 }
                if histograms != nil {
                    do { try histograms!.add(c, group: g) } catch {
                        throw InputError(file: path, "configuration \(k + 1): \(error)")
                    }
                }
            }
        }
    }

    /// Indices of the groups that hold configurations.
    public var usedGroups: [Int] { groupNames.indices.filter { groups[$0].configurations > 0 } }

    /// Histogram counts of the used groups divided by their atom counts.
    public func perAtom(_ counts: [[Double]]) -> [[Double]] {
        usedGroups.map { g in counts[g].map { $0 / Double(max(groups[g].atoms, 1)) } }
    }

    /// The overview lines: file, species, cost model, then one row per used group.
    public var table: [String] {
        var lines = ["\(path): format version \(StoreLayout.formatVersion), \(configurationCount) configurations, \(totalAtoms) atoms"]
        lines.append("species: " + zip(symbols, speciesAtoms).map { "\($0) (\($1) atoms)" }.joined(separator: ", "))
        lines.append("cost model: neighbour pairs within \(costModel.cutoff) A + \(costModel.atomWeight) x atoms")
        lines.append("")
        lines.append("group".padding(toLength: 14, withPad: " ", startingAt: 0) + "configs    atoms   E/atom range (eV)         |F| max (eV/A)  stress range (GPa)")
        for g in usedGroups { lines.append(groups[g].row(groupNames[g])) }
        return lines
    }
}

extension StoreSummary.Histograms {
    /// Adds the distances of one configuration to group `g`.
    mutating func add(_ c: Configuration, group g: Int) throws {
        let list = try NeighborList(c, cutoff: maxDistance)
        let last = bins - 1
        for a in 0..<c.atomCount {
            var closest = Double.infinity
            for p in list.offsets[a]..<list.offsets[a + 1] {
                let d = list.distance[p]
                closest = min(closest, d)
                pairs[g][min(Int(d / binWidth), last)] += 1
            }
            if closest.isFinite { nearest[g][min(Int(closest / binWidth), last)] += 1 }
            if g < shortest.count { shortest[g] = min(shortest[g], closest) }
        }
    }
}
