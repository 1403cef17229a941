import Atomistic

/// Geometry edits that make new structures from old ones. Each result is a
/// different structure, so reference labels (energy, forces, virial) are
/// dropped rather than carried over wrongly; group, weights and features
/// are kept.
extension Configuration {
    /// Cell rows scaled, atoms replicated. Atoms are ordered image by image
    /// (the last axis fastest), the original atom order within each image, so
    /// atom `k` of the original is atom `k` of the result.
    public func supercell(_ n0: Int, _ n1: Int, _ n2: Int) -> Configuration {
        precondition(n0 > 0 && n1 > 0 && n2 > 0, "supercell repetitions must be positive")
        let images = n0 * n1 * n2
        var species: [Int] = [], positions: [Vec3] = []
        species.reserveCapacity(atomCount * images)
        positions.reserveCapacity(atomCount * images)
        for i in 0..<n0 {
            for j in 0..<n1 {
                for k in 0..<n2 {
                    let shift = Double(i) * cell[0] + Double(j) * cell[1] + Double(k) * cell[2]
                    species += self.species
                    positions += self.positions.map { $0 + shift }
                }
            }
        }
        var c = unlabelledCopy(species: species, positions: positions)
        c.cell = [Double(n0) * cell[0], Double(n1) * cell[1], Double(n2) * cell[2]]
        c.atomProperties = atomProperties.map {
            AtomProperty(name: $0.name, values: [[Double]](repeating: $0.values, count: images).flatMap { $0 })
        }
        return c
    }

    public func removingAtom(at index: Int) -> Configuration {
        precondition(index >= 0 && index < atomCount, "atom index \(index) out of range 0..<\(atomCount)")
        var species = self.species, positions = self.positions
        species.remove(at: index)
        positions.remove(at: index)
        var c = unlabelledCopy(species: species, positions: positions)
        c.atomProperties = atomProperties.map {
            var v = $0.values
            if index < v.count { v.remove(at: index) }
            return AtomProperty(name: $0.name, values: v)
        }
        return c
    }

    /// Cell and positions scaled homogeneously by the deformation gradient F (x' = F x), rows of the cell likewise.
    public func deformed(by f: [Vec3]) -> Configuration {
        precondition(f.count == 3, "a deformation gradient has three rows")
        func apply(_ x: Vec3) -> Vec3 { Vec3(dot(f[0], x), dot(f[1], x), dot(f[2], x)) }
        var c = unlabelledCopy(species: species, positions: positions.map(apply))
        c.cell = cell.map(apply)
        c.atomProperties = atomProperties
        return c
    }

    private func unlabelledCopy(species: [Int], positions: [Vec3]) -> Configuration {
        var c = Configuration(cell: cell, pbc: pbc, species: species, positions: positions)
        c.energyWeight = energyWeight
        c.forceWeight = forceWeight
        c.virialWeight = virialWeight
        c.group = group
        c.features = features
        return c
    }
}
