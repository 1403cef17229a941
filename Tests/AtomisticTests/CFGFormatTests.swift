import Foundation
import XCTest
@testable import Atomistic

final class CFGFormatTests: XCTestCase {
    // MARK: MLIP files

    func testReadsMLIPCalcEfsOutput() throws {
        let url = try FormatFixtures.url("calc-efs-multi10-first3", "cfg", "mlip")
        let configs = try CFGFormat.read(path: url.path)
        XCTAssertEqual(configs.count, 3)
        let c = configs[0]
        XCTAssertEqual(c.atomCount, 27)
        XCTAssertEqual(c.pbc, .all)
        XCTAssertEqual(c.cell, [Vec3(0, 5.415, 5.415), Vec3(5.415, 0, 5.415), Vec3(5.415, 5.415, 0)])
        XCTAssertEqual(Array(c.species.prefix(4)), [0, 1, 2, 2])
        XCTAssertEqual(c.positions[1], Vec3(1.805, 1.805, 0))
        XCTAssertEqual(c.forces?[0], Vec3(-1.215224, -0.005951, -1.215224))
        XCTAssertEqual(c.energy, 7.361913230306)
        XCTAssertEqual(c.virial, Virial(xx: 80.64915, yy: 76.44863, zz: 80.64915, yz: -0.37300, xz: -4.87818, xy: -0.37300))
        XCTAssertEqual(c.features, [Feature(key: "ID", value: "0"), Feature(key: "MV_grade", value: "1.000000")])
        XCTAssertEqual(c.atomProperties.map(\.name), ["nbh_grades"])
        XCTAssertEqual(c.atomProperties[0].values.count, 27)
        XCTAssertEqual(c.atomProperties[0].values[20], 1.0)
        XCTAssertEqual(configs[2].features.first, Feature(key: "ID", value: "2"))
        XCTAssertNil(c.group)
    }

    /// Parsing MLIP's output and writing it in `.mlip` style reproduces it byte for byte.
    func testMLIPStyleIsByteIdentical() throws {
        let text = try FormatFixtures.text("calc-efs-multi10-first3", "cfg", "mlip")
        let configs = try CFGFormat.parse(text, file: "fixture.cfg")
        XCTAssertEqual(try CFGFormat.format(configs, style: .mlip), text)
    }

    /// The same over every MLIP reference output bundled in the repository
    /// (Tests/MTPTests/Fixtures/mlip-reference/{cubic,multi}/*/calc-efs.first100.cfg, 15 files).
    func testMLIPStyleOnBundledReferenceFiles() throws {
        let root = FormatFixtures.testsDirectory.appendingPathComponent("MTPTests/Fixtures/mlip-reference").path
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw MissingFixture(path: root)
        }
        var files: [String] = []
        for case let rel as String in enumerator where rel.hasSuffix("/calc-efs.first100.cfg") { files.append(rel) }
        files.sort()
        if files.count < 15 { XCTFail("expected 15 calc-efs.first100.cfg files under \(root), found \(files.count)") }
        for rel in files {
            let path = root + "/" + rel
            var text = try String(contentsOfFile: path, encoding: .utf8)
            let configs = try CFGFormat.read(path: path)
            XCTAssertEqual(configs.count, 100, rel)
            // Truncated excerpts lack the blank line after the last END_CFG.
            if !text.hasSuffix("\n\n") { text += "\n" }
            let written = try CFGFormat.format(configs, style: .mlip)
            if written != text {
                let a = written.split(separator: "\n", omittingEmptySubsequences: false)
                let b = text.split(separator: "\n", omittingEmptySubsequences: false)
                let k = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                XCTFail("\(rel): differs at line \(k + 1):\n  wrote '\(k < a.count ? a[k] : "")'\n  file  '\(k < b.count ? b[k] : "")'")
            }
        }
    }

    // MARK: Round trips

    func testFullStyleRoundTripsExactly() throws {
        var rng = TestRandom(seed: 42)
        var configs: [Configuration] = []
        for k in 0...3 {
            configs.append(randomConfiguration(&rng, atoms: 5 + k, periodicAxes: k, species: 3, properties: k % 3))
        }
        var plain = randomConfiguration(&rng, atoms: 1, periodicAxes: 3, species: 1, forces: false, properties: 0)
        plain.virial = nil
        plain.energy = nil
        plain.features = []
        configs.append(plain)
        var weighted = randomConfiguration(&rng, atoms: 2, periodicAxes: 3, species: 2)
        weighted.energyWeight = 0.25
        weighted.forceWeight = 0
        weighted.virialWeight = 1e-3
        configs.append(weighted)

        let text = try CFGFormat.format(configs, style: .full)
        let back = try CFGFormat.parse(text, file: "roundtrip.cfg")
        XCTAssertEqual(back, configs)
        // Bit-exact, including the sign of zero.
        for (a, b) in zip(back, configs) {
            for (p, q) in zip(a.positions, b.positions) {
                for i in 0..<3 { XCTAssertEqual(p[i].bitPattern, q[i].bitPattern) }
            }
        }
        XCTAssertEqual(back[1].pbc, Periodicity(true, false, false))
        XCTAssertEqual(back[2].pbc, Periodicity(true, true, false))
        XCTAssertEqual(back[2].cell[2], .zero)
        XCTAssertEqual(back[0].pbc, .none)
    }

    func testWriteAndReadFile() throws {
        var rng = TestRandom(seed: 7)
        let configs = [randomConfiguration(&rng, atoms: 4, periodicAxes: 3, species: 2)]
        let dir = try FormatFixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.cfg"
        try CFGFormat.write(configs, to: path)
        XCTAssertEqual(try CFGFormat.read(path: path), configs)
        try CFGFormat.write(configs, to: path, style: .mlip)
        let mlip = try CFGFormat.read(path: path)
        XCTAssertEqual(mlip[0].positions[0].x, configs[0].positions[0].x, accuracy: 1e-6)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.cfg"])
    }

    /// Numbers and names wider than MLIP's fields stay separate tokens.
    func testMLIPStyleKeepsWideFieldsApart() throws {
        var c = Configuration(cell: [Vec3(1e9, 0, 0), Vec3(0, 4, 0), Vec3(0, 0, 4)], pbc: .all,
                              species: [12345], positions: [Vec3(-123456789.5, 0, 0)])
        c.forces = [Vec3(-1e8, 0, 0)]
        c.atomProperties = [AtomProperty(name: "a_very_long_property_name", values: [-1e12])]
        let back = try CFGFormat.parse(CFGFormat.format([c], style: .mlip), file: "wide.cfg")
        XCTAssertEqual(back, [c])
    }

    // MARK: Tolerance

    func testColumnsInAnyOrderDirectCoordinatesAndWhitespace() throws {
        let text = "\r\n\r\nBEGIN_CFG\r\n  Size  \r\n\t2\r\n Supercell\r\n 2 0 0\r\n 0 4 0\r\n\r\n 0 0 5\r\n"
            + " AtomData:  fz type direct_z direct_x  id direct_y fx fy  charge\r\n"
            + "   -0.000000  1  0.5  0.25  1  0.5  1e-1  -2  0.5\r\n"
            + "\r\n"
            + "   3  0  0  0  2  0  4  5  -0.5\r\n"
            + " Energy\r\n  -1.5\r\n"
            + " PlusStress:  xy xz yz zz yy xx\r\n   6 5 4 3 2 1\r\n"
            + " Feature   EFS_by\tVASP  PBE \r\n"
            + " Feature   empty\r\n"
            + "END_CFG\r\n"
        let configs = try CFGFormat.parse(text, file: "t.cfg")
        XCTAssertEqual(configs.count, 1)
        let c = configs[0]
        XCTAssertEqual(c.species, [1, 0])
        XCTAssertEqual(c.positions, [Vec3(0.5, 2, 2.5), Vec3(0, 0, 0)])
        XCTAssertEqual(c.forces, [Vec3(0.1, -2, -0.0), Vec3(4, 5, 3)])
        XCTAssertEqual(c.energy, -1.5)
        XCTAssertEqual(c.virial, Virial(xx: 1, yy: 2, zz: 3, yz: 4, xz: 5, xy: 6))
        XCTAssertEqual(c.features, [Feature(key: "EFS_by", value: "VASP  PBE"), Feature(key: "empty", value: "")])
        XCTAssertEqual(c.atomProperties, [AtomProperty(name: "charge", values: [0.5, -0.5])])
    }

    func testMoleculeWithoutForcesOrEnergy() throws {
        let text = """
        BEGIN_CFG
         Size
            2
         AtomData:  id type cartes_x cartes_y cartes_z
            1 0 0 0 0
            2 0 0.74 0 0
        END_CFG
        """
        let c = try XCTUnwrap(CFGFormat.parse(text, file: "h2.cfg").first)
        XCTAssertEqual(c.pbc, .none)
        XCTAssertEqual(c.cell, [.zero, .zero, .zero])
        XCTAssertNil(c.forces)
        XCTAssertNil(c.energy)
        XCTAssertNil(c.virial)
        XCTAssertEqual(c.positions[1], Vec3(0.74, 0, 0))
        XCTAssertEqual(try CFGFormat.parse(CFGFormat.format([c], style: .full), file: "x"), [c])
        XCTAssertEqual(try CFGFormat.parse("", file: "empty.cfg"), [])
    }

    // MARK: Errors

    /// A valid block whose lines can be replaced to provoke one error each.
    private func block(size: String = "2",
                       cell: [String] = ["4 0 0", "0 4 0", "0 0 4"],
                       header: String = "id type cartes_x cartes_y cartes_z fx fy fz",
                       atoms: [String] = ["1 0 0 0 0 0.1 0.2 0.3", "2 1 2 2 2 -0.1 -0.2 -0.3"],
                       energy: String = "-3.5",
                       stress: String = "xx yy zz yz xz xy", stressValues: String = "1 2 3 4 5 6",
                       end: Bool = true) -> String {
        var lines = ["BEGIN_CFG", " Size", "  " + size]           // lines 1-3
        if !cell.isEmpty { lines += [" Supercell"] + cell.map { "  " + $0 } }  // 4-7
        lines += [" AtomData: " + header] + atoms.map { "  " + $0 }         // 8, 9-10
        lines += [" Energy", "  " + energy]                                // 11-12
        lines += [" PlusStress: " + stress, "  " + stressValues]           // 13-14
        if end { lines.append("END_CFG") }                                 // 15
        return lines.joined(separator: "\n") + "\n"
    }

    func testValidBlockParses() throws {
        XCTAssertEqual(try CFGFormat.parse(block(), file: "ok.cfg").count, 1)
    }

    func testTruncatedFiles() {
        assertInputError(try CFGFormat.parse(block(end: false), file: "a.cfg"), file: "a.cfg", line: 14, "before END_CFG")
        assertInputError(try CFGFormat.parse(block() + "BEGIN_CFG\n Size\n", file: "a.cfg"), file: "a.cfg", line: 17,
                         "file ends where the Size value")
        let cut = block().split(separator: "\n").prefix(9).joined(separator: "\n")
        assertInputError(try CFGFormat.parse(cut, file: "a.cfg"), file: "a.cfg", line: 9, "file ends after 1 of 2 atom lines")
        assertInputError(try CFGFormat.parse(block(atoms: ["1 0 0 0 0 0 0 0"]), file: "a.cfg"), file: "a.cfg", line: 10,
                         "fewer atom lines than Size = 2")
        assertInputError(try CFGFormat.parse(block() + block(end: false) + "BEGIN_CFG\n", file: "b.cfg"), file: "b.cfg",
                         line: 30, "missing END_CFG")
    }

    func testWrongCounts() {
        assertInputError(try CFGFormat.parse(block(size: "1"), file: "c.cfg"), file: "c.cfg", line: 10,
                         "more atom lines than Size = 1")
        assertInputError(try CFGFormat.parse(block(size: "0"), file: "c.cfg"), file: "c.cfg", line: 3, "Size must be at least 1")
        assertInputError(try CFGFormat.parse(block(size: "2.5"), file: "c.cfg"), file: "c.cfg", line: 3, "as an integer")
        assertInputError(try CFGFormat.parse(block(atoms: ["1 0 0 0 0 0 0", "2 0 1 1 1 0 0 0"]), file: "c.cfg"),
                         file: "c.cfg", line: 9, "atom line has 7 values")
        assertInputError(try CFGFormat.parse(block(stressValues: "1 2 3 4 5"), file: "c.cfg"), file: "c.cfg", line: 14,
                         "expected 6 PlusStress values")
        assertInputError(try CFGFormat.parse(block(energy: "1 2"), file: "c.cfg"), file: "c.cfg", line: 12,
                         "expected one Energy value")
        assertInputError(try CFGFormat.parse(block(cell: ["4 0 0", "0 4", "0 0 4"]), file: "c.cfg"), file: "c.cfg", line: 6,
                         "needs 3 numbers")
        assertInputError(try CFGFormat.parse(block(cell: ["4 0 0", "0 4 0", "0 0 4", "1 1 1"]), file: "c.cfg"),
                         file: "c.cfg", line: 8, "more than 3 rows")
    }

    func testUnparsableAndNonFiniteNumbers() {
        assertInputError(try CFGFormat.parse(block(atoms: ["1 0 0 0 0 0.1 0.2 0.3", "2 1 2 2.2.2 2 0 0 0"]), file: "d.cfg"),
                         file: "d.cfg", line: 10, "cannot parse cartes_y '2.2.2'")
        assertInputError(try CFGFormat.parse(block(atoms: ["1 0 0 0 nan 0.1 0.2 0.3", "2 1 2 2 2 0 0 0"]), file: "d.cfg"),
                         file: "d.cfg", line: 9, "not a finite number")
        assertInputError(try CFGFormat.parse(block(atoms: ["1 0 0 0 0 0.1 inf 0.3", "2 1 2 2 2 0 0 0"]), file: "d.cfg"),
                         file: "d.cfg", line: 9, "fy is 'inf'")
        assertInputError(try CFGFormat.parse(block(energy: "NaN"), file: "d.cfg"), file: "d.cfg", line: 12, "not a finite")
        assertInputError(try CFGFormat.parse(block(energy: "1.0d0"), file: "d.cfg"), file: "d.cfg", line: 12, "cannot parse Energy")
        assertInputError(try CFGFormat.parse(block(stressValues: "1 2 3 4 5 -inf"), file: "d.cfg"), file: "d.cfg", line: 14,
                         "PlusStress xy")
        assertInputError(try CFGFormat.parse(block(cell: ["4 0 0", "0 4 0", "0 0 1e999"]), file: "d.cfg"), file: "d.cfg",
                         line: 7, "not a finite")
        assertInputError(try CFGFormat.parse(block(atoms: ["x 0 0 0 0 0 0 0", "2 1 2 2 2 0 0 0"]), file: "d.cfg"),
                         file: "d.cfg", line: 9, "cannot parse id 'x'")
    }

    func testNegativeType() {
        assertInputError(try CFGFormat.parse(block(atoms: ["1 0 0 0 0 0 0 0", "2 -1 2 2 2 0 0 0"]), file: "e.cfg"),
                         file: "e.cfg", line: 10, "type -1 is below 0")
    }

    func testMissingPositions() {
        assertInputError(try CFGFormat.parse(block(header: "id type fx fy fz", atoms: ["1 0 0 0 0", "2 0 0 0 0"]),
                                             file: "f.cfg"), file: "f.cfg", line: 8, "missing positions")
        assertInputError(try CFGFormat.parse(block(header: "id type cartes_x cartes_y fx fy fz"), file: "f.cfg"),
                         file: "f.cfg", line: 8, "not 'cartes_z'")
        assertInputError(try CFGFormat.parse("BEGIN_CFG\n Size\n 1\n Energy\n 1\nEND_CFG\n", file: "f.cfg"),
                         file: "f.cfg", line: 6, "no AtomData: missing positions")
        assertInputError(try CFGFormat.parse(block(header: "id cartes_x cartes_y cartes_z fx fy fz type"), file: "f.cfg"),
                         file: "f.cfg", line: 9, "cannot parse type '0.3'")
        assertInputError(try CFGFormat.parse(block(header: "id cartes_x cartes_y cartes_z fx fy fz tp"), file: "f.cfg"),
                         file: "f.cfg", line: 8, "no 'type' column")
    }

    func testSingularSupercell() {
        let direct = "id type direct_x direct_y direct_z fx fy fz"
        assertInputError(try CFGFormat.parse(block(cell: ["4 0 0", "0 4 0", "8 4 0"], header: direct), file: "g.cfg"),
                         file: "g.cfg", line: 4, "singular Supercell")
        assertInputError(try CFGFormat.parse(block(cell: ["4 0 0", "0 4 0"], header: direct), file: "g.cfg"),
                         file: "g.cfg", line: 7, "direct_* coordinates need a Supercell with 3 rows")
        assertInputError(try CFGFormat.parse(block(cell: [], header: direct), file: "g.cfg"),
                         file: "g.cfg", line: 4, "direct_* coordinates need a Supercell with 3 rows, found 0")
        assertInputError(try CFGFormat.parse(block(cell: ["0 0 0"]), file: "g.cfg"), file: "g.cfg", line: 4, "singular")
    }

    func testDuplicateAndUnknownColumns() {
        assertInputError(try CFGFormat.parse(block(header: "id type cartes_x cartes_y cartes_z fx fy fx"), file: "h.cfg"),
                         file: "h.cfg", line: 8, "duplicate AtomData column 'fx'")
        assertInputError(try CFGFormat.parse(block(header: "id type cartes_x cartes_y cartes_z direct_x direct_y direct_z",
                                                   atoms: ["1 0 0 0 0 0 0 0", "2 0 0 0 0 0 0 0"]), file: "h.cfg"),
                         file: "h.cfg", line: 8, "both cartes_* and direct_*")
        assertInputError(try CFGFormat.parse(block(header: "id type cartes_x cartes_y cartes_z fx fy"), file: "h.cfg"),
                         file: "h.cfg", line: 8, "not 'fz'")
        assertInputError(try CFGFormat.parse(block(stress: "xx yy zz yz xz xq"), file: "h.cfg"), file: "h.cfg", line: 13,
                         "unknown PlusStress column 'xq'")
        assertInputError(try CFGFormat.parse(block(stress: "xx yy zz yz xz xx"), file: "h.cfg"), file: "h.cfg", line: 13,
                         "duplicate PlusStress column 'xx'")
        assertInputError(try CFGFormat.parse(block(stress: "xx yy zz yz xz"), file: "h.cfg"), file: "h.cfg", line: 13,
                         "lacks columns: xy")
        assertInputError(try CFGFormat.parse(block(header: ""), file: "h.cfg"), file: "h.cfg", line: 8, "lists no columns")
    }

    func testUnknownAndUnsupportedSections() {
        let stress = block().replacingOccurrences(of: "PlusStress:", with: "Stress:")
        assertInputError(try CFGFormat.parse(stress, file: "i.cfg"), file: "i.cfg", line: 13, "'Stress' section is not supported")
        let unknown = block().replacingOccurrences(of: " Energy\n", with: " Enrgy\n")
        assertInputError(try CFGFormat.parse(unknown, file: "i.cfg"), file: "i.cfg", line: 11, "unknown section 'Enrgy'")
        assertInputError(try CFGFormat.parse("junk\n" + block(), file: "i.cfg"), file: "i.cfg", line: 1, "expected BEGIN_CFG")
        assertInputError(try CFGFormat.parse(block() + block().replacingOccurrences(of: " Energy\n  -3.5\n", with: " Energy\n  -3.5\n Energy\n 1\n"),
                                             file: "i.cfg"), file: "i.cfg", line: 28, "second Energy")
        assertInputError(try CFGFormat.parse("BEGIN_CFG\n AtomData: id type cartes_x cartes_y cartes_z\n", file: "i.cfg"),
                         file: "i.cfg", line: 2, "AtomData before Size")
        assertInputError(try CFGFormat.parse("BEGIN_CFG\n Feature\nEND_CFG\n", file: "i.cfg"), file: "i.cfg", line: 2,
                         "Feature without a key")
    }

    func testMissingFile() {
        assertInputError(try CFGFormat.read(path: "/nonexistent/dir/x.cfg"), file: "/nonexistent/dir/x.cfg", line: nil,
                         "cannot read file")
    }

    func testUnrepresentableConfigurationsAreRejectedOnWrite() {
        var c = Configuration(cell: [.zero, Vec3(0, 3, 0), Vec3(0, 0, 3)], pbc: Periodicity(false, true, true),
                              species: [0], positions: [.zero])
        assertInputError(try CFGFormat.format([c], style: .full, file: "w.cfg"), file: "w.cfg", line: nil, "first k lattice axes")
        c.pbc = .none
        c.species = [-2]
        assertInputError(try CFGFormat.format([c], style: .full, file: "w.cfg"), file: "w.cfg", line: nil, "negative species")
        c.species = [0]
        c.energy = .nan
        assertInputError(try CFGFormat.format([c], style: .mlip, file: "w.cfg"), file: "w.cfg", line: nil, "non-finite")
        c.energy = 1
        c.features = [Feature(key: "two words", value: "x")]
        assertInputError(try CFGFormat.format([c], style: .full, file: "w.cfg"), file: "w.cfg", line: nil, "feature key")
        c.features = []
        c.atomProperties = [AtomProperty(name: "fx", values: [1])]
        assertInputError(try CFGFormat.format([c], style: .full, file: "w.cfg"), file: "w.cfg", line: nil, "reserved")
    }
}
