import Foundation
import Atomistic
import Reference

/// Where a calculator comes from. Tasks run on several threads and every
/// task makes its own instance, so calculators with scratch buffers are
/// never shared.
public struct CalculatorSource: @unchecked Sendable {
    public var name: String
    public var make: () throws -> Calculator
    /// The extrapolation grader of this calculator's potential, if it has an
    /// active set; `gradeNote` says why not otherwise.
    public var grader: (() throws -> MolecularDynamics.Grader)?
    public var gradeNote: String
    /// Lattices given instead of relaxed (a reference known only by
    /// labelled single points, `LabelledData`): the Validator evaluates the
    /// properties on them and reports this source's equilibrium as not computed.
    public var fixedLattices: FixedLattices?
    /// Why a property cannot be computed with this source (nil: it can);
    /// asked before the property runs, so the report carries this one message.
    public var unavailable: ((String) -> String?)?

    public init(name: String, make: @escaping () throws -> Calculator,
                grader: (() throws -> MolecularDynamics.Grader)? = nil, gradeNote: String = "grade: not available") {
        self.name = name; self.make = make; self.grader = grader; self.gradeNote = gradeNote
    }
}

/// A reference's lattices given rather than relaxed by it.
public struct FixedLattices: Sendable {
    public var lattices: Equilibrium
    /// Whose cells these are, as report.md's method paragraph says it
    /// ("the cells relaxed with POT").
    public var cells: String
    /// Why the reference's own equilibrium is not reported.
    public var why: String
    public init(lattices: Equilibrium, cells: String, why: String) {
        self.lattices = lattices; self.cells = cells; self.why = why
    }
}
