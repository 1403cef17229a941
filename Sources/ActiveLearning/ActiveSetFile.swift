import Foundation
import Atomistic
import MTP

/// The active set on disk (docs/active-learning.md, "The active-set file"):
/// a text file of `key value` header lines, the selected rows and two
/// matrices, every number in shortest round-trip form so that a loaded set
/// grades bit for bit like the one that was saved. The digests of the
/// potential and of the training set, with the row settings, say whether a
/// saved set still belongs to a (potential, training set) pair.
extension ActiveSet {
    static let magic = "mtp-active-set"
    static let version = 1

    /// The conventional place of the set of a potential: next to it.
    public static func defaultPath(potential path: String) -> String { path + ".activeset" }

    public func write(to path: String) throws {
        var t = "\(Self.magic) \(Self.version)\n"
        t += "potential_digest \(hex(potentialDigest))\n"
        t += "training_digest \(hex(trainingDigest))\n"
        t += "training_configurations \(trainingCount)\n"
        let w = options.rows
        t += "row_weights \(w.energyWeight) \(w.forceWeight) \(w.stressWeight) \(w.nbhWeight)\n"
        t += "rank_tolerance \(options.rankTolerance)\n"
        t += "swap_tolerance \(options.swapTolerance)\n"
        t += "parameters \(parameterCount)\n"
        t += "rank \(rank)\n"
        t += "max_training_coefficient \(maxTrainingCoefficient)\n"
        t += "dropped_directions \(droppedDirections)\n"
        t += "singular_values \(singularValues.count)" + singularValues.map { " \($0)" }.joined() + "\n"
        t += "zero_parameters \(zeroParameters.count)" + zeroParameters.map { " \($0)" }.joined() + "\n"
        t += "selected\n"
        for l in selected { t += "\(l.configuration) \(l.kind.rawValue) \(l.atom) \(l.component)\n" }
        t += "projection\n"
        let r = rank
        for p in 0..<parameterCount { t += (0..<r).map { "\(projection[p * r + $0])" }.joined(separator: " ") + "\n" }
        t += "active\n"
        for j in 0..<r { t += (0..<r).map { "\(active[j * r + $0])" }.joined(separator: " ") + "\n" }
        t += "end\n"
        try AtomicFile.write(t, to: path)
    }

    /// The header of a saved set: enough to decide whether it is current
    /// without reading the matrices.
    public struct FileHeader: Equatable, Sendable {
        public var potentialDigest: UInt64
        public var trainingDigest: UInt64
        public var options: ActiveSetOptions
    }

    /// Reads the header of `path`, or nil if it is absent or not an active-set file.
    public static func header(path: String) -> FileHeader? {
        guard let text = try? AtomicFile.readText(path: path) else { return nil }
        guard let h = try? parseHeader(text.split(separator: "\n", omittingEmptySubsequences: false), file: path).header else { return nil }
        return h
    }

    /// Whether the set saved at `path` belongs to this potential, training
    /// set (by digest) and these options.
    public static func isCurrent(path: String, potential: Potential, trainingDigest: UInt64, options: ActiveSetOptions) -> Bool {
        guard let h = header(path: path) else { return false }
        return h.potentialDigest == potentialDigest(potential) && h.trainingDigest == trainingDigest && h.options == options
    }

    /// Loads a saved set for `potential`; refuses a set saved for another potential.
    public static func load(path: String, potential: Potential) throws -> ActiveSet {
        let text = try AtomicFile.readText(path: path)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let (h, fields, next) = try parseHeader(lines, file: path)
        guard h.potentialDigest == potentialDigest(potential) else {
            throw InputError(file: path, "the active set belongs to another potential (digest \(hex(h.potentialDigest)), this one \(hex(potentialDigest(potential)))); delete it to recompute")
        }
        func int(_ key: String) throws -> Int {
            guard let v = fields[key]?.first, let x = Int(v) else { throw InputError(file: path, "missing or bad `\(key)`") }
            return x
        }
        func real(_ key: String, _ i: Int = 0) throws -> Double {
            guard let f = fields[key], f.count > i, let x = Double(f[i]) else { throw InputError(file: path, "missing or bad `\(key)`") }
            return x
        }
        let P = try int("parameters"), r = try int("rank")
        guard P == potential.parameterCount else {
            throw InputError(file: path, "the active set has \(P) parameters, the potential \(potential.parameterCount)")
        }
        guard r > 0 && r <= P else { throw InputError(file: path, "bad rank \(r)") }
        let zeroFields = fields["zero_parameters"] ?? []
        let zero = try zeroFields.dropFirst().map { s -> Int in
            guard let v = Int(s), v >= 0, v < P else { throw InputError(file: path, "bad zero_parameters entry \(s)") }
            return v
        }
        var line = next
        func expect(_ word: String) throws {
            guard line < lines.count, lines[line].trimmingCharacters(in: .whitespaces) == word else {
                throw InputError(file: path, line: line + 1, "expected `\(word)`")
            }
            line += 1
        }
        func numbers(_ count: Int) throws -> [Double] {
            guard line < lines.count else { throw InputError(file: path, line: line + 1, "the file ends early") }
            let v = lines[line].split(separator: " ").compactMap { Double($0) }
            guard v.count == count, v.allSatisfy({ $0.isFinite }) else {
                throw InputError(file: path, line: line + 1, "expected \(count) finite numbers")
            }
            line += 1
            return v
        }
        try expect("selected")
        var selected: [RowLabel] = []
        for _ in 0..<r {
            let v = try numbers(4).map { Int($0) }
            guard let kind = RowLabel.Kind(rawValue: v[1]) else { throw InputError(file: path, line: line, "bad row kind \(v[1])") }
            selected.append(RowLabel(configuration: v[0], kind: kind, atom: v[2], component: v[3]))
        }
        try expect("projection")
        var projection: [Double] = []
        projection.reserveCapacity(P * r)
        for _ in 0..<P { projection += try numbers(r) }
        try expect("active")
        var active: [Double] = []
        active.reserveCapacity(r * r)
        for _ in 0..<r { active += try numbers(r) }
        try expect("end")
        do {
            return try ActiveSet(potential: potential, options: h.options, selected: selected,
                                 potentialDigest: h.potentialDigest, trainingDigest: h.trainingDigest,
                                 trainingCount: try int("training_configurations"),
                                 maxTrainingCoefficient: try real("max_training_coefficient"), zeroParameters: zero,
                                 droppedDirections: try int("dropped_directions"),
                                 singularValues: try (fields["singular_values"] ?? []).dropFirst().map { s -> Double in
                                     guard let v = Double(s), v.isFinite else { throw InputError(file: path, "bad singular_values entry \(s)") }
                                     return v
                                 },
                                 projection: projection, active: active)
        } catch let e as LinearAlgebraError {
            throw InputError(file: path, "\(e)")
        }
    }

    static func parseHeader(_ lines: [Substring], file: String) throws -> (header: FileHeader, fields: [String: [String]], next: Int) {
        guard let first = lines.first, first.split(separator: " ").first.map(String.init) == magic else {
            throw InputError(file: file, line: 1, "not an active-set file (expected `\(magic) \(version)`)")
        }
        guard let v = first.split(separator: " ").last.flatMap({ Int($0) }), v <= version else {
            throw InputError(file: file, line: 1, "active-set format version newer than this program's (\(version))")
        }
        var fields: [String: [String]] = [:]
        var i = 1
        while i < lines.count, lines[i] != "selected" {
            let parts = lines[i].split(separator: " ").map(String.init)
            if let key = parts.first { fields[key] = Array(parts.dropFirst()) }
            i += 1
        }
        func digest(_ key: String) throws -> UInt64 {
            guard let s = fields[key]?.first, let d = UInt64(s, radix: 16) else { throw InputError(file: file, "missing or bad `\(key)`") }
            return d
        }
        let w = (fields["row_weights"] ?? []).compactMap { Double($0) }
        guard w.count == 4 else { throw InputError(file: file, "missing or bad `row_weights`") }
        guard let rt = fields["rank_tolerance"]?.first.flatMap({ Double($0) }),
              let st = fields["swap_tolerance"]?.first.flatMap({ Double($0) }) else {
            throw InputError(file: file, "missing or bad tolerances")
        }
        let options = ActiveSetOptions(rows: RowSettings(energyWeight: w[0], forceWeight: w[1], stressWeight: w[2], nbhWeight: w[3]),
                                       rankTolerance: rt, swapTolerance: st)
        return (FileHeader(potentialDigest: try digest("potential_digest"), trainingDigest: try digest("training_digest"),
                           options: options), fields, i)
    }
}

func hex(_ x: UInt64) -> String {
    let s = String(x, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}
