import Foundation
import Atomistic
import Reference
import Relaxation
import TrainingStore

/// Everything that defines an ASSYST run; with the seed it fixes the output.
public struct AssystOptions: Sendable {
    /// Element symbol of species 0.
    public var element: String
    public var spaceGroups: [Int] = Array(1...230)
    public var atomCounts: ClosedRange<Int> = 1...10
    /// Random crystals per (space group, atom count) pair.
    public var crystalsPerPair = 1
    public var seed: UInt64 = 1
    public var generation: CrystalGenerationOptions
    public var perturbation: PerturbationOptions
    /// The ELASTIC stage (none by default).
    public var elastic = ElasticSeriesOptions()
    /// The EOS stage (none by default).
    public var volume = VolumeSeriesOptions()
    /// The PHONON stage (none by default).
    public var displacement = DisplacementSeriesOptions()
    public var forceTolerance = 1e-3
    /// Relaxation stress tolerance in eV/A^3 (`stressToleranceGPa` in the unit users give).
    public var stressTolerance = 1e-4
    public var maxRelaxationSteps = 2000
    /// The last stage run (all stages by default).
    public var stopAfter: AssystStage = AssystStage.allCases.last!
    public var threads = 1
    /// Relaxed structures that fell apart are discarded with their copies.
    public var explodedCell: ExplodedCellRule

    public init(element: String, atomicVolume: Double, minDistance: Double? = nil) {
        self.element = element
        let d = minDistance ?? CrystalGenerationOptions.defaultMinDistance(atomicVolume: atomicVolume)
        generation = CrystalGenerationOptions(atomicVolume: atomicVolume, minDistance: d)
        perturbation = PerturbationOptions(minDistance: d)
        explodedCell = ExplodedCellRule(atomicVolume: atomicVolume)
    }

    /// The stress tolerance in GPa, the unit of reports and command lines.
    public var stressToleranceGPa: Double {
        get { stressTolerance * LabelErrors.gpaPerEVPerA3 }
        set { stressTolerance = newValue / LabelErrors.gpaPerEVPerA3 }
    }

    /// Whether the run reaches `stage`.
    public func includes(_ stage: AssystStage) -> Bool {
        // The perturbations come together; the series, built from the same
        // relaxed crystals, with them, when asked for.
        if AssystStage.series.contains(stage) { return seriesCrystals(stage) > 0 && includes(.triax) }
        return AssystStage.perturbations.contains(stopAfter) || stage <= stopAfter
    }

    /// Every series stage's options, in `AssystStage.series` order: the one
    /// list a series stage is registered in (its options field above, its
    /// case in `AssystStage`); the pipeline, the hand-off and the checks ask it.
    public var seriesStages: [any SeriesStage] { [elastic, volume, displacement] }

    /// The options of series stage `stage` (nil for any other stage).
    func seriesStage(_ stage: AssystStage) -> (any SeriesStage)? {
        seriesStages.first { type(of: $0).stage == stage }
    }

    /// Relaxed crystals a series stage starts from (0: the stage is off).
    public func seriesCrystals(_ stage: AssystStage) -> Int { seriesStage(stage)?.structures ?? 0 }

    /// The unlabelled structures of series stage `stage`, built from the
    /// relaxed (INTMIN) crystals `relaxed` (the local pipeline and the
    /// hand-off both call it). A stage that needs the reference while it is
    /// built (PHONON's soft modes) gets `makeCalculator`; the hand-off has
    /// none and refuses such options first (`needsReferenceToBuild`).
    public func series(_ stage: AssystStage, from relaxed: [Configuration],
                       makeCalculator: (() throws -> Calculator)? = nil) throws -> SeriesOutput {
        let context = SeriesContext(seed: seed, minDistance: perturbation.minDistance, threads: threads,
                                    makeCalculator: makeCalculator)
        return try seriesStage(stage)?.build(from: relaxed, context: context) ?? SeriesOutput([])
    }

    /// The option that makes a stage of this run call the reference while it
    /// is built (nil: none does), for the hand-off's refusal.
    public var needsReferenceToBuild: String? {
        seriesStages.lazy.filter { self.includes(type(of: $0).stage) }.compactMap(\.needsReferenceToBuild).first
    }

    /// Checks the series stages' options (one message naming the option).
    public func checkSeries() throws {
        for s in seriesStages { try s.check() }
    }
}

/// The fate of one attempted (space group, atom count, copy).
public struct PairOutcome: Sendable {
    public var spaceGroup: Int
    public var symbol: String
    public var atoms: Int
    public var copy: Int
    /// Space group spglib found, when the crystal was built.
    public var detectedGroup: Int?
    /// Why no crystal was built, otherwise nil.
    public var failure: String?

    public var crystalKey: String { "\(spaceGroup)-\(atoms)-\(copy)" }
}

/// What a run produced, before it is written.
public struct AssystResult {
    /// Every kept structure, grouped by stage in pipeline order and, within
    /// a stage, in the order of (space group, atom count, copy).
    public var set: TrainingSet
    public var pairs: [PairOutcome]
    /// Per stage: discarded structures by reason.
    public var failures: [AssystStage: [String: Int]] = [:]
    /// Per relaxation stage: kept structures whose relaxation hit the step limit.
    public var notConverged: [AssystStage: Int] = [:]

    public func count(_ stage: AssystStage) -> (structures: Int, atoms: Int) {
        let c = set.configurations.filter { $0.group == stage.rawValue }
        return (c.count, c.reduce(0) { $0 + $1.atomCount })
    }
}

public enum AssystPipeline {
    /// The (space group, atom count, copy) triples of a run, in output order.
    static func tasks(_ options: AssystOptions) -> [(group: Int, atoms: Int, copy: Int)] {
        var t: [(Int, Int, Int)] = []
        for g in options.spaceGroups { for n in options.atomCounts { for c in 0..<options.crystalsPerPair { t.append((g, n, c)) } } }
        return t
    }

    /// Space groups with their Wyckoff positions, derived in parallel.
    static func spaceGroups(_ numbers: [Int], threads: Int) -> [Int: SpaceGroup] {
        let unique = Array(Set(numbers)).sorted()
        let groups = parallelMap(unique.count, threads: threads) { SpaceGroup(number: unique[$0]) }
        return Dictionary(uniqueKeysWithValues: zip(unique, groups))
    }

    /// One random crystal per task (the RANDSPG stage, unlabelled), for the
    /// DFT hand-off; the local pipeline calls the same code per task.
    public static func randomCrystals(_ options: AssystOptions,
                                      progress: ((Int, Int) -> Void)? = nil) -> (pairs: [PairOutcome], crystals: [Configuration]) {
        let tasks = tasks(options)
        let groups = spaceGroups(tasks.map(\.group), threads: options.threads)
        let results = parallelMap(tasks.count, threads: options.threads, progress: progress) { i -> (PairOutcome, Configuration?) in
            let t = tasks[i]
            return crystal(group: groups[t.group]!, atoms: t.atoms, copy: t.copy, options: options)
        }
        return (results.map(\.0), results.compactMap(\.1))
    }

    static func crystal(group: SpaceGroup, atoms: Int, copy: Int, options: AssystOptions) -> (PairOutcome, Configuration?) {
        var rng = AssystRandom(seed: options.seed, stream: [0, UInt64(group.number), UInt64(atoms), UInt64(copy)])
        var outcome = PairOutcome(spaceGroup: group.number, symbol: group.symbol, atoms: atoms, copy: copy)
        switch CrystalGenerator.generate(group: group, atoms: atoms, options: options.generation, rng: &rng) {
        case .failure(let why):
            outcome.failure = "\(why)"
            return (outcome, nil)
        case .success(let crystal):
            outcome.detectedGroup = crystal.detectedGroup
            var c = crystal.configuration
            c.group = AssystStage.randspg.rawValue
            c.setFeature(AssystFeature.crystal, outcome.crystalKey)
            c.setFeature(AssystFeature.targetGroup, "\(group.number)")
            c.setFeature(AssystFeature.detectedGroup, crystal.detectedGroup.map(String.init) ?? "0")
            c.setFeature(AssystFeature.wyckoff, crystal.wyckoff.joined(separator: "+"))
            return (outcome, c)
        }
    }

    /// The perturbed copies of one relaxed crystal, each drawn from its own
    /// stream (crystal identity, kind, copy): unlabelled, with the reasons
    /// for copies that could not be drawn.
    public static func perturbations(of relaxed: Configuration, options: AssystOptions)
        -> (copies: [AssystStage: [Configuration]], failures: [(AssystStage, String)]) {
        let key = relaxed.feature(AssystFeature.crystal) ?? ""
        let keyHash = key.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        var copies: [AssystStage: [Configuration]] = [:]
        var failures: [(AssystStage, String)] = []
        for stage in AssystStage.perturbations {
            let kind = stage.perturbation!
            for k in 0..<(options.perturbation.counts[kind] ?? 0) {
                var rng = AssystRandom(seed: options.seed, stream: [1, keyHash, UInt64(AssystStage.allCases.firstIndex(of: stage)!), UInt64(k)])
                guard var c = Perturbation.perturb(relaxed, kind: kind, options: options.perturbation, rng: &rng) else {
                    failures.append((stage, "no draw in \(options.perturbation.tries) kept the minimum distance"))
                    continue
                }
                c.group = stage.rawValue
                c.features = relaxed.features(among: AssystFeature.identity)
                c.setFeature(AssystFeature.copy, "\(k + 1)")
                copies[stage, default: []].append(c)
            }
        }
        return (copies, failures)
    }

    private struct TaskOutput {
        var outcome: PairOutcome
        var structures: [AssystStage: [Configuration]] = [:]
        var failures: [(AssystStage, String)] = []
        var notConverged: [AssystStage] = []
    }

    /// The whole pipeline with a local reference calculator: per crystal,
    /// generation, labelling, the three relaxations and the perturbations,
    /// crystals spread over `options.threads` threads, each with its own
    /// calculator from `makeCalculator`. Each crystal's work depends only on
    /// the seed and its identity, so the result does not depend on the
    /// thread count or timing.
    public static func run(_ options: AssystOptions, makeCalculator: () throws -> Calculator,
                           progress: ((Int, Int) -> Void)? = nil) throws -> AssystResult {
        let tasks = tasks(options)
        let groups = spaceGroups(tasks.map(\.group), threads: options.threads)
        let outputs = try parallelMapWithState(tasks.count, threads: options.threads, makeState: makeCalculator,
                                               progress: progress) { i, calculator -> TaskOutput in
            let t = tasks[i]
            return process(group: groups[t.group]!, atoms: t.atoms, copy: t.copy, options: options, calculator: calculator)
        }
        var result = AssystResult(set: TrainingSet(species: [options.element]), pairs: outputs.map(\.outcome))
        var configs: [Configuration] = []
        for stage in AssystStage.allCases {
            for o in outputs { configs += o.structures[stage] ?? [] }
        }
        // The series need every crystal's relaxed energy, so they run after them all.
        let relaxed = outputs.flatMap { $0.structures[.intmin] ?? [] }
        for stage in AssystStage.series where options.includes(stage) {
            let built = try withoutActuallyEscaping(makeCalculator) {
                try options.series(stage, from: relaxed, makeCalculator: $0)
            }
            for why in built.failures { result.failures[stage, default: [:]][why, default: 0] += 1 }
            let series = built.structures
            let labelled = try parallelMapWithState(series.count, threads: options.threads, makeState: makeCalculator,
                                                   progress: nil) { i, calculator
                -> Result<Configuration, Error> in
                Result { series[i].labelled(with: try calculator.calculate(series[i])) }
            }
            for r in labelled {
                switch r {
                case .success(let c): configs.append(c)
                case .failure(let e): result.failures[stage, default: [:]][reason(e), default: 0] += 1
                }
            }
        }
        result.set = TrainingSet(configurations: configs, species: [options.element],
                                 groups: AssystStage.allCases.filter(options.includes).map(\.rawValue))
        for o in outputs {
            for (stage, why) in o.failures { result.failures[stage, default: [:]][why, default: 0] += 1 }
            for stage in o.notConverged { result.notConverged[stage, default: 0] += 1 }
        }
        return result
    }

    private static func process(group: SpaceGroup, atoms: Int, copy: Int, options: AssystOptions,
                                calculator: Calculator) -> TaskOutput {
        let (outcome, generated) = crystal(group: group, atoms: atoms, copy: copy, options: options)
        var out = TaskOutput(outcome: outcome)
        guard var current = generated else { return out }
        do {
            current = current.labelled(with: try calculator.calculate(current))
        } catch {
            out.failures.append((.randspg, reason(error)))
            return out
        }
        out.structures[.randspg] = [current]
        let relaxations: [(AssystStage, RelaxationMode)] = [(.volmin, .volume), (.cellmin, .cellShape), (.intmin, .positions)]
        for (stage, mode) in relaxations where options.includes(stage) {
            let settings = RelaxationOptions(mode: mode, forceTolerance: options.forceTolerance,
                                             stressTolerance: options.stressTolerance, maxSteps: options.maxRelaxationSteps)
            do {
                let r = try relax(current, with: calculator, options: settings)
                var c = r.configuration.labelled(with: r.labels).wrapped()
                c.energy = r.labels.energy; c.forces = r.labels.forces; c.virial = r.labels.virial
                // Relaxations may fuse atoms without the calculator objecting;
                // such a structure is as useless as a failed one.
                if violatesMinimumDistance(c, 0.5 * options.generation.minDistance) {
                    out.failures.append((stage, "atoms closer than \(0.5 * options.generation.minDistance) A after relaxation"))
                    return out
                }
                if options.explodedCell.isolatedAtom(in: c) != nil {
                    out.failures.append((stage, options.explodedCell.reason))
                    return out
                }
                c.group = stage.rawValue
                c.features = current.features
                c.setFeature(AssystFeature.detectedGroup, Spglib.spaceGroupNumber(of: c, symprec: options.generation.symprec).map(String.init) ?? "0")
                c.setFeature(AssystFeature.steps, "\(r.steps)")
                c.setFeature(AssystFeature.converged, r.converged ? "1" : "0")
                if !r.converged { out.notConverged.append(stage) }
                current = c
                out.structures[stage] = [c]
            } catch {
                out.failures.append((stage, reason(error)))
                return out
            }
        }
        guard options.includes(.triax) else { return out }
        let (copies, failures) = perturbations(of: current, options: options)
        out.failures += failures
        for stage in AssystStage.perturbations {
            for c in copies[stage] ?? [] {
                do {
                    out.structures[stage, default: []].append(c.labelled(with: try calculator.calculate(c)))
                } catch {
                    out.failures.append((stage, reason(error)))
                }
            }
        }
        return out
    }

    /// Failure reasons with the varying numbers (step, distances) removed,
    /// so that equal causes are counted together.
    static func reason(_ error: Error) -> String {
        if let e = error as? RelaxationError {
            switch e {
            case .overlappingAtoms: return "relaxation: overlapping atoms"
            case .runawayCell: return "relaxation: runaway cell (volume changed more than tenfold)"
            case .nonFinite(_, let what): return "relaxation: non-finite \(what)"
            case .needsPeriodicCell: return "relaxation: non-periodic cell"
            case .calculatorFailed: return "relaxation: calculator failed"
            }
        }
        if error is NeighborList.Failure { return "calculator: overlapping atoms" }
        let text = "\(error)"
        return "calculator: " + (text.count > 80 ? String(text.prefix(80)) + "..." : text)
    }
}

/// Runs `body` for 0..<count on `threads` threads (dynamic assignment,
/// results in index order).
func parallelMap<T>(_ count: Int, threads: Int, progress: ((Int, Int) -> Void)? = nil, _ body: (Int) -> T) -> [T] {
    // The state-free case of parallelMapWithState; the error path cannot occur.
    try! parallelMapWithState(count, threads: threads, makeState: { () }, progress: progress) { i, _ in body(i) }
}

/// As `parallelMap`, each thread owning a state made by `makeState`
/// (calculators are used by one thread at a time).
func parallelMapWithState<S, T>(_ count: Int, threads: Int, makeState: () throws -> S,
                                progress: ((Int, Int) -> Void)?, _ body: (Int, S) -> T) throws -> [T] {
    var results = [T?](repeating: nil, count: count)
    let lock = NSLock()
    var next = 0, done = 0
    var failure: Error?
    let workers = max(1, min(threads, count))
    results.withUnsafeMutableBufferPointer { slots in
        let slots = slots
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let state: S
            do { state = try makeState() } catch {
                lock.lock(); failure = failure ?? error; lock.unlock()
                return
            }
            while true {
                lock.lock()
                let i = next
                next += 1
                lock.unlock()
                if i >= count { break }
                let value = body(i, state)
                lock.lock()
                slots[i] = value
                done += 1
                progress?(done, count)
                lock.unlock()
            }
        }
    }
    if let failure { throw failure }
    return results.map { $0! }
}

extension PairOutcome {
    /// The outcomes as a tab-separated table (the hand-off keeps it beside
    /// the exported RANDSPG stage for later reports).
    public static func table(_ pairs: [PairOutcome]) -> String {
        var out = "# space_group\tsymbol\tatoms\tcopy\tdetected_group\tfailure\n"
        for p in pairs {
            out += "\(p.spaceGroup)\t\(p.symbol)\t\(p.atoms)\t\(p.copy)\t\(p.detectedGroup.map(String.init) ?? "-")\t\(p.failure ?? "-")\n"
        }
        return out
    }

    public static func read(table path: String) throws -> [PairOutcome] {
        let lines = try AtomicFile.readText(path: path).split(separator: "\n")
        return try lines.enumerated().filter { !$0.element.hasPrefix("#") }.map { i, line in
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 6, let g = Int(c[0]), let n = Int(c[2]), let k = Int(c[3]) else {
                throw InputError(file: path, line: i + 1, "expected six tab-separated columns")
            }
            return PairOutcome(spaceGroup: g, symbol: c[1], atoms: n, copy: k, detectedGroup: Int(c[4]),
                               failure: c[5] == "-" ? nil : c[5])
        }
    }
}
