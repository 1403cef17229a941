import Foundation
import Atomistic
import Parallel

/// Reads a training store: the small per-configuration metadata at once,
/// the configurations themselves by contiguous range.
///
/// Opened with a communicator, the file is read through MPI-IO and every
/// rank of the communicator must make the same sequence of calls (reads
/// are collective; a rank with an empty range takes part with an empty
/// selection). Each rank then holds only the metadata (a few numbers per
/// configuration) and the ranges it asked for.
public final class StoreReader {
    public let path: String
    let file: HDF5File

    /// Symbols of species indices 0, 1, ... (empty when the source named none).
    public let species: [String]
    public let speciesCount: Int
    public let groups: [String]
    /// The cost model the stored costs were computed with.
    public let costModel: CostModel
    /// Per configuration: first atom row, atom count, estimated cost, group index (-1: none).
    public let atomOffset: [Int64]
    public let atomCount: [Int64]
    public let cost: [Double]
    public let groupIndex: [Int32]
    let propertyNames: [String]

    public var configurationCount: Int { atomCount.count }
    public var totalAtoms: Int { Int(atomCount.reduce(0, +)) }

    /// Opens `path`; with `communicator` (size > 1 or not) through MPI-IO.
    public init(path: String, communicator: Communicator? = nil) throws {
        self.path = path
        file = try HDF5File(path: path, mode: .read, communicator: communicator?.handle)
        func fail(_ m: String) -> InputError { InputError(file: path, m) }

        // A 'format' of another type is a foreign file; a damaged one
        // (GlobalHeap) says so.
        let format: String?
        do {
            format = file.hasAttribute(StoreLayout.formatAttribute) ? try file.stringAttribute(StoreLayout.formatAttribute) : nil
        } catch let error as InputError where error.message.contains(GlobalHeap.damagePhrase) {
            throw error
        } catch {
            format = nil
        }
        guard format == StoreLayout.formatName else {
            throw fail("not a training store: the root attribute 'format' is not '\(StoreLayout.formatName)'")
        }
        let version: Int64 = try file.scalarAttribute(StoreLayout.versionAttribute)
        guard version >= 1 && version <= StoreLayout.formatVersion else {
            throw fail("format_version \(version) is not supported (this program reads 1...\(StoreLayout.formatVersion))")
        }
        species = try file.stringsAttribute(StoreLayout.speciesAttribute)
        speciesCount = Int(try file.scalarAttribute(StoreLayout.speciesCountAttribute, as: Int64.self))
        guard speciesCount >= species.count else { throw fail("species_count \(speciesCount) is smaller than the species table") }
        if let why = InputLimits.count(speciesCount, of: "species_count", limit: InputLimits.maxSpecies) { throw fail(why) }
        costModel = CostModel(cutoff: try file.scalarAttribute(StoreLayout.costCutoffAttribute),
                              atomWeight: try file.scalarAttribute(StoreLayout.costAtomWeightAttribute))
        groups = try file.readStrings(StoreLayout.groupNames)
        propertyNames = try file.readStrings(StoreLayout.propertyNames)
        atomOffset = try file.read(StoreLayout.atomOffset)
        atomCount = try file.read(StoreLayout.atomCount)
        cost = try file.read(StoreLayout.cost)
        groupIndex = try file.read(StoreLayout.groupIndex)

        // Consistency of the index: offsets are the running sums of counts,
        // and every per-configuration / per-atom dataset has matching rows.
        let C = atomCount.count
        guard C > 0 else { throw fail("the store holds no configurations") }
        guard atomOffset.count == C, cost.count == C, groupIndex.count == C else {
            throw fail("per-configuration datasets disagree in length (atom_count has \(C) rows)")
        }
        var running: Int64 = 0
        for k in 0..<C {
            guard atomCount[k] >= 0, atomCount[k] <= InputLimits.maxAtoms, atomOffset[k] == running else {
                throw fail("configuration \(k + 1): atom_offset \(atomOffset[k]) / atom_count \(atomCount[k]) do not follow the previous configuration")
            }
            guard cost[k].isFinite, cost[k] >= 0 else { throw fail("configuration \(k + 1): cost \(cost[k]) is not a finite non-negative number") }
            guard groupIndex[k] >= -1, Int(groupIndex[k]) < groups.count else {
                throw fail("configuration \(k + 1): group_index \(groupIndex[k]) outside the \(groups.count) group names")
            }
            running += atomCount[k]
        }
        for name in [StoreLayout.cell, StoreLayout.pbc, StoreLayout.energy, StoreLayout.virial, StoreLayout.weights,
                     StoreLayout.hasEnergy, StoreLayout.hasVirial, StoreLayout.hasForces, StoreLayout.neighborCount,
                     StoreLayout.featureOffset, StoreLayout.featureCount, StoreLayout.propertyOffset, StoreLayout.propertyCount] {
            let rows = try file.shape(name).first ?? -1
            guard rows == C else { throw fail("\(name) has \(rows) rows for \(C) configurations") }
        }
        for name in [StoreLayout.species, StoreLayout.positions, StoreLayout.forces]
            + (propertyNames.isEmpty ? [] : [StoreLayout.propertyValues]) {
            let rows = try file.shape(name).first ?? -1
            guard rows == Int(running) else { throw fail("\(name) has \(rows) rows for \(running) atoms (truncated?)") }
        }
    }

    /// Name of configuration `k`'s group, if any.
    public func group(of k: Int) -> String? { groupIndex[k] >= 0 ? groups[Int(groupIndex[k])] : nil }

    /// All configurations.
    public func readAll() throws -> TrainingSet {
        TrainingSet(configurations: try read(0..<configurationCount), species: species, groups: groups)
    }

    /// The configurations `range` (0-based, contiguous), validated: labels
    /// marked present must be finite, labels marked missing must be NaN,
    /// species must be in the table.
    public func read(_ range: Range<Int>) throws -> [Configuration] {
        guard range.lowerBound >= 0, range.upperBound <= configurationCount else {
            throw InputError(file: path, "configurations \(range.lowerBound + 1)...\(range.upperBound) requested, the file holds \(configurationCount)")
        }
        let atomRows = range.isEmpty ? 0..<0
            : Int(atomOffset[range.lowerBound])..<Int(atomOffset[range.upperBound - 1] + atomCount[range.upperBound - 1])
        let cell: [Double] = try file.read(StoreLayout.cell, rows: range, rowShape: [3, 3])
        let pbc: [UInt8] = try file.read(StoreLayout.pbc, rows: range, rowShape: [3])
        let energy: [Double] = try file.read(StoreLayout.energy, rows: range)
        let hasEnergy: [UInt8] = try file.read(StoreLayout.hasEnergy, rows: range)
        let virial: [Double] = try file.read(StoreLayout.virial, rows: range, rowShape: [6])
        let hasVirial: [UInt8] = try file.read(StoreLayout.hasVirial, rows: range)
        let hasForces: [UInt8] = try file.read(StoreLayout.hasForces, rows: range)
        let weights: [Double] = try file.read(StoreLayout.weights, rows: range, rowShape: [3])
        let featureOffset: [Int64] = try file.read(StoreLayout.featureOffset, rows: range)
        let featureCount: [Int64] = try file.read(StoreLayout.featureCount, rows: range)
        let propertyOffset: [Int64] = try file.read(StoreLayout.propertyOffset, rows: range)
        let propertyCount: [Int64] = try file.read(StoreLayout.propertyCount, rows: range)
        let species: [Int32] = try file.read(StoreLayout.species, rows: atomRows)
        let positions: [Double] = try file.read(StoreLayout.positions, rows: atomRows, rowShape: [3])
        let forces: [Double] = try file.read(StoreLayout.forces, rows: atomRows, rowShape: [3])
        let P = propertyNames.count
        let propertyValues: [Double] = P == 0 ? [] : try file.read(StoreLayout.propertyValues, rows: atomRows, rowShape: [P])

        // Features and property order of the range, also contiguous.
        func span(_ offsets: [Int64], _ counts: [Int64], _ what: String) throws -> Range<Int> {
            guard let first = offsets.first else { return 0..<0 }
            var expected = first
            for (o, c) in zip(offsets, counts) {
                guard o == expected, c >= 0 else { throw InputError(file: path, "\(what) offsets are not contiguous") }
                expected += c
            }
            return Int(first)..<Int(expected)
        }
        let featureRows = try span(featureOffset, featureCount, "feature")
        let propertyRows = try span(propertyOffset, propertyCount, "atom property")
        let keys = try file.readStrings(StoreLayout.featureKeys, rows: featureRows)
        let values = try file.readStrings(StoreLayout.featureValues, rows: featureRows)
        let order: [Int32] = try file.read(StoreLayout.propertyOrder, rows: propertyRows)

        var out: [Configuration] = []
        out.reserveCapacity(range.count)
        for (i, k) in range.enumerated() {
            func fail(_ m: String) -> InputError { InputError(file: path, "configuration \(k + 1): \(m)") }
            let n = Int(atomCount[k])
            let a0 = Int(atomOffset[k]) - atomRows.lowerBound
            var cellRows: [Vec3] = []
            for r in 0..<3 { cellRows.append(Vec3(cell[9 * i + 3 * r], cell[9 * i + 3 * r + 1], cell[9 * i + 3 * r + 2])) }
            var c = Configuration(cell: cellRows,
                                  pbc: Periodicity(pbc[3 * i] != 0, pbc[3 * i + 1] != 0, pbc[3 * i + 2] != 0),
                                  species: (0..<n).map { Int(species[a0 + $0]) },
                                  positions: (0..<n).map { Vec3(positions[3 * (a0 + $0)], positions[3 * (a0 + $0) + 1], positions[3 * (a0 + $0) + 2]) })
            if let a = c.species.firstIndex(where: { $0 < 0 || $0 >= speciesCount }) {
                throw fail("atom \(a + 1) has species index \(c.species[a]), the file declares \(speciesCount) species")
            }
            func finite(_ v: Vec3) -> Bool { v.x.isFinite && v.y.isFinite && v.z.isFinite }
            guard cellRows.allSatisfy(finite) else { throw fail("non-finite cell") }
            if let a = c.positions.firstIndex(where: { !finite($0) }) { throw fail("atom \(a + 1) has a non-finite position") }
            switch hasEnergy[i] {
            case 0: guard energy[i].isNaN else { throw fail("has_energy is 0 but energy is \(energy[i]), not NaN") }
            case 1:
                guard energy[i].isFinite else { throw fail("energy is \(energy[i]), not a finite number") }
                c.energy = energy[i]
            default: throw fail("has_energy is \(hasEnergy[i]), expected 0 or 1")
            }
            switch hasVirial[i] {
            case 0: guard virial[6 * i ..< 6 * i + 6].allSatisfy(\.isNaN) else { throw fail("has_virial is 0 but the virial is not NaN") }
            case 1:
                let v = Array(virial[6 * i ..< 6 * i + 6])
                guard v.allSatisfy(\.isFinite) else { throw fail("virial has a non-finite component") }
                c.virial = Virial(voigt: v)
            default: throw fail("has_virial is \(hasVirial[i]), expected 0 or 1")
            }
            switch hasForces[i] {
            case 0: break
            case 1:
                let f = (0..<n).map { Vec3(forces[3 * (a0 + $0)], forces[3 * (a0 + $0) + 1], forces[3 * (a0 + $0) + 2]) }
                if let a = f.firstIndex(where: { !finite($0) }) { throw fail("atom \(a + 1) has a non-finite force") }
                c.forces = f
            default: throw fail("has_forces is \(hasForces[i]), expected 0 or 1")
            }
            c.energyWeight = weights[3 * i]; c.forceWeight = weights[3 * i + 1]; c.virialWeight = weights[3 * i + 2]
            c.group = group(of: k)
            let f0 = Int(featureOffset[i]) - featureRows.lowerBound
            c.features = (0..<Int(featureCount[i])).map { Feature(key: keys[f0 + $0], value: values[f0 + $0]) }
            let p0 = Int(propertyOffset[i]) - propertyRows.lowerBound
            for q in 0..<Int(propertyCount[i]) {
                let j = Int(order[p0 + q])
                guard j >= 0 && j < P else { throw fail("atom property index \(j) outside the \(P) names") }
                c.atomProperties.append(AtomProperty(name: propertyNames[j], values: (0..<n).map { propertyValues[(a0 + $0) * P + j] }))
            }
            if let problem = InputLimits.problem(in: c) { throw fail("\(problem)") }
            out.append(c)
        }
        return out
    }
}
