import Foundation
import TrainingStore
import MTP
import Fitting
import Assyst

/// A failure of a study the user can fix (a changed configuration, a bad
/// override, a stage that failed); its description is the one message.
public struct StudyError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}

/// The training subsets of the seed paper's study. Each ASSYST stage is a
/// group of the store and a subset of its own (the paper trains on each to
/// see what every stage adds); EVERYTHING is the whole set, and
/// EVERYTHING-NO-SHEAR the whole set without the sheared copies, which is
/// what the paper's final potentials are trained on.
public enum TrainingSubset {
    public static let everything = "EVERYTHING"
    public static let everythingWithoutShear = "EVERYTHING-NO-SHEAR"
    /// The ASSYST stages in pipeline order (the store's groups; STRAIN only
    /// in a set built with `--strain-copies`, ELASTIC with `--elastic-structures`,
    /// EOS with `--eos-structures`, PHONON with `--phonon-structures`).
    public static let stages = AssystStage.allCases.map(\.rawValue)
    /// Every subset the paper fits, in its order (its stages have no STRAIN, ELASTIC, EOS or PHONON).
    public static let paper = AssystStage.allCases.filter(\.isSeedPaperStage).map(\.rawValue)
        + [everything, everythingWithoutShear]
    /// Every subset a study can fit, in the paper's order.
    public static let known = stages + [everything, everythingWithoutShear]

    /// The groups of a store holding `available` groups that subset `name`
    /// trains on; nil for EVERYTHING (no filter: all configurations).
    public static func groups(_ name: String, available: [String]) throws -> [String]? {
        switch name {
        case everything: return nil
        case everythingWithoutShear:
            let g = available.filter { $0 != "SHEAR" }
            guard !g.isEmpty else { throw StudyError("subset \(name): the training set has no group besides SHEAR") }
            return g
        default:
            guard available.contains(name) else {
                throw StudyError("subset \(name): the training set has no such group (it has \(available.joined(separator: ", ")))")
            }
            return [name]
        }
    }

    /// Subset names from "VOLMIN,EVERYTHING" (any case; each once, in the
    /// paper's order); throws naming an unknown one.
    public static func parse(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw StudyError("--subsets: give at least one of \(known.joined(separator: ", "))") }
        for n in names where !known.contains(n) {
            throw StudyError("--subsets: unknown subset '\(n)' (known: \(known.joined(separator: ", ")))")
        }
        return known.filter { names.contains($0) }
    }
}

/// Everything that determines a study's results. It is stored in the
/// study's manifest; a rerun with another configuration is refused (its
/// finished stages would not belong to it). Run-time choices that do not
/// change results (threads, ranks) are not part of it.
public struct StudyConfiguration: Codable, Equatable, Sendable {
    // The reference and the training set (ASSYST).
    public var element: String
    public var atomicVolume: Double
    /// Calculator spec (eam:FILE, ase:FILE.py, ...), the file as an absolute path.
    public var calculator: String
    public var minAtoms: Int
    public var maxAtoms: Int
    public var spaceGroups: [Int]
    /// TRIAX, SHEAR and RATTLE copies per relaxed crystal (each).
    public var perturbations: Int
    /// STRAIN copies (small homogeneous strains) per relaxed crystal; nil
    /// for none (manifests of before match).
    public var strainCopies: Int? = nil
    /// Lowest-energy relaxed crystals strained along each Voigt component
    /// (the ELASTIC stage, `mtp assyst --elastic-structures`); nil for none
    /// (manifests of before match).
    public var elasticStructures: Int? = nil
    /// Lowest-energy relaxed crystals scaled homogeneously (the EOS stage,
    /// `mtp assyst --eos-structures`, its default range); nil for none
    /// (manifests of before match).
    public var eosStructures: Int? = nil
    /// Lowest-energy relaxed crystals displaced at random in supercells (the
    /// PHONON stage, `mtp assyst --phonon-structures`, its defaults); nil for
    /// none (manifests of before match).
    public var phononStructures: Int? = nil
    /// Largest strain of the ELASTIC series (`mtp assyst --elastic-max-strain`);
    /// nil for its default (manifests of before match).
    public var elasticMaxStrain: Double? = nil
    /// Displaced copies per PHONON crystal (`mtp assyst --phonon-copies`); nil
    /// for its default (manifests of before match).
    public var phononCopies: Int? = nil
    /// Softest reference modes per PHONON crystal frozen in (`mtp assyst
    /// --phonon-soft-modes`); nil for none (manifests of before match).
    public var phononSoftModes: Int? = nil
    public var seed: UInt64
    // The fits.
    public var subsets: [String]
    public var levels: [Int]
    public var cutoffs: [Double]
    public var maxIterations: Int
    public var minDist: Double
    public var radialBasisSize: Int
    /// The radial basis below min_dist; nil for RBChebyshev (manifests of before match).
    public var radialBasisType: RadialBasisType? = nil
    /// `--energy-weights` of every fit (`EnergyWeights.description`); nil for none (manifests of before match).
    public var energyWeights: String? = nil
    /// `--group-weights` of every fit (`GroupWeights.description`, e.g.
    /// ELASTIC=10); nil for none (manifests of before match).
    public var groupWeights: String? = nil
    /// `--grow`: each level's fits start from the next lower level's at the
    /// same cutoff (`SweepOptions.grow`); nil (off) in studies of before.
    public var grow: Bool? = nil
    /// `--max-iter-at`: iteration limits of single levels
    /// (`Plan.iterationLimitsText`, e.g. "16=25"); nil for none (manifests of before match).
    public var maxIterationsAt: String? = nil
    // The validation.
    /// Validation properties (identifiers of `mtp validate --properties`).
    public var properties: [String]
    /// Small cells and short runs (`mtp validate --quick`).
    public var quickValidation: Bool
    /// Levels of Fig. 14 (errors on every group per training subset), each
    /// with every cutoff.
    public var figureLevels: [Int]

    /// The (subset, level, cutoff) of every fit, subsets outermost.
    public var fits: [StudyFit] {
        subsets.flatMap { s in levels.flatMap { l in cutoffs.map { StudyFit(subset: s, level: l, cutoff: $0) } } }
    }

    /// Checks ranges; throws one message naming the option.
    public func check() throws {
        guard atomicVolume > 0, atomicVolume.isFinite else { throw StudyError("--atomic-volume must be positive") }
        guard minAtoms >= 1, maxAtoms >= minAtoms, maxAtoms <= 64 else { throw StudyError("need 1 <= --min-atoms <= --max-atoms <= 64") }
        guard !spaceGroups.isEmpty, spaceGroups.allSatisfy({ (1...230).contains($0) }) else { throw StudyError("--space-groups: numbers 1-230") }
        guard perturbations >= 1 else { throw StudyError("--perturbations must be at least 1") }
        guard (strainCopies ?? 0) >= 0 else { throw StudyError("--strain-copies must not be negative") }
        guard (elasticStructures ?? 0) >= 0 else { throw StudyError("--elastic-structures must not be negative") }
        guard (eosStructures ?? 0) >= 0 else { throw StudyError("--eos-structures must not be negative") }
        guard (phononStructures ?? 0) >= 0 else { throw StudyError("--phonon-structures must not be negative") }
        do { try StudyAssyst.options(self, threads: 1).checkSeries() } catch { throw StudyError("\(error)") }
        guard !levels.isEmpty, levels.allSatisfy({ (2...28).contains($0) }) else { throw StudyError("--levels: levels 2-28") }
        guard !cutoffs.isEmpty, cutoffs.allSatisfy({ $0 > minDist && $0.isFinite }) else {
            throw StudyError("--cutoffs must be above --min-dist \(minDist)")
        }
        guard maxIterations >= 1 else { throw StudyError("--max-iter must be at least 1") }
        guard minDist > 0, radialBasisSize >= 2 else { throw StudyError("need --min-dist > 0 and --radial-basis-size >= 2") }
        guard !subsets.isEmpty else { throw StudyError("--subsets: give at least one subset") }
        if let e = energyWeights { do { _ = try EnergyWeights(parsing: e) } catch { throw StudyError("\(error)") } }
        if let g = groupWeights {
            let w: GroupWeights
            do { w = try GroupWeights(parsing: g) } catch { throw StudyError("\(error)") }
            // Only the ASSYST stages are groups of the study's set.
            if let unknown = w.factors.keys.sorted().first(where: { !TrainingSubset.stages.contains($0) }) {
                throw StudyError("--group-weights: '\(unknown)' is not a group of the study's set (\(TrainingSubset.stages.joined(separator: ", ")))")
            }
        }
        for l in figureLevels where !levels.contains(l) {
            throw StudyError("--figure-levels: level \(l) is not one of the study's levels (\(levels.map(String.init).joined(separator: ",")))")
        }
    }
}

/// One fit of a study.
public struct StudyFit: Codable, Hashable, Sendable {
    public var subset: String
    public var level: Int
    public var cutoff: Double
    public init(subset: String, level: Int, cutoff: Double) { self.subset = subset; self.level = level; self.cutoff = cutoff }
    /// The sweep's file stem of the fit (`L08-c5.20`).
    public var stem: String { String(format: "L%02d-c%.2f", level, cutoff) }
    public var name: String { "\(subset)/\(stem)" }
}

/// The scale knob: a preset sets every size, options override any of it.
public enum StudyScale: String, CaseIterable, Sendable {
    /// A laptop-sized study: small cells, three subsets, levels 8-16, two
    /// cutoffs, short fits (minutes on 2 cores). The validation of E-V curves
    /// and vacancies takes about a second per fit at full settings, so it
    /// keeps them.
    case small
    /// The seed paper's study: 1-10 atoms in all 230 space groups, every
    /// subset, levels 6-24, cutoffs 5.2, 6.5 and 8.2 A, full validation.
    case paper

    /// The configuration of the preset for `element` and the reference.
    public func configuration(element: String, atomicVolume: Double, calculator: String) -> StudyConfiguration {
        switch self {
        case .small:
            return StudyConfiguration(element: element, atomicVolume: atomicVolume, calculator: calculator,
                                      minAtoms: 1, maxAtoms: 2, spaceGroups: Array(1...230), perturbations: 2, seed: 1,
                                      subsets: ["VOLMIN", "RATTLE", TrainingSubset.everything],
                                      levels: [8, 12, 16], cutoffs: [5.2, 6.5], maxIterations: 30,
                                      minDist: 1.8, radialBasisSize: 8,
                                      properties: ["energy-volume", "vacancies"], quickValidation: false, figureLevels: [16])
        case .paper:
            return StudyConfiguration(element: element, atomicVolume: atomicVolume, calculator: calculator,
                                      minAtoms: 1, maxAtoms: 10, spaceGroups: Array(1...230), perturbations: 5, seed: 1,
                                      subsets: TrainingSubset.paper,
                                      levels: Array(stride(from: 6, through: 24, by: 2)), cutoffs: [5.2, 6.5, 8.2], maxIterations: 1000,
                                      minDist: 1.8, radialBasisSize: 8,
                                      properties: ["energy-volume", "vacancies"], quickValidation: false, figureLevels: [16, 24])
        }
    }
}
