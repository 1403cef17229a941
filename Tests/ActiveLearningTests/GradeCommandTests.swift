import XCTest
import CommandLineTesting
import Foundation
import Atomistic

/// `mtp grade` and `mtp select-add` as users run them.
final class GradeCommandTests: TemporaryDirectoryTestCase {
    typealias Run = MTPExecutable.Run

    func mtp(_ args: String...) throws -> Run { try MTPExecutable.run(args) }

    func path(_ name: String) -> String { tmpURL.appendingPathComponent(name).path }

    func grades(_ file: String) throws -> [Double] {
        try CFGFormat.read(path: file).map { c in Double(c.features.first { $0.key == "MV_grade" }!.value)! }
    }

    func testGradeWritesFeaturesReusesTheSetAndRecomputesAStaleOne() throws {
        let pot = path("pot.mtp")
        try FileManager.default.copyItem(atPath: fixture("cubic-10.mtp"), toPath: pot)
        let train = fixture("cubic-60.cfg")
        // Candidates: ten training configurations, then the same ten compressed by 15 %.
        var configs = Array(try CFGFormat.read(path: train).prefix(10))
        configs += configs.map { $0.scaled(0.85) }
        let input = path("in.cfg")
        try CFGFormat.write(configs, to: input, style: .mlip)

        let first = try mtp("grade", pot, train, input, path("out.cfg"), "--per-atom")
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertTrue(first.out.contains("chosen by MaxVol"), first.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: pot + ".activeset"))
        let g = try grades(path("out.cfg"))
        XCTAssertEqual(g.count, 20)
        XCTAssertLessThanOrEqual(g[0..<10].max()!, 1 + 1e-6)
        XCTAssertGreaterThan(g[10..<20].min()!, 2)
        let out = try CFGFormat.read(path: path("out.cfg"))
        let nbh = out[12].atomProperties.first { $0.name == "nbh_grades" }!.values
        XCTAssertEqual(nbh.count, out[12].atomCount)
        XCTAssertEqual(nbh.max()!, g[12], accuracy: 1e-6 * g[12])

        // Same inputs: the saved set is reused and gives the same grades.
        let second = try mtp("grade", pot, train, input, path("out2.cfg"), "--per-atom")
        XCTAssertEqual(second.status, 0, second.err)
        XCTAssertTrue(second.out.contains("(current:"), second.out)
        XCTAssertEqual(try grades(path("out2.cfg")), g)

        // Another training set: the set is recomputed.
        let smaller = path("train40.cfg")
        try CFGFormat.write(Array(try CFGFormat.read(path: train).prefix(40)), to: smaller, style: .full)
        let third = try mtp("grade", pot, smaller, input, path("out3.cfg"), "--per-atom")
        XCTAssertEqual(third.status, 0, third.err)
        XCTAssertTrue(third.out.contains("chosen by MaxVol"), third.out)

        // select-add: from the 20, only compressed ones, at most 3.
        let sel = try mtp("select-add", pot, train, input, "-o", path("new.cfg"), "--limit", "3")
        XCTAssertEqual(sel.status, 0, sel.err)
        let chosen = try CFGFormat.read(path: path("new.cfg"))
        XCTAssertGreaterThan(chosen.count, 0)
        XCTAssertLessThanOrEqual(chosen.count, 3)
        for c in chosen { XCTAssertGreaterThan(Double(c.features.first { $0.key == "MV_grade" }!.value)!, 2) }
    }

    func testBadInputsFailWithTheirPlace() throws {
        let pot = fixture("cubic-10.mtp")
        let train = fixture("cubic-60.cfg")
        let missing = try mtp("grade", pot, train, path("none.cfg"), path("out.cfg"), "--active-set", path("a.activeset"))
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("none.cfg"), missing.err)

        let twoSpecies = path("two.cfg")
        var c = try CFGFormat.read(path: train)[0]
        c.species[3] = 1
        try CFGFormat.write([c], to: twoSpecies, style: .full)
        let species = try mtp("grade", pot, train, twoSpecies, path("out.cfg"), "--active-set", path("a.activeset"))
        XCTAssertEqual(species.status, 1)
        XCTAssertTrue(species.err.contains("two.cfg") && species.err.contains("atom 4"), species.err)

        let weights = try mtp("grade", pot, train, train, path("out.cfg"), "--per-atom", "--energy-weight", "1")
        XCTAssertNotEqual(weights.status, 0)
        XCTAssertTrue(weights.err.contains("--nbh-weight"), weights.err)

        let damaged = path("bad.activeset")
        try "mtp-active-set 1\npotential_digest zz\n".write(toFile: damaged, atomically: true, encoding: .utf8)
        // A damaged set is not current: it is recomputed and overwritten.
        let redo = try mtp("grade", pot, train, train, path("out.cfg"), "--active-set", damaged)
        XCTAssertEqual(redo.status, 0, redo.err)
        XCTAssertTrue(try String(contentsOfFile: damaged, encoding: .utf8).contains("projection"))
    }
}
