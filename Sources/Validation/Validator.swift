import Foundation
import Atomistic
import Reference

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
    /// Which properties to compute and report, in report order (all
    /// registered ones by default). The equilibria are relaxed in any case
    /// (every other property starts from them), but only the lattices these
    /// properties name (`Equilibrium.lattices(needed:)`).
    public var properties: [any ValidationProperty] = ValidationProperties.all
    /// Thresholds and limits of the extrapolation grades of potentials whose
    /// source has a grader.
    public var grading = ExtrapolationGrading()

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
        for (i, s) in potentials.enumerated() where s.grader == nil { results[i + 1].gradeNote = s.gradeNote }
        let width = sources.map(\.name.count).max() ?? 0
        func line(_ p: String, _ name: String, _ s: Double, _ failure: String?) -> String {
            let label = p.padding(toLength: 20, withPad: " ", startingAt: 0)
            let who = name.padding(toLength: width, withPad: " ", startingAt: 0)
            return "  \(label) \(who) \(String(format: "%7.1f s", s))" + (failure.map { "  FAILED: \($0)" } ?? "")
        }

        // Equilibria first: every property starts from them, so they are the
        // Validator's foundation, not a task. Every calculator relaxes from
        // the same start, so a potential identical to the reference gives
        // identical lattices.
        let eq = EquilibriumProperty.identifier
        let lattices = Equilibrium.lattices(needed: properties)
        var t = clock.now
        var sharedCells = "the reference's relaxed cells"
        let start: (a: Double, cOverA: Double)
        let refEquilibrium: Equilibrium
        var equilibria: [Equilibrium?]
        if let fixed = reference.fixedLattices {
            // Given lattices: every property is evaluated on them; the
            // reference's own equilibrium is unknown.
            refEquilibrium = fixed.lattices
            start = startLattice ?? (fixed.lattices.hcpA, fixed.lattices.hcpC / fixed.lattices.hcpA)
            sharedCells = fixed.cells
            equilibria = [nil]
            results[0].failures[eq] = fixed.why
        } else {
            let referenceCalculator = try reference.make()
            start = try startLattice ?? Equilibrium.scanStart(with: referenceCalculator)
            do {
                refEquilibrium = try Equilibrium.find(with: referenceCalculator, start: start, settings: settings, lattices: lattices)
            } catch {
                throw PropertyFailure("reference \(reference.name): \(error)")
            }
            equilibria = [refEquilibrium]
            results[0][eq] = refEquilibrium
        }
        results[0].seconds[eq] = seconds(since: t)
        progress(line(eq, reference.name, seconds(since: t), results[0].failures[eq]))
        for (i, source) in potentials.enumerated() {
            t = clock.now
            let (source, recorded) = grading.recording(source)
            do {
                let calc = try source.make()
                equilibria.append(try Equilibrium.find(with: calc, start: start, settings: settings, lattices: lattices))
                results[i + 1][eq] = equilibria.last!
            } catch {
                equilibria.append(nil)
                results[i + 1].failures[eq] = "\(error)"
            }
            if let recorder = recorded?.calculator {
                results[i + 1].grades[eq] = grading.grade(recorder, property: EquilibriumProperty(), source: source, reference: refEquilibrium)
            }
            results[i + 1].seconds[eq] = seconds(since: t)
            progress(line(eq, source.name, seconds(since: t), results[i + 1].failures[eq]))
        }

        // The other properties as independent tasks, the expensive ones first.
        let order = properties.filter { $0.identifier != eq }.enumerated()
            .sorted { ($0.element.cost, -$0.offset) > ($1.element.cost, -$1.offset) }.map(\.element)
        let tasks = order.flatMap { p in sources.indices.map { (c: $0, property: p) } }
        let box = ResultsBox(results)
        let settings = self.settings, mass = self.mass, grading = self.grading
        DispatchQueue.concurrentPerform(iterations: max(1, min(settings.threads, tasks.count))) { _ in
            while let (c, p) = box.nextTask(count: tasks.count).map({ tasks[$0] }) {
                let source = sources[c]
                let tStart = clock.now
                var result: (any PropertyResult)? = nil
                var failure: String? = nil
                var recorder: RecordingCalculator? = nil
                do {
                    if let why = source.unavailable?(p.identifier) { throw PropertyFailure(why) }
                    let calc = try source.make()
                    if p.needsOwnEquilibrium && equilibria[c] == nil {
                        let given = c == 0 ? sources[0].fixedLattices.map { "needs the reference's own lattices; \($0.why)" } : nil
                        throw PropertyFailure(given ?? PropertyInput.missingEquilibrium)
                    }
                    recorder = grading.recorder(wrapping: calc, for: source)
                    result = try p.compute(PropertyInput(calculator: recorder ?? calc, source: source, reference: refEquilibrium,
                                                         own: equilibria[c], settings: settings, mass: mass))
                } catch {
                    failure = "\(error)"
                }
                let s = seconds(since: tStart)
                let grades = recorder.map { grading.grade($0, property: p, source: source, reference: refEquilibrium) }
                box.finish(c) { r in
                    r[p.identifier] = result
                    r.grades[p.identifier] = grades
                    r.seconds[p.identifier] = s
                    if let failure { r.failures[p.identifier] = failure }
                }
                box.say(line(p.identifier, source.name, s, failure), progress)
            }
        }
        results = box.results
        var report = ValidationReport(results: results, settings: settings, properties: properties, wallSeconds: seconds(since: t0))
        report.sharedCells = sharedCells
        return report
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
    func finish(_ c: Int, _ body: (inout CalculatorResults) -> Void) {
        lock.lock(); defer { lock.unlock() }
        body(&results[c])
    }
    func say(_ s: String, _ progress: (String) -> Void) {
        lock.lock(); defer { lock.unlock() }
        progress(s)
    }
}
