import ArgumentParser
import MTP

/// `--radial-basis-type`, with MLIP's file keywords as its values.
extension RadialBasisType: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }

    static var help: ArgumentHelp {
        ArgumentHelp("Radial basis (MLIP's radial_basis_type): \(keywords). RBChebyshev_repuls holds the basis at its min_dist values below min_dist, so the energy stays bounded under compression.")
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
