import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import MTP

/// MLIP's command-line vocabulary (docs/mlip-users.md): every alias parses
/// and does what MLIP's option does, or says what to use instead.
final class MLIPVocabularyTests: TemporaryDirectoryTestCase {
    typealias Run = MTPExecutable.Run
    func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }
    func path(_ name: String) -> String { tmpURL.appendingPathComponent(name).path }
    func mtp(_ args: String...) throws -> Run { try MTPExecutable.run(args, in: tmpURL) }
    func ok(_ r: Run, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, "stdout:\n\(r.out)\nstderr:\n\(r.err)", file: file, line: line)
    }
    func json(_ p: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p))) as? [String: Any])
    }
    /// The loss printed for iteration `k` (the iteration table's second column).
    func loss(_ out: String, iteration k: Int) -> Double? {
        for line in out.split(separator: "\n") {
            let tokens: [Substring] = line.split(separator: " ")
            if tokens.count > 2 && tokens[0] == Substring(String(k)) { return Double(String(tokens[1])) }
        }
        return nil
    }

    // MARK: mlp train

    func testTrainWithoutOutputWritesMLIPsDefaultName() throws {
        ok(try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "--max-iter", "1"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("Trained.mtp_")))
        XCTAssertNoThrow(try MTPFile.read(path: path("Trained.mtp_")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("Trained.mtp_.json")))
    }

    func testTrainedPotNameMaxIterAndConvergenceTolerance() throws {
        let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "--trained-pot-name=named.mtp", "--max-iter=2",
                        "--bfgs-conv-tol=0.5")
        ok(r)
        XCTAssertNoThrow(try MTPFile.read(path: path("named.mtp")))
        let s = try json(path("named.mtp.json"))
        // A tolerance of 0.5 stops at the first iteration that gains less than half the loss.
        XCTAssertLessThanOrEqual(try XCTUnwrap(s["iterations"] as? Int), 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("Trained.mtp_")))
    }

    func testValidCfgsAndCurrPotName() throws {
        let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "out.mtp", "--max-iter", "2",
                        "--valid-cfgs", fixture("cu-3.cfg"), "--curr-pot-name", "current.mtp")
        ok(r)
        XCTAssertTrue(r.out.contains("errors on the validation set \(fixture("cu-3.cfg")) (3 configurations):"), r.out)
        XCTAssertTrue(r.out.contains("validation errors    configs |"), r.out)
        let s = try json(path("out.mtp.json"))
        let valid = try XCTUnwrap(s["validationGroups"] as? [[String: Any]])
        let train = try XCTUnwrap(s["groups"] as? [[String: Any]])
        // The validation set is the training set here: the same errors.
        XCTAssertEqual(valid.last?["energyRMSE"] as? Double, train.last?["energyRMSE"] as? Double)
        XCTAssertEqual(try MTPFile.read(path: path("current.mtp")).parameters, try MTPFile.read(path: path("out.mtp")).parameters)
        // Without --valid-cfgs the summary has no such key (unchanged output).
        ok(try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "plain.mtp", "--max-iter", "1"))
        XCTAssertNil(try json(path("plain.mtp.json"))["validationGroups"])
        let bad = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "x.mtp", "--valid-cfgs", path("missing.cfg"))
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("missing.cfg"), bad.err)
    }

    func testInitParams() throws {
        let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "a.mtp", "--max-iter", "1", "--init-params=random")
        ok(r)
        XCTAssertTrue(r.out.contains("it starts from them"), r.out)
        // On an untrained potential, random and same start apart.
        ok(try mtp("basis", "--level", "4", "--species-count", "1", "--min-dist", "2", "--max-dist", "5", "-o", "t.mtp"))
        var text = try String(contentsOfFile: path("t.mtp"), encoding: .utf8)
        if let r0 = text.range(of: "\tradial_coeffs") ?? text.range(of: "radial_coeffs\n") {
            // Drop the radial coefficients: an MLIP template has none.
            let end = text.range(of: "alpha_moments_count", range: r0.upperBound..<text.endIndex)!.lowerBound
            text.removeSubrange(r0.lowerBound..<end)
            try text.write(toFile: path("t.mtp"), atomically: true, encoding: .utf8)
        }
        XCTAssertNil(try MTPFile.read(path: path("t.mtp")).radialCoeffs)
        ok(try mtp("train", "t.mtp", fixture("cu-3.cfg"), "-o", "same.mtp", "--max-iter", "0", "--init-params", "same"))
        ok(try mtp("train", "t.mtp", fixture("cu-3.cfg"), "-o", "random.mtp", "--max-iter", "0", "--init-params", "random"))
        ok(try mtp("train", "t.mtp", fixture("cu-3.cfg"), "-o", "default.mtp", "--max-iter", "0"))
        let same = try MTPFile.read(path: path("same.mtp")).radialCoeffs!, random = try MTPFile.read(path: path("random.mtp")).radialCoeffs!
        XCTAssertEqual(same, try MTPFile.read(path: path("default.mtp")).radialCoeffs!)
        XCTAssertNotEqual(same, random)
        let bad = try mtp("train", "t.mtp", fixture("cu-3.cfg"), "--init-params", "zero")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("--init-params must be random or same"), bad.err)
    }

    func testUpdateMindistAndMindist() throws {
        let m = try mtp("mindist", fixture("cu-3.cfg"))
        ok(m)
        let value = try XCTUnwrap(m.out.split(separator: " ").dropFirst().first.flatMap { Double($0) }, m.out)
        let configs = try CFGFormat.read(path: fixture("cu-3.cfg"))
        XCTAssertEqual(value, try XCTUnwrap(try configs.minimalDistance()))
        let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "u.mtp", "--max-iter", "1", "--update-mindist")
        ok(r)
        XCTAssertTrue(r.out.contains("min_dist set to the training set's shortest interatomic distance"), r.out)
        XCTAssertEqual(try MTPFile.read(path: path("u.mtp")).minDist, value)
        XCTAssertEqual(try mtp("calc-efs", "u.mtp", fixture("cu-3.cfg"), "u.cfg").status, 0)
    }

    func testWeighting() throws {
        var losses: [String: Double] = [:]
        for w in ["vibrations", "molecules", "structures"] {
            let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "\(w).mtp", "--max-iter", "0",
                            "--weighting", w, "--force-weight", "0", "--stress-weight", "0")
            ok(r)
            // With no iteration the summary's loss is the starting loss.
            losses[w] = try XCTUnwrap(try json(path("\(w).mtp.json"))["loss"] as? Double)
            XCTAssertGreaterThan(losses[w]!, 0)
        }
        // Equal sizes (32 atoms): energy terms / N, * 1, / N^2.
        XCTAssertEqual(losses["molecules"]!, 32 * losses["vibrations"]!, accuracy: 1e-9 * losses["molecules"]!)
        XCTAssertEqual(losses["structures"]!, losses["vibrations"]! / 32, accuracy: 1e-9 * losses["vibrations"]!)
        let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "v.mtp", "--max-iter", "1", "--weighting=structures")
        ok(r)
        XCTAssertNotNil(loss(r.out, iteration: 1), r.out)
        let bad = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "--weighting", "atoms")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("--weighting must be one of vibrations, molecules, structures"), bad.err)
    }

    func testSkipPreinitSaysWhatToUse() throws {
        let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "p.mtp", "--max-iter", "0", "--skip-preinit")
        ok(r)
        XCTAssertTrue(r.out.contains("--skip-preinit changes nothing here") && r.out.contains("--max-iter"), r.out)
    }

    // MARK: other mlp commands

    func testCalcErrorsIsCheckErrors() throws {
        let a = try mtp("calc-errors", fixture("cu-08.mtp"), fixture("cu-3.cfg"))
        let b = try mtp("check-errors", fixture("cu-08.mtp"), fixture("cu-3.cfg"))
        ok(a)
        XCTAssertEqual(a.out, b.out)
    }

    func testCalcGradeIsGrade() throws {
        let r = try mtp("calc-grade", fixture("cu-08.mtp"), fixture("cu-3.cfg"), fixture("cu-3.cfg"), "graded.cfg")
        ok(r)
        let graded = try CFGFormat.read(path: path("graded.cfg"))
        XCTAssertEqual(graded.count, 3)
        XCTAssertTrue(graded.allSatisfy { $0.features.contains { $0.key == "MV_grade" } })
    }

    func testConvertCfgInOut() throws {
        ok(try mtp("convert-cfg", fixture("cu-3.cfg"), "copy.cfg"))
        XCTAssertEqual(try CFGFormat.read(path: path("copy.cfg")), try CFGFormat.read(path: fixture("cu-3.cfg")))
        ok(try mtp("convert-cfg", fixture("cu-3.cfg"), "copy2.cfg", "--input-format=txt", "--output-format=txt"))
        let lammps = try mtp("convert-cfg", fixture("cu-3.cfg"), "x.data", "--output-format=lammps-datafile")
        XCTAssertNotEqual(lammps.status, 0)
        XCTAssertTrue(lammps.err.contains("for LAMMPS or POSCAR files convert the .extxyz with ASE"), lammps.err)
        let one = try mtp("convert-cfg", fixture("cu-3.cfg"))
        XCTAssertNotEqual(one.status, 0)
        XCTAssertTrue(one.err.contains("give the inputs and an output"), one.err)
        // Three arguments without -o: an error, not the last input overwritten.
        let three = try mtp("convert", fixture("cu-3.cfg"), "copy.cfg", "copy2.cfg")
        XCTAssertNotEqual(three.status, 0)
        XCTAssertEqual(try CFGFormat.read(path: path("copy2.cfg")), try CFGFormat.read(path: fixture("cu-3.cfg")))
    }
}
