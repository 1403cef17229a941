import Foundation
import ActiveLearning
import Atomistic
import MTP
import Fitting
import Reference
import Validation

/// What the study keeps of one fit's validation: the report's rows (value
/// and error per quantity) and the fit's errors on every group of the
/// ASSYST set (the paper's Fig. 14 data). Written atomically as
/// DIR/validation/SUBSET/STEM.json once the fit's whole validation is done;
/// a rerun keeps it while the potential is the one it was made from.
public struct StudyValidationRecord: Codable, Equatable, Sendable {
    public struct Row: Codable, Equatable, Sendable {
        public var property: String
        public var name: String
        public var unit: String
        public var reference: Double?
        public var value: Double?
        /// Potential - reference, or a curve's RMSE (nil: not computed; see note).
        public var error: Double?
        public var note: String?
    }
    public var fit: StudyFit
    /// Size and modification time of the validated potential: a refitted
    /// potential makes the record stale.
    public var potentialBytes: Int64
    public var potentialModified: Double
    public var rows: [Row]
    /// Errors on every group of the ASSYST set and on all of it ("(all)").
    public var groupErrors: [GroupErrorRow]
    public var seconds: Double
    /// Extrapolation grades of the structures the potential evaluated, per
    /// validation property, against the active set of the fit's own
    /// training subset (nil in records of before).
    public var grades: [String: PropertyGrades]? = nil

    /// The error of the row named `name`, if computed and finite.
    public func error(_ name: String) -> Double? { rows.first { $0.name == name }?.error.flatMap { $0.isFinite ? $0 : nil } }

    /// Mean of the E-V curve RMSEs over the four lattices for a range label
    /// ("+-10%"), nil if any is missing (a missing lattice must not flatter the mean).
    public func energyVolumeRMSE(range: String) -> Double? {
        let values = LatticeKind.allCases.map { error("E-V \($0.rawValue) \(range)") }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { return nil }
        return values.reduce(0) { $0 + $1! } / Double(values.count)
    }

    /// Mean absolute vacancy formation energy error over the lattices (eV),
    /// nil if any lattice's is missing.
    public var vacancyMAE: Double? {
        let rows = self.rows.filter { $0.name.hasPrefix("vacancy formation energy") }
        guard !rows.isEmpty, rows.allSatisfy({ $0.error.map(\.isFinite) == true }) else { return nil }
        return rows.reduce(0) { $0 + abs($1.error!) } / Double(rows.count)
    }

    /// Energy and force RMSE on group `g` ("(all)": the whole set).
    public func groupError(_ g: String) -> GroupErrorRow? { groupErrors.first { $0.group == g } }

    /// The record at `path` if it belongs to `fit` and to the potential now at `potential`.
    public static func current(at path: String, fit: StudyFit, potential: String) -> StudyValidationRecord? {
        guard let r = JSONFile.read(StudyValidationRecord.self, from: path), r.fit == fit,
              let (bytes, modified) = fileStamp(potential), r.potentialBytes == bytes, r.potentialModified == modified else { return nil }
        return r
    }

    static func fileStamp(_ path: String) -> (Int64, Double)? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path),
              let bytes = (a[.size] as? NSNumber)?.int64Value, let date = a[.modificationDate] as? Date else { return nil }
        return (bytes, date.timeIntervalSince1970)
    }
}

/// Validates one fitted potential: `Validator` against the reference with
/// the study's properties (report and plots in the fit's validation
/// directory), then its errors on every group of the training set.
public struct StudyValidationJob {
    public var configuration: StudyConfiguration
    public var layout: StudyLayout
    /// Worker threads of the validator.
    public var threads: Int
    /// The whole ASSYST set, read once per rank.
    public var configurations: [Configuration]

    public init(configuration: StudyConfiguration, layout: StudyLayout, threads: Int, configurations: [Configuration]) {
        self.configuration = configuration; self.layout = layout; self.threads = threads; self.configurations = configurations
    }

    /// Validates `fit` and writes its record; returns it. Throws when the
    /// reference itself fails or a file cannot be written; a property the
    /// potential fails is a row with a note, as in `mtp validate`.
    public func run(_ fit: StudyFit) throws -> StudyValidationRecord {
        let start = Date()
        let potential = layout.potential(fit)
        guard let (bytes, modified) = StudyValidationRecord.fileStamp(potential) else {
            throw StudyError("\(potential): the fitted potential is missing")
        }
        var settings = configuration.quickValidation ? ValidationSettings.quick : ValidationSettings()
        settings.threads = threads
        let context = CalculatorContext(species: [configuration.element])
        let refSpec = configuration.calculator
        let reference = CalculatorSource(name: "reference", make: { try makeCalculator(spec: refSpec, context: context) },
                                         gradeNote: "grade: not applicable to the reference")
        var source = CalculatorSource(name: fit.name, make: { try makeCalculator(spec: "mtp:" + potential, context: context) })
        source.grader = try Self.activeSet(potential: potential, subset: fit.subset, configurations: configurations).graderFactory()
        guard let mass = Elements.mass(of: configuration.element) else { throw StudyError("--element \(configuration.element): unknown element") }
        var validator = Validator(reference: reference, potentials: [source], mass: mass, startLattice: nil, settings: settings)
        validator.properties = try PropertySelection.properties(configuration.properties.joined(separator: ","))
        let report = try validator.run()
        try StudyLayout.makeDirectory(layout.validationReport(fit), "validation report")
        _ = try report.write(to: layout.validationReport(fit), title: "Validation of \(fit.name) against \(refSpec)", format: "png")
        let rows = report.rows.map {
            StudyValidationRecord.Row(property: $0.property, name: $0.name, unit: $0.unit, reference: $0.reference,
                                      value: $0.values.first ?? nil, error: $0.errors.first ?? nil, note: $0.notes.first ?? nil)
        }
        let groups = try Self.groupErrors(potential: potential, configurations: configurations)
        var record = StudyValidationRecord(fit: fit, potentialBytes: bytes, potentialModified: modified, rows: rows,
                                           groupErrors: groups, seconds: Date().timeIntervalSince(start))
        record.grades = report.results.count > 1 ? report.results[1].grades : nil
        try JSONFile.write(record, to: layout.validationRecord(fit))
        return record
    }

    /// The active set of the potential at `potential` on the configurations
    /// of its training subset, as `mtp validate --training` builds it (one
    /// process: the study validates one fit per rank), kept beside the
    /// potential in POT.activeset for `mtp grade`.
    static func activeSet(potential path: String, subset: String, configurations: [Configuration]) throws -> ActiveSet {
        var available: [String] = []
        for c in configurations { if let g = c.group, !available.contains(g) { available.append(g) } }
        let training = try TrainingSubset.groups(subset, available: available).map { groups in
            configurations.filter { groups.contains($0.group ?? "") }
        } ?? configurations
        guard !training.isEmpty else { throw StudyError("subset \(subset): no configurations to build \(path)'s active set from") }
        let potential = try MTPFile.read(path: path)
        let set = try ActiveSet.build(potential: potential, local: training, first: 0, totalCount: training.count,
                                      options: ActiveSetOptions())
        try set.write(to: ActiveSet.defaultPath(potential: path))
        return set
    }

    /// Errors (meV/atom, eV/A, GPa) of the potential at `potential` on every
    /// group of `configurations`, in first-seen group order, and "(all)".
    public static func groupErrors(potential: String, configurations: [Configuration]) throws -> [GroupErrorRow] {
        let evaluator = try Evaluator(contentsOf: potential)
        let predicted = try evaluator.predictions(configurations, file: potential)
        var order: [String] = []
        var errors: [String: LabelErrors] = [:]
        var all = LabelErrors()
        for (p, r) in zip(predicted, configurations) {
            let g = r.group ?? "(none)"
            if errors[g] == nil { order.append(g); errors[g] = LabelErrors() }
            errors[g]!.add(predicted: p, reference: r)
            all.add(predicted: p, reference: r)
        }
        func row(_ name: String, _ e: LabelErrors) -> GroupErrorRow {
            GroupErrorRow(group: name, configurations: e.configurations,
                          energyRMSE: e.energyPerAtom.rmse, energyMAE: e.energyPerAtom.mae, energyMax: e.energyPerAtom.max,
                          forceRMSE: e.forceComponent.rmse, forceMAE: e.forceComponent.mae, forceMax: e.forceComponent.max,
                          stressRMSE: e.stress.rmse, stressMAE: e.stress.mae, stressMax: e.stress.max)
        }
        return order.map { row($0, errors[$0]!) } + [row("(all)", all)]
    }
}

/// The study's validation properties by the names `mtp validate
/// --properties` takes ("ev,vacancy"), as registered identifiers without
/// the equilibria (which always come along).
public enum StudyValidationProperties {
    public static func identifiers(_ list: String) throws -> [String] {
        try PropertySelection.properties(list).map(\.identifier).filter { $0 != EquilibriumProperty.identifier }
    }
}
