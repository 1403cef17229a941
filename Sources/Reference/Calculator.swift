import Atomistic

/// What a reference calculator returns for one configuration: the labels a
/// training set stores, in the engine's units (eV, eV/A, and MLIP's virial
/// W = -sigma * V in eV).
public struct Labels: Equatable, Sendable {
    public var energy: Double
    public var forces: [Vec3]
    public var virial: Virial

    public init(energy: Double, forces: [Vec3], virial: Virial) {
        self.energy = energy; self.forces = forces; self.virial = virial
    }

    /// Stress sigma = -W / V (eV/A^3) in Voigt order; positive is tensile.
    public func stress(volume: Double) -> [Double] { virial.voigt.map { -$0 / volume } }
}

/// A calculator labels configurations. Like ASE's calculators it is separate
/// from the configuration (plain data) and interchangeable: the EAM reference,
/// a fitted MTP, or a DFT hand-off all answer the same question, so
/// relaxation, training-set construction and validation never ask which one
/// they hold.
///
/// Calculators are values used from one thread at a time; a calculator that
/// keeps scratch buffers keeps them per instance.
public protocol Calculator {
    /// A short name for reports ("eam:Mg_mm.eam.fs", "mtp:pot.mtp").
    var name: String { get }
    /// The largest interaction distance (A); neighbour lists use it.
    var cutoff: Double { get }
    /// Energy, forces and virial of `config`. Throws on input the calculator
    /// cannot label (unknown species, overlapping atoms, ...).
    func calculate(_ config: Configuration) throws -> Labels
}

extension Configuration {
    /// A copy carrying `labels` as its reference energy, forces and virial.
    public func labelled(with labels: Labels) -> Configuration {
        var c = self
        c.energy = labels.energy
        c.forces = labels.forces
        c.virial = labels.virial
        return c
    }
}
