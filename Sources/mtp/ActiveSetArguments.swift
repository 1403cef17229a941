import ArgumentParser
import ActiveLearning
import TrainingStore
import Atomistic

/// The options `grade` and `select-add` share: which rows make the active
/// set, where it is kept, and how the training set is read.
struct ActiveSetArguments: ParsableArguments {
    @Option(help: "Weight of the energy-per-atom row (configuration mode; default 1 unless --per-atom).")
    var energyWeight: Double?
    @Option(help: "Weight of the 3N force rows (default 0).") var forceWeight: Double?
    @Option(help: "Weight of the six stress rows, virial per atom (default 0).") var stressWeight: Double?
    @Option(help: "Weight of the per-atom site-energy rows (neighbourhood mode; default 0, or 1 with --per-atom).")
    var nbhWeight: Double?
    @Option(help: "The active set file (default POT.activeset). Reused when it matches the potential, training set and options; otherwise recomputed and rewritten.")
    var activeSet: String?
    @Option(help: "Singular values (of unit-norm parameter columns) below this fraction of the largest are treated as zero.")
    var rankTolerance: Double = 1e-13
    @Option(help: "MaxVol stops when no training row has a coefficient above 1 + this.")
    var swapTolerance: Double = 1e-9
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ), e.g. Cu,Ag.") var species: String?

    func rows(perAtom: Bool) throws -> RowSettings {
        let any = energyWeight != nil || forceWeight != nil || stressWeight != nil || nbhWeight != nil
        let base = perAtom && !any ? RowSettings.neighbourhood : RowSettings(energyWeight: any ? 0 : 1)
        let r = RowSettings(energyWeight: energyWeight ?? base.energyWeight, forceWeight: forceWeight ?? 0,
                            stressWeight: stressWeight ?? 0, nbhWeight: nbhWeight ?? base.nbhWeight)
        guard r.isValid else { throw ValidationError("row weights must be finite, non-negative and at least one positive") }
        if perAtom && r.nbhWeight == 0 { throw ValidationError("--per-atom needs neighbourhood rows: pass --nbh-weight 1 (or no weights at all)") }
        return r
    }

    func options(perAtom: Bool) throws -> ActiveSetOptions {
        guard rankTolerance > 0 && rankTolerance < 1 else { throw ValidationError("--rank-tolerance must lie in (0, 1)") }
        guard swapTolerance >= 0 && swapTolerance.isFinite else { throw ValidationError("--swap-tolerance must be non-negative") }
        return ActiveSetOptions(rows: try rows(perAtom: perAtom), rankTolerance: rankTolerance, swapTolerance: swapTolerance)
    }

    var symbols: [String]? { species.map { $0.split(separator: ",").map(String.init) } }
}

extension ActiveSetArguments {
    /// Where the command's active set comes from: `potential` and its
    /// training set `training`, with the rows `perAtom` calls for.
    func store(potential: String, training: String, perAtom: Bool) throws -> ActiveSetStore {
        ActiveSetStore(potentialPath: potential, training: source(training), path: activeSet,
                       options: try options(perAtom: perAtom))
    }

    /// A configuration file read shard by shard, with the species given.
    func source(_ path: String) -> ShardSource {
        ShardSource(path: path, options: FormatOptions(symbols: symbols))
    }
}
