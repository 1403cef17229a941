import XCTest
import Foundation
import Atomistic
import Structures
@testable import Reference

/// The EAM calculator: the setfl reader, the tables, energies against the
/// closed forms of synthetic potentials and LAMMPS's reference for Mg, and
/// forces and virial against finite differences.
final class EAMTests: XCTestCase {
    static func fixture(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)).path
    }

    static let mgA = 3.1842, mgCOverA = 1.6282

    // MARK: - Reader

    func testReadsMgFinnisSinclairFile() throws {
        let t = try EAMTables.read(path: Self.fixture("Mg_mm.eam.fs"))
        XCTAssertEqual(t.elements, ["Mg"])
        XCTAssertEqual(t.atomicNumbers, [12])
        XCTAssertEqual(t.masses[0], 24.305, accuracy: 1e-9)
        XCTAssertEqual(t.nrho, 10000); XCTAssertEqual(t.nr, 10000)
        XCTAssertEqual(t.dr, 7.5e-4); XCTAssertEqual(t.cutoff, 7.5)
        XCTAssertEqual(t.density.count, 1); XCTAssertEqual(t.pair.count, 1)
    }

    func testDetectsFormatByValueCount() throws {
        XCTAssertEqual(try EAMTables.read(path: Self.fixture("synthetic-AB.eam.fs")).format, .fs)
        XCTAssertEqual(try EAMTables.read(path: Self.fixture("synthetic-AB.eam.alloy")).format, .alloy)
        // The suffix is not what decides: an fs table under an alloy name is still fs.
        let text = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("synthetic-AB.eam.fs")))
        let t = try EAMTables.parse([UInt8](text), file: "misnamed.eam.alloy")
        XCTAssertEqual(t.format, .fs)
        XCTAssertEqual(t.density.count, 4)
    }

    /// Hermite cubics with fourth-order slopes are exact for cubics away
    /// from the two ends of the table.
    func testTableIsExactForCubics() {
        let f: (Double) -> Double = { 0.3 - 1.2 * $0 + 0.7 * $0 * $0 - 0.25 * $0 * $0 * $0 }
        let df: (Double) -> Double = { -1.2 + 1.4 * $0 - 0.75 * $0 * $0 }
        let h = 0.05
        let table = CubicTable((0..<40).map { f(Double($0) * h) }, spacing: h)
        table.coefficients.withUnsafeBufferPointer { c in
            for x in stride(from: 0.1, to: 1.85, by: 0.0137) {
                let v = evaluateCubic(c.baseAddress!, count: table.count, inverseSpacing: table.inverseSpacing, x)
                XCTAssertEqual(v.value, f(x), accuracy: 1e-12)
                XCTAssertEqual(v.derivative, df(x), accuracy: 1e-10)
            }
            // Beyond the end the last value holds.
            let end = evaluateCubic(c.baseAddress!, count: table.count, inverseSpacing: table.inverseSpacing, 5.0)
            XCTAssertEqual(end.value, f(39 * h), accuracy: 1e-12)
        }
    }

    func temporaryFile(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eam-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testBadFilesNameTheFileAndLine() throws {
        let text = try String(contentsOfFile: Self.fixture("synthetic-AB.eam.alloy"), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }

        // Truncated: the last line missing.
        let truncated = try temporaryFile("truncated.eam.alloy", lines.dropLast().joined(separator: "\n") + "\n")
        XCTAssertThrowsError(try EAMCalculator(file: truncated)) { error in
            let e = error as? InputError
            XCTAssertEqual(e?.file, truncated)
            XCTAssertEqual(e?.line, lines.count - 1)
            XCTAssertTrue(e?.message.contains("truncated") ?? false, "\(error)")
        }
        // A surplus value: the count matches neither format.
        var surplus = lines
        surplus[lines.count - 1] += " 1.0"
        let extra = try temporaryFile("extra.eam.alloy", surplus.joined(separator: "\n"))
        XCTAssertThrowsError(try EAMCalculator(file: extra)) { error in
            let e = error as? InputError
            XCTAssertEqual(e?.line, lines.count)
            XCTAssertTrue(e?.message.contains("neither") ?? false, "\(error)")
        }
        // A value that is not a number.
        var garbled = lines
        garbled[9] = "  abc " + garbled[9].split(separator: " ").dropFirst().joined(separator: " ")
        let bad = try temporaryFile("garbled.eam.alloy", garbled.joined(separator: "\n"))
        XCTAssertThrowsError(try EAMCalculator(file: bad)) { error in
            XCTAssertEqual((error as? InputError)?.line, 10, "\(error)")
            XCTAssertTrue("\(error)".contains("'abc'"), "\(error)")
        }
        // One value moved from the first line of a table to the end of the
        // line before the second element's line: the count still matches but
        // the element line is no longer where the tables put it.
        let elementLine = try XCTUnwrap(lines.firstIndex(of: "2 1.0 3.0 fcc"))
        var shifted = lines
        var next = shifted[elementLine + 1].split(separator: " ").map(String.init)
        shifted[elementLine - 1] += " " + next.removeFirst()
        shifted[elementLine + 1] = next.joined(separator: " ")
        let misplaced = try temporaryFile("misplaced.eam.alloy", shifted.joined(separator: "\n"))
        XCTAssertThrowsError(try EAMCalculator(file: misplaced)) { error in
            XCTAssertEqual((error as? InputError)?.line, elementLine, "\(error)")
            XCTAssertTrue((error as? InputError)?.message.contains("element B") ?? false, "\(error)")
        }
        // A bad grid line.
        var grid = lines
        grid[4] = "400 0.01 400"
        let gridFile = try temporaryFile("grid.eam.alloy", grid.joined(separator: "\n"))
        XCTAssertThrowsError(try EAMCalculator(file: gridFile)) { error in
            XCTAssertEqual((error as? InputError)?.line, 5, "\(error)")
        }
        XCTAssertThrowsError(try EAMCalculator(file: "/nonexistent/x.eam.fs")) { error in
            XCTAssertEqual((error as? InputError)?.file, "/nonexistent/x.eam.fs")
        }
    }

    func testRefusesUnknownSpeciesAndOverlaps() throws {
        let eam = try EAMCalculator(file: Self.fixture("Mg_mm.eam.fs"))
        var c = Lattice.hcp(a: Self.mgA, cOverA: Self.mgCOverA).unitCell()
        c.species[1] = 1
        XCTAssertThrowsError(try eam.calculate(c)) { error in
            XCTAssertEqual(error as? EAMError, .speciesOutOfRange(atom: 1, species: 1, known: 1))
        }
        c.species[1] = 0
        c.positions[1] = c.positions[0] + Vec3(0.3, 0, 0)
        XCTAssertThrowsError(try eam.calculate(c)) { error in
            guard case let .overlappingAtoms(i, j, d, _)? = error as? EAMError else { return XCTFail("\(error)") }
            XCTAssertEqual(Set([i, j]), [0, 1]); XCTAssertEqual(d, 0.3, accuracy: 1e-9)
        }
        c.positions[1] = c.positions[0]
        XCTAssertThrowsError(try eam.calculate(c)) { XCTAssertTrue($0 is EAMError, "\($0)") }
        XCTAssertThrowsError(try EAMCalculator(file: Self.fixture("Mg_mm.eam.fs"), speciesMap: [0: "Al"])) {
            XCTAssertTrue("\($0)".contains("Al"), "\($0)")
        }
    }

    // MARK: - Energies

    /// A free A-B dimer in both formats against the closed form: catches
    /// which density table (A at B, or B at A) goes to which atom.
    func testDimerEnergyMatchesClosedForm() throws {
        let rc = 5.0
        func cube(_ c: Double, _ r: Double) -> Double { c * (rc - r) * (rc - r) * (rc - r) }
        func embed(_ u: Double, _ v: Double, _ rho: Double) -> Double { u * rho + v * rho * rho }
        for r in [2.3, 2.71, 3.4] {
            let dimer = Configuration(species: [0, 1], positions: [Vec3(0.1, 0.2, 0.3), Vec3(0.1, 0.2, 0.3) + r * Vec3(0.6, 0.8, 0)])
            let pair = cube(0.055, r) / r
            // eam/fs: the B section's table "at A" gives the density at A.
            let fs = try EAMCalculator(file: Self.fixture("synthetic-AB.eam.fs")).calculate(dimer)
            let fsExpected = embed(-1.0, 0.12, cube(0.015, r)) + embed(-0.8, 0.10, cube(0.030, r)) + pair
            XCTAssertEqual(fs.energy, fsExpected, accuracy: 1e-10, "eam/fs r = \(r)")
            let alloy = try EAMCalculator(file: Self.fixture("synthetic-AB.eam.alloy")).calculate(dimer)
            let alloyExpected = embed(-1.0, 0.12, cube(0.015, r)) + embed(-0.8, 0.10, cube(0.020, r)) + pair
            XCTAssertEqual(alloy.energy, alloyExpected, accuracy: 1e-10, "eam/alloy r = \(r)")
            // The species map can swap the elements.
            let swapped = try EAMCalculator(file: Self.fixture("synthetic-AB.eam.fs"), speciesMap: [0: "B", 1: "A"]).calculate(dimer)
            let swappedExpected = embed(-0.8, 0.10, cube(0.030, r)) + embed(-1.0, 0.12, cube(0.015, r)) + pair
            XCTAssertEqual(swapped.energy, swappedExpected, accuracy: 1e-10)
        }
    }

    /// LAMMPS's energy of ideal hcp Mg at its relaxed lattice parameters.
    func testMgHcpEnergyAtReferenceLattice() throws {
        let eam = try EAMCalculator(file: Self.fixture("Mg_mm.eam.fs"))
        let hcp = Lattice.hcp(a: Self.mgA, cOverA: Self.mgCOverA).unitCell()
        let labels = try eam.calculate(hcp)
        XCTAssertEqual(labels.energy / 2, -1.5287, accuracy: 2e-4)
        XCTAssertEqual(hcp.volume / 2, 22.762, accuracy: 2e-3)
        for f in labels.forces { XCTAssertLessThan(norm(f), 1e-10) }
        // At the minimum the stress nearly vanishes: |sigma| < 0.05 GPa.
        for s in labels.stress(volume: hcp.volume) { XCTAssertLessThan(abs(s) * 160.21766, 0.05) }
        // A supercell gives the same energy per atom.
        let big = try eam.calculate(hcp.supercell(3, 3, 2))
        XCTAssertEqual(big.energy / 36, labels.energy / 2, accuracy: 1e-10)
    }

    // MARK: - Derivatives

    func rattled(_ c: Configuration, amplitude: Double, seed: UInt64) -> Configuration {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var r = c
        for a in 0..<r.atomCount { r.positions[a] += 2 * amplitude * Vec3(uniform(), uniform(), uniform()) }
        return r
    }

    func checkDerivatives(_ calc: Calculator, _ c: Configuration, label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let base = try calc.calculate(c)
        let h = 1e-5
        let fScale = max(1e-2, base.forces.map { max(abs($0.x), abs($0.y), abs($0.z)) }.max()!)
        for a in 0..<c.atomCount {
            for x in 0..<3 {
                var plus = c, minus = c
                plus.positions[a][x] += h
                minus.positions[a][x] -= h
                let fd = -(try calc.calculate(plus).energy - calc.calculate(minus).energy) / (2 * h)
                XCTAssertEqual(base.forces[a][x], fd, accuracy: 1e-6 * fScale, "\(label) force atom \(a) axis \(x)", file: file, line: line)
            }
        }
        // W_ab = -dE/d(eps_ab): strain cell and positions by F = 1 + eps.
        let wScale = max(1e-2, base.virial.voigt.map(abs).max()!)
        for (v, (a, b)) in [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)].enumerated() {
            func strained(_ e: Double) throws -> Double {
                var f = [Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)]
                if a == b { f[a][a] += e } else { f[a][b] += e / 2; f[b][a] += e / 2 }
                return try calc.calculate(c.deformed(by: f)).energy
            }
            let fd = -(try strained(h) - strained(-h)) / (2 * h)
            XCTAssertEqual(base.virial.voigt[v], fd, accuracy: 1e-6 * wScale, "\(label) virial \(v)", file: file, line: line)
        }
        // Translation invariance.
        let total = base.forces.reduce(Vec3.zero, +)
        XCTAssertLessThan(norm(total), 1e-9 * Double(c.atomCount) * fScale, label, file: file, line: line)
    }

    func testMgForcesAndVirialOnRattledShearedCell() throws {
        let eam = try EAMCalculator(file: Self.fixture("Mg_mm.eam.fs"))
        let hcp = Lattice.hcp(a: Self.mgA, cOverA: Self.mgCOverA).unitCell().supercell(2, 2, 1)
        let shear = [Vec3(1.03, 0.07, -0.04), Vec3(0.02, 0.98, 0.09), Vec3(0.05, -0.06, 1.02)]
        let c = rattled(hcp.deformed(by: shear), amplitude: 0.15, seed: 11)
        try checkDerivatives(eam, c, label: "Mg")
    }

    func testTwoSpeciesForcesAndVirial() throws {
        var fcc = Lattice.fcc(a: 3.9).unitCell().supercell(1, 1, 2)
        fcc.species = (0..<fcc.atomCount).map { $0 % 3 == 0 ? 1 : 0 }
        let shear = [Vec3(1.0, 0.08, 0.0), Vec3(-0.05, 1.04, 0.03), Vec3(0.02, 0.0, 0.97)]
        let c = rattled(fcc.deformed(by: shear), amplitude: 0.2, seed: 5)
        for name in ["synthetic-AB.eam.alloy", "synthetic-AB.eam.fs"] {
            try checkDerivatives(try EAMCalculator(file: Self.fixture(name)), c, label: name)
        }
    }

    /// Release-build speed on a 288-atom hcp cell, printed for the docs.
    func testSpeedOn288Atoms() throws {
        let eam = try EAMCalculator(file: Self.fixture("Mg_mm.eam.fs"))
        let c = rattled(Lattice.hcp(a: Self.mgA, cOverA: Self.mgCOverA).unitCell().supercell(6, 6, 4), amplitude: 0.05, seed: 3)
        XCTAssertEqual(c.atomCount, 288)
        _ = try eam.calculate(c)
        // Thread CPU time: the test machine is shared, wall time is not ours.
        func cpuSeconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
        }
        let repeats = 20
        let start = cpuSeconds()
        for _ in 0..<repeats { _ = try eam.calculate(c) }
        let perAtom = (cpuSeconds() - start) / Double(repeats * c.atomCount) * 1e6
        let listStart = cpuSeconds()
        for _ in 0..<repeats { _ = try NeighborList(c, cutoff: eam.cutoff) }
        let listPerAtom = (cpuSeconds() - listStart) / Double(repeats * c.atomCount) * 1e6
        print(String(format: "EAM Mg, 288 atoms: %.2f us/atom (CPU) per energy+forces+virial call, of which %.2f us/atom the neighbour list", perAtom, listPerAtom))
    }
}
