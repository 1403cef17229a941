import Foundation
import Atomistic
import Reference

/// Short NVT molecular dynamics of hcp at a few temperatures: a potential
/// that is fine on static properties can still fail the first time atoms
/// come closer than the training set ever had them. Langevin dynamics
/// (BAOAB splitting of velocity Verlet, Leimkuhler-Matthews) with a fixed
/// seed, so a run is reproducible.
///
/// "Blows up" means: a non-finite energy or force, two atoms closer than
/// `blowUpDistanceFraction` of the equilibrium nearest-neighbour distance,
/// or a drift of the thermostat-corrected total energy (kinetic + potential
/// - heat exchanged with the bath, conserved up to integration error) above
/// `maxDriftPerAtom`. Unbounded potentials typically trip all three.
public struct MolecularDynamics: Sendable {
    public struct Run: Sendable {
        public var temperature: Double            // K, target
        public var atoms: Int
        public var stepsDone: Int
        public var stable: Bool
        public var reason: String?
        public var meanTemperature: Double        // K over the second half
        public var meanPotentialEnergy: Double    // meV/atom above E0, over the second half
        public var minimumDistance: Double        // A, over the run (sampled)
        public var drift: Double                  // meV/atom, of the corrected total energy over the run
        public var maxGrade: Double?              // extrapolation grade, if an active set is available
    }
    public var runs: [Run]
    public var gradeNote: String

    /// Grades a configuration (MaxVol extrapolation grade of the potential's
    /// active set); nil when no active set is available.
    public typealias Grader = (Configuration) throws -> Double

    public static func compute(with calculator: Calculator, own: Equilibrium, mass: Double, settings: ValidationSettings,
                               grader: Grader?, gradeNote: String) -> MolecularDynamics {
        let unit = own.cell(.hcp)
        // Repeats so that every width reaches the target: ~100 atoms for Mg.
        let reps = (0..<3).map { i -> Int in
            let width = unit.volume / norm(cross(unit.cell[(i + 1) % 3], unit.cell[(i + 2) % 3]))
            return max(1, Int((settings.mdMinimumLength / width - 1e-9).rounded(.up)))
        }
        let start = unit.supercell(reps[0], reps[1], reps[2])
        let nn = (try? minimumDistance(start, limit: 2 * own.hcpA)) ?? own.hcpA
        let runs = settings.mdTemperatures.enumerated().map { (i, t) in
            run(start, temperature: t, seed: UInt64(1000 + i), calculator: calculator, e0: own.energyPerAtom[.hcp]!,
                mass: mass, nearestNeighbour: nn, settings: settings, grader: grader)
        }
        return MolecularDynamics(runs: runs, gradeNote: gradeNote)
    }

    static func run(_ start: Configuration, temperature: Double, seed: UInt64, calculator: Calculator, e0: Double, mass: Double,
                    nearestNeighbour: Double, settings: ValidationSettings, grader: Grader?) -> Run {
        var config = start
        let n = config.atomCount
        let dt = settings.mdTimestep / Units.femtosecondsPerTimeUnit
        let gamma = 1 / (settings.mdFrictionTime / Units.femtosecondsPerTimeUnit)
        let steps = Int((settings.mdDuration * 1000 / settings.mdTimestep).rounded())
        let kT = Units.boltzmann * temperature
        let c1 = exp(-gamma * dt), c2 = (1 - c1 * c1).squareRoot()
        let sigma = (kT / mass).squareRoot()
        var rng = SplitMix(seed: seed)

        // Maxwell-Boltzmann velocities without centre-of-mass motion.
        var v = (0..<n).map { _ in sigma * Vec3(rng.gaussian(), rng.gaussian(), rng.gaussian()) }
        let mean = v.reduce(Vec3.zero, +) / Double(n)
        v = v.map { $0 - mean }
        func kinetic() -> Double { 0.5 * mass * v.reduce(0.0) { $0 + dot($1, $1) } }

        var result = Run(temperature: temperature, atoms: n, stepsDone: 0, stable: true, reason: nil, meanTemperature: .nan,
                         meanPotentialEnergy: .nan, minimumDistance: .infinity, drift: 0, maxGrade: nil)
        func fail(_ why: String) -> Run {
            var r = result; r.stable = false; r.reason = why; return r
        }
        var labels: Labels
        do { labels = try calculator.calculate(config) } catch { return fail("step 0: \(error)") }
        var heat = 0.0
        let total0 = kinetic() + labels.energy
        let inverse = inverse(config.cell)
        var sumT = 0.0, sumE = 0.0, samples = 0
        let minAllowed = settings.blowUpDistanceFraction * nearestNeighbour
        let degrees = Double(3 * (n - 1))

        for step in 1...max(steps, 1) {
            // B A O A
            for i in 0..<n { v[i] += (0.5 * dt / mass) * labels.forces[i] }
            for i in 0..<n { config.positions[i] += (0.5 * dt) * v[i] }
            let before = kinetic()
            for i in 0..<n { v[i] = c1 * v[i] + c2 * sigma * Vec3(rng.gaussian(), rng.gaussian(), rng.gaussian()) }
            heat += kinetic() - before
            for i in 0..<n { config.positions[i] += (0.5 * dt) * v[i] }
            // Wrap into the cell so positions stay bounded over long runs.
            for i in 0..<n {
                let p = config.positions[i]
                var f = p.x * inverse[0] + p.y * inverse[1] + p.z * inverse[2]
                f -= f.rounded(.down)
                config.positions[i] = f.x * config.cell[0] + f.y * config.cell[1] + f.z * config.cell[2]
            }
            do { labels = try calculator.calculate(config) } catch {
                result.stepsDone = step
                return fail(String(format: "%.3f ps: %@", Double(step) * settings.mdTimestep / 1000, "\(error)"))
            }
            // B
            for i in 0..<n { v[i] += (0.5 * dt / mass) * labels.forces[i] }
            result.stepsDone = step
            let time = String(format: "%.3f ps", Double(step) * settings.mdTimestep / 1000)
            guard labels.energy.isFinite, labels.forces.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) else {
                return fail("\(time): non-finite energy or forces")
            }
            let drift = 1000 * (kinetic() + labels.energy - heat - total0) / Double(n)
            result.drift = drift
            if abs(drift) > settings.maxDriftPerAtom {
                return fail(String(format: "\(time): energy drift %.1f meV/atom", drift))
            }
            if step % settings.mdSampleEvery == 0 || step == steps {
                if let d = try? minimumDistance(config, limit: nearestNeighbour) {
                    result.minimumDistance = min(result.minimumDistance, d)
                    if d < minAllowed { return fail(String(format: "\(time): atoms %.2f A apart", d)) }
                } else {
                    return fail("\(time): overlapping atoms")
                }
                if let grader {
                    if let g = try? grader(config) { result.maxGrade = max(result.maxGrade ?? 0, g) }
                }
            }
            if step > steps / 2 {
                sumT += 2 * kinetic() / (degrees * Units.boltzmann)
                sumE += 1000 * (labels.energy / Double(n) - e0)
                samples += 1
            }
        }
        result.meanTemperature = sumT / Double(max(samples, 1))
        result.meanPotentialEnergy = sumE / Double(max(samples, 1))
        if result.minimumDistance == .infinity { result.minimumDistance = nearestNeighbour }
        return result
    }

    public var quantities: [Quantity] {
        var q: [Quantity] = []
        for r in runs {
            let t = String(format: "%.0f K", r.temperature)
            q.append(.flag("MD \(t) stable", r.stable, note: r.reason))
            let missing = r.stable ? nil : "run stopped"
            q.append(.value("MD \(t) mean potential energy above E0", "meV/atom", r.stable ? r.meanPotentialEnergy : .nan, note: missing))
            q.append(.value("MD \(t) mean temperature", "K", r.stable ? r.meanTemperature : .nan, note: missing))
            q.append(.value("MD \(t) minimum distance", "A", r.minimumDistance.isFinite ? r.minimumDistance : .nan))
            q.append(.value("MD \(t) energy drift (thermostat-corrected)", "meV/atom", r.drift))
            q.append(.value("MD \(t) max extrapolation grade", "", r.maxGrade ?? .nan, note: r.maxGrade == nil ? gradeNote : nil))
        }
        return q
    }
}

/// Gaussian draws from SplitMix64 that use both values of each Box-Muller
/// pair, so MD runs are reproducible from their seed on every platform.
struct SplitMix {
    var core: SplitMix64
    var spare: Double?
    init(seed: UInt64) { core = SplitMix64(seed: seed) }
    mutating func uniform() -> Double { core.uniform() }
    /// Box-Muller, both values used.
    mutating func gaussian() -> Double {
        if let s = spare { spare = nil; return s }
        var u = uniform()
        while u <= 1e-300 { u = uniform() }
        let r = (-2 * log(u)).squareRoot(), t = 2 * Double.pi * uniform()
        spare = r * sin(t)
        return r * cos(t)
    }
}

extension MolecularDynamics: PropertyResult {}

/// Stability under Langevin dynamics from each calculator's own cell, with
/// the extrapolation grade when the calculator's source has a grader.
public struct MolecularDynamicsProperty: ValidationProperty {
    public var identifier: String { "molecular dynamics" }
    public var labelledDataRefusal: String { "it runs dynamics with the reference (every step depends on the forces before it)" }
    public var needsOwnEquilibrium: Bool { true }
    public var lattices: [LatticeKind] { [.hcp] }
    public var cost: Int { 70 }
    public var method: ReportMethod? { ReportMethod(cells: .own, noun: "dynamics") }
    public init() {}

    public func compute(_ input: PropertyInput) throws -> any PropertyResult {
        let own = try input.ownEquilibrium()
        var grader: MolecularDynamics.Grader? = nil
        var note = input.source.gradeNote
        if let g = input.source.grader {
            do { grader = try g() } catch { note = "grade: not available (\(error))" }
        }
        return MolecularDynamics.compute(with: input.calculator, own: own, mass: input.mass, settings: input.settings,
                                         grader: grader, gradeNote: note)
    }
    /// Temperatures, drifts and grades of a run have no meaningful relative
    /// error (stability, a flag, is in the summary whatever the property).
    public func isPlottedAsError(_ row: ValidationReport.Row) -> Bool { !row.name.hasPrefix("MD ") }
}
