import XCTest
import CommandLineTesting
import Foundation

/// A sweep rerun with a higher `--max-iter` continues the fits that stopped
/// at the old limit from their checkpoints, and ends where one run with the
/// higher limit ends.
final class SweepExtensionTests: TemporaryDirectoryTestCase {
    typealias Run = MTPExecutable.Run
    func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }
    func path(_ name: String) -> String { tmpURL.appendingPathComponent(name).path }
    func sweep(_ out: String, iterations: Int) throws -> Run {
        try MTPExecutable.run(["sweep", fixture("cu-3.cfg"), "--levels", "2", "--cutoffs", "4.0", "--min-dist", "1.5",
                               "--tolerance", "0", "--max-iter", String(iterations), "--out", out], in: tmpURL)
    }
    func record(_ out: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(out + "/fits/L02-c4.00.json")))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testHigherMaxIterContinuesFromTheCheckpoint() throws {
        let first = try sweep("s", iterations: 2)
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertEqual(try record("s")["iterations"] as? Int, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("s/fits/L02-c4.00.checkpoint.json")),
                      "a fit that stopped at its limit keeps its checkpoint")

        let more = try sweep("s", iterations: 4)
        XCTAssertEqual(more.status, 0, more.err)
        XCTAssertEqual(try record("s")["iterations"] as? Int, 4)
        let log = try String(contentsOfFile: path("s/fits/L02-c4.00.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("resuming at iteration 2"), log)

        let whole = try sweep("w", iterations: 4)
        XCTAssertEqual(whole.status, 0, whole.err)
        XCTAssertEqual(try String(contentsOfFile: path("s/fits/L02-c4.00.mtp"), encoding: .utf8),
                       try String(contentsOfFile: path("w/fits/L02-c4.00.mtp"), encoding: .utf8))

        // The same limit again: the fit is finished, nothing runs.
        let again = try sweep("s", iterations: 4)
        XCTAssertEqual(again.status, 0, again.err)
        XCTAssertTrue(again.out.contains("1 already finished"), again.out)
    }
}
