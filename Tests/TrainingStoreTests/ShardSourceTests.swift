import XCTest
import Foundation
import Atomistic
import Parallel
@testable import TrainingStore

final class ShardSourceTests: XCTestCase {
    func configurations() -> [Configuration] {
        (0..<5).map { k in
            var c = Configuration(cell: [Vec3(4, 0, 0), Vec3(0, 4, 0), Vec3(0, 0, 4)], pbc: .all,
                                  species: [0, k % 2], positions: [Vec3(0, 0, 0), Vec3(1.9, 2.0, 2.1 + 0.01 * Double(k))])
            c.energy = -1.5 * Double(k) + 1e-17
            c.forces = [Vec3(0.1, -0.2, 0.3), Vec3(-0.1, 0.2, -0.3)]
            if k % 2 == 0 { c.virial = Virial(voigt: [1, 2, 3, 4, 5, 6 + Double(k)]) }
            c.group = k < 3 ? "A" : "B"
            c.energyWeight = 0.5
            c.features = [Feature(key: "MV_grade", value: "1.5")]
            c.atomProperties = [AtomProperty(name: "nbh_grades", values: [0.25, .pi])]
            return c
        }
    }

    /// Packing carries every field bit for bit and refuses bytes it did not write.
    func testPackingRoundTrip() throws {
        let configs = configurations()
        let bytes = ConfigurationPacking.pack(configs)
        XCTAssertEqual(try ConfigurationPacking.unpack(bytes), configs)
        XCTAssertThrowsError(try ConfigurationPacking.unpack(Array(bytes.dropLast())))
        var huge = bytes
        for k in 0..<8 { huge[k] = 0x7f }   // a count larger than the bytes can hold
        XCTAssertThrowsError(try ConfigurationPacking.unpack(huge))
    }

    /// A text file and the store converted from it give the same shard, and
    /// the group filter keeps exactly the named groups; an unknown group names the file.
    func testTextAndStoreGiveTheSameShard() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfg = dir.appendingPathComponent("set.cfg").path, h5 = dir.appendingPathComponent("set.h5").path
        try CFGFormat.write(configurations(), to: cfg)
        try StoreWriter.write(TrainingSet(configurations: try CFGFormat.read(path: cfg), species: ["Cu", "Ag"]), to: h5)
        let comm = Communicator.start()
        let text = try ShardSource(path: cfg, options: FormatOptions(symbols: ["Cu", "Ag"])).read(comm)
        let store = try ShardSource(path: h5).read(comm)
        XCTAssertEqual(text.configurations, store.configurations)
        XCTAssertEqual(text.species, store.species)
        XCTAssertEqual(text.totalConfigurations, 5)
        XCTAssertEqual(text.totalAtoms, 10)
        XCTAssertEqual(text.cost, store.cost, accuracy: 1e-9)
        // .cfg keeps no groups; the store written from the configurations does.
        let grouped = dir.appendingPathComponent("grouped.h5").path
        try StoreWriter.write(TrainingSet(configurations: configurations(), species: ["Cu", "Ag"]), to: grouped)
        let b = try ShardSource(path: grouped, groups: ["B"]).read(comm)
        XCTAssertEqual(b.configurations.map(\.group), ["B", "B"])
        XCTAssertEqual(b.fileIndices, [3, 4])
        XCTAssertEqual(b.totalConfigurations, 2)
        for (path, present) in [(cfg, "none"), (grouped, "A, B")] {
            XCTAssertThrowsError(try ShardSource(path: path, groups: ["C"]).read(comm)) { error in
                XCTAssertEqual("\(error)", "\(path): no group 'C' (the data has: \(present))")
            }
        }
    }
}
