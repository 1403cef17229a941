import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import MTP

/// The `mtp` executable as users run it: exit status, messages, files.
final class CLITests: TemporaryDirectoryTestCase {
    typealias Run = MTPExecutable.Run

    func mtp(_ args: String...) throws -> Run { try MTPExecutable.run(args) }

    func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = tmpURL.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testVersionAndHelp() throws {
        let v = try mtp("--version")
        XCTAssertEqual(v.status, 0)
        XCTAssertTrue(v.out.contains("mtp "), v.out)
        let h = try mtp("calc-efs", "--help")
        XCTAssertEqual(h.status, 0)
        XCTAssertTrue(h.out.contains("PlusStress"))
    }

    func testCalcEFSWritesMLIPOutput() throws {
        let out = tmpURL.appendingPathComponent("out.cfg").path
        let r = try mtp("calc-efs", fixture("cu-08.mtp"), fixture("cu-3.cfg"), out)
        XCTAssertEqual(r.status, 0, r.err)
        let got = try CFGFormat.read(path: out), want = try CFGFormat.read(path: fixture("cu-3.cfg"))
        XCTAssertEqual(got.count, 3)
        for (g, w) in zip(got, want) {
            XCTAssertEqual(g.energy!, w.energy!, accuracy: 2e-12)
            for (a, b) in zip(g.forces!, w.forces!) { XCTAssertEqual(norm(a - b), 0, accuracy: 1e-6) }
        }
        // check-errors against MLIP's own labels: agreement to printed digits.
        let c = try mtp("check-errors", fixture("cu-08.mtp"), fixture("cu-3.cfg"))
        XCTAssertEqual(c.status, 0, c.err)
        XCTAssertTrue(c.out.contains("meV/atom"), c.out)
    }

    func testBasisCountsForEveryLevel() throws {
        let table = [2: 1, 4: 2, 6: 5, 8: 9, 10: 16, 12: 29, 14: 52, 16: 92, 18: 163, 20: 288,
                     22: 500, 24: 864, 26: 1464, 28: 2445]
        for (level, count) in table.sorted(by: { $0.key < $1.key }) {
            let path = tmpURL.appendingPathComponent("\(level).mtp").path
            let r = try mtp("basis", "--level", "\(level)", "--min-dist", "1.5", "--max-dist", "5", "-o", path)
            XCTAssertEqual(r.status, 0, r.err)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertTrue(text.contains("alpha_scalar_moments = \(count)\n"), "level \(level)")
        }
    }

    /// One bad input: non-zero exit, one line naming the file (and line), no output file.
    func assertFails(_ args: [String], mentions: [String], output: String? = nil,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let p = Process()
        p.executableURL = MTPExecutable.url
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0, "expected failure: \(args)", file: file, line: line)
        XCTAssertEqual(e.split(separator: "\n").count, 1, "one line: \(e)", file: file, line: line)
        XCTAssertFalse(e.contains("Fatal error"), e, file: file, line: line)
        for m in mentions { XCTAssertTrue(e.contains(m), "'\(m)' not in: \(e)", file: file, line: line) }
        if let output { XCTAssertFalse(FileManager.default.fileExists(atPath: output), "partial output left", file: file, line: line) }
    }

    func testBadInputsAreClearErrors() throws {
        let good = try String(contentsOfFile: fixture("cu-3.cfg"), encoding: .utf8)
        let lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let pot = fixture("cu-08.mtp")
        let out = tmpURL.appendingPathComponent("never.cfg").path

        // Truncated in the middle of the atom lines.
        let truncated = try write("truncated.cfg", lines[0..<20].joined(separator: "\n"))
        try assertFails(["calc-efs", pot, truncated, out], mentions: [truncated + ":"], output: out)

        // Wrong count: Size says 33 but 32 atom lines follow.
        var wrong = lines
        wrong[2] = "    33"
        let wrongPath = try write("wrong-count.cfg", wrong.joined(separator: "\n"))
        try assertFails(["calc-efs", pot, wrongPath, out], mentions: [wrongPath + ":"], output: out)

        // Unparsable number in atom 2 (line 10).
        var garbled = lines
        garbled[9] = garbled[9].replacingOccurrences(of: "1.805000", with: "1.8x5000")
        let garbledPath = try write("garbled.cfg", garbled.joined(separator: "\n"))
        try assertFails(["calc-efs", pot, garbledPath, out], mentions: [garbledPath + ":10:"], output: out)

        // NaN position.
        var nan = lines
        nan[9] = nan[9].replacingOccurrences(of: "1.805000", with: "nan")
        let nanPath = try write("nan.cfg", nan.joined(separator: "\n"))
        try assertFails(["calc-efs", pot, nanPath, out], mentions: [nanPath + ":10:"], output: out)

        // A species the potential does not have (atom 3 of configuration 1 is on line 11).
        var species = lines
        let fields = species[10].split(separator: " ", omittingEmptySubsequences: true)
        species[10] = species[10].replacingOccurrences(of: " \(fields[1]) ", with: " 4 ")
        let speciesPath = try write("species.cfg", species.joined(separator: "\n"))
        try assertFails(["calc-efs", pot, speciesPath, out], mentions: [speciesPath + ":11:", "species_count 1"], output: out)

        // A singular cell: the second lattice vector repeats the first.
        var singular = lines
        singular[5] = singular[4]
        let singularPath = try write("singular.cfg", singular.joined(separator: "\n"))
        try assertFails(["calc-efs", pot, singularPath, out], mentions: [singularPath + ":"], output: out)

        // Overlapping atoms: atom 2 moved onto atom 1.
        var overlap = lines
        overlap[9] = "             2    0       0.000000      0.000000      0.000000     0.000000    0.000000    0.000000"
        let overlapPath = try write("overlap.cfg", overlap.joined(separator: "\n"))
        try assertFails(["calc-efs", pot, overlapPath, out], mentions: [overlapPath + ":", "overlap"], output: out)

        // A potential with the wrong number of moment coefficients.
        let potText = try String(contentsOfFile: pot, encoding: .utf8)
        let badPot = try write("bad.mtp", potText.replacingOccurrences(of: "moment_coeffs = {", with: "moment_coeffs = {1.0, "))
        try assertFails(["calc-efs", badPot, fixture("cu-3.cfg"), out], mentions: [badPot + ":", "moment_coeffs"], output: out)

        // An untrained potential cannot be evaluated.
        let untrained = tmpURL.appendingPathComponent("untrained.mtp").path
        XCTAssertEqual(try mtp("basis", "--level", "8", "--min-dist", "1", "--max-dist", "5", "-o", untrained).status, 0)
        try assertFails(["calc-efs", untrained, fixture("cu-3.cfg"), out], mentions: [untrained, "untrained"], output: out)

        // A missing file.
        try assertFails(["calc-efs", pot, tmpURL.appendingPathComponent("missing.cfg").path, out], mentions: ["missing.cfg"], output: out)
    }
}

/// Training sets in HDF5 and training, as users run them.
extension CLITests {
    func path(_ n: String) -> String { tmpURL.appendingPathComponent(n).path }
    var cli: CLITests { self }

    func testConvertRoundTripAndDataInfo() throws {
        let cfg = cli.fixture("cu-3.cfg")
        XCTAssertEqual(try cli.mtp("convert", cfg, "--species", "Cu", "--group", "BULK", "-o", path("s.h5")).status, 0)
        // Appending needs --append; without it an existing store is an error.
        XCTAssertNotEqual(try cli.mtp("convert", cfg, "--species", "Cu", "-o", path("s.h5")).status, 0)
        XCTAssertEqual(try cli.mtp("convert", cfg, "--species", "Cu", "--group", "MORE", "--append", "-o", path("s.h5")).status, 0)
        let back = try cli.mtp("convert", path("s.h5"), "-o", path("back.cfg"))
        XCTAssertEqual(back.status, 0, back.err)
        let a = try CFGFormat.read(path: cfg), b = try CFGFormat.read(path: path("back.cfg"))
        XCTAssertEqual(b.count, 6)
        for (x, y) in zip(a + a, b) {
            XCTAssertEqual(x.positions, y.positions)
            XCTAssertEqual(x.energy, y.energy)
            XCTAssertEqual(x.forces, y.forces)
            XCTAssertEqual(x.virial, y.virial)
        }
        let info = try cli.mtp("data", "info", path("s.h5"), "--plot", path("plot"), "--cutoffs", "5.0")
        XCTAssertEqual(info.status, 0, info.err)
        XCTAssertTrue(info.out.contains("BULK") && info.out.contains("MORE"), info.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("plot-nearest.dat")))
    }

    func testBadStoreIsAClearError() throws {
        let junk = path("junk.h5")
        try Data("not an HDF5 file".utf8).write(to: URL(fileURLWithPath: junk))
        try cli.assertFails(["data", "info", junk], mentions: [junk])
        try cli.assertFails(["train", cli.fixture("cu-08.mtp"), junk, "-o", path("o.mtp")], mentions: [junk], output: path("o.mtp"))
    }

    func testTrainFitsAndRejectsBadData() throws {
        let pot = cli.fixture("cu-08.mtp"), cfg = cli.fixture("cu-3.cfg")
        let out = path("fit.mtp")
        let r = try cli.mtp("train", pot, cfg, "-o", out, "--max-iter", "2")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("training errors"), r.out)
        XCTAssertNoThrow(try MTPFile.read(path: out))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + ".json"))

        let lines = try String(contentsOfFile: cfg, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // NaN energy of configuration 1.
        let e = lines.firstIndex { $0.contains("Energy") }! + 1
        var nan = lines; nan[e] = "          nan"
        let nanPath = try write("nan.cfg", nan.joined(separator: "\n"))
        try cli.assertFails(["train", pot, nanPath, "-o", path("a.mtp")], mentions: [nanPath + ":\(e + 1):"], output: path("a.mtp"))
        // A potential for one species, data with two.
        var two = lines
        two[10] = two[10].replacingOccurrences(of: "    0    ", with: "    1    ")
        let twoPath = try write("two.cfg", two.joined(separator: "\n"))
        try cli.assertFails(["train", pot, twoPath, "-o", path("b.mtp")], mentions: [twoPath + ":11:", "species_count 1"], output: path("b.mtp"))
        // Positions without forces or energy: nothing to fit.
        let bare = try write("bare.cfg", "BEGIN_CFG\n Size\n 1\n Supercell\n 3 0 0\n 0 3 0\n 0 0 3\n AtomData: id type cartes_x cartes_y cartes_z\n 1 0 0 0 0\nEND_CFG\n")
        try cli.assertFails(["train", pot, bare, "-o", path("c.mtp")], mentions: [bare + ":1:", "no energy"], output: path("c.mtp"))
        // An empty training set.
        let empty = try write("empty.cfg", "")
        try cli.assertFails(["train", pot, empty, "-o", path("d.mtp")], mentions: [empty, "empty"], output: path("d.mtp"))
    }
}
