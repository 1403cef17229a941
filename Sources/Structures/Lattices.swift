import Atomistic

/// The standard crystal lattices the training-set and validation pipelines
/// start from. Cells are the conventional ones (not primitive) so that
/// supercells of them are orthogonal or hexagonal boxes whose axes match the
/// usual crystallographic directions, which is what surfaces and stacking
/// faults are cut along.
public enum Lattice: Sendable {
    /// Hexagonal close-packed, ABAB stacking; `cOverA` is c/a of the 2-atom cell (ideal 1.633).
    case hcp(a: Double, cOverA: Double)
    /// Face-centred cubic; `a` is the cube edge.
    case fcc(a: Double)
    /// Body-centred cubic; `a` is the cube edge.
    case bcc(a: Double)
    /// Double hexagonal close-packed, ABAC stacking. `cOverA` is c/a of the
    /// 4-layer cell itself (ideal 2 * 1.633 = 3.266), as crystallographic
    /// tables quote it; pass 2 * (hcp c/a) to keep the hcp layer spacing.
    case dhcp(a: Double, cOverA: Double)

    /// The conventional periodic cell (hcp 2 atoms, dhcp 4, fcc 4 cubic, bcc 2 cubic), all atoms of `species`.
    public func unitCell(species: Int = 0) -> Configuration {
        let cell: [Vec3]
        let fractional: [Vec3]
        switch self {
        case let .hcp(a, cOverA):
            cell = Self.hexagonalCell(a: a, c: a * cOverA)
            fractional = [Vec3(1.0 / 3, 2.0 / 3, 0.25), Vec3(2.0 / 3, 1.0 / 3, 0.75)]
        case let .dhcp(a, cOverA):
            cell = Self.hexagonalCell(a: a, c: a * cOverA)
            // Layers A (z = 0), B (1/4), A (1/2), C (3/4).
            fractional = [Vec3(0, 0, 0), Vec3(1.0 / 3, 2.0 / 3, 0.25),
                          Vec3(0, 0, 0.5), Vec3(2.0 / 3, 1.0 / 3, 0.75)]
        case let .fcc(a):
            cell = [Vec3(a, 0, 0), Vec3(0, a, 0), Vec3(0, 0, a)]
            fractional = [Vec3(0, 0, 0), Vec3(0, 0.5, 0.5), Vec3(0.5, 0, 0.5), Vec3(0.5, 0.5, 0)]
        case let .bcc(a):
            cell = [Vec3(a, 0, 0), Vec3(0, a, 0), Vec3(0, 0, a)]
            fractional = [Vec3(0, 0, 0), Vec3(0.5, 0.5, 0.5)]
        }
        let positions = fractional.map { $0.x * cell[0] + $0.y * cell[1] + $0.z * cell[2] }
        return Configuration(cell: cell, pbc: .all,
                             species: [Int](repeating: species, count: positions.count), positions: positions)
    }

    /// Atoms per unit cell.
    public var atomsPerCell: Int {
        switch self {
        case .hcp, .bcc: return 2
        case .fcc, .dhcp: return 4
        }
    }

    /// a along x, b at 120 degrees in the xy plane, c along z (the setting
    /// VASP and ASE use, so exported cells look familiar).
    static func hexagonalCell(a: Double, c: Double) -> [Vec3] {
        [Vec3(a, 0, 0), Vec3(-0.5 * a, 0.5 * 3.0.squareRoot() * a, 0), Vec3(0, 0, c)]
    }
}
