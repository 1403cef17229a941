import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore
@testable import ActiveLearning

/// The library flow behind `mtp grade` and `mtp select-add`, in one process:
/// the saved set is built once and then reused, the output holds exactly
/// the grades the set gives, and the summaries count what the files hold.
final class GradingTests: TemporaryDirectoryTestCase {
    func path(_ name: String) -> String { tmpURL.appendingPathComponent(name).path }

    func testStoreGradingAndSelectionAgreeWithTheSet() throws {
        let comm = Communicator.start()
        let pot = path("pot.mtp")
        try FileManager.default.copyItem(atPath: fixture("cubic-10.mtp"), toPath: pot)
        let train = fixture("cubic-60.cfg")
        let store = ActiveSetStore(potentialPath: pot, training: ShardSource(path: train),
                                   options: ActiveSetOptions(rows: .neighbourhood))
        var lines: [String] = []
        let set = try store.load(comm) { lines.append($0) }
        XCTAssertTrue(lines[0].contains("chosen by MaxVol") && lines[0].hasSuffix(pot + ".activeset"), lines[0])
        lines = []
        let again = try store.load(comm) { lines.append($0) }
        XCTAssertTrue(lines[0].contains("(current:"), lines[0])
        XCTAssertEqual(again.selected, set.selected)

        // Five training configurations, then the same five compressed by 15 %.
        var configs = Array(try CFGFormat.read(path: train).prefix(5))
        configs += configs.map { $0.scaled(0.85) }
        let input = path("in.cfg")
        try CFGFormat.write(configs, to: input, style: .mlip)

        let out = path("out.cfg")
        let summary = try Grading(input: ShardSource(path: input), output: out, perAtom: true, selectThreshold: 1.001,
                                  breakThreshold: 2).run(set, comm)
        // Against the configurations as the file holds them (MLIP's digits).
        let expected = try CFGFormat.read(path: input).map { try set.grades(of: $0) }
        let written = try CFGFormat.read(path: out)
        XCTAssertEqual(written.count, 10)
        for (c, g) in zip(written, expected) {
            XCTAssertEqual(c.features.first { $0.key == "MV_grade" }?.value, ActiveSet.Grades.text(g.grade))
            XCTAssertEqual(c.atomProperties.first { $0.name == "nbh_grades" }!.values.count, c.atomCount)
        }
        let grades = expected.map(\.grade)
        XCTAssertEqual(summary.count, 10)
        XCTAssertEqual(summary.minimum, grades.min())
        XCTAssertEqual(summary.maximum, grades.max())
        XCTAssertEqual(summary.median, grades.sorted()[5])
        XCTAssertEqual(summary.selected, grades.filter { $0 > 1.001 }.count)
        XCTAssertEqual(summary.broken, grades.filter { $0 > 2 }.count)
        XCTAssertGreaterThan(summary.broken, 0)

        let chosenPath = path("new.cfg")
        let selection = try CandidateSelection(candidates: ShardSource(path: input), output: chosenPath, threshold: 1.001,
                                               limit: 2).run(set, comm)
        let chosen = try CFGFormat.read(path: chosenPath)
        XCTAssertEqual(chosen.count, selection.chosen)
        XCTAssertGreaterThan(selection.chosen, 0)
        XCTAssertLessThanOrEqual(selection.chosen, 2)
        XCTAssertEqual(selection.candidates, 10)
        // Only compressed candidates extrapolate, so only they are chosen.
        for c in chosen { XCTAssertGreaterThan(Double(c.features.first { $0.key == "MV_grade" }!.value)!, 1.001) }
    }

    func testSpeciesOutsideThePotentialAreNamedWithTheirPlace() throws {
        let comm = Communicator.start()
        var c = try CFGFormat.read(path: fixture("cubic-60.cfg"))[0]
        c.species[2] = 3
        let input = path("bad.cfg")
        try CFGFormat.write([c], to: input, style: .full)
        let pot = try MTPFile.read(path: fixture("cubic-10.mtp"))
        let shard = try ShardSource(path: input).read(comm)
        XCTAssertThrowsError(try shard.checkSpecies(of: pot, file: input)) { error in
            XCTAssertTrue("\(error)".contains("bad.cfg") && "\(error)".contains("configuration 1") && "\(error)".contains("atom 3"),
                          "\(error)")
        }
    }
}
