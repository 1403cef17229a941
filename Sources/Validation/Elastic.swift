import Foundation
import Atomistic
import Reference
import Relaxation

/// Elastic constants of hcp from stress-strain: central differences of the
/// stress under small +-strains of the calculator's own equilibrium cell,
/// with the ions relaxed at each strain (hcp has an internal degree of
/// freedom that relaxes under in-plane strain, so clamped-ion C11 and C12
/// would be too stiff). x along a, z along c.
public struct Elastic: Sendable {
    /// C11, C12, C13, C33, C44 in GPa.
    public var constants: [(name: String, value: Double)]
    public var note: String?

    public static func compute(with calculator: Calculator, own: Equilibrium, settings: ValidationSettings) -> Elastic {
        let base = own.cell(.hcp)
        let d = settings.elasticStrain
        let options = RelaxationOptions(mode: .positions, forceTolerance: settings.elasticForceTolerance,
                                        stressTolerance: settings.stressTolerance, maxSteps: settings.maxRelaxationSteps)
        /// Stress (GPa, Voigt, tension positive) under strain `e` of Voigt component `axis`.
        func stress(axis: Int, strain e: Double) throws -> [Double] {
            let c = base.deformed(by: Strains.gradient(axis: axis, strain: e))
            let r = try relax(c, with: calculator, options: options)
            guard r.converged else { throw PropertyFailure("ionic relaxation not converged at strain \(Strains.axes[axis]) \(e)") }
            return r.labels.stress(volume: r.configuration.volume).map { $0 * Units.gigapascalPerEVPerCubicAngstrom }
        }
        func derivative(axis: Int) throws -> [Double] {
            let p = try stress(axis: axis, strain: d), m = try stress(axis: axis, strain: -d)
            return zip(p, m).map { ($0 - $1) / (2 * d) }
        }
        do {
            let x = try derivative(axis: 0), z = try derivative(axis: 2), yz = try derivative(axis: 3)
            return Elastic(constants: [("C11", x[0]), ("C12", x[1]), ("C13", x[2]), ("C33", z[2]), ("C44", yz[3])], note: nil)
        } catch {
            return Elastic(constants: ["C11", "C12", "C13", "C33", "C44"].map { ($0, Double.nan) }, note: "\(error)")
        }
    }

    public var quantities: [Quantity] {
        constants.map { .value("hcp \($0.name) (relaxed ions)", "GPa", $0.value, note: note) }
    }
}

extension Elastic: PropertyResult {}

/// Elastic constants of hcp from each calculator's own cell.
public struct ElasticProperty: ValidationProperty {
    public var identifier: String { "elastic" }
    public var needsOwnEquilibrium: Bool { true }
    public var lattices: [LatticeKind] { [.hcp] }
    public var cost: Int { 30 }
    public var method: ReportMethod? {
        ReportMethod(cells: .own, noun: "elastic constants", remark: "Elastic constants with relaxed ions.")
    }
    public init() {}

    public func compute(_ input: PropertyInput) throws -> any PropertyResult {
        Elastic.compute(with: input.calculator, own: try input.ownEquilibrium(), settings: input.settings)
    }
    public func isHeadline(_ row: ValidationReport.Row) -> Bool { row.name.hasPrefix("hcp C") }
}
