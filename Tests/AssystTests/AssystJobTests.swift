import XCTest
import CommandLineTesting
import Foundation
import TrainingStore
@testable import Assyst

/// `AssystJob` called as a library, without the command line.
final class AssystJobTests: TemporaryDirectoryTestCase {
    var eam: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ReferenceTests/Fixtures/Mg_mm.eam.fs").path
    }

    var options: AssystOptions {
        var o = AssystOptions(element: "Mg", atomicVolume: 22.87)
        o.spaceGroups = [1, 225]
        o.atomCounts = 1...2
        o.perturbation.counts = [.triax: 1, .shear: 1, .rattle: 1, .strain: 1]
        o.threads = 2
        return o
    }

    func testParsesSpaceGroupsAndReferences() throws {
        XCTAssertEqual(AssystJob.spaceGroups("1,194,200-202,194"), [1, 194, 200, 201, 202])
        for bad in ["0", "231", "5-3", "", "a", "1-2-3"] { XCTAssertNil(AssystJob.spaceGroups(bad), bad) }
        XCTAssertEqual(try AssystJob.Reference(spec: "VASP-handoff:dir"), .vaspHandoff(directory: "dir"))
        XCTAssertEqual(try AssystJob.Reference(spec: "eam:x.fs"), .local(spec: "eam:x.fs"))
        XCTAssertThrowsError(try AssystJob.Reference(spec: "vasp-handoff:"))
    }

    func testLocalJobWritesStoreAndReportAndReportsProgress() throws {
        var job = AssystJob(options: options, reference: .local(spec: "eam:" + eam), output: tmp + "/set.h5")
        XCTAssertEqual(job.reportPrefix, tmp + "/set")
        var seen: [(Int, Int)] = []
        let report = try XCTUnwrap(try job.run(progress: { seen.append(($0, $1)) }))
        // Four (group, atoms) pairs, each reported once, the last as done.
        XCTAssertEqual(seen.count, 4)
        XCTAssertEqual(seen.last?.0, 4)
        XCTAssertEqual(report.path, tmp + "/set-report.txt")
        XCTAssertEqual(try String(contentsOfFile: report.path, encoding: .utf8), report.text)
        XCTAssertTrue(report.text.hasPrefix("mtp assyst: Mg, 22.87 A^3/atom, 1-2 atoms, 2 space groups, seed 1"), report.text)
        let set = try StoreReader(path: job.output).readAll()
        // The series (ELASTIC, EOS) only when asked for (--elastic-structures, --eos-structures).
        XCTAssertEqual(set.groups, AssystStage.allCases.filter { !AssystStage.series.contains($0) }.map(\.rawValue))
        XCTAssertEqual(set.configurations.filter { $0.group == "RANDSPG" }.count, 4)
        // An existing store is kept unless the job may overwrite it.
        XCTAssertThrowsError(try job.run()) { XCTAssertTrue("\($0)".contains("exists"), "\($0)") }
        job.overwrite = true
        XCTAssertNotNil(try job.run())
        XCTAssertEqual(try StoreReader(path: job.output).readAll(), set)
    }

    func testHandoffJobExportsAndWaits() throws {
        let job = AssystJob(options: options, reference: .vaspHandoff(directory: tmp + "/dft"), output: tmp + "/dft.h5")
        var messages: [String] = []
        XCTAssertNil(try job.run(message: { messages.append($0) }))
        XCTAssertTrue(messages.last?.hasPrefix("exported RANDSPG") ?? false, "\(messages)")
        XCTAssertNil(try job.run(message: { messages.append($0) }))
        XCTAssertTrue(messages.last?.contains("have no vasprun.xml yet") ?? false, "\(messages)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: job.output))
    }
}
