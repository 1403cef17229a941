import ArgumentParser
import Foundation
import Atomistic
import Reference
import Validation

/// The reference of `mtp validate` (a calculator spec or data:DIR) and
/// `--export DIR`: argument checks, library calls, printing.
extension Validate {
    struct ResolvedReference {
        var source: CalculatorSource
        var element: String
    }

    /// The reference source and its element; for data:DIR also the
    /// export's settings and, by default, the properties it holds.
    func resolveReference(context: CalculatorContext, settings: inout ValidationSettings,
                          selected: inout [any ValidationProperty]?) throws -> ResolvedReference {
        let spec = reference!
        if spec.lowercased().hasPrefix("data:") {
            let directory = String(spec.dropFirst(5))
            guard !directory.isEmpty else { throw UserError("--reference data:DIR needs the directory of an export (mtp validate POT --export DIR)") }
            let data = try LabelledData(directory: directory)
            let m = data.manifest
            if let element, element != m.element {
                throw UserError("--element \(element): \(data.name) holds \(m.element) structures")
            }
            var exported = m.settings
            exported.threads = settings.threads
            var quickSettings = ValidationSettings.quick
            quickSettings.threads = settings.threads
            if quick, exported != quickSettings {
                throw UserError("--quick: \(data.name) was exported with other settings; the export's settings are used, drop --quick")
            }
            if mdDuration != nil || mdTemperatures != nil {
                throw UserError("--md-duration and --md-temperatures do not apply to \(data.name): dynamics cannot come from labelled data")
            }
            settings = exported
            if let chosen = selected {
                for p in chosen { if let why = data.refusal(p.identifier) { throw UserError("--reference \(spec): \(why)") } }
            } else {
                let names = data.exportedProperties
                selected = ValidationProperties.all.filter { $0.identifier == EquilibriumProperty.identifier || names.contains($0.identifier) }
            }
            var full = ValidationSettings()
            full.threads = settings.threads
            let kind = exported == quickSettings ? "quick" : (exported == full ? "full" : "custom")
            print("\(data.name): \(m.element), lattices relaxed with \(m.latticeSource), the export's settings (\(kind))")
            for p in selected! where p.identifier != EquilibriumProperty.identifier {
                let n = data.count(p.identifier)
                print("  \(p.identifier): \(n.labelled) of \(n.total) structures labelled" + (n.labelled < n.total ? " (the property fails)" : ""))
            }
            return ResolvedReference(source: data.source, element: m.element)
        }
        if isPythonCalculator(spec: spec), element == nil {
            throw UserError("--reference \(spec) needs --element (the atoms' element)")
        }
        let calculator = try makeCalculator(spec: spec, context: context)
        let symbol = try elementSymbol(calculator, "the reference \(spec)")
        return ResolvedReference(source: CalculatorSource(name: calculator.name, make: { try makeCalculator(spec: spec, context: context) },
                                                          gradeNote: "grade: not applicable to the reference"),
                                 element: symbol)
    }

    /// --element, else the element of an EAM calculator's first species.
    func elementSymbol(_ calculator: Calculator, _ what: String) throws -> String {
        if let element { return element }
        if let eam = calculator as? EAMCalculator { return eam.tables.elements[eam.elementOfSpecies[0]] }
        throw UserError("give the element with --element (\(what) does not name it)")
    }

    /// `--export DIR`: the potential's lattices and every single-point structure.
    func runExport(to directory: String, settings: ValidationSettings, selected: [any ValidationProperty]?,
                   start: (a: Double, cOverA: Double)?, context: CalculatorContext) throws {
        let spec = Self.spec(potentials[0])
        let calculator = try makeCalculator(spec: spec, context: context)
        let symbol = try elementSymbol(calculator, potentials[0])
        guard Elements.mass(of: symbol) != nil else { throw UserError("--element '\(symbol)': unknown element symbol") }
        var job = ValidationExport(directory: directory, element: symbol, properties: selected ?? ValidationProperties.all, settings: settings)
        job.incarTemplate = try incar.map { try AtomicFile.readText(path: $0) }
        job.kpointsTemplate = try kpoints.map { try AtomicFile.readText(path: $0) }
        job.kSpacing = kSpacing
        if let potcar, !FileManager.default.isReadableFile(atPath: potcar) { throw InputError(file: potcar, "cannot read POTCAR") }
        job.potcar = potcar
        let summary = try job.run(latticeSource: calculator, sourceName: potentials[0], start: start)
        print(String(format: "lattices relaxed with %@: hcp a = %.4f A, c/a = %.4f", potentials[0], summary.lattices.hcpA,
                     summary.lattices.hcpC / summary.lattices.hcpA))
        for e in summary.exported { print("  \(e.property): \(e.count) structures") }
        for n in summary.notExported { print("  \(n.property): not exported: \(n.why)") }
        print("wrote \(summary.manifest): run the single points in every directory (VASP: its INCAR, KPOINTS, POSCAR; "
              + "or write one .extxyz per directory), then `mtp validate POT... --reference data:\(directory) --out OUT`")
    }
}
