import Foundation
import Atomistic

/// Labelling with a DFT code on the user's cluster: one VASP input
/// directory per structure, and the finished runs read back.
///
/// Layout: `DIR/STAGE/manifest.tsv` lists every exported structure (index,
/// directory, atom count, metadata); `DIR/STAGE/00001/` holds POSCAR,
/// INCAR (the template with the stage's ISIF/IBRION/NSW), KPOINTS (the
/// template with the structure's k-mesh) and, if given, a copy of POTCAR.
/// The user runs VASP in each directory; importing reads each
/// `vasprun.xml` (last ionic step: the relaxed structure for relaxation
/// stages) and keeps the manifest's metadata.
public struct VASPHandoff {
    public var directory: String
    /// Element symbols of species indices 0, 1, ...
    public var symbols: [String]
    public var incarTemplate: String = VASPHandoff.defaultINCAR
    public var kpointsTemplate: String = VASPHandoff.defaultKPOINTS
    /// k-point spacing (1/A, 2 pi included) for the `{mesh}` of the KPOINTS template.
    public var kSpacing: Double = 0.15
    /// A POTCAR to copy into every directory (VASP's are licensed, so none is bundled).
    public var potcar: String?
    public var maxIonicSteps = 200

    public init(directory: String, symbols: [String]) {
        self.directory = directory
        self.symbols = symbols
    }

    public static let defaultINCAR = """
        # Written by mtp (assyst or validate --export); ISIF, IBRION and NSW are set per run below.
        PREC = Accurate
        ENCUT = 500
        EDIFF = 1E-6
        EDIFFG = -1E-2
        ISMEAR = 1
        SIGMA = 0.1
        LREAL = .FALSE.
        LWAVE = .FALSE.
        LCHARG = .FALSE.

        """

    /// `{mesh}` becomes the structure's Gamma-centred mesh, `{kspacing}` the spacing.
    public static let defaultKPOINTS = """
        Gamma-centred mesh, k-point spacing {kspacing} 1/A
        0
        Gamma
        {mesh}
        0 0 0

        """

    /// VASP's relaxation tags for a stage: static runs for the random,
    /// perturbed and strained or scaled (ELASTIC, EOS) crystals (ISIF = 2 still computes the stress), ISIF = 7
    /// (volume), 6 (cell shape and volume, ions fixed) and 2 (ions) for
    /// the relaxation stages.
    public func stageTags(_ stage: AssystStage) -> [(String, String)] {
        switch stage {
        case .volmin: return [("IBRION", "2"), ("ISIF", "7"), ("NSW", "\(maxIonicSteps)")]
        case .cellmin: return [("IBRION", "2"), ("ISIF", "6"), ("NSW", "\(maxIonicSteps)")]
        case .intmin: return [("IBRION", "2"), ("ISIF", "2"), ("NSW", "\(maxIonicSteps)")]
        default: return Self.singlePointTags
        }
    }

    /// A static run (no ionic steps) that still computes forces and stress.
    public static let singlePointTags = [("IBRION", "-1"), ("ISIF", "2"), ("NSW", "0")]

    /// The template with the stage's tags replacing any the template sets.
    public func incar(for stage: AssystStage) -> String {
        incar(tags: stageTags(stage), note: "stage \(stage.rawValue) (mtp assyst)")
    }

    /// The template with `tags` replacing any the template sets, under a
    /// comment line `# note`.
    public func incar(tags: [(String, String)], note: String) -> String {
        let controlled = Set(tags.map(\.0))
        var out = ""
        for line in incarTemplate.split(separator: "\n", omittingEmptySubsequences: false) {
            // A line may hold several tags separated by ';'.
            let kept = line.split(separator: ";", omittingEmptySubsequences: false).filter { part in
                let key = part.split(separator: "=").first?.trimmingCharacters(in: .whitespaces).uppercased() ?? ""
                return !(part.contains("=") && controlled.contains(key))
            }
            if !kept.isEmpty { out += kept.joined(separator: ";") + "\n" }
        }
        while out.hasSuffix("\n\n") { out.removeLast() }
        out += "# \(note)\n"
        for (k, v) in tags { out += "\(k) = \(v)\n" }
        return out
    }

    /// Gamma-centred mesh with at most `kSpacing` between k-points.
    public func mesh(for config: Configuration) -> [Int] {
        let c = config.cell, v = determinant(c)
        let reciprocal = [cross(c[1], c[2]), cross(c[2], c[0]), cross(c[0], c[1])].map { 2 * Double.pi * $0 / v }
        return reciprocal.map { max(1, Int((norm($0) / kSpacing).rounded(.up))) }
    }

    public func kpoints(for config: Configuration) -> String {
        kpointsTemplate
            .replacingOccurrences(of: "{mesh}", with: mesh(for: config).map(String.init).joined(separator: " "))
            .replacingOccurrences(of: "{kspacing}", with: "\(kSpacing)")
    }

    public func stageDirectory(_ stage: AssystStage) -> String { (directory as NSString).appendingPathComponent(stage.rawValue) }
    public func manifestPath(_ stage: AssystStage) -> String { (stageDirectory(stage) as NSString).appendingPathComponent("manifest.tsv") }

    /// Writes one input directory per structure and the manifest (last, so
    /// a present manifest means a complete export). Refuses to overwrite an
    /// earlier export of the stage: its directories may hold finished runs.
    public func export(_ structures: [Configuration], stage: AssystStage) throws {
        let fm = FileManager.default
        let stageDir = stageDirectory(stage)
        if fm.fileExists(atPath: manifestPath(stage)) {
            throw InputError(file: manifestPath(stage), "stage \(stage.rawValue) was already exported; remove \(stageDir) to export it again")
        }
        do { try fm.createDirectory(atPath: stageDir, withIntermediateDirectories: true) } catch {
            throw AtomicFileError(path: stageDir, reason: "cannot create directory: \(error.localizedDescription)")
        }
        let incarText = incar(for: stage)
        var manifest = "# mtp assyst hand-off, stage \(stage.rawValue): \(structures.count) structures, elements \(symbols.joined(separator: ","))\n"
        manifest += "# index\tdirectory\tatoms\tmetadata (key=value;...)\n"
        for (k, config) in structures.enumerated() {
            let name = String(format: "%05d", k + 1)
            let dir = (stageDir as NSString).appendingPathComponent(name)
            do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw AtomicFileError(path: dir, reason: "cannot create directory: \(error.localizedDescription)")
            }
            let label = config.feature(AssystFeature.crystal).map { "crystal \($0)" } ?? "structure \(k + 1)"
            try writeInputs(config, to: dir, incar: incarText, comment: "\(stage.rawValue) \(k + 1): \(label)")
            let meta = config.features.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            manifest += "\(k + 1)\t\(name)\t\(config.atomCount)\t\(meta)\n"
        }
        try AtomicFile.write(manifest, to: manifestPath(stage))
    }

    /// One structure's VASP inputs in the existing directory `dir`: POSCAR
    /// (with `comment`), INCAR, KPOINTS for its cell and the POTCAR copy.
    public func writeInputs(_ config: Configuration, to dir: String, incar incarText: String, comment: String) throws {
        try POSCARFormat.write(config, symbols: symbols, comment: comment, to: (dir as NSString).appendingPathComponent("POSCAR"))
        try AtomicFile.write(incarText, to: (dir as NSString).appendingPathComponent("INCAR"))
        try AtomicFile.write(kpoints(for: config), to: (dir as NSString).appendingPathComponent("KPOINTS"))
        if let potcar {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: potcar)) } catch {
                throw InputError(file: potcar, "cannot read POTCAR: \(error.localizedDescription)")
            }
            try AtomicFile.write(data, to: (dir as NSString).appendingPathComponent("POTCAR"))
        }
    }

    public struct ManifestEntry: Sendable {
        public var index: Int
        public var directory: String
        public var atoms: Int
        public var features: [Feature]
    }

    public func readManifest(_ stage: AssystStage) throws -> [ManifestEntry] {
        let path = manifestPath(stage)
        let lines = try AtomicFile.readText(path: path).split(separator: "\n", omittingEmptySubsequences: false)
        var entries: [ManifestEntry] = []
        for (i, line) in lines.enumerated() where !line.isEmpty && !line.hasPrefix("#") {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard cols.count == 4, let index = Int(cols[0]), let atoms = Int(cols[2]), !cols[1].isEmpty,
                  !cols[1].contains("/"), !cols[1].hasPrefix(".") else {
                throw InputError(file: path, line: i + 1, "expected index, directory, atoms and metadata separated by tabs")
            }
            let features = try cols[3].split(separator: ";").map { kv -> Feature in
                guard let eq = kv.firstIndex(of: "=") else { throw InputError(file: path, line: i + 1, "metadata '\(kv)' is not key=value") }
                return Feature(key: String(kv[..<eq]), value: String(kv[kv.index(after: eq)...]))
            }
            entries.append(ManifestEntry(index: index, directory: String(cols[1]), atoms: atoms, features: features))
        }
        return entries
    }

    /// Directories of an exported stage without a vasprun.xml yet.
    public func pending(_ stage: AssystStage) throws -> [String] {
        try readManifest(stage).map { ($0.directory, vasprunPath(stage, $0.directory)) }
            .filter { !FileManager.default.fileExists(atPath: $0.1) }.map(\.0)
    }

    func vasprunPath(_ stage: AssystStage, _ dir: String) -> String {
        ((stageDirectory(stage) as NSString).appendingPathComponent(dir) as NSString).appendingPathComponent("vasprun.xml")
    }

    public struct Imported {
        /// Labelled structures in manifest order, species indices into `symbols`, group = stage.
        public var configurations: [Configuration]
        /// Element symbols of the configurations' species indices.
        public var symbols: [String]
        /// Directories whose run could not be used, and why.
        public var failures: [(directory: String, reason: String)]
    }

    /// Reads the last ionic step of every run of the stage. Runs that are
    /// missing, unreadable or unfinished, or whose atoms do not match the
    /// exported structure, are failures: counted and named, not kept.
    public func importStage(_ stage: AssystStage) throws -> Imported {
        var result = Imported(configurations: [], symbols: symbols, failures: [])
        for entry in try readManifest(stage) {
            let path = vasprunPath(stage, entry.directory)
            guard FileManager.default.fileExists(atPath: path) else {
                result.failures.append((entry.directory, "no vasprun.xml")); continue
            }
            let run: VASPFormat.Result
            do { run = try VASPFormat.readVasprun(path: path, lastStepOnly: true) } catch {
                result.failures.append((entry.directory, "\(error)")); continue
            }
            guard var config = run.configurations.last, config.atomCount == entry.atoms else {
                result.failures.append((entry.directory, "\(run.configurations.last?.atomCount ?? 0) atoms, exported \(entry.atoms)")); continue
            }
            guard config.energy != nil, config.forces != nil, config.virial != nil else {
                result.failures.append((entry.directory, "run lacks forces or stress")); continue
            }
            // The run's species (element order of its POSCAR) into the hand-off's symbol table.
            var map: [Int] = []
            for s in run.species {
                if let k = result.symbols.firstIndex(of: s) { map.append(k) } else { result.symbols.append(s); map.append(result.symbols.count - 1) }
            }
            config.species = config.species.map { map[$0] }
            config.group = stage.rawValue
            config.features = entry.features
            result.configurations.append(config)
        }
        return result
    }
}
