import Foundation
import Atomistic
import MTP

/// A calculator spec the user could not have meant.
public struct CalculatorSpecError: Error, CustomStringConvertible, Equatable {
    public var spec: String
    public var description: String {
        "'\(spec)' is not a calculator: use eam:FILE (a LAMMPS eam/alloy or eam/fs setfl file) or mtp:FILE (a trained .mtp potential)"
    }
}

/// The calculator a command-line spec names, so every command that labels
/// or relaxes takes the same `--calculator` strings: "eam:FILE" (LAMMPS
/// setfl, species i = the file's i-th element) or "mtp:FILE" (a trained MTP).
public func makeCalculator(spec: String) throws -> Calculator {
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
    default:
        throw CalculatorSpecError(spec: spec)
    }
}
