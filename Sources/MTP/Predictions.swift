import Atomistic

extension Evaluator {
    /// Reads a potential from `path` and prepares it for evaluation, naming
    /// the file in errors.
    public init(contentsOf path: String) throws {
        let pot = try MTPFile.read(path: path)
        do { self = try Evaluator(pot) } catch { throw InputError(file: path, "\(error)") }
    }

    /// Every configuration with its energy, forces and (periodic cells) virial
    /// replaced by this potential's; an error names the configuration's line
    /// in `file`. What `mtp calc-efs` writes and `mtp check-errors` compares.
    public func predictions(_ configs: [Configuration], file: String) throws -> [Configuration] {
        let workspace = EvaluationWorkspace()
        var out = configs
        for c in out.indices {
            do {
                let efs = try evaluate(out[c], neighbors: NeighborList(out[c], cutoff: cutoff), workspace: workspace)
                out[c].energy = efs.energy
                out[c].forces = efs.forces
                out[c].virial = out[c].isPeriodic ? efs.virial : nil
                out[c].dropSupersededLabels()
                if let why = InputLimits.problem(in: out[c]) { throw PredictionError.notFinite("\(why)") }
            } catch {
                throw ConfigurationFormats.located(error, in: file, configuration: c)
            }
        }
        return out
    }
}

/// Predictions that are not finite numbers (a potential whose coefficients
/// overflow on this configuration): never written to an output.
public enum PredictionError: Error, CustomStringConvertible {
    case notFinite(String)
    public var description: String {
        switch self {
        case .notFinite(let why): return "the potential's prediction is unusable (\(why)); are its coefficients sane?"
        }
    }
}
