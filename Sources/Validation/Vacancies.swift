import Foundation
import Atomistic
import Reference
import Structures
import Relaxation

/// Vacancy formation energies in n x n x n supercells of each lattice, each
/// calculator relaxing its own supercell (atoms and volume) from its own
/// equilibrium: E_f = E(N-1, relaxed) - (N-1) * E0 with E0 the calculator's
/// own energy per atom of the perfect crystal. The largest displacement
/// during relaxation shows whether the potential keeps the defect's
/// structure (a large one means it collapsed or the neighbours moved far).
public struct Vacancies: Sendable {
    public struct Entry: Sendable {
        public var lattice: LatticeKind
        public var atoms: Int
        public var formationEnergy: Double      // eV
        public var maxDisplacement: Double      // A
        public var steps: Int
        public var note: String?
    }
    public var entries: [Entry]

    public static func compute(with calculator: Calculator, own: Equilibrium, settings: ValidationSettings) -> Vacancies {
        let n = settings.vacancyRepeat
        var entries: [Entry] = []
        for kind in LatticeKind.allCases {
            let perfect = own.cell(kind).supercell(n, n, n)
            let defect = perfect.removingAtom(at: 0)
            let options = RelaxationOptions(mode: .positionsAndVolume, forceTolerance: settings.forceTolerance,
                                            stressTolerance: settings.stressTolerance, maxSteps: settings.maxRelaxationSteps)
            do {
                let r = try relax(defect, with: calculator, options: options)
                let ef = r.labels.energy - Double(defect.atomCount) * own.energyPerAtom[kind]!
                entries.append(Entry(lattice: kind, atoms: perfect.atomCount, formationEnergy: ef, maxDisplacement: r.maxDisplacement,
                                     steps: r.steps, note: r.converged ? nil : "relaxation not converged in \(r.steps) steps"))
            } catch {
                entries.append(Entry(lattice: kind, atoms: perfect.atomCount, formationEnergy: .nan, maxDisplacement: .nan,
                                     steps: 0, note: "relaxation failed: \(error)"))
            }
        }
        return Vacancies(entries: entries)
    }

    public var quantities: [Quantity] {
        entries.flatMap { e in
            [Quantity.value("vacancy formation energy \(e.lattice.rawValue) (\(e.atoms) sites)", "eV", e.formationEnergy, note: e.note),
             Quantity.value("vacancy max displacement \(e.lattice.rawValue)", "A", e.maxDisplacement, note: e.note)]
        }
    }
}

extension Vacancies: PropertyResult {}

/// Vacancy formation energies, relaxed by each calculator.
public struct VacanciesProperty: ValidationProperty {
    public var identifier: String { "vacancies" }
    public var needsOwnEquilibrium: Bool { true }
    public var cost: Int { 60 }
    public var method: ReportMethod? { ReportMethod(cells: .own, noun: "vacancies") }
    public init() {}

    public func compute(_ input: PropertyInput) throws -> any PropertyResult {
        Vacancies.compute(with: input.calculator, own: try input.ownEquilibrium(), settings: input.settings)
    }
    public func isHeadline(_ row: ValidationReport.Row) -> Bool { row.name.hasPrefix("vacancy formation") }
    /// The displacement shows whether the defect kept its structure; its
    /// relative error means nothing.
    public func isPlottedAsError(_ row: ValidationReport.Row) -> Bool { !row.name.contains("max displacement") }
}
