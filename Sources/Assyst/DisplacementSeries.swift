import Foundation
import Atomistic
import Structures
import Reference

/// Small random displacements of the lowest-energy relaxed crystals in
/// supercells: the PHONON stage (frozen phonons).
///
/// Why. Every other stage displaces atoms only inside the small cells the
/// crystals were generated in (1-4 or 1-10 atoms): RATTLE by 0.5 A on
/// average, far beyond the harmonic range, and in a one-atom bcc cell not at
/// all (its only displacement is a translation). Phonons at the zone
/// boundary need cells that hold the wave: bcc's soft transverse mode at N
/// needs two (110) planes moving against each other. Level-24 fits of such
/// sets gave bcc an unstable mode at N (-1.0 to -1.9 THz, the Mg EAM has
/// +1.7 THz; docs/study.md). This stage puts the harmonic response of the
/// crystals that matter most into the set: each of the `structures`
/// lowest-energy distinct INTMIN crystals (chosen by `LowestCrystals`, as for
/// ELASTIC and EOS) is reduced to its primitive cell and repeated into the
/// widest supercell of at most `maxAtoms` atoms (bcc: 2x2x2, which holds
/// Gamma, H and the six N points; the generated cell may be larger and miss
/// them: the 1-4-atom Mg set holds bcc as a four-atom cell whose
/// commensurate wave vectors are Gamma, H and P), and `copies` copies get independent Gaussian
/// displacements of `displacement` A rms per Cartesian component, the mean
/// displacement removed (a rigid translation carries no information). The
/// random stream of a copy comes from the run's seed and the crystal's
/// identity, so the stage is reproducible and, coming after EOS, leaves every
/// stage before it unchanged.
public struct DisplacementSeriesOptions: Sendable, Equatable {
    /// Lowest-energy distinct relaxed crystals to displace (0: no PHONON stage).
    public var structures = 0
    /// Displaced copies per crystal.
    public var copies = 8
    /// Largest supercell (atoms).
    public var maxAtoms = 16
    /// Root-mean-square displacement per Cartesian component (A).
    public var displacement = 0.05
    /// Draws per copy before a copy that keeps breaking the minimum distance is dropped.
    public var tries = 20
    /// spglib's tolerance (A) when the primitive cell is found (the generation's).
    public var symprec = 1e-3
    /// The reference's softest modes of each supercell frozen in (`SoftModes`; 0: none).
    public var softModes = 0
    /// Largest atom displacement (A) of a frozen-in mode; each mode is also frozen in at half of it.
    public var modeAmplitude = 0.1
    /// Displacement (A) of the central differences that give the reference's force constants.
    public var forceConstantStep = 0.01

    public init() {}

    /// Configurations the stage adds (at most: copies that break the minimum
    /// distance are dropped, and a small supercell may hold fewer wave vectors
    /// than `softModes`).
    public var count: Int { structures * (copies + 2 * softModes) }

    /// One message naming the option when out of range.
    public func check() throws {
        guard structures >= 0 else { throw AssystJobError("--phonon-structures must not be negative") }
        guard (1...1000).contains(copies) else { throw AssystJobError("--phonon-copies must be 1-1000") }
        guard (1...512).contains(maxAtoms) else { throw AssystJobError("--phonon-max-atoms must be 1-512") }
        guard displacement.isFinite, displacement > 0, displacement <= 1 else {
            throw AssystJobError("--phonon-displacement must be in (0, 1] A")
        }
        guard (0...1000).contains(softModes) else { throw AssystJobError("--phonon-soft-modes must be 0-1000") }
        guard modeAmplitude.isFinite, modeAmplitude > 0, modeAmplitude <= 1 else {
            throw AssystJobError("--phonon-mode-amplitude must be in (0, 1] A")
        }
        guard forceConstantStep.isFinite, forceConstantStep > 0, forceConstantStep <= 0.1 else {
            throw AssystJobError("the force-constant step must be in (0, 0.1] A")
        }
        guard softModes == 0 || structures > 0 else {
            throw AssystJobError("--phonon-soft-modes needs --phonon-structures: the crystals whose modes are frozen in")
        }
    }

    /// The repetitions (n0, n1, n2) of a cell with `atoms` atoms and
    /// perpendicular widths `widths` that make the widest supercell of at most
    /// `maxAtoms` atoms: the largest smallest width, then the fewest atoms,
    /// then the first in (n0, n1, n2) order. (1, 1, 1) when even one copy is too large.
    public func repetitions(atoms: Int, widths: (Double, Double, Double)) -> (Int, Int, Int) {
        let limit = max(1, maxAtoms / max(atoms, 1))
        var best = (1, 1, 1), bestWidth = min(widths.0, widths.1, widths.2), bestImages = 1
        for n0 in 1...limit {
            for n1 in 1...(limit / n0) {
                for n2 in 1...(limit / (n0 * n1)) {
                    let w = min(Double(n0) * widths.0, Double(n1) * widths.1, Double(n2) * widths.2)
                    let images = n0 * n1 * n2
                    if w > bestWidth * (1 + 1e-9) || (w > bestWidth * (1 - 1e-9) && images < bestImages) {
                        best = (n0, n1, n2); bestWidth = w; bestImages = images
                    }
                }
            }
        }
        return best
    }
}

public enum DisplacementSeries {
    /// The supercell the stage displaces (unlabelled): the repetition of
    /// `relaxed`'s primitive cell, reduced, that `options.repetitions` picks
    /// (`relaxed`'s own cell when spglib finds no primitive cell).
    public static func supercell(of relaxed: Configuration, options: DisplacementSeriesOptions) -> Configuration {
        let (cell, n) = supercellPlan(of: relaxed, options: options)
        return cell.supercell(n[0], n[1], n[2])
    }

    /// The cell `supercell` repeats (the reduced primitive cell) and its repetitions.
    public static func supercellPlan(of relaxed: Configuration, options: DisplacementSeriesOptions)
        -> (cell: Configuration, repetitions: [Int]) {
        let cell = Spglib.primitive(of: relaxed, symprec: options.symprec)?.withReducedCell() ?? relaxed
        let h = CellGeometry.heights(Mat3(cell.cell))
        let n = options.repetitions(atoms: cell.atomCount, widths: (h.x, h.y, h.z))
        return (cell, [n.0, n.1, n.2])
    }

    /// The displaced copies of one relaxed crystal, unlabelled; each with the
    /// crystal's identity features and `assyst_copy`. Copies that still break
    /// `minDistance` after `options.tries` draws are left out.
    public static func series(of relaxed: Configuration, options: DisplacementSeriesOptions,
                              seed: UInt64, minDistance: Double) -> [Configuration] {
        let base = supercell(of: relaxed, options: options)
        let identity = relaxed.feature(AssystFeature.crystal) ?? ""
        var out: [Configuration] = []
        for copy in 0..<options.copies {
            var rng = AssystRandom(seed: seed, stream: streamKey(identity) + [UInt64(copy)])
            for _ in 0..<max(1, options.tries) {
                var c = base
                var d = (0..<c.atomCount).map { _ in
                    options.displacement * Vec3(rng.normal(), rng.normal(), rng.normal())
                }
                if d.count > 1 {
                    let mean = d.reduce(Vec3(0, 0, 0), +) / Double(d.count)
                    d = d.map { $0 - mean }
                }
                for k in c.positions.indices { c.positions[k] += d[k] }
                c = c.wrapped()
                guard !violatesMinimumDistance(c, minDistance) else { continue }
                c.group = AssystStage.phonon.rawValue
                c.features = relaxed.features(among: AssystFeature.seriesIdentity)
                c.setFeature(AssystFeature.copy, String(copy))
                out.append(c)
                break
            }
        }
        return out
    }

    /// The whole stage: the displaced supercells of the lowest-energy distinct
    /// crystals of `relaxed` (the INTMIN structures), unlabelled; per crystal
    /// the random copies, then its frozen-in soft modes. The soft modes need
    /// the reference's forces: `makeCalculator` (one calculator per thread,
    /// crystals over `threads` threads) must be given when
    /// `options.softModes` > 0. A crystal whose force constants cannot be
    /// computed (the calculator fails) keeps its random copies and is
    /// counted in `failures`.
    public static func stage(from relaxed: [Configuration], options: DisplacementSeriesOptions,
                             seed: UInt64, minDistance: Double,
                             makeCalculator: (() throws -> Calculator)? = nil, threads: Int = 1) throws -> SeriesOutput {
        let crystals = LowestCrystals.distinct(relaxed, count: options.structures)
        var modes = [[Configuration]](repeating: [], count: crystals.count)
        var failures: [String] = []
        if options.softModes > 0 && !crystals.isEmpty {
            guard let makeCalculator else {
                throw AssystJobError("--phonon-soft-modes needs the reference's forces while the stage is built: a local calculator")
            }
            let results = try parallelMapWithState(crystals.count, threads: threads, makeState: makeCalculator,
                                                   progress: nil) { i, calculator in
                Result { try SoftModes.structures(of: crystals[i], options: options, calculator: calculator,
                                                  minDistance: minDistance) }
            }
            for (i, r) in results.enumerated() {
                switch r {
                case .success(let list): modes[i] = list
                case .failure(let e): failures.append("soft modes not found: " + AssystPipeline.reason(e))
                }
            }
        }
        let structures = crystals.indices.flatMap {
            series(of: crystals[$0], options: options, seed: seed, minDistance: minDistance) + modes[$0]
        }
        return SeriesOutput(structures, failures: failures)
    }

    /// The stage's tag and the crystal identity as stream words (FNV-1a of the
    /// UTF-8 bytes), so that no other stage draws the same numbers.
    static func streamKey(_ identity: String) -> [UInt64] {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in identity.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return [0x5048_4F4E_4F4E, h]  // "PHONON"
    }
}
