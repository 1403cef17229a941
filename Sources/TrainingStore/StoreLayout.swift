/// Names and constants of the training-store HDF5 layout (docs/hdf5-layout.md).
///
/// The layout is flat: per-configuration arrays indexed by configuration and
/// per-atom arrays indexed by atom, joined by `atom_offset`/`atom_count`, so
/// that any contiguous range of configurations is a contiguous row range of
/// every dataset and can be read as one hyperslab per dataset.
public enum StoreLayout {
    /// Value of the root attribute `format`.
    public static let formatName = "mtp-training-store"
    /// Value of the root attribute `format_version`; readers refuse newer files.
    public static let formatVersion: Int64 = 1

    // Root attributes.
    static let formatAttribute = "format"
    static let versionAttribute = "format_version"
    static let speciesAttribute = "species"
    static let speciesCountAttribute = "species_count"
    static let costCutoffAttribute = "cost_cutoff"
    static let costAtomWeightAttribute = "cost_atom_weight"
    static let unitAttributes: [(String, String)] = [
        ("length_unit", "Angstrom"), ("energy_unit", "eV"), ("force_unit", "eV/Angstrom"),
        ("virial_unit", "eV"),
        ("virial_definition", "W = -stress * volume (MLIP PlusStress), Voigt order xx yy zz yz xz xy"),
    ]

    // Per-configuration datasets (first dimension = configuration).
    static let configurations = "/configurations"
    static let atomOffset = "/configurations/atom_offset"        // int64
    static let atomCount = "/configurations/atom_count"          // int64
    static let cell = "/configurations/cell"                     // float64 [C,3,3], rows = lattice vectors
    static let pbc = "/configurations/pbc"                       // uint8 [C,3]
    static let energy = "/configurations/energy"                 // float64, NaN when missing
    static let hasEnergy = "/configurations/has_energy"          // uint8
    static let virial = "/configurations/virial"                 // float64 [C,6], NaN when missing
    static let hasVirial = "/configurations/has_virial"          // uint8
    static let hasForces = "/configurations/has_forces"          // uint8
    static let weights = "/configurations/weights"               // float64 [C,3]: energy, force, virial
    static let groupIndex = "/configurations/group_index"        // int32, -1 = no group
    static let neighborCount = "/configurations/neighbor_count"  // int64, pairs within cost_cutoff
    static let cost = "/configurations/cost"                     // float64
    static let featureOffset = "/configurations/feature_offset"  // int64
    static let featureCount = "/configurations/feature_count"    // int64
    static let propertyOffset = "/configurations/atom_property_offset" // int64
    static let propertyCount = "/configurations/atom_property_count"   // int64

    // Per-atom datasets (first dimension = atom).
    static let atoms = "/atoms"
    static let species = "/atoms/species"                        // int32
    static let positions = "/atoms/positions"                    // float64 [N,3]
    static let forces = "/atoms/forces"                          // float64 [N,3], NaN when missing

    // Index of group names.
    static let groups = "/groups"
    static let groupNames = "/groups/names"                      // strings [G]

    // Free-form `Feature key value` pairs.
    static let features = "/features"
    static let featureKeys = "/features/key"                     // strings [F]
    static let featureValues = "/features/value"                 // strings [F]

    // Extra per-atom columns (e.g. MLIP's nbh_grades).
    static let atomProperties = "/atom_properties"
    static let propertyNames = "/atom_properties/names"          // strings [P]
    static let propertyOrder = "/atom_properties/order"          // int32 [Q]: property indices per configuration
    static let propertyValues = "/atom_properties/values"        // float64 [N,P], NaN when absent
}
