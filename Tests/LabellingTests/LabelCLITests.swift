import Foundation
import XCTest
import Atomistic
import CommandLineTesting
import Labelling
import Reference
import TrainingStore

/// `mtp label` as users run it: failures recorded with their reasons and
/// the rest labelled; a run killed with SIGKILL and resumed labels every
/// structure exactly once; a missing package is one error at start.
final class LabelCLITests: XCTestCase {
    /// `count` strained copper cells, groups A and B alternating; the
    /// structures at `odd` get `odd[k]` atoms instead (see picky.py).
    static func input(_ dir: String, count: Int, odd: [Int: Int] = [:]) throws -> String {
        var configs: [Configuration] = []
        for k in 0..<count {
            var c = ASEBridgeTests.strainedCopper(scale: 0.95 + 0.01 * Double(k % 10))
            if let n = odd[k] {
                c.positions = (0..<n).map { Vec3(Double($0) * 2.4, 0.2 * Double($0 % 2), 0.1) }
                c.species = Array(repeating: 0, count: n)
            }
            c.group = k % 2 == 0 ? "A" : "B"
            configs.append(c)
        }
        let path = dir + "/in.h5"
        try StoreWriter.write(TrainingSet(configurations: configs, species: ["Cu"]), to: path)
        return path
    }

    func testFailuresAreRecordedAndTheRestLabelled() throws {
        try PythonTesting.require(module: "ase")
        let dir = try PythonTesting.scratch(self)
        let calc = try PythonTesting.file(dir, "picky.py", ASEBridgeTests.picky)
        let input = try Self.input(dir, count: 12, odd: [2: 3, 5: 5, 8: 6])
        let out = dir + "/out.h5"
        let r = try MTPExecutable.run(["label", input, "--calculator", "ase:" + calc, "-o", out, "--timeout", "3", "--threads", "2", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        let labelled = try StoreReader(path: out).readAll().configurations
        XCTAssertEqual(labelled.count, 9)
        let summary = try XCTUnwrap(JSONFile.read(LabelSummary.self, from: out + ".label.json"))
        XCTAssertEqual(summary.failures.map(\.index), [2, 5, 8])
        XCTAssertTrue(summary.failures[0].reason.contains("ValueError: three atoms are refused"), summary.failures[0].reason)
        XCTAssertTrue(summary.failures[1].reason.contains("exit status 3"), summary.failures[1].reason)
        XCTAssertTrue(summary.failures[2].reason.contains("timeout"), summary.failures[2].reason)
        XCTAssertTrue(r.out.contains("3 failed"), r.out)
        // The labels are ASE's, in the engine's convention.
        let direct = try ASEBridgeTests.direct(labelled[0])
        XCTAssertEqual(labelled[0].energy!, direct.energy, accuracy: 1e-10)
        XCTAssertEqual(labelled[0].virial!.xx, -direct.stress![0] * labelled[0].volume, accuracy: 1e-10)

        // Groups select; an existing output needs --overwrite.
        let again = try MTPExecutable.run(["label", input, "--calculator", "ase:" + calc, "-o", out, "--quiet"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.err.contains("--resume") || again.err.contains("--overwrite"), again.err)
        let b = try MTPExecutable.run(["label", input, "--calculator", "ase:" + calc, "-o", out, "--groups", "B", "--overwrite", "--quiet"])
        XCTAssertEqual(b.status, 0, b.err)
        XCTAssertEqual(try StoreReader(path: out).readAll().configurations.map(\.group), Array(repeating: "B", count: 5))
    }

    func testMissingPackageIsOneErrorAtStart() throws {
        try PythonTesting.require(module: "ase")
        let dir = try PythonTesting.scratch(self)
        let calc = try PythonTesting.file(dir, "dft.py", "from gpaw_not_here import GPAW\ndef calculator():\n    return GPAW()\n")
        let input = try Self.input(dir, count: 4)
        let r = try MTPExecutable.run(["label", input, "--calculator", "ase:" + calc, "-o", dir + "/out.h5", "--threads", "2"])
        XCTAssertEqual(r.status, 1)
        let lines = r.err.split(separator: "\n").filter { $0.contains("error") }
        XCTAssertEqual(lines.count, 1, r.err)
        XCTAssertTrue(r.err.contains("gpaw_not_here"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.h5"))
    }

    /// SIGKILL mid-run, then --resume: every structure has exactly one
    /// journal record and the output is complete and equal to ASE's numbers.
    func testResumeAfterSIGKILL() throws {
        try PythonTesting.require(module: "ase")
        let dir = try PythonTesting.scratch(self)
        let slow = "import time\nfrom ase.calculators.emt import EMT\nclass Slow(EMT):\n    def calculate(self, *a, **k):\n        time.sleep(0.2)\n        super().calculate(*a, **k)\ndef calculator():\n    return Slow()\n"
        let calc = try PythonTesting.file(dir, "slow.py", slow)
        let count = 40
        let input = try Self.input(dir, count: count)
        let out = dir + "/out.h5"
        let p = Process()
        p.executableURL = MTPExecutable.url
        p.arguments = ["label", input, "--calculator", "ase:" + calc, "-o", out, "--threads", "2", "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let journal = LabelJournal(output: out)
        let deadline = Date().addingTimeInterval(120)
        while ((try? journal.records().count) ?? 0) < 8 && Date() < deadline && p.isRunning { usleep(50_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let before = try journal.records().count
        XCTAssertGreaterThanOrEqual(before, 8)
        XCTAssertLessThan(before, count, "the run finished before it could be killed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let r = try MTPExecutable.run(["label", input, "--calculator", "ase:" + calc, "-o", out, "--threads", "2", "--resume", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        let summary = try XCTUnwrap(JSONFile.read(LabelSummary.self, from: out + ".label.json"))
        XCTAssertEqual(summary.resumed, before)
        XCTAssertEqual(summary.labelledNow, count - before)
        // Exactly one complete record per structure over all journal files.
        var seen: [Int: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: journal.directory) where name.hasSuffix(".jsonl") {
            let text = try String(contentsOfFile: journal.directory + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                if let rec = try? JSONDecoder().decode(LabelRecord.self, from: Data(line.utf8)) { seen[rec.index, default: 0] += 1 }
            }
        }
        XCTAssertEqual(seen.count, count)
        XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "\(seen.filter { $0.value != 1 })")
        let labelled = try StoreReader(path: out).readAll().configurations
        XCTAssertEqual(labelled.count, count)
        for k in [0, count / 2, count - 1] {
            XCTAssertEqual(labelled[k].energy!, try ASEBridgeTests.direct(labelled[k]).energy, accuracy: 1e-10)
        }
    }

    /// One GPAW calculation of one Mg atom through the bridge against GPAW
    /// called directly (skipped, with the reason, where GPAW is missing).
    func testTinyGPAW() throws {
        try PythonTesting.require(module: "gpaw")
        let dir = try PythonTesting.scratch(self)
        let setting = """
            from gpaw import GPAW, PW
            def calculator():
                return GPAW(mode=PW(200), xc='PBE', kpts={'size': (2, 2, 2), 'gamma': True}, setups={'Mg': '2'},
                            occupations={'name': 'fermi-dirac', 'width': 0.1}, txt=None)

            """
        let file = try PythonTesting.file(dir, "gpaw_mg.py", setting)
        let a = 3.2
        let cell = [Vec3(a, 0, 0), Vec3(-a / 2, a * 3.0.squareRoot() / 2, 0), Vec3(0, 0, 1.62 * a)]
        let mg = Configuration(cell: cell, pbc: .all, species: [0], positions: [Vec3(0.1, 0.05, 0.2)])
        let start = Date()
        let bridged = try ASECalculator(file: file, species: ["Mg"], timeout: 300).calculate(mg)
        let code = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            from gpaw_mg import calculator
            from ase import Atoms
            a = 3.2
            atoms = Atoms('Mg', positions=[[0.1, 0.05, 0.2]], cell=[[a, 0, 0], [-a / 2, a * 3 ** 0.5 / 2, 0], [0, 0, 1.62 * a]], pbc=True)
            atoms.calc = calculator()
            print(json.dumps({'energy': atoms.get_potential_energy(), 'stress': atoms.get_stress().tolist()}))
            """
        let out = try XCTUnwrap(PythonTesting.run(code, arguments: [dir]))
        let direct = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        XCTAssertEqual(bridged.energy, direct["energy"] as! Double, accuracy: 1e-6)
        let stress = (direct["stress"] as! [Any]).map { ($0 as! NSNumber).doubleValue }
        for (w, s) in zip(bridged.virial.voigt, stress) { XCTAssertEqual(w, -s * mg.volume, accuracy: 1e-4) }
        print(String(format: "tiny GPAW (1 Mg atom, PW 200 eV, 2x2x2 k): %.1f s through the bridge and directly", Date().timeIntervalSince(start)))
    }
}
