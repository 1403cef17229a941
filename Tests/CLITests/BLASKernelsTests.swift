import XCTest
import CommandLineTesting
import MTP

/// `mtp` runs OpenBLAS kernels as wide as the CPU offers (`BLASCore`), and
/// never overrides a user's OPENBLAS_CORETYPE.
final class BLASKernelsTests: XCTestCase {
    func kernels(_ run: MTPExecutable.Run) -> String? {
        guard let line = run.out.split(separator: "\n").first(where: { $0.hasPrefix("OpenBLAS kernels ") }) else { return nil }
        return line.dropFirst("OpenBLAS kernels ".count).split(separator: " ").first.map(String.init)
    }

    func testToolRunsKernelsAsWideAsTheCPU() throws {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { throw XCTSkip("no /proc/cpuinfo") }
        let cpu = BLASCore.tier(ofCPUFlags: BLASCore.cpuFlags(cpuinfo: cpuinfo))
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = nil
        env[BLASCore.detectedVariable] = nil
        let run = try MTPExecutable.run(["--version"], environment: env)
        XCTAssertEqual(run.status, 0, run.err)
        let core = try XCTUnwrap(kernels(run), run.out)
        XCTAssertGreaterThanOrEqual(BLASCore.tier(ofCore: core), cpu, run.out)
    }

    func testUsersCoreTypeIsKept() throws {
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = "Prescott"
        env[BLASCore.detectedVariable] = nil
        let run = try MTPExecutable.run(["--version"], environment: env)
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertEqual(kernels(run), "Prescott", run.out)
        XCTAssertFalse(run.out.contains("mtp set OPENBLAS_CORETYPE"), run.out)
    }
}
