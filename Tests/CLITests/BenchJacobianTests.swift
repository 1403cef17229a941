import XCTest
import CommandLineTesting
import Foundation

/// `mtp bench jacobian` as benchmarks/jacobian runs it: the summary, the
/// JSON record and the block size asked for.
final class BenchJacobianTests: TemporaryDirectoryTestCase {
    func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }

    func testBlockAtomsReachesTheKernelAndTheRecord() throws {
        let json = tmpURL.appendingPathComponent("bench.json").path
        let r = try MTPExecutable.run(["bench", "jacobian", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "--repeats", "1",
                                       "--block-atoms", "3", "-o", json])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("Jacobian pass:"), r.out)
        XCTAssertTrue(r.out.contains("blocks of at most 3 atoms"), r.out)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        XCTAssertEqual(record["blockAtoms"] as? Int, 3)
        XCTAssertEqual(record["configurations"] as? Int, 3)
        let passCPU = try XCTUnwrap(record["passCPU"] as? Double)
        XCTAssertTrue(passCPU.isFinite && passCPU > 0)
    }

    func testBlockAtomsOutOfRangeIsRefused() throws {
        for bad in ["0", "-2", "5000"] {
            let r = try MTPExecutable.run(["bench", "jacobian", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "--block-atoms=\(bad)"])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.err.split(separator: "\n").first?.contains("--block-atoms must be 1-4096") ?? false, r.err)
        }
    }
}
