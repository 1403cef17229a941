import Foundation
import XCTest
import Atomistic
import CommandLineTesting
import TrainingStore

/// `ase:FILE.py` in the other commands that take a calculator: assyst
/// labels and relaxes with it, validate uses it as the reference.
final class ASECommandsTests: XCTestCase {
    func testAssystWithEMT() throws {
        try PythonTesting.require(module: "ase")
        let dir = try PythonTesting.scratch(self)
        let emt = try PythonTesting.file(dir, "emt.py", ASEBridgeTests.emt)
        let out = dir + "/set.h5"
        let r = try MTPExecutable.run(["assyst", "--element", "Cu", "--atomic-volume", "11.8", "--max-atoms", "2", "--space-groups", "225,229",
                                       "--triax-count", "1", "--shear-count", "1", "--rattle-count", "1",
                                       "--calculator", "ase:" + emt, "-o", out, "--threads", "2", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("calculator ase:emt.py"), r.out)
        let set = try StoreReader(path: out).readAll()
        XCTAssertEqual(set.species, ["Cu"])
        XCTAssertTrue(set.groups.contains("INTMIN"))
        // Relaxed by EMT: the INTMIN structures' forces are below the tolerance.
        for c in set.configurations where c.group == "INTMIN" {
            XCTAssertLessThan(c.forces!.map(norm).max()!, 2e-3)
        }
    }

    func testValidateAgainstEMT() throws {
        try PythonTesting.require(module: "ase")
        let dir = try PythonTesting.scratch(self)
        let emt = try PythonTesting.file(dir, "emt.py", ASEBridgeTests.emt)
        let noElement = try MTPExecutable.run(["validate", "mtp:/nonexistent.mtp", "--reference", "ase:" + emt, "--out", dir + "/v"])
        XCTAssertEqual(noElement.status, 1)
        XCTAssertTrue(noElement.err.contains("--element"), noElement.err)
        let badProperty = try MTPExecutable.run(["validate", "x.mtp", "--reference", "ase:" + emt, "--element", "Cu",
                                                 "--properties", "ev,bandgap", "--out", dir + "/v"])
        XCTAssertEqual(badProperty.status, 1)
        XCTAssertTrue(badProperty.err.contains("bandgap"), badProperty.err)
        // The reference against itself through two workers: zero errors.
        let r = try MTPExecutable.run(["validate", "ase:" + emt, "--reference", "ase:" + emt, "--element", "Cu",
                                       "--properties", "ev", "--quick", "--out", dir + "/v"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("E-V fcc +-10%: RMSE 0"), r.out)
        XCTAssertFalse(r.out.contains("elastic"), r.out)
    }
}
