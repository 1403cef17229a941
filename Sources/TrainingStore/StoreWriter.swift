import Foundation
import Atomistic

/// Writes a `TrainingSet` as one HDF5 file in the layout of `StoreLayout`.
///
/// Writing is serial (one process, rank 0 under MPI): the file goes to a
/// temporary name in the destination directory and is renamed over `path`
/// only when complete, so readers never see a partial file.
public enum StoreWriter {
    /// Writes `set` to `path`, computing every configuration's neighbour
    /// count and cost with `costModel`. Throws an `InputError` naming the
    /// configuration when a value cannot be stored faithfully (non-finite
    /// labels, inconsistent lengths, unknown species) — NaN is the layout's
    /// marker for "missing" and must not appear in present values.
    /// `sources` (the input file of each range of configurations, as
    /// `mtp convert` read them) lets an error name the input, not the output.
    public static func write(_ set: TrainingSet, to path: String, costModel: CostModel = CostModel(),
                             sources: [(path: String, range: Range<Int>)] = []) throws {
        let configs = set.configurations
        let speciesCount = set.speciesCount
        var pairs = [Int64](repeating: 0, count: configs.count)
        for (k, c) in configs.enumerated() {
            try validate(c, index: k, speciesCount: set.species.isEmpty ? nil : speciesCount, file: path)
            do {
                pairs[k] = Int64(try costModel.neighborCount(c))
            } catch {
                if let source = sources.first(where: { $0.range.contains(k) }) {
                    throw ConfigurationFormats.located(error, in: source.path, configuration: k - source.range.lowerBound)
                }
                throw InputError(file: path, "configuration \(k + 1): cannot count neighbours for the cost estimate: \(error)")
            }
        }

        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString.prefix(8))").path
        do {
            try writeFile(set, pairs: pairs, costModel: costModel, speciesCount: speciesCount, to: temp, reportAs: path)
            guard rename(temp, path) == 0 else {
                throw AtomicFileError(path: path, reason: "rename: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temp)
            throw error
        }
    }

    private static func validate(_ c: Configuration, index k: Int, speciesCount: Int?, file: String) throws {
        func fail(_ m: String) -> InputError { InputError(file: file, "configuration \(k + 1): \(m)") }
        let n = c.atomCount
        guard c.species.count == n else { throw fail("\(c.species.count) species for \(n) atoms") }
        if let f = c.forces, f.count != n { throw fail("\(f.count) forces for \(n) atoms") }
        let limit = speciesCount ?? Int.max
        if let a = c.species.firstIndex(where: { $0 < 0 || $0 >= limit }) {
            throw fail("atom \(a + 1) has species index \(c.species[a]), outside the species table")
        }
        for p in c.atomProperties where p.values.count != n {
            throw fail("atom property '\(p.name)' has \(p.values.count) values for \(n) atoms")
        }
        func finite(_ v: Vec3) -> Bool { v.x.isFinite && v.y.isFinite && v.z.isFinite }
        guard c.cell.allSatisfy(finite) else { throw fail("non-finite cell") }
        if let a = c.positions.firstIndex(where: { !finite($0) }) { throw fail("atom \(a + 1) has a non-finite position") }
        if let a = c.forces?.firstIndex(where: { !finite($0) }) { throw fail("atom \(a + 1) has a non-finite force") }
        if let e = c.energy, !e.isFinite { throw fail("non-finite energy \(e)") }
        if let v = c.virial, !v.voigt.allSatisfy({ $0.isFinite }) { throw fail("non-finite virial") }
        guard [c.energyWeight, c.forceWeight, c.virialWeight].allSatisfy({ $0.isFinite }) else { throw fail("non-finite weight") }
        for p in c.atomProperties where !p.values.allSatisfy({ $0.isFinite }) {
            throw fail("atom property '\(p.name)' has a non-finite value")
        }
    }

    private static func writeFile(_ set: TrainingSet, pairs: [Int64], costModel: CostModel, speciesCount: Int,
                                  to temp: String, reportAs path: String) throws {
        let configs = set.configurations
        let file = try HDF5File(path: temp, mode: .create)

        try file.setAttribute(StoreLayout.formatAttribute, StoreLayout.formatName)
        try file.setAttribute(StoreLayout.versionAttribute, StoreLayout.formatVersion)
        try file.setAttribute(StoreLayout.speciesAttribute, set.species)
        try file.setAttribute(StoreLayout.speciesCountAttribute, Int64(speciesCount))
        try file.setAttribute(StoreLayout.costCutoffAttribute, costModel.cutoff)
        try file.setAttribute(StoreLayout.costAtomWeightAttribute, costModel.atomWeight)
        for (name, value) in StoreLayout.unitAttributes { try file.setAttribute(name, value) }
        try file.setAttribute(StoreLayout.readmeAttribute, StoreLayout.readme(species: set.species, speciesCount: speciesCount))

        for g in [StoreLayout.configurations, StoreLayout.atoms, StoreLayout.groups, StoreLayout.features,
                  StoreLayout.atomProperties] {
            try file.createGroup(g)
        }

        // Per-configuration arrays.
        var atomOffset = [Int64](), atomCount = [Int64](), cell = [Double](), pbc = [UInt8]()
        var energy = [Double](), hasEnergy = [UInt8](), virial = [Double](), hasVirial = [UInt8]()
        var hasForces = [UInt8](), weights = [Double](), groupIndex = [Int32](), cost = [Double]()
        var featureOffset = [Int64](), featureCount = [Int64](), propertyOffset = [Int64](), propertyCount = [Int64]()
        var featureKeys = [String](), featureValues = [String]()
        var propertyNames = [String](), propertyOrder = [Int32]()
        for c in configs {
            for p in c.atomProperties where !propertyNames.contains(p.name) { propertyNames.append(p.name) }
        }
        let P = propertyNames.count
        // Per-atom arrays.
        var species = [Int32](), positions = [Double](), forces = [Double](), propertyValues = [Double]()
        let N = set.atomCount
        species.reserveCapacity(N); positions.reserveCapacity(3 * N); forces.reserveCapacity(3 * N)
        propertyValues.reserveCapacity(P * N)

        var offset: Int64 = 0
        for (k, c) in configs.enumerated() {
            let n = c.atomCount
            atomOffset.append(offset); atomCount.append(Int64(n)); offset += Int64(n)
            for row in c.cell { cell += [row.x, row.y, row.z] }
            pbc += [c.pbc.x, c.pbc.y, c.pbc.z].map { $0 ? 1 : 0 }
            energy.append(c.energy ?? .nan); hasEnergy.append(c.energy == nil ? 0 : 1)
            virial += c.virial?.voigt ?? [Double](repeating: .nan, count: 6); hasVirial.append(c.virial == nil ? 0 : 1)
            hasForces.append(c.forces == nil ? 0 : 1)
            weights += [c.energyWeight, c.forceWeight, c.virialWeight]
            groupIndex.append(c.group.map { Int32(set.groups.firstIndex(of: $0)!) } ?? -1)
            cost.append(costModel.cost(atoms: n, pairs: Int(pairs[k])))
            featureOffset.append(Int64(featureKeys.count)); featureCount.append(Int64(c.features.count))
            for f in c.features { featureKeys.append(f.key); featureValues.append(f.value) }
            propertyOffset.append(Int64(propertyOrder.count)); propertyCount.append(Int64(c.atomProperties.count))
            var columns = [[Double]?](repeating: nil, count: P)
            for p in c.atomProperties {
                let j = propertyNames.firstIndex(of: p.name)!
                propertyOrder.append(Int32(j))
                columns[j] = p.values
            }
            for a in 0..<n {
                species.append(Int32(c.species[a]))
                let r = c.positions[a]
                positions += [r.x, r.y, r.z]
                if let f = c.forces?[a] { forces += [f.x, f.y, f.z] } else { forces += [.nan, .nan, .nan] }
                for j in 0..<P { propertyValues.append(columns[j]?[a] ?? .nan) }
            }
        }
        try file.write(StoreLayout.atomOffset, atomOffset)
        try file.write(StoreLayout.atomCount, atomCount)
        try file.write(StoreLayout.cell, cell, rowShape: [3, 3])
        try file.write(StoreLayout.pbc, pbc, rowShape: [3])
        try file.write(StoreLayout.energy, energy)
        try file.write(StoreLayout.hasEnergy, hasEnergy)
        try file.write(StoreLayout.virial, virial, rowShape: [6])
        try file.write(StoreLayout.hasVirial, hasVirial)
        try file.write(StoreLayout.hasForces, hasForces)
        try file.write(StoreLayout.weights, weights, rowShape: [3])
        try file.write(StoreLayout.groupIndex, groupIndex)
        try file.write(StoreLayout.neighborCount, pairs)
        try file.write(StoreLayout.cost, cost)
        try file.write(StoreLayout.featureOffset, featureOffset)
        try file.write(StoreLayout.featureCount, featureCount)
        try file.write(StoreLayout.propertyOffset, propertyOffset)
        try file.write(StoreLayout.propertyCount, propertyCount)
        try file.write(StoreLayout.species, species)
        try file.write(StoreLayout.positions, positions, rowShape: [3])
        try file.write(StoreLayout.forces, forces, rowShape: [3])
        try file.writeStrings(StoreLayout.groupNames, set.groups)
        try file.writeStrings(StoreLayout.featureKeys, featureKeys)
        try file.writeStrings(StoreLayout.featureValues, featureValues)
        try file.writeStrings(StoreLayout.propertyNames, propertyNames)
        try file.write(StoreLayout.propertyOrder, propertyOrder)
        // Present only when some configuration has extra atom columns.
        if P > 0 { try file.write(StoreLayout.propertyValues, propertyValues, rowShape: [P]) }
    }
}
