import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// VASP output as training data: every ionic step (or only the last) of a
/// `vasprun.xml` or an `OUTCAR`, with its cell, Cartesian positions, total
/// energy, forces and stress.
///
/// Energy: the free energy (vasprun `e_fr_energy`, OUTCAR `free  energy
/// TOTEN`), the quantity the forces are derivatives of. Stress: VASP prints
/// it in kbar with compression positive (vasprun: a 3x3 matrix; OUTCAR: the
/// `in kB` line, order xx yy zz xy yz zx), so MLIP's virial is
/// W = s * volume / 1602.1766208 eV. With PSTRESS set, vasprun's step
/// energy includes P*V, which is removed (OUTCAR's TOTEN does not hold it).
public enum VASPFormat {
    public struct Result: Sendable {
        public var configurations: [Configuration]
        /// Element symbols of species indices 0, 1, ...
        public var species: [String]
    }

    // MARK: vasprun.xml

    /// Reads `vasprun.xml` with a streaming XML parser: a run's file can be
    /// large and only a few arrays per step are needed.
    public static func readVasprun(path: String, lastStepOnly: Bool = false) throws -> Result {
        guard let parser = XMLParser(contentsOf: URL(fileURLWithPath: path)) else {
            throw InputError(file: path, "cannot open file")
        }
        let delegate = VasprunDelegate(file: path)
        parser.delegate = delegate
        let ok = parser.parse()
        if let e = delegate.failure { throw e }
        guard ok else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "unknown error"
            throw InputError(file: path, line: parser.lineNumber, "malformed or truncated XML: \(reason)")
        }
        guard !delegate.elements.isEmpty else { throw InputError(file: path, "no <atominfo> atoms array") }
        var symbols: [String] = []
        let species = delegate.elements.map { e -> Int in
            if let k = symbols.firstIndex(of: e) { return k }
            symbols.append(e); return symbols.count - 1
        }
        var configs: [Configuration] = []
        for (k, step) in delegate.steps.enumerated() {
            func fail(_ m: String) -> InputError { InputError(file: path, "ionic step \(k + 1): \(m)") }
            guard step.basis.count == 3, step.basis.allSatisfy({ $0.count == 3 }) else { throw fail("missing or malformed basis") }
            guard step.positions.count == species.count, step.positions.allSatisfy({ $0.count == 3 }) else {
                throw fail("\(step.positions.count) positions for \(species.count) atoms")
            }
            let cell = step.basis.map { Vec3($0[0], $0[1], $0[2]) }
            var c = Configuration(cell: cell, pbc: .all, species: species,
                                  positions: step.positions.map { f in f[0] * cell[0] + f[1] * cell[1] + f[2] * cell[2] })
            guard let e = step.energy else { throw fail("no e_fr_energy (run not finished?)") }
            // With PSTRESS, VASP adds the enthalpy term P*V to the step's
            // energy; the forces and stress are those of the plain energy.
            c.energy = e - delegate.pstress * c.volume / MLearnJSON.kbarPerEVPerA3
            if !step.forces.isEmpty {
                guard step.forces.count == species.count, step.forces.allSatisfy({ $0.count == 3 }) else {
                    throw fail("\(step.forces.count) forces for \(species.count) atoms")
                }
                c.forces = step.forces.map { Vec3($0[0], $0[1], $0[2]) }
            }
            if !step.stress.isEmpty {
                guard step.stress.count == 3, step.stress.allSatisfy({ $0.count == 3 }) else { throw fail("malformed stress") }
                c.virial = (c.volume / MLearnJSON.kbarPerEVPerA3) * Virial(matrix: step.stress)
            }
            configs.append(c)
        }
        guard !configs.isEmpty else { throw InputError(file: path, "no complete ionic step (<calculation>)") }
        return Result(configurations: lastStepOnly ? [configs.last!] : configs, species: symbols)
    }

    /// Collects the atoms array and, per `<calculation>`, its structure,
    /// forces, stress and final energy.
    private final class VasprunDelegate: NSObject, XMLParserDelegate {
        struct Step { var basis: [[Double]] = []; var positions: [[Double]] = []; var forces: [[Double]] = []
                      var stress: [[Double]] = []; var energy: Double? }
        let file: String
        var elements: [String] = []
        var steps: [Step] = []
        /// The PSTRESS parameter (kbar), 0 when absent.
        var pstress = 0.0
        var failure: InputError?

        private var path: [(name: String, attr: [String: String])] = []
        private var text = ""
        private var current: Step?
        private var rcColumn = 0

        init(file: String) { self.file = file }

        private func inside(_ name: String, _ attrName: String? = nil) -> Bool {
            path.contains { $0.name == name && (attrName == nil || $0.attr["name"] == attrName) }
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            path.append((name, attributes))
            text = ""
            if name == "calculation" { current = Step() }
            if name == "rc" { rcColumn = 0 }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            defer { path.removeLast(); text = "" }
            guard failure == nil else { return }
            let parent = path.count >= 2 ? path[path.count - 2] : (name: "", attr: [:])
            func numbers() -> [Double]? {
                let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
                let v = parts.compactMap { Double($0) }
                guard v.count == parts.count, v.allSatisfy(\.isFinite) else {
                    failure = InputError(file: file, line: parser.lineNumber, "cannot parse '\(text.trimmingCharacters(in: .whitespacesAndNewlines))' as finite numbers")
                    return nil
                }
                return v
            }
            switch name {
            case "c" where inside("atominfo") && inside("array", "atoms"):
                if rcColumn == 0 { elements.append(text.trimmingCharacters(in: .whitespacesAndNewlines)) }
                rcColumn += 1
            case "v" where current != nil && path.count >= 3:
                let inStructure = path.dropLast().contains { $0.name == "structure" }
                let arrayName = parent.attr["name"]
                // Only the arrays directly under <calculation> (not those of <scstep> or dynmat).
                let grand = path[path.count - 3].name
                guard let v = numbers() else { return }
                if inStructure && arrayName == "basis" { current!.basis.append(v) }
                else if inStructure && arrayName == "positions" { current!.positions.append(v) }
                else if !inStructure && grand == "calculation" && arrayName == "forces" { current!.forces.append(v) }
                else if !inStructure && grand == "calculation" && arrayName == "stress" { current!.stress.append(v) }
            case "i" where current != nil && parent.name == "energy" && path.count >= 3 && path[path.count - 3].name == "calculation":
                if path.last?.attr["name"] == "e_fr_energy", let v = numbers(), v.count == 1 { current!.energy = v[0] }
            case "i" where current == nil && path.last?.attr["name"] == "PSTRESS" && inside("parameters"):
                if let v = numbers(), v.count == 1 { pstress = v[0] }
            case "calculation":
                if let c = current { steps.append(c) }
                current = nil
            default: break
            }
        }
    }

    // MARK: OUTCAR

    /// Reads an OUTCAR: species from the `POTCAR:` and `ions per type` lines,
    /// then per ionic step the latest `direct lattice vectors`, the `in kB`
    /// stress, the `POSITION ... TOTAL-FORCE` block and `free  energy   TOTEN`.
    public static func readOUTCAR(path: String, lastStepOnly: Bool = false) throws -> Result {
        let text = try AtomicFile.readText(path: path)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func fail(_ line: Int, _ m: String) -> InputError { InputError(file: path, line: line + 1, m) }
        func numbers(_ s: Substring, line: Int) throws -> [Double] {
            try s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map {
                guard let x = Double($0), x.isFinite else { throw fail(line, "cannot parse '\($0)' as a finite number") }
                return x
            }
        }
        var potcars: [String] = []
        var ionsPerType: [Int] = []
        var cell: [Vec3]?
        var stress: [Double]?
        var pending: Configuration?
        var configs: [Configuration] = []
        var species: [Int] = []
        var symbols: [String] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.hasPrefix(" POTCAR:") {
                let toks = line.split(separator: " ")
                if toks.count >= 3 { potcars.append(String(toks[2].split(separator: "_").first ?? toks[2])) }
            } else if line.contains("ions per type =") {
                ionsPerType = try line.split(separator: "=")[1].split(separator: " ").map {
                    guard let n = Int($0), n > 0 else { throw fail(i, "cannot parse ions per type") }
                    return n
                }
                guard potcars.count >= ionsPerType.count else { throw fail(i, "\(ionsPerType.count) ion types but \(potcars.count) POTCAR lines") }
                symbols = []
                species = []
                for (t, n) in ionsPerType.enumerated() {
                    let e = potcars[t]
                    guard ExtXYZFormat.elementSymbols.contains(e) else { throw fail(i, "POTCAR element '\(e)' is not a chemical element") }
                    if !symbols.contains(e) { symbols.append(e) }
                    species += Array(repeating: symbols.firstIndex(of: e)!, count: n)
                }
            } else if line.contains("direct lattice vectors") {
                guard i + 3 < lines.count else { throw fail(i, "file ends inside the lattice vectors") }
                cell = try (1...3).map { r in
                    let v = try numbers(lines[i + r], line: i + r)
                    guard v.count >= 3 else { throw fail(i + r, "expected a lattice vector") }
                    return Vec3(v[0], v[1], v[2])
                }
                i += 3
            } else if line.hasPrefix("  in kB") {
                let v = try numbers(line.dropFirst("  in kB".count), line: i)
                guard v.count == 6 else { throw fail(i, "expected six stress components") }
                stress = v
            } else if line.hasPrefix(" POSITION") && line.contains("TOTAL-FORCE") {
                guard !species.isEmpty else { throw fail(i, "positions before 'ions per type'") }
                guard let cell else { throw fail(i, "positions before the lattice vectors") }
                let n = species.count
                guard i + 1 + n < lines.count else { throw fail(i, "file ends inside the positions and forces of \(n) atoms") }
                var positions: [Vec3] = [], forces: [Vec3] = []
                for a in 0..<n {
                    let v = try numbers(lines[i + 2 + a], line: i + 2 + a)
                    guard v.count == 6 else { throw fail(i + 2 + a, "expected x y z fx fy fz") }
                    positions.append(Vec3(v[0], v[1], v[2])); forces.append(Vec3(v[3], v[4], v[5]))
                }
                var c = Configuration(cell: cell, pbc: .all, species: species, positions: positions)
                c.forces = forces
                if let s = stress {
                    // xx yy zz xy yz zx -> Voigt xx yy zz yz xz xy
                    c.virial = (c.volume / MLearnJSON.kbarPerEVPerA3) * Virial(xx: s[0], yy: s[1], zz: s[2], yz: s[4], xz: s[5], xy: s[3])
                }
                stress = nil
                pending = c
                i += 1 + n
            } else if line.hasPrefix("  free  energy   TOTEN") {
                guard var c = pending else { throw fail(i, "energy before the positions and forces of the step") }
                guard let e = try numbers(line.split(separator: "=")[1].dropLast(line.hasSuffix("eV") ? 2 : 0), line: i).first else {
                    throw fail(i, "cannot parse the energy")
                }
                c.energy = e
                configs.append(c)
                pending = nil
            }
            i += 1
        }
        guard !configs.isEmpty else { throw InputError(file: path, "no complete ionic step (positions, forces and free energy TOTEN)") }
        return Result(configurations: lastStepOnly ? [configs.last!] : configs, species: symbols)
    }
}

extension VASPFormat {
    /// `vasprun*.xml`, as a registered format.
    public enum Vasprun: ConfigurationFormat {
        public static var name: String { "vasprun.xml" }
        public static func claims(fileName: String) -> Bool { fileName.hasPrefix("vasprun") && fileName.hasSuffix(".xml") }
        public static func read(_ path: String, options: FormatOptions) throws -> ConfigurationData {
            let r = try readVasprun(path: path, lastStepOnly: options.lastStepOnly)
            return ConfigurationData(configurations: r.configurations, symbols: r.species)
        }
    }

    /// `OUTCAR*`, as a registered format.
    public enum OUTCAR: ConfigurationFormat {
        public static var name: String { "OUTCAR" }
        public static func claims(fileName: String) -> Bool { fileName.hasPrefix("outcar") }
        public static func read(_ path: String, options: FormatOptions) throws -> ConfigurationData {
            let r = try readOUTCAR(path: path, lastStepOnly: options.lastStepOnly)
            return ConfigurationData(configurations: r.configurations, symbols: r.species)
        }
    }
}
