import ArgumentParser
import Foundation
import Atomistic
import Labelling
import Reference

struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Label the structures of a data file with a reference calculator (alone or under mpirun).",
        discussion: """
        Computes energy, forces and stress of every structure of IN (or of the --groups given) with
        --calculator (ase:FILE.py for any ASE calculator such as GPAW, eam:FILE, mtp:FILE) and writes them
        to OUT (.h5 store or any writable format), in input order. Work is spread over --threads threads
        per process, each with its own calculator (for ase: its own Python worker), and under
        `mpirun -np N` over N ranks; rank 0 writes OUT.

        Every finished structure is appended at once to the journal OUT.journal/, so a killed run
        continues with --resume and redoes only the structures that were in flight. A structure whose
        calculation raises, crashes the worker or exceeds --timeout is recorded as failed with the reason
        and left out of OUT; the worker is restarted and the rest go on (--resume --retry-failed tries
        them again). OUT.label.json lists the counts, every failure and the times.
        """)

    @Argument(help: "Structures to label (.h5 store or any format `mtp convert` reads).") var input: String
    @Option(help: "Reference: ase:FILE.py (FILE.py defines calculator() returning an ASE calculator), eam:FILE or mtp:FILE.")
    var calculator: String
    @Option(name: .shortAndLong, help: "Labelled output (.h5 store, .cfg, .extxyz).") var output: String
    @Option(help: "Only these groups of IN, comma-separated (e.g. VOLMIN,CELLMIN).") var groups: String?
    @Option(help: "Element symbols of the species indices, comma-separated, when IN does not name them (.cfg).") var species: String?
    @Option(help: "Seconds one structure may take (ase: calculators); a structure past it fails and its worker is restarted.")
    var timeout: Double?
    @Option(help: "Threads per process, each with its own calculator.") var threads: Int = 1
    @Flag(help: "Continue the run recorded in OUT.journal/.") var resume = false
    @Flag(help: "With --resume: try the structures that failed again.") var retryFailed = false
    @Flag(help: "Replace OUT and any journal of an earlier run.") var overwrite = false
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let t = timeout { guard t > 0, t.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") } }
        guard !(resume && overwrite) else { throw ValidationError("--resume continues a run, --overwrite starts over: give one") }
        guard !retryFailed || resume else { throw ValidationError("--retry-failed needs --resume") }
    }

    func run() throws {
        try runCollectively { comm, say in
            let symbols = species.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
            var job = LabelJob(input: input, output: output, spec: calculator,
                               context: CalculatorContext(species: symbols, timeout: timeout))
            job.groups = groups.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            job.threads = threads
            job.resume = resume
            job.retryFailed = retryFailed
            job.overwrite = overwrite
            if !symbols.isEmpty { job.formatOptions.symbols = symbols }
            let show = !quiet && comm.isRoot
            let line = ProgressLine()
            let summary = try job.run(comm, progress: { p in if show { Label.show(p, on: line) } })
            say("""
                labelled \(summary.labelled) of \(summary.selected) structures with \(summary.calculator) \
                (\(summary.resumed) from the journal, \(summary.labelledNow) now, \(summary.failures.count) failed), \
                \(summary.ranks) rank\(summary.ranks == 1 ? "" : "s") x \(summary.threadsPerRank) thread\(summary.threadsPerRank == 1 ? "" : "s"), \
                wall \(String(format: "%.1f", summary.wallSeconds)) s
                """)
            for f in summary.failures.prefix(20) { say("  failed: structure \(f.index + 1)\(f.group.map { " (\($0))" } ?? ""): \(f.reason)") }
            if summary.failures.count > 20 { say("  ... \(summary.failures.count - 20) more in \(job.summaryPath)") }
            say("wrote \(output) and \(job.summaryPath)")
        }
    }

    /// One progress line: done, failed, time left.
    static func show(_ p: LabelProgress, on line: ProgressLine) {
        let left = p.secondsLeft.map { String(format: ", ~%.0f s left", $0) } ?? ""
        line.show("label: \(p.done)/\(p.total) done, \(p.failed) failed, " + String(format: "%.0f s", p.elapsed) + left,
                  final: p.done == p.total)
    }
}
