import Foundation

/// How `CFGFormat` writes numbers.
public enum CFGStyle: Sendable {
    /// MLIP's layout, every double with Swift's shortest round-trip digits,
    /// so that reading the file back gives exactly the same values, always
    /// in positional notation (`0.000008`, never `8e-06`), as MLIP's fixed
    /// layout and the readers that follow it (motep's) expect.
    case full
    /// MLIP's fixed layout and digits (as `mlp calc-efs` writes): positions
    /// and cell with 6 decimals, forces 6, energy 12, PlusStress 5, extra
    /// atom columns (e.g. `nbh_grades`) 5. Loses precision.
    case mlip
}

/// MLIP's `.cfg` text format: `BEGIN_CFG ... END_CFG` blocks.
///
/// Reading accepts the sections `Size`, `Supercell` (1-3 rows; k rows make
/// the first k axes periodic), `AtomData:` (columns in any order: `id`,
/// `type`, `cartes_x/y/z` or `direct_x/y/z`, optional `fx fy fz`, and any
/// other numeric column, kept in `Configuration.atomProperties`), `Energy`,
/// `PlusStress:` (columns `xx yy zz yz xz xy` in any order; MLIP's virial
/// W = -sigma*V in eV, stored unchanged), `Feature key value` (kept in
/// order) and the optional weights `EnergyWeight`, `ForceWeight`,
/// `StressWeight` (alias `VirialWeight`), each followed by one number.
/// A `Stress:` section is rejected: its sign and units are not defined by
/// MLIP, and guessing would corrupt training data.
///
/// Every problem throws an `InputError` naming the file and the 1-based line.
/// CRLF line ends, blank lines and extra whitespace are tolerated.
public enum CFGFormat {
    /// Reads all configurations of the `.cfg` file at `path`.
    public static func read(path: String) throws -> [Configuration] {
        try parse(AtomicFile.readText(path: path), file: path)
    }

    /// Parses `.cfg` text; `file` names the source in error messages.
    public static func parse(_ text: String, file: String) throws -> [Configuration] {
        var text = text
        return try text.withUTF8 { bytes in
            var parser = CFGParser(bytes: bytes, file: file)
            return try parser.parseAll()
        }
    }

    /// Writes `configs` to `path` atomically (temporary file + rename).
    public static func write(_ configs: [Configuration], to path: String, style: CFGStyle = .full) throws {
        let bytes = try formatBytes(configs, style: style, file: path)
        try AtomicFile.write(Data(bytes), to: path)
    }

    /// The `.cfg` text of `configs`. Throws an `InputError` (file `file`, no
    /// line) if a configuration cannot be represented: inconsistent array
    /// lengths, negative species, non-finite numbers, periodic axes that are
    /// not the leading ones (`.cfg` makes the first k axes periodic), or
    /// feature keys/atom property names that would not read back.
    ///
    /// The cell rows of non-periodic axes are not written (MLIP has no place
    /// for them); `group` is not written either.
    public static func format(_ configs: [Configuration], style: CFGStyle, file: String = "<cfg>") throws -> String {
        String(decoding: try formatBytes(configs, style: style, file: file), as: UTF8.self)
    }

    /// `format` as UTF-8 bytes. The text is built in one `[UInt8]` buffer,
    /// reserved up front, with numbers formatted straight into it: building
    /// it from `String`s (one per number, via `String(format:)`) made writing
    /// the slowest step of `mtp calc-efs`.
    static func formatBytes(_ configs: [Configuration], style: CFGStyle, file: String) throws -> [UInt8] {
        var out: [UInt8] = []
        let perAtom = 14 + 5 + 42 + 36 + 17 * (configs.first?.atomProperties.count ?? 0) + 1
        out.reserveCapacity(configs.reduce(0) { $0 + (style == .full ? 2 : 1) * perAtom * $1.atomCount + 600 })
        for (index, config) in configs.enumerated() {
            try formatOne(config, index: index, style: style, file: file, into: &out)
        }
        return out
    }

    // MARK: - Writing

    /// Column widths of MLIP's calc-efs output (derived from its files).
    private enum Width {
        static let size = 4          // "    %d"
        static let cellFirst = 17, cell = 14
        static let id = 14, type = 5
        static let posFirst = 15, pos = 14
        static let forceFirst = 13, force = 12
        static let extra = 17
        static let energy = 24
        static let stressFirst = 16, stress = 12
    }

    private static let reservedColumns: Set<String> = [
        "id", "type", "cartes_x", "cartes_y", "cartes_z", "direct_x", "direct_y", "direct_z",
        "fx", "fy", "fz",
    ]

    /// Checks that `c` can be written as `.cfg` (see `format`).
    private static func validate(_ c: Configuration, index: Int, file: String) throws {
        func fail(_ message: String) -> InputError {
            InputError(file: file, "cannot write configuration \(index + 1) as .cfg: \(message)")
        }
        let n = c.positions.count
        guard c.cell.count == 3 else { throw fail("cell has \(c.cell.count) rows, expected 3") }
        guard c.species.count == n else { throw fail("\(c.species.count) species for \(n) atoms") }
        if let f = c.forces, f.count != n { throw fail("\(f.count) forces for \(n) atoms") }
        if let bad = c.species.firstIndex(where: { $0 < 0 }) {
            throw fail("atom \(bad + 1) has negative species \(c.species[bad])")
        }
        // Periodic axes must be the leading ones.
        let periodic = (0..<3).filter { c.pbc[$0] }
        guard periodic == Array(0..<periodic.count) else {
            throw fail("pbc (\(c.pbc.x), \(c.pbc.y), \(c.pbc.z)) is not representable: .cfg makes the first k lattice axes periodic")
        }
        var names = Set<String>()
        for p in c.atomProperties {
            guard isPlainToken(p.name) else { throw fail("atom property name '\(p.name)' is empty or contains whitespace") }
            guard !reservedColumns.contains(p.name) else { throw fail("atom property name '\(p.name)' is a reserved AtomData column") }
            guard names.insert(p.name).inserted else { throw fail("duplicate atom property '\(p.name)'") }
            guard p.values.count == n else { throw fail("atom property '\(p.name)' has \(p.values.count) values for \(n) atoms") }
        }
        for f in c.features {
            guard isPlainToken(f.key) else { throw fail("feature key '\(f.key)' is empty or contains whitespace") }
            guard !f.value.contains(where: { $0.isNewline }) else { throw fail("feature '\(f.key)' value contains a line break") }
            guard f.value == f.value.trimmingCharacters(in: .whitespaces) else {
                throw fail("feature '\(f.key)' value has leading or trailing whitespace, which would not read back")
            }
        }
        // All numbers that are written must be finite.
        var numbers: [Double] = [c.energyWeight, c.forceWeight, c.virialWeight]
        if let e = c.energy { numbers.append(e) }
        if let v = c.virial { numbers += v.voigt }
        for p in periodic { numbers += [c.cell[p].x, c.cell[p].y, c.cell[p].z] }
        guard numbers.allSatisfy({ $0.isFinite }) else { throw fail("non-finite energy, virial, weight or cell value") }
        for (i, r) in c.positions.enumerated() where !(r.x.isFinite && r.y.isFinite && r.z.isFinite) {
            throw fail("atom \(i + 1) has a non-finite position")
        }
        if let f = c.forces {
            for (i, r) in f.enumerated() where !(r.x.isFinite && r.y.isFinite && r.z.isFinite) {
                throw fail("atom \(i + 1) has a non-finite force")
            }
        }
        for p in c.atomProperties where !p.values.allSatisfy({ $0.isFinite }) {
            throw fail("atom property '\(p.name)' has a non-finite value")
        }
    }

    private static func formatOne(_ c: Configuration, index: Int, style: CFGStyle, file: String,
                                  into out: inout [UInt8]) throws {
        try validate(c, index: index, file: file)
        let n = c.positions.count
        let periodicCount = c.pbc.z ? 3 : (c.pbc.y ? 2 : (c.pbc.x ? 1 : 0))  // leading axes (validated)

        let full = style == .full
        /// One number: shortest round-trip text (`.full`) or MLIP's fixed
        /// width and decimals (`.mlip`); either way right-aligned in `width`
        /// and preceded by at least one space, so that a number too wide for
        /// its field still stays a separate token.
        func num(_ x: Double, _ width: Int, _ decimals: Int) {
            if full {
                NumberFormatting.appendPadded(PositionalDecimal.text(x), width: width, to: &out)
            } else {
                NumberFormatting.appendFixed(x, width: width, decimals: decimals, separated: true, to: &out)
            }
        }
        func text(_ s: String) { out.append(contentsOf: s.utf8) }
        func newline() { out.append(UInt8(ascii: "\n")) }

        text("BEGIN_CFG\n Size\n")
        NumberFormatting.appendSpaces(Width.size, to: &out)
        text(String(n))
        newline()
        if periodicCount > 0 {
            text(" Supercell\n")
            for p in 0..<periodicCount {
                let row = c.cell[p]
                num(row.x, Width.cellFirst, 6); num(row.y, Width.cell, 6); num(row.z, Width.cell, 6)
                newline()
            }
        }
        let forces = c.forces
        var header = " AtomData:" + leftPad("id", Width.id - 10) + leftPad("type", Width.type)
            + leftPad("cartes_x", Width.posFirst) + leftPad("cartes_y", Width.pos) + leftPad("cartes_z", Width.pos)
        if forces != nil {
            header += leftPad("fx", Width.forceFirst) + leftPad("fy", Width.force) + leftPad("fz", Width.force)
        }
        for p in c.atomProperties { header += leftPad(p.name, Width.extra) }
        text(header)
        newline()
        let properties = c.atomProperties.map(\.values)
        for i in 0..<n {
            NumberFormatting.appendInteger(i + 1, width: Width.id, to: &out)
            NumberFormatting.appendInteger(c.species[i], width: Width.type, to: &out)
            let r = c.positions[i]
            num(r.x, Width.posFirst, 6); num(r.y, Width.pos, 6); num(r.z, Width.pos, 6)
            if let f = forces?[i] {
                num(f.x, Width.forceFirst, 6); num(f.y, Width.force, 6); num(f.z, Width.force, 6)
            }
            for values in properties { num(values[i], Width.extra, 5) }
            newline()
        }
        if let e = c.energy {
            text(" Energy\n")
            num(e, Width.energy, 12)
            newline()
        }
        if let v = c.virial {
            text(" PlusStress:  xx          yy          zz          yz          xz          xy\n")
            num(v.xx, Width.stressFirst, 5)
            num(v.yy, Width.stress, 5); num(v.zz, Width.stress, 5)
            num(v.yz, Width.stress, 5); num(v.xz, Width.stress, 5); num(v.xy, Width.stress, 5)
            newline()
        }
        // Weights are written only when they differ from the default 1.
        if c.energyWeight != 1 { text(" EnergyWeight\n"); num(c.energyWeight, Width.energy, 12); newline() }
        if c.forceWeight != 1 { text(" ForceWeight\n"); num(c.forceWeight, Width.energy, 12); newline() }
        if c.virialWeight != 1 { text(" StressWeight\n"); num(c.virialWeight, Width.energy, 12); newline() }
        for f in c.features {
            text(" Feature   " + f.key + "\t" + f.value + "\n")
        }
        text("END_CFG\n\n")
    }
}

// MARK: - Parsing

/// Reads `.cfg` text straight from its UTF-8 bytes.
///
/// Section headers and other short lines become `Line`s whose tokens are
/// `Substring`s, so that keyword and column matching keep `String`
/// semantics. The atom lines, almost all of a file, take a byte-level path
/// instead (`parseAtoms`): tokens are byte ranges in a reused buffer and
/// numbers are parsed in place, so that no `String` or array is allocated
/// per line or per number. Whatever the path, the values and the error
/// messages are the same.
///
/// Lines end at "\n" (a preceding "\r" is dropped); tokens are separated by
/// space, tab, vertical tab or form feed, as in `FormatText`.
private struct CFGParser {
    let file: String
    /// The UTF-8 text; valid for the parser's whole life (see `CFGFormat.parse`).
    let bytes: UnsafeBufferPointer<UInt8>
    /// Byte offset of the start of the next unread line.
    var position = 0
    /// 1-based number of the last line read (0 before the first).
    var lineNumber = 0

    init(bytes: UnsafeBufferPointer<UInt8>, file: String) {
        self.file = file
        self.bytes = bytes
    }

    /// A non-blank line: 1-based number, raw bytes and whitespace tokens.
    struct Line {
        let number: Int
        let bytes: UnsafeBufferPointer<UInt8>
        let tokens: [Substring]
        /// The whole line (without its line break), for messages.
        var text: Substring { Substring(String(decoding: bytes, as: UTF8.self)) }

        /// The text after token `k` (the rest of the line, untrimmed).
        func rest(after k: Int) -> Substring {
            var i = 0
            for _ in 0...k {
                while i < bytes.count && isSeparator(bytes[i]) { i += 1 }
                while i < bytes.count && !isSeparator(bytes[i]) { i += 1 }
            }
            return Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[i...]), as: UTF8.self))
        }
    }

    func error(_ line: Int, _ message: String) -> InputError {
        InputError(file: file, line: line, message)
    }

    /// The line number used for "file ends" errors: the last line, where a
    /// final line break does not start another line. Only errors need it, so
    /// it is counted on demand.
    var lastLineNumber: Int {
        var breaks = 0
        var lastBreak = -1
        for (k, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            breaks += 1
            lastBreak = k
        }
        let tail = bytes.count - (lastBreak + 1)
        let tailIsEmpty = tail == 0 || (tail == 1 && bytes[bytes.count - 1] == UInt8(ascii: "\r"))
        return max(tailIsEmpty ? breaks : breaks + 1, 1)
    }

    /// The byte range of the next line without its "\n" or "\r\n", or nil
    /// at the end of the text; advances `position` and `lineNumber`.
    @inline(__always)
    mutating func nextRawLine() -> Range<Int>? {
        let count = bytes.count
        guard position < count, let base = bytes.baseAddress else { return nil }
        let start = position
        var end = count
        if let hit = memchr(base + start, Int32(UInt8(ascii: "\n")), count - start) {
            end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            position = end + 1
        } else {
            position = count
        }
        lineNumber += 1
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<end
    }

    /// The next non-blank line with its tokens.
    mutating func nextLine() -> Line? {
        while let range = nextRawLine() {
            let line = makeLine(range)
            if !line.tokens.isEmpty { return line }
        }
        return nil
    }

    /// The line in `range` (of line number `lineNumber`) with its tokens.
    /// Tokens are separate small strings (mostly stored inline, without
    /// allocation), which is faster than slicing a `Substring`.
    func makeLine(_ range: Range<Int>) -> Line {
        var tokens: [Substring] = []
        var k = range.lowerBound
        while let token = nextToken(&k, range.upperBound) {
            tokens.append(Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[token]), as: UTF8.self)))
        }
        return Line(number: lineNumber, bytes: UnsafeBufferPointer(rebasing: bytes[range]), tokens: tokens)
    }

    /// The next blank-separated token at or after `k` and before `end`
    /// (advancing `k` past it), or nil when only blanks remain.
    @inline(__always)
    func nextToken(_ k: inout Int, _ end: Int) -> Range<Int>? {
        while k < end && isSeparator(bytes[k]) { k += 1 }
        guard k < end else { return nil }
        let start = k
        while k < end && !isSeparator(bytes[k]) { k += 1 }
        return start..<k
    }

    /// Reads the next non-blank line and stores the start and end offsets of
    /// its first `bounds.count / 2` tokens in `bounds`. Returns the line's
    /// byte range and its total number of tokens, or nil at the end.
    @inline(__always)
    mutating func nextTokenizedLine(into bounds: UnsafeMutableBufferPointer<Int>) -> (range: Range<Int>, tokens: Int)? {
        let capacity = bounds.count / 2
        while let range = nextRawLine() {
            var count = 0
            var k = range.lowerBound
            while let token = nextToken(&k, range.upperBound) {
                if count < capacity {
                    bounds[2 * count] = token.lowerBound
                    bounds[2 * count + 1] = token.upperBound
                }
                count += 1
            }
            if count > 0 { return (range, count) }
        }
        return nil
    }

    /// Token `k` of a line read by `nextTokenizedLine`, as bytes.
    @inline(__always)
    func tokenBytes(_ k: Int, _ bounds: UnsafeMutableBufferPointer<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[bounds[2 * k]..<bounds[2 * k + 1]])
    }

    /// Token `k` of a line read by `nextTokenizedLine`, as a `Substring`.
    func tokenText(_ k: Int, _ bounds: UnsafeMutableBufferPointer<Int>) -> Substring {
        Substring(String(decoding: tokenBytes(k, bounds), as: UTF8.self))
    }

    mutating func parseAll() throws -> [Configuration] {
        var configs: [Configuration] = []
        while let line = nextLine() {
            guard line.tokens.count == 1, line.tokens[0] == "BEGIN_CFG" else {
                throw error(line.number, "expected BEGIN_CFG, found '\(line.text.trimmed)'")
            }
            configs.append(try parseBlock(begin: line.number))
        }
        return configs
    }

    // MARK: Values

    func number(_ token: Substring, line: Int, what: String) throws -> Double {
        if let x = token.utf8.withContiguousStorageIfAvailable(NumberFormatting.parseSimpleDouble), let x {
            return x
        }
        guard let x = Double(token) else {
            throw error(line, "cannot parse \(what) '\(token)' as a number")
        }
        guard x.isFinite else { throw error(line, "\(what) is '\(token)', not a finite number") }
        return x
    }

    func integer(_ token: Substring, line: Int, what: String) throws -> Int {
        if let x = token.utf8.withContiguousStorageIfAvailable(NumberFormatting.parseSimpleInt), let x {
            return x
        }
        guard let x = Int(token) else { throw error(line, "cannot parse \(what) '\(token)' as an integer") }
        return x
    }

    /// Number in token `k` of the current atom line: the exact fast path
    /// on the bytes, else `number` (which decides and words any error).
    @inline(__always)
    func atomNumber(_ k: Int, _ bounds: UnsafeMutableBufferPointer<Int>, what: @autoclosure () -> String) throws -> Double {
        if let x = NumberFormatting.parseSimpleDouble(tokenBytes(k, bounds)) { return x }
        return try number(tokenText(k, bounds), line: lineNumber, what: what())
    }

    /// Integer in token `k` of the current atom line (see `atomNumber`).
    @inline(__always)
    func atomInteger(_ k: Int, _ bounds: UnsafeMutableBufferPointer<Int>, what: String) throws -> Int {
        if let x = NumberFormatting.parseSimpleInt(tokenBytes(k, bounds)) { return x }
        return try integer(tokenText(k, bounds), line: lineNumber, what: what)
    }

    /// The single number of a `Keyword` + value section: on the same line
    /// after the keyword or alone on the next non-blank line.
    mutating func scalar(after header: Line, what: String) throws -> (Substring, Int) {
        if header.tokens.count == 2 { return (header.tokens[1], header.number) }
        guard header.tokens.count == 1 else {
            throw error(header.number, "unexpected text after \(header.tokens[0]): '\(header.text.trimmed)'")
        }
        guard let line = nextLine() else {
            throw error(lastLineNumber, "file ends where the \(what) value was expected")
        }
        guard line.tokens.count == 1 else {
            throw error(line.number, "expected one \(what) value, found \(line.tokens.count) tokens: '\(line.text.trimmed)'")
        }
        return (line.tokens[0], line.number)
    }

    /// Column names after a header keyword such as `AtomData:`; accepts the
    /// colon attached to the keyword, detached, or missing.
    func headerColumns(_ line: Line) -> ArraySlice<Substring> {
        var cols = line.tokens.dropFirst()
        if line.tokens[0].hasSuffix(":") { return cols }
        if let first = cols.first, first == ":" { cols = cols.dropFirst() }
        return cols
    }

    static func keyword(_ token: Substring) -> Substring {
        token.hasSuffix(":") ? token.dropLast() : token
    }

    static let keywords: Set<Substring> = [
        "BEGIN_CFG", "END_CFG", "Size", "Supercell", "AtomData", "Energy", "PlusStress", "Stress",
        "Feature", "EnergyWeight", "ForceWeight", "StressWeight", "VirialWeight",
    ]

    /// True if the line starts a section (or ends the block) rather than
    /// carrying data. Every keyword starts with an ASCII letter, so a line
    /// that starts like a number (digit, sign or point) is data without the
    /// (slower, Unicode-aware) set lookup.
    static func isKeywordLine(_ line: Line) -> Bool {
        let first = line.tokens[0].utf8.first!
        if startsLikeNumber(first) { return false }
        return keywords.contains(keyword(line.tokens[0]))
    }

    /// True if `byte` is an ASCII digit, sign or decimal point.
    @inline(__always)
    static func startsLikeNumber(_ byte: UInt8) -> Bool {
        byte &- 48 < 10 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
    }

    // MARK: Block

    mutating func parseBlock(begin: Int) throws -> Configuration {
        var size: Int?
        var sizeLine = begin
        var cellRows: [Vec3]?
        var cellLine = 0
        var atoms: AtomBlock?
        var energy: Double?
        var virial: Virial?
        var features: [Feature] = []
        var weights: (e: Double?, f: Double?, s: Double?) = (nil, nil, nil)

        while true {
            guard let line = nextLine() else {
                throw error(lastLineNumber, "file ends before END_CFG of the configuration that begins at line \(begin)")
            }
            let head = line.tokens[0]
            switch Self.keyword(head) {
            case "END_CFG":
                guard line.tokens.count == 1 else {
                    throw error(line.number, "unexpected text after END_CFG: '\(line.text.trimmed)'")
                }
                return try finish(begin: begin, end: line.number, size: size, sizeLine: sizeLine,
                                  cellRows: cellRows, cellLine: cellLine, atoms: atoms, energy: energy,
                                  virial: virial, features: features, weights: weights)
            case "BEGIN_CFG":
                throw error(line.number, "BEGIN_CFG inside the configuration that begins at line \(begin): missing END_CFG")
            case "Size":
                guard size == nil else { throw error(line.number, "second Size section in one configuration") }
                let (token, at) = try scalar(after: line, what: "Size")
                let n = try integer(token, line: at, what: "Size")
                guard n >= 1 else { throw error(at, "Size must be at least 1, found \(n)") }
                // An atom line takes at least 8 bytes ("0 0 0 0" and its end).
                if let why = InputLimits.count(n, of: "Size", limit: InputLimits.maxAtoms, room: (bytes.count - position) / 8) {
                    throw error(at, why)
                }
                size = n
                sizeLine = at
            case "Supercell":
                guard cellRows == nil else { throw error(line.number, "second Supercell section in one configuration") }
                guard line.tokens.count == 1 else {
                    throw error(line.number, "unexpected text after Supercell: '\(line.text.trimmed)'")
                }
                var rows: [Vec3] = []
                while true {
                    // Rows run until the next keyword line, which is left unread.
                    let saved = (position, lineNumber)
                    guard let row = nextLine() else { break }
                    if Self.isKeywordLine(row) {
                        (position, lineNumber) = saved
                        break
                    }
                    guard rows.count < 3 else {
                        throw error(row.number, "Supercell has more than 3 rows")
                    }
                    guard row.tokens.count == 3 else {
                        throw error(row.number, "a Supercell row needs 3 numbers, found \(row.tokens.count)")
                    }
                    let v = try row.tokens.map { try number($0, line: row.number, what: "Supercell component") }
                    rows.append(Vec3(v[0], v[1], v[2]))
                }
                guard !rows.isEmpty else { throw error(line.number, "Supercell without lattice rows") }
                cellRows = rows
                cellLine = line.number
            case "AtomData":
                guard atoms == nil else { throw error(line.number, "second AtomData section in one configuration") }
                guard let n = size else { throw error(line.number, "AtomData before Size: the atom count is not known") }
                atoms = try parseAtoms(header: line, count: n)
            case "Energy":
                guard energy == nil else { throw error(line.number, "second Energy section in one configuration") }
                let (token, at) = try scalar(after: line, what: "Energy")
                energy = try number(token, line: at, what: "Energy")
            case "PlusStress":
                guard virial == nil else { throw error(line.number, "second PlusStress section in one configuration") }
                virial = try parsePlusStress(header: line)
            case "Stress":
                throw error(line.number, "a 'Stress' section is not supported (its sign and units are not defined by MLIP); give the virial W = -stress*volume in eV as PlusStress: xx yy zz yz xz xy")
            case "Feature":
                guard line.tokens.count >= 2 else { throw error(line.number, "Feature without a key") }
                let key = String(line.tokens[1])
                // The value is the rest of the line after the key, trimmed.
                let rest = line.rest(after: 1)
                features.append(Feature(key: key, value: String(rest).trimmingCharacters(in: .whitespaces)))
            case "EnergyWeight", "ForceWeight", "StressWeight", "VirialWeight":
                let (token, at) = try scalar(after: line, what: String(head))
                let w = try number(token, line: at, what: String(head))
                guard w >= 0 else { throw error(at, "\(head) must not be negative, found \(token)") }
                switch head {
                case "EnergyWeight": weights.e = w
                case "ForceWeight": weights.f = w
                default: weights.s = w
                }
            default:
                if let a = atoms, Double(head) != nil {
                    throw error(line.number, "unexpected numeric line '\(line.text.trimmed)': more atom lines than Size = \(a.count)?")
                }
                throw error(line.number, "unknown section '\(head)' (expected Size, Supercell, AtomData:, Energy, PlusStress:, Feature or END_CFG)")
            }
        }
    }

    struct AtomBlock {
        var headerLine: Int
        var count: Int
        var species: [Int]
        var coords: [Vec3]
        var direct: Bool
        var forces: [Vec3]?
        var properties: [AtomProperty]
    }

    mutating func parseAtoms(header: Line, count n: Int) throws -> AtomBlock {
        let columns = headerColumns(header)
        guard !columns.isEmpty else { throw error(header.number, "AtomData header lists no columns") }
        var index: [Substring: Int] = [:]
        for (k, name) in columns.enumerated() {
            guard index[name] == nil else { throw error(header.number, "duplicate AtomData column '\(name)'") }
            index[name] = k
        }
        func triple(_ prefix: String) throws -> [Int]? {
            let names = ["x", "y", "z"].map { Substring(prefix + $0) }
            let found = names.map { index[$0] }
            if found.allSatisfy({ $0 == nil }) { return nil }
            if let missing = zip(names, found).first(where: { $0.1 == nil }) {
                throw error(header.number, "AtomData has some \(prefix)* columns but not '\(missing.0)'")
            }
            return found.compactMap { $0 }
        }
        let cartes = try triple("cartes_")
        let direct = try triple("direct_")
        let force = try triple("f")
        if cartes != nil && direct != nil {
            throw error(header.number, "AtomData has both cartes_* and direct_* columns")
        }
        guard let pos = cartes ?? direct else {
            throw error(header.number, "missing positions: AtomData has no cartes_x cartes_y cartes_z (or direct_x direct_y direct_z) columns")
        }
        guard let typeColumn = index["type"] else { throw error(header.number, "AtomData has no 'type' column") }
        let idColumn = index["id"]
        var known = Set(pos + [typeColumn])
        if let f = force { known.formUnion(f) }
        if let i = idColumn { known.insert(i) }
        let extras = columns.indices.map { $0 - columns.startIndex }.filter { !known.contains($0) }

        var block = AtomBlock(headerLine: header.number, count: n, species: [], coords: [], direct: direct != nil,
                              forces: force == nil ? nil : [],
                              properties: extras.map { AtomProperty(name: String(columns[columns.startIndex + $0]), values: []) })
        block.species.reserveCapacity(n)
        block.coords.reserveCapacity(n)
        block.forces?.reserveCapacity(n)
        let names = Array(columns)
        // The hot loop: one line per atom, tokens as byte ranges, numbers
        // parsed in place. Error checks keep the order of the columns.
        let bounds = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2 * names.count)
        defer { bounds.deallocate() }
        for k in 0..<n {
            guard let (range, tokenCount) = nextTokenizedLine(into: bounds) else {
                throw error(lastLineNumber, "file ends after \(k) of \(n) atom lines (Size = \(n))")
            }
            // Keywords start with a letter; a first token that starts like a
            // number cannot be one, so the Substring check is rarely needed.
            if !Self.startsLikeNumber(bytes[bounds[0]]) {
                let line = makeLine(range)
                guard !Self.isKeywordLine(line) else {
                    throw error(line.number, "found '\(line.tokens[0])' after \(k) of \(n) atom lines: fewer atom lines than Size = \(n)")
                }
            }
            guard tokenCount == names.count else {
                throw error(lineNumber, "atom line has \(tokenCount) values, the AtomData header has \(names.count) columns")
            }
            if let i = idColumn { _ = try atomInteger(i, bounds, what: "id") }
            let type = try atomInteger(typeColumn, bounds, what: "type")
            guard type >= 0 else { throw error(lineNumber, "type \(type) is below 0 (types are 0-based species indices)") }
            block.species.append(type)
            let x = try atomNumber(pos[0], bounds, what: String(names[pos[0]]))
            let y = try atomNumber(pos[1], bounds, what: String(names[pos[1]]))
            let z = try atomNumber(pos[2], bounds, what: String(names[pos[2]]))
            block.coords.append(Vec3(x, y, z))
            if let f = force {
                let fx = try atomNumber(f[0], bounds, what: "fx")
                let fy = try atomNumber(f[1], bounds, what: "fy")
                let fz = try atomNumber(f[2], bounds, what: "fz")
                block.forces?.append(Vec3(fx, fy, fz))
            }
            for (p, c) in extras.enumerated() {
                block.properties[p].values.append(try atomNumber(c, bounds, what: String(names[c])))
            }
        }
        return block
    }

    mutating func parsePlusStress(header: Line) throws -> Virial {
        let columns = headerColumns(header)
        let order = ["xx", "yy", "zz", "yz", "xz", "xy"]
        var slot: [Int] = []  // slot[k] = Voigt index of column k
        for name in columns {
            guard let v = order.firstIndex(of: String(name)) else {
                throw error(header.number, "unknown PlusStress column '\(name)' (expected xx yy zz yz xz xy)")
            }
            guard !slot.contains(v) else { throw error(header.number, "duplicate PlusStress column '\(name)'") }
            slot.append(v)
        }
        guard slot.count == 6 else {
            let missing = order.enumerated().filter { !slot.contains($0.offset) }.map { $0.element }
            throw error(header.number, "PlusStress header lacks columns: \(missing.joined(separator: " "))")
        }
        guard let line = nextLine() else { throw error(lastLineNumber, "file ends where the PlusStress values were expected") }
        guard line.tokens.count == 6 else {
            throw error(line.number, "expected 6 PlusStress values, found \(line.tokens.count): '\(line.text.trimmed)'")
        }
        var v = [Double](repeating: 0, count: 6)
        for (k, token) in line.tokens.enumerated() {
            v[slot[k]] = try number(token, line: line.number, what: "PlusStress \(order[slot[k]])")
        }
        return Virial(voigt: v)
    }

    func finish(begin: Int, end: Int, size: Int?, sizeLine: Int, cellRows: [Vec3]?, cellLine: Int,
                atoms: AtomBlock?, energy: Double?, virial: Virial?, features: [Feature],
                weights: (e: Double?, f: Double?, s: Double?)) throws -> Configuration {
        guard size != nil else { throw error(end, "configuration beginning at line \(begin) has no Size") }
        guard let atoms else {
            throw error(end, "configuration beginning at line \(begin) has no AtomData: missing positions")
        }
        let rows = cellRows ?? []
        var cell = rows
        while cell.count < 3 { cell.append(.zero) }
        var pbc = Periodicity.none
        for k in 0..<rows.count { pbc[k] = true }

        // The given lattice rows must be linearly independent.
        if !rows.isEmpty {
            let scale = rows.map(norm).reduce(1, *)
            let measure: Double
            switch rows.count {
            case 1: measure = norm(rows[0])
            case 2: measure = norm(cross(rows[0], rows[1]))
            default: measure = abs(determinant(rows))
            }
            if !(measure > 1e-10 * scale) || scale == 0 {
                throw error(cellLine, atoms.direct
                    ? "singular Supercell (linearly dependent rows): direct coordinates cannot be converted"
                    : "singular Supercell: the lattice rows are linearly dependent")
            }
        }
        var positions = atoms.coords
        if atoms.direct {
            guard rows.count == 3 else {
                throw error(atoms.headerLine, "direct_* coordinates need a Supercell with 3 rows, found \(rows.count)")
            }
            positions = atoms.coords.map { f in f.x * rows[0] + f.y * rows[1] + f.z * rows[2] }
        }
        var c = Configuration(cell: cell, pbc: pbc, species: atoms.species, positions: positions)
        c.energy = energy
        c.forces = atoms.forces
        c.virial = virial
        c.features = features
        c.atomProperties = atoms.properties
        if let w = weights.e { c.energyWeight = w }
        if let w = weights.f { c.forceWeight = w }
        if let w = weights.s { c.virialWeight = w }
        return c
    }
}

// MARK: - File-private helpers

/// The token separators inside a line, as in `FormatText.tokens`: space,
/// tab, vertical tab, form feed.
@inline(__always)
private func isSeparator(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 11 || b == 12 }

private extension Substring {
    var trimmed: String { String(self).trimmingCharacters(in: .whitespaces) }
}

/// True if `s` is a non-empty string without whitespace.
private func isPlainToken(_ s: String) -> Bool {
    !s.isEmpty && !s.contains(where: { $0.isWhitespace })
}

/// `s` right-aligned in `width`; a longer `s` still gets one leading space
/// so that it stays a separate token.
private func leftPad(_ s: String, _ width: Int) -> String {
    s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
}

extension CFGFormat: ConfigurationFormat {
    public static var name: String { "cfg" }
    public static func claims(fileName: String) -> Bool { fileName.hasSuffix(".cfg") }
    public static func recognises(head: String) -> Bool {
        head.drop { $0.isWhitespace }.hasPrefix("BEGIN_CFG")
    }
    /// .cfg stores species indices: the symbols are the user's table.
    public static func read(_ path: String, options: FormatOptions) throws -> ConfigurationData {
        ConfigurationData(configurations: try read(path: path), symbols: options.symbols)
    }
    public static var writes: Bool { true }
    public static func write(_ data: ConfigurationData, to path: String, options: FormatOptions) throws {
        try write(data.configurations, to: path, style: options.mlipDigits ? .mlip : .full)
    }
    public static func line(in text: String, configuration index: Int, atom: Int?) -> Int? {
        SourceLines.cfgLine(SourceLines.lines(text), index, atom)
    }
}
