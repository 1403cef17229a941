import Foundation
import Atomistic

/// Strain series of the lowest-energy relaxed crystals: the ELASTIC stage.
///
/// Why. The paper's perturbations (TRIAX, SHEAR up to +-80 %, RATTLE) and the
/// STRAIN copies (all six components at random within +-2 %) sample a
/// crystal's response to strain only in scattered directions. Elastic
/// constants are the curvature of the energy along each strain component at
/// the ground state, and a reference can be strongly non-linear there: the
/// Mg EAM's hcp C33 from +-e stress differences grows from 70 GPa at
/// e = 0.5 % to 100 GPa at 5 % (docs/study.md). Fits of the whole set then
/// learn an average slope (C33 83-92 GPa at levels 24-28). The series puts
/// the curve itself in the set: for each of the `structures` lowest-energy
/// distinct INTMIN crystals, each Voigt component alone, strained by
/// +-step, +-2 step, ..., +-maxStrain (engineering shear strain for yz, xz,
/// xy), atoms carried along. It is deterministic (no random stream) and comes
/// last in the set, so the stages before it are unchanged.
public struct ElasticSeriesOptions: Sendable, Equatable {
    /// Lowest-energy distinct relaxed crystals to strain (0: no ELASTIC stage).
    public var structures = 0
    /// Largest |strain| of the series (fraction).
    public var maxStrain = 0.06
    /// Strains per sign and component: step = maxStrain / steps.
    public var steps = 12

    public init() {}

    /// Configurations the stage adds.
    public var count: Int { structures * 6 * 2 * steps }

    /// One message naming the option when out of range.
    public func check() throws {
        guard structures >= 0 else { throw AssystJobError("--elastic-structures must not be negative") }
        guard maxStrain > 0, maxStrain <= 0.2 else { throw AssystJobError("--elastic-max-strain must be in (0, 0.2]") }
        guard (1...100).contains(steps) else { throw AssystJobError("--elastic-steps must be 1-100") }
    }
}

public enum ElasticSeries {
    /// Voigt components in order, with the tensor entries they strain.
    public static let components: [(name: String, i: Int, j: Int)] =
        [("xx", 0, 0), ("yy", 1, 1), ("zz", 2, 2), ("yz", 1, 2), ("xz", 0, 2), ("xy", 0, 1)]

    /// The series of one relaxed crystal, unlabelled, in the order component,
    /// then strain from -maxStrain to +maxStrain (zero left out); each with
    /// the crystal's identity features and `assyst_elastic` = "zz+0.0100".
    public static func series(of relaxed: Configuration, options: ElasticSeriesOptions) -> [Configuration] {
        let step = options.maxStrain / Double(options.steps)
        var out: [Configuration] = []
        for (name, i, j) in components {
            for k in -options.steps...options.steps where k != 0 {
                let e = Double(k) * step
                var rows = [Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)]
                if i == j {
                    rows[i][i] += e
                } else {
                    rows[i][j] += e / 2
                    rows[j][i] += e / 2
                }
                var c = relaxed.deformedCell(by: Mat3(rows[0], rows[1], rows[2]))
                c.group = AssystStage.elastic.rawValue
                c.features = relaxed.features(among: AssystFeature.seriesIdentity)
                c.setFeature(AssystFeature.elastic, name + String(format: "%+.4f", e))
                out.append(c)
            }
        }
        return out
    }

    /// The whole stage: the series of the lowest-energy distinct crystals of
    /// `relaxed` (the INTMIN structures, chosen by `LowestCrystals`), unlabelled.
    public static func stage(from relaxed: [Configuration], options: ElasticSeriesOptions) -> [Configuration] {
        LowestCrystals.distinct(relaxed, count: options.structures).flatMap { series(of: $0, options: options) }
    }
}
