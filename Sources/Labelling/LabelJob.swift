import Foundation
import Atomistic
import Parallel
import Reference
import TrainingStore

/// A failure of `mtp label` the user can fix; its description is the message.
public struct LabelJobError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}

/// Progress of a labelling run: structures finished in this run (labelled
/// or failed) against those it has to do, and the estimated time left.
public struct LabelProgress: Sendable {
    public var done: Int
    public var failed: Int
    public var total: Int
    public var elapsed: Double
    public var secondsLeft: Double? { done > 0 ? elapsed / Double(done) * Double(total - done) : nil }
}

/// What a labelling run did.
public struct LabelSummary: Codable, Sendable {
    public struct Failure: Codable, Sendable {
        public var index: Int
        public var group: String?
        public var reason: String
    }
    public var input: String
    public var output: String
    public var calculator: String
    public var selected: Int
    /// Structures found finished in the journal (`--resume`) and labelled in this run.
    public var resumed: Int
    public var labelledNow: Int
    public var labelled: Int
    public var failures: [Failure]
    public var ranks: Int
    public var threadsPerRank: Int
    public var wallSeconds: Double
    /// Sum of the calculations' wall times of this run (s).
    public var calculationSeconds: Double
}

/// `mtp label`: every selected structure of a data file labelled by a
/// reference calculator, written to a new store.
///
/// Work is spread over MPI ranks (rank r takes every size-th structure
/// still to do) and, on each rank, over `threads` threads, each with its
/// own calculator (for ase: its own Python worker). Each finished
/// structure is appended at once to the rank's journal file
/// (`LabelJournal`), so a killed run continues with `resume` and loses
/// only the structures in flight. At the end the records are gathered and
/// rank 0 writes the output in input order; failed structures are left
/// out and listed, with their reasons, in the summary (`OUT.label.json`).
public struct LabelJob: Sendable {
    public var input: String
    public var output: String
    public var spec: String
    public var context: CalculatorContext
    /// Groups of the input to label (nil: all).
    public var groups: [String]?
    public var threads = 1
    public var resume = false
    public var overwrite = false
    /// With `resume`: try structures that failed before again.
    public var retryFailed = false
    public var formatOptions = FormatOptions()

    public init(input: String, output: String, spec: String, context: CalculatorContext = CalculatorContext()) {
        self.input = input; self.output = output; self.spec = spec; self.context = context
    }

    public var summaryPath: String { output + ".label.json" }

    /// Runs on every rank of `comm`. `progress` is called on rank 0 as its
    /// structures finish (it counts every rank's journal records).
    public func run(_ comm: Communicator, progress: @escaping @Sendable (LabelProgress) -> Void = { _ in }) throws -> LabelSummary {
        let t0 = Date()
        StoreFormat.register()
        let set = try Collective.together(comm) { try readInput() }
        let selected = try Collective.together(comm) { try selection(of: set) }
        var ctx = context
        if ctx.species.isEmpty { ctx.species = set.species }
        let context = ctx

        // Calculators first: a missing Python, ASE or package fails here, once.
        let calculators = try Collective.together(comm) {
            try (0..<max(1, threads)).map { _ in try makeCalculator(spec: spec, context: context) }
        }
        let name = calculators[0].name
        let journal = LabelJournal(output: output)
        let header = LabelJournalHeader(input: (input as NSString).lastPathComponent, calculator: name,
                                        configurations: set.configurations.count, atoms: set.atomCount, selected: selected.count)
        let earlier: [Int: LabelRecord] = try Collective.fromRoot(comm) { try prepare(journal: journal, header: header) }
        comm.barrier()
        let pending = selected.filter { i in earlier[i].map { retryFailed && !$0.isLabelled } ?? true }
        let pendingSet = Set(pending)
        let mine = pending.enumerated().filter { $0.offset % comm.size == comm.rank }.map(\.element)

        let appender = try Collective.together(comm) { try journal.appender(rank: comm.rank) }
        let rank0 = comm.isRoot
        let work = LabelWork(count: mine.count)
        let reporter = ProgressCounter(journal: journal, pending: pendingSet, start: t0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, mine.count))) { t in
            let calculator = calculators[t]
            while let k = work.next() {
                let i = mine[k]
                let config = set.configurations[i]
                let start = Date()
                let record: LabelRecord
                do {
                    let labels = try calculator.calculate(config)
                    let periodic = config.pbc == .all
                    record = LabelRecord(index: i, labels: labels, periodic: periodic, seconds: Date().timeIntervalSince(start))
                } catch {
                    record = LabelRecord(index: i, failure: "\(error)", seconds: Date().timeIntervalSince(start))
                }
                work.finish(record) { try appender.append($0) }
                if rank0, let p = reporter.poll(force: work.isLastDone) { progress(p) }
            }
        }
        let mineRecords = try Collective.together(comm) { try work.result() }
        let gathered = try comm.allGather(mineRecords).flatMap { $0 }

        var all = earlier
        for r in gathered { all[r.index] = r }
        let summary = LabelSummary(
            input: input, output: output, calculator: name, selected: selected.count,
            resumed: selected.filter { earlier[$0] != nil && !pendingSet.contains($0) }.count,
            labelledNow: gathered.filter(\.isLabelled).count,
            labelled: selected.filter { all[$0]?.isLabelled == true }.count,
            failures: selected.compactMap { i in
                all[i].flatMap { r in r.failure.map { LabelSummary.Failure(index: i, group: set.configurations[i].group, reason: $0) } }
            },
            ranks: comm.size, threadsPerRank: max(1, threads), wallSeconds: Date().timeIntervalSince(t0),
            calculationSeconds: comm.allReduceSumScalar(mineRecords.reduce(0) { $0 + $1.seconds }))
        try Collective.onRoot(comm) {
            let missing = selected.filter { all[$0] == nil }
            guard missing.isEmpty else { throw LabelJobError("internal: \(missing.count) structures have no record") }
            var out = TrainingSet(configurations: [], species: set.species)
            out.configurations = selected.compactMap { i in all[i]!.isLabelled ? all[i]!.apply(to: set.configurations[i]) : nil }
            out.groups = set.groups.filter { g in out.configurations.contains { $0.group == g } }
            try write(out)
            try JSONFile.write(summary, to: summaryPath)
        }
        return summary
    }

    /// The input as a set (species symbols from the file or the context).
    func readInput() throws -> TrainingSet {
        if StoreFormat.isStore(input) { return try StoreReader(path: input).readAll() }
        var options = formatOptions
        if options.symbols == nil, !context.species.isEmpty { options.symbols = context.species }
        let data = try ConfigurationFormats.read(input, options: options)
        var set = TrainingSet()
        try set.append(data.configurations, symbols: data.symbols, source: input)
        return set
    }

    /// Indices of the structures to label, in input order.
    func selection(of set: TrainingSet) throws -> [Int] {
        guard let groups else { return Array(set.configurations.indices) }
        if let unknown = groups.first(where: { !set.groups.contains($0) }) {
            throw InputError(file: input, "no group '\(unknown)' (groups: \(set.groups.isEmpty ? "none" : set.groups.joined(separator: ", ")))")
        }
        return set.configurations.indices.filter { i in set.configurations[i].group.map(groups.contains) ?? false }
    }

    /// Rank 0: checks the output and journal against the flags; returns the
    /// journal's records to keep (empty unless resuming).
    func prepare(journal: LabelJournal, header: LabelJournalHeader) throws -> [Int: LabelRecord] {
        let fm = FileManager.default
        if resume && !overwrite && journal.exists {
            let old = try journal.readHeader()
            guard old == header else {
                throw LabelJobError("\(journal.directory) belongs to another run (\(old.input), \(old.calculator), \(old.selected) structures; now \(header.input), \(header.calculator), \(header.selected)): pass --overwrite to start over")
            }
            return try journal.records()
        }
        if !overwrite {
            if journal.exists {
                throw LabelJobError("\(journal.directory) holds an earlier run: pass --resume to continue it or --overwrite to start over")
            }
            if fm.fileExists(atPath: output) && !resume {
                throw LabelJobError("\(output) exists: pass --overwrite to replace it")
            }
        }
        try journal.create(header)
        return [:]
    }

    func write(_ set: TrainingSet) throws {
        if StoreFormat.isStore(output) {
            try StoreWriter.write(set, to: output)
        } else {
            let format = try ConfigurationFormats.format(of: output)
            guard format.writes else { throw InputError(file: output, "cannot write \(format.name) files") }
            try format.write(ConfigurationData(configurations: set.configurations, symbols: set.species.isEmpty ? nil : set.species),
                             to: output, options: formatOptions)
        }
    }
}

extension Communicator {
    /// The sum of one number over the ranks.
    func allReduceSumScalar(_ x: Double) -> Double {
        var v = [x]
        allReduceSum(&v)
        return v[0]
    }
}
