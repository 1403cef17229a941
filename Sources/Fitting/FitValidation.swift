import Atomistic
import MTP
import Parallel
import TrainingStore

/// A validation set of a fit (MLIP's `--valid-cfgs`): configurations not
/// fitted to, whose errors are reported beside the training errors, per
/// group, in the same units (meV/atom, eV/A, GPa). Like the training set it
/// is read in shards, one per rank, and the table does not depend on the
/// number of ranks.
public struct FitValidation: Sendable {
    public let data: DataShard
    public let path: String

    /// The errors of `potential` on the set, per group and over all.
    func errors(of potential: Potential, options: TrainingOptions, communicator comm: Communicator) throws -> [GroupErrorRow] {
        let trainer = try Collective.together(comm) {
            do {
                return try Trainer(potential: potential, configurations: data.configurations, totalCount: data.totalConfigurations,
                                   options: options, communicator: comm)
            } catch {
                throw InputError(file: path, "\(error)")
            }
        }
        return try trainer.finalErrors(at: potential.parameters).groups
    }
}

extension Fit {
    /// Reports the errors on `data` (read from `path`) at the end of the
    /// fit. Checks on every rank together that its species are the
    /// potential's and that every configuration has labels.
    public func validate(on data: DataShard, path: String) throws {
        try Collective.together(communicator) {
            guard data.totalConfigurations > 0 else { throw InputError(file: path, "the validation set is empty") }
            try Fit.check(data, file: path, speciesCount: trainer.potential.speciesCount)
        }
        validation = FitValidation(data: data, path: path)
    }
}
