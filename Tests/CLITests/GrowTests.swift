import XCTest
import CommandLineTesting
import Foundation

/// `mtp grow`: the grown file predicts what the trained one did, and the
/// tool refuses what it cannot grow with one error naming the file.
final class GrowTests: TemporaryDirectoryTestCase {
    func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }

    func testGrownPotentialPredictsTheSame() throws {
        let grown = tmpURL.appendingPathComponent("g12.mtp").path
        let r = try MTPExecutable.run(["grow", fixture("cu-08.mtp"), "--level", "12", "-o", grown])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("same predictions"), r.out)
        let text = try String(contentsOfFile: grown, encoding: .utf8)
        XCTAssertTrue(text.contains("alpha_scalar_moments = 29"), text)  // level 12: 29 basis functions
        var energies: [[String]] = []
        for pot in [fixture("cu-08.mtp"), grown] {
            let out = tmpURL.appendingPathComponent("efs-\(energies.count).cfg").path
            let c = try MTPExecutable.run(["calc-efs", pot, fixture("cu-3.cfg"), out])
            XCTAssertEqual(c.status, 0, c.err)
            let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
            energies.append(lines.enumerated().compactMap { i, l in i > 0 && lines[i - 1].contains("Energy") ? l : nil })
        }
        XCTAssertEqual(energies[0].count, 3)
        for (a, b) in zip(energies[0], energies[1]) {
            let x = try XCTUnwrap(Double(a.trimmingCharacters(in: .whitespaces)))
            let y = try XCTUnwrap(Double(b.trimmingCharacters(in: .whitespaces)))
            XCTAssertEqual(x, y, accuracy: 1e-9 * max(1, abs(x)))
        }
    }

    func testRefusals() throws {
        let out = tmpURL.appendingPathComponent("x.mtp").path
        var r = try MTPExecutable.run(["grow", fixture("cu-08.mtp"), "-o", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("give one of --level and --template"), r.err)
        // Downwards: level 8 into level 4 (its radial functions and basis functions are missing).
        r = try MTPExecutable.run(["grow", fixture("cu-08.mtp"), "--level", "4", "-o", out])
        XCTAssertNotEqual(r.status, 0)
        let lines = r.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.err)
        XCTAssertTrue(r.err.contains("cu-08.mtp: growing into level 4:"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}
