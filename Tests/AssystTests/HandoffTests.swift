import XCTest
import CommandLineTesting
import Atomistic
@testable import Assyst

/// A stand-in for VASP: reads each exported POSCAR and writes a
/// vasprun.xml with labels from a simple formula (relaxation stages: two
/// ionic steps, the last one with the cell scaled by 1%).
enum FakeVASP {
    static func energy(_ c: Configuration) -> Double { -1.5 * Double(c.atomCount) + 0.001 * c.volume }

    static func run(in directory: String, steps: Int) throws {
        let poscar = try POSCARFormat.read(path: directory + "/POSCAR")
        var step = poscar.configuration
        var xml = """
            <?xml version="1.0" encoding="ISO-8859-1"?>
            <modeling>
             <atominfo>
              <atoms>\(step.atomCount)</atoms>
              <array name="atoms" >
               <dimension dim="1">ion</dimension>
               <field type="string">element</field>
               <field type="int">atomtype</field>
               <set>

            """
        for s in step.species { xml += "    <rc><c>\(poscar.symbols[s])</c><c>   1</c></rc>\n" }
        xml += "   </set>\n  </array>\n </atominfo>\n"
        for k in 0..<steps {
            if k > 0 { step.cell = step.cell.map { $0 * 1.01 }; step.positions = step.positions.map { $0 * 1.01 } }
            let inverse = Mat3(step.cell).inverse!
            xml += " <calculation>\n  <structure>\n   <crystal>\n    <varray name=\"basis\" >\n"
            for r in step.cell { xml += "     <v> \(r.x) \(r.y) \(r.z) </v>\n" }
            xml += "    </varray>\n   </crystal>\n   <varray name=\"positions\" >\n"
            for p in step.positions { let f = rowTimes(p, inverse); xml += "    <v> \(f.x) \(f.y) \(f.z) </v>\n" }
            xml += "   </varray>\n  </structure>\n  <varray name=\"forces\" >\n"
            for (a, _) in step.positions.enumerated() { xml += "   <v> \(0.01 * Double(a)) -0.02 0.03 </v>\n" }
            xml += "  </varray>\n  <varray name=\"stress\" >\n   <v> 10 1 2 </v>\n   <v> 1 20 3 </v>\n   <v> 2 3 30 </v>\n  </varray>\n"
            xml += "  <energy>\n   <i name=\"e_fr_energy\"> \(energy(step)) </i>\n  </energy>\n </calculation>\n"
        }
        xml += "</modeling>\n"
        try xml.write(toFile: directory + "/vasprun.xml", atomically: true, encoding: .utf8)
    }

    /// Runs every exported directory of `stage` under `root`.
    static func runStage(_ root: String, _ stage: AssystStage, skip: Set<String> = []) throws -> Int {
        let dir = root + "/" + stage.rawValue
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.allSatisfy(\.isNumber) }.sorted()
        for r in runs where !skip.contains(r) {
            try run(in: dir + "/" + r, steps: [.volmin, .cellmin, .intmin].contains(stage) ? 2 : 1)
        }
        return runs.count
    }
}

final class HandoffTests: TemporaryDirectoryTestCase {
    func crystals() -> [Configuration] {
        var options = AssystOptions(element: "Mg", atomicVolume: 22.87)
        options.spaceGroups = [1, 194, 225]
        options.atomCounts = 1...3
        return AssystPipeline.randomCrystals(options).crystals
    }

    func testPOSCARRoundTrip() throws {
        var c = crystals()[2]
        c.species = c.species.indices.map { $0 % 2 == 0 ? 1 : 0 }
        let path = tmp + "/POSCAR"
        try POSCARFormat.write(c, symbols: ["Mg", "Al"], comment: "test", to: path)
        let back = try POSCARFormat.read(path: path)
        XCTAssertEqual(back.comment, "test")
        XCTAssertEqual(back.configuration.cell, c.cell)
        // Atoms grouped by species (index 0 first), positions kept.
        let (_, order) = try POSCARFormat.text(c, symbols: ["Mg", "Al"], comment: "test")
        for (k, a) in order.enumerated() {
            XCTAssertEqual(back.symbols[back.configuration.species[k]], ["Mg", "Al"][c.species[a]])
            XCTAssertEqual(norm(back.configuration.positions[k] - c.positions[a]), 0, accuracy: 1e-12)
        }
        try "x\n1\n1 0 0\n0 1 0\n0 0 1\nMg\ntwo\nDirect\n0 0 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try POSCARFormat.read(path: path)) { XCTAssertTrue("\($0)".contains("POSCAR:7:"), "\($0)") }
    }

    func testExportAndImportKeepEveryStructure() throws {
        let structures = crystals()
        XCTAssertGreaterThan(structures.count, 3)
        var handoff = VASPHandoff(directory: tmp, symbols: ["Mg"])
        handoff.incarTemplate = "ENCUT = 400\nISIF = 3 ; ISMEAR = 0\nNSW=5\n"
        try handoff.export(structures, stage: .volmin)
        let incar = try String(contentsOfFile: tmp + "/VOLMIN/00001/INCAR", encoding: .utf8)
        XCTAssertTrue(incar.contains("ENCUT = 400"))
        XCTAssertTrue(incar.contains("ISMEAR = 0"))
        XCTAssertTrue(incar.contains("ISIF = 7") && incar.contains("IBRION = 2"), incar)
        XCTAssertFalse(incar.contains("ISIF = 3") || incar.contains("NSW=5"), incar)
        let kpoints = try String(contentsOfFile: tmp + "/VOLMIN/00001/KPOINTS", encoding: .utf8)
        XCTAssertTrue(kpoints.contains(handoff.mesh(for: structures[0]).map(String.init).joined(separator: " ")))
        XCTAssertThrowsError(try handoff.export(structures, stage: .volmin))   // never over finished runs

        // Nothing run yet: all pending. Then all but one, one broken.
        XCTAssertEqual(try handoff.pending(.volmin).count, structures.count)
        _ = try FakeVASP.runStage(tmp, .volmin, skip: ["00002"])
        XCTAssertEqual(try handoff.pending(.volmin), ["00002"])
        try "<modeling><atominfo>".write(toFile: tmp + "/VOLMIN/00003/vasprun.xml", atomically: true, encoding: .utf8)
        let partial = try handoff.importStage(.volmin)
        XCTAssertEqual(partial.configurations.count, structures.count - 2)
        XCTAssertEqual(Set(partial.failures.map(\.directory)), ["00002", "00003"])

        try FakeVASP.run(in: tmp + "/VOLMIN/00002", steps: 2)
        try FakeVASP.run(in: tmp + "/VOLMIN/00003", steps: 2)
        let imported = try handoff.importStage(.volmin)
        XCTAssertTrue(imported.failures.isEmpty)
        XCTAssertEqual(imported.configurations.count, structures.count)
        for (c, s) in zip(imported.configurations, structures) {
            XCTAssertEqual(c.group, "VOLMIN")
            XCTAssertEqual(c.feature(AssystFeature.crystal), s.feature(AssystFeature.crystal))
            // The last ionic step: the cell scaled by 1%.
            XCTAssertEqual(c.volume, s.volume * pow(1.01, 3), accuracy: 1e-9 * s.volume)
            XCTAssertEqual(c.energy!, FakeVASP.energy(c), accuracy: 1e-9)
            XCTAssertEqual(c.forces!.count, s.atomCount)
            XCTAssertEqual(c.virial!.xx, 10 * c.volume / MLearnJSON.kbarPerEVPerA3, accuracy: 1e-9)
        }
    }
}
