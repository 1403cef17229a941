import Foundation
import Atomistic
import Reference
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of one structure: its labels, or why it has none.
public struct LabelRecord: Codable, Sendable, Equatable {
    /// Position in the input file (0-based).
    public var index: Int
    public var energy: Double?
    public var forces: [[Double]]?
    /// The engine's virial W (eV, Voigt xx yy zz yz xz xy); nil for cells
    /// that are not periodic along all three axes.
    public var virial: [Double]?
    /// Why the structure has no labels (nil: labelled).
    public var failure: String?
    /// Wall time of the calculation (s).
    public var seconds: Double

    public var isLabelled: Bool { failure == nil }

    public init(index: Int, labels: Labels, periodic: Bool, seconds: Double) {
        self.index = index
        energy = labels.energy
        forces = labels.forces.map { [$0.x, $0.y, $0.z] }
        virial = periodic ? labels.virial.voigt : nil
        self.seconds = seconds
    }

    public init(index: Int, failure: String, seconds: Double) {
        self.index = index; self.failure = failure; self.seconds = seconds
    }

    /// `config` carrying this record's labels.
    public func apply(to config: Configuration) -> Configuration {
        var c = config
        c.energy = energy
        c.forces = forces?.map { Vec3($0[0], $0[1], $0[2]) }
        c.virial = virial.map(Virial.init(voigt:))
        return c
    }
}

/// Which input a journal belongs to, so `--resume` never mixes runs.
public struct LabelJournalHeader: Codable, Sendable, Equatable {
    public var input: String
    public var calculator: String
    /// Count and total atoms of the input, and the selected indices' count.
    public var configurations: Int
    public var atoms: Int
    public var selected: Int
}

/// The journal of `mtp label`: a directory beside the output
/// (`OUT.journal/`) with `header.json` and one JSON-lines file per MPI rank
/// (`rank-K.jsonl`), each record appended as soon as its structure is done.
/// A killed run loses only the structures in flight; a record cut short by
/// the kill is ignored when read back. Every rank appends to its own file,
/// so no locking between processes is needed.
public struct LabelJournal: Sendable {
    public var directory: String

    public init(output: String) { directory = output + ".journal" }

    public var headerPath: String { directory + "/header.json" }
    public var exists: Bool { FileManager.default.fileExists(atPath: headerPath) }

    /// Starts a new journal (removing an old one).
    public func create(_ header: LabelJournalHeader) throws {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try JSONFile.write(header, to: headerPath)
    }

    public func readHeader() throws -> LabelJournalHeader {
        guard let h = JSONFile.read(LabelJournalHeader.self, from: headerPath) else {
            throw InputError(file: headerPath, "not a label journal header; remove \(directory) or pass --overwrite")
        }
        return h
    }

    /// Every complete record of every rank's file, one per index: the first
    /// labelled one, else the first failure.
    public func records() throws -> [Int: LabelRecord] {
        var out: [Int: LabelRecord] = [:]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let decoder = JSONDecoder()
        for name in files.sorted() where name.hasSuffix(".jsonl") {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            for line in data.split(separator: 0x0A) {
                guard let r = try? decoder.decode(LabelRecord.self, from: Data(line)) else { continue }
                // A retried structure's success outranks its earlier failure.
                if out[r.index] == nil || (out[r.index]!.failure != nil && r.isLabelled) { out[r.index] = r }
            }
        }
        return out
    }

    /// An appender for this rank's file.
    public func appender(rank: Int) throws -> Appender { try Appender(path: directory + "/rank-\(rank).jsonl") }

    /// Appends records to one file, one line each, written at once (a
    /// killed process keeps every line already written).
    public final class Appender {
        private let fd: Int32
        public let path: String

        init(path: String) throws {
            self.path = path
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw InputError(file: path, "cannot open the journal: \(String(cString: strerror(errno)))") }
            // A line cut by an earlier kill must not swallow the next record.
            if let data = FileManager.default.contents(atPath: path), let last = data.last, last != 0x0A {
                try write(Data([0x0A]))
            }
        }

        deinit { close(fd) }

        public func append(_ record: LabelRecord) throws {
            var line = try JSONEncoder().encode(record)
            line.append(0x0A)
            try write(line)
        }

        private func write(_ data: Data) throws {
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw InputError(file: path, "cannot write the journal: \(String(cString: strerror(errno)))")
                    }
                    offset += n
                }
            }
        }
    }
}
