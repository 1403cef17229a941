import Foundation
import Atomistic
import Reference
import Structures
import Relaxation

/// The four lattices of the seed paper's validation.
public enum LatticeKind: String, CaseIterable, Codable, Sendable {
    case hcp, fcc, dhcp, bcc
}

/// A calculator's relaxed unit cells of the four lattices, or of those the
/// selected properties need (`ValidationProperty.lattices`). Every property
/// starts from one of these: the reference's, so that both calculators see
/// the same geometry (E-V, strains, force constants), or the calculator's
/// own, where the property is "relaxed separately" (vacancies, surfaces,
/// elastic constants, dynamics).
public struct Equilibrium: Sendable {
    public var cells: [LatticeKind: Configuration]
    /// Energy per atom (eV) of each relaxed cell.
    public var energyPerAtom: [LatticeKind: Double]

    /// The relaxed cell of `k`; a property asking for a lattice it does not
    /// list in its `lattices` finds it missing, which is a programming error.
    public func cell(_ k: LatticeKind) -> Configuration {
        guard let c = cells[k] else {
            preconditionFailure("Equilibrium: the \(k.rawValue) lattice was not relaxed; the property using it must list it in its `lattices`")
        }
        return c
    }
    public func volumePerAtom(_ k: LatticeKind) -> Double { cell(k).volume / Double(cell(k).atomCount) }
    /// The relaxed lattices, in the order of `LatticeKind.allCases`.
    public var kinds: [LatticeKind] { LatticeKind.allCases.filter { cells[$0] != nil } }
    /// hcp a (A) and c/a of the relaxed 2-atom cell.
    public var hcpA: Double { norm(cell(.hcp).cell[0]) }
    public var hcpC: Double { norm(cell(.hcp).cell[2]) }

    /// Relaxes `lattices` (all four by default) with `calculator`, starting
    /// from hcp with `start` (a, c/a) and the other lattices at the same
    /// volume per atom. hcp and dhcp relax their cell shape (c/a is free),
    /// fcc and bcc their volume; none has internal coordinates to relax.
    public static func find(with calculator: Calculator, start: (a: Double, cOverA: Double),
                            settings: ValidationSettings,
                            lattices: [LatticeKind] = LatticeKind.allCases) throws -> Equilibrium {
        let a = start.a, c = start.a * start.cOverA
        let volume = 0.5 * 3.0.squareRoot() / 2 * a * a * c   // per atom: hexagonal cell / 2
        let starts: [(LatticeKind, Lattice, RelaxationMode)] = [
            (.hcp, .hcp(a: a, cOverA: start.cOverA), .cellShape),
            (.fcc, .fcc(a: pow(4 * volume, 1.0 / 3)), .volume),
            (.dhcp, .dhcp(a: a, cOverA: 2 * start.cOverA), .cellShape),
            (.bcc, .bcc(a: pow(2 * volume, 1.0 / 3)), .volume),
        ]
        var cells: [LatticeKind: Configuration] = [:], energies: [LatticeKind: Double] = [:]
        for (kind, lattice, mode) in starts where lattices.contains(kind) {
            let options = RelaxationOptions(mode: mode, forceTolerance: settings.forceTolerance,
                                            stressTolerance: settings.stressTolerance, maxSteps: settings.maxRelaxationSteps)
            let r: RelaxationResult
            do {
                r = try relax(lattice.unitCell(), with: calculator, options: options)
            } catch {
                throw PropertyFailure("\(kind.rawValue) lattice relaxation failed: \(error)")
            }
            guard r.converged else {
                throw PropertyFailure("\(kind.rawValue) lattice relaxation did not converge in \(r.steps) steps")
            }
            cells[kind] = r.configuration
            energies[kind] = r.labels.energy / Double(r.configuration.atomCount)
        }
        return Equilibrium(cells: cells, energyPerAtom: energies)
    }

    /// A starting hcp lattice constant for a calculator nothing is known
    /// about: the energy minimum of ideal hcp (c/a = 1.633) on a grid of a
    /// from 2 to 6 A, refined by relaxation afterwards.
    public static func scanStart(with calculator: Calculator) throws -> (a: Double, cOverA: Double) {
        let ideal = (8.0 / 3).squareRoot()
        var best = (a: Double.nan, e: Double.infinity)
        let grid = stride(from: 2.0, through: 6.0, by: 0.02).map { $0 }
        for a in grid {
            guard let e = try? calculator.calculate(Lattice.hcp(a: a, cOverA: ideal).unitCell()).energy,
                  e.isFinite else { continue }
            if e < best.e { best = (a, e) }
        }
        guard best.a.isFinite, best.a > grid.first! + 0.01, best.a < grid.last! - 0.01 else {
            throw PropertyFailure("\(calculator.name): no energy minimum of ideal hcp for a in 2-6 A; give the lattice with --lattice hcp:a,c/a")
        }
        return (best.a, ideal)
    }

    /// Lattice parameters, volumes and structural energy differences, in the
    /// units users compare (A, A^3/atom, meV/atom), of the relaxed lattices
    /// only (an energy difference needs both of its lattices).
    public var quantities: [Quantity] {
        var q: [Quantity] = []
        let have = Set(kinds)
        if have.contains(.hcp) {
            q.append(.value("hcp a", "A", hcpA))
            q.append(.value("hcp c/a", "", hcpC / hcpA))
            q.append(.value("hcp volume", "A^3/atom", volumePerAtom(.hcp)))
            q.append(.value("hcp energy", "meV/atom", 1000 * energyPerAtom[.hcp]!))
        }
        if have.contains(.fcc) { q.append(.value("fcc a", "A", norm(cell(.fcc).cell[0]))) }
        if have.contains(.dhcp) {
            q.append(.value("dhcp a", "A", norm(cell(.dhcp).cell[0])))
            q.append(.value("dhcp c/a (4 layers)", "", norm(cell(.dhcp).cell[2]) / norm(cell(.dhcp).cell[0])))
        }
        if have.contains(.bcc) { q.append(.value("bcc a", "A", norm(cell(.bcc).cell[0]))) }
        for k in [LatticeKind.fcc, .dhcp, .bcc] where have.contains(k) && have.contains(.hcp) {
            q.append(.value("\(k.rawValue) - hcp energy (each relaxed)", "meV/atom",
                            1000 * (energyPerAtom[k]! - energyPerAtom[.hcp]!)))
        }
        return q
    }

    /// The lattices a validation of `properties` must relax: those the
    /// properties other than the equilibrium itself start from (the
    /// equilibrium property reports whatever was relaxed). With the
    /// equilibrium alone selected, its own declaration: all four.
    public static func lattices(needed properties: [any ValidationProperty]) -> [LatticeKind] {
        let others = properties.filter { $0.identifier != EquilibriumProperty.identifier }
        let wanted = Set((others.isEmpty ? properties : others).flatMap(\.lattices))
        return LatticeKind.allCases.filter { wanted.contains($0) }
    }
}

extension Equilibrium: PropertyResult {}

/// The relaxed lattices as a property: their parameters and energies head
/// the report. The Validator relaxes them before any other property (all
/// start from them), so computing this property only hands those lattices on.
/// Its `lattices` (all four) count only when it is selected alone; otherwise
/// it reports the lattices the other properties needed.
public struct EquilibriumProperty: ValidationProperty {
    public static let identifier = "equilibrium"
    public var identifier: String { Self.identifier }
    public var labelledDataRefusal: String { "the reference's lattices come from its own relaxation" }
    public var needsOwnEquilibrium: Bool { true }
    /// Each calculator relaxes its own lattices (from the reference's
    /// start), but report.md has always listed them in this group; kept so
    /// that reports stay comparable with earlier ones.
    public var method: ReportMethod? { ReportMethod(cells: .reference, noun: "lattices") }
    public init() {}

    public func compute(_ input: PropertyInput) throws -> any PropertyResult { try input.ownEquilibrium() }
}
