import Foundation

/// Configurations read from an extended XYZ file together with the species
/// table that maps `Configuration.species` indices to chemical symbols.
public struct ExtXYZData: Equatable, Sendable {
    public var configurations: [Configuration]
    /// `species[i]` is the chemical symbol of species index `i`.
    public var species: [String]
    public init(configurations: [Configuration], species: [String]) {
        self.configurations = configurations
        self.species = species
    }
}

/// Extended XYZ as ASE writes it.
///
/// Each frame is: a line with the atom count N; a comment line of
/// `key=value` pairs (values may be quoted `"..."` with `\"` and `\\`
/// escapes, or bracketed `[...]`/`{...}`; a bare key means `T`); N atom lines
/// whose columns are described by `Properties=name:type:count:...`.
///
/// Reading:
/// - `Lattice="ax ay az bx by bz cx cy cz"` gives the cell rows; `pbc="T T T"`
///   the periodicity (default: T T T with a Lattice, F F F without).
/// - Properties: `species:S:1` (chemical symbols) or, without it, `Z:I:1`
///   (atomic numbers); `pos:R:3` (required); `forces:R:3` or `force:R:3`;
///   every other numeric column (R, I, or L as 1/0) is kept in
///   `atomProperties` (a k-column property `name` as `name[0]`...`name[k-1]`);
///   other string columns are ignored. `Z` is ignored when `species` exists.
/// - `energy=` (eV). `stress=` (ASE stress, eV/A^3, tension positive; 9
///   values of a symmetric 3x3 matrix or 6 Voigt values xx yy zz yz xz xy)
///   becomes MLIP's virial W = -stress * volume; `virial=` (9 or 6 values, eV)
///   is W itself. If both are present the virial is used and must agree with
///   the stress.
/// - Every other key is kept, in order, as a `Feature` (value unquoted).
///
/// Every problem throws an `InputError` naming the file and 1-based line.
public enum ExtXYZFormat {
    /// Reads all frames of the file at `path`. With `species` given, symbols
    /// map to their index in it (an unknown symbol is an error); with `nil`,
    /// the table is built from the symbols in order of first appearance.
    public static func read(path: String, species: [String]? = nil) throws -> ExtXYZData {
        try parse(AtomicFile.readText(path: path), file: path, species: species)
    }

    /// Parses extended XYZ text; `file` names the source in error messages.
    public static func parse(_ text: String, file: String, species: [String]? = nil) throws -> ExtXYZData {
        var parser = XYZParser(text: text, file: file, species: species)
        return try parser.parseAll()
    }

    /// Writes `configs` to `path` atomically; see `format`.
    public static func write(_ configs: [Configuration], symbols: [String], to path: String,
                             includeVirial: Bool = true) throws {
        let text = try format(configs, symbols: symbols, includeVirial: includeVirial, file: path)
        try AtomicFile.write(text, to: path)
    }

    /// The extended XYZ text of `configs`, readable by ASE.
    ///
    /// `symbols[i]` is the chemical symbol of species index `i`; each used
    /// symbol must be a chemical element (or `X`). The comment line holds
    /// `Lattice` (when the cell is not all zero),
    /// `Properties=species:S:1:pos:R:3[:forces:R:3][:<atom properties>]`, the
    /// features as `key=value`, `energy`, `stress` (ASE stress -W/volume, when
    /// there is a virial and a non-zero volume), `virial` (W exactly, unless
    /// `includeVirial` is false) and `pbc`. Numbers use Swift's shortest
    /// round-trip form, so reading the text back gives the same values
    /// (the virial exactly only through the `virial` key; the stress
    /// conversion may differ in the last bits). Weights and `group` are not
    /// written.
    public static func format(_ configs: [Configuration], symbols: [String], includeVirial: Bool = true,
                              file: String = "<extxyz>") throws -> String {
        var out = ""
        for (index, c) in configs.enumerated() {
            try formatOne(c, index: index, symbols: symbols, includeVirial: includeVirial, file: file, into: &out)
        }
        return out
    }

    /// Chemical element symbols, index = atomic number (index 0 is `X`,
    /// ASE's dummy atom).
    public static let elementSymbols: [String] = [
        "X",
        "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne",
        "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar", "K", "Ca",
        "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn",
        "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr",
        "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn",
        "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd",
        "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb",
        "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg",
        "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th",
        "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm",
        "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds",
        "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
    ]

    static let knownSymbols = Set(elementSymbols)

    // MARK: - Writing

    /// Keys the reader interprets; features may not use them.
    static let reservedKeys: Set<String> = ["lattice", "properties", "pbc", "energy", "stress", "virial"]

    private static func formatOne(_ c: Configuration, index: Int, symbols: [String], includeVirial: Bool,
                                  file: String, into out: inout String) throws {
        func fail(_ message: String) -> InputError {
            InputError(file: file, "cannot write configuration \(index + 1) as extended XYZ: \(message)")
        }
        let n = c.positions.count
        guard c.cell.count == 3 else { throw fail("cell has \(c.cell.count) rows, expected 3") }
        guard c.species.count == n else { throw fail("\(c.species.count) species for \(n) atoms") }
        if let f = c.forces, f.count != n { throw fail("\(f.count) forces for \(n) atoms") }
        let known = Set(elementSymbols)
        for (i, s) in c.species.enumerated() {
            guard s >= 0 && s < symbols.count else {
                throw fail("atom \(i + 1) has species \(s) but the symbol table has \(symbols.count) entries")
            }
            guard known.contains(symbols[s]) else {
                throw fail("species \(s) has symbol '\(symbols[s])', which is not a chemical element")
            }
        }

        // Atom property columns: consecutive name[0]..name[k-1] become one
        // k-column property again.
        var groups: [(name: String, columns: [Int])] = []
        var k = 0
        let props = c.atomProperties
        var used: Set<String> = ["species", "pos", "forces", "force", "z"]
        while k < props.count {
            let name = props[k].name
            var group = (name: name, columns: [k])
            if name.hasSuffix("[0]") {
                let base = String(name.dropLast(3))
                var j = k + 1
                while j < props.count, props[j].name == "\(base)[\(j - k)]" { j += 1 }
                group = (base, Array(k..<j))
            }
            guard isXYZName(group.name) else { throw fail("atom property name '\(group.name)' cannot be written (needs letters, digits, _ . - [ ] only)") }
            guard used.insert(group.name.lowercased()).inserted else {
                throw fail("atom property name '\(group.name)' collides with another column")
            }
            for col in group.columns {
                guard props[col].values.count == n else {
                    throw fail("atom property '\(props[col].name)' has \(props[col].values.count) values for \(n) atoms")
                }
                guard props[col].values.allSatisfy({ $0.isFinite }) else {
                    throw fail("atom property '\(props[col].name)' has a non-finite value")
                }
            }
            groups.append(group)
            k = group.columns.last! + 1
        }

        var fields: [String] = []
        if c.cell.contains(where: { $0 != .zero }) {
            let v = c.cell.flatMap { [$0.x, $0.y, $0.z] }
            guard v.allSatisfy({ $0.isFinite }) else { throw fail("non-finite cell") }
            fields.append("Lattice=\"" + v.map(shortest).joined(separator: " ") + "\"")
        } else if c.isPeriodic {
            throw fail("periodic but the cell is zero")
        }
        var properties = "Properties=species:S:1:pos:R:3"
        if c.forces != nil { properties += ":forces:R:3" }
        for g in groups { properties += ":\(g.name):R:\(g.columns.count)" }
        fields.append(properties)
        var seenKeys = Set<String>()
        for f in c.features {
            guard isXYZName(f.key) else { throw fail("feature key '\(f.key)' cannot be written as an extended XYZ key") }
            guard !reservedKeys.contains(f.key.lowercased()) else { throw fail("feature key '\(f.key)' is reserved") }
            guard seenKeys.insert(f.key).inserted else { throw fail("duplicate feature key '\(f.key)'") }
            guard !f.value.contains(where: { $0.isNewline }) else { throw fail("feature '\(f.key)' value contains a line break") }
            fields.append(f.key + "=" + quoteIfNeeded(f.value))
        }
        if let e = c.energy {
            guard e.isFinite else { throw fail("non-finite energy") }
            fields.append("energy=" + shortest(e))
        }
        if let w = c.virial {
            guard w.voigt.allSatisfy({ $0.isFinite }) else { throw fail("non-finite virial") }
            let volume = c.volume
            if volume > 0 && volume.isFinite {
                let s = w.matrix.flatMap { $0 }.map { -$0 / volume }
                fields.append("stress=\"" + s.map(shortest).joined(separator: " ") + "\"")
            } else if !includeVirial {
                throw fail("a virial without a cell volume can only be written with includeVirial")
            }
            if includeVirial {
                fields.append("virial=\"" + w.matrix.flatMap { $0 }.map(shortest).joined(separator: " ") + "\"")
            }
        }
        fields.append("pbc=\"" + [c.pbc.x, c.pbc.y, c.pbc.z].map { $0 ? "T" : "F" }.joined(separator: " ") + "\"")

        out += "\(n)\n" + fields.joined(separator: " ") + "\n"
        for i in 0..<n {
            var line = symbols[c.species[i]]
            if line.count < 2 { line += " " }
            let r = c.positions[i]
            guard r.x.isFinite && r.y.isFinite && r.z.isFinite else { throw fail("atom \(i + 1) has a non-finite position") }
            line += pad(r.x) + pad(r.y) + pad(r.z)
            if let f = c.forces?[i] {
                guard f.x.isFinite && f.y.isFinite && f.z.isFinite else { throw fail("atom \(i + 1) has a non-finite force") }
                line += pad(f.x) + pad(f.y) + pad(f.z)
            }
            for g in groups { for col in g.columns { line += pad(props[col].values[i]) } }
            out += line + "\n"
        }
    }
}

// MARK: - Parsing

private struct XYZParser {
    let file: String
    let lines: [Substring]
    var next = 0
    var table: [String]
    let fixedTable: Bool
    var index: [String: Int] = [:]

    init(text: String, file: String, species: [String]?) {
        self.file = file
        let lines = FormatText.lines(text)
        self.lines = lines
        table = species ?? []
        fixedTable = species != nil
        for (i, s) in table.enumerated() where index[s] == nil { index[s] = i }
    }

    func error(_ line: Int, _ message: String) -> InputError {
        InputError(file: file, line: line, message)
    }

    var lastLineNumber: Int { max(lines.count, 1) }

    static func tokens(_ s: Substring) -> [Substring] { FormatText.tokens(s) }

    mutating func parseAll() throws -> ExtXYZData {
        var configs: [Configuration] = []
        while next < lines.count {
            let number = next + 1
            let toks = Self.tokens(lines[next])
            next += 1
            if toks.isEmpty { continue }  // blank lines between frames
            guard toks.count == 1, let n = Int(toks[0]) else {
                throw error(number, "expected the atom count of a frame, found '\(lines[number - 1].trimmingCharacters(in: .whitespaces))'")
            }
            guard n >= 1 else { throw error(number, "atom count must be at least 1, found \(n)") }
            // Atom lines are read one by one (nothing is reserved from n),
            // so a count beyond the file ends at its last line.
            if let why = InputLimits.count(n, of: "atom count", limit: InputLimits.maxAtoms) { throw error(number, why) }
            guard next < lines.count else { throw error(number, "file ends before the comment line of the frame") }
            let commentNumber = next + 1
            let comment = lines[next]
            next += 1
            configs.append(try parseFrame(count: n, countLine: number, comment: comment, commentLine: commentNumber))
        }
        return ExtXYZData(configurations: configs, species: table)
    }

    // MARK: Comment line

    /// Splits the comment line into (key, value) pairs.
    func keyValues(_ s: Substring, line: Int) throws -> [(key: String, value: String)] {
        var pairs: [(String, String)] = []
        var i = s.startIndex
        func skipSpace() { while i < s.endIndex, s[i] == " " || s[i] == "\t" { i = s.index(after: i) } }
        func readWord(stopAtEquals: Bool) throws -> String {
            guard i < s.endIndex else { return "" }
            let open = s[i]
            if open == "\"" {
                var word = ""
                i = s.index(after: i)
                while i < s.endIndex, s[i] != "\"" {
                    if s[i] == "\\", s.index(after: i) < s.endIndex {
                        i = s.index(after: i)
                        let e = s[i]
                        word.append(e == "n" ? "\n" : e)
                    } else {
                        word.append(s[i])
                    }
                    i = s.index(after: i)
                }
                guard i < s.endIndex else { throw error(line, "unterminated quote in the comment line") }
                i = s.index(after: i)
                return word
            }
            if open == "[" || open == "{" {
                let close: Character = open == "[" ? "]" : "}"
                let start = s.index(after: i)
                guard let end = s[start...].firstIndex(of: close) else {
                    throw error(line, "unterminated '\(open)' in the comment line")
                }
                i = s.index(after: end)
                return String(s[start..<end])
            }
            let start = i
            while i < s.endIndex, s[i] != " ", s[i] != "\t", !(stopAtEquals && s[i] == "=") { i = s.index(after: i) }
            return String(s[start..<i])
        }
        while true {
            skipSpace()
            guard i < s.endIndex else { break }
            let key = try readWord(stopAtEquals: true)
            guard !key.isEmpty else { throw error(line, "empty key in the comment line") }
            skipSpace()
            if i < s.endIndex, s[i] == "=" {
                i = s.index(after: i)
                skipSpace()
                let value = try readWord(stopAtEquals: false)
                pairs.append((key, value))
            } else {
                pairs.append((key, "T"))
            }
        }
        return pairs
    }

    /// Numbers of a comment-line value ("1 2 3", "1, 2, 3").
    func numbers(_ value: String, key: String, line: Int) throws -> [Double] {
        let parts = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
        return try parts.map { p in
            guard let x = Double(p) else { throw error(line, "\(key): cannot parse '\(p)' as a number") }
            guard x.isFinite else { throw error(line, "\(key): '\(p)' is not a finite number") }
            return x
        }
    }

    static func boolean(_ s: Substring) -> Bool? {
        switch s.lowercased() {
        case "t", "true", "1": return true
        case "f", "false", "0": return false
        default: return nil
        }
    }

    // MARK: Frame

    struct Column {
        var name: String
        var type: Character
        var count: Int
        var offset: Int  // first token index
    }

    mutating func parseFrame(count n: Int, countLine: Int, comment: Substring, commentLine: Int) throws -> Configuration {
        let pairs = try keyValues(comment, line: commentLine)
        var seen = Set<String>()
        var lattice: [Double]?
        var pbc: Periodicity?
        var propertiesSpec = "species:S:1:pos:R:3"
        var energy: Double?
        var stress: [Double]?
        var virial: [Double]?
        var features: [Feature] = []
        for (key, value) in pairs {
            let lower = key.lowercased()
            let canonical = ExtXYZFormat.reservedKeys.contains(lower) ? lower : key
            guard seen.insert(canonical).inserted else { throw error(commentLine, "duplicate key '\(key)'") }
            switch canonical {
            case "lattice":
                let v = try numbers(value, key: key, line: commentLine)
                guard v.count == 9 else { throw error(commentLine, "Lattice needs 9 numbers, found \(v.count)") }
                lattice = v
            case "pbc":
                let parts = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
                let b = parts.map(Self.boolean)
                guard b.count == 3, let x = b[0], let y = b[1], let z = b[2] else {
                    throw error(commentLine, "pbc needs 3 values T/F, found '\(value)'")
                }
                pbc = Periodicity(x, y, z)
            case "properties":
                propertiesSpec = value
            case "energy":
                let v = try numbers(value, key: key, line: commentLine)
                guard v.count == 1 else { throw error(commentLine, "energy needs 1 number, found '\(value)'") }
                energy = v[0]
            case "stress":
                stress = try numbers(value, key: key, line: commentLine)
            case "virial":
                virial = try numbers(value, key: key, line: commentLine)
            default:
                features.append(Feature(key: key, value: value))
            }
        }

        // Cell and periodicity.
        var cell: [Vec3] = [.zero, .zero, .zero]
        if let l = lattice {
            cell = [Vec3(l[0], l[1], l[2]), Vec3(l[3], l[4], l[5]), Vec3(l[6], l[7], l[8])]
        }
        let periodicity = pbc ?? (lattice != nil ? .all : .none)
        if lattice == nil && (periodicity.x || periodicity.y || periodicity.z) {
            throw error(commentLine, "pbc is true on some axis but there is no Lattice")
        }
        for axis in 0..<3 where periodicity[axis] && cell[axis] == .zero {
            throw error(commentLine, "lattice vector \(axis + 1) is zero on a periodic axis")
        }
        if periodicity == .all {
            let scale = cell.map(norm).reduce(1, *)
            if !(abs(determinant(cell)) > 1e-10 * scale) {
                throw error(commentLine, "singular Lattice: the lattice vectors are linearly dependent")
            }
        }

        // Properties.
        let parts = propertiesSpec.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count % 3 == 0, !parts.isEmpty else {
            throw error(commentLine, "Properties must be name:type:count triples, found '\(propertiesSpec)'")
        }
        var columns: [Column] = []
        var width = 0
        var names = Set<String>()
        for t in stride(from: 0, to: parts.count, by: 3) {
            let name = String(parts[t])
            guard !name.isEmpty else { throw error(commentLine, "empty property name in Properties") }
            guard parts[t + 1].count == 1, let type = parts[t + 1].first, "SRIL".contains(type) else {
                throw error(commentLine, "property '\(name)' has type '\(parts[t + 1])', expected S, R, I or L")
            }
            guard let k = Int(parts[t + 2]), k >= 1 else {
                throw error(commentLine, "property '\(name)' has count '\(parts[t + 2])', expected a positive integer")
            }
            guard names.insert(name.lowercased()).inserted else { throw error(commentLine, "duplicate property '\(name)'") }
            columns.append(Column(name: name, type: type, count: k, offset: width))
            width += k
        }
        func column(_ wanted: String...) -> Column? {
            columns.first { wanted.contains($0.name.lowercased()) }
        }
        func expect(_ c: Column, type: Character, count: Int) throws {
            guard c.type == type, c.count == count else {
                throw error(commentLine, "property '\(c.name)' must be \(type):\(count), found \(c.type):\(c.count)")
            }
        }
        let speciesColumn = column("species")
        let zColumn = column("z")
        let posColumn = column("pos")
        if columns.filter({ ["forces", "force"].contains($0.name.lowercased()) }).count > 1 {
            throw error(commentLine, "both 'force' and 'forces' properties")
        }
        let forceColumn = column("forces", "force")
        guard let posColumn else { throw error(commentLine, "Properties has no 'pos:R:3' column: missing positions") }
        try expect(posColumn, type: "R", count: 3)
        if let f = forceColumn { try expect(f, type: "R", count: 3) }
        if let s = speciesColumn { try expect(s, type: "S", count: 1) }
        if let z = zColumn, speciesColumn == nil { try expect(z, type: "I", count: 1) }
        guard speciesColumn != nil || zColumn != nil else {
            throw error(commentLine, "Properties has neither 'species:S:1' nor 'Z:I:1'")
        }
        let skip = Set([speciesColumn, zColumn, posColumn, forceColumn].compactMap { $0?.name })
        let extra = columns.filter { !skip.contains($0.name) && $0.type != "S" }

        // Atom lines.
        var species: [Int] = []
        var positions: [Vec3] = []
        var forces: [Vec3]? = forceColumn == nil ? nil : []
        var props: [AtomProperty] = extra.flatMap { c in
            (0..<c.count).map { AtomProperty(name: c.count == 1 ? c.name : "\(c.name)[\($0)]", values: []) }
        }
        for a in 0..<n {
            guard next < lines.count else {
                throw error(lastLineNumber, "file ends after \(a) of \(n) atom lines of the frame beginning at line \(countLine)")
            }
            let number = next + 1
            let toks = Self.tokens(lines[next])
            next += 1
            guard toks.count == width else {
                throw error(number, "atom line has \(toks.count) columns, Properties describes \(width)")
            }
            func real(_ k: Int, _ what: String) throws -> Double {
                guard let x = Double(toks[k]) else { throw error(number, "cannot parse \(what) '\(toks[k])' as a number") }
                guard x.isFinite else { throw error(number, "\(what) is '\(toks[k])', not a finite number") }
                return x
            }
            let symbol: String
            if let s = speciesColumn {
                symbol = String(toks[s.offset])
            } else if let z = zColumn {
                guard let zn = Int(toks[z.offset]), zn >= 0, zn < ExtXYZFormat.elementSymbols.count else {
                    throw error(number, "Z '\(toks[z.offset])' is not an atomic number")
                }
                symbol = ExtXYZFormat.elementSymbols[zn]
            } else { symbol = "" }
            if let i = index[symbol] {
                species.append(i)
            } else if !ExtXYZFormat.knownSymbols.contains(symbol) {
                throw error(number, "'\(symbol.prefix(20))' is not a chemical element symbol")
            } else if fixedTable {
                throw error(number, "species '\(symbol)' is not in the species table [\(table.joined(separator: ", "))]")
            } else {
                index[symbol] = table.count
                species.append(table.count)
                table.append(symbol)
            }
            let p = posColumn.offset
            positions.append(Vec3(try real(p, "x"), try real(p + 1, "y"), try real(p + 2, "z")))
            if let f = forceColumn {
                let o = f.offset
                forces?.append(Vec3(try real(o, "fx"), try real(o + 1, "fy"), try real(o + 2, "fz")))
            }
            var slot = 0
            for c in extra {
                for k in 0..<c.count {
                    let token = toks[c.offset + k]
                    let value: Double
                    switch c.type {
                    case "L":
                        guard let b = Self.boolean(token) else {
                            throw error(number, "\(c.name): '\(token)' is not a logical value T/F")
                        }
                        value = b ? 1 : 0
                    case "I":
                        guard let v = Int(token) else { throw error(number, "\(c.name): cannot parse '\(token)' as an integer") }
                        value = Double(v)
                    default:
                        value = try real(c.offset + k, c.name)
                    }
                    props[slot].values.append(value)
                    slot += 1
                }
            }
        }

        var config = Configuration(cell: cell, pbc: periodicity, species: species, positions: positions)
        config.energy = energy
        config.forces = forces
        config.features = features
        config.atomProperties = props

        // Stress / virial.
        func tensor(_ v: [Double], key: String) throws -> Virial {
            switch v.count {
            case 6:
                return Virial(voigt: v)
            case 9:
                let m = [[v[0], v[1], v[2]], [v[3], v[4], v[5]], [v[6], v[7], v[8]]]
                let scale = max(v.map(abs).max() ?? 0, 1e-300)
                for (a, b) in [(0, 1), (0, 2), (1, 2)] where abs(m[a][b] - m[b][a]) > 1e-8 * scale {
                    throw error(commentLine, "\(key) is not symmetric (\(m[a][b]) vs \(m[b][a]))")
                }
                return Virial(matrix: m)
            default:
                throw error(commentLine, "\(key) needs 9 (3x3) or 6 (Voigt) numbers, found \(v.count)")
            }
        }
        var fromStress: Virial?
        if let s = stress {
            let sigma = try tensor(s, key: "stress")
            let volume = config.volume
            guard lattice != nil, volume > 0 else {
                throw error(commentLine, "stress given but the cell volume is zero (no Lattice?)")
            }
            fromStress = (-volume) * sigma
        }
        if let v = virial {
            let w = try tensor(v, key: "virial")
            if let s = fromStress {
                let scale = max(w.voigt.map(abs).max() ?? 0, s.voigt.map(abs).max() ?? 0, 1e-12)
                if zip(w.voigt, s.voigt).contains(where: { abs($0 - $1) > 1e-6 * scale }) {
                    throw error(commentLine, "virial and stress disagree (virial must equal -stress * volume)")
                }
            }
            config.virial = w
        } else {
            config.virial = fromStress
        }
        return config
    }
}

// MARK: - Helpers

private func shortest(_ x: Double) -> String { "\(x)" }

/// Shortest round-trip text, right-aligned in 22 columns after one space.
private func pad(_ x: Double) -> String {
    let s = "\(x)"
    return " " + (s.count >= 21 ? s : String(repeating: " ", count: 21 - s.count) + s)
}

/// Names usable as keys or property names without quoting.
private func isXYZName(_ s: String) -> Bool {
    !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || "_.-[]".contains($0) } && s.first != "["
        && !s.contains(":")
}

private func quoteIfNeeded(_ s: String) -> String {
    let plain = !s.isEmpty && !s.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "=" || $0 == "\\" || $0 == "[" || $0 == "{" })
    if plain { return s }
    return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

extension ExtXYZFormat: ConfigurationFormat {
    public static var name: String { "extxyz" }
    public static func claims(fileName: String) -> Bool { fileName.hasSuffix(".extxyz") || fileName.hasSuffix(".xyz") }
    public static func read(_ path: String, options: FormatOptions) throws -> ConfigurationData {
        let r = try read(path: path, species: options.symbols)
        return ConfigurationData(configurations: r.configurations, symbols: r.species)
    }
    public static var writes: Bool { true }
    /// Extended XYZ names elements: it needs the symbols of the species.
    public static func write(_ data: ConfigurationData, to path: String, options: FormatOptions) throws {
        guard let symbols = data.symbols ?? options.symbols, !symbols.isEmpty else {
            throw InputError(file: path, "extended XYZ needs element symbols: pass --species Cu,Ag,...")
        }
        try write(data.configurations, symbols: symbols, to: path)
    }
    public static func line(in text: String, configuration index: Int, atom: Int?) -> Int? {
        SourceLines.xyzLine(SourceLines.lines(text), index, atom)
    }
}
