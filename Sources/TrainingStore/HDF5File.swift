import Foundation
import CHDF5
import CMPI
import _CShims
import Atomistic

/// A thin, typed face on the parts of the HDF5 C API the training store
/// needs: files, groups, fixed-shape datasets of numbers, variable-length
/// string arrays and attributes, whole or as row ranges (hyperslabs).
///
/// Every failure becomes an `InputError` naming the file and the object, so
/// a truncated or foreign file is reported as such rather than as a bare
/// HDF5 error stack (automatic stack printing is switched off).
final class HDF5File {
    let path: String
    let id: hid_t
    /// Transfer property list for reads: collective MPI-IO under a parallel
    /// open, the default (serial) list otherwise.
    let transfer: hid_t
    let isParallel: Bool

    enum Mode { case read, create }

    /// HDF5 1.10 takes an fcntl/flock lock on open. Outputs are written to a
    /// fresh temporary file and renamed into place, so readers never see a
    /// partial file and the lock buys nothing, while on filesystems without
    /// locks (Lustre, some NFS) it makes every open fail. Locking is
    /// therefore off unless the user set HDF5_USE_FILE_LOCKING themselves.
    private static let setup: Void = {
        setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0)
        H5open()
        H5Eset_auto2(mtp_h5e_default(), nil, nil)
    }()

    /// Opens `path`. With `communicator` (an MPI communicator handle) the file
    /// is opened through MPI-IO by every rank of it, collectively.
    init(path: String, mode: Mode, communicator: MPI_Comm? = nil) throws {
        _ = HDF5File.setup
        self.path = path
        let fapl = H5Pcreate(mtp_h5p_file_access())
        defer { H5Pclose(fapl) }
        if let comm = communicator {
            guard H5Pset_fapl_mpio(fapl, comm, mtp_mpi_info_null()) >= 0 else {
                throw InputError(file: path, "cannot set up MPI-IO access")
            }
        }
        switch mode {
        case .read:
            guard FileManager.default.fileExists(atPath: path) else {
                throw InputError(file: path, "no such file")
            }
            guard H5Fis_hdf5(path) > 0 else {
                throw InputError(file: path, "not an HDF5 file (or truncated: no valid superblock)")
            }
            id = H5Fopen(path, mtp_h5f_acc_rdonly(), fapl)
        case .create:
            // The 1.8+ file format: its metadata (superblock, object
            // headers, group indexes) carry checksums, so a damaged file is
            // refused by HDF5 with an error instead of being followed into
            // a crash inside the library.
            // That format's object headers record times unless told not to
            // (the root group too): reproducible bytes need them off.
            H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110)
            let fcpl = HDF5File.untimed(mtp_h5p_file_create())
            defer { H5Pclose(fcpl) }
            id = H5Fcreate(path, mtp_h5f_acc_trunc(), fcpl, fapl)
        }
        guard id >= 0 else { throw InputError(file: path, "HDF5 cannot open the file") }
        if communicator != nil {
            let dxpl = H5Pcreate(mtp_h5p_dataset_xfer())
            H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE)
            transfer = dxpl
            isParallel = true
        } else {
            transfer = mtp_h5p_default()
            isParallel = false
        }
    }

    deinit {
        if isParallel { H5Pclose(transfer) }
        H5Fclose(id)
    }

    func fail(_ object: String, _ message: String) -> InputError {
        InputError(file: path, "\(object): \(message)")
    }

    /// The global heap of variable-length strings, checked before each
    /// string read (GlobalHeap: libhdf5 trusts its unchecksummed sizes).
    private lazy var globalHeap = GlobalHeap(path: path, file: id, fileLength: byteLength)

    /// Throws unless every element of `ids` (nil: they could not be read)
    /// is safe for HDF5 to read from the global heap.
    private func checkHeap(_ object: String, _ ids: [GlobalHeap.HeapID]?, first: Int = 0) throws {
        guard let ids else { throw fail(object, "cannot read the stored strings") }
        do { try globalHeap.check(ids, first: first) } catch { throw fail(object, "\(error) (the file is damaged)") }
    }

    /// The file's length in bytes (0 if unknown).
    private(set) lazy var byteLength: Int = {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }()

    /// A read of `elements` rows of `per` values of `bytes` each, checked
    /// before allocating: dimensions come from the file's own metadata, so a
    /// damaged header could ask for any size. The store writes contiguous,
    /// uncompressed datasets, so their data cannot exceed the file; a margin
    /// allows compressed files written by other tools.
    func checkAllocation(_ name: String, elements: Int, per: Int, bytes: Int) throws {
        let (values, o1) = elements.multipliedReportingOverflow(by: max(per, 1))
        let (total, o2) = values.multipliedReportingOverflow(by: bytes)
        let room = min(Double(max(byteLength, 1 << 20)) * 64, InputLimits.memoryBudget)
        guard !o1, !o2, Double(total) <= room else {
            throw fail(name, "\(elements) rows of \(max(per, 1)) values: more than a file of \(byteLength) bytes can hold (damaged dimensions?)")
        }
    }

    // MARK: Structure

    /// An object-creation property list without modification times, so that
    /// the same data written twice gives the same bytes (reproducible runs
    /// can be checked with cmp).
    static func untimed(_ cls: hid_t) -> hid_t {
        let plist = H5Pcreate(cls)
        H5Pset_obj_track_times(plist, false)
        return plist
    }

    func createGroup(_ name: String) throws {
        let gcpl = HDF5File.untimed(mtp_h5p_group_create())
        defer { H5Pclose(gcpl) }
        let g = H5Gcreate2(id, name, mtp_h5p_default(), gcpl, mtp_h5p_default())
        guard g >= 0 else { throw fail(name, "cannot create group") }
        H5Gclose(g)
    }

    func exists(_ name: String) -> Bool {
        // H5Lexists needs every intermediate link to exist.
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += "/" + part
            if H5Lexists(id, prefix, mtp_h5p_default()) <= 0 { return false }
        }
        return true
    }

    /// The dimensions of dataset `name`.
    func shape(_ name: String) throws -> [Int] {
        let d = try openDataset(name)
        defer { H5Dclose(d) }
        let space = H5Dget_space(d)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 0 else { throw fail(name, "unreadable dataspace") }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.prefix(rank).map { Int($0) }
    }

    private func openDataset(_ name: String) throws -> hid_t {
        guard exists(name) else { throw fail(name, "missing dataset") }
        let d = H5Dopen2(id, name, mtp_h5p_default())
        guard d >= 0 else { throw fail(name, "cannot open dataset") }
        return d
    }

    // MARK: Numeric datasets

    /// Writes a dataset of shape `[rows] + rowShape` from row-major `values`.
    func write<T: HDF5Scalar>(_ name: String, _ values: [T], rowShape: [Int] = []) throws {
        let per = rowShape.reduce(1, *)
        precondition(per > 0 && values.count % per == 0, "\(name): values do not fill whole rows")
        let dims = ([values.count / per] + rowShape).map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), dims, nil)
        defer { H5Sclose(space) }
        let dcpl = HDF5File.untimed(mtp_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        let d = H5Dcreate2(id, name, T.fileType, space, mtp_h5p_default(), dcpl, mtp_h5p_default())
        guard d >= 0 else { throw fail(name, "cannot create dataset") }
        defer { H5Dclose(d) }
        if values.isEmpty { return }
        let status = values.withUnsafeBufferPointer {
            H5Dwrite(d, T.memoryType, mtp_h5s_all(), mtp_h5s_all(), mtp_h5p_default(), $0.baseAddress)
        }
        guard status >= 0 else { throw fail(name, "cannot write dataset") }
    }

    /// Reads rows `rows` of dataset `name`, whose rows must have `rowShape`
    /// (checked). Under a parallel open every rank of the communicator must
    /// call this in the same order; an empty range selects nothing.
    func read<T: HDF5Scalar>(_ name: String, rows: Range<Int>? = nil, rowShape: [Int] = []) throws -> [T] {
        let d = try openDataset(name)
        defer { H5Dclose(d) }
        let fileSpace = H5Dget_space(d)
        defer { H5Sclose(fileSpace) }
        let rank = Int(H5Sget_simple_extent_ndims(fileSpace))
        guard rank == 1 + rowShape.count else {
            throw fail(name, "has \(rank) dimensions, expected \(1 + rowShape.count)")
        }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(fileSpace, &dims, nil)
        guard Array(dims.dropFirst().map { Int($0) }) == rowShape else {
            throw fail(name, "has shape \(dims), expected [n, \(rowShape.map(String.init).joined(separator: ", "))]")
        }
        let total = Int(dims[0])
        let range = rows ?? 0..<total
        guard range.lowerBound >= 0, range.upperBound <= total else {
            throw fail(name, "rows \(range) out of range: dataset has \(total) rows")
        }
        let per = rowShape.reduce(1, *)
        try checkAllocation(name, elements: range.count, per: per, bytes: MemoryLayout<T>.stride)
        // An empty dataset has no storage to read from; every rank knows the
        // size, so skipping the (collective) read here is consistent.
        if total == 0 || per == 0 { return [] }
        var start = [hsize_t](repeating: 0, count: rank)
        var count = dims
        start[0] = hsize_t(range.lowerBound)
        count[0] = hsize_t(range.count)
        var memDims = count.map { max($0, 1) }
        let memSpace = H5Screate_simple(Int32(rank), &memDims, nil)
        defer { H5Sclose(memSpace) }
        if range.isEmpty || per == 0 {
            H5Sselect_none(fileSpace)
            H5Sselect_none(memSpace)
        } else {
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil)
        }
        var out = [T](repeating: T.zero, count: max(range.count * per, 1))
        let status = out.withUnsafeMutableBufferPointer {
            H5Dread(d, T.memoryType, memSpace, fileSpace, transfer, $0.baseAddress)
        }
        guard status >= 0 else { throw fail(name, "cannot read rows \(range) (file truncated or damaged?)") }
        if range.isEmpty || per == 0 { return [] }
        return out
    }

    // MARK: Strings

    private static func stringType() -> hid_t {
        let t = H5Tcopy(mtp_h5t_c_s1())
        H5Tset_size(t, mtp_h5t_variable())
        H5Tset_cset(t, H5T_CSET_UTF8)
        return t
    }

    /// Writes a 1-D dataset of variable-length UTF-8 strings.
    func writeStrings(_ name: String, _ values: [String]) throws {
        let type = HDF5File.stringType()
        defer { H5Tclose(type) }
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let dcpl = HDF5File.untimed(mtp_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        let d = H5Dcreate2(id, name, type, space, mtp_h5p_default(), dcpl, mtp_h5p_default())
        guard d >= 0 else { throw fail(name, "cannot create dataset") }
        defer { H5Dclose(d) }
        if values.isEmpty { return }
        let status = withCStrings(values) { H5Dwrite(d, type, mtp_h5s_all(), mtp_h5s_all(), mtp_h5p_default(), $0) }
        guard status >= 0 else { throw fail(name, "cannot write dataset") }
    }

    /// Reads rows `rows` (all when nil) of a 1-D string dataset.
    func readStrings(_ name: String, rows: Range<Int>? = nil) throws -> [String] {
        let d = try openDataset(name)
        defer { H5Dclose(d) }
        let fileSpace = H5Dget_space(d)
        defer { H5Sclose(fileSpace) }
        guard H5Sget_simple_extent_ndims(fileSpace) == 1 else { throw fail(name, "expected a 1-D string dataset") }
        var total: hsize_t = 0
        H5Sget_simple_extent_dims(fileSpace, &total, nil)
        let range = rows ?? 0..<Int(total)
        guard range.lowerBound >= 0, range.upperBound <= Int(total) else {
            throw fail(name, "rows \(range) out of range: dataset has \(total) rows")
        }
        let stored = H5Dget_type(d)
        defer { H5Tclose(stored) }
        guard H5Tget_class(stored) == H5T_STRING, H5Tis_variable_str(stored) > 0 else {
            throw fail(name, "expected variable-length strings")
        }
        if total == 0 { return [] }
        let type = HDF5File.stringType()
        defer { H5Tclose(type) }
        var memDims = [hsize_t(max(range.count, 1))]
        let memSpace = H5Screate_simple(1, &memDims, nil)
        defer { H5Sclose(memSpace) }
        if range.isEmpty {
            H5Sselect_none(fileSpace)
            H5Sselect_none(memSpace)
        } else {
            var start = [hsize_t(range.lowerBound)]
            var count = [hsize_t(range.count)]
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil)
        }
        try checkAllocation(name, elements: range.count, per: 1, bytes: 16)
        if range.isEmpty { return [] }
        try checkHeap(name, GlobalHeap.rawIDs(dataset: d, memory: memSpace, file: fileSpace, count: range.count), first: range.lowerBound)
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: max(range.count, 1))
        // Variable-length data is read independently: collective transfer of
        // vlen data is not supported by every HDF5 1.10 build.
        let status = pointers.withUnsafeMutableBufferPointer {
            H5Dread(d, type, memSpace, fileSpace, mtp_h5p_default(), $0.baseAddress)
        }
        guard status >= 0 else { throw fail(name, "cannot read strings") }
        defer {
            if !range.isEmpty {
                pointers.withUnsafeMutableBufferPointer {
                    _ = H5Dvlen_reclaim(type, memSpace, mtp_h5p_default(), $0.baseAddress)
                }
            }
        }
        if range.isEmpty { return [] }
        return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }

    // MARK: Attributes (on the root group)

    func setAttribute(_ name: String, _ values: [String]) throws {
        let type = HDF5File.stringType()
        defer { H5Tclose(type) }
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let a = H5Acreate2(id, name, type, space, mtp_h5p_default(), mtp_h5p_default())
        guard a >= 0 else { throw fail("attribute \(name)", "cannot create") }
        defer { H5Aclose(a) }
        if values.isEmpty { return }
        let status = withCStrings(values) { H5Awrite(a, type, $0) }
        guard status >= 0 else { throw fail("attribute \(name)", "cannot write") }
    }

    /// A scalar string attribute (h5py gives a `str`, `h5dump` one string).
    func setAttribute(_ name: String, _ value: String) throws {
        let type = HDF5File.stringType()
        defer { H5Tclose(type) }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let a = H5Acreate2(id, name, type, space, mtp_h5p_default(), mtp_h5p_default())
        guard a >= 0 else { throw fail("attribute \(name)", "cannot create") }
        defer { H5Aclose(a) }
        let status = withCStrings([value]) { H5Awrite(a, type, $0) }
        guard status >= 0 else { throw fail("attribute \(name)", "cannot write") }
    }

    func setAttribute<T: HDF5Scalar>(_ name: String, _ value: T) throws {
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let a = H5Acreate2(id, name, T.fileType, space, mtp_h5p_default(), mtp_h5p_default())
        guard a >= 0 else { throw fail("attribute \(name)", "cannot create") }
        defer { H5Aclose(a) }
        let status = withUnsafeBytes(of: value) { H5Awrite(a, T.memoryType, $0.baseAddress) }
        guard status >= 0 else { throw fail("attribute \(name)", "cannot write") }
    }

    func hasAttribute(_ name: String) -> Bool { H5Aexists(id, name) > 0 }

    func stringsAttribute(_ name: String) throws -> [String] {
        guard hasAttribute(name) else { throw fail("attribute \(name)", "missing") }
        let a = H5Aopen(id, name, mtp_h5p_default())
        guard a >= 0 else { throw fail("attribute \(name)", "cannot open") }
        defer { H5Aclose(a) }
        let space = H5Aget_space(a)
        defer { H5Sclose(space) }
        let n = Int(H5Sget_simple_extent_npoints(space))
        let stored = H5Aget_type(a)
        defer { H5Tclose(stored) }
        guard H5Tget_class(stored) == H5T_STRING, H5Tis_variable_str(stored) > 0 else {
            throw fail("attribute \(name)", "expected variable-length strings")
        }
        if n == 0 { return [] }
        try checkAllocation("attribute \(name)", elements: n, per: 1, bytes: 16)
        try checkHeap("attribute \(name)", GlobalHeap.rawIDs(attribute: a, count: n))
        let type = HDF5File.stringType()
        defer { H5Tclose(type) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
        guard pointers.withUnsafeMutableBufferPointer({ H5Aread(a, type, $0.baseAddress) }) >= 0 else {
            throw fail("attribute \(name)", "cannot read")
        }
        defer {
            pointers.withUnsafeMutableBufferPointer { _ = H5Dvlen_reclaim(type, space, mtp_h5p_default(), $0.baseAddress) }
        }
        return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }

    func stringAttribute(_ name: String) throws -> String {
        let v = try stringsAttribute(name)
        guard v.count == 1 else { throw fail("attribute \(name)", "expected one string, found \(v.count)") }
        return v[0]
    }

    func scalarAttribute<T: HDF5Scalar>(_ name: String, as: T.Type = T.self) throws -> T {
        guard hasAttribute(name) else { throw fail("attribute \(name)", "missing") }
        let a = H5Aopen(id, name, mtp_h5p_default())
        guard a >= 0 else { throw fail("attribute \(name)", "cannot open") }
        defer { H5Aclose(a) }
        var v = T.zero
        let status = withUnsafeMutableBytes(of: &v) { H5Aread(a, T.memoryType, $0.baseAddress) }
        guard status >= 0 else { throw fail("attribute \(name)", "cannot read as \(T.self)") }
        return v
    }
}

/// Passes `strings` as a C array of NUL-terminated pointers to `body`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutableRawPointer) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeMutableBufferPointer { body(UnsafeMutableRawPointer($0.baseAddress!)) }
}

/// The element types the store uses, with their HDF5 memory and file types
/// (little-endian IEEE / two's complement in the file, whatever the host).
/// Bitwise-copyable, as HDF5 reads and writes their bytes directly.
protocol HDF5Scalar: BitwiseCopyable {
    static var memoryType: hid_t { get }
    static var fileType: hid_t { get }
    static var zero: Self { get }
}

extension Double: HDF5Scalar {
    static var memoryType: hid_t { mtp_h5t_native_double() }
    static var fileType: hid_t { H5T_IEEE_F64LE_g }
}

extension Int64: HDF5Scalar {
    static var memoryType: hid_t { mtp_h5t_native_int64() }
    static var fileType: hid_t { H5T_STD_I64LE_g }
}

extension Int32: HDF5Scalar {
    static var memoryType: hid_t { mtp_h5t_native_int32() }
    static var fileType: hid_t { H5T_STD_I32LE_g }
}

extension UInt8: HDF5Scalar {
    static var memoryType: hid_t { mtp_h5t_native_uint8() }
    static var fileType: hid_t { H5T_STD_U8LE_g }
}
