import Foundation
import Atomistic

/// The three perturbation stages applied to every relaxed (INTMIN) crystal.
public enum PerturbationKind: String, CaseIterable, Sendable {
    /// Random diagonal strain: stretched and compressed along the axes.
    case triax = "TRIAX"
    /// Random shear strain (off-diagonal components only).
    case shear = "SHEAR"
    /// Random atomic displacements plus a small random strain.
    case rattle = "RATTLE"
    /// A small random homogeneous strain (all six components), atoms
    /// carried along: the elastic response near each relaxed crystal, which
    /// the large TRIAX and SHEAR strains leave almost unsampled.
    case strain = "STRAIN"
}

public struct PerturbationOptions: Sendable {
    /// Perturbed copies per relaxed crystal and kind.
    public var counts: [PerturbationKind: Int] = [.triax: 5, .shear: 5, .rattle: 5]
    /// Largest |strain component| of TRIAX (fraction).
    public var triaxAmplitude = 0.8
    /// Largest |strain component| of SHEAR (fraction).
    public var shearAmplitude = 0.8
    /// Mean atomic displacement of RATTLE (A).
    public var rattleDisplacement = 0.5
    /// Largest |strain component| of RATTLE's strain (fraction).
    public var rattleStrain = 0.05
    /// Largest |strain component| of STRAIN (fraction).
    public var strainAmplitude = 0.02
    /// Perturbed crystals with atoms closer than this (A, images included) are redrawn.
    public var minDistance: Double
    /// Draws per perturbed copy before it is given up.
    public var tries = 100

    public init(minDistance: Double) { self.minDistance = minDistance }
}

public enum Perturbation {
    /// One perturbed copy of `config`, drawn until it keeps the minimum
    /// distance; nil when `options.tries` draws all failed. Labels are
    /// dropped: the copy must be labelled again.
    public static func perturb(_ config: Configuration, kind: PerturbationKind, options: PerturbationOptions,
                               rng: inout AssystRandom) -> Configuration? {
        for _ in 0..<max(1, options.tries) {
            let c = draw(config, kind: kind, options: options, rng: &rng)
            // Stored in the reduced cell: the same crystal, but calculators
            // need far fewer periodic images than in a strongly sheared cell.
            if abs(determinant(c.cell)) > 1e-6 && !violatesMinimumDistance(c, options.minDistance) {
                return c.withReducedCell()
            }
        }
        return nil
    }

    /// One draw, without the distance filter.
    static func draw(_ config: Configuration, kind: PerturbationKind, options: PerturbationOptions,
                     rng: inout AssystRandom) -> Configuration {
        switch kind {
        case .triax:
            let a = options.triaxAmplitude
            let f = Mat3(Vec3(1 + rng.uniform(-a, a), 0, 0), Vec3(0, 1 + rng.uniform(-a, a), 0), Vec3(0, 0, 1 + rng.uniform(-a, a)))
            return config.deformedCell(by: f)
        case .shear:
            return config.deformedCell(by: symmetricStrain(diagonal: 0, offDiagonal: options.shearAmplitude, rng: &rng))
        case .rattle:
            var c = config.deformedCell(by: symmetricStrain(diagonal: options.rattleStrain, offDiagonal: options.rattleStrain, rng: &rng))
            // Isotropic Gaussian displacements: the mean length of a 3D
            // Gaussian vector is sigma * 2 sqrt(2/pi).
            let sigma = options.rattleDisplacement / (2 * (2 / Double.pi).squareRoot())
            for a in c.positions.indices {
                c.positions[a] += sigma * Vec3(rng.normal(), rng.normal(), rng.normal())
            }
            return c.wrapped()
        case .strain:
            let a = options.strainAmplitude
            return config.deformedCell(by: symmetricStrain(diagonal: a, offDiagonal: a, rng: &rng))
        }
    }

    /// F = I + eps with eps symmetric, diagonal components within +-`diagonal`
    /// and off-diagonal ones within +-`offDiagonal`.
    static func symmetricStrain(diagonal: Double, offDiagonal: Double, rng: inout AssystRandom) -> Mat3 {
        let xx = rng.uniform(-diagonal, diagonal), yy = rng.uniform(-diagonal, diagonal), zz = rng.uniform(-diagonal, diagonal)
        let yz = rng.uniform(-offDiagonal, offDiagonal), xz = rng.uniform(-offDiagonal, offDiagonal), xy = rng.uniform(-offDiagonal, offDiagonal)
        return Mat3(Vec3(1 + xx, xy, xz), Vec3(xy, 1 + yy, yz), Vec3(xz, yz, 1 + zz))
    }
}
