import Atomistic
import MTP

/// The configuration formats the CLI reads and writes, chosen by extension.
enum ConfigurationFiles {
    enum Kind { case cfg, extxyz }

    static func kind(of path: String) throws -> Kind {
        let lower = path.lowercased()
        if lower.hasSuffix(".cfg") { return .cfg }
        if lower.hasSuffix(".extxyz") || lower.hasSuffix(".xyz") { return .extxyz }
        throw InputError(file: path, "unknown configuration format (expected .cfg, .extxyz or .xyz)")
    }

    /// Configurations and, for formats that name species, the symbols of
    /// species indices 0, 1, ...
    static func read(_ path: String, symbols: [String]?) throws -> (configs: [Configuration], symbols: [String]?) {
        switch try kind(of: path) {
        case .cfg: return (try CFGFormat.read(path: path), symbols)
        case .extxyz:
            let r = try ExtXYZFormat.read(path: path, species: symbols)
            return (r.configurations, r.species)
        }
    }

    /// An error found in configuration `index` (0-based) after reading,
    /// located at the configuration's (or the offending atom's) line.
    static func located(_ error: Error, in path: String, configuration index: Int) -> InputError {
        var atom: Int? = nil
        switch error {
        case let e as EvaluationError:
            if case let .speciesOutOfRange(a, _, _) = e { atom = a }
        case let e as NeighborList.Failure:
            switch e {
            case let .overlappingAtoms(i, _, _): atom = i
            case let .notFinite(a): atom = a
            case .singularCell: break
            }
        default: break
        }
        let line = SourceLines.line(in: path, configuration: index, atom: atom)
        return InputError(file: path, line: line, "configuration \(index + 1): \(error)")
    }

    static func write(_ configs: [Configuration], to path: String, symbols: [String]?, mlipStyle: Bool) throws {
        switch try kind(of: path) {
        case .cfg: try CFGFormat.write(configs, to: path, style: mlipStyle ? .mlip : .full)
        case .extxyz:
            guard let symbols else {
                throw InputError(file: path, "extended XYZ needs element symbols: pass --species Cu,Ag,...")
            }
            try ExtXYZFormat.write(configs, symbols: symbols, to: path)
        }
    }
}
