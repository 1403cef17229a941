import Foundation

/// Sizes, ranges and run lengths of every property. The defaults are the
/// full validation (the seed paper's settings, within the 10-minute budget
/// for a level-16 MTP on 2 cores); `quick` shrinks cells and runs for tests.
public struct ValidationSettings: Codable, Sendable, Equatable {
    public var smallVolumeRange = 0.10, smallVolumePoints = 11
    public var largeVolumeRange = 0.80, largeVolumePoints = 17
    public var maxStrain = 0.6, strainPoints = 13
    /// n of the n x n x n vacancy supercells.
    public var vacancyRepeat = 3
    /// Minimum slab thickness and vacuum (A); the vacuum is at least cutoff + 2.
    public var slabThickness = 17.0, vacuum = 12.0
    /// Minimum width of the phonon supercell (A), displacement (A), points
    /// per band-path segment, q mesh per axis and Gaussian smearing (THz) of the DOS.
    public var phononMinimumLength = 10.0, phononDisplacement = 0.01
    public var bandPointsPerSegment = 30, dosMesh = 14, dosSmearing = 0.12
    /// +- strain of the stress-strain elastic constants and the force
    /// tolerance of their ionic relaxations (tight: stresses are differenced).
    public var elasticStrain = 0.005, elasticForceTolerance = 1e-4
    /// Temperatures (K), run length (ps), time step (fs), Langevin friction
    /// time (fs), minimum cell width (A) of the MD runs; every how many steps
    /// the distances (and grade) are checked; what counts as a blow-up.
    public var mdTemperatures = [300.0, 800.0], mdDuration = 3.0, mdTimestep = 2.0, mdFrictionTime = 100.0
    public var mdMinimumLength = 11.0, mdSampleEvery = 10
    public var blowUpDistanceFraction = 0.6, maxDriftPerAtom = 50.0
    /// Relaxation tolerances (eV/A, eV/A^3) and step limit.
    public var forceTolerance = 1e-3, stressTolerance = 2e-5, maxRelaxationSteps = 2000
    /// Worker threads; each runs one (property, calculator) task at a time
    /// with its own calculator instance.
    public var threads = 2

    public init() {}

    /// Small cells and short runs: numbers are not converged, but every code
    /// path runs, in seconds.
    public static var quick: ValidationSettings {
        var s = ValidationSettings()
        s.smallVolumePoints = 5; s.largeVolumePoints = 5; s.strainPoints = 5
        s.vacancyRepeat = 2; s.slabThickness = 9
        s.phononMinimumLength = 6; s.bandPointsPerSegment = 6; s.dosMesh = 4
        s.mdDuration = 0.1; s.mdMinimumLength = 6; s.mdSampleEvery = 5
        return s
    }
}
