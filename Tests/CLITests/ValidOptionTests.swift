import XCTest
import CommandLineTesting
import Foundation
import Atomistic
import MTP

/// `--valid FILE` and `--stop-on-valid N` of `mtp train` and `mtp sweep`.
final class ValidOptionTests: TemporaryDirectoryTestCase {
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

    /// Every iteration's line carries the validation errors, the summary
    /// keeps them all, the best and the kept iteration; a .h5 validation set
    /// gives the same numbers as its .cfg.
    func testTrainWithValidPrintsAndRecordsEveryIteration() throws {
        ok(try mtp("convert", fixture("cu-3.cfg"), "--species", "Cu", "-o", path("v.h5")))
        var histories: [[[String: Any]]] = []
        for v in [fixture("cu-3.cfg"), path("v.h5")] {
            let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "out.mtp", "--max-iter", "3",
                            "--tolerance", "0", "--valid", v, "--stop-on-valid", "5")
            ok(r)
            XCTAssertTrue(r.out.contains("valid loss"), r.out)
            XCTAssertTrue(r.out.contains("validation set \(v): 3 configurations"), r.out)
            let s = try XCTUnwrap(try json(path("out.mtp.json"))["validation"] as? [String: Any])
            let history = try XCTUnwrap(s["history"] as? [[String: Any]])
            XCTAssertEqual(history.count, 3)
            XCTAssertEqual(s["stopOnValid"] as? Int, 5)
            XCTAssertNotNil(s["best"] as? [String: Any])
            XCTAssertEqual(s["keptIteration"] as? Int, (s["best"] as? [String: Any])?["iteration"] as? Int)
            histories.append(history)
        }
        XCTAssertEqual(histories[0].map { $0["loss"] as? Double }, histories[1].map { $0["loss"] as? Double })
    }

    func testStopOnValidNeedsAValidationSet() throws {
        let r = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "x.mtp", "--stop-on-valid", "2")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("--stop-on-valid needs a validation set"), r.err)
        let zero = try mtp("train", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "-o", "x.mtp", "--valid", fixture("cu-3.cfg"),
                           "--stop-on-valid", "0")
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.err.contains("--stop-on-valid must be at least 1"), zero.err)
        let missing = try mtp("sweep", fixture("cu-3.cfg"), "--levels", "2", "--cutoffs", "4.0", "--out", "s",
                              "--valid", path("missing.cfg"))
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("missing.cfg"), missing.err)
    }

    /// `mtp sweep --valid`: each fit's record and the summary tables hold
    /// the validation errors, and the Pareto front is on them.
    func testSweepRecordsValidationErrors() throws {
        let r = try mtp("sweep", fixture("cu-3.cfg"), "--levels", "2", "--cutoffs", "4.0", "--min-dist", "1.5",
                        "--max-iter", "2", "--out", "s", "--valid", fixture("cu-3.cfg"))
        ok(r)
        let record = try json(path("s/fits/L02-c4.00.json"))
        let v = try XCTUnwrap(record["validationErrors"] as? [[String: Any]])
        XCTAssertEqual(v.last?["configurations"] as? Int, 3)
        XCTAssertEqual((record["validation"] as? [String: Any])?["history"].map { ($0 as? [Any])?.count }, 2)
        let csv = try String(contentsOfFile: path("s/summary.csv"), encoding: .utf8)
        XCTAssertTrue(csv.split(separator: "\n")[0].contains("valid_energy_rmse_meV_per_atom"), csv)
        let md = try String(contentsOfFile: path("s/summary.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("valid E RMSE (meV/atom)") && md.contains("the Pareto front is on the validation energy RMSE"), md)
    }
}
