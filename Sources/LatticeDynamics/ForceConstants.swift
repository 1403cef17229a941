import Atomistic
import Reference

/// Harmonic force constants of a supercell from a calculator's forces.
///
/// Why one place. Validation (phonon bands against the reference) and ASSYST
/// (the reference's soft modes frozen into the PHONON stage) both need
/// Phi(b alpha, k beta) = d2E / du_(b alpha) du_(k beta) of the same kind of
/// supercell, from any calculator, EAM, DFT or an MTP alike; what they do
/// with it differs (minimum-image band paths, commensurate standing waves),
/// the finite differences do not.
///
/// How. Central differences of the forces: atom b moves by +-step along
/// alpha and Phi = -(F_k(+) - F_k(-)) / (2 step), error O(step^2). Only the
/// `displacedAtoms` first atoms are moved (the first image of a primitive
/// cell in a supercell made by `Configuration.supercell`): translation
/// symmetry gives the rest, so a supercell costs 6 x primitive atoms
/// calculations whatever its size.
public enum ForceConstants {
    /// Phi[(b * 3 + alpha) * 3n + 3k + beta] in eV/A^2, row-major, for the
    /// displaced atoms b (0..<displacedAtoms) against every atom k of
    /// `supercell` (n atoms). Throws `ForceConstantsError` when the calculator
    /// returns another number of forces than atoms or a non-finite force.
    public static func centralDifferences(of supercell: Configuration, displacedAtoms nb: Int, step: Double,
                                          calculator: Calculator) throws -> [Double] {
        let n = supercell.atomCount
        precondition((0...n).contains(nb) && step > 0, "displaced atoms \(nb) of \(n), step \(step)")
        var phi = [Double](repeating: 0, count: 3 * nb * 3 * n)
        for b in 0..<nb {
            for alpha in 0..<3 {
                let fp = try calculator.calculate(displaced(supercell, atom: b, axis: alpha, by: step)).forces
                let fm = try calculator.calculate(displaced(supercell, atom: b, axis: alpha, by: -step)).forces
                guard fp.count == n, fm.count == n else {
                    throw ForceConstantsError("\(calculator.name) returned \(fp.count) and \(fm.count) forces for \(n) atoms "
                                              + "(atom \(b) displaced along \("xyz".map(String.init)[alpha]))")
                }
                let row = (b * 3 + alpha) * 3 * n
                for k in 0..<n {
                    for beta in 0..<3 { phi[row + 3 * k + beta] = -(fp[k][beta] - fm[k][beta]) / (2 * step) }
                }
            }
        }
        guard phi.allSatisfy(\.isFinite) else { throw ForceConstantsError("non-finite forces from \(calculator.name)") }
        return phi
    }

    /// `supercell` with atom `atom` moved by `shift` A along `axis`: one of
    /// the structures `centralDifferences` evaluates (shift = +-step), for
    /// callers that list them beforehand (a DFT hand-off labels them).
    public static func displaced(_ supercell: Configuration, atom: Int, axis: Int, by shift: Double) -> Configuration {
        var c = supercell
        c.positions[atom][axis] += shift
        return c
    }
}

/// Force constants that could not be computed: the message says why.
public struct ForceConstantsError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
