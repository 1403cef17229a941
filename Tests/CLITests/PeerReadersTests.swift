import XCTest
import CommandLineTesting
import Foundation
import Atomistic

/// Files every peer reads: motep reads every `.cfg` the tool writes (with
/// the values we wrote), and the `.h5` store's string attributes are scalar
/// strings with a README (h5dump always; h5py where scripts/peers/setup.sh
/// has made its venv, as CI does).
final class PeerReadersTests: TemporaryDirectoryTestCase {
    typealias Run = MTPExecutable.Run
    func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }
    func path(_ name: String) -> String { tmpURL.appendingPathComponent(name).path }
    func mtp(_ args: String...) throws -> Run { try MTPExecutable.run(args, in: tmpURL) }
    func ok(_ r: Run, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, "stdout:\n\(r.out)\nstderr:\n\(r.err)", file: file, line: line)
    }

    /// Every `.cfg` writer of the tool: convert (full precision), calc-efs
    /// (MLIP digits and --full-precision), calc-grade with per-atom grades.
    /// The input has numbers that Swift prints with exponents.
    func writtenCFGs() throws -> [String] {
        var configs = try CFGFormat.read(path: fixture("cu-3.cfg"))
        configs[0].positions[0] = Vec3(8e-06, -1.5e-7, 3e-12)
        configs[0].forces![1] = Vec3(1e-9, -2.5e-17, 0)
        configs[1].energy! += 1e-11
        try CFGFormat.write(configs, to: path("tiny.cfg"))
        ok(try mtp("convert", "tiny.cfg", "-o", "converted.cfg"))
        ok(try mtp("calc-efs", fixture("cu-08.mtp"), "tiny.cfg", "efs.cfg"))
        ok(try mtp("calc-efs", fixture("cu-08.mtp"), "tiny.cfg", "efs-full.cfg", "--full-precision"))
        ok(try mtp("calc-grade", fixture("cu-08.mtp"), fixture("cu-3.cfg"), "efs-full.cfg", "graded.cfg", "--per-atom"))
        return ["converted.cfg", "efs.cfg", "efs-full.cfg", "graded.cfg"].map(path)
    }

    /// Our full-precision writers never print an exponent, whether or not motep is here.
    func testFullPrecisionCFGsHaveNoExponent() throws {
        for file in try writtenCFGs() {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.contains("Feature") || line.contains("MV_grade") {
                XCTAssertNil(line.range(of: #"[0-9.]e[-+]?[0-9]"#, options: .regularExpression), "\(file): \(line)")
            }
        }
    }

    func testMotepReadsEveryCFGWeWrite() throws {
        guard PeerTools.python != nil else { throw XCTSkip("no .venv-peers (bash scripts/peers/setup.sh)") }
        let files = try writtenCFGs()
        let r = try PeerTools.run(script: "motep-read-cfg.py", files)
        XCTAssertEqual(r.status, 0, r.err)
        let read = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]])
        XCTAssertEqual(read.count, files.count)
        for (file, entry) in zip(files, read) {
            let ours = try CFGFormat.read(path: file)
            let theirs = try XCTUnwrap(entry["configurations"] as? [[String: Any]])
            XCTAssertEqual(theirs.count, ours.count, file)
            for (c, t) in zip(ours, theirs) {
                XCTAssertEqual(t["atoms"] as? Int, c.atomCount)
                // The same text parsed by two correctly rounding readers: the same doubles.
                func doubles(_ a: Any?) -> [[Double]] { (a as? [[String]])?.map { $0.compactMap(Double.init) } ?? [] }
                let positions = doubles(t["positions"])
                XCTAssertEqual(positions.count, c.atomCount, file)
                for (p, q) in zip(c.positions, positions) { XCTAssertEqual([p.x, p.y, p.z], q, file) }
                if let e = c.energy { XCTAssertEqual((t["energy"] as? String).flatMap(Double.init), e, file) }
                if let f = c.forces {
                    let tf = doubles(t["forces"])
                    XCTAssertEqual(tf.count, c.atomCount, file)
                    for (p, q) in zip(f, tf) { XCTAssertEqual([p.x, p.y, p.z], q, file) }
                }
                if let v = c.virial {
                    let s = try XCTUnwrap(t["plus_stress"] as? [String]).compactMap(Double.init)
                    XCTAssertEqual(s.count, 6, file)
                    for (a, b) in zip(v.voigt, s) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(a)), file) }
                }
            }
        }
        // The full-precision files carry our values bit for bit.
        let tiny = try CFGFormat.read(path: path("tiny.cfg"))
        XCTAssertEqual(try CFGFormat.read(path: path("converted.cfg")), tiny)
    }

    func testStoreAttributesAreScalarStringsWithReadme() throws {
        ok(try mtp("convert", fixture("cu-3.cfg"), "--species", "Cu", "-o", "set.h5"))
        let dump = Process()
        dump.executableURL = URL(fileURLWithPath: "/usr/bin/h5dump")
        dump.arguments = ["-A", path("set.h5")]
        let pipe = Pipe()
        dump.standardOutput = pipe
        try dump.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        dump.waitUntilExit()
        XCTAssertEqual(dump.terminationStatus, 0)
        for name in ["format", "energy_unit", "virial_definition", "README"] {
            let block = try XCTUnwrap(text.range(of: "ATTRIBUTE \"\(name)\""), "\(name) in\n\(text)")
            let after = text[block.upperBound...].prefix(300)
            XCTAssertTrue(after.contains("DATASPACE  SCALAR"), "\(name): \(after)")
        }
        XCTAssertTrue(text.contains("species: 0 = Cu; species_count 1"), text)
        XCTAssertTrue(text.contains("W = -stress * volume"), text)
        // The store still reads (old and new attribute shapes alike).
        ok(try mtp("convert", path("set.h5"), "-o", "back.cfg"))

        guard PeerTools.python != nil else { throw XCTSkip("no .venv-peers for the h5py check (bash scripts/peers/setup.sh)") }
        let r = try PeerTools.run(script: "h5py-attrs.py", [path("set.h5")])
        XCTAssertEqual(r.status, 0, r.err)
        let attrs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: [Any]])
        for name in ["format", "length_unit", "energy_unit", "force_unit", "virial_unit", "virial_definition", "README"] {
            XCTAssertEqual(attrs[name]?.first as? String, "str", name)
        }
        XCTAssertEqual(attrs["format"]?.last as? String, "mtp-training-store")
        XCTAssertEqual(attrs["species"]?.last as? [String], ["Cu"])
        XCTAssertTrue((attrs["README"]?.last as? String)?.contains("units: length Angstrom, energy eV") ?? false)
    }
}
