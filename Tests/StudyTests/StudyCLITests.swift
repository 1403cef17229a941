import XCTest
import Foundation
import CommandLineTesting
import Atomistic
import Sweep
@testable import Study

/// `mtp study` end to end on a tiny study: every figure's data, the stage
/// records, kill and resume, and a refused change of configuration.
final class StudyCLITests: TemporaryDirectoryTestCase {
    /// The EAM fixture of the Reference tests (with its licence note there).
    var eam: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ReferenceTests/Fixtures/Mg_mm.eam.fs").path
    }

    /// 1-2 atoms in four space groups, two subsets, levels 4 and 6, one cutoff, 6 iterations, quick validation.
    func tiny(_ out: String) -> [String] {
        ["study", "--element", "Mg", "--atomic-volume", "22.87", "--calculator", "eam:" + eam, "--out", out,
         "--scale", "small", "--max-atoms", "2", "--space-groups", "191,194,225,229", "--perturbations", "2",
         "--subsets", "RATTLE,EVERYTHING", "--levels", "4:6:2", "--cutoffs", "5.0", "--max-iter", "6",
         "--properties", "ev,vacancy", "--validation", "quick", "--figure-levels", "6"]
    }

    /// Numbers of a data file's rows (after the label columns), header skipped.
    func numbers(_ path: String, skip: Int = 0, columns: Range<Int>? = nil) throws -> [[Double]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: " ").map(String.init)
            let picked = columns.map { Array(fields[$0]) } ?? Array(fields.dropFirst(skip))
            return picked.map { Double($0) ?? .nan }
        }
    }

    func testTinyStudyEndToEndKilledAndResumed() throws {
        let out = tmp + "/study"
        // Start, and kill the run once the first fit of the first subset has its record.
        let p = Process()
        p.executableURL = MTPExecutable.url
        p.arguments = tiny(out)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let firstRecord = out + "/fits/RATTLE/fits/L04-c5.00.json"
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: firstRecord) && Date() < deadline && p.isRunning { usleep(20_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: firstRecord), "the first fit did not finish before the kill")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/assyst/set.h5"))
        let firstPotential = out + "/fits/RATTLE/fits/L04-c5.00.mtp"
        let stamp = try FileManager.default.attributesOfItem(atPath: firstPotential)[.modificationDate] as? Date

        // The rerun continues: ASSYST and the finished fit are kept.
        let r = try MTPExecutable.run(tiny(out))
        XCTAssertEqual(r.status, 0, r.err + r.out)
        XCTAssertTrue(r.out.contains("study [assyst] done"), r.out)
        XCTAssertTrue(r.out.contains("1 already finished") || r.out.contains("2 already finished") || r.out.contains("study [fits] RATTLE: done"), r.out)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: firstPotential)[.modificationDate] as? Date, stamp,
                       "a finished fit was refitted")
        XCTAssertTrue(r.out.contains("~") && r.out.contains("s left"), r.out)

        // Every fit has its sweep record and its validation record.
        let c = try XCTUnwrap(JSONFile.read(StudyManifest.self, from: out + "/study.json"))
        XCTAssertEqual(c.configuration.fits.count, 4)
        XCTAssertNotNil(c.assystSeconds)
        XCTAssertEqual(Set(c.fitSeconds.keys), ["RATTLE", "EVERYTHING"])
        XCTAssertNotNil(c.validationSeconds)
        XCTAssertEqual(c.runs, [1, 1])
        let layout = StudyLayout(directory: out)
        for fit in c.configuration.fits {
            XCTAssertNotNil(Records.read(layout.fitRecord(fit)), fit.name)
            let v = try XCTUnwrap(JSONFile.read(StudyValidationRecord.self, from: layout.validationRecord(fit)), fit.name)
            XCTAssertNotNil(v.energyVolumeRMSE(range: "+-10%"), fit.name)
            XCTAssertNotNil(v.vacancyMAE, fit.name)
            XCTAssertEqual(v.groupErrors.last?.group, "(all)")
            XCTAssertEqual(v.groupErrors.count, 8)   // seven stages and all
            XCTAssertTrue(FileManager.default.fileExists(atPath: layout.validationReport(fit) + "/report.md"))
            // Graded against the active set of the fit's own subset, kept beside the potential.
            let grades = try XCTUnwrap(v.grades, fit.name)
            let ev = try XCTUnwrap(grades["energy-volume"], "\(fit.name): \(grades.keys.sorted())")
            XCTAssertGreaterThan(ev.graded, 0, fit.name)
            XCTAssertTrue(ev.maximum.map { $0 > 0 } == true, fit.name)
            XCTAssertTrue(FileManager.default.fileExists(atPath: layout.potential(fit) + ".activeset"), fit.name)
        }

        // Every figure: PNG, SVG and sane numbers in its data.
        let figures = out + "/figures/"
        for name in ["fig4-rmse-vs-level", "fig4-full-set-rmse-vs-level", "fig5-cost-vs-error", "fig6-ev-near-vs-level",
                     "fig6-ev-far-vs-level", "fig10-vacancy-mae-vs-level", "fig14-groups-L06-c5.00"] {
            for ext in ["png", "svg", "dat", "gp"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: figures + name + "." + ext), name + "." + ext)
            }
        }
        for name in ["fig4-rmse-vs-level", "fig4-full-set-rmse-vs-level", "fig6-ev-near-vs-level", "fig6-ev-far-vs-level",
                     "fig10-vacancy-mae-vs-level"] {
            let rows = try numbers(figures + name + ".dat")
            XCTAssertEqual(rows.map { $0[0] }, [4, 6], name)
            for row in rows {
                XCTAssertEqual(row.count, 3, name)
                for x in row.dropFirst() { XCTAssertTrue(x.isFinite && x >= 0 && x < 1e6, "\(name): \(row)") }
            }
        }
        // Energy RMSEs of a fitted potential: meV/atom, not eV and not zero.
        for row in try numbers(figures + "fig4-rmse-vs-level.dat") { XCTAssertTrue(row.dropFirst().allSatisfy { $0 > 1e-3 && $0 < 1e4 }, "\(row)") }
        let cost = try numbers(figures + "fig5-cost-vs-error.dat", columns: 0..<3)
        XCTAssertEqual(cost.count, 4)
        XCTAssertTrue(cost.allSatisfy { $0[0] > 0 && $0[1] > 0 && $0[0].isFinite && $0[1].isFinite }, "\(cost)")
        XCTAssertGreaterThanOrEqual(cost.filter { !$0[2].isNaN }.count, 1)
        let groups = try numbers(figures + "fig14-groups-L06-c5.00.dat", skip: 2)
        XCTAssertEqual(groups.count, 8)
        XCTAssertTrue(groups.allSatisfy { $0.count == 4 && $0.allSatisfy { $0.isFinite && $0 >= 0 } }, "\(groups)")
        let summary = try String(contentsOfFile: out + "/study.md", encoding: .utf8)
        XCTAssertTrue(summary.contains("| EVERYTHING | 6 | 5.00 |"), summary)
        XCTAssertTrue(summary.contains("| assyst |"), summary)
        XCTAssertTrue(summary.contains("| max grade |"), summary)
        XCTAssertNotNil(summary.range(of: #"\| [0-9.e+-]+ \([a-z-]+\) \|"#, options: .regularExpression), "a grade and its property: " + summary)

        // A third run has nothing left to do; a changed configuration is refused.
        let again = try MTPExecutable.run(tiny(out))
        XCTAssertEqual(again.status, 0, again.err)
        XCTAssertTrue(again.out.contains("study [fits] RATTLE: done") && again.out.contains("4 already validated, 0 to validate"), again.out)
        var changed = tiny(out)
        changed[changed.firstIndex(of: "--max-iter")! + 1] = "5"
        let refused = try MTPExecutable.run(changed)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.err.contains("another configuration") && refused.err.contains("maxIterations: 6 before, 5 now"), refused.err)

        // A higher --max-iter alone continues: the fits that stopped at 6 go on
        // from their checkpoints to 8, the others stay, and every stage ends done.
        let before = try fitIterations(out)
        changed[changed.firstIndex(of: "--max-iter")! + 1] = "8"
        let extended = try MTPExecutable.run(changed)
        XCTAssertEqual(extended.status, 0, extended.err)
        let manifest = try XCTUnwrap(JSONFile.read(StudyManifest.self, from: out + "/study.json"))
        XCTAssertEqual(manifest.configuration.maxIterations, 8)
        XCTAssertEqual(manifest.reopenedSubsets, [])
        let after = try fitIterations(out)
        XCTAssertEqual(Set(after.keys), Set(before.keys))
        for (name, n) in before {
            if n < 6 { XCTAssertEqual(after[name], n, name) } else { XCTAssertTrue((7...8).contains(after[name] ?? 0), "\(name): \(after)") }
        }
        XCTAssertTrue(before.values.contains(6), "some fit stopped at its limit: \(before)")
    }

    /// Iterations of every fit record of the study in `out`, by file name.
    func fitIterations(_ out: String) throws -> [String: Int] {
        var found: [String: Int] = [:]
        let root = out + "/fits"
        for case let file as String in FileManager.default.enumerator(atPath: root)! where file.hasSuffix(".json") && file.contains("/fits/") {
            let data = try Data(contentsOf: URL(fileURLWithPath: root + "/" + file))
            if let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let n = object["iterations"] as? Int {
                found[file] = n
            }
        }
        return found
    }

    func testBadOptionsAreOneMessage() throws {
        let base = tiny(tmp + "/bad")
        for (replace, value, message) in [("--subsets", "VOLMIN,NOPE", "NOPE"), ("--levels", "4:40", "outside"),
                                          ("--figure-levels", "8", "--figure-levels"), ("--max-atoms", "0", "--max-atoms")] {
            var args = base
            args[args.firstIndex(of: replace)! + 1] = value
            let r = try MTPExecutable.run(args)
            XCTAssertNotEqual(r.status, 0, replace)
            XCTAssertTrue(r.err.contains(message), "\(replace): \(r.err)")
        }
        for (option, value) in [("--eos-structures", "-1"), ("--phonon-structures", "-1"), ("--radial-basis-size", "1")] {
            let r = try MTPExecutable.run(base + [option, value])
            XCTAssertNotEqual(r.status, 0, option)
            XCTAssertTrue(r.err.contains(option), "\(option): \(r.err)")
        }
        var args = base
        args[args.firstIndex(of: "--calculator")! + 1] = "eam:/nonexistent.eam.fs"
        let r = try MTPExecutable.run(args)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("nonexistent"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
    }
}
