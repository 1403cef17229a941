import XCTest
import CommandLineTesting
import Foundation

/// `--weights balanced|mlip` and explicit weights of `mtp train`: the
/// weights chosen are printed first and kept in the summary JSON.
final class WeightsOptionTests: TemporaryDirectoryTestCase {
    typealias Run = MTPExecutable.Run
    /// Ten configurations of the mlearn Mo set (BSD-3, the licence beside it):
    /// energies per atom spread with variance 0.01606 eV^2, <F^2> = 0.1147
    /// (eV/A)^2, so rho = 7.141 A^-2, inside the balanced rule's range.
    var mo10: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../TrainingStoreTests/Fixtures/mlearn/Mo-10.json").standardizedFileURL.path
    }
    func path(_ name: String) -> String { tmpURL.appendingPathComponent(name).path }
    func mtp(_ args: String...) throws -> Run { try MTPExecutable.run(args, in: tmpURL) }
    func ok(_ r: Run, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, "stdout:\n\(r.out)\nstderr:\n\(r.err)", file: file, line: line)
    }
    func weights(_ args: String...) throws -> (line: String, json: [String: Any]) {
        let r = try MTPExecutable.run(["train", path("start.mtp"), mo10, "-o", "out.mtp", "--max-iter", "1",
                                       "--checkpoint-every", "0"] + args, in: tmpURL)
        ok(r)
        let first = String(r.out.split(separator: "\n").first { $0.hasPrefix("loss weights:") } ?? "")
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("out.mtp.json"))))
                                    as? [String: Any])
        return (first, try XCTUnwrap(summary["weights"] as? [String: Any]))
    }

    func testDefaultMLIPAndExplicitWeights() throws {
        ok(try mtp("basis", "--level", "2", "--min-dist", "1.5", "--max-dist", "5.0", "-o", "start.mtp"))
        let balanced = try weights()
        XCTAssertTrue(balanced.line.hasPrefix("loss weights: energy 7.14"), balanced.line)
        XCTAssertTrue(balanced.line.contains("balanced: <F^2>/var(E/N) = 7.14"), balanced.line)
        XCTAssertEqual(balanced.json["rule"] as? String, "balanced")
        XCTAssertEqual(try XCTUnwrap(balanced.json["energy"] as? Double), 7.1408, accuracy: 1e-3)
        XCTAssertEqual(balanced.json["force"] as? Double, 0.01)
        XCTAssertNotNil(balanced.json["statistics"] as? [String: Any])

        let mlip = try weights("--weights", "mlip")
        XCTAssertTrue(mlip.line.hasPrefix("loss weights: energy 1, force 0.01, stress 0.001 (mlip"), mlip.line)
        XCTAssertEqual(mlip.json["rule"] as? String, "mlip")
        XCTAssertEqual(mlip.json["energy"] as? Double, 1)

        let given = try weights("--weights", "mlip", "--energy-weight", "5", "--stress-weight", "0")
        XCTAssertTrue(given.line.hasPrefix("loss weights: energy 5, force 0.01, stress 0 ("), given.line)
        XCTAssertEqual(given.json["explicit"] as? [String], ["energy", "stress"])
        let givenBalanced = try weights("--force-weight", "0.1")
        XCTAssertEqual(givenBalanced.json["force"] as? Double, 0.1)
        XCTAssertEqual(try XCTUnwrap(givenBalanced.json["energy"] as? Double), 7.1408, accuracy: 1e-3)

        let bad = try mtp("train", path("start.mtp"), mo10, "-o", "x.mtp", "--weights", "equal")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("--weights must be one of balanced, mlip"), bad.err)
        let negative = try mtp("train", path("start.mtp"), mo10, "-o", "x.mtp", "--energy-weight=-1")
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.err.contains("weights must be non-negative"), negative.err)
    }

    /// `mtp sweep` takes the same options and keeps the weights of every fit in its record.
    func testSweepRecordsTheWeights() throws {
        for (args, rule, energy) in [([String](), "balanced", 7.1408), (["--weights", "mlip", "--energy-weight", "3"], "mlip", 3)] {
            let out = "s-\(rule)"
            let r = try MTPExecutable.run(["sweep", mo10, "--levels", "2", "--cutoffs", "5.0", "--min-dist", "1.5",
                                           "--max-iter", "1", "--out", out] + args, in: tmpURL)
            ok(r)
            let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(out + "/fits/L02-c5.00.json"))))
                                       as? [String: Any])
            let w = try XCTUnwrap(record["weights"] as? [String: Any])
            XCTAssertEqual(w["rule"] as? String, rule)
            XCTAssertEqual(try XCTUnwrap(w["energy"] as? Double), energy, accuracy: 1e-3)
            let log = try String(contentsOfFile: path(out + "/fits/L02-c5.00.log"), encoding: .utf8)
            XCTAssertTrue(log.contains("loss weights: energy \(rule == "mlip" ? "3" : "7.14")"), log)
        }
    }
}
