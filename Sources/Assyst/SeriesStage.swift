import Atomistic
import Reference

/// What a series stage (ELASTIC, EOS, PHONON) is to the pipeline: options
/// that name their stage, say how many relaxed crystals it starts from,
/// check themselves and build the stage's unlabelled structures.
///
/// Why a protocol. The local pipeline, the VASP hand-off, the study and the
/// option checks all ask the same four questions of every series stage;
/// with this protocol they ask `AssystOptions.seriesStages`, the one list
/// a new stage is added to, instead of a switch per question.
public protocol SeriesStage: Sendable {
    /// The stage (group) the structures go to.
    static var stage: AssystStage { get }
    /// Lowest-energy distinct relaxed crystals the stage starts from (0: off).
    var structures: Int { get }
    /// One message naming the option when out of range.
    func check() throws
    /// The stage's unlabelled structures, built from the relaxed (INTMIN)
    /// crystals, and why any crystal gave none (throws only on options that
    /// cannot work here, before any structure is built).
    func build(from relaxed: [Configuration], context: SeriesContext) throws -> SeriesOutput
    /// The option that makes the stage call the reference while it is built
    /// (nil: it does not), for the hand-off, which has no reference then.
    var needsReferenceToBuild: String? { get }
}

extension SeriesStage {
    public var needsReferenceToBuild: String? { nil }
}

/// A series stage's unlabelled structures and the reasons for crystals that
/// gave none (counted in the report as the stage's discarded structures, so
/// that one failed calculation does not lose a finished ASSYST run).
public struct SeriesOutput: Sendable, Equatable {
    public var structures: [Configuration]
    public var failures: [String]
    public init(_ structures: [Configuration], failures: [String] = []) {
        self.structures = structures; self.failures = failures
    }
}

/// What a series stage may need besides its options: the run's seed and
/// minimum distance, and, with a local reference, one calculator per thread.
public struct SeriesContext {
    public var seed: UInt64
    public var minDistance: Double
    public var threads: Int
    /// nil in the hand-off (no reference while the stages are built).
    public var makeCalculator: (() throws -> Calculator)?

    public init(seed: UInt64, minDistance: Double, threads: Int, makeCalculator: (() throws -> Calculator)? = nil) {
        self.seed = seed; self.minDistance = minDistance; self.threads = threads; self.makeCalculator = makeCalculator
    }
}

extension ElasticSeriesOptions: SeriesStage {
    public static var stage: AssystStage { .elastic }
    public func build(from relaxed: [Configuration], context: SeriesContext) -> SeriesOutput {
        SeriesOutput(ElasticSeries.stage(from: relaxed, options: self))
    }
}

extension VolumeSeriesOptions: SeriesStage {
    public static var stage: AssystStage { .eos }
    public func build(from relaxed: [Configuration], context: SeriesContext) -> SeriesOutput {
        SeriesOutput(VolumeSeries.stage(from: relaxed, options: self))
    }
}

extension DisplacementSeriesOptions: SeriesStage {
    public static var stage: AssystStage { .phonon }
    public func build(from relaxed: [Configuration], context: SeriesContext) throws -> SeriesOutput {
        try DisplacementSeries.stage(from: relaxed, options: self, seed: context.seed, minDistance: context.minDistance,
                                     makeCalculator: context.makeCalculator, threads: context.threads)
    }
    public var needsReferenceToBuild: String? { softModes > 0 ? "--phonon-soft-modes" : nil }
}
