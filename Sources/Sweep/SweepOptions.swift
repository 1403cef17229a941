import Fitting
import MTP
import Plotting
import TrainingStore

/// Everything a user chooses about a sweep.
public struct SweepOptions: Sendable {
    /// The training set (any registered format).
    public var data: String
    public var levels: [Int]
    public var cutoffs: [Double]
    /// Smallest interatomic distance of the radial basis (A).
    public var minDist = 1.8
    public var radialBasisSize = 8
    /// How the radial basis continues below min_dist.
    public var radialBasisType = RadialBasisType.chebyshev
    /// Number of species (nil: from the data).
    public var speciesCount: Int?
    /// Train only on configurations of these groups (nil: all).
    public var groups: [String]?
    /// Factors on the loss weights of whole groups (`--group-weights`).
    public var groupWeights: GroupWeights?
    /// Factors on the loss weights from each configuration's energy above the set's lowest (`--energy-weights`).
    public var energyWeights: EnergyWeights?
    /// Element symbols of species 0, 1, ... (for formats that store indices).
    public var symbols: [String]?
    /// The output directory.
    public var out: String
    /// Each fit's options, exactly as `mtp train` takes them.
    public var training = TrainingOptions()
    /// Save each fit's progress every this many iterations.
    public var checkpointEvery = 5
    /// How fits are handed to groups of ranks.
    public var schedule = SweepScheduleKind.dynamic
    /// Plot format: svg or png.
    public var plotFormat = PlotFormat.standard.rawValue
    /// A validation set (any registered format; all its configurations):
    /// every fit's validation errors per iteration and at the end, in the
    /// records and summaries; the Pareto front is then drawn on them.
    public var validation: String?
    /// With `validation`: stop a fit after this many iterations without a
    /// lower validation loss and keep its best potential.
    public var stopOnValid: Int?
    /// Start each level's fit from the trained potential of the next lower
    /// level of the sweep at the same cutoff, carried into the larger basis
    /// (`PotentialGrowth`) instead of from the untrained one. The sweep
    /// then trains level by level, lowest first.
    public var grow = false
    /// Iteration limits of single levels (`--max-iter-at`), in place of
    /// `training.maxIterations` for those levels' fits.
    public var maxIterationsAt: [Int: Int] = [:]

    public init(data: String, levels: [Int], cutoffs: [Double], out: String) {
        self.data = data
        self.levels = levels
        self.cutoffs = cutoffs
        self.out = out
    }
}

/// Where a sweep's messages go: `info` for progress, `error` for a fit or a
/// group that failed. Called on the world's root for the sweep as a whole
/// and on each group's first rank for its own fits, so the tool prints
/// every line once.
public struct SweepReporter {
    public var info: (String) -> Void
    public var error: (String) -> Void
    public init(info: @escaping (String) -> Void, error: @escaping (String) -> Void) {
        self.info = info
        self.error = error
    }
}
