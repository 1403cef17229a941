import Foundation
import Atomistic
import MTP

/// A calculator spec the user could not have meant.
public struct CalculatorSpecError: Error, CustomStringConvertible, Equatable {
    public var spec: String
    public var description: String {
        "'\(spec)' is not a calculator: use eam:FILE (a LAMMPS eam/alloy or eam/fs setfl file), mtp:FILE (a trained .mtp potential) or ase:FILE.py (a Python file defining calculator(), returning an ASE calculator)"
    }
}

/// What a command knows beyond the spec: the element of each species index
/// (ASE calculators need atomic numbers) and how long one structure may take.
public struct CalculatorContext: Sendable, Equatable {
    /// Element symbol of species index i; empty when the command does not know.
    public var species: [String]
    /// Seconds one structure may take with a calculator that can hang (ase:); nil: no limit.
    public var timeout: Double?

    public init(species: [String] = [], timeout: Double? = nil) {
        self.species = species; self.timeout = timeout
    }
}

/// The calculator a command-line spec names, so every command that labels
/// or relaxes takes the same `--calculator` strings: "eam:FILE" (LAMMPS
/// setfl, species i = the file's i-th element), "mtp:FILE" (a trained MTP)
/// or "ase:FILE.py" (any ASE calculator, run by a Python worker; species
/// and timeout from `context`).
public func makeCalculator(spec: String, context: CalculatorContext = CalculatorContext()) throws -> Calculator {
    guard let colon = spec.firstIndex(of: ":") else { throw CalculatorSpecError(spec: spec) }
    let kind = spec[..<colon].lowercased()
    let path = String(spec[spec.index(after: colon)...])
    guard !path.isEmpty else { throw CalculatorSpecError(spec: spec) }
    switch kind {
    case "eam":
        return try EAMCalculator(file: path)
    case "mtp":
        let potential = try MTPFile.read(path: path)
        guard potential.isTrained else {
            throw InputError(file: path, "the potential is untrained (no species_coeffs/moment_coeffs); train it before using it as a calculator")
        }
        return try MTPCalculator(potential, name: "mtp:" + (path as NSString).lastPathComponent)
    case "ase":
        return try ASECalculator(file: path, species: context.species, timeout: context.timeout)
    default:
        throw CalculatorSpecError(spec: spec)
    }
}

/// Whether `spec` names a calculator run by a Python worker (ase:).
public func isPythonCalculator(spec: String) -> Bool { spec.lowercased().hasPrefix("ase:") }
