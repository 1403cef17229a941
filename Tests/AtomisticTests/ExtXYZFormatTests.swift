import Foundation
import XCTest
@testable import Atomistic

final class ExtXYZFormatTests: XCTestCase {
    // MARK: ASE's output

    func testReadsASEWrittenFile() throws {
        let url = try FormatFixtures.url("ase-written", "extxyz", "extxyz")
        let data = try ExtXYZFormat.read(path: url.path)
        XCTAssertEqual(data.species, ["Si", "C", "H", "O"])
        XCTAssertEqual(data.configurations.count, 2)

        let a = data.configurations[0]
        XCTAssertEqual(a.species, [0, 0, 1])
        XCTAssertEqual(a.pbc, .all)
        XCTAssertEqual(a.cell, [Vec3(5.43, 0.01, 0), Vec3(0, 5.43, 0), Vec3(0.02, 0, 5.43)])
        XCTAssertEqual(a.positions[1], Vec3(1.36, 1.37, 1.35))
        XCTAssertEqual(a.forces?[2], Vec3(-0.11, 0.18, -0.27))
        XCTAssertEqual(a.energy, -12.345678901234567)
        XCTAssertEqual(a.atomProperties, [AtomProperty(name: "charges_custom", values: [0.1, -0.2, 0.1])])
        XCTAssertEqual(a.features, [Feature(key: "config_type", value: "bulk test"),
                                    Feature(key: "temperature", value: "300.5")])
        // ASE stress (Voigt 0.01 0.02 0.03 0.004 0.005 0.006) -> W = -stress * V.
        let volume = abs(determinant(a.cell))
        let w = try XCTUnwrap(a.virial)
        let expected = [0.01, 0.02, 0.03, 0.004, 0.005, 0.006].map { -$0 * volume }
        for (x, y) in zip(w.voigt, expected) { XCTAssertEqual(x, y, accuracy: 1e-12 * abs(y)) }

        let m = data.configurations[1]
        XCTAssertEqual(m.species, [2, 2, 3])
        XCTAssertEqual(m.pbc, .none)
        XCTAssertEqual(m.cell, [.zero, .zero, .zero])
        XCTAssertNil(m.virial)
        XCTAssertEqual(m.energy, -14.2)
    }

    func testGivenSpeciesTable() throws {
        let text = try FormatFixtures.text("ase-written", "extxyz", "extxyz")
        let data = try ExtXYZFormat.parse(text, file: "f.xyz", species: ["H", "O", "C", "Si"])
        XCTAssertEqual(data.species, ["H", "O", "C", "Si"])
        XCTAssertEqual(data.configurations[0].species, [3, 3, 2])
        XCTAssertEqual(data.configurations[1].species, [0, 0, 1])
        assertInputError(try ExtXYZFormat.parse(text, file: "f.xyz", species: ["Si", "C"]), file: "f.xyz", line: 8,
                         "species 'H' is not in the species table")
    }

    // MARK: Round trips

    func testWriteReadRoundTripsExactly() throws {
        var rng = TestRandom(seed: 3)
        var configs: [Configuration] = []
        for k in [3, 0, 2, 1] {
            var c = randomConfiguration(&rng, atoms: 4, periodicAxes: k, species: 3, properties: 2)
            if k == 0 { c.virial = nil }
            configs.append(c)
        }
        // A three-column property comes back as one R:3 property.
        configs[2].atomProperties = (0..<3).map { i in AtomProperty(name: "dipole[\(i)]", values: [1, 2, 3, 4].map { $0 + Double(i) / 7 }) }
        configs[2].forces = nil
        configs[2].features.append(Feature(key: "quoted", value: "a \"b\" c\\d = [e]"))
        let symbols = ["Ni", "Al", "H"]
        let text = try ExtXYZFormat.format(configs, symbols: symbols)
        XCTAssertTrue(text.contains("Properties=species:S:1:pos:R:3:dipole:R:3 "))
        let back = try ExtXYZFormat.parse(text, file: "rt.xyz", species: symbols)
        XCTAssertEqual(back.configurations, configs)
        XCTAssertEqual(back.species, symbols)

        // File round trip through the atomic writer.
        let dir = try FormatFixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ExtXYZFormat.write(configs, symbols: symbols, to: dir + "/a.extxyz")
        XCTAssertEqual(try ExtXYZFormat.read(path: dir + "/a.extxyz", species: symbols).configurations, configs)
    }

    /// Without the exact `virial` key the virial goes through ASE's stress
    /// and comes back to rounding.
    func testStressOnlyConversionIsConsistent() throws {
        var rng = TestRandom(seed: 11)
        let c = randomConfiguration(&rng, atoms: 3, periodicAxes: 3, species: 1, properties: 0)
        let text = try ExtXYZFormat.format([c], symbols: ["Cu"], includeVirial: false)
        XCTAssertFalse(text.contains("virial="))
        let back = try XCTUnwrap(ExtXYZFormat.parse(text, file: "s.xyz").configurations.first)
        let w = try XCTUnwrap(back.virial), w0 = try XCTUnwrap(c.virial)
        for (x, y) in zip(w.voigt, w0.voigt) { XCTAssertEqual(x, y, accuracy: 1e-14 * max(abs(y), 1e-300) + 1e-300) }

        // stress = -W / V on the comment line.
        let stressText = try XCTUnwrap(text.split(separator: "\n")[1].components(separatedBy: "stress=\"").last?
            .split(separator: "\"").first)
        let s = stressText.split(separator: " ").compactMap { Double($0) }
        XCTAssertEqual(s.count, 9)
        XCTAssertEqual(s[0], -w0.xx / c.volume)
        XCTAssertEqual(s[5], -w0.yz / c.volume)
        XCTAssertEqual(s[1], s[3])
    }

    func testStressForms() throws {
        let head = "1\nLattice=\"2 0 0 0 2 0 0 0 2\" Properties=species:S:1:pos:R:3 "
        let atom = "\nAr 0 0 0\n"
        let voigt = try ExtXYZFormat.parse(head + "stress=\"1 2 3 4 5 6\"" + atom, file: "v.xyz")
        XCTAssertEqual(voigt.configurations[0].virial, Virial(voigt: [1, 2, 3, 4, 5, 6].map { -8 * $0 }))
        let virial = try ExtXYZFormat.parse(head + "virial=\"1 6 5 6 2 4 5 4 3\"" + atom, file: "v.xyz")
        XCTAssertEqual(virial.configurations[0].virial, Virial(voigt: [1, 2, 3, 4, 5, 6]))
        let both = try ExtXYZFormat.parse(head + "stress=\"-0.125 0 0 0 0 0 0 0 0\" virial=\"1 0 0 0 0 0 0 0 0\"" + atom, file: "v.xyz")
        XCTAssertEqual(both.configurations[0].virial?.xx, 1)
        assertInputError(try ExtXYZFormat.parse(head + "stress=\"1 0 0 0 0 0 0 0 0\" virial=\"1 0 0 0 0 0 0 0 0\"" + atom, file: "v.xyz"),
                         file: "v.xyz", line: 2, "virial and stress disagree")
        assertInputError(try ExtXYZFormat.parse(head + "stress=\"1 2 3 4 5 6 7 8 9\"" + atom, file: "v.xyz"),
                         file: "v.xyz", line: 2, "not symmetric")
        assertInputError(try ExtXYZFormat.parse(head + "stress=\"1 2 3\"" + atom, file: "v.xyz"),
                         file: "v.xyz", line: 2, "needs 9 (3x3) or 6 (Voigt)")
        assertInputError(try ExtXYZFormat.parse("1\nProperties=species:S:1:pos:R:3 stress=\"1 2 3 4 5 6\"" + atom, file: "v.xyz"),
                         file: "v.xyz", line: 2, "no Lattice")
    }

    func testPropertyVariantsAndKeyValueSyntax() throws {
        let text = """
        2
        Lattice="3 0 0 0 3 0 0 0 3" pbc="T T F" Properties=Z:I:1:pos:R:3:force:R:3:tags:I:1:fixed:L:1:label:S:1 flag energy = -1.25 name="x y" arr=[1, 2]
        8 0 0 0 1 2 3 5 T a
        1 1 1 1 -1 -2 -3 6 F b
        """
        let data = try ExtXYZFormat.parse(text, file: "p.xyz")
        XCTAssertEqual(data.species, ["O", "H"])
        let c = data.configurations[0]
        XCTAssertEqual(c.pbc, Periodicity(true, true, false))
        XCTAssertEqual(c.energy, -1.25)
        XCTAssertEqual(c.forces, [Vec3(1, 2, 3), Vec3(-1, -2, -3)])
        XCTAssertEqual(c.atomProperties, [AtomProperty(name: "tags", values: [5, 6]), AtomProperty(name: "fixed", values: [1, 0])])
        XCTAssertEqual(c.features, [Feature(key: "flag", value: "T"), Feature(key: "name", value: "x y"),
                                    Feature(key: "arr", value: "1, 2")])
    }

    // MARK: Errors

    private let good = "2\nLattice=\"4 0 0 0 4 0 0 0 4\" Properties=species:S:1:pos:R:3:forces:R:3 energy=-2 pbc=\"T T T\"\n"
        + "Si 0 0 0 0.1 0.2 0.3\nSi 2 2 2 -0.1 -0.2 -0.3\n"

    func testValidTextParses() throws {
        XCTAssertEqual(try ExtXYZFormat.parse(good + good, file: "ok.xyz").configurations.count, 2)
    }

    func testErrors() {
        func replacing(_ a: String, _ b: String) -> String { good.replacingOccurrences(of: a, with: b) }
        assertInputError(try ExtXYZFormat.parse("two\n" + good, file: "e.xyz"), file: "e.xyz", line: 1, "expected the atom count")
        assertInputError(try ExtXYZFormat.parse(String(good.dropLast(24)), file: "e.xyz"), file: "e.xyz", line: 3,
                         "file ends after 1 of 2 atom lines")
        assertInputError(try ExtXYZFormat.parse("3\n", file: "e.xyz"), file: "e.xyz", line: 1, "before the comment line")
        assertInputError(try ExtXYZFormat.parse(replacing("Si 2 2 2 -0.1", "Si 2 2 -0.1"), file: "e.xyz"), file: "e.xyz",
                         line: 4, "atom line has 6 columns, Properties describes 7")
        assertInputError(try ExtXYZFormat.parse(replacing("Si 2 2 2", "Si 2 2 nan"), file: "e.xyz"), file: "e.xyz", line: 4,
                         "not a finite number")
        assertInputError(try ExtXYZFormat.parse(replacing("Si 2 2 2", "Si 2 2 2..0"), file: "e.xyz"), file: "e.xyz", line: 4,
                         "cannot parse z '2..0'")
        assertInputError(try ExtXYZFormat.parse(replacing("energy=-2", "energy=inf"), file: "e.xyz"), file: "e.xyz", line: 2,
                         "not a finite number")
        assertInputError(try ExtXYZFormat.parse(replacing(":pos:R:3", ":position:R:3"), file: "e.xyz"), file: "e.xyz", line: 2,
                         "missing positions")
        assertInputError(try ExtXYZFormat.parse(replacing(":forces:R:3", ":forces:R:2"), file: "e.xyz"), file: "e.xyz", line: 2,
                         "must be R:3")
        assertInputError(try ExtXYZFormat.parse(replacing(":forces:R:3", ":forces:R:3:force:R:3"), file: "e.xyz"),
                         file: "e.xyz", line: 2, "both 'force' and 'forces'")
        assertInputError(try ExtXYZFormat.parse(replacing(":forces:R:3", ":pos:R:3"), file: "e.xyz"), file: "e.xyz", line: 2,
                         "duplicate property 'pos'")
        assertInputError(try ExtXYZFormat.parse(replacing("energy=-2", "energy=-2 Energy=3"), file: "e.xyz"), file: "e.xyz",
                         line: 2, "duplicate key 'Energy'")
        assertInputError(try ExtXYZFormat.parse(replacing("pbc=\"T T T\"", "pbc=\"T T"), file: "e.xyz"), file: "e.xyz",
                         line: 2, "unterminated quote")
        assertInputError(try ExtXYZFormat.parse(replacing("pbc=\"T T T\"", "pbc=\"T Q T\""), file: "e.xyz"), file: "e.xyz",
                         line: 2, "pbc needs 3 values")
        assertInputError(try ExtXYZFormat.parse(replacing("0 0 0 4\"", "0 0 0 0\""), file: "e.xyz"), file: "e.xyz", line: 2,
                         "lattice vector 3 is zero")
        assertInputError(try ExtXYZFormat.parse(replacing("0 0 0 4\"", "4 4 0 0\""), file: "e.xyz"), file: "e.xyz", line: 2,
                         "singular Lattice")
        assertInputError(try ExtXYZFormat.parse(replacing("Lattice=\"4 0 0 0 4 0 0 0 4\" ", ""), file: "e.xyz"), file: "e.xyz",
                         line: 2, "no Lattice")
        assertInputError(try ExtXYZFormat.parse(replacing("Lattice=\"4 0 0 0 4 0 0 0 4\"", "Lattice=\"4 0 0\""), file: "e.xyz"),
                         file: "e.xyz", line: 2, "Lattice needs 9 numbers")
        assertInputError(try ExtXYZFormat.parse(replacing("species:S:1", "species:S:1:q:X:1"), file: "e.xyz"), file: "e.xyz",
                         line: 2, "expected S, R, I or L")
        assertInputError(try ExtXYZFormat.read(path: "/nonexistent/x.extxyz"), file: "/nonexistent/x.extxyz", line: nil,
                         "cannot read file")
    }

    func testWriterNeedsRealSymbols() {
        let c = Configuration(species: [0, 1], positions: [.zero, Vec3(1, 0, 0)])
        assertInputError(try ExtXYZFormat.format([c], symbols: ["X0", "X1"], file: "w.xyz"), file: "w.xyz", line: nil,
                         "not a chemical element")
        assertInputError(try ExtXYZFormat.format([c], symbols: ["H"], file: "w.xyz"), file: "w.xyz", line: nil,
                         "symbol table has 1 entries")
        XCTAssertNoThrow(try ExtXYZFormat.format([c], symbols: ["H", "O"]))
    }

    // MARK: Between formats

    /// MLIP data -> extended XYZ -> back: every value survives exactly.
    func testCFGThroughExtXYZ() throws {
        let configs = try CFGFormat.read(path: FormatFixtures.url("calc-efs-multi10-first3", "cfg", "mlip").path)
        let symbols = ["Cu", "Pd", "Ag"]
        let text = try ExtXYZFormat.format(configs, symbols: symbols)
        let back = try ExtXYZFormat.parse(text, file: "x.xyz", species: symbols)
        XCTAssertEqual(back.configurations, configs)
        XCTAssertEqual(try CFGFormat.format(back.configurations, style: .mlip),
                       try FormatFixtures.text("calc-efs-multi10-first3", "cfg", "mlip"))
    }
}
