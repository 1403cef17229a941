import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import TrainingStore
@testable import Assyst

/// `mtp assyst` as users run it.
final class AssystCLITests: TemporaryDirectoryTestCase {
    typealias Run = MTPExecutable.Run

    func mtp(_ args: [String]) throws -> Run { try MTPExecutable.run(["assyst"] + args) }

    /// The EAM fixture of the Reference tests (with its licence note there).
    var eam: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ReferenceTests/Fixtures/Mg_mm.eam.fs").path
    }

    let tiny = ["--element", "Mg", "--atomic-volume", "22.87", "--max-atoms", "2", "--space-groups", "1,194,225",
                "--triax-count", "2", "--shear-count", "2", "--rattle-count", "2", "--strain-count", "2",
                "--elastic-structures", "1", "--elastic-steps", "1", "--eos-structures", "1", "--eos-steps", "3",
                "--phonon-structures", "1", "--phonon-copies", "2", "--phonon-max-atoms", "8", "--quiet"]
    /// The soft modes, which need a local calculator.
    let softModes = ["--phonon-soft-modes", "1"]

    func testEAMPipelineWritesEveryStageReproducibly() throws {
        let out = tmp + "/set.h5"
        let r = try mtp(tiny + softModes + ["--calculator", "eam:" + eam, "-o", out, "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.err)
        let set = try StoreReader(path: out).readAll()
        XCTAssertEqual(set.groups, AssystStage.allCases.map(\.rawValue))
        XCTAssertEqual(set.species, ["Mg"])
        let randspg = set.configurations.filter { $0.group == "RANDSPG" }
        // P1 1-2 atoms, P6_3/mmc 2 atoms (Wyckoff 2a-2d), Fm-3m 1-2 atoms; P6_3/mmc 1 atom impossible.
        XCTAssertEqual(randspg.count, 5)
        XCTAssertTrue(set.configurations.allSatisfy { $0.energy != nil && $0.forces != nil && $0.virial != nil })
        let intmin = set.configurations.filter { $0.group == "INTMIN" }.count
        for g in ["TRIAX", "SHEAR", "RATTLE", "STRAIN"] {
            XCTAssertLessThanOrEqual(set.configurations.filter { $0.group == g }.count, 2 * intmin)
            XCTAssertGreaterThan(set.configurations.filter { $0.group == g }.count, 0)
        }
        // One crystal x six components x two signs x one step.
        XCTAssertEqual(set.configurations.filter { $0.group == "ELASTIC" }.count, 12)
        XCTAssertTrue(r.out.contains("ELASTIC" + String(repeating: " ", count: 3) + String(format: "%12d", 12)), r.out)
        // One crystal at three volumes: 0.18, 0.72 and 1.85 of the relaxed one (cube roots evenly spaced).
        let eos = set.configurations.filter { $0.group == "EOS" }
        XCTAssertEqual(eos.map { $0.feature(AssystFeature.volumeRatio) }, ["0.1800", "0.7196", "1.8500"])
        // One crystal, two displaced copies of its widest supercell of at most 8 atoms, then its
        // softest reference mode frozen in at 0.05 and 0.1 A.
        let phonon = set.configurations.filter { $0.group == "PHONON" }
        XCTAssertEqual(phonon.map { $0.feature(AssystFeature.copy) }, ["0", "1", "mode1-0.050", "mode1-0.100"])
        XCTAssertTrue(phonon.suffix(2).allSatisfy { $0.feature(AssystFeature.softMode) != nil })
        XCTAssertTrue(phonon.allSatisfy { $0.atomCount > 1 && $0.atomCount <= 8 && $0.forces != nil }, "\(phonon.map(\.atomCount))")
        XCTAssertTrue(r.out.contains("RANDSPG") && r.out.contains("not a sum of the Wyckoff multiplicities"), r.out)
        let report = try String(contentsOfFile: tmp + "/set-report.txt", encoding: .utf8)
        XCTAssertTrue(report.contains("194 P6_3/mmc    1x[1] 2\n"), report)   // 1 atom impossible, 2 atoms built exactly
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp + "/set-distances.dat"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp + "/set-spacegroups.dat"))

        // Same seed, one thread: the same set; an existing output needs --overwrite.
        let again = try mtp(tiny + softModes + ["--calculator", "eam:" + eam, "-o", out, "--threads", "1"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.err.contains("--overwrite"), again.err)
        let out2 = tmp + "/set2.h5"
        XCTAssertEqual(try mtp(tiny + softModes + ["--calculator", "eam:" + eam, "-o", out2, "--threads", "1"]).status, 0)
        XCTAssertEqual(try StoreReader(path: out2).readAll(), set)
        let other = tmp + "/set3.h5"
        XCTAssertEqual(try mtp(tiny + softModes + ["--calculator", "eam:" + eam, "-o", other, "--seed", "2"]).status, 0)
        XCTAssertNotEqual(try StoreReader(path: other).readAll(), set)
    }

    func testStopAfterAndBadInput() throws {
        let out = tmp + "/vol.h5"
        let r = try mtp(tiny + ["--calculator", "eam:" + eam, "-o", out, "--stop-after", "volmin"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try StoreReader(path: out).readAll().groups, ["RANDSPG", "VOLMIN"])
        for (args, message) in [(["--space-groups", "0,231"], "--space-groups"), (["--stop-after", "FOO"], "--stop-after"),
                                (["--calculator", "lj:x"], "is not a calculator"), (["--calculator", "eam:/nonexistent.eam.fs"], "nonexistent"),
                                (["--elastic-structures", "-1"], "--elastic-structures"), (["--elastic-max-strain", "0.5"], "--elastic-max-strain"),
                                (["--elastic-steps", "0"], "--elastic-steps"), (["--eos-structures", "-2"], "--eos-structures"),
                                (["--eos-min-volume", "2", "--eos-max-volume", "1.5"], "--eos-min-volume"), (["--eos-steps", "1"], "--eos-steps"),
                                (["--phonon-structures", "-1"], "--phonon-structures"), (["--phonon-copies", "0"], "--phonon-copies"),
                                (["--phonon-max-atoms", "0"], "--phonon-max-atoms"), (["--phonon-displacement", "0"], "--phonon-displacement"),
                                (["--phonon-mode-amplitude", "2"], "--phonon-mode-amplitude"), (["--phonon-soft-modes", "-1"], "--phonon-soft-modes")] {
            var all = tiny + ["-o", tmp + "/bad.h5"]
            if !args.contains("--calculator") { all += ["--calculator", "eam:" + eam] }
            let bad = try mtp(all + args)
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.err.contains(message), "\(args): \(bad.err)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/bad.h5"))
        }
    }

    /// The DFT route end to end with the fake VASP: every stage exported,
    /// run and imported; every exported structure lands in its group.
    func testVASPHandoffRoundTripLosesNothing() throws {
        let dir = tmp + "/dft", out = tmp + "/dft.h5"
        // Soft modes need the reference while PHONON is built: refused at once, nothing exported.
        let refused = try mtp(tiny + softModes + ["--calculator", "vasp-handoff:" + dir, "-o", out])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.err.contains("--phonon-soft-modes"), refused.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/RANDSPG"))
        let args = tiny + ["--calculator", "vasp-handoff:" + dir, "-o", out]
        var exported: [String: Int] = [:]
        for round in [["RANDSPG"], ["VOLMIN"], ["CELLMIN"], ["INTMIN"], ["TRIAX", "SHEAR", "RATTLE", "STRAIN", "ELASTIC", "EOS", "PHONON"]] {
            let r = try mtp(args)
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(r.out.contains("exported \(round.joined(separator: ", "))"), r.out)
            // Not yet run: the command waits.
            let wait = try mtp(args)
            XCTAssertEqual(wait.status, 0, wait.err)
            XCTAssertTrue(wait.out.contains("have no vasprun.xml yet"), wait.out)
            for s in round { exported[s] = try FakeVASP.runStage(dir, AssystStage(rawValue: s)!) }
        }
        let last = try mtp(args)
        XCTAssertEqual(last.status, 0, last.err)
        let set = try StoreReader(path: out).readAll()
        XCTAssertEqual(set.groups, AssystStage.allCases.map(\.rawValue))
        for (stage, n) in exported {
            XCTAssertGreaterThan(n, 0, stage)
            XCTAssertEqual(set.configurations.filter { $0.group == stage }.count, n, stage)
        }
        // The relaxation chain follows the exported structures: VOLMIN from RANDSPG's (1% larger), etc.
        let rand = set.configurations.filter { $0.group == "RANDSPG" }, vol = set.configurations.filter { $0.group == "VOLMIN" }
        for (a, b) in zip(rand, vol) {
            XCTAssertEqual(a.feature(AssystFeature.crystal), b.feature(AssystFeature.crystal))
            XCTAssertEqual(b.volume, a.volume * pow(1.01, 3), accuracy: 1e-9 * a.volume)
        }
        XCTAssertTrue(last.out.contains("TRIAX"), last.out)
        // Done: a further call changes nothing.
        let done = try mtp(args)
        XCTAssertEqual(done.status, 0, done.err)
        XCTAssertEqual(try StoreReader(path: out).readAll(), set)
    }
}
