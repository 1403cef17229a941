import Foundation
import CHDF5
import _CShims
import Atomistic

/// The check that makes variable-length strings safe to read from a damaged
/// file.
///
/// HDF5 keeps the characters of variable-length strings in the file's global
/// heap: each stored element is a length and a heap ID (the address of a
/// collection, an object index within it), and each collection lists its
/// objects with their sizes. Everything else the store's readers follow is
/// checksummed in the 1.8+ file format, but collections are not, and
/// libhdf5 1.10 trusts them: a damaged object size makes it copy that many
/// bytes into a buffer sized by the element's length, a damaged index reads
/// past its table of objects, a free-space object of size 0 never ends the
/// parse. So before any variable-length string is read, its heap IDs are
/// read raw (`rawHeapIDs`: a conversion registered with HDF5 to an opaque
/// type, which passes the stored bytes through) and checked here against
/// the collection, parsed from the file's bytes: the collection lies inside
/// the file, its objects tile it exactly, the object exists, and its size is
/// the element's length. Only then does HDF5 read the strings.
final class GlobalHeap {
    /// One stored element of a variable-length string: its length in bytes
    /// and where its characters are (address 0: a null string).
    struct HeapID: Equatable {
        var length: UInt32
        var address: UInt64
        var index: UInt32
    }

    /// Every message about a damaged heap holds this phrase.
    static let damagePhrase = "damaged global heap"

    /// What went wrong, for the message (the caller names the file and object).
    struct Damage: Error, CustomStringConvertible {
        var description: String
    }

    private let path: String
    private let fileLength: UInt64
    /// File addresses are relative to this byte (after a user block).
    private let base: UInt64
    /// Bytes of a length field (the superblock's "size of lengths").
    private let lengthSize: Int
    /// Object sizes by index, per collection address already parsed.
    private var collections: [UInt64: Result<[UInt32: UInt64], Damage>] = [:]
    private var handle: FileHandle?

    init(path: String, file: hid_t, fileLength: Int) {
        self.path = path
        self.fileLength = UInt64(max(fileLength, 0))
        var userblock: hsize_t = 0
        var addressSize = 8, lengthSize = 8
        let fcpl = H5Fget_create_plist(file)
        if fcpl >= 0 {
            H5Pget_userblock(fcpl, &userblock)
            H5Pget_sizes(fcpl, &addressSize, &lengthSize)
            H5Pclose(fcpl)
        }
        base = UInt64(userblock)
        self.lengthSize = lengthSize
    }

    deinit { try? handle?.close() }

    /// Throws `Damage` for the first element whose characters HDF5 could
    /// not read safely; the message numbers elements from `first` + 1 (the
    /// row of a dataset).
    func check(_ ids: [HeapID], first: Int = 0) throws {
        for (k, id) in ids.enumerated() where id.address != 0 {
            func damaged(_ why: String) -> Damage {
                Damage(description: "string \(first + k + 1) points into a \(GlobalHeap.damagePhrase) (collection at byte \(base &+ id.address)): \(why)")
            }
            guard id.index > 0 else { throw damaged("object index 0 is the collection's free space") }
            let objects: [UInt32: UInt64]
            switch collection(at: id.address) {
            case .success(let o): objects = o
            case .failure(let why): throw damaged(why.description)
            }
            guard let size = objects[id.index] else {
                throw damaged("the collection has no object \(id.index)")
            }
            guard size == UInt64(id.length) else {
                throw damaged("object \(id.index) holds \(size) bytes but the string's length is \(id.length)")
            }
        }
    }

    private func collection(at address: UInt64) -> Result<[UInt32: UInt64], Damage> {
        if let known = collections[address] { return known }
        let parsed = Result { try parse(at: address) }.mapError { $0 as? Damage ?? Damage(description: "\($0)") }
        collections[address] = parsed
        return parsed
    }

    /// A collection: "GCOL", version 1, three reserved bytes, its size (a
    /// length field, the header included); then objects, each an index (2
    /// bytes), a reference count (2), four reserved bytes, a size (a length
    /// field) and the data padded to 8 bytes; index 0 is the free space, whose
    /// size counts its header and is not padded; a tail shorter than an object
    /// header is free space too. This is how libhdf5 walks it, with every
    /// step checked.
    private func parse(at address: UInt64) throws -> [UInt32: UInt64] {
        let header = 8 + lengthSize
        let start = base.addingReportingOverflow(address)
        guard !start.overflow, start.partialValue < fileLength, fileLength - start.partialValue >= UInt64(header) else {
            throw Damage(description: "the collection's header lies beyond the end of the file (\(fileLength) bytes)")
        }
        let head = try bytes(at: start.partialValue, count: header)
        guard head.starts(with: Array("GCOL".utf8)) else { throw Damage(description: "no collection signature") }
        guard head[4] == 1 else { throw Damage(description: "collection version \(head[4]) is not 1") }
        let size = value(head, at: 8, width: lengthSize)
        guard size >= UInt64(header), size <= fileLength - start.partialValue else {
            throw Damage(description: "the collection's size \(size) does not fit the file (\(fileLength) bytes)")
        }
        guard Double(size) <= InputLimits.memoryBudget else {
            throw Damage(description: "the collection's size \(size) is more than the memory budget")
        }
        let data = try bytes(at: start.partialValue, count: Int(size))
        let objectHeader = 8 + lengthSize
        var objects: [UInt32: UInt64] = [:]
        var p = header
        while p < data.count {
            if p + objectHeader > data.count { break }  // a tail of free space
            let index = UInt32(value(data, at: p, width: 2))
            let length = value(data, at: p + 8, width: lengthSize)
            var need: UInt64
            if index > 0 {
                let padded = length.addingReportingOverflow(7)
                guard !padded.overflow else { throw Damage(description: "object \(index) has size \(length)") }
                need = UInt64(objectHeader) + padded.partialValue / 8 * 8
                guard objects[index] == nil else { throw Damage(description: "object \(index) appears twice") }
                objects[index] = length
            } else {
                need = length
                guard need >= UInt64(objectHeader) else {
                    throw Damage(description: "the free space's size \(length) is smaller than its header")
                }
            }
            guard need <= UInt64(data.count - p) else {
                throw Damage(description: "object \(index) (size \(length)) runs past the end of the collection (\(size) bytes)")
            }
            p += Int(need)
        }
        return objects
    }

    private func bytes(at offset: UInt64, count: Int) throws -> [UInt8] {
        if handle == nil {
            guard let h = FileHandle(forReadingAtPath: path) else { throw Damage(description: "the file cannot be opened to check it") }
            handle = h
        }
        guard let h = handle else { return [] }
        try h.seek(toOffset: offset)
        let data = try h.read(upToCount: count) ?? Data()
        guard data.count == count else { throw Damage(description: "the file ends inside the collection") }
        return [UInt8](data)
    }

    private func value(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64 {
        var v: UInt64 = 0
        for b in (0..<width).reversed() { v = v << 8 | UInt64(bytes[offset + b]) }
        return v
    }
}

// MARK: Raw heap IDs through HDF5

/// The opaque type the stored elements of a variable-length string are
/// converted to by `rawHeapIDConversion`: 16 bytes, the length (4), the
/// collection address (8) and the object index (4), little-endian. Created,
/// and the conversion registered, once.
private let rawHeapIDType: hid_t = {
    H5open()
    let type = H5Tcreate(H5T_OPAQUE, 16)
    H5Tset_tag(type, "mtp: stored variable-length string element")
    let string = H5Tcopy(mtp_h5t_c_s1())
    H5Tset_size(string, mtp_h5t_variable())
    H5Tregister(H5T_PERS_SOFT, "mtp: raw global heap id", string, type, rawHeapIDConversion)
    H5Tclose(string)
    return type
}()

/// A soft conversion from a variable-length string in the file to
/// `rawHeapIDType`: it accepts only that pair, and rewrites each element's
/// stored bytes (length, address of the file's address size, index) into the
/// 16-byte layout, last element first since it may grow. HDF5 hands it the
/// bytes as stored, before any heap access.
private let rawHeapIDConversion: H5T_conv_t = { source, destination, cdata, count, bufferStride, _, buffer, _, _ in
    guard let cdata else { return -1 }
    let sourceSize = H5Tget_size(source)
    switch cdata.pointee.command {
    case H5T_CONV_INIT:
        cdata.pointee.need_bkg = H5T_BKG_NO
        let accepted = H5Tget_class(source) == H5T_STRING && H5Tis_variable_str(source) > 0
            && H5Tequal(destination, rawHeapIDType) > 0 && (9...16).contains(sourceSize)
        return accepted ? 0 : -1
    case H5T_CONV_CONV:
        guard let buffer, (9...16).contains(sourceSize) else { return -1 }
        let addressSize = sourceSize - 8
        let from = bufferStride == 0 ? sourceSize : bufferStride
        let to = bufferStride == 0 ? 16 : bufferStride
        for i in stride(from: count - 1, through: 0, by: -1) {
            let element = buffer + i * from
            func field(_ offset: Int, _ width: Int) -> UInt64 {
                var v: UInt64 = 0
                for b in (0..<width).reversed() { v = v << 8 | UInt64(element.load(fromByteOffset: offset + b, as: UInt8.self)) }
                return v
            }
            let length = UInt32(field(0, 4)), address = field(4, addressSize), index = UInt32(field(4 + addressSize, 4))
            let out = buffer + i * to
            out.storeBytes(of: length.littleEndian, toByteOffset: 0, as: UInt32.self)
            out.storeBytes(of: address.littleEndian, toByteOffset: 4, as: UInt64.self)
            out.storeBytes(of: index.littleEndian, toByteOffset: 12, as: UInt32.self)
        }
        return 0
    default:
        return 0
    }
}

extension GlobalHeap {
    /// The stored elements of a variable-length string attribute, without
    /// touching the heap.
    static func rawIDs(attribute: hid_t, count: Int) -> [HeapID]? {
        read(count) { H5Aread(attribute, rawHeapIDType, $0) }
    }

    /// The stored elements of the selected rows of a variable-length string
    /// dataset, without touching the heap.
    static func rawIDs(dataset: hid_t, memory: hid_t, file: hid_t, count: Int) -> [HeapID]? {
        read(count) { H5Dread(dataset, rawHeapIDType, memory, file, mtp_h5p_default(), $0) }
    }

    private static func read(_ count: Int, _ body: (UnsafeMutableRawPointer) -> herr_t) -> [HeapID]? {
        var raw = [UInt8](repeating: 0, count: max(count, 1) * 16)
        guard raw.withUnsafeMutableBytes({ body($0.baseAddress!) }) >= 0 else { return nil }
        return (0..<count).map { k in
            raw.withUnsafeBytes { b in
                HeapID(length: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 16 * k, as: UInt32.self)),
                       address: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 16 * k + 4, as: UInt64.self)),
                       index: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 16 * k + 12, as: UInt32.self)))
            }
        }
    }
}
