import XCTest
import CommandLineTesting
import Foundation
import Atomistic
@testable import TrainingStore

/// Damaged variable-length strings (issue 18): the global heap that holds
/// their characters carries no checksum and libhdf5 1.10 trusts it, so each
/// case below crashed or hung the reader before `GlobalHeap` checked it. The
/// first is the one the full fuzz run found (the species attribute's object
/// size 2 -> 99999999999, a crash in H5HG_read).
final class GlobalHeapTests: TemporaryDirectoryTestCase {
    /// A store of the Mo mlearn subset: species, group names and features
    /// are variable-length strings.
    func store() throws -> (path: String, bytes: [UInt8]) {
        let json = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/mlearn/Mo-10", withExtension: "json")).path
        let ml = try MLearnJSON.read(path: json)
        let path = tmp + "/good.h5"
        try StoreWriter.write(TrainingSet(configurations: ml.configurations, species: ml.species), to: path)
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// The objects of the file's first global heap collection, walked from
    /// the bytes (the layout of the HDF5 file format specification).
    struct Object { var index: Int; var header: Int; var size: Int; var data: [UInt8] }
    func heap(_ b: [UInt8]) throws -> (address: Int, size: Int, objects: [Object]) {
        let signature = Array("GCOL".utf8)
        let g = try XCTUnwrap((0..<(b.count - 4)).first { Array(b[$0..<$0 + 4]) == signature }, "no global heap")
        let size = Int(u64(b, g + 8))
        var objects: [Object] = []
        var p = g + 16
        while p + 16 <= g + size {
            let index = Int(b[p]) | Int(b[p + 1]) << 8
            let n = Int(u64(b, p + 8))
            objects.append(Object(index: index, header: p, size: n, data: index == 0 ? [] : Array(b[p + 16..<p + 16 + n])))
            if index == 0 { break }
            p += 16 + (n + 7) / 8 * 8
        }
        return (g, size, objects)
    }
    func u64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reversed().reduce(0) { $0 << 8 | UInt64(b[at + $1]) } }
    func put(_ b: inout [UInt8], _ at: Int, _ v: UInt64, width: Int = 8) {
        for k in 0..<width { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }
    /// Where a stored element (length, collection address, index) of `object` is.
    func element(_ b: [UInt8], collection: Int, _ object: Object) -> [Int] {
        var pattern = [UInt8](repeating: 0, count: 16)
        put(&pattern, 0, UInt64(object.size), width: 4)
        put(&pattern, 4, UInt64(collection))
        put(&pattern, 12, UInt64(object.index), width: 4)
        return (0...(b.count - 16)).filter { Array(b[$0..<$0 + 16]) == pattern }
    }

    func assertRefused(_ bytes: [UInt8], _ phrases: String..., line: UInt = #line) throws {
        let bad = tmp + "/damaged.h5"
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try StoreReader(path: bad).readAll(), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(bad + ": "), text, line: line)
            for p in phrases + [GlobalHeap.damagePhrase] { XCTAssertTrue(text.contains(p), "'\(p)' not in: \(text)", line: line) }
        }
    }

    func testIntactStoreReadsEveryString() throws {
        let (path, bytes) = try store()
        let reader = try StoreReader(path: path)
        XCTAssertEqual(reader.species, ["Mo"])
        XCTAssertFalse(reader.groups.isEmpty)
        let all = try reader.readAll()
        XCTAssertEqual(all.groups, reader.groups)
        // The heap as written: every object is some string the reader returned.
        let (_, _, objects) = try heap(bytes)
        XCTAssertTrue(objects.contains { $0.data == Array("Mo".utf8) })
    }

    func testDamagedObjectSizeOfTheSpeciesAttribute() throws {
        var (_, b) = try store()
        let (_, _, objects) = try heap(b)
        let species = try XCTUnwrap(objects.first { $0.data == Array("Mo".utf8) })
        put(&b, species.header + 8, 99_999_999_999)
        // The collection is refused at the first string read from it (the
        // format attribute's), before HDF5 parses it.
        try assertRefused(b, "attribute format", "object \(species.index) (size 99999999999) runs past the end of the collection")
    }

    func testObjectSizeDisagreeingWithTheStringsLength() throws {
        var (_, b) = try store()
        let (_, _, objects) = try heap(b)
        let species = try XCTUnwrap(objects.first { $0.data == Array("Mo".utf8) })
        put(&b, species.header + 8, 7)  // still inside the collection: the next object is 8 bytes on
        try assertRefused(b, "attribute species", "holds 7 bytes but the string's length is 2")
    }

    func testFreeSpaceOfSizeZeroWouldNeverEndTheParse() throws {
        var (_, b) = try store()
        let (_, _, objects) = try heap(b)
        let free = try XCTUnwrap(objects.last { $0.index == 0 })
        put(&b, free.header + 8, 0)
        try assertRefused(b, "free space's size 0")
    }

    func testCollectionLargerThanTheFile() throws {
        var (_, b) = try store()
        let (g, _, _) = try heap(b)
        put(&b, g + 8, UInt64(b.count) * 2)
        try assertRefused(b, "does not fit the file")
    }

    func testGroupNameWithAnIndexOutsideTheCollection() throws {
        var (path, b) = try store()
        let groups = try StoreReader(path: path).groups
        let (g, _, objects) = try heap(b)
        let name = try XCTUnwrap(objects.first { $0.data == Array(groups[0].utf8) })
        let at = try XCTUnwrap(element(b, collection: g, name).first, "the stored element of group \(groups[0])")
        put(&b, at + 12, 60_000, width: 4)
        try assertRefused(b, "/groups/names", "string 1", "no object 60000")
    }

    func testGroupNameWithADamagedLength() throws {
        var (path, b) = try store()
        let groups = try StoreReader(path: path).groups
        let (g, _, objects) = try heap(b)
        let name = try XCTUnwrap(objects.first { $0.data == Array(groups[0].utf8) })
        let at = try XCTUnwrap(element(b, collection: g, name).first)
        put(&b, at, 0xFFFF_FFFF, width: 4)
        try assertRefused(b, "/groups/names", "the string's length is 4294967295")
    }
}
