import Foundation

/// The mlearn training sets (Zuo et al., J. Phys. Chem. A 124, 731 (2020)):
/// a JSON list of records, each a pymatgen `Structure` with VASP outputs.
///
/// Per record: `structure.lattice.matrix` (rows = lattice vectors, A),
/// `structure.sites[].species[0].element` and `.xyz` (Cartesian A; used
/// as stored, not recomputed from `abc`), `outputs.energy` (total eV),
/// `outputs.forces` (eV/A), `outputs.virial_stress` (six components, kbar),
/// `group` (kept as `Configuration.group`), `description` and `tag` (kept as
/// features). Structures are periodic on all axes.
///
/// `virial_stress` is the stress with compression positive (VASP's sign),
/// so MLIP's virial is W = +s * volume / 1602.1766208 (eV; 1 kbar =
/// 0.1 GPa, 1 eV/A^3 = 160.21766208 GPa). The sign and the order of the
/// three shear components were established from the data itself (docs/
/// hdf5-layout.md): the derivative of the energy along each strain mode of
/// the `Elastic` group equals -volume * s of the matching component. The
/// shear order is not the same in every published set — Si, Ge and Li hold
/// xx yy zz xy yz xz (VASP's order), Mo holds xx yy zz xy xz yz — so it is
/// inferred per file from its sheared cells (`inferStressOrder`) unless the
/// caller states it.
public enum MLearnJSON {
    /// The component (as an MLIP Voigt index: 0 xx, 1 yy, 2 zz, 3 yz, 4 xz,
    /// 5 xy) held by each of the six `virial_stress` slots.
    public struct StressOrder: Equatable, Sendable, CustomStringConvertible {
        public var slots: [Int]
        public static let names = ["xx", "yy", "zz", "yz", "xz", "xy"]

        /// Parses e.g. "xx,yy,zz,xy,yz,xz" (names may also be written zx, zy, yx).
        public init?(_ text: String) {
            let aliases = ["zx": "xz", "zy": "yz", "yx": "xy"]
            let parts = text.split(separator: ",").map { p -> String in
                let s = p.trimmingCharacters(in: .whitespaces).lowercased()
                return aliases[s] ?? s
            }
            let idx = parts.compactMap { StressOrder.names.firstIndex(of: $0) }
            guard idx.count == 6, Set(idx).count == 6 else { return nil }
            slots = idx
        }
        init(slots: [Int]) { self.slots = slots }

        /// VASP's order, as in the Si, Ge and Li sets.
        public static let vasp = StressOrder(slots: [0, 1, 2, 5, 3, 4])
        public var description: String { slots.map { StressOrder.names[$0] }.joined(separator: ",") }
    }

    public struct Result: Sendable {
        public var configurations: [Configuration]
        /// Element symbols of species indices 0, 1, ... (order of first appearance).
        public var species: [String]
        /// The stress order used and how it was chosen.
        public var stressOrder: StressOrder
        public var stressOrderEvidence: String
    }

    /// kbar per eV/A^3.
    public static let kbarPerEVPerA3 = 1602.1766208

    /// Reads the mlearn file at `path`. With `stressOrder` nil the order is
    /// inferred from the file (an error if it holds no suitable sheared cell).
    public static func read(path: String, stressOrder: StressOrder? = nil) throws -> Result {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError(file: path, "cannot read file: \(error.localizedDescription)")
        }
        let records: [Record]
        do {
            records = try JSONDecoder().decode([Record].self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { throw InputError(file: path, "the file holds no configurations (it is empty)") }
            if let p = JSONSyntax.firstProblem(in: [UInt8](data)) {
                throw InputError(file: path, line: p.line, "column \(p.column): not valid JSON: \(p.message)")
            }
            throw InputError(file: path, "not valid JSON: \(context.debugDescription) \(location(context.codingPath))")
        } catch let DecodingError.keyNotFound(key, context) {
            throw InputError(file: path, "missing '\(key.stringValue)' \(location(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw InputError(file: path, "unexpected type: \(context.debugDescription) \(location(context.codingPath))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw InputError(file: path, "null value \(location(context.codingPath))")
        } catch {
            throw InputError(file: path, "cannot decode: \(error)")
        }
        var species: [String] = []
        var configs: [Configuration] = []
        for (k, r) in records.enumerated() {
            configs.append(try r.configuration(symbols: &species, file: path, index: k))
        }
        let order: StressOrder
        let evidence: String
        if let stressOrder {
            order = stressOrder
            evidence = "given"
        } else {
            (order, evidence) = try inferStressOrder(
                records.filter { $0.group == "Elastic" }.map { ($0.structure.lattice.matrix, $0.outputs.virial_stress) }, file: path)
        }
        for (k, r) in records.enumerated() {
            guard let s = r.outputs.virial_stress else { continue }
            guard s.count == 6 else { throw InputError(file: path, "record \(k + 1): virial_stress has \(s.count) components, expected 6") }
            guard s.allSatisfy(\.isFinite) else { throw InputError(file: path, "record \(k + 1): virial_stress is not finite") }
            var voigt = [Double](repeating: 0, count: 6)
            let volume = configs[k].volume
            for slot in 0..<6 { voigt[order.slots[slot]] = s[slot] * volume / kbarPerEVPerA3 }
            configs[k].virial = Virial(voigt: voigt)
        }
        return Result(configurations: configs, species: species, stressOrder: order, stressOrderEvidence: evidence)
    }

    /// Which `virial_stress` slot holds which shear component, from cells
    /// sheared in a single plane (one off-diagonal lattice entry): the shear
    /// stress of such a cell is largest in that plane's slot. Every sheared
    /// cell must agree; the normal components are always first, in order.
    /// `read` passes only the `Elastic` group, whose shears are applied
    /// strains: a relaxed surface cell may be sheared in one plane and still
    /// carry its largest shear stress in another.
    public static func inferStressOrder(_ cells: [(lattice: [[Double]], stress: [Double]?)], file: String) throws -> (StressOrder, String) {
        var votes: [Int: [Int: Int]] = [:]  // slot -> MLIP component -> count
        for (lattice, stress) in cells {
            guard let s = stress, s.count == 6, lattice.count == 3, lattice.allSatisfy({ $0.count == 3 }) else { continue }
            let scale = lattice.map { $0.map(abs).max() ?? 0 }.max() ?? 0
            guard scale > 0 else { continue }
            var offDiagonal: [(Int, Int)] = []
            for i in 0..<3 { for j in 0..<3 where i != j && abs(lattice[i][j]) > 1e-4 * scale { offDiagonal.append((i, j)) } }
            guard offDiagonal.count == 1 else { continue }
            let (i, j) = offDiagonal[0]
            let plane = Set([i, j])
            let component = plane == [0, 1] ? 5 : (plane == [0, 2] ? 4 : 3)
            let shear = (3..<6).map { abs(s[$0]) }.enumerated().sorted { $0.element > $1.element }
            // The slot must stand out clearly; weak shears say nothing.
            guard shear[0].element > 5 * shear[1].element, shear[0].element > 0.01 else { continue }
            votes[3 + shear[0].offset, default: [:]][component, default: 0] += 1
        }
        var slots = [0, 1, 2, -1, -1, -1]
        var used = Set<Int>()
        var evidence: [String] = []
        for slot in 3..<6 {
            guard let v = votes[slot] else { continue }
            guard v.count == 1, let (component, count) = v.first else {
                throw InputError(file: file, "virial_stress slot \(slot + 1) matches different shear planes in different cells; state the order (e.g. --mlearn-stress-order xx,yy,zz,xy,yz,xz)")
            }
            guard used.insert(component).inserted else {
                throw InputError(file: file, "two virial_stress slots match the \(StressOrder.names[component]) shear; state the order explicitly")
            }
            slots[slot] = component
            evidence.append("slot \(slot + 1) = \(StressOrder.names[component]) (\(count) cells)")
        }
        let missing = slots.indices.filter { slots[$0] < 0 }
        if missing.count == 1 {
            let component = Set(3..<6).subtracting(used).first!
            slots[missing[0]] = component
            evidence.append("slot \(missing[0] + 1) = \(StressOrder.names[component]) (the remaining one)")
        } else if !missing.isEmpty {
            throw InputError(file: file, "cannot infer the order of the virial_stress shear components: the file's Elastic group has too few cells sheared in one plane; state it (e.g. --mlearn-stress-order xx,yy,zz,xy,yz,xz)")
        }
        return (StressOrder(slots: slots), "inferred from sheared cells: " + evidence.joined(separator: ", "))
    }

    private static func location(_ path: [CodingKey]) -> String {
        guard let first = path.first else { return "at the top level" }
        let record = first.intValue.map { "record \($0 + 1)" } ?? first.stringValue
        let rest = path.dropFirst().map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return "in \(record)\(rest.isEmpty ? "" : " at \(rest)")"
    }

    // MARK: JSON shape

    struct Record: Decodable {
        struct Structure: Decodable {
            struct Lattice: Decodable { var matrix: [[Double]] }
            struct Site: Decodable {
                struct Occupant: Decodable { var element: String; var occu: Double? }
                var species: [Occupant]
                var xyz: [Double]
            }
            var lattice: Lattice
            var sites: [Site]
        }
        struct Outputs: Decodable {
            var energy: Double?
            var forces: [[Double]]?
            var virial_stress: [Double]?
        }
        var structure: Structure
        var outputs: Outputs
        var group: String?
        var description: String?
        var tag: String?

        func configuration(symbols: inout [String], file: String, index k: Int) throws -> Configuration {
            func fail(_ m: String) -> InputError { InputError(file: file, "record \(k + 1): \(m)") }
            let m = structure.lattice.matrix
            guard m.count == 3, m.allSatisfy({ $0.count == 3 && $0.allSatisfy(\.isFinite) }) else {
                throw fail("lattice matrix must be 3x3 finite numbers")
            }
            let cell = m.map { Vec3($0[0], $0[1], $0[2]) }
            guard abs(determinant(cell)) > 1e-10 else { throw fail("singular lattice") }
            var species: [Int] = []
            var positions: [Vec3] = []
            for (a, site) in structure.sites.enumerated() {
                guard site.species.count == 1, let element = site.species.first?.element else {
                    throw fail("site \(a + 1) is disordered (\(site.species.count) species); only ordered structures are supported")
                }
                guard ExtXYZFormat.elementSymbols.contains(element) else { throw fail("site \(a + 1): unknown element '\(element)'") }
                guard site.xyz.count == 3, site.xyz.allSatisfy(\.isFinite) else { throw fail("site \(a + 1): xyz must be 3 finite numbers") }
                if !symbols.contains(element) { symbols.append(element) }
                species.append(symbols.firstIndex(of: element)!)
                positions.append(Vec3(site.xyz[0], site.xyz[1], site.xyz[2]))
            }
            guard !positions.isEmpty else { throw fail("structure has no sites") }
            var c = Configuration(cell: cell, pbc: .all, species: species, positions: positions)
            if let e = outputs.energy {
                guard e.isFinite else { throw fail("energy is not finite") }
                c.energy = e
            }
            if let f = outputs.forces {
                guard f.count == positions.count else { throw fail("\(f.count) forces for \(positions.count) sites") }
                c.forces = try f.enumerated().map { a, v in
                    guard v.count == 3, v.allSatisfy(\.isFinite) else { throw fail("force \(a + 1) must be 3 finite numbers") }
                    return Vec3(v[0], v[1], v[2])
                }
            }
            c.group = group
            if let d = description, !d.isEmpty { c.features.append(Feature(key: "description", value: clean(d))) }
            if let t = tag, !t.isEmpty { c.features.append(Feature(key: "tag", value: clean(t))) }
            return c
        }

        /// Feature values are single-line and trimmed in every text format.
        private func clean(_ s: String) -> String {
            s.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        }
    }
}

extension MLearnJSON: ConfigurationFormat {
    public static var name: String { "mlearn json" }
    public static func claims(fileName: String) -> Bool { fileName.hasSuffix(".json") }
    public static func read(_ path: String, options: FormatOptions) throws -> ConfigurationData {
        let r = try read(path: path, stressOrder: options.mlearnStressOrder)
        return ConfigurationData(configurations: r.configurations, symbols: r.species,
                                 note: "virial_stress order \(r.stressOrder) (\(r.stressOrderEvidence))")
    }
}
