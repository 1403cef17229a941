import Foundation
import Atomistic
import Reference
import Assyst

/// `mtp validate POT --export DIR`: every single-point structure the
/// selected properties would evaluate with the reference, written as VASP
/// inputs (the assyst hand-off's layout: POSCAR, INCAR, KPOINTS, POTCAR
/// copy per directory) with DIR/manifest.json naming property, structure
/// and parameters, for a reference that runs elsewhere.
///
/// The reference's own lattices would need its relaxation, so the
/// structures are built on the lattices relaxed with the potential given
/// (stated in the manifest and the report): every calculator is then
/// compared on those same cells. Properties that relax structures or run
/// dynamics with the reference are not exported; the manifest says why.
public struct ValidationExport {
    public var directory: String
    public var element: String
    public var properties: [any ValidationProperty]
    public var settings: ValidationSettings
    /// Hand-off templates (nil: the hand-off's defaults); the export sets
    /// IBRION, ISIF and NSW for single points.
    public var incarTemplate: String?
    public var kpointsTemplate: String?
    public var kSpacing = 0.15
    public var potcar: String?

    public init(directory: String, element: String, properties: [any ValidationProperty], settings: ValidationSettings) {
        self.directory = directory; self.element = element; self.properties = properties; self.settings = settings
    }

    public struct Summary: Sendable {
        public var manifest: String
        public var lattices: Equilibrium
        /// Structures per exported property, in report order.
        public var exported: [(property: String, count: Int)]
        public var notExported: [(property: String, why: String)]
    }

    /// Relaxes the four lattices with `latticeSource` (from `start`, or
    /// scanned), then writes every structure and, last, the manifest (a
    /// present manifest means a complete export). Refuses an existing
    /// export: its directories may hold finished runs.
    public func run(latticeSource: Calculator, sourceName: String, start: (a: Double, cOverA: Double)?) throws -> Summary {
        let manifestPath = (directory as NSString).appendingPathComponent(ValidationManifest.fileName)
        if FileManager.default.fileExists(atPath: manifestPath) {
            throw InputError(file: manifestPath, "\(directory) already holds an export; remove it (its runs too) to export again")
        }
        // Properties on their own lattices never qualify: refuse before relaxing when nothing else is selected.
        let candidates = properties.filter { $0.identifier != EquilibriumProperty.identifier && !$0.needsOwnEquilibrium }
        guard !candidates.isEmpty else { throw noneExportable(ValidationProperties.all.filter { !$0.needsOwnEquilibrium }) }

        let begin = try start ?? Equilibrium.scanStart(with: latticeSource)
        let lattices: Equilibrium
        do { lattices = try Equilibrium.find(with: latticeSource, start: begin, settings: settings) } catch {
            throw PropertyFailure("\(sourceName): lattices for the export: \(error)")
        }
        var notExported: [(property: String, why: String)] = []
        var chosen: [(property: any ValidationProperty, structures: [SinglePointStructure])] = []
        for p in properties where p.identifier != EquilibriumProperty.identifier {
            if !p.needsOwnEquilibrium, let structures = p.singlePointStructures(on: lattices, settings: settings) {
                chosen.append((p, structures))
            } else {
                notExported.append((p.identifier, p.labelledDataRefusal))
            }
        }
        guard !chosen.isEmpty else {
            throw noneExportable(ValidationProperties.all.filter { !$0.needsOwnEquilibrium && $0.singlePointStructures(on: lattices, settings: settings) != nil })
        }

        var handoff = VASPHandoff(directory: directory, symbols: [element])
        if let incarTemplate { handoff.incarTemplate = incarTemplate }
        if let kpointsTemplate { handoff.kpointsTemplate = kpointsTemplate }
        handoff.kSpacing = kSpacing
        handoff.potcar = potcar
        let incar = handoff.incar(tags: VASPHandoff.singlePointTags, note: "single point (mtp validate --export)")

        var entries: [ValidationManifest.Entry] = [], exported: [(property: String, count: Int)] = []
        for (p, structures) in chosen {
            for s in structures {
                let relative = ValidationManifest.directoryName(p.identifier) + "/" + s.name
                let dir = (directory as NSString).appendingPathComponent(relative)
                do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                    throw AtomicFileError(path: dir, reason: "cannot create directory: \(error.localizedDescription)")
                }
                try handoff.writeInputs(s.configuration, to: dir, incar: incar, comment: "\(p.identifier) \(s.name)")
                entries.append(ValidationManifest.Entry(property: p.identifier, name: s.name, directory: relative, needs: s.needs,
                                                        parameters: s.parameters, structure: StoredStructure(s.configuration)))
            }
            exported.append((p.identifier, structures.count))
        }
        var stored: [String: StoredStructure] = [:]
        for kind in LatticeKind.allCases { stored[kind.rawValue] = StoredStructure(lattices.cell(kind)) }
        let manifest = ValidationManifest(element: element, latticeSource: sourceName, lattices: stored, settings: settings,
                                          structures: entries, notExported: Dictionary(uniqueKeysWithValues: notExported.map { ($0.property, $0.why) }))
        try JSONFile.write(manifest, to: manifestPath)
        return Summary(manifest: manifestPath, lattices: lattices, exported: exported, notExported: notExported)
    }

    private func noneExportable(_ those: [any ValidationProperty]) -> PropertyFailure {
        PropertyFailure("--export: none of the selected properties can come from labelled single points (those that can: "
                        + those.filter { $0.identifier != EquilibriumProperty.identifier }.map(\.identifier).joined(separator: ", ") + ")")
    }
}
