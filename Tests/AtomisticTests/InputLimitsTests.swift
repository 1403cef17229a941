import XCTest
@testable import Atomistic

/// Issue 18: bounded resources on any input. Sizes and cells are checked
/// before allocating or searching, and every reader refuses unusable values.
final class InputLimitsTests: XCTestCase {
    func cube(_ a: Double, atoms: Int = 1) -> Configuration {
        Configuration(cell: [Vec3(a, 0, 0), Vec3(0, a, 0), Vec3(0, 0, a)], pbc: Periodicity(true, true, true),
                      species: Array(repeating: 0, count: atoms),
                      positions: (0..<atoms).map { Vec3(Double($0) * a / Double(atoms), 0, 0) })
    }

    func testThinCellAndLongCutoffAreRefusedBeforeSearching() {
        var thin = cube(3.6, atoms: 4)
        thin.cell[0] = Vec3(1e-3, 0, 0)
        thin.positions = thin.positions.map { Vec3(0, $0.x / 4, 0) }
        XCTAssertThrowsError(try NeighborList(thin, cutoff: 5)) {
            XCTAssertTrue("\($0)".contains("neighbours per atom"), "\($0)")
        }
        // 0.01 A: about 16,000 neighbours per atom, which a search would find
        // (no overlap) and training would hold (issue 18: the limit was 100,000).
        thin.cell[0] = Vec3(0.01, 0, 0)
        XCTAssertThrowsError(try NeighborList(thin, cutoff: 5)) {
            XCTAssertTrue("\($0)".contains("neighbours per atom (limit 10000)"), "\($0)")
        }
        for cutoff in [1000.0, 1e308] {
            XCTAssertThrowsError(try NeighborList(cube(3.6), cutoff: cutoff)) {
                XCTAssertTrue("\($0)".contains("periodic images"), "\($0)")
            }
        }
        XCTAssertThrowsError(try NeighborList(cube(3.6), cutoff: .infinity))
        // An ordinary cell with an ordinary cutoff is searched.
        XCTAssertNoThrow(try NeighborList(cube(3.6), cutoff: 8))
        // A slab (two periodic axes) with many atoms is not refused.
        var slab = cube(30, atoms: 2000)
        slab.pbc = Periodicity(true, true, false)
        slab.positions = (0..<2000).map { (i: Int) -> Vec3 in
            let x = Double(i % 20) * 1.5, y = Double((i / 20) % 20) * 1.5, z = Double(i / 400) * 2.5
            return Vec3(x, y, z)
        }
        XCTAssertNoThrow(try NeighborList(slab, cutoff: 5))
    }

    func testProblemsOfConfigurations() {
        var c = cube(3.6)
        XCTAssertNil(InputLimits.problem(in: c))
        c.energy = 1e308
        XCTAssertEqual(InputLimits.problem(in: c).map { "\($0)".contains("energy") }, true)
        c.energy = -3
        c.forces = [Vec3(1e200, 0, 0)]
        XCTAssertEqual(InputLimits.problem(in: c)?.atom, 0)
        c.forces = nil
        c.positions = [Vec3(1e308, 0, 0)]
        XCTAssertEqual(InputLimits.problem(in: c).map { "\($0)".contains("position") }, true)
        c.positions = [.zero]
        c.cell = [.zero, .zero, .zero]
        XCTAssertEqual(InputLimits.problem(in: c).map { "\($0)".contains("cell") }, true)
        c = cube(3.6)
        c.forceWeight = .nan
        XCTAssertNotNil(InputLimits.problem(in: c))
    }

    func testCountsAgainstLimitAndRoom() {
        XCTAssertNil(InputLimits.count(32, of: "Size", limit: 100, room: 1000))
        XCTAssertEqual(InputLimits.count(999, of: "Size", limit: 100), "Size is 999, more than the limit 100")
        XCTAssertNotNil(InputLimits.count(50, of: "Size", limit: 100, room: 10))
        XCTAssertNotNil(InputLimits.count(-1, of: "Size", limit: 100))
    }

    func testJSONSyntaxLocatesTheFirstError() {
        XCTAssertNil(JSONSyntax.firstProblem(in: Array(#"[{"a": [1, -2.5e3, true, null, "x\"y"]}]"#.utf8)))
        let p = JSONSyntax.firstProblem(in: Array("[\n {\"a\": 1,\n  \"b\" 2}]".utf8))
        XCTAssertEqual(p?.line, 3)
        XCTAssertEqual(p?.column, 7)
        XCTAssertEqual(JSONSyntax.firstProblem(in: Array("[1, 2".utf8))?.message.contains("end of the file"), true)
        XCTAssertNotNil(JSONSyntax.firstProblem(in: Array(String(repeating: "[", count: 600).utf8)))
    }

    func testRegistryRefusesEmptyFilesAndUnknownSymbols() throws {
        let dir = NSTemporaryDirectory() + "input-limits-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "".write(toFile: dir + "/e.cfg", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ConfigurationFormats.read(dir + "/e.cfg")) {
            XCTAssertTrue("\($0)".contains("e.cfg: the file holds no configurations"), "\($0)")
        }
        try "1\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\nXx 0 0 0\n"
            .write(toFile: dir + "/x.extxyz", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ConfigurationFormats.read(dir + "/x.extxyz")) {
            XCTAssertTrue("\($0)".contains("x.extxyz:3: 'Xx' is not a chemical element symbol"), "\($0)")
        }
    }

    func testSupersededLabelsAreDropped() {
        var c = cube(3.6)
        c.features = [Feature(key: "free_energy", value: "-3"), Feature(key: "config_type", value: "bulk")]
        c.atomProperties = [AtomProperty(name: "energies", values: [1]), AtomProperty(name: "charges", values: [0])]
        c.dropSupersededLabels()
        XCTAssertEqual(c.features.map(\.key), ["config_type"])
        XCTAssertEqual(c.atomProperties.map(\.name), ["charges"])
    }
}
