import Atomistic

/// The configuration described by the C arrays of one call: `n` atoms,
/// species indices (0-based, the potential's types), Cartesian positions
/// (n x 3, row-major, A), the cell (3 x 3, one lattice vector per row, A;
/// ignored along non-periodic axes) and three periodicity flags. Sizes and
/// pointers are checked before anything is read.
func configuration(_ n: Int64, _ species: UnsafePointer<Int32>?, _ positions: UnsafePointer<Double>?,
                   _ cell: UnsafePointer<Double>?, _ pbc: UnsafePointer<Int32>?) throws -> Configuration {
    guard n >= 0 else { throw ABIError("negative atom count \(n)") }
    guard n <= 100_000_000 else { throw ABIError("atom count \(n) is larger than this interface accepts (1e8)") }
    let count = Int(n)
    if count > 0 {
        guard species != nil else { throw ABIError("species is a null pointer") }
        guard positions != nil else { throw ABIError("positions is a null pointer") }
    }
    guard let cell else { throw ABIError("cell is a null pointer") }
    guard let pbc else { throw ABIError("pbc is a null pointer") }
    let periodicity = Periodicity(pbc[0] != 0, pbc[1] != 0, pbc[2] != 0)
    var vectors = [Vec3](repeating: .zero, count: 3)
    for a in 0..<3 {
        vectors[a] = Vec3(cell[3 * a], cell[3 * a + 1], cell[3 * a + 2])
        guard vectors[a].x.isFinite && vectors[a].y.isFinite && vectors[a].z.isFinite else {
            throw ABIError("cell vector \(a + 1) is not finite")
        }
    }
    var types = [Int](repeating: 0, count: count)
    var xyz = [Vec3](repeating: .zero, count: count)
    for i in 0..<count {
        types[i] = Int(species![i])
        xyz[i] = Vec3(positions![3 * i], positions![3 * i + 1], positions![3 * i + 2])
    }
    return Configuration(cell: vectors, pbc: periodicity, species: types, positions: xyz)
}
