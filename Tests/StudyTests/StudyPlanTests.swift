import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import Fitting
import Assyst
import Sweep
import MTP
@testable import Study

/// The study's plan, scale knob, manifest and figures, without running anything.
final class StudyPlanTests: TemporaryDirectoryTestCase {
    func small() -> StudyConfiguration {
        StudyScale.small.configuration(element: "Mg", atomicVolume: 22.87, calculator: "eam:/x.eam.fs")
    }

    func testPresetsAreValidAndTheirFitsAreTheGrid() throws {
        for scale in StudyScale.allCases {
            let c = scale.configuration(element: "Mg", atomicVolume: 22.87, calculator: "eam:/x.eam.fs")
            XCTAssertNoThrow(try c.check(), "\(scale)")
            XCTAssertEqual(c.fits.count, c.subsets.count * c.levels.count * c.cutoffs.count)
            XCTAssertEqual(Set(c.fits).count, c.fits.count)
        }
        let paper = StudyScale.paper.configuration(element: "Mg", atomicVolume: 22.87, calculator: "eam:/x")
        XCTAssertEqual(paper.subsets, TrainingSubset.paper)
        XCTAssertEqual(paper.subsets.count, 9)
        XCTAssertEqual(paper.cutoffs, [5.2, 6.5, 8.2])
        XCTAssertEqual(paper.maxAtoms, 10)
        let s = small()
        XCTAssertEqual(s.levels.first, 8)
        XCTAssertEqual(s.levels.last, 16)
        XCTAssertEqual(s.cutoffs.count, 2)
        XCTAssertEqual(s.fits.first, StudyFit(subset: s.subsets[0], level: 8, cutoff: 5.2))
        XCTAssertEqual(StudyFit(subset: "VOLMIN", level: 8, cutoff: 5.2).name, "VOLMIN/L08-c5.20")

        var bad = s
        bad.figureLevels = [10]
        XCTAssertThrowsError(try bad.check()) { XCTAssertTrue("\($0)".contains("--figure-levels"), "\($0)") }
        bad = s
        bad.cutoffs = [1.5]
        XCTAssertThrowsError(try bad.check()) { XCTAssertTrue("\($0)".contains("--cutoffs"), "\($0)") }
        bad = s
        bad.maxAtoms = 0
        XCTAssertThrowsError(try bad.check())
        // Group weights name groups of the study's set.
        var weighted = s
        weighted.groupWeights = "ELASTIC=10,SHEAR=0.5"
        XCTAssertNoThrow(try weighted.check())
        weighted.groupWeights = "FOO=2"
        XCTAssertThrowsError(try weighted.check()) { XCTAssertTrue("\($0)".contains("'FOO' is not a group"), "\($0)") }
        weighted.groupWeights = "ELASTIC=-1"
        XCTAssertThrowsError(try weighted.check()) { XCTAssertTrue("\($0)".contains("--group-weights"), "\($0)") }
        weighted.elasticStructures = -1
        weighted.groupWeights = nil
        XCTAssertThrowsError(try weighted.check()) { XCTAssertTrue("\($0)".contains("--elastic-structures"), "\($0)") }
        weighted.elasticStructures = nil
        weighted.eosStructures = -1
        XCTAssertThrowsError(try weighted.check()) { XCTAssertTrue("\($0)".contains("--eos-structures"), "\($0)") }
    }

    /// Every fit of a subset's sweep uses the study's basis settings.
    func testSweepsTakeTheStudysBasis() {
        var c = small()
        c.minDist = 1.7
        c.radialBasisSize = 12
        c.radialBasisType = .chebyshevRepulsive
        c.maxIterations = 7
        let layout = StudyLayout(directory: tmp + "/s")
        let sweep = FitStage.sweep(c, subset: "EVERYTHING", groups: nil, layout: layout,
                                   report: SweepReporter(info: { _ in }, error: { _ in }))
        XCTAssertEqual(sweep.options.minDist, 1.7)
        XCTAssertEqual(sweep.options.radialBasisSize, 12)
        XCTAssertEqual(sweep.options.radialBasisType, .chebyshevRepulsive)
        XCTAssertEqual(sweep.options.training.maxIterations, 7)
        XCTAssertEqual(sweep.options.levels, c.levels)
        XCTAssertFalse(sweep.options.grow)
        c.grow = true
        XCTAssertTrue(FitStage.sweep(c, subset: "EVERYTHING", groups: nil, layout: layout,
                                     report: SweepReporter(info: { _ in }, error: { _ in })).options.grow)
    }

    /// The study's ASSYST job asks for the stages the configuration names,
    /// and for none of the series when it names none.
    func testAssystJobCarriesTheAddedStages() {
        var c = StudyScale.small.configuration(element: "Mg", atomicVolume: 22.87, calculator: "eam:/x")
        var o = StudyAssyst.job(c, output: "/tmp/set.h5", threads: 1).options
        XCTAssertFalse(o.includes(.elastic) || o.includes(.eos) || o.includes(.phonon))
        XCTAssertEqual(o.perturbation.counts[.strain], 0)
        c.strainCopies = 3; c.elasticStructures = 2; c.eosStructures = 4; c.phononStructures = 5
        o = StudyAssyst.job(c, output: "/tmp/set.h5", threads: 1).options
        XCTAssertEqual(o.perturbation.counts[.strain], 3)
        XCTAssertEqual(o.elastic.structures, 2)
        XCTAssertEqual(o.volume.structures, 4)
        XCTAssertEqual(o.displacement.structures, 5)
        XCTAssertTrue(o.includes(.elastic) && o.includes(.eos) && o.includes(.phonon))
        XCTAssertEqual(o.displacement.copies, DisplacementSeriesOptions().copies)
        XCTAssertEqual(o.elastic.maxStrain, ElasticSeriesOptions().maxStrain)
        XCTAssertEqual(o.displacement.softModes, 0)
        c.elasticMaxStrain = 0.02; c.phononCopies = 12; c.phononSoftModes = 6
        o = StudyAssyst.job(c, output: "/tmp/set.h5", threads: 1).options
        XCTAssertEqual(o.elastic.maxStrain, 0.02)
        XCTAssertEqual(o.displacement.copies, 12)
        XCTAssertEqual(o.displacement.softModes, 6)
        XCTAssertEqual(StudySummary.assystSentence(c),
                       "ASSYST: \(c.minAtoms)-\(c.maxAtoms) atoms, \(c.spaceGroups.count) space groups, \(c.perturbations) TRIAX/SHEAR/RATTLE copies and 3 STRAIN copies per relaxed crystal, ELASTIC series of the 2 lowest-energy crystals up to 2 %, EOS series of the 4 lowest-energy crystals, PHONON: 12 displaced supercells of each of the 5 lowest-energy crystals, with the 6 softest reference modes of each frozen in, seed \(c.seed).")
        XCTAssertNoThrow(try c.check())
        for (edit, option) in [({ (c: inout StudyConfiguration) in c.elasticMaxStrain = 0.5 }, "--elastic-max-strain"),
                               ({ $0.phononCopies = 0 }, "--phonon-copies"), ({ $0.phononStructures = -1 }, "--phonon-structures"),
                               ({ $0.phononStructures = 0 }, "--phonon-soft-modes needs --phonon-structures")] {
            var bad = c
            edit(&bad)
            XCTAssertThrowsError(try bad.check()) { XCTAssertTrue("\($0)".contains(option), "\($0)") }
        }
        XCTAssertEqual(o.volume.minRatio, VolumeSeriesOptions().minRatio)
    }

    func testSubsetsResolveToGroups() throws {
        let groups = TrainingSubset.stages
        XCTAssertNil(try TrainingSubset.groups("EVERYTHING", available: groups))
        XCTAssertEqual(try TrainingSubset.groups("EVERYTHING-NO-SHEAR", available: groups),
                       ["RANDSPG", "VOLMIN", "CELLMIN", "INTMIN", "TRIAX", "RATTLE", "STRAIN", "ELASTIC", "EOS", "PHONON"])
        XCTAssertEqual(try TrainingSubset.groups("TRIAX", available: groups), ["TRIAX"])
        XCTAssertFalse(TrainingSubset.paper.contains("STRAIN"), "the paper's set has no STRAIN group")
        for added in ["ELASTIC", "EOS", "PHONON"] { XCTAssertFalse(TrainingSubset.paper.contains(added), added) }
        XCTAssertEqual(Array(TrainingSubset.paper.prefix(7)), ["RANDSPG", "VOLMIN", "CELLMIN", "INTMIN", "TRIAX", "SHEAR", "RATTLE"])
        XCTAssertFalse(TrainingSubset.paper.contains("ELASTIC"), "nor an ELASTIC one")
        XCTAssertFalse(TrainingSubset.paper.contains("EOS"), "nor an EOS one")
        XCTAssertEqual(try TrainingSubset.parse("everything,strain"), ["STRAIN", "EVERYTHING"])
        XCTAssertThrowsError(try TrainingSubset.groups("TRIAX", available: ["RANDSPG"])) {
            XCTAssertTrue("\($0)".contains("no such group"), "\($0)")
        }
        XCTAssertEqual(try TrainingSubset.parse("everything, volmin"), ["VOLMIN", "EVERYTHING"])
        XCTAssertThrowsError(try TrainingSubset.parse("VOLMIN,FOO")) { XCTAssertTrue("\($0)".contains("FOO"), "\($0)") }
        XCTAssertThrowsError(try TrainingSubset.parse(","))
    }

    func testManifestResumesTheSameConfigurationAndRefusesAnother() throws {
        let c = small()
        var m = try StudyManifest.open(directory: tmp, configuration: c)
        XCTAssertFalse(m.assystDone)
        m.assystSeconds = 12.5
        m.fitSeconds["VOLMIN"] = 3
        try m.write(to: tmp)
        let again = try StudyManifest.open(directory: tmp, configuration: c)
        XCTAssertEqual(again, m)
        XCTAssertTrue(again.assystDone && again.fitsDone("VOLMIN") && !again.fitsDone("RATTLE"))

        var other = c
        other.levels = [8, 16]
        other.maxIterations = 7
        XCTAssertThrowsError(try StudyManifest.open(directory: tmp, configuration: other)) { e in
            let s = "\(e)"
            XCTAssertTrue(s.contains(self.tmp) && s.contains("another configuration"), s)
            XCTAssertTrue(s.contains("levels: [8,12,16] before, [8,16] now"), s)
            XCTAssertTrue(s.contains("maxIterations: 30 before, 7 now"), s)
            XCTAssertFalse(s.contains("cutoffs"), s)
        }
        // A higher --max-iter alone continues the study: the done subsets are
        // reopened (their wall time kept), everything else stays.
        var longer = c
        longer.maxIterations = c.maxIterations + 20
        var extended = try StudyManifest.open(directory: tmp, configuration: longer)
        XCTAssertEqual(extended.configuration, longer)
        XCTAssertEqual(extended.reopenedSubsets, ["VOLMIN"])
        XCTAssertTrue(extended.assystDone && !extended.fitsDone("VOLMIN"))
        XCTAssertEqual(extended.fitSeconds["VOLMIN"], 3)
        extended.reopenedSubsets?.removeAll { $0 == "VOLMIN" }
        XCTAssertTrue(extended.fitsDone("VOLMIN"))
        // A higher limit with another change, or a lower limit, is refused.
        var both = longer
        both.levels = [8, 16]
        XCTAssertThrowsError(try StudyManifest.open(directory: tmp, configuration: both))
        var shorter = c
        shorter.maxIterations = c.maxIterations - 1
        XCTAssertThrowsError(try StudyManifest.open(directory: tmp, configuration: shorter)) {
            XCTAssertTrue("\($0)".contains("maxIterations: 30 before, 29 now"), "\($0)")
        }
        try "garbage".write(toFile: StudyManifest.path(in: tmp), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try StudyManifest.open(directory: tmp, configuration: c)) {
            XCTAssertTrue("\($0)".contains("study.json"), "\($0)")
        }
    }

    func testProgressEstimatesTimeLeftFromWorkDone() {
        let start = Date(timeIntervalSince1970: 1000)
        var p = StudyProgress(stage: "fits", total: 10, start: start)
        XCTAssertNil(p.secondsLeft(now: start.addingTimeInterval(5)))
        XCTAssertTrue(p.line("x", now: start).contains("unknown"))
        p.add(2.5)
        XCTAssertEqual(p.secondsLeft(now: start.addingTimeInterval(10))!, 30, accuracy: 1e-9)
        XCTAssertTrue(p.line("x", now: start.addingTimeInterval(10)).contains("~30 s left"), p.line("x"))
    }

    func row(_ name: String, _ error: Double?) -> StudyValidationRecord.Row {
        StudyValidationRecord.Row(property: "p", name: name, unit: "u", reference: nil, value: nil, error: error, note: nil)
    }

    func record(_ fit: StudyFit, rows: [StudyValidationRecord.Row], all: Double) -> StudyValidationRecord {
        let g = { (name: String, e: Double) in
            GroupErrorRow(group: name, configurations: 3, energyRMSE: e, energyMAE: e, energyMax: e, forceRMSE: 0.1, forceMAE: 0.1,
                          forceMax: 0.1, stressRMSE: 0.2, stressMAE: 0.2, stressMax: 0.2)
        }
        return StudyValidationRecord(fit: fit, potentialBytes: 1, potentialModified: 1, rows: rows,
                                     groupErrors: [g("VOLMIN", all / 2), g("RATTLE", all * 2), g("(all)", all)], seconds: 1)
    }

    func testValidationRecordMeansNeedEveryLattice() {
        let fit = StudyFit(subset: "VOLMIN", level: 8, cutoff: 5.2)
        var rows = ["hcp", "fcc", "dhcp", "bcc"].enumerated().map { row("E-V \($0.element) +-10%", Double($0.offset + 1)) }
        rows += [row("vacancy formation energy hcp (54 sites)", 0.1), row("vacancy formation energy fcc (27 sites)", -0.3),
                 row("vacancy max displacement hcp", 5)]
        let r = record(fit, rows: rows, all: 4)
        XCTAssertEqual(r.energyVolumeRMSE(range: "+-10%")!, 2.5, accuracy: 1e-12)
        XCTAssertNil(r.energyVolumeRMSE(range: "+-80%"))
        XCTAssertEqual(r.vacancyMAE!, 0.2, accuracy: 1e-12)
        var missing = r
        missing.rows[4].error = nil
        XCTAssertNil(missing.vacancyMAE)
        missing.rows[0].error = .nan
        XCTAssertNil(missing.energyVolumeRMSE(range: "+-10%"))

        // A record belongs to the potential it was made from.
        let pot = tmp + "/p.mtp", json = tmp + "/p.json"
        FileManager.default.createFile(atPath: pot, contents: Data("abc".utf8))
        let (bytes, modified) = StudyValidationRecord.fileStamp(pot)!
        var stamped = r
        stamped.potentialBytes = bytes
        stamped.potentialModified = modified
        XCTAssertNoThrow(try JSONFile.write(stamped, to: json))
        XCTAssertNotNil(StudyValidationRecord.current(at: json, fit: fit, potential: pot))
        XCTAssertNil(StudyValidationRecord.current(at: json, fit: StudyFit(subset: "RATTLE", level: 8, cutoff: 5.2), potential: pot))
        FileManager.default.createFile(atPath: pot, contents: Data("abcd".utf8))
        XCTAssertNil(StudyValidationRecord.current(at: json, fit: fit, potential: pot))
    }

    /// Figures from made-up results: every data file, the Pareto front on
    /// (cost, whole-set error), and missing results as NaN.
    func testFiguresWriteTheirDataFromResults() throws {
        var c = small()
        c.subsets = ["VOLMIN", "EVERYTHING"]
        c.levels = [8, 12]
        c.cutoffs = [5.2]
        c.figureLevels = [12]
        var results: [StudyResult] = []
        for fit in c.fits where fit != StudyFit(subset: "VOLMIN", level: 12, cutoff: 5.2) {
            let e = Double(fit.level == 8 ? 10 : 5) * (fit.subset == "VOLMIN" ? 3 : 1)
            let rows = ["hcp", "fcc", "dhcp", "bcc"].flatMap { [row("E-V \($0) +-10%", e), row("E-V \($0) +-80%", 10 * e),
                                                                row("vacancy formation energy \($0) (8 sites)", e / 100)] }
            results.append(StudyResult(fit: fit, record: nil, validation: record(fit, rows: rows, all: e)))
        }
        results.append(StudyResult(fit: StudyFit(subset: "VOLMIN", level: 12, cutoff: 5.2), record: nil, validation: nil))
        let dir = tmp + "/figures"
        let drawn = try StudyFigures.render(results, configuration: c, directory: dir)
        XCTAssertEqual(Set(drawn.map(\.name)), ["fig4-rmse-vs-level", "fig4-full-set-rmse-vs-level", "fig5-cost-vs-error",
                                                "fig6-ev-near-vs-level", "fig6-ev-far-vs-level", "fig10-vacancy-mae-vs-level",
                                                "fig14-groups-L12-c5.20"])
        func lines(_ name: String) throws -> [[String]] {
            try String(contentsOfFile: dir + "/\(name).dat", encoding: .utf8).split(separator: "\n")
                .filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").map(String.init) }
        }
        // Whole-set RMSE: level 8: VOLMIN 30, EVERYTHING 10; level 12: VOLMIN missing, EVERYTHING 5.
        XCTAssertEqual(try lines("fig4-full-set-rmse-vs-level"), [["8", "30", "10"], ["12", "NaN", "5"]])
        XCTAssertEqual(try lines("fig10-vacancy-mae-vs-level"), [["8", "0.3", "0.1"], ["12", "NaN", "0.05"]])
        XCTAssertEqual(try lines("fig6-ev-far-vs-level")[0], ["8", "300", "100"])
        // Fig. 14 at level 12: groups in order, then all; VOLMIN's column NaN (no result).
        let g = try lines("fig14-groups-L12-c5.20")
        XCTAssertEqual(g.map { $0[1] }, ["VOLMIN", "RATTLE", "all"])
        XCTAssertEqual(g[2][2], "NaN")
        XCTAssertEqual(g[2][3], "5")
        // No costs: no point takes part in the front.
        XCTAssertTrue(try lines("fig5-cost-vs-error").isEmpty)

        // Costs: equal potentials (level, cutoff) share their best measurement, so
        // timing noise does not decide the front; the front is then by error alone at equal cost.
        var timed = results
        for i in timed.indices { timed[i].cost = timed[i].fit.level == 8 ? (timed[i].fit.subset == "VOLMIN" ? 1.0 : 1.2) : 3.0 }
        timed = StudyResult.sharingCosts(timed)
        XCTAssertEqual(timed.map { $0.cost }, [1.0, 1.0, 3.0, 3.0])
        _ = try StudyFigures.render(timed, configuration: c, directory: dir)
        let cost = try lines("fig5-cost-vs-error")
        XCTAssertEqual(cost.count, 3)   // VOLMIN/L12 has no whole-set error
        // Front: EVERYTHING L8 (cost 1, 10 meV/atom), EVERYTHING L12 (cost 3, 5); VOLMIN L8 (cost 1, 30) off it.
        XCTAssertEqual(cost.filter { $0[2] != "NaN" }.map { $0[6] }, ["EVERYTHING/L8/5.2", "EVERYTHING/L12/5.2"])
        XCTAssertTrue(try String(contentsOfFile: dir + "/fig5-cost-vs-error.gp", encoding: .utf8).contains("set logscale x"))

        let summary = StudySummary.markdown(results, manifest: StudyManifest(configuration: c), figures: drawn, directory: tmp)
        XCTAssertTrue(summary.contains("| VOLMIN | 12 | 5.20 | - | not fitted |"), summary)
        XCTAssertTrue(summary.contains("fig14-groups-L12-c5.20"), summary)
    }
}
