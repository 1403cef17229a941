import Foundation
import XCTest
import Atomistic
import Reference

/// The ASE bridge against ASE itself: the same EMT numbers through the
/// worker as from ASE called directly, with the stress turned into the
/// engine's virial W = -stress * V (sign and unit checked).
final class ASEBridgeTests: XCTestCase {
    static let emt = "from ase.calculators.emt import EMT\ndef calculator():\n    return EMT()\n"

    /// A strained, rattled fcc Cu cell (4 atoms) scaled by `scale`.
    static func strainedCopper(scale: Double) -> Configuration {
        let a = 3.61 * scale
        let strain: [Vec3] = [Vec3(1.02, 0.01, 0), Vec3(0, 0.97, 0.015), Vec3(0.005, 0, 1.01)]
        let cell = (0..<3).map { i in a * strain[i] }
        let fractional: [Vec3] = [Vec3(0, 0, 0), Vec3(0.5, 0.5, 0), Vec3(0.5, 0, 0.5), Vec3(0, 0.5, 0.5)]
        let rattle: [Vec3] = [Vec3(0.03, -0.02, 0.01), Vec3(-0.04, 0.01, 0.02), Vec3(0.0, 0.05, -0.03), Vec3(0.02, -0.01, -0.04)]
        let positions = zip(fractional, rattle).map { f, r in f.x * cell[0] + f.y * cell[1] + f.z * cell[2] + r }
        return Configuration(cell: cell, pbc: .all, species: [0, 0, 0, 0], positions: positions)
    }

    /// Energy, forces and stress from ASE's EMT called directly (no bridge).
    static func direct(_ c: Configuration) throws -> (energy: Double, forces: [[Double]], stress: [Double]?) {
        struct Out: Decodable { var energy: Double; var forces: [[Double]]; var stress: [Double]? }
        let input = try JSONSerialization.data(withJSONObject: [
            "cell": c.cell.map { [$0.x, $0.y, $0.z] }, "positions": c.positions.map { [$0.x, $0.y, $0.z] },
            "pbc": [c.pbc.x, c.pbc.y, c.pbc.z]])
        let code = """
            import json, sys
            from ase import Atoms
            from ase.calculators.emt import EMT
            d = json.loads(sys.argv[1])
            a = Atoms('Cu%d' % len(d['positions']), positions=d['positions'], cell=d['cell'], pbc=d['pbc'])
            a.calc = EMT()
            s = a.get_stress(voigt=True).tolist() if all(d['pbc']) else None
            print(json.dumps({'energy': a.get_potential_energy(), 'forces': a.get_forces().tolist(), 'stress': s}))
            """
        guard let out = PythonTesting.run(code, arguments: [String(decoding: input, as: UTF8.self)]) else {
            throw XCTSkip("ASE could not be run directly")
        }
        let o = try JSONDecoder().decode(Out.self, from: Data(out.utf8))
        return (o.energy, o.forces, o.stress)
    }

    func testEMTThroughTheBridgeEqualsASE() throws {
        try PythonTesting.require(module: "ase")
        let dir = try PythonTesting.scratch(self)
        let calc = try ASECalculator(file: try PythonTesting.file(dir, "emt.py", Self.emt), species: ["Cu"])
        XCTAssertEqual(calc.name, "ase:emt.py")
        var cluster = Self.strainedCopper(scale: 1)
        cluster.pbc = .none
        cluster.cell = [.zero, .zero, .zero]
        for c in [Self.strainedCopper(scale: 1), Self.strainedCopper(scale: 0.96), Self.strainedCopper(scale: 1.05), cluster] {
            let bridged = try calc.calculate(c)
            let ase = try Self.direct(c)
            XCTAssertEqual(bridged.energy, ase.energy, accuracy: 1e-10)
            for (f, g) in zip(bridged.forces, ase.forces) {
                for k in 0..<3 { XCTAssertEqual(f[k], g[k], accuracy: 1e-10) }
            }
            if let stress = ase.stress {
                // W = -sigma V in eV, Voigt xx yy zz yz xz xy (ASE's order).
                for (w, s) in zip(bridged.virial.voigt, stress) { XCTAssertEqual(w, -s * c.volume, accuracy: 1e-10) }
                // The engine's own convention gives ASE's stress back.
                for (s1, s2) in zip(bridged.stress(volume: c.volume), stress) { XCTAssertEqual(s1, s2, accuracy: 1e-12) }
            } else {
                XCTAssertEqual(bridged.virial, .zero)
            }
        }
        // Sign: a compressed cell pushes outwards (ASE: negative stress), so W is positive.
        let squeezed = try calc.calculate(Self.strainedCopper(scale: 0.93)).virial
        XCTAssertGreaterThan(squeezed.xx + squeezed.yy + squeezed.zz, 0)
        let stretched = try calc.calculate(Self.strainedCopper(scale: 1.08)).virial
        XCTAssertLessThan(stretched.xx + stretched.yy + stretched.zz, 0)
    }

    func testStartFailuresAreOneClearError() throws {
        try PythonTesting.require(module: "ase")
        let dir = try PythonTesting.scratch(self)
        let missing = try PythonTesting.file(dir, "missing.py", "import gpaw_package_that_is_not_installed\ndef calculator():\n    return None\n")
        XCTAssertThrowsError(try ASECalculator(file: missing, species: ["Mg"])) { error in
            guard case .start(let message)? = error as? ASEWorkerError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("gpaw_package_that_is_not_installed"), message)
            XCTAssertTrue(message.contains("missing.py"), message)
        }
        let none = try PythonTesting.file(dir, "none.py", "x = 1\n")
        XCTAssertThrowsError(try ASECalculator(file: none, species: ["Mg"])) { error in
            XCTAssertTrue("\(error)".contains("calculator()"), "\(error)")
        }
        XCTAssertThrowsError(try ASECalculator(file: dir + "/absent.py", species: ["Mg"])) { error in
            XCTAssertEqual((error as? InputError)?.file, dir + "/absent.py")
        }
        XCTAssertThrowsError(try ASECalculator(file: none, species: ["Xx"]))
        XCTAssertThrowsError(try makeCalculator(spec: "ase:" + none)) { error in
            XCTAssertTrue("\(error)".contains("element"), "\(error)")
        }
    }

    /// Raise, exit and hang on chosen structures: each fails with its
    /// reason, the worker comes back, and the next structure is labelled.
    func testFailuresRestartTheWorker() throws {
        try PythonTesting.require(module: "ase")
        let dir = try PythonTesting.scratch(self)
        let calc = try ASECalculator(file: try PythonTesting.file(dir, "picky.py", Self.picky), species: ["Cu"], timeout: 3)
        let good = Self.strainedCopper(scale: 1)
        let expected = try calc.calculate(good)
        for (atoms, reason) in [(3, "ValueError: three atoms are refused"), (5, "exit status 3"), (6, "timeout")] {
            var c = good
            c.positions = Array((0..<atoms).map { Vec3(Double($0) * 2.5, 0.1 * Double($0), 0) })
            c.species = Array(repeating: 0, count: atoms)
            XCTAssertThrowsError(try calc.calculate(c)) { error in
                guard case .structure(let message)? = error as? ASEWorkerError else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains(reason), message)
            }
            XCTAssertEqual(try calc.calculate(good), expected)
        }
    }

    /// EMT, except: 3 atoms raise, 5 atoms kill the worker, 6 atoms hang.
    static let picky = """
        import os, time
        from ase.calculators.emt import EMT
        class Picky(EMT):
            def calculate(self, atoms=None, *args, **kwargs):
                n = len(atoms)
                if n == 3:
                    raise ValueError("three atoms are refused")
                if n == 5:
                    os._exit(3)
                if n == 6:
                    time.sleep(600)
                super().calculate(atoms, *args, **kwargs)
        def calculator():
            return Picky()

        """
}
