import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore

/// Where `grade` and `select-add` get their active set: the trained
/// potential, its training set (any format, sharded over the ranks) and the
/// file the set is kept in. Building a set costs a pass over the training
/// set plus a MaxVol selection, so a saved set is reused while the digests
/// of potential, training set and options in its header still match.
public struct ActiveSetStore: Sendable {
    public var potentialPath: String
    public var training: ShardSource
    /// The active set file (nil: `ActiveSet.defaultPath(potential:)`).
    public var path: String?
    public var options: ActiveSetOptions

    public init(potentialPath: String, training: ShardSource, path: String? = nil, options: ActiveSetOptions) {
        self.potentialPath = potentialPath
        self.training = training
        self.path = path
        self.options = options
    }

    /// The file the set is read from and written to.
    public var setPath: String { path ?? ActiveSet.defaultPath(potential: potentialPath) }

    /// The trained potential and its active set (`ActiveSet.potential`).
    /// Collective: every rank calls it and gets the same set, or throws the
    /// same `CollectiveFailure`. `report` receives the lines a user is told
    /// (which set, how it was obtained, its spectrum), on every rank.
    public func load(_ comm: Communicator, report: (String) -> Void) throws -> ActiveSet {
        let potential = try Collective.together(comm) {
            let p = try MTPFile.read(path: potentialPath)
            guard p.isTrained else { throw InputError(file: potentialPath, "\(EvaluationError.untrained)") }
            return p
        }
        return try loadOrBuild(potential: potential, comm, report: report)
    }

    /// The active set of `potential` on the training set: read from
    /// `setPath` when it is current, else built on all ranks and written by
    /// rank 0. Rank 0 decides whether the file is current, so that every
    /// rank takes the same branch.
    public func loadOrBuild(potential: Potential, _ comm: Communicator, report: (String) -> Void) throws -> ActiveSet {
        let file = training.path, path = setPath
        let shard = try training.read(comm)
        try Collective.together(comm) {
            if shard.totalConfigurations == 0 { throw InputError(file: file, "the training set is empty") }
            try shard.checkSpecies(of: potential, file: file)
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        let digest = ActiveSet.trainingDigest(local: shard.configurations, communicator: comm)
        let current = try Collective.fromRoot(comm) {
            ActiveSet.isCurrent(path: path, potential: potential, trainingDigest: digest, options: options)
        }
        let set: ActiveSet
        if current {
            set = try Collective.together(comm) { try ActiveSet.load(path: path, potential: potential) }
            report("active set: \(path) (current: \(set.rank) rows of \(set.trainingCount) training configurations), loaded in \(Self.seconds(clock.now - t0))")
        } else {
            set = try Collective.together(comm) {
                do {
                    return try ActiveSet.build(potential: potential, local: shard.configurations, first: shard.range.lowerBound,
                                               totalCount: shard.totalConfigurations, options: options, communicator: comm)
                } catch { throw InputError(file: file, "\(error)") }
            }
            try Collective.onRoot(comm) { try set.write(to: path) }
            report("active set: \(set.rank) rows chosen by MaxVol from \(shard.totalConfigurations) training configurations in \(Self.seconds(clock.now - t0)) -> \(path)")
        }
        report(String(format: "  parameters %d, rank %d (%d directions left out, %d parameters unused by the training set), singular value ratio kept %.2e / dropped %.2e, max training coefficient %.6f",
                      set.parameterCount, set.rank, set.droppedDirections, set.zeroParameters.count,
                      set.smallestKept, set.largestDropped, set.maxTrainingCoefficient))
        return set
    }

    /// A duration as the active-learning reports print it.
    public static func seconds(_ d: Duration) -> String { String(format: "%.2f s", ProcessTime.seconds(d)) }
}

extension DataShard {
    /// Throws, at the configuration's place in `file`, if an atom of this
    /// rank's configurations has a species `potential` does not know: the
    /// evaluator would reject it later, without the place.
    public func checkSpecies(of potential: Potential, file: String) throws {
        for (n, c) in configurations.enumerated() {
            for (a, z) in c.species.enumerated() where z < 0 || z >= potential.speciesCount {
                throw located(EvaluationError.speciesOutOfRange(atom: a, species: z, speciesCount: potential.speciesCount),
                              in: file, local: n)
            }
        }
    }
}
