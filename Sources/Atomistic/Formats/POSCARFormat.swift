import Foundation

/// VASP's POSCAR (VASP 5 layout: element names above the counts), the
/// structure input of the DFT hand-off.
///
/// Writing: scale 1, cell rows in A, atoms grouped by species (VASP needs
/// each species contiguous, in the order of the names line), fractional
/// ("Direct") coordinates with shortest round-trip digits, so a structure
/// comes back bit for bit up to the Cartesian-fractional conversion.
/// Reading accepts what VASP accepts for bulk inputs: a negative scale (the
/// cell volume), Selective dynamics, Direct or Cartesian coordinates.
public enum POSCARFormat {
    /// The POSCAR text of `config`; `symbols[i]` names species index i.
    /// Returns the text and, per written atom, the index of the atom of
    /// `config` it is (the species grouping reorders atoms).
    public static func text(_ config: Configuration, symbols: [String], comment: String) throws -> (text: String, order: [Int]) {
        guard config.pbc == .all else { throw InputError(file: "POSCAR", "\(comment): VASP needs a cell periodic along all three axes") }
        let used = Array(Set(config.species)).sorted()
        for s in used where s < 0 || s >= symbols.count {
            throw InputError(file: "POSCAR", "\(comment): species index \(s) has no element symbol")
        }
        guard let inverse = inverse(config.cell) else {
            throw InputError(file: "POSCAR", "\(comment): singular cell")
        }
        var order: [Int] = []
        for s in used { order += config.species.indices.filter { config.species[$0] == s } }
        var out = comment.replacingOccurrences(of: "\n", with: " ") + "\n1.0\n"
        for row in config.cell { out += "  \(row.x) \(row.y) \(row.z)\n" }
        out += "  " + used.map { symbols[$0] }.joined(separator: " ") + "\n"
        out += "  " + used.map { s in String(config.species.filter { $0 == s }.count) }.joined(separator: " ") + "\n"
        out += "Direct\n"
        for a in order {
            let r = config.positions[a]
            let f = r.x * inverse[0] + r.y * inverse[1] + r.z * inverse[2]
            out += "  \(f.x) \(f.y) \(f.z)\n"
        }
        return (out, order)
    }

    public static func write(_ config: Configuration, symbols: [String], comment: String, to path: String) throws {
        try AtomicFile.write(try text(config, symbols: symbols, comment: comment).text, to: path)
    }

    /// Reads a POSCAR or CONTCAR with element names; returns the structure
    /// (species indices into the returned symbols, in order of appearance)
    /// and the comment line.
    public static func read(path: String) throws -> (configuration: Configuration, symbols: [String], comment: String) {
        let lines = try AtomicFile.readText(path: path).split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r"))) }
        func fail(_ line: Int, _ m: String) -> InputError { InputError(file: path, line: line + 1, m) }
        func tokens(_ i: Int) throws -> [Substring] {
            guard i < lines.count else { throw fail(i, "file ends early") }
            return lines[i].split(whereSeparator: { $0 == " " || $0 == "\t" })
        }
        func numbers(_ i: Int, _ n: Int) throws -> [Double] {
            let t = try tokens(i)
            guard t.count >= n else { throw fail(i, "expected \(n) numbers") }
            return try t.prefix(n).map {
                guard let x = Double($0), x.isFinite else { throw fail(i, "cannot parse '\($0)' as a number") }
                return x
            }
        }
        guard lines.count >= 8 else { throw InputError(file: path, "too short for a POSCAR") }
        let comment = lines[0]
        let scale = try numbers(1, 1)[0]
        var cell = try (2...4).map { i -> Vec3 in let v = try numbers(i, 3); return Vec3(v[0], v[1], v[2]) }
        let names = try tokens(5).map(String.init)
        guard !names.isEmpty, names.allSatisfy({ ExtXYZFormat.elementSymbols.contains($0) }) else {
            throw fail(5, "expected element names (VASP 5 layout), found '\(lines[5])'")
        }
        let counts = try tokens(6).map { t -> Int in
            guard let n = Int(t), n > 0 else { throw fail(6, "cannot parse '\(t)' as an atom count") }
            return n
        }
        guard counts.count == names.count else { throw fail(6, "\(counts.count) counts for \(names.count) element names") }
        var line = 7
        if try tokens(line).first?.lowercased().hasPrefix("s") == true { line += 1 }
        guard let mode = try tokens(line).first?.lowercased().first else { throw fail(line, "expected Direct or Cartesian") }
        let cartesian = mode == "c" || mode == "k"
        guard cartesian || mode == "d" else { throw fail(line, "expected Direct or Cartesian, found '\(lines[line])'") }
        if scale < 0 {
            let factor = pow(-scale / abs(determinant(cell)), 1.0 / 3)
            cell = cell.map { $0 * factor }
        } else {
            guard scale > 0 else { throw fail(1, "scale factor must not be zero") }
            cell = cell.map { $0 * scale }
        }
        var symbols: [String] = []
        var species: [Int] = []
        for (name, n) in zip(names, counts) {
            if !symbols.contains(name) { symbols.append(name) }
            species += Array(repeating: symbols.firstIndex(of: name)!, count: n)
        }
        var positions: [Vec3] = []
        for a in 0..<species.count {
            let v = try numbers(line + 1 + a, 3)
            let p = Vec3(v[0], v[1], v[2])
            positions.append(cartesian ? p * (scale > 0 ? scale : 1) : p.x * cell[0] + p.y * cell[1] + p.z * cell[2])
        }
        return (Configuration(cell: cell, pbc: .all, species: species, positions: positions), symbols, comment)
    }

    /// Rows of the inverse of a matrix given by rows.
    private static func inverse(_ m: [Vec3]) -> [Vec3]? {
        let d = determinant(m)
        guard abs(d) > 1e-300, d.isFinite else { return nil }
        let c0 = cross(m[1], m[2]) / d, c1 = cross(m[2], m[0]) / d, c2 = cross(m[0], m[1]) / d
        return [Vec3(c0.x, c1.x, c2.x), Vec3(c0.y, c1.y, c2.y), Vec3(c0.z, c1.z, c2.z)]
    }
}
