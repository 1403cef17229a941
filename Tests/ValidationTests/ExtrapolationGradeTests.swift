import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import MTP
import Reference
import ActiveLearning
@testable import Validation

/// Extrapolation grades in validation: every structure an MTP evaluates is
/// graded against the active set of its training set, and the report says
/// where it extrapolates. The potential is the level-8 Cu MTP of the CLI
/// fixtures on magnesium cells; its "training set" is the E-V points of
/// the small volume range, so that the grades inside that range are known
/// to be at most 1 and the strongly compressed points are not.
final class ExtrapolationGradeTests: XCTestCase {
    static var potentialFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLITests/Fixtures/cu-08.mtp").path
    }
    static var trainingFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CLITests/Fixtures/cu-3.cfg").path
    }

    func eamSource(_ name: String) -> CalculatorSource {
        let f = ValidationTests.eamFile
        return CalculatorSource(name: name, make: { try EAMCalculator(file: f) }, gradeNote: "grade: not available (not an MTP)")
    }

    /// The reference's lattices as the Validator relaxes them, and the
    /// E-V structures of the small range on them: the training set.
    func referenceAndTraining() throws -> (Equilibrium, [Configuration]) {
        let eq = try Equilibrium.find(with: try EAMCalculator(file: ValidationTests.eamFile), start: (3.18, 1.62), settings: .quick)
        let small = EnergyVolume.ranges(.quick)[0].label
        let training = EnergyVolume.structures(reference: eq, settings: .quick).filter { $0.parameters["range"] == small }.map(\.configuration)
        return (eq, training)
    }

    func testEveryEvaluatedStructureIsGradedAndTheReportSaysWhereItExtrapolates() throws {
        let (eq, training) = try referenceAndTraining()
        let pot = try MTPFile.read(path: Self.potentialFile)
        let set = try ActiveSet.build(potential: pot, local: training, first: 0, totalCount: training.count, options: ActiveSetOptions())
        let mtp = CalculatorSource(name: "mtp", make: { try MTPCalculator(pot) }, grader: set.graderFactory())
        var validator = Validator(reference: eamSource("eam"), potentials: [mtp, eamSource("eam copy")], mass: ValidationTests.mgMass,
                                  startLattice: (3.18, 1.62), settings: .quick)
        validator.properties = [EquilibriumProperty(), EnergyVolumeProperty(), StrainsProperty()]
        let report = try validator.run()

        // E-V: every point graded, with exactly the grades the set gives the property's structures.
        let structures = EnergyVolume.structures(reference: eq, settings: .quick)
        let ev = try XCTUnwrap(report.results[1].grades["energy-volume"])
        XCTAssertEqual(ev.evaluated, structures.count)
        XCTAssertEqual(ev.graded, structures.count)
        let expected = try structures.map { try set.grade(of: $0.configuration) }
        XCTAssertEqual(ev.maximum!, expected.max()!, accuracy: 1e-9 * expected.max()!)
        XCTAssertEqual(ev.extrapolating, expected.filter { $0 > 1.001 }.count)
        XCTAssertEqual(ev.strong, expected.filter { $0 > 2 }.count)

        // Inside the training range at most 1; the most compressed cells (0.2 V0) extrapolate.
        let points = try XCTUnwrap(ev.points)
        XCTAssertEqual(points.count, structures.count)
        let inside = points.filter { $0.point.value > 0.9 - 1e-9 && $0.point.value < 1.1 + 1e-9 }
        XCTAssertGreaterThanOrEqual(inside.count, 30)
        for p in inside { XCTAssertLessThanOrEqual(p.grade, 1 + 1e-6, "\(p.point)") }
        let compressed = points.filter { $0.point.value < 0.25 }
        XCTAssertFalse(compressed.isEmpty)
        for p in compressed { XCTAssertGreaterThan(p.grade, 1.001, "\(p.point)") }
        XCTAssertGreaterThan(ev.maximum!, 2)
        let hcp = try XCTUnwrap(ev.onsets?.first { $0.series == "hcp" })
        XCTAssertEqual(hcp.lowest, 0.2, accuracy: 1e-9)
        XCTAssertEqual(hcp.highest, 1.8, accuracy: 1e-9)
        let below = try XCTUnwrap(hcp.below)
        XCTAssertLessThan(below, 0.9)
        XCTAssertGreaterThanOrEqual(below, 0.2 - 1e-9)

        // Strains and the equilibrium relaxation are graded too; the strains on their six components.
        let strains = try XCTUnwrap(report.results[1].grades["strains"])
        XCTAssertEqual(strains.graded, Strains.structures(reference: eq, settings: .quick).count)
        XCTAssertEqual(strains.onsets?.map(\.series), Strains.axes.sorted())
        XCTAssertGreaterThan(report.results[1].grades[EquilibriumProperty.identifier]?.graded ?? 0, 0)

        // The EAM potential and the reference are not graded, and the report says so.
        XCTAssertTrue(report.results[2].grades.isEmpty)
        XCTAssertTrue(report.results[0].grades.isEmpty)
        let section = report.gradeSection
        XCTAssertTrue(section.contains("| energy-volume | mtp | \(structures.count) | \(structures.count) |"), section)
        XCTAssertTrue(section.contains("hcp: V/V0 <= "), section)
        XCTAssertTrue(section.contains("`eam copy`: not graded"), section)
        XCTAssertTrue(report.summary.contains("max extrapolation grade"), report.summary)

        // report.md carries the section; the grades along E-V and strains are plotted with their data.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mtp-grades-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try report.write(to: dir, title: "grades")
        XCTAssertTrue(try String(contentsOfFile: dir + "/report.md", encoding: .utf8).contains(section))
        let dat = try String(contentsOfFile: dir + "/grades-energy-volume.dat", encoding: .utf8)
        XCTAssertTrue(dat.hasPrefix("# V_over_V0 grade_bcc_mtp grade_dhcp_mtp grade_fcc_mtp grade_hcp_mtp threshold_1\n"), dat)
        let rows = dat.split(separator: "\n").dropFirst().map { $0.split(separator: " ").map { Double($0) ?? .nan } }
        let compressedRow = try XCTUnwrap(rows.first { abs($0[0] - 0.2) < 1e-9 })
        XCTAssertGreaterThan(compressedRow[4], 1.001)      // hcp at 0.2 V0
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/grades-strains.dat"))

        let json = try JSONSerialization.jsonObject(with: report.json) as! [String: Any]
        let grades = try XCTUnwrap(json["grades"] as? [String: [String: Any]])
        XCTAssertEqual(Set(grades["mtp"]!.keys), ["equilibrium", "energy-volume", "strains"])
        XCTAssertNotNil((json["notGraded"] as? [String: String])?["eam copy"])
    }

    /// Without a grader nothing is recorded and the report has no grade section.
    func testUngradedValidationHasNoGradeSection() throws {
        var validator = Validator(reference: eamSource("eam"), potentials: [eamSource("eam copy")], mass: ValidationTests.mgMass,
                                  startLattice: (3.18, 1.62), settings: .quick)
        validator.properties = [EquilibriumProperty(), StrainsProperty()]
        let report = try validator.run()
        XCTAssertTrue(report.results.allSatisfy { $0.grades.isEmpty })
        XCTAssertEqual(report.gradeSection, "")
        XCTAssertNil((try JSONSerialization.jsonObject(with: report.json) as! [String: Any])["grades"])
    }

    /// Each strained cell is recognised on its own component at its own
    /// strain, each E-V point on its lattice at its V/V0; other cells on neither.
    func testAxisPointsRecogniseThePropertiesOwnStructures() throws {
        let (eq, _) = try referenceAndTraining()
        for s in Strains.structures(reference: eq, settings: .quick) {
            let p = try XCTUnwrap(StrainsProperty().axisPoint(of: s.configuration, reference: eq), s.name)
            let e = Double(s.parameters["strain"]!)!
            XCTAssertEqual(p.value, e, accuracy: 1e-12)
            XCTAssertEqual(p.series, abs(e) < 1e-12 ? nil : s.parameters["component"], s.name)
        }
        for s in EnergyVolume.structures(reference: eq, settings: .quick) {
            let p = try XCTUnwrap(EnergyVolumeProperty().axisPoint(of: s.configuration, reference: eq), s.name)
            let kind = LatticeKind(rawValue: s.parameters["lattice"]!)!
            XCTAssertEqual(p.series, kind.rawValue)
            XCTAssertEqual(p.value, Double(s.parameters["volume_per_atom_A3"]!)! / eq.volumePerAtom(kind), accuracy: 1e-9)
        }
        var sheared = eq.cell(.hcp)
        sheared.cell[0].y += 0.3
        XCTAssertNil(StrainsProperty().axisPoint(of: sheared, reference: eq))
        XCTAssertNil(EnergyVolumeProperty().axisPoint(of: sheared, reference: eq))
    }

    /// A long run is thinned evenly: the first evaluation and every
    /// stride-th after it, fewer than twice the capacity.
    func testRecordingThinsLongRunsEvenly() throws {
        let (eq, _) = try referenceAndTraining()
        let recorder = RecordingCalculator(try EAMCalculator(file: ValidationTests.eamFile), capacity: 4)
        let base = eq.cell(.fcc)
        for k in 0..<37 {
            var c = base
            c.positions[0].x += 1e-3 * Double(k)
            _ = try recorder.calculate(c)
        }
        XCTAssertEqual(recorder.evaluated, 37)
        XCTAssertEqual(recorder.stride, 8)
        XCTAssertEqual(recorder.kept.map { ($0.positions[0].x - base.positions[0].x) / 1e-3 }.map { Int($0.rounded()) }, [0, 8, 16, 24, 32])
    }

    func testOnsetsLookOutwardsFromTheCentre() {
        func p(_ s: String?, _ v: Double, _ g: Double) -> GradedPoint { GradedPoint(point: AxisPoint(series: s, value: v), grade: g) }
        let points = [p("xx", -0.6, 9), p("xx", -0.3, 1.5), p("xx", -0.1, 0.9), p(nil, 0, 0.5), p("xx", 0.3, 0.9), p("xx", 0.6, 3),
                      p("yy", -0.6, 0.8), p("yy", 0.6, 0.8)]
        let o = ExtrapolationOnset.of(points, centre: 0, threshold: 1.001)
        XCTAssertEqual(o, [ExtrapolationOnset(series: "xx", below: -0.3, above: 0.6, lowest: -0.6, highest: 0.6),
                           ExtrapolationOnset(series: "yy", below: nil, above: nil, lowest: -0.6, highest: 0.6)])
        XCTAssertEqual(o[0].text(axis: "strain"), "xx: strain <= -0.3 and >= 0.6")
        XCTAssertEqual(o[1].text(axis: "strain"), "yy: none in -0.6 ... 0.6")
        // A centre reached with rounding is the centre, on both sides.
        let c = ExtrapolationOnset.of([p("hcp", 0.6, 0.9), p("hcp", 1 - 1e-12, 3), p("hcp", 1.4, 0.9)], centre: 1, threshold: 1.001)
        XCTAssertEqual(c, [ExtrapolationOnset(series: "hcp", below: 1, above: 1, lowest: 0.6, highest: 1.4)])
        XCTAssertEqual(c[0].text(axis: "V/V0"), "hcp: at the reference cell already (V/V0 = 1)")
    }
}

/// `mtp validate --training` as users run it.
final class ValidateTrainingCommandTests: TemporaryDirectoryTestCase {
    func testTrainingGradesTheMTPAndCachesItsActiveSet() throws {
        let pot = tmp + "/cu.mtp"
        try FileManager.default.copyItem(atPath: ExtrapolationGradeTests.potentialFile, toPath: pot)
        let eam = "eam:" + ValidationTests.eamFile
        let args = ["validate", pot, eam, "--reference", eam, "--training", ExtrapolationGradeTests.trainingFile,
                    "--properties", "ev", "--quick", "--lattice", "hcp:3.18,1.62", "--out", tmp + "/report"]
        var r = try MTPExecutable.run(args)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("chosen by MaxVol"), r.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: pot + ".activeset"))
        XCTAssertTrue(r.out.contains("max extrapolation grade"), r.out)
        let md = try String(contentsOfFile: tmp + "/report/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("## Extrapolation grades"), md)
        XCTAssertTrue(md.contains("| energy-volume | \(pot) |"), md)
        XCTAssertTrue(md.contains("`\(eam)`: not graded"), md)
        r = try MTPExecutable.run(args)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("(current:"), r.out)

        // A training set that cannot be read: one line naming it.
        // --training without an MTP to grade is refused.
        r = try MTPExecutable.run(["validate", eam, "--reference", eam, "--training", ExtrapolationGradeTests.trainingFile, "--out", tmp + "/x"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("--training"), r.err)
        r = try MTPExecutable.run(["validate", pot, "--reference", eam, "--training", tmp + "/missing.cfg", "--quick", "--out", tmp + "/x"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("missing.cfg"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
    }
}
