import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to write a file, naming the path and what went wrong.
public struct AtomicFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): cannot write: \(reason)" }
}

/// Writes whole files atomically: the bytes go to a temporary file in the
/// destination's directory, are flushed to disk, and the temporary file is
/// then renamed over the destination. Readers therefore see either the old
/// file or the complete new one, never a partial write. On any failure the
/// temporary file is removed and an `AtomicFileError` naming `path` is thrown.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        guard !path.isEmpty else { throw AtomicFileError(path: path, reason: "empty path") }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let temp = (directory as NSString).appendingPathComponent(
            ".\(name).tmp-\(getpid())-\(UUID().uuidString.prefix(8))")

        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o666)
        guard fd >= 0 else {
            throw AtomicFileError(path: path, reason: "cannot create temporary file in '\(directory)': \(errnoText())")
        }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < buffer.count {
                    let n = Glibc_write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw AtomicFileError(path: path, reason: errnoText())
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw AtomicFileError(path: path, reason: "fsync: \(errnoText())") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw AtomicFileError(path: path, reason: "close: \(errnoText())") }
        guard rename(temp, path) == 0 else {
            throw AtomicFileError(path: path, reason: "rename: \(errnoText())")
        }
        ok = true
    }

    /// Writes `text` as UTF-8 to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Reads the file at `path` as UTF-8 text; failures are `InputError`s
    /// naming the path. (The reading counterpart used by the file formats.)
    public static func readText(path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw InputError(file: path, "cannot read file: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: path, "file is not valid UTF-8 text")
        }
        return text
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// `write(2)`, named so it does not clash with `AtomicFile.write`.
@inline(__always)
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    return Darwin.write(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.write(fd, buffer, count)
    #else
    return Glibc.write(fd, buffer, count)
    #endif
}
