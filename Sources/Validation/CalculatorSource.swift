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

    public init(name: String, make: @escaping () throws -> Calculator,
                grader: (() throws -> MolecularDynamics.Grader)? = nil, gradeNote: String = "grade: not available") {
        self.name = name; self.make = make; self.grader = grader; self.gradeNote = gradeNote
    }
}
