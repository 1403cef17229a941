import Atomistic
import MTP
import Parallel
import TrainingStore

/// A validation set of a fit (`--valid`, MLIP's `--valid-cfgs`):
/// configurations not fitted to, whose errors are computed after every
/// iteration and reported beside the training errors, in the same units
/// (meV/atom, eV/A, GPa), and per group at the end. Like the training set it
/// is read in shards, one per rank, and its losses are sums in the fixed
/// order of `FixedOrderSum` (a `Trainer` of its own, built once, holds its
/// neighbour lists), so every number is the same under any number of ranks.
///
/// Its loss is the training loss's formula (the same weights and
/// weighting) over the validation set, without the ridge penalty; with
/// `stopAfter` the fit stops after that many iterations without a lower
/// validation loss and keeps the potential of the lowest one.
public final class FitValidation {
    public let data: DataShard
    public let path: String
    /// Stop after this many iterations without a lower validation loss and
    /// keep the best potential (nil: run on and keep the last).
    public let stopAfter: Int?
    let trainer: Trainer

    init(data: DataShard, path: String, stopAfter: Int?, potential: Potential, options: TrainingOptions,
         communicator comm: Communicator) throws {
        self.data = data
        self.path = path
        self.stopAfter = stopAfter
        var unpenalised = options
        unpenalised.ridge = 0
        let lists = try Collective.together(comm) {
            try data.configurations.enumerated().map { n, c in
                do { return try NeighborList(c, cutoff: potential.maxDist) } catch { throw data.located(error, in: path, local: n) }
            }
        }
        trainer = try Collective.together(comm) {
            do {
                return try Trainer(potential: potential, configurations: data.configurations, totalCount: data.totalConfigurations,
                                   options: unpenalised, communicator: comm, neighbors: lists)
            } catch {
                throw InputError(file: path, "\(error)")
            }
        }
    }

    /// Loss and RMSEs of the parameters `theta` on the set (one loss pass).
    func errors(at theta: [Double]) throws -> TrainingErrors {
        try trainer.errors(at: theta)
    }

    /// The errors of `theta` on the set, per group and over all.
    func groups(at theta: [Double]) throws -> [GroupErrorRow] {
        try trainer.finalErrors(at: theta).groups
    }
}

extension Fit {
    /// Evaluates `data` (read from `path`) after every iteration and at the
    /// end of the fit; with `stopAfter` (at least 1) the fit stops after that
    /// many iterations without a lower validation loss and keeps the best
    /// potential. Checks on every rank together that its species are the
    /// potential's and that every configuration has labels.
    public func validate(on data: DataShard, path: String, stopAfter: Int? = nil) throws {
        try Collective.together(communicator) {
            guard data.totalConfigurations > 0 else { throw InputError(file: path, "the validation set is empty") }
            try Fit.check(data, file: path, speciesCount: trainer.potential.speciesCount)
        }
        validation = try FitValidation(data: data, path: path, stopAfter: stopAfter.map { max($0, 1) },
                                       potential: trainer.potential, options: trainer.options, communicator: communicator)
    }
}
