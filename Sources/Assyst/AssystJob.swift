import Foundation
import Plotting
import Atomistic
import Reference
import TrainingStore

/// A failure of an ASSYST job that the user can fix (an existing output, a
/// hand-off store of another element, ...); its description is the message.
public struct AssystJobError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}

/// One ASSYST job as a front end starts it: the pipeline options, where the
/// labels come from, and where the store, report and plots go. `run` does
/// the whole job (the local pipeline, or one round of the DFT hand-off),
/// writes the store, the report and its plots, and returns the report, so
/// a front end only collects settings and prints.
public struct AssystJob {
    /// Where the labels and relaxations come from.
    public enum Reference: Equatable, Sendable {
        /// A calculator spec for `makeCalculator(spec:)` (eam:FILE, mtp:FILE,
        /// ase:FILE.py), run here on `options.threads` threads.
        case local(spec: String)
        /// VASP on the user's cluster through `VASPHandoff` in this directory.
        case vaspHandoff(directory: String)

        /// "vasp-handoff:DIR" (prefix in any case) is the hand-off, anything
        /// else a local calculator spec (checked when the job runs).
        public init(spec: String) throws {
            let prefix = "vasp-handoff:"
            guard spec.lowercased().hasPrefix(prefix) else { self = .local(spec: spec); return }
            let directory = String(spec.dropFirst(prefix.count))
            guard !directory.isEmpty else { throw AssystJobError("--calculator vasp-handoff:DIR needs a directory") }
            self = .vaspHandoff(directory: directory)
        }
    }

    /// The report of a job: printed by the front end, already written to `path`.
    public struct Report: Sendable {
        public var text: String
        public var path: String
    }

    public var options: AssystOptions
    public var reference: Reference
    /// The training store written (and, for the hand-off, extended round by round).
    public var output: String
    /// Replace an existing `output` (local calculators only; the hand-off extends it).
    public var overwrite = false
    /// Report and plot file prefix.
    public var reportPrefix: String
    /// Plot image format: "svg" or "png".
    public var plotFormat = PlotFormat.standard.rawValue
    /// Hand-off: INCAR and KPOINTS template files (nil: the built-in templates),
    /// the k-point spacing for `{mesh}`, and a POTCAR to copy.
    public var incarTemplate: String?
    public var kpointsTemplate: String?
    public var kSpacing = 0.15
    public var potcar: String?
    /// Seconds one calculation may take with an ase: calculator (nil: no limit).
    public var timeout: Double?

    /// A job writing `output`, its report and plots beside it (the output
    /// path without extension as prefix).
    public init(options: AssystOptions, reference: Reference, output: String) {
        self.options = options
        self.reference = reference
        self.output = output
        reportPrefix = (output as NSString).deletingPathExtension
    }

    /// Runs the job. `progress(done, total)` follows the random crystals
    /// (every crystal's whole pipeline with a local calculator; generation
    /// alone for the hand-off); `message` receives the hand-off's notes
    /// (what was imported, exported or is still pending) as they happen.
    /// Returns nil when there is nothing to report yet (the hand-off waits
    /// for its first results).
    public func run(progress: ((Int, Int) -> Void)? = nil, message: (String) -> Void = { _ in }) throws -> Report? {
        switch reference {
        case .local(let spec): return try runLocal(spec: spec, progress: progress)
        case .vaspHandoff(let directory):
            if let option = options.needsReferenceToBuild {
                throw AssystJobError("\(option) needs the reference's forces while the stage is built, which the VASP hand-off "
                                     + "cannot give: build the set with a local calculator, or leave \(option) out")
            }
            return try AssystHandoffRound(job: self, directory: directory).run(progress: progress, message: message)
        }
    }

    private func runLocal(spec: String, progress: ((Int, Int) -> Void)?) throws -> Report {
        if FileManager.default.fileExists(atPath: output) && !overwrite {
            throw AssystJobError("\(output) exists: pass --overwrite to replace it")
        }
        // Fail on a bad spec before any work.
        let context = CalculatorContext(species: [options.element], timeout: timeout)
        let name = try makeCalculator(spec: spec, context: context).name
        let o = options
        let start = Date()
        let result = try AssystPipeline.run(o, makeCalculator: { try makeCalculator(spec: spec, context: context) }, progress: progress)
        let elapsed = Date().timeIntervalSince(start)
        try StoreWriter.write(result.set, to: output)
        let header = """
            mtp assyst: \(o.element), \(o.generation.atomicVolume) A^3/atom, \(o.atomCounts.lowerBound)-\(o.atomCounts.upperBound) atoms, \
            \(o.spaceGroups.count) space groups, seed \(o.seed), calculator \(name), \(o.threads) threads, \
            min distance \(String(format: "%.3f", o.generation.minDistance)) A
            wall time \(String(format: "%.1f", elapsed)) s; output \(output)
            """
        return try writeReport(set: result.set, pairs: result.pairs, failures: result.failures,
                               notConverged: result.notConverged, header: header)
    }

    /// Writes `PREFIX-report.txt` and the plots; returns the report text
    /// with the list of plots.
    func writeReport(set: TrainingSet, pairs: [PairOutcome]?, failures: [AssystStage: [String: Int]],
                     notConverged: [AssystStage: Int], header: String) throws -> Report {
        var text = AssystReport.text(set: set, pairs: pairs, failures: failures, notConverged: notConverged, header: header)
        let plotLines = try AssystReport.plots(set: set, pairs: pairs, prefix: reportPrefix, format: plotFormat)
        text += "\nPlots\n" + plotLines.map { "  " + $0 + "\n" }.joined()
        let path = "\(reportPrefix)-report.txt"
        try AtomicFile.write(text, to: path)
        return Report(text: text, path: path)
    }

    /// Space-group numbers from "1-230" or "1,194,200-230" (each once, in
    /// the order given); nil if the text is not such a list.
    public static func spaceGroups(_ text: String) -> [Int]? {
        var out: [Int] = []
        for part in text.split(separator: ",") {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(ends.count), ends.allSatisfy({ $0 != nil && (1...230).contains($0!) }) else { return nil }
            let lo = ends[0]!, hi = ends.last!!
            guard lo <= hi else { return nil }
            for g in lo...hi where !out.contains(g) { out.append(g) }
        }
        return out.isEmpty ? nil : out
    }
}
