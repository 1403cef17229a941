import Foundation
import Atomistic

/// DIR/manifest.json of `mtp validate --export DIR`: which structure each
/// directory holds, for which property, on which lattices and with which
/// settings, so that `--reference data:DIR` can match the labelled results
/// back to the structures the properties ask for.
public struct ValidationManifest: Codable, Sendable {
    public static let formatName = "mtp validate export"
    public static let currentVersion = 1
    public static let fileName = "manifest.json"

    public var format = formatName
    public var version = currentVersion
    public var element: String
    /// Who relaxed the exported lattices (the potential given to --export):
    /// every property is evaluated on these cells by every calculator.
    public var latticeSource: String
    /// The four relaxed unit cells, keyed by lattice name (hcp, fcc, dhcp, bcc).
    public var lattices: [String: StoredStructure]
    /// The settings the structures were generated with (ranges, points,
    /// supercell sizes); validating against the data uses them.
    public var settings: ValidationSettings
    public var structures: [Entry]
    /// Selected properties that were not exported, and why.
    public var notExported: [String: String]

    public struct Entry: Codable, Sendable {
        public var property: String
        public var name: String
        /// Relative to DIR: PROPERTY/NAME.
        public var directory: String
        public var needs: [SinglePointStructure.Need]
        public var parameters: [String: String]
        public var structure: StoredStructure
    }

    /// The directory of `property`'s structures (identifiers may hold spaces).
    public static func directoryName(_ property: String) -> String {
        property.replacingOccurrences(of: " ", with: "-")
    }

    /// The manifest of `directory`, checked: its format, its entries'
    /// directories (inside DIR, unique) and their structures.
    public static func read(directory: String) throws -> ValidationManifest {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, "no manifest: export the structures with `mtp validate POT --export \(directory)` first")
        }
        let m: ValidationManifest
        do { m = try JSONFile.decoder.decode(ValidationManifest.self, from: data) } catch {
            throw InputError(file: path, "not a manifest of `mtp validate --export`: \(error)")
        }
        guard m.format == formatName, m.version == currentVersion else {
            throw InputError(file: path, "format '\(m.format)' version \(m.version); this tool reads '\(formatName)' version \(currentVersion)")
        }
        for kind in LatticeKind.allCases {
            guard let s = m.lattices[kind.rawValue] else { throw InputError(file: path, "lattice \(kind.rawValue) missing") }
            if let p = s.problem { throw InputError(file: path, "lattice \(kind.rawValue): \(p)") }
        }
        var seen = Set<String>()
        for (k, e) in m.structures.enumerated() {
            let parts = e.directory.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") }), seen.insert(e.directory).inserted else {
                throw InputError(file: path, "structure \(k + 1): directory '\(e.directory)' is not a unique PROPERTY/NAME inside the export")
            }
            if let p = e.structure.problem { throw InputError(file: path, "structure \(k + 1) (\(e.directory)): \(p)") }
        }
        return m
    }

    /// The exported lattices as the reference's equilibrium; their energies
    /// are unknown (NaN): the properties computed from data do not use them.
    public var equilibrium: Equilibrium {
        var cells: [LatticeKind: Configuration] = [:], energies: [LatticeKind: Double] = [:]
        for kind in LatticeKind.allCases {
            cells[kind] = lattices[kind.rawValue]!.configuration
            energies[kind] = .nan
        }
        return Equilibrium(cells: cells, energyPerAtom: energies)
    }
}

/// A periodic structure in JSON: cell rows and Cartesian positions (A),
/// species indices. Doubles round-trip exactly, so a structure read back
/// is the one the property builds, bit for bit.
public struct StoredStructure: Codable, Sendable {
    public var cell: [[Double]]
    public var positions: [[Double]]
    public var species: [Int]

    public init(_ c: Configuration) {
        cell = c.cell.map { [$0.x, $0.y, $0.z] }
        positions = c.positions.map { [$0.x, $0.y, $0.z] }
        species = c.species
    }

    /// What is wrong with the stored numbers, if anything.
    var problem: String? {
        guard cell.count == 3, cell.allSatisfy({ $0.count == 3 }) else { return "the cell is not 3 x 3" }
        guard !positions.isEmpty, positions.allSatisfy({ $0.count == 3 }) else { return "positions are not triples" }
        guard species.count == positions.count else { return "\(species.count) species for \(positions.count) positions" }
        guard (cell + positions).allSatisfy({ $0.allSatisfy(\.isFinite) }) else { return "non-finite numbers" }
        guard species.allSatisfy({ $0 == 0 }) else { return "species other than 0 (the export holds one element)" }
        return nil
    }

    public var configuration: Configuration {
        Configuration(cell: cell.map { Vec3($0[0], $0[1], $0[2]) }, pbc: .all, species: species,
                      positions: positions.map { Vec3($0[0], $0[1], $0[2]) })
    }
}
