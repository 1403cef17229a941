import Foundation
import Atomistic

/// What random crystals must satisfy.
public struct CrystalGenerationOptions: Sendable {
    /// Target volume per atom (A^3); each crystal's volume is drawn within
    /// +-`volumeTolerance` of it.
    public var atomicVolume: Double
    public var volumeTolerance: Double = 0.1
    /// No two atoms (periodic images included) closer than this (A).
    public var minDistance: Double
    /// Longest cell vector over smallest cell height of the reduced cell.
    public var maxAspectRatio: Double = 4
    /// Free lattice lengths are drawn log-uniformly within [a/r, a*r].
    public var lengthRatio: Double = 2
    /// Free lattice angles (degrees).
    public var angleRange: ClosedRange<Double> = 60...120
    /// Fresh starts (lattice, Wyckoff choice, positions) per crystal.
    public var attempts: Int = 200
    /// Draws of one Wyckoff orbit's free parameters before an attempt is abandoned.
    public var placementTries: Int = 40
    /// Further attempts at exactly the target group once a crystal with
    /// accidentally higher symmetry has been found.
    public var exactAttempts: Int = 30
    /// spglib's tolerance when the space group is determined afterwards (A).
    public var symprec: Double = 1e-3
    /// Species index of every atom.
    public var species: Int = 0

    public init(atomicVolume: Double, minDistance: Double) {
        self.atomicVolume = atomicVolume
        self.minDistance = minDistance
    }

    /// A minimum distance that scales with the element: 0.55 times the
    /// Wigner-Seitz diameter of the atomic volume (1.94 A for Mg at 22.87
    /// A^3), short enough for dense special-position arrangements and long
    /// enough that no reference calculator sees fused atoms.
    public static func defaultMinDistance(atomicVolume v: Double) -> Double {
        0.55 * 2 * pow(3 * v / (4 * Double.pi), 1.0 / 3)
    }
}

/// One random crystal and how it was made.
public struct RandomCrystal: Sendable {
    /// The crystal in a reduced primitive cell, atoms wrapped into it.
    public var configuration: Configuration
    public var targetGroup: Int
    /// The group spglib finds (the target or, by accident, a supergroup).
    public var detectedGroup: Int?
    /// Occupied Wyckoff orbits as "multiplicity(free parameters)", conventional cell.
    public var wyckoff: [String]
    public var attempts: Int
}

/// Why a (space group, atom count) pair gave no crystal.
public enum CrystalGenerationFailure: Error, CustomStringConvertible, Sendable, Equatable {
    /// No sum of the group's Wyckoff multiplicities (fixed points used at
    /// most once) equals the conventional cell's atom count.
    case noWyckoffCombination(atoms: Int, conventionalAtoms: Int, multiplicities: [Int])
    /// Every attempt was rejected; the counts say why.
    case attemptsExhausted(attempts: Int, rejections: [String: Int])

    public var description: String {
        switch self {
        case let .noWyckoffCombination(n, conventional, m):
            let list = Array(Set(m)).sorted().map(String.init).joined(separator: ",")
            // The atom count itself is not part of the text, so that the
            // report lists each group's reason once for all its counts.
            return conventional == n
                ? "not a sum of the Wyckoff multiplicities {\(list)}"
                : "\(conventional / n)x the atoms (conventional cell) not a sum of the Wyckoff multiplicities {\(list)}"
        case let .attemptsExhausted(attempts, rejections):
            let why = rejections.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            return "no crystal in \(attempts) attempts (\(why))"
        }
    }
}

/// Random crystals of a given space group and atom count (the RANDSPG stage).
///
/// A crystal is built in the conventional cell of the group's standard
/// setting: the atom count is split into occupied Wyckoff orbits, the cell
/// drawn with the constraints of the crystal system and scaled to the target
/// volume, and each orbit's free parameters drawn until its atoms keep the
/// minimum distance from each other and from the atoms placed before. The
/// crystal is then reduced to a compact primitive cell, so that `atoms` is
/// the number of atoms per primitive cell for every lattice centring.
public enum CrystalGenerator {
    /// Splittings of `total` conventional-cell atoms into Wyckoff orbits:
    /// per position of `group`, how many orbits occupy it (fixed points at
    /// most once). At most `limit` are listed, in a fixed order.
    public static func decompositions(of total: Int, in group: SpaceGroup, limit: Int = 2000) -> [[Int]] {
        let w = group.wyckoffPositions
        var result: [[Int]] = []
        var counts = [Int](repeating: 0, count: w.count)
        func search(_ i: Int, _ left: Int) {
            if result.count >= limit { return }
            if left == 0 { result.append(counts); return }
            guard i >= 0 else { return }
            let m = w[i].multiplicity
            let most = w[i].dimension == 0 ? min(1, left / m) : left / m
            // Largest counts first on the general position (searched first),
            // so capped lists still hold the crystals with most free parameters.
            for c in stride(from: most, through: 0, by: -1) {
                counts[i] = c
                search(i - 1, left - c * m)
                if result.count >= limit { break }
            }
            counts[i] = 0
        }
        search(w.count - 1, total)
        return result
    }

    public static func generate(group: SpaceGroup, atoms: Int, options: CrystalGenerationOptions,
                                rng: inout AssystRandom) -> Result<RandomCrystal, CrystalGenerationFailure> {
        let centring = group.centringCount
        let conventionalAtoms = atoms * centring
        let splits = decompositions(of: conventionalAtoms, in: group)
        guard !splits.isEmpty else {
            return .failure(.noWyckoffCombination(atoms: atoms, conventionalAtoms: conventionalAtoms,
                                                  multiplicities: group.wyckoffPositions.map(\.multiplicity)))
        }
        // Splittings with more free parameters are favoured: they are less
        // likely to hide a higher symmetry and easier to fit at the distance.
        let weights = splits.map { s in 1 + Double(zip(s, group.wyckoffPositions).reduce(0) { $0 + $1.0 * $1.1.dimension }) }
        let totalWeight = weights.reduce(0, +)
        let toPrimitive = primitiveTransform(group.centring)
        let fromConventional = toPrimitive.inverse!
        var rejections: [String: Int] = [:]
        var fallback: RandomCrystal?
        var fallbackAttempt = 0

        for attempt in 1...max(1, options.attempts) {
            var pick = rng.uniform(0, totalWeight), chosen = splits.count - 1
            for (k, w) in weights.enumerated() { pick -= w; if pick < 0 { chosen = k; break } }
            let split = splits[chosen]

            // The lattice, scaled to the drawn volume.
            let shape = latticeShape(group.crystalSystem, options: options, rng: &rng)
            let volume = Double(conventionalAtoms) * options.atomicVolume
                * rng.uniform(1 - options.volumeTolerance, 1 + options.volumeTolerance)
            let scale = pow(volume / abs(shape.determinant), 1.0 / 3)
            let cell = Mat3(shape[0] * scale, shape[1] * scale, shape[2] * scale)
            let primitive = toPrimitive * cell
            let (reduced, _) = CellGeometry.reduce(primitive)
            if CellGeometry.aspectRatio(reduced) > options.maxAspectRatio {
                rejections["aspect ratio", default: 0] += 1
                continue
            }
            if min(norm(reduced[0]), norm(reduced[1]), norm(reduced[2])) < options.minDistance {
                rejections["lattice vector below the minimum distance", default: 0] += 1
                continue
            }

            // Orbits placed one by one, fixed points first.
            var sites: [Int] = []
            for (i, c) in split.enumerated() { sites += Array(repeating: i, count: c) }
            sites.sort { group.wyckoffPositions[$0].dimension < group.wyckoffPositions[$1].dimension }
            var placed: [Vec3] = []
            var labels: [String] = []
            let checker = DistanceChecker(cell: cell, minDistance: options.minDistance)
            var failed = false
            for i in sites {
                let site = group.wyckoffPositions[i]
                var orbit: [Vec3]? = nil
                for _ in 0..<(site.dimension == 0 ? 1 : options.placementTries) {
                    let candidate = group.orbit(of: site.subspace.randomPoint(&rng))
                    guard candidate.count == site.multiplicity else { continue }
                    if checker.fits(candidate, among: placed) { orbit = candidate; break }
                }
                guard let orbit else { failed = true; break }
                placed += orbit
                labels.append("\(site.multiplicity)(\(site.dimension))")
            }
            if failed {
                rejections["minimum distance", default: 0] += 1
                continue
            }

            // Primitive cell: centring copies coincide modulo its lattice.
            var fractional: [Vec3] = []
            for f in placed {
                let p = wrapUnit(rowTimes(f, fromConventional))
                if !fractional.contains(where: { norm(periodicDifference($0, p)) < 1e-6 }) { fractional.append(p) }
            }
            guard fractional.count == atoms else {
                rejections["centring copies did not merge", default: 0] += 1
                continue
            }
            let cartesian = fractional.map { rowTimes($0, primitive) }
            var config = Configuration(cell: reduced.array, pbc: .all,
                                       species: Array(repeating: options.species, count: atoms), positions: cartesian)
            config = config.wrapped()
            if violatesMinimumDistance(config, options.minDistance) {
                rejections["minimum distance", default: 0] += 1
                continue
            }
            let detected = Spglib.spaceGroupNumber(of: config, symprec: options.symprec)
            let crystal = RandomCrystal(configuration: config, targetGroup: group.number, detectedGroup: detected,
                                        wyckoff: labels, attempts: attempt)
            if detected == group.number { return .success(crystal) }
            // Accidentally more symmetric (often: special positions that
            // halve the cell). Kept as a fallback while other splittings
            // and parameters get a few more attempts at the target group.
            rejections["higher symmetry than the target", default: 0] += 1
            if fallback == nil { fallback = crystal; fallbackAttempt = attempt }
            if attempt - fallbackAttempt >= options.exactAttempts { return .success(fallback!) }
        }
        if let fallback { return .success(fallback) }
        return .failure(.attemptsExhausted(attempts: max(1, options.attempts), rejections: rejections))
    }

    /// A conventional cell of the crystal system with unit first length:
    /// lengths and angles the system leaves free are random, the others fixed
    /// (monoclinic: unique axis b; trigonal and hexagonal: hexagonal axes).
    static func latticeShape(_ system: CrystalSystem, options: CrystalGenerationOptions,
                             rng: inout AssystRandom) -> Mat3 {
        let r = options.lengthRatio
        func length() -> Double { rng.logUniform(1 / r, r) }
        func angle() -> Double { rng.uniform(options.angleRange.lowerBound, options.angleRange.upperBound) }
        switch system {
        case .triclinic:
            for _ in 0..<1000 {
                let b = length(), c = length()
                let m = cellFromParameters(1, b, c, angle(), angle(), angle())
                // Reject nearly flat cells (angles that barely close a cell).
                if let m, m.determinant > 0.3 * b * c { return m }
            }
            return cellFromParameters(1, 1, 1, 90, 90, 90)!
        case .monoclinic: return cellFromParameters(1, length(), length(), 90, angle(), 90)!
        case .orthorhombic: return cellFromParameters(1, length(), length(), 90, 90, 90)!
        case .tetragonal: return cellFromParameters(1, 1, length(), 90, 90, 90)!
        case .trigonal, .hexagonal: return cellFromParameters(1, 1, length(), 90, 90, 120)!
        case .cubic: return .identity
        }
    }

    /// Cell rows from lengths and angles (degrees): a along x, b in the xy plane.
    static func cellFromParameters(_ a: Double, _ b: Double, _ c: Double,
                                   _ alpha: Double, _ beta: Double, _ gamma: Double) -> Mat3? {
        let d = Double.pi / 180
        let ca = cos(alpha * d), cb = cos(beta * d), cg = cos(gamma * d), sg = sin(gamma * d)
        let cy = (ca - cb * cg) / sg
        let cz2 = 1 - cb * cb - cy * cy
        guard cz2 > 1e-6 else { return nil }
        return Mat3(Vec3(a, 0, 0), Vec3(b * cg, b * sg, 0), Vec3(c * cb, c * cy, c * cz2.squareRoot()))
    }

    /// Rows: primitive vectors in units of the conventional ones.
    static func primitiveTransform(_ centring: Character) -> Mat3 {
        let h = 0.5, t = 1.0 / 3
        switch centring {
        case "A": return Mat3(Vec3(1, 0, 0), Vec3(0, h, -h), Vec3(0, h, h))
        case "B": return Mat3(Vec3(h, 0, -h), Vec3(0, 1, 0), Vec3(h, 0, h))
        case "C": return Mat3(Vec3(h, -h, 0), Vec3(h, h, 0), Vec3(0, 0, 1))
        case "I": return Mat3(Vec3(-h, h, h), Vec3(h, -h, h), Vec3(h, h, -h))
        case "F": return Mat3(Vec3(0, h, h), Vec3(h, 0, h), Vec3(h, h, 0))
        case "R": return Mat3(Vec3(2 * t, t, t), Vec3(-t, t, t), Vec3(-t, -2 * t, t))
        default: return .identity
        }
    }
}

/// Periodic minimum-distance checks in one cell, over exactly the lattice
/// translations that can bring two atoms within the distance.
struct DistanceChecker {
    let cell: Mat3
    let minDistance: Double
    let range: (Int, Int, Int)

    init(cell: Mat3, minDistance: Double) {
        self.cell = cell
        self.minDistance = minDistance
        let h = CellGeometry.heights(cell)
        range = (Int((minDistance / h.x).rounded(.up)) + 1, Int((minDistance / h.y).rounded(.up)) + 1,
                 Int((minDistance / h.z).rounded(.up)) + 1)
    }

    func tooClose(_ a: Vec3, _ b: Vec3, sameAtom: Bool = false) -> Bool {
        let d = periodicDifference(a, b)
        let limit = minDistance * minDistance
        for i in -range.0...range.0 { for j in -range.1...range.1 { for k in -range.2...range.2 {
            if sameAtom && i == 0 && j == 0 && k == 0 { continue }
            let v = rowTimes(d + Vec3(Double(i), Double(j), Double(k)), cell)
            if dot(v, v) < limit { return true }
        } } }
        return false
    }

    /// Whether the new orbit keeps the distance within itself and to `placed`.
    func fits(_ orbit: [Vec3], among placed: [Vec3]) -> Bool {
        for (k, p) in orbit.enumerated() {
            if tooClose(p, p, sameAtom: true) { return false }
            for q in orbit[..<k] where tooClose(p, q) { return false }
            for q in placed where tooClose(p, q) { return false }
        }
        return true
    }
}
