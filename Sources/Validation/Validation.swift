import Foundation
import Atomistic
import Reference

/// Sizes, ranges and run lengths of every property. The defaults are the
/// full validation (the seed paper's settings, within the 10-minute budget
/// for a level-16 MTP on 2 cores); `quick` shrinks cells and runs for tests.
public struct ValidationSettings: Sendable {
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

/// The properties, in report order.
public enum Property: String, CaseIterable, Codable, Sendable {
    case equilibrium
    case energyVolume = "energy-volume"
    case strains
    case vacancies
    case surfaces
    case phonons
    case elastic
    case dynamics = "molecular dynamics"
}

/// Where a calculator comes from. Tasks run on several threads and every
/// task makes its own instance, so calculators with scratch buffers are
/// never shared.
public struct CalculatorSource: @unchecked Sendable {
    public var name: String
    public var make: () throws -> Calculator
    /// The extrapolation grader of this calculator's potential, if it has an
    /// active set; `gradeNote` says why not otherwise.
    public var grader: (() throws -> MolecularDynamics.Grader)?
    public var gradeNote: String

    public init(name: String, make: @escaping () throws -> Calculator,
                grader: (() throws -> MolecularDynamics.Grader)? = nil, gradeNote: String = "grade: not available") {
        self.name = name; self.make = make; self.grader = grader; self.gradeNote = gradeNote
    }
}

/// Everything one calculator produced.
public struct CalculatorResults: Sendable {
    public var name: String
    public var equilibrium: Equilibrium?
    public var energyVolume: EnergyVolume?
    public var strains: Strains?
    public var vacancies: Vacancies?
    public var surfaces: Surfaces?
    public var phonons: Phonons?
    public var elastic: Elastic?
    public var dynamics: MolecularDynamics?
    /// Properties that could not be computed at all, and why.
    public var failures: [Property: String] = [:]
    public var seconds: [Property: Double] = [:]

    public init(name: String) { self.name = name }

    public func quantities(_ p: Property) -> [Quantity]? {
        switch p {
        case .equilibrium: return equilibrium?.quantities
        case .energyVolume: return energyVolume?.quantities
        case .strains: return strains?.quantities
        case .vacancies: return vacancies?.quantities
        case .surfaces: return surfaces?.quantities
        case .phonons: return phonons?.quantities
        case .elastic: return elastic?.quantities
        case .dynamics: return dynamics?.quantities
        }
    }
}

/// Validation of potentials against a reference: every property computed
/// with each calculator, then compared row by row.
public struct Validator {
    public var reference: CalculatorSource
    public var potentials: [CalculatorSource]
    /// Atomic mass (amu) for phonons and dynamics.
    public var mass: Double
    /// Start of the reference's hcp relaxation; nil scans for it.
    public var startLattice: (a: Double, cOverA: Double)?
    public var settings: ValidationSettings
    /// Which properties to compute (all by default).
    public var properties: [Property] = Property.allCases

    public init(reference: CalculatorSource, potentials: [CalculatorSource], mass: Double,
                startLattice: (a: Double, cOverA: Double)?, settings: ValidationSettings) {
        self.reference = reference; self.potentials = potentials; self.mass = mass
        self.startLattice = startLattice; self.settings = settings
    }

    /// Runs everything. `progress` gets one line per finished property and
    /// calculator, with its time. Throws only when the reference itself
    /// cannot be set up (its lattices do not relax): nothing can be compared then.
    public func run(progress: @escaping (String) -> Void = { _ in }) throws -> ValidationReport {
        let clock = ContinuousClock()
        let t0 = clock.now
        let sources = [reference] + potentials
        var results = sources.map { CalculatorResults(name: $0.name) }
        let width = sources.map(\.name.count).max() ?? 0
        func line(_ p: Property, _ name: String, _ s: Double, _ failure: String?) -> String {
            let label = p.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)
            let who = name.padding(toLength: width, withPad: " ", startingAt: 0)
            return "  \(label) \(who) \(String(format: "%7.1f s", s))" + (failure.map { "  FAILED: \($0)" } ?? "")
        }

        // Equilibria first: every other property starts from them. Every
        // calculator relaxes from the same start, so a potential identical
        // to the reference gives identical lattices.
        let referenceCalculator = try reference.make()
        var t = clock.now
        let start = try startLattice ?? Equilibrium.scanStart(with: referenceCalculator)
        let refEquilibrium: Equilibrium
        do {
            refEquilibrium = try Equilibrium.find(with: referenceCalculator, start: start, settings: settings)
        } catch {
            throw PropertyFailure("reference \(reference.name): \(error)")
        }
        results[0].equilibrium = refEquilibrium
        results[0].seconds[.equilibrium] = seconds(since: t)
        progress(line(.equilibrium, reference.name, seconds(since: t), nil))
        for (i, source) in potentials.enumerated() {
            t = clock.now
            do {
                let calc = try source.make()
                results[i + 1].equilibrium = try Equilibrium.find(with: calc, start: start, settings: settings)
            } catch {
                results[i + 1].failures[.equilibrium] = "\(error)"
            }
            results[i + 1].seconds[.equilibrium] = seconds(since: t)
            progress(line(.equilibrium, source.name, seconds(since: t), results[i + 1].failures[.equilibrium]))
        }

        // The other properties as independent tasks, the expensive ones first.
        let order: [Property] = [.dynamics, .vacancies, .phonons, .surfaces, .elastic, .energyVolume, .strains]
        var tasks: [(Int, Property)] = []
        for p in order where properties.contains(p) {
            for c in sources.indices { tasks.append((c, p)) }
        }
        let box = ResultsBox(results)
        let settings = self.settings, mass = self.mass
        DispatchQueue.concurrentPerform(iterations: max(1, min(settings.threads, tasks.count))) { _ in
            while let (c, p) = box.nextTask(count: tasks.count).map({ tasks[$0] }) {
                let source = sources[c]
                let own = box.equilibrium(c)
                let tStart = clock.now
                var update: (inout CalculatorResults) -> Void = { _ in }
                var failure: String? = nil
                do {
                    let calc = try source.make()
                    switch p {
                    case .energyVolume:
                        let r = EnergyVolume.compute(with: calc, reference: refEquilibrium, settings: settings)
                        update = { $0.energyVolume = r }
                    case .strains:
                        let r = Strains.compute(with: calc, reference: refEquilibrium, settings: settings)
                        update = { $0.strains = r }
                    case .phonons:
                        let r = Phonons.compute(with: calc, reference: refEquilibrium, mass: mass, settings: settings)
                        update = { $0.phonons = r }
                    case .vacancies, .surfaces, .elastic, .dynamics:
                        guard let own else { throw PropertyFailure("no equilibrium lattice (its relaxation failed)") }
                        switch p {
                        case .vacancies:
                            let r = Vacancies.compute(with: calc, own: own, settings: settings)
                            update = { $0.vacancies = r }
                        case .surfaces:
                            let r = Surfaces.compute(with: calc, own: own, settings: settings)
                            update = { $0.surfaces = r }
                        case .elastic:
                            let r = Elastic.compute(with: calc, own: own, settings: settings)
                            update = { $0.elastic = r }
                        default:
                            var grader: MolecularDynamics.Grader? = nil
                            var note = source.gradeNote
                            if let g = source.grader {
                                do { grader = try g() } catch { note = "grade: not available (\(error))" }
                            }
                            let r = MolecularDynamics.compute(with: calc, own: own, mass: mass, settings: settings,
                                                              grader: grader, gradeNote: note)
                            update = { $0.dynamics = r }
                        }
                    case .equilibrium:
                        break
                    }
                } catch {
                    failure = "\(error)"
                }
                let s = seconds(since: tStart)
                box.finish(c) { r in
                    update(&r)
                    r.seconds[p] = s
                    if let failure { r.failures[p] = failure }
                }
                box.say(line(p, source.name, s, failure), progress)
            }
        }
        results = box.results
        return ValidationReport(results: results, settings: settings, properties: properties, wallSeconds: seconds(since: t0))
    }
}

/// The shared state of the worker threads, behind one lock.
private final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var results: [CalculatorResults]
    private var next = 0
    init(_ r: [CalculatorResults]) { results = r }
    func nextTask(count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
    func equilibrium(_ c: Int) -> Equilibrium? {
        lock.lock(); defer { lock.unlock() }
        return results[c].equilibrium
    }
    func finish(_ c: Int, _ body: (inout CalculatorResults) -> Void) {
        lock.lock(); defer { lock.unlock() }
        body(&results[c])
    }
    func say(_ s: String, _ progress: (String) -> Void) {
        lock.lock(); defer { lock.unlock() }
        progress(s)
    }
}
