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

    /// `mtp sweep --grow`: levels train lowest first, each from the one below
    /// (its record says so), and starts where the level below ended.
    func testSweepGrowsEachLevelFromTheOneBelow() throws {
        let out = tmpURL.appendingPathComponent("s").path
        let args = ["sweep", fixture("cu-3.cfg"), "--levels", "2,4,6", "--cutoffs", "4.0", "--min-dist", "1.5",
                    "--tolerance", "0", "--max-iter", "3", "--max-iter-at", "2=2", "--grow", "--out", out]
        let r = try MTPExecutable.run(args, in: tmpURL)
        XCTAssertEqual(r.status, 0, r.err)
        let stages = ["level 2: 1 fit", "level 4: 1 fit", "level 6: 1 fit"].map { r.out.range(of: $0)?.lowerBound }
        XCTAssertTrue(stages.allSatisfy { $0 != nil }, r.out)
        XCTAssertTrue(stages[0]! < stages[1]! && stages[1]! < stages[2]!, r.out)

        func record(_ name: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/fits/\(name).json"))
            return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        func firstLoss(_ name: String) throws -> Double {
            let log = try String(contentsOfFile: out + "/fits/\(name).log", encoding: .utf8)
            let line = try XCTUnwrap(log.split(separator: "\n").first { $0.split(separator: " ").first == "1" }, log)
            return try XCTUnwrap(Double(line.split(separator: " ")[1]))
        }
        XCTAssertNil((try record("L02-c4.00")["settings"] as? [String: Any])?["grownFrom"])
        // --max-iter-at: level 2 stops at 2 iterations, the others at --max-iter.
        XCTAssertEqual(try record("L02-c4.00")["iterations"] as? Int, 2)
        XCTAssertEqual(try record("L04-c4.00")["iterations"] as? Int, 3)
        for (name, lower, below) in [("L04-c4.00", 2, "L02-c4.00"), ("L06-c4.00", 4, "L04-c4.00")] {
            let settings = try XCTUnwrap(try record(name)["settings"] as? [String: Any])
            XCTAssertEqual(settings["grownFrom"] as? Int, lower)
            let log = try String(contentsOfFile: out + "/fits/\(name).log", encoding: .utf8)
            XCTAssertTrue(log.contains("grown from the level-\(lower) fit"), log)
            // Levenberg-Marquardt only accepts steps that lower the loss, and the
            // grown start predicts exactly what the level below ended with.
            let belowLoss = try XCTUnwrap(try record(below)["loss"] as? Double)
            XCTAssertLessThanOrEqual(try firstLoss(name), belowLoss * (1 + 1e-9))
        }
        let again = try MTPExecutable.run(args, in: tmpURL)
        XCTAssertEqual(again.status, 0, again.err)
        XCTAssertTrue(again.out.contains("3 already finished"), again.out)
    }
}
