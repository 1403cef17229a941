import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import Reference
@testable import Validation

/// `mtp validate --export DIR` and `--reference data:DIR`: the exported
/// structures labelled by the EAM (as a DFT code would label them) give the
/// same numbers as the EAM itself; missing or wrong runs fail their
/// property with one message.
final class LabelledDataTests: TemporaryDirectoryTestCase {
    static let start = (a: 3.18, cOverA: 1.62)

    /// Labels every exported structure as a DFT run would: reads the POSCAR
    /// the code would read, computes with `calculator` and writes what the
    /// run gives (all but `skip`): a vasprun.xml in the directories of
    /// `vasprunFor`, DIR/PROPERTY/NAME/labels.extxyz in the others.
    static func label(_ directory: String, with calculator: Calculator, skip: Set<String> = [],
                      vasprunFor: Set<String> = [], outcarFor: Set<String> = []) throws {
        let m = try ValidationManifest.read(directory: directory)
        for e in m.structures where !skip.contains(e.directory) {
            let d = directory + "/" + e.directory
            let (c, symbols, _) = try POSCARFormat.read(path: d + "/POSCAR")
            let labelled = c.labelled(with: try calculator.calculate(c))
            if vasprunFor.contains(e.property) {
                try vasprun(labelled, symbols: symbols).write(toFile: d + "/vasprun.xml", atomically: true, encoding: .utf8)
            } else if outcarFor.contains(e.property) {
                try outcar(labelled, symbols: symbols).write(toFile: d + "/OUTCAR", atomically: true, encoding: .utf8)
            } else {
                try ConfigurationFormats.write(ConfigurationData(configurations: [labelled], symbols: symbols), to: d + "/labels.extxyz")
            }
        }
    }

    /// The parts of an OUTCAR the reader takes, positions printed to 1e-5 A
    /// as VASP prints them (labels in full: the code computed them on the
    /// exact structure).
    static func outcar(_ c: Configuration, symbols: [String]) -> String {
        var t = " POTCAR:    PAW_PBE \(symbols[0]) 13Apr2007\n   ions per type =  \(c.atomCount)\n"
        t += "  direct lattice vectors                 reciprocal lattice vectors\n"
        for r in c.cell { t += "    \(r.x) \(r.y) \(r.z)    0 0 0\n" }
        let w = c.virial!, k = MLearnJSON.kbarPerEVPerA3 / c.volume
        t += "  in kB " + [w.xx, w.yy, w.zz, w.xy, w.yz, w.xz].map { " \($0 * k)" }.joined() + "\n"
        t += " POSITION                                       TOTAL-FORCE (eV/Angst)\n ----------\n"
        for (p, f) in zip(c.positions, c.forces!) { t += String(format: " %12.5f %12.5f %12.5f", p.x, p.y, p.z) + "  \(f.x) \(f.y) \(f.z)\n" }
        t += " ----------\n  free  energy   TOTEN  =   \(c.energy!) eV\n"
        return t
    }

    /// What VASP writes for a single point, in the parts the reader takes:
    /// atoms, cell, fractional positions, forces, stress (kBar), free energy.
    static func vasprun(_ c: Configuration, symbols: [String]) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<modeling>\n <atominfo>\n  <atoms>\(c.atomCount)</atoms>\n"
        xml += "  <array name=\"atoms\" >\n   <dimension dim=\"1\">ion</dimension>\n   <field type=\"string\">element</field>\n"
        xml += "   <field type=\"int\">atomtype</field>\n   <set>\n"
        for s in c.species { xml += "    <rc><c>\(symbols[s])</c><c>   1</c></rc>\n" }
        xml += "   </set>\n  </array>\n </atominfo>\n <calculation>\n  <structure>\n   <crystal>\n    <varray name=\"basis\" >\n"
        for r in c.cell { xml += "     <v> \(r.x) \(r.y) \(r.z) </v>\n" }
        xml += "    </varray>\n   </crystal>\n   <varray name=\"positions\" >\n"
        let inv = inverse(c.cell)
        for p in c.positions { let f = p.x * inv[0] + p.y * inv[1] + p.z * inv[2]; xml += "    <v> \(f.x) \(f.y) \(f.z) </v>\n" }
        xml += "   </varray>\n  </structure>\n  <varray name=\"forces\" >\n"
        for f in c.forces! { xml += "   <v> \(f.x) \(f.y) \(f.z) </v>\n" }
        xml += "  </varray>\n  <varray name=\"stress\" >\n"
        for row in c.virial!.matrix { xml += "   <v> " + row.map { "\($0 * MLearnJSON.kbarPerEVPerA3 / c.volume)" }.joined(separator: " ") + " </v>\n" }
        xml += "  </varray>\n  <energy>\n   <i name=\"e_fr_energy\"> \(c.energy!) </i>\n  </energy>\n </calculation>\n</modeling>\n"
        return xml
    }

    func export(_ identifiers: [String], to dir: String) throws -> ValidationExport.Summary {
        let properties = identifiers.map { ValidationProperties.property($0)! }
        let job = ValidationExport(directory: dir, element: "Mg", properties: properties, settings: .quick)
        return try job.run(latticeSource: try EAMCalculator(file: ValidationTests.eamFile), sourceName: "eam", start: Self.start)
    }

    func validate(reference: CalculatorSource, properties: [String]) throws -> ValidationReport {
        var v = Validator(reference: reference, potentials: [CalculatorSource(name: "lj", make: { LennardJones() })],
                          mass: ValidationTests.mgMass, startLattice: Self.start, settings: .quick)
        v.properties = try PropertySelection.properties(properties.joined(separator: ","))
        return try v.run()
    }

    /// Agreement to 1e-8, frequencies (THz) compared as the eigenvalues
    /// they come from (sign * f^2): the acoustic modes at Gamma are zero up
    /// to the square root of rounding in the forces, +-1e-7 THz, whichever
    /// way the last bits of a position were written.
    static func agree(_ x: Double, _ y: Double, unit: String) -> Bool {
        if unit == "THz" { return abs(x * abs(x) - y * abs(y)) <= 1e-8 * max(1, y * y) }
        return abs(x - y) <= 1e-8 * max(1, abs(y))
    }

    /// The same for a potential's error (its value minus the reference's):
    /// the reference's acoustic noise enters frequency errors unsquared.
    static func agreeInError(_ x: Double, _ y: Double, unit: String) -> Bool {
        abs(x - y) <= (unit == "THz" ? 1e-6 : 1e-8 * max(1, abs(y)))
    }

    func testLabelledExportGivesTheSameNumbersAsTheCalculator() throws {
        let dir = tmp + "/export"
        let properties = ["energy-volume", "strains", "phonons"]
        let summary = try export(properties + ["vacancies", "molecular dynamics"], to: dir)
        XCTAssertEqual(summary.exported.map(\.property), properties)
        XCTAssertEqual(Set(summary.notExported.map(\.property)), ["vacancies", "molecular dynamics"])
        // The hand-off layout: VASP inputs per structure, single points.
        let first = dir + "/phonons/hcp-atom0-x-plus"
        for f in ["POSCAR", "INCAR", "KPOINTS"] { XCTAssertTrue(FileManager.default.fileExists(atPath: first + "/" + f), f) }
        XCTAssertTrue(try String(contentsOfFile: first + "/INCAR", encoding: .utf8).contains("NSW = 0"))

        // Phonons as vasprun.xml, strains as OUTCAR files, E-V as .extxyz.
        try Self.label(dir, with: try EAMCalculator(file: ValidationTests.eamFile), vasprunFor: ["phonons"], outcarFor: ["strains"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: first + "/vasprun.xml"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/strains/xy-00/OUTCAR"))
        let data = try LabelledData(directory: dir)
        for p in properties {
            XCTAssertNil(data.problem(p))
            XCTAssertEqual(data.count(p).labelled, data.count(p).total)
        }
        let fromData = try validate(reference: data.source, properties: properties)
        let eamFile = ValidationTests.eamFile
        let direct = try validate(reference: CalculatorSource(name: "eam", make: { try EAMCalculator(file: eamFile) }), properties: properties)

        var compared = 0
        for p in properties {
            let a = try XCTUnwrap(fromData.results[0].quantities(p), p), b = try XCTUnwrap(direct.results[0].quantities(p), p)
            XCTAssertEqual(a.map(\.name), b.map(\.name))
            for (qa, qb) in zip(a, b) {
                XCTAssertEqual(qa.values.count, qb.values.count, qa.name)
                XCTAssertFalse(qa.values.isEmpty, qa.name)
                for (x, y) in zip(qa.values, qb.values) {
                    XCTAssertTrue(x.isFinite, qa.name)
                    XCTAssertTrue(Self.agree(x, y, unit: qa.unit), "\(qa.name): \(x) vs \(y)")
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 500)
        // The potential's errors are the same against either reference, and not zero.
        let rows = fromData.rows.filter { properties.contains($0.property) }
        XCTAssertEqual(rows.count, direct.rows.filter { properties.contains($0.property) }.count)
        for (ra, rb) in zip(rows, direct.rows.filter { properties.contains($0.property) }) {
            XCTAssertEqual(ra.name, rb.name)
            if let ea = ra.errors[0], let eb = rb.errors[0] { XCTAssertTrue(Self.agreeInError(ea, eb, unit: ra.unit), "\(ra.name): \(ea) vs \(eb)") }
            else { XCTAssertEqual(ra.errors[0] == nil, rb.errors[0] == nil, ra.name) }
        }
        XCTAssertTrue(rows.contains { ($0.errors[0] ?? 0) > 1 }, "LJ is not the EAM")
        // The reference's own lattices are not claimed: reported as not computed, with why.
        let eqRow = try XCTUnwrap(fromData.rows.first { $0.name == "hcp a" })
        XCTAssertNil(eqRow.reference)
        XCTAssertTrue(eqRow.referenceNote?.contains("lattices relaxed with eam") == true, eqRow.referenceNote ?? "")
        XCTAssertNotNil(eqRow.values[0])
    }

    func testMissingWrongAndUnexportedStructuresFailTheirPropertyWithOneMessage() throws {
        let dir = tmp + "/export"
        _ = try export(["energy-volume", "phonons"], to: dir)
        let eam = try EAMCalculator(file: ValidationTests.eamFile)
        try Self.label(dir, with: eam, skip: ["energy-volume/hcp-range0-02"])
        // A "relaxed" run: the displaced atom moved back (the run is not the exported structure).
        let moved = dir + "/phonons/bcc-atom0-y-minus"
        var (c, symbols, _) = try POSCARFormat.read(path: moved + "/POSCAR")
        c.positions[0].y += 0.01
        try ConfigurationFormats.write(ConfigurationData(configurations: [c.labelled(with: try eam.calculate(c))], symbols: symbols),
                                       to: moved + "/labels.extxyz")

        let data = try LabelledData(directory: dir)
        let ev = try XCTUnwrap(data.problem("energy-volume"))
        XCTAssertTrue(ev.contains("1 of \(data.count("energy-volume").total) energy-volume structures") && ev.contains("not labelled") && ev.contains("energy-volume/hcp-range0-02"), ev)
        let ph = try XCTUnwrap(data.problem("phonons"))
        XCTAssertTrue(ph.contains("phonons/bcc-atom0-y-minus") && ph.contains("not the exported structure"), ph)
        XCTAssertTrue(try XCTUnwrap(data.refusal("vacancies")).contains("holds no vacancies"))
        XCTAssertNil(data.refusal("phonons"))

        let report = try validate(reference: data.source, properties: ["energy-volume", "phonons", "strains"])
        for p in ["energy-volume", "phonons", "strains"] {
            let rows = report.rows.filter { $0.property == p }
            XCTAssertFalse(rows.isEmpty, p)
            for row in rows {
                XCTAssertNil(row.reference, row.name)         // no number from partial data
                XCTAssertNil(row.errors[0], row.name)
                XCTAssertNotNil(row.referenceNote, row.name)
            }
            XCTAssertNotNil(report.results[0].failures[p], p)
        }
        XCTAssertTrue(report.results[0].failures["strains"]!.contains("holds no strains"))
        // A second file in a directory is ambiguous.
        try "x".write(toFile: moved + "/other.extxyz", atomically: true, encoding: .utf8)
        XCTAssertTrue(try LabelledData(directory: dir).problem("phonons")!.contains("several labelled files"))
    }

    func testExportRefusesAnEarlierExportAndBadManifestsAreOneClearError() throws {
        let dir = tmp + "/export"
        _ = try export(["strains"], to: dir)
        XCTAssertThrowsError(try export(["strains"], to: dir)) { XCTAssertTrue("\($0)".contains("already holds an export"), "\($0)") }
        XCTAssertThrowsError(try export(["vacancies"], to: tmp + "/none")) { XCTAssertTrue("\($0)".contains("none of the selected"), "\($0)") }
        XCTAssertThrowsError(try LabelledData(directory: tmp + "/missing")) { XCTAssertTrue("\($0)".contains("--export"), "\($0)") }
        try "{\"format\": 3}".write(toFile: dir + "/manifest.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelledData(directory: dir)) { XCTAssertTrue("\($0)".contains("manifest.json"), "\($0)") }
    }
}

/// The same through `mtp validate` as users run it.
final class ValidateDataCommandTests: TemporaryDirectoryTestCase {
    func mtp(_ args: [String]) throws -> MTPExecutable.Run { try MTPExecutable.run(args) }

    /// report.json's rows of one run.
    func rows(_ out: String) throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any]
        return try XCTUnwrap(json?["rows"] as? [[String: Any]])
    }

    func testExportLabelAndValidateAgainstTheData() throws {
        let eam = "eam:" + ValidationTests.eamFile
        let cu = URL(fileURLWithPath: ValidationTests.eamFile).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("CLITests/Fixtures/cu-08.mtp").path
        let dir = tmp + "/export"
        var r = try mtp(["validate", eam, "--export", dir, "--quick", "--lattice", "hcp:3.18,1.62", "--properties", "ev,strain,phonon,vacancy"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("vacancies: not exported"), r.out)
        try LabelledDataTests.label(dir, with: try EAMCalculator(file: ValidationTests.eamFile))

        let viaData = tmp + "/data", direct = tmp + "/direct"
        r = try mtp(["validate", cu, "--reference", "data:" + dir, "--lattice", "hcp:3.18,1.62", "--out", viaData])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("phonons: 18 of 18 structures labelled"), r.out)
        let md = try String(contentsOfFile: viaData + "/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("use the cells relaxed with " + eam + " (exported to data:" + dir + ")"), md)
        r = try mtp(["validate", cu, "--reference", eam, "--quick", "--lattice", "hcp:3.18,1.62", "--properties", "ev,strain,phonon", "--out", direct])
        XCTAssertEqual(r.status, 0, r.err)
        let a = try rows(viaData).filter { ($0["property"] as? String) != "equilibrium" }
        let b = try rows(direct).filter { ($0["property"] as? String) != "equilibrium" }
        XCTAssertEqual(a.count, b.count)
        XCTAssertGreaterThan(a.count, 20)
        var nonzero = 0
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x["name"] as? String, y["name"] as? String)
            let ex = (x["errors"] as? [Any])?.first as? Double, ey = (y["errors"] as? [Any])?.first as? Double
            XCTAssertEqual(ex == nil, ey == nil, "\(x["name"] ?? "")")
            let unit = x["unit"] as? String ?? ""
            if let ex, let ey {
                XCTAssertTrue(LabelledDataTests.agreeInError(ex, ey, unit: unit), "\(x["name"] ?? ""): \(ex) vs \(ey)")
                if abs(ey) > 1e-3 { nonzero += 1 }
            }
            if let rx = x["reference"] as? Double, let ry = y["reference"] as? Double {
                XCTAssertTrue(LabelledDataTests.agree(rx, ry, unit: unit), "\(x["name"] ?? ""): \(rx) vs \(ry)")
            }
        }
        XCTAssertGreaterThan(nonzero, 10)

        // Properties the data cannot give, and settings that do not apply: one clear line each.
        r = try mtp(["validate", cu, "--reference", "data:" + dir, "--properties", "vacancy", "--out", tmp + "/x"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("cannot give vacancies"), r.err)
        r = try mtp(["validate", cu, "--reference", "data:" + dir, "--properties", "elastic", "--out", tmp + "/x"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("holds no elastic"), r.err)
        r = try mtp(["validate", cu, "--reference", "data:" + dir, "--md-duration", "1", "--out", tmp + "/x"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("dynamics cannot come from labelled data"), r.err)
        r = try mtp(["validate", cu, "--reference", "data:" + tmp + "/nothing", "--out", tmp + "/x"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("manifest.json") && r.err.contains("--export"), r.err)
        r = try mtp(["validate", eam, "--export", dir, "--quick"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("already holds an export"), r.err)
        r = try mtp(["validate", cu, eam, "--export", tmp + "/two"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/x"))
    }
}
