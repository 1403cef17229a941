import Foundation
import Atomistic
import Reference
import LatticeDynamics

/// The reference's softest phonons of a PHONON supercell, frozen in: the
/// second half of the PHONON stage (`--phonon-soft-modes`).
///
/// Why. Random displacements of 0.05 A rms spread over all 3n modes of a
/// supercell, so a soft mode carries a small share of their forces: in the
/// Mg set the bcc N mode's stiffness error of the fits (about 0.6 eV/A^2,
/// +1.7 THz in the reference against -1.7 THz fitted) changes the forces of
/// a random copy by about 0.01 eV/A, inside what a level-24 fit leaves on
/// every structure (docs/study.md, the PHONON pilots). Soft modes are where
/// a fit's small error flips a frequency's sign, so they are the modes to
/// show the fit directly: frozen in at 0.05 and 0.1 A, the same error moves
/// every atom's force, coherently, by 0.03-0.06 eV/A. The amplitudes stay
/// small because soft modes are anharmonic: the reference's bcc N mode
/// costs 7.7 meV per 8-atom cell at 0.1 A (harmonic: 11.8) and 5.1 meV at
/// 0.2 A, where the path towards hcp (Burgers) already runs downhill.
///
/// How. The force constants come from the reference by central differences
/// of the forces (`ForceConstants`), displacing only the atoms of the
/// supercell's first image (6 x primitive atoms calculations: 6 for bcc, 12
/// for hcp); translation symmetry gives the rest. For every wave vector q
/// the supercell holds (one of each pair q, -q; not Gamma) the dynamical
/// matrix D(q) =
/// sum_k Phi(b, k) exp(i q.(x_k - x_b)) is exact, with no minimum-image rule,
/// because q is commensurate. Its lowest eigenvector e gives the standing
/// wave u_j = Re(e_b exp(i q.x_j)) (or the imaginary part, whichever is
/// larger: at the zone boundary one of them can vanish). The stage keeps the
/// `count` softest of these (lowest eigenvalue first; a negative one, a mode
/// the reference itself finds unstable, first of all) and freezes each in at
/// half and the whole of `amplitude`, the largest displacement of any atom.
/// ASSYST builds one element, so every atom has the same mass and the
/// eigenvalues (eV/A^2) order the modes as the frequencies would.
public enum SoftModes {
    /// One frozen-in mode: its wave vector (fractions of the primitive
    /// reciprocal vectors, as integers over the repetitions), its stiffness
    /// (the lowest eigenvalue of D(q), eV/A^2) and the displacement of every
    /// supercell atom, scaled so that the largest is 1 A.
    public struct Mode: Sendable, Equatable {
        public var wave: [Int]
        public var repetitions: [Int]
        public var stiffness: Double
        public var pattern: [Vec3]
    }

    /// The lowest mode at every wave vector of `supercell` (made by
    /// `primitive.supercell(reps)`: atom j belongs to primitive atom j % nb),
    /// softest first; ties keep the wave vectors' order.
    public static func modes(primitive: Configuration, repetitions reps: [Int], supercell: Configuration,
                             forceConstants phi: [Double]) throws -> [Mode] {
        let nb = primitive.atomCount, n = supercell.atomCount, dim = 3 * nb
        guard let inverse = Mat3(primitive.cell).inverse else { return [] }
        let fractional = supercell.positions.map { rowTimes($0, inverse) }
        var modes: [Mode] = []
        var matrix = [Double](repeating: 0, count: 2 * dim * dim)
        var solver = HermitianEigensolver(dimension: dim)
        for i in 0..<reps[0] { for j in 0..<reps[1] { for k in 0..<reps[2] {
            let wave = [i, j, k]
            let partner = zip(wave, reps).map { ($1 - $0) % $1 }
            // Gamma is no wave; of q and -q (the same standing waves) keep the first.
            guard wave != [0, 0, 0], !partner.lexicographicallyPrecedes(wave) else { continue }
            func phase(_ atom: Int) -> Double {
                let f = fractional[atom]
                return 2 * Double.pi * (Double(i) * f.x / Double(reps[0]) + Double(j) * f.y / Double(reps[1])
                                        + Double(k) * f.z / Double(reps[2]))
            }
            for p in matrix.indices { matrix[p] = 0 }
            for b in 0..<nb {
                for atom in 0..<n {
                    let c = atom % nb, angle = phase(atom) - phase(b)
                    let (re, im) = (cos(angle), sin(angle))
                    for alpha in 0..<3 {
                        for beta in 0..<3 {
                            let f = phi[(b * 3 + alpha) * 3 * n + 3 * atom + beta]
                            // Column-major: element (r, c) at r + c * dim.
                            let idx = 2 * ((b * 3 + alpha) + (c * 3 + beta) * dim)
                            matrix[idx] += f * re
                            matrix[idx + 1] += f * im
                        }
                    }
                }
            }
            let eigen = try solver.solve(&matrix, vectors: true)
            // The lowest eigenvector is column 0: e_(b, alpha) at rows b*3+alpha.
            var real: [Vec3] = [], imaginary: [Vec3] = []
            for atom in 0..<n {
                let b = atom % nb, angle = phase(atom)
                var re = Vec3.zero, im = Vec3.zero
                for alpha in 0..<3 {
                    let er = matrix[2 * (b * 3 + alpha)], ei = matrix[2 * (b * 3 + alpha) + 1]
                    re[alpha] = er * cos(angle) - ei * sin(angle)
                    im[alpha] = er * sin(angle) + ei * cos(angle)
                }
                real.append(re); imaginary.append(im)
            }
            let largest = { (u: [Vec3]) in u.map { norm($0) }.max() ?? 0 }
            let (lr, li) = (largest(real), largest(imaginary))
            let (pattern, top) = lr >= li ? (real, lr) : (imaginary, li)
            guard top > 1e-8 else { continue }
            modes.append(Mode(wave: wave, repetitions: reps, stiffness: eigen[0], pattern: pattern.map { $0 / top }))
        }}}
        return modes.enumerated().sorted { $0.element.stiffness != $1.element.stiffness
            ? $0.element.stiffness < $1.element.stiffness : $0.offset < $1.offset }.map(\.element)
    }

    /// The frozen-in structures of one relaxed crystal, unlabelled: the
    /// `options.softModes` softest modes of its PHONON supercell at half and
    /// the whole of `options.modeAmplitude`, each with the crystal's identity
    /// features and `assyst_copy` "mode<m>-<amplitude>" (m from 1, softest
    /// first). Structures that break `minDistance` are left out.
    public static func structures(of relaxed: Configuration, options: DisplacementSeriesOptions,
                                  calculator: Calculator, minDistance: Double) throws -> [Configuration] {
        guard options.softModes > 0 else { return [] }
        let (primitive, reps) = DisplacementSeries.supercellPlan(of: relaxed, options: options)
        let base = primitive.supercell(reps[0], reps[1], reps[2])
        let phi = try ForceConstants.centralDifferences(of: base, displacedAtoms: primitive.atomCount,
                                                        step: options.forceConstantStep, calculator: calculator)
        let chosen = try modes(primitive: primitive, repetitions: reps, supercell: base, forceConstants: phi)
            .prefix(options.softModes)
        var out: [Configuration] = []
        for (m, mode) in chosen.enumerated() {
            for amplitude in [0.5 * options.modeAmplitude, options.modeAmplitude] {
                var c = base
                for a in c.positions.indices { c.positions[a] += amplitude * mode.pattern[a] }
                c = c.wrapped()
                guard !violatesMinimumDistance(c, minDistance) else { continue }
                c.group = AssystStage.phonon.rawValue
                c.features = relaxed.features(among: AssystFeature.seriesIdentity)
                c.setFeature(AssystFeature.copy, "mode\(m + 1)-" + String(format: "%.3f", amplitude))
                c.setFeature(AssystFeature.softMode, zip(mode.wave, mode.repetitions).map { "\($0)/\($1)" }.joined(separator: ",")
                             + String(format: " %.4f", mode.stiffness))
                out.append(c)
            }
        }
        return out
    }
}
