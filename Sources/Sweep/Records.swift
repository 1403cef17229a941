import Foundation
import Atomistic
import Fitting
import MTP

/// Everything that determines a fit's result. A finished fit is reused on a
/// rerun only if its record holds exactly these settings, so changing any
/// option (or the data file) redoes the fit instead of mixing results.
public struct FitSettings: Codable, Equatable, Sendable {
    /// Whether a fit made under `other` continues under these settings:
    /// everything else the same, and training options that continue
    /// (`TrainingOptions.continues`: all but the iteration limit).
    public func continues(_ other: FitSettings) -> Bool {
        var same = other
        same.options = options
        return same == self && options.continues(other.options)
    }

    /// The fit's checkpoint tag: the settings with the iteration limit left
    /// out, so that a sweep rerun with a higher `--max-iter` resumes its
    /// checkpoints.
    public var checkpointTag: String {
        var s = self
        s.options.maxIterations = 0
        return String(decoding: (try? JSONFile.encoder.encode(s)) ?? Data(), as: UTF8.self)
    }

    public var level: Int
    public var cutoff: Double
    public var minDist: Double
    public var radialBasisSize: Int
    public var speciesCount: Int
    public var options: TrainingOptions
    /// Absolute path and size of the training set: a cheap guard against a
    /// replaced file (a content hash would need reading it on rank 0).
    public var data: String
    public var dataBytes: Int64
    /// Groups trained on (nil: all configurations).
    public var groups: [String]?
    /// Element symbols of species 0, 1, ... given for extended XYZ.
    public var species: [String]?
    /// How the cost was measured (see `CostMeasurement.structure`).
    public var costStructure: String
    /// Absolute path and size of the validation set, and `--stop-on-valid`
    /// (nil without a validation set: records of before match).
    public var validation: String? = nil
    public var validationBytes: Int64? = nil
    public var stopOnValid: Int? = nil
    /// `--group-weights` as given (NAME=FACTOR,... in name order), nil when none.
    public var groupWeights: String? = nil
    /// `--energy-weights` as `E0=..,p=..` or `kT=..,floor=..`, nil when none (records of before match).
    public var energyWeights: String? = nil
    /// The radial basis, nil for RBChebyshev (records of before match).
    public var radialBasisType: RadialBasisType? = nil
    /// `--grow`: the level whose trained potential at this cutoff the fit
    /// started from (`PotentialGrowth`), nil for a fit from the untrained
    /// potential (records of before match).
    public var grownFrom: Int? = nil

    public init(level: Int, cutoff: Double, minDist: Double, radialBasisSize: Int, speciesCount: Int,
                options: TrainingOptions, data: String, dataBytes: Int64, groups: [String]?, species: [String]?,
                costStructure: String) {
        self.level = level; self.cutoff = cutoff; self.minDist = minDist; self.radialBasisSize = radialBasisSize
        self.speciesCount = speciesCount; self.options = options; self.data = data; self.dataBytes = dataBytes
        self.groups = groups; self.species = species; self.costStructure = costStructure
    }

    public var spec: FitSpec { FitSpec(level: level, cutoff: cutoff) }
}

/// The measured cost of a trained potential: the best time of one
/// energy-forces-virial call on a fixed structure, per atom.
public struct CostMeasurement: Codable, Equatable, Sendable {
    public var structure: String
    public var atoms: Int
    public var neighboursPerAtom: Double
    public var calls: Int
    public var microsecondsPerAtom: Double
    public init(structure: String, atoms: Int, neighboursPerAtom: Double, calls: Int, microsecondsPerAtom: Double) {
        self.structure = structure; self.atoms = atoms; self.neighboursPerAtom = neighboursPerAtom
        self.calls = calls; self.microsecondsPerAtom = microsecondsPerAtom
    }
}

/// The result of one finished fit, written as `NAME.json` beside its
/// potential once the potential is on disk.
public struct FitRecord: Codable, Equatable, Sendable {
    public var settings: FitSettings
    public var name: String
    public var potential: String
    public var log: String
    public var parameterCount: Int
    public var basisSize: Int
    public var radialFuncsCount: Int
    public var configurations: Int
    public var ranks: Int
    public var iterations: Int
    public var jacobianPasses: Int
    public var lossEvaluations: Int
    public var loss: Double
    public var converged: Bool
    /// The fit ended at its iteration limit, not converged (and not stopped
    /// on a validation set): its errors are an upper bound of what the
    /// level and cutoff can reach.
    public var hitIterationLimit: Bool {
        !converged && iterations >= settings.options.maxIterations && validation?.stopped != true
    }
    public var wallSeconds: Double
    /// Condition number of the linear least-squares problem at the last iteration.
    public var conditionNumber: Double
    public var errors: [GroupErrorRow]
    /// Nil until measured: costs are measured after training (see `CostMeter`).
    public var cost: CostMeasurement?
    /// Errors of the kept potential on the validation set, per group (nil without one).
    public var validationErrors: [GroupErrorRow]? = nil
    /// Validation errors per iteration, the best and the kept iteration.
    public var validation: ValidationSummary? = nil
    /// The loss weights of the fit and how they were chosen (nil in records
    /// written before the rule).
    public var weights: ChosenWeights? = nil

    public init(settings: FitSettings, name: String, potential: String, log: String, parameterCount: Int,
                basisSize: Int, radialFuncsCount: Int, configurations: Int, ranks: Int, iterations: Int,
                jacobianPasses: Int, lossEvaluations: Int, loss: Double, converged: Bool, wallSeconds: Double,
                conditionNumber: Double, errors: [GroupErrorRow], cost: CostMeasurement?,
                validationErrors: [GroupErrorRow]? = nil, validation: ValidationSummary? = nil) {
        self.settings = settings; self.name = name; self.potential = potential; self.log = log
        self.parameterCount = parameterCount; self.basisSize = basisSize; self.radialFuncsCount = radialFuncsCount
        self.configurations = configurations; self.ranks = ranks; self.iterations = iterations
        self.jacobianPasses = jacobianPasses; self.lossEvaluations = lossEvaluations; self.loss = loss
        self.converged = converged; self.wallSeconds = wallSeconds; self.conditionNumber = conditionNumber
        self.errors = errors; self.cost = cost
        self.validationErrors = validationErrors; self.validation = validation
    }

    /// Errors over all training configurations: the "(all)" row when there
    /// are several groups, else the only row.
    public var overall: GroupErrorRow? { errors.first { $0.group == "(all)" } ?? (errors.count == 1 ? errors[0] : nil) }

    /// Errors over all validation configurations, when the fit had a validation set.
    public var validationOverall: GroupErrorRow? {
        guard let v = validationErrors else { return nil }
        return v.first { $0.group == "(all)" } ?? (v.count == 1 ? v[0] : nil)
    }
}

/// Reading and writing per-fit records and the sweep's summary tables.
public enum Records {
    /// Writes `record` as pretty JSON, atomically: a reader (or a rerun after
    /// a crash) sees the previous file or the complete new one.
    public static func write(_ record: FitRecord, to path: String) throws {
        try JSONFile.write(record, to: path)
    }

    /// The record at `path`, or nil if there is none or it cannot be read
    /// (an unreadable record means the fit must be redone, not an error).
    public static func read(_ path: String) -> FitRecord? {
        JSONFile.read(FitRecord.self, from: path)
    }

    /// The finished record of a fit with exactly `settings`, if any: the
    /// JSON must decode, match, and its potential must exist.
    public static func finished(_ settings: FitSettings, json: String, potential: String) -> FitRecord? {
        guard let r = read(json), FileManager.default.fileExists(atPath: potential) else { return nil }
        if r.settings == settings { return r }
        // Only the iteration limit differs: a fit that ended before its own
        // limit (converged, or stopped on the validation set) ends the same
        // under any limit that allows its iterations. A fit that stopped at
        // its limit is not finished under a higher one: the sweep continues
        // it from the checkpoint it kept (`SweepGroup.fit`).
        if r.settings.continues(settings), !r.hitIterationLimit, r.iterations <= settings.options.maxIterations {
            return r
        }
        return nil
    }

    static func number(_ x: Double, _ format: String) -> String { x.isNaN ? "nan" : String(format: format, x) }

    /// Groups with their own columns: every group name of any record except
    /// the overall row, sorted.
    static func groupNames(_ records: [FitRecord]) -> [String] {
        let names = Set(records.flatMap { r in r.errors.map(\.group) }).subtracting(["(all)"])
        return names.count > 1 ? names.sorted() : []
    }

    /// One line per record (in the given order): settings, size, fit and
    /// measured cost, overall RMSEs, per-group energy and force RMSEs when
    /// there are several groups, and whether the fit is on the Pareto front
    /// of (cost, energy RMSE).
    public static func csv(_ records: [FitRecord]) -> String {
        let groups = groupNames(records)
        let front = Set(paretoFront(records))
        var header = ["level", "cutoff_A", "parameters", "basis_size", "configurations", "ranks", "iterations",
                      "converged", "hit_iteration_limit", "wall_s", "condition_number", "cost_us_per_atom", "neighbours_per_atom",
                      "energy_rmse_meV_per_atom", "force_rmse_eV_per_A", "stress_rmse_GPa", "pareto"]
        for g in groups { header += ["energy_rmse_\(csvSafe(g))", "force_rmse_\(csvSafe(g))"] }
        let valid = hasValidation(records)
        if valid {
            header += ["valid_energy_rmse_meV_per_atom", "valid_force_rmse_eV_per_A", "valid_stress_rmse_GPa", "valid_loss",
                       "kept_iteration", "stopped_on_valid"]
        }
        var out = header.joined(separator: ",") + "\n"
        for (i, r) in records.enumerated() {
            let o = r.overall
            var row = [String(r.settings.level), String(format: "%.4g", r.settings.cutoff), String(r.parameterCount),
                       String(r.basisSize), String(r.configurations), String(r.ranks), String(r.iterations),
                       r.converged ? "1" : "0", r.hitIterationLimit ? "1" : "0", number(r.wallSeconds, "%.3f"), number(r.conditionNumber, "%.6e"),
                       number(r.cost?.microsecondsPerAtom ?? .nan, "%.6g"), number(r.cost?.neighboursPerAtom ?? .nan, "%.3f"),
                       number(o?.energyRMSE ?? .nan, "%.10g"), number(o?.forceRMSE ?? .nan, "%.10g"),
                       number(o?.stressRMSE ?? .nan, "%.10g"), front.contains(i) ? "1" : "0"]
            for g in groups {
                let e = r.errors.first { $0.group == g }
                row += [number(e?.energyRMSE ?? .nan, "%.10g"), number(e?.forceRMSE ?? .nan, "%.10g")]
            }
            if valid {
                let v = r.validationOverall
                row += [number(v?.energyRMSE ?? .nan, "%.10g"), number(v?.forceRMSE ?? .nan, "%.10g"),
                        number(v?.stressRMSE ?? .nan, "%.10g"), number(r.validation?.best?.loss ?? .nan, "%.12e"),
                        r.validation?.keptIteration.map(String.init) ?? "", r.validation?.stopped == true ? "1" : "0"]
            }
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    static func csvSafe(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    }

    /// A Markdown table of the records (fits that ended at --max-iter
    /// without converging marked "(limit)": their errors may still fall),
    /// Pareto fits in bold, then the fits
    /// of the grid that have no record yet.
    public static func markdown(_ records: [FitRecord], missing: [FitSpec], title: String) -> String {
        let front = Set(paretoFront(records))
        var out = "# \(title)\n\n"
        let valid = hasValidation(records)
        out += "| level | cutoff (A) | parameters | iterations | wall (s) | cond(lin) | cost (us/atom/call) | E RMSE (meV/atom) | F RMSE (eV/A) | S RMSE (GPa) | "
            + (valid ? "valid E RMSE (meV/atom) | valid F RMSE (eV/A) | valid S RMSE (GPa) | kept iteration | " : "") + "Pareto |\n"
        out += "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + (valid ? "---:|---:|---:|---:|" : "") + ":---:|\n"
        for (i, r) in records.enumerated() {
            let o = r.overall
            var cells = [String(r.settings.level), String(format: "%.2f", r.settings.cutoff), String(r.parameterCount),
                         String(r.iterations) + (r.hitIterationLimit ? " (limit)" : ""),
                         number(r.wallSeconds, "%.1f"), number(r.conditionNumber, "%.2e"),
                         number(r.cost?.microsecondsPerAtom ?? .nan, "%.3g"), number(o?.energyRMSE ?? .nan, "%.4f"),
                         number(o?.forceRMSE ?? .nan, "%.5f"), number(o?.stressRMSE ?? .nan, "%.5f")]
            if valid {
                let v = r.validationOverall
                cells += [number(v?.energyRMSE ?? .nan, "%.4f"), number(v?.forceRMSE ?? .nan, "%.5f"), number(v?.stressRMSE ?? .nan, "%.5f"),
                          (r.validation?.keptIteration.map(String.init) ?? "-") + (r.validation?.stopped == true ? " (stopped)" : "")]
            }
            cells.append(front.contains(i) ? "**yes**" : "")
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        let groups = groupNames(records)
        if !groups.isEmpty {
            out += "\nEnergy RMSE per group (meV/atom):\n\n| level | cutoff (A) | " + groups.joined(separator: " | ") + " |\n"
            out += "|---:|---:|" + groups.map { _ in "---:|" }.joined() + "\n"
            for r in records {
                out += "| \(r.settings.level) | \(String(format: "%.2f", r.settings.cutoff)) | "
                out += groups.map { g in number(r.errors.first { $0.group == g }?.energyRMSE ?? .nan, "%.4f") }.joined(separator: " | ") + " |\n"
            }
        }
        if valid, let v = records.lazy.compactMap(\.validation).first {
            out += "\nValidation set: \(v.file) (\(v.configurations) configurations); the Pareto front is on the validation energy RMSE.\n"
        }
        out += "\ncond(lin): condition number of the linear least-squares block (species and moment coefficients) at the fit's last radial functions; above about 1e12 some combinations of them are fixed by the damping and the ridge, not by the data.\n"
        if let c = records.lazy.compactMap(\.cost).first {
            out += "\nCost: best time of one energy/forces/virial call per atom on \(c.structure) (\(c.atoms) atoms), single rank.\n"
        }
        if !missing.isEmpty {
            out += "\nNot finished: " + missing.map(\.name).joined(separator: ", ") + "\n"
        }
        return out
    }

    /// Whether the records have validation errors (then the Pareto front is on them).
    public static func hasValidation(_ records: [FitRecord]) -> Bool {
        !records.isEmpty && records.contains { $0.validationErrors != nil }
    }

    /// The energy RMSE the Pareto front is on: the validation set's when the
    /// sweep had one, else the training set's (meV/atom).
    public static func frontError(_ r: FitRecord, validation: Bool) -> Double {
        (validation ? r.validationOverall?.energyRMSE : r.overall?.energyRMSE) ?? .nan
    }

    /// Indices of the records on the Pareto front of (measured cost, overall
    /// energy RMSE), on the validation set when the records have one.
    public static func paretoFront(_ records: [FitRecord]) -> [Int] {
        let valid = hasValidation(records)
        return Pareto.front(records.map { ($0.cost?.microsecondsPerAtom ?? .nan, frontError($0, validation: valid)) })
    }
}
