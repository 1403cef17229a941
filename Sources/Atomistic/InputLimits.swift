import Foundation

/// What input the tool accepts: the limits that sizes read from files are
/// checked against before anything is allocated, and the plausibility checks
/// every reader applies to every configuration it returns (finite numbers
/// whose squares and sums are finite, cells with a volume along periodic
/// axes, non-negative species). Exceeding one is an input error that says
/// which value and why, never an allocation that fails or a search that
/// does not end.
public enum InputLimits {
    /// Atoms in one configuration (a Size, an extxyz count, an HDF5 row count).
    public static let maxAtoms = 50_000_000
    /// Species of a potential or a training store.
    public static let maxSpecies = 1_000
    /// Radial basis functions, radial functions of a potential.
    public static let maxRadialBasisSize = 10_000
    /// |coordinate| in A: beyond it a position carries no digits below an
    /// Angstrom and its square in double precision is meaningless.
    public static let maxCoordinate = 1e7
    /// |label|: energies (eV), forces (eV/A), virials (eV); the square of
    /// every larger number, or the sum of squares of a configuration, can
    /// overflow.
    public static let maxLabel = 1e100
    /// A potential's cutoff (max_dist), in A: MTPs use 4-10 A.
    public static let maxCutoff = 100.0
    /// Periodic images one atom's neighbour search may visit.
    public static let maxImages = 2_000_000
    /// Neighbours per atom a neighbour search may find. Physical ones hold
    /// a few hundred (dense liquids at 10 A), diamond at 15 A about 2,500.
    /// Training holds per pair far more than the list (measured on 96 Cu
    /// atoms squeezed to ~10,000 neighbours each: 2 iterations of a level-20
    /// fit took 1 GB and 150 s; at 100,000 each, level 4 took 1.6 GB), so
    /// the limit bounds what a damaged cell costs against a sound one.
    public static let maxNeighborsPerAtom = 10_000
    /// Bytes the pairs of one neighbour list may take: half the memory.
    public static var memoryBudget: Double { Double(ProcessInfo.processInfo.physicalMemory) / 2 }

    /// A count read from a file, checked against a limit and against what
    /// the rest of the file can hold (`room`, when known) before it is used
    /// to allocate.
    public static func count(_ n: Int, of what: String, limit: Int, room: Int? = nil) -> String? {
        if n < 0 { return "\(what) is \(n), a negative count" }
        if n > limit { return "\(what) is \(n), more than the limit \(limit)" }
        if let room, n > room { return "\(what) is \(n), more than the rest of the file can hold (\(room))" }
        return nil
    }

    /// A problem with one configuration's values; nil when it is usable.
    public enum Problem: Error, CustomStringConvertible, Equatable, AtomLocatedError {
        case position(atom: Int, String)
        case force(atom: Int, String)
        case cell(String)
        case label(String)
        case species(atom: Int, Int)

        public var atom: Int? {
            switch self {
            case let .position(a, _), let .force(a, _), let .species(a, _): return a
            default: return nil
            }
        }
        public var description: String {
            switch self {
            case let .position(a, why): return "atom \(a + 1): position \(why)"
            case let .force(a, why): return "atom \(a + 1): force \(why)"
            case let .cell(why): return "cell: \(why)"
            case let .label(why): return why
            case let .species(a, z): return "atom \(a + 1): species index \(z) is negative"
            }
        }
    }

    static func magnitude(_ x: Double, limit: Double) -> String? {
        if !x.isFinite { return "\(x) is not a finite number" }
        if abs(x) > limit { return "\(x) is larger in magnitude than \(limit)" }
        return nil
    }

    /// The first problem of `c`: non-finite or overflowing positions and
    /// labels (each and their sums of squares), a cell without volume along
    /// its periodic axes, negative species, non-finite or negative weights.
    public static func problem(in c: Configuration) -> Problem? {
        for (a, z) in c.species.enumerated() where z < 0 { return .species(atom: a, z) }
        for (a, p) in c.positions.enumerated() {
            for x in [p.x, p.y, p.z] { if let why = magnitude(x, limit: maxCoordinate) { return .position(atom: a, why) } }
        }
        for (r, row) in c.cell.enumerated() {
            for x in [row.x, row.y, row.z] {
                if let why = magnitude(x, limit: maxCoordinate) { return .cell("row \(r + 1): \(why)") }
            }
        }
        if c.isPeriodic, c.atomCount > 0 {
            do { _ = try NeighborList.frame(c) } catch { return .cell("\(error)") }
        }
        if let e = c.energy {
            if let why = magnitude(e, limit: maxLabel) { return .label("energy \(why)") }
        }
        if let f = c.forces {
            var sum = 0.0
            for (a, v) in f.enumerated() {
                for x in [v.x, v.y, v.z] { if let why = magnitude(x, limit: maxLabel) { return .force(atom: a, why) } }
                sum += dot(v, v)
            }
            if !sum.isFinite { return .label("the sum of squared forces is not finite") }
        }
        if let v = c.virial {
            for x in v.voigt { if let why = magnitude(x, limit: maxLabel) { return .label("virial component \(why)") } }
        }
        for (name, w) in [("energy", c.energyWeight), ("force", c.forceWeight), ("virial", c.virialWeight)]
        where !(w.isFinite && w >= 0) {
            return .label("\(name) weight \(w) is not a finite non-negative number")
        }
        return nil
    }
}
