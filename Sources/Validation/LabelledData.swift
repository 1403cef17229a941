import Foundation
import Atomistic
import Reference

/// `--reference data:DIR`: the structures of `mtp validate --export DIR`,
/// labelled by any code, as the reference. Each directory of the manifest
/// holds the finished run: a vasprun.xml or OUTCAR, or one file any
/// registered configuration format reads (an .extxyz, .cfg, ...). A
/// structure whose run is missing, unreadable, of other atoms or without
/// the labels its property needs makes that property fail for the
/// reference with one message naming the directories: never a number from
/// partial data.
public struct LabelledData: Sendable {
    public var directory: String
    public var manifest: ValidationManifest
    /// Per manifest entry: the labels, or why the entry is unusable.
    public var labels: [Result<Labels, PropertyFailure>]

    /// How far (A) a labelled structure's atoms and cell may be from the
    /// exported ones: OUTCAR prints positions to 1e-5 A, and the smallest
    /// deliberate difference (a phonon displacement) is 1e-2 A.
    public static let geometryTolerance = 1e-4

    public var name: String { "data:" + directory }

    /// Reads the manifest and every labelled run (a bad manifest throws; a
    /// bad run only marks its entry).
    public init(directory: String) throws {
        self.directory = directory
        manifest = try ValidationManifest.read(directory: directory)
        let dir = directory, element = manifest.element
        labels = manifest.structures.map { Self.read($0, in: dir, element: element) }
    }

    /// The properties DIR holds structures of, in manifest order.
    public var exportedProperties: [String] {
        var out: [String] = []
        for e in manifest.structures where !out.contains(e.property) { out.append(e.property) }
        return out
    }

    /// Why `property` cannot come from this data at all (not exported),
    /// nil when DIR holds its structures (or it is the equilibria, which
    /// are always given).
    public func refusal(_ property: String) -> String? {
        if property == EquilibriumProperty.identifier || exportedProperties.contains(property) { return nil }
        if let why = manifest.notExported[property] { return "\(name) cannot give \(property): \(why)" }
        return "\(name) holds no \(property) structures (exported: \(exportedProperties.joined(separator: ", ")); "
            + "export them with `mtp validate POT --export DIR --properties ...`)"
    }

    /// How many of `property`'s structures are labelled, of how many.
    public func count(_ property: String) -> (labelled: Int, total: Int) {
        let mine = manifest.structures.indices.filter { manifest.structures[$0].property == property }
        return (mine.filter { (try? labels[$0].get()) != nil }.count, mine.count)
    }

    /// Why `property` cannot be computed from this data, nil when every
    /// structure it needs is labelled.
    public func problem(_ property: String) -> String? {
        if property == EquilibriumProperty.identifier { return nil }
        if let refusal = refusal(property) { return refusal }
        // Directories per reason, reasons in order of first appearance.
        var reasons: [(reason: String, directories: [String])] = []
        for i in manifest.structures.indices where manifest.structures[i].property == property {
            guard case .failure(let f) = labels[i] else { continue }
            if let k = reasons.firstIndex(where: { $0.reason == f.description }) {
                reasons[k].directories.append(manifest.structures[i].directory)
            } else {
                reasons.append((f.description, [manifest.structures[i].directory]))
            }
        }
        guard !reasons.isEmpty else { return nil }
        let bad = reasons.reduce(0) { $0 + $1.directories.count }
        let total = manifest.structures.filter { $0.property == property }.count
        return "\(bad) of \(total) \(property) structures in \(directory) are not usable: " + reasons.map { r in
            "\(r.reason): " + r.directories.prefix(3).joined(separator: ", ") + (r.directories.count > 3 ? " and \(r.directories.count - 3) more" : "")
        }.joined(separator: "; ")
    }

    /// The reference as the Validator sees it: the exported lattices,
    /// labels looked up by structure, and `problem` before each property.
    public var source: CalculatorSource {
        let data = self
        var s = CalculatorSource(name: name, make: { LabelledDataCalculator(data: data) }, gradeNote: "grade: not applicable to the reference")
        s.fixedLattices = FixedLattices(
            lattices: manifest.equilibrium, cells: "the cells relaxed with \(manifest.latticeSource) (exported to \(name))",
            why: "not computed: \(name) holds single points on the lattices relaxed with \(manifest.latticeSource), not the reference's own relaxation")
        s.unavailable = { data.problem($0) }
        return s
    }

    /// The labels of entry `entry`'s run directory, checked against the exported structure.
    static func read(_ entry: ValidationManifest.Entry, in directory: String, element: String) -> Result<Labels, PropertyFailure> {
        let dir = (directory as NSString).appendingPathComponent(entry.directory)
        func fail(_ s: String) -> Result<Labels, PropertyFailure> { .failure(PropertyFailure(s)) }
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else { return fail("no directory") }
        let file: String
        if let vasp = ["vasprun.xml", "OUTCAR"].first(where: { fm.fileExists(atPath: (dir as NSString).appendingPathComponent($0)) }) {
            file = vasp
        } else {
            let inputs: Set<String> = ["POSCAR", "INCAR", "KPOINTS", "POTCAR"]
            let names = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { !inputs.contains($0) && !$0.hasPrefix(".") }.sorted()
            let readable = names.filter { (try? ConfigurationFormats.format(of: (dir as NSString).appendingPathComponent($0))) != nil }
            guard !readable.isEmpty else { return fail("not labelled (no vasprun.xml, OUTCAR or configuration file such as an .extxyz)") }
            guard readable.count == 1 else { return fail("several labelled files (\(readable.joined(separator: ", "))); keep one") }
            file = readable[0]
        }
        let path = (dir as NSString).appendingPathComponent(file)
        let data: ConfigurationData
        do { data = try ConfigurationFormats.read(path, options: FormatOptions(lastStepOnly: true)) } catch {
            return fail("\(error)")
        }
        guard data.configurations.count == 1, let c = data.configurations.first else {
            return fail("\(file) holds \(data.configurations.count) structures, expected the one single point")
        }
        let exported = entry.structure.configuration
        guard c.atomCount == exported.atomCount else { return fail("\(file) has \(c.atomCount) atoms, exported \(exported.atomCount)") }
        if let symbols = data.symbols, let other = c.species.map({ $0 < symbols.count ? symbols[$0] : "?" }).first(where: { $0 != element }) {
            return fail("\(file) holds \(other) atoms, exported \(element)")
        }
        guard let d = Self.geometryDifference(c, exported) else { return fail("the exported structure has a singular cell") }
        guard d <= geometryTolerance else {
            return fail("\(file) is not the exported structure (atoms or cell differ by \(String(format: "%.2g", d)) A; the inputs ask for a single point, no relaxation)")
        }
        var labels = Labels(energy: .nan, forces: [Vec3](repeating: Vec3(.nan, .nan, .nan), count: c.atomCount),
                            virial: Virial(voigt: [Double](repeating: .nan, count: 6)))
        if entry.needs.contains(.energy) {
            guard let e = c.energy, e.isFinite else { return fail("\(file) has no finite energy") }
            labels.energy = e
        }
        if entry.needs.contains(.forces) {
            guard let f = c.forces, f.count == c.atomCount, f.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) else {
                return fail("\(file) has no finite forces")
            }
            labels.forces = f
        }
        return .success(labels)
    }

    /// The largest distance (A) between the cells' vectors and between the
    /// atoms of `a` and `b` (positions compared modulo `b`'s cell); nil for a singular cell.
    static func geometryDifference(_ a: Configuration, _ b: Configuration) -> Double? {
        guard abs(determinant(b.cell)) > 1e-9 else { return nil }
        let inv = inverse(b.cell)
        var d = zip(a.cell, b.cell).map { norm($0 - $1) }.max() ?? 0
        for (p, q) in zip(a.positions, b.positions) {
            let r = p - q
            var f = r.x * inv[0] + r.y * inv[1] + r.z * inv[2]
            f = Vec3(f.x - f.x.rounded(), f.y - f.y.rounded(), f.z - f.z.rounded())
            d = max(d, norm(f.x * b.cell[0] + f.y * b.cell[1] + f.z * b.cell[2]))
        }
        return d
    }
}

/// The labelled data as a calculator: the labels of the exported structure
/// a property asks for (to 1e-9 A: the property builds it from the same
/// lattices), or the reason it has none. Labels a structure's property does
/// not need are NaN, so a property using them could not pass unnoticed.
struct LabelledDataCalculator: Calculator {
    let data: LabelledData
    var name: String { data.name }
    /// Looked-up labels have no interaction range.
    var cutoff: Double { 0 }

    func calculate(_ config: Configuration) throws -> Labels {
        for (i, e) in data.manifest.structures.enumerated() where e.structure.species.count == config.atomCount {
            let s = e.structure
            guard s.species == config.species else { continue }
            let cellMatch = zip(s.cell, config.cell).allSatisfy { abs($0[0] - $1.x) + abs($0[1] - $1.y) + abs($0[2] - $1.z) < 1e-9 }
            guard cellMatch, zip(s.positions, config.positions).allSatisfy({ abs($0[0] - $1.x) + abs($0[1] - $1.y) + abs($0[2] - $1.z) < 1e-9 })
            else { continue }
            return try data.labels[i].get()
        }
        throw PropertyFailure("\(data.name): no exported structure matches (\(config.atomCount) atoms); "
                              + "was the export made with other settings (--quick) or properties?")
    }
}
