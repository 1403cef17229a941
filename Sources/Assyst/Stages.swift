import Atomistic

/// The groups of an ASSYST training set, in pipeline order: each stage
/// starts from the structures of the one before it (the perturbations all
/// from INTMIN).
public enum AssystStage: String, CaseIterable, Sendable, Comparable {
    case randspg = "RANDSPG"
    case volmin = "VOLMIN"
    case cellmin = "CELLMIN"
    case intmin = "INTMIN"
    case triax = "TRIAX"
    case shear = "SHEAR"
    case rattle = "RATTLE"
    /// Small homogeneous strains of the relaxed crystals (elastic response);
    /// last, so that the random streams of the stages before it, which
    /// include a stage's position, are unchanged by it.
    case strain = "STRAIN"
    /// Strain series along each Voigt component of the lowest-energy relaxed
    /// crystals (ElasticSeries); after STRAIN for the same reason.
    case elastic = "ELASTIC"
    /// Homogeneous compressions and expansions of the lowest-energy relaxed
    /// crystals (VolumeSeries); after ELASTIC for the same reason.
    case eos = "EOS"
    /// Small random displacements of the lowest-energy relaxed crystals in
    /// supercells (DisplacementSeries); after EOS for the same reason.
    case phonon = "PHONON"

    /// The perturbation stages, all started from INTMIN, in pipeline order.
    public static let perturbations: [AssystStage] = allCases.filter { $0.perturbation != nil }

    /// The series stages: deterministic, built from the lowest-energy
    /// distinct relaxed crystals once every crystal is relaxed
    /// (`AssystOptions.series(_:from:)`), and off unless asked for.
    public static let series: [AssystStage] = [.elastic, .eos, .phonon]

    public static func < (a: AssystStage, b: AssystStage) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The stage whose structures this one starts from.
    public var source: AssystStage? {
        switch self {
        case .randspg: return nil
        case .volmin: return .randspg
        case .cellmin: return .volmin
        case .intmin: return .cellmin
        case .triax, .shear, .rattle, .strain, .elastic, .eos, .phonon: return .intmin
        }
    }

    public var perturbation: PerturbationKind? {
        switch self {
        case .triax: return .triax
        case .shear: return .shear
        case .rattle: return .rattle
        case .strain: return .strain
        default: return nil
        }
    }

    /// Whether the seed paper's sets have this stage (STRAIN and the series
    /// stages are this project's additions).
    public var isSeedPaperStage: Bool { self != .strain && !AssystStage.series.contains(self) }

    public init?(name: String) { self.init(rawValue: name.uppercased()) }
}

/// Keys of the per-structure metadata kept as configuration features.
public enum AssystFeature {
    /// Space group the crystal was built in.
    public static let targetGroup = "assyst_spacegroup_target"
    /// Space group spglib finds for the stored structure.
    public static let detectedGroup = "assyst_spacegroup"
    /// Occupied Wyckoff orbits, "multiplicity(free parameters)" joined by '+'.
    public static let wyckoff = "assyst_wyckoff"
    /// Identity of the random crystal every later stage descends from:
    /// "spacegroup-atoms-copy".
    public static let crystal = "assyst_crystal"
    /// Index of the perturbed copy (perturbation stages).
    public static let copy = "assyst_copy"
    /// Relaxation steps and whether the relaxation converged.
    public static let steps = "assyst_relax_steps"
    public static let converged = "assyst_relax_converged"
    /// The Voigt component and strain of an ELASTIC structure, "zz+0.0100".
    public static let elastic = "assyst_elastic"
    /// The volume ratio V/V0 of an EOS structure, "0.1800".
    public static let volumeRatio = "assyst_volume_ratio"
    /// A frozen-in PHONON soft mode: its wave vector over the supercell's
    /// repetitions and the reference's stiffness (eV/A^2), "1/2,0/2,1/4 0.4123".
    public static let softMode = "assyst_soft_mode"
    /// The features that name the random crystal a structure descends from,
    /// which every derived structure keeps.
    public static let identity = [crystal, targetGroup, wyckoff]
    /// What a series structure (ELASTIC, EOS) keeps of its relaxed crystal:
    /// the identity and spglib's group of the crystal it scales or strains.
    public static let seriesIdentity = identity + [detectedGroup]
}

extension Configuration {
    /// The value of feature `key`, if present.
    public func feature(_ key: String) -> String? { features.first { $0.key == key }?.value }

    /// The features whose keys are among `keys`, in stored order.
    public func features(among keys: [String]) -> [Feature] { features.filter { keys.contains($0.key) } }

    /// Sets (replaces) feature `key`.
    public mutating func setFeature(_ key: String, _ value: String) {
        if let i = features.firstIndex(where: { $0.key == key }) { features[i].value = value } else {
            features.append(Feature(key: key, value: value))
        }
    }
}
