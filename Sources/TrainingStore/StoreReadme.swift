extension StoreLayout {
    /// Name of the root attribute holding `readme`.
    static let readmeAttribute = "README"

    /// The store's conventions in a few lines, kept as the root attribute
    /// `README` so that `h5ls -v`, `h5dump -a /README` and h5py users see the
    /// species, units and virial convention without docs/hdf5-layout.md.
    static func readme(species: [String], speciesCount: Int) -> String {
        let named = species.isEmpty ? "not named (species indices 0..<\(speciesCount) only)"
            : species.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", ")
        return """
        \(formatName) version \(formatVersion): one training set (layout: docs/hdf5-layout.md of the mtp tool).
        species: \(named); species_count \(speciesCount); /atoms/species holds the indices.
        units: length Angstrom, energy eV, forces eV/Angstrom, virial eV.
        virial: W = -stress * volume (MLIP PlusStress) in eV, Voigt order xx yy zz yz xz xy; stress in GPa = -W / volume * 160.21766208.
        cell: /configurations/cell rows are the lattice vectors (Angstrom); /atoms/positions are Cartesian (Angstrom).
        atoms of configuration c: rows atom_offset[c] ..< atom_offset[c] + atom_count[c] of every /atoms dataset.
        missing labels: has_energy / has_forces / has_virial are 0 and the values NaN.
        """
    }
}
