import ArgumentParser
import Foundation
import Atomistic
import TrainingStore

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert training data between .h5, .cfg, .extxyz, mlearn JSON and VASP output.",
        discussion: """
        Reads every IN (by extension: .h5/.hdf5 training store, .cfg, .extxyz/.xyz, .json (mlearn records),
        vasprun*.xml, OUTCAR*, or a directory holding vasprun.xml or else OUTCAR) and writes all their
        configurations, in order, to OUT (.h5, .cfg or .extxyz). Numbers are carried bit for bit between
        .h5, .cfg and .extxyz (the .cfg and .extxyz writers use shortest round-trip digits).

        Species: files that name elements (.extxyz, mlearn, VASP, .h5 with symbols) are merged by symbol;
        .cfg types are indices into --species (or into the existing store's table with --append).
        --group labels every imported configuration (mlearn records keep their own group otherwise).
        Writing .h5 computes each configuration's cost (neighbour pairs within --cost-cutoff) for
        balanced parallel reads; an existing .h5 OUT is an error unless --append or --overwrite.
        """)

    @Argument(help: "Input files or VASP run directories.") var inputs: [String]
    @Option(name: .shortAndLong, help: "Output file (.h5, .cfg, .extxyz).") var output: String
    @Option(help: "Group name for the imported configurations (e.g. RANDSPG, VOLMIN, TRIAX, RATTLE).")
    var group: String?
    @Option(help: "Element symbols of .cfg species 0, 1, ..., e.g. Cu,Ag,Au.") var species: String?
    @Flag(help: "Append to an existing .h5 output.") var append = false
    @Flag(help: "Replace an existing .h5 output.") var overwrite = false
    @Option(help: "Largest cutoff (A) the set will be fitted with; the cost estimate counts neighbours within it (new .h5 only).")
    var costCutoff: Double = CostModel.defaultCutoff
    @Option(help: "Order of mlearn virial_stress slots, e.g. xx,yy,zz,xy,yz,xz (default: inferred from the file's sheared cells).")
    var mlearnStressOrder: String?
    @Flag(help: "From VASP runs take only the last ionic step (default: every step).") var lastStepOnly = false

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
        guard costCutoff > 0, costCutoff.isFinite else { throw ValidationError("--cost-cutoff must be positive") }
        if let o = mlearnStressOrder, MLearnJSON.StressOrder(o) == nil {
            throw ValidationError("--mlearn-stress-order must name xx,yy,zz,yz,xz,xy once each, e.g. xx,yy,zz,xy,yz,xz")
        }
        guard !(append && overwrite) else { throw ValidationError("--append and --overwrite exclude each other") }
    }

    func run() throws {
        try reportingErrors {
            let outKind = try TrainingFiles.kind(of: output)
            let exists = FileManager.default.fileExists(atPath: output)
            var set = TrainingSet()
            var costModel = CostModel(cutoff: costCutoff)
            if outKind == .h5 && exists {
                guard append || overwrite else {
                    throw UserError("\(output) exists: pass --append to add to it or --overwrite to replace it")
                }
                if append {
                    let reader = try StoreReader(path: output)
                    set = try reader.readAll()
                    costModel = reader.costModel
                }
            } else if append {
                throw UserError("--append needs an existing .h5 output (\(output) \(exists ? "is not .h5" : "does not exist"))")
            }
            let symbols = species.map { $0.split(separator: ",").map(String.init) }
            let options = TrainingFiles.Options(
                symbols: symbols, mlearnStressOrder: mlearnStressOrder.flatMap(MLearnJSON.StressOrder.init),
                lastStepOnly: lastStepOnly)
            for input in inputs {
                var (configs, inputSymbols, note) = try TrainingFiles.read(input, options: options)
                if let group { for k in configs.indices { configs[k].group = group } }
                try set.append(configs, symbols: inputSymbols, source: input)
                if let note { FileHandle.standardError.write(Data("\(input): \(note)\n".utf8)) }
            }
            switch outKind {
            case .h5: try StoreWriter.write(set, to: output, costModel: costModel)
            case .cfg: try CFGFormat.write(set.configurations, to: output, style: .full)
            case .extxyz:
                guard !set.species.isEmpty else {
                    throw UserError("\(output): extended XYZ needs element symbols; pass --species Cu,Ag,...")
                }
                try ExtXYZFormat.write(set.configurations, symbols: set.species, to: output)
            default: throw InputError(file: output, "cannot write this format (expected .h5, .cfg or .extxyz)")
            }
            print("\(set.configurations.count) configurations, \(set.atomCount) atoms -> \(output)")
        }
    }
}

/// Training-data files by kind, for `convert` and `data`.
enum TrainingFiles {
    enum Kind { case h5, cfg, extxyz, mlearn, vasprun, outcar }

    struct Options {
        var symbols: [String]?
        var mlearnStressOrder: MLearnJSON.StressOrder?
        var lastStepOnly = false
    }

    static func kind(of path: String) throws -> Kind {
        let name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".h5") || name.hasSuffix(".hdf5") { return .h5 }
        if name.hasSuffix(".cfg") { return .cfg }
        if name.hasSuffix(".extxyz") || name.hasSuffix(".xyz") { return .extxyz }
        if name.hasSuffix(".json") { return .mlearn }
        if name.hasPrefix("vasprun") && name.hasSuffix(".xml") { return .vasprun }
        if name.hasPrefix("outcar") { return .outcar }
        throw InputError(file: path, "unknown training-data format (expected .h5, .cfg, .extxyz, .xyz, mlearn .json, vasprun*.xml or OUTCAR*)")
    }

    /// Configurations of `path`, the symbols their species indices refer to
    /// (nil: indices into the set's table) and a note for the user.
    static func read(_ path: String, options: Options) throws -> ([Configuration], [String]?, String?) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            let vasprun = (path as NSString).appendingPathComponent("vasprun.xml")
            let outcar = (path as NSString).appendingPathComponent("OUTCAR")
            if FileManager.default.fileExists(atPath: vasprun) { return try read(vasprun, options: options) }
            if FileManager.default.fileExists(atPath: outcar) { return try read(outcar, options: options) }
            throw InputError(file: path, "directory holds neither vasprun.xml nor OUTCAR")
        }
        switch try kind(of: path) {
        case .h5:
            let set = try StoreReader(path: path).readAll()
            return (set.configurations, set.species.isEmpty ? nil : set.species, nil)
        case .cfg:
            return (try CFGFormat.read(path: path), options.symbols, nil)
        case .extxyz:
            let r = try ExtXYZFormat.read(path: path, species: nil)
            return (r.configurations, r.species, nil)
        case .mlearn:
            let r = try MLearnJSON.read(path: path, stressOrder: options.mlearnStressOrder)
            return (r.configurations, r.species, "virial_stress order \(r.stressOrder) (\(r.stressOrderEvidence))")
        case .vasprun:
            let r = try VASPFormat.readVasprun(path: path, lastStepOnly: options.lastStepOnly)
            return (r.configurations, r.species, nil)
        case .outcar:
            let r = try VASPFormat.readOUTCAR(path: path, lastStepOnly: options.lastStepOnly)
            return (r.configurations, r.species, nil)
        }
    }
}
