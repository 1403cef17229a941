import Foundation
import Atomistic
import Reference
import Relaxation

/// Surface energies of hcp (0001), (10-10) with both terminations, and
/// (11-20): slabs of whole periods of the orthohexagonal cell (a x a*sqrt(3)
/// x c, 4 atoms) at least `slabThickness` thick, vacuum beyond the cutoff,
/// atoms relaxed with the cell fixed. Each calculator builds its slabs from
/// its own equilibrium a and c, so gamma = (E_slab - N E0) / (2 A) compares
/// surface energies, not strain energies.
public struct Surfaces: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var atoms: Int
        public var thickness: Double
        public var energy: Double      // meV/A^2
        public var maxDisplacement: Double
        public var note: String?
    }
    public var entries: [Entry]

    /// The four surfaces: (name, axis of the orthohexagonal cell along the
    /// normal, which gap the cut goes through).
    enum Cut { case any, widest, narrowest }
    static let surfaces: [(String, Int, Cut)] = [
        ("(0001)", 2, .any),
        ("(10-10) A, cut at the wide interlayer gap", 1, .widest),
        ("(10-10) B, cut at the narrow interlayer gap", 1, .narrowest),
        ("(11-20)", 0, .any),
    ]

    /// A slab of hcp(a, c) with `normal` the orthohexagonal axis along the
    /// surface normal, rotated (cyclically, keeping handedness) so that the
    /// normal is the third cell axis.
    static func slab(a: Double, c: Double, normal: Int, cut: Cut, thickness: Double, vacuum: Double, species: Int) -> Configuration {
        let lengths = [a, a * 3.0.squareRoot(), c]
        let fractional: [[Double]] = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 1.0 / 6, 0.5], [0, 2.0 / 3, 0.5]]
        let perm = [(1, 2, 0), (2, 0, 1), (0, 1, 2)][normal]
        let order = [perm.0, perm.1, perm.2]
        // Layer heights along the normal and the gaps between them.
        let heights = Array(Set(fractional.map { ($0[normal] * 1e6).rounded() / 1e6 })).sorted()
        var gaps: [(width: Double, middle: Double)] = []
        for (i, h) in heights.enumerated() {
            let next = i + 1 < heights.count ? heights[i + 1] : heights[0] + 1
            gaps.append((next - h, h + (next - h) / 2))
        }
        let chosen: (width: Double, middle: Double)
        switch cut {
        case .any: chosen = gaps[0]
        case .widest: chosen = gaps.max { $0.width < $1.width }!
        case .narrowest: chosen = gaps.min { $0.width < $1.width }!
        }
        let period = lengths[normal]
        let m = max(1, Int((thickness / period).rounded(.up) + 1e-9))
        var positions: [Vec3] = []
        for k in 0..<m {
            for f in fractional {
                var g = f
                var h = f[normal] - chosen.middle
                h -= h.rounded(.down)
                g[normal] = (h + Double(k)) * period
                g[order[0]] *= lengths[order[0]]
                g[order[1]] *= lengths[order[1]]
                positions.append(Vec3(g[order[0]], g[order[1]], g[order[2]]))
            }
        }
        let cell = [Vec3(lengths[order[0]], 0, 0), Vec3(0, lengths[order[1]], 0), Vec3(0, 0, Double(m) * period + vacuum)]
        return Configuration(cell: cell, pbc: .all, species: [Int](repeating: species, count: positions.count), positions: positions)
    }

    public static func compute(with calculator: Calculator, own: Equilibrium, settings: ValidationSettings) -> Surfaces {
        let a = own.hcpA, c = own.hcpC, e0 = own.energyPerAtom[.hcp]!
        let vacuum = max(settings.vacuum, calculator.cutoff + 2)
        let species = own.cell(.hcp).species[0]
        var entries: [Entry] = []
        for (name, normal, cut) in surfaces {
            let slab = Self.slab(a: a, c: c, normal: normal, cut: cut, thickness: settings.slabThickness, vacuum: vacuum, species: species)
            let area = norm(cross(slab.cell[0], slab.cell[1]))
            let thickness = slab.cell[2].z - vacuum
            let options = RelaxationOptions(mode: .positions, forceTolerance: settings.forceTolerance,
                                            stressTolerance: settings.stressTolerance, maxSteps: settings.maxRelaxationSteps)
            do {
                let r = try relax(slab, with: calculator, options: options)
                let gamma = 1000 * (r.labels.energy - Double(slab.atomCount) * e0) / (2 * area)
                entries.append(Entry(name: name, atoms: slab.atomCount, thickness: thickness, energy: gamma,
                                     maxDisplacement: r.maxDisplacement,
                                     note: r.converged ? nil : "relaxation not converged in \(r.steps) steps"))
            } catch {
                entries.append(Entry(name: name, atoms: slab.atomCount, thickness: thickness, energy: .nan, maxDisplacement: .nan,
                                     note: "relaxation failed: \(error)"))
            }
        }
        return Surfaces(entries: entries)
    }

    public var quantities: [Quantity] {
        entries.map { .value("surface energy hcp \($0.name)", "meV/A^2", $0.energy, note: $0.note) }
    }
}

extension Surfaces: PropertyResult {}

/// Surface energies of hcp, relaxed by each calculator.
public struct SurfacesProperty: ValidationProperty {
    public var identifier: String { "surfaces" }
    public var needsOwnEquilibrium: Bool { true }
    public var lattices: [LatticeKind] { [.hcp] }
    public var cost: Int { 40 }
    public var method: ReportMethod? { ReportMethod(cells: .own, noun: "surfaces") }
    public init() {}

    public func compute(_ input: PropertyInput) throws -> any PropertyResult {
        Surfaces.compute(with: input.calculator, own: try input.ownEquilibrium(), settings: input.settings)
    }
    public func isHeadline(_ row: ValidationReport.Row) -> Bool { row.name.hasPrefix("surface energy") }
}
