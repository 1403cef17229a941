import Foundation
import Atomistic

/// A LAMMPS `setfl` table file (`eam/alloy` or `eam/fs`), parsed into the
/// cubic tables the calculator evaluates.
///
/// Layout: three comment lines; `N El1 ... ElN`; `Nrho drho Nr dr cutoff`;
/// per element a line `Z mass a lattice`, then F(rho) (Nrho values) and the
/// density tables (Nr values each: one for eam/alloy, N for eam/fs, the
/// density an atom of this element puts at an atom of element 1...N); then
/// r * phi(r) for the element pairs i >= j. Values may be split over lines
/// freely. The two formats differ only in how many values follow, so the
/// count decides (the file name's suffix is not trusted).
public struct EAMTables: Sendable {
    public enum Format: String, Sendable { case alloy = "eam/alloy", fs = "eam/fs" }

    public var format: Format
    public var elements: [String]
    public var atomicNumbers: [Double]
    public var masses: [Double]
    public var nrho: Int, drho: Double
    public var nr: Int, dr: Double
    public var cutoff: Double
    /// Embedding tables F(rho), one per element.
    var embedding: [CubicTable]
    /// Density tables; the density an atom of element a puts at an atom of
    /// element b is `density[densityIndex[a * N + b]]`.
    var density: [CubicTable]
    var densityIndex: [Int]
    /// r * phi(r) tables; pair (a, b) is `pair[pairIndex[a * N + b]]`.
    var pair: [CubicTable]
    var pairIndex: [Int]

    public static func read(path: String) throws -> EAMTables {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError(file: path, "cannot read the EAM file (\(error.localizedDescription))")
        }
        return try parse([UInt8](data), file: path)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws -> EAMTables {
        let lines = Tokens(bytes)
        guard lines.lineCount >= 5 else {
            throw InputError(file: file, line: max(lines.lineCount, 1),
                             "truncated: a setfl file has 3 comment lines, the element line and the grid line before the tables")
        }
        // Line 4: element count and names.
        let elementLine = lines.tokens(onLine: 4)
        guard let first = elementLine.first, let n = Int(lines.text(first)), n >= 1 else {
            throw InputError(file: file, line: 4, "expected the element count and names (e.g. '1 Mg')")
        }
        guard elementLine.count == n + 1 else {
            throw InputError(file: file, line: 4, "the element count is \(n) but \(elementLine.count - 1) names follow")
        }
        let elements = elementLine.dropFirst().map { lines.text($0) }
        // Line 5: grids and cutoff.
        let grid = lines.tokens(onLine: 5)
        guard grid.count >= 5, let nrho = Int(lines.text(grid[0])), let drho = lines.number(grid[1]),
              let nr = Int(lines.text(grid[2])), let dr = lines.number(grid[3]), let cutoff = lines.number(grid[4]) else {
            throw InputError(file: file, line: 5, "expected 'Nrho drho Nr dr cutoff'")
        }
        guard nrho >= 5, nr >= 5 else {
            throw InputError(file: file, line: 5, "tables need at least 5 points (Nrho = \(nrho), Nr = \(nr))")
        }
        guard drho > 0, dr > 0, cutoff > 0, drho.isFinite, dr.isFinite, cutoff.isFinite else {
            throw InputError(file: file, line: 5, "drho, dr and the cutoff must be positive")
        }

        // Everything after line 5 as one stream of tokens.
        let body = lines.tokens(fromLine: 6)
        let pairs = n * (n + 1) / 2
        let alloyCount = n * (4 + nrho + nr) + pairs * nr
        let fsCount = n * (4 + nrho + n * nr) + pairs * nr
        let format: Format
        if body.count == fsCount {
            format = n == 1 && file.lowercased().hasSuffix(".alloy") ? .alloy : .fs
        } else if body.count == alloyCount {
            format = .alloy
        } else {
            let need = "\(n) element(s) with Nrho = \(nrho), Nr = \(nr) need \(alloyCount) values after line 5 as eam/alloy or \(fsCount) as eam/fs"
            if body.count < alloyCount {
                let last = body.last.map { lines.line(of: $0) } ?? 5
                throw InputError(file: file, line: last, "truncated: the file ends here after \(body.count) values; \(need)")
            }
            let extra = body.count < fsCount ? body[alloyCount] : body[fsCount]
            throw InputError(file: file, line: lines.line(of: extra),
                             "\(body.count) values after line 5 match neither format (\(need)); the surplus starts here")
        }

        var position = 0
        func values(_ count: Int, what: String) throws -> [Double] {
            var out = [Double](repeating: 0, count: count)
            for k in 0..<count {
                let t = body[position + k]
                guard let v = lines.number(t), v.isFinite else {
                    throw InputError(file: file, line: lines.line(of: t),
                                     "expected a number in \(what), found '\(lines.text(t))'")
                }
                out[k] = v
            }
            position += count
            return out
        }
        var atomicNumbers: [Double] = [], masses: [Double] = []
        var embedding: [CubicTable] = [], density: [CubicTable] = []
        let perElementDensities = format == .fs ? n : 1
        for e in 0..<n {
            // The element line is a line of its own; checking that catches
            // tables of the wrong length before they are misread.
            let head = body[position]
            let headLine = lines.line(of: head)
            guard position == 0 || lines.line(of: body[position - 1]) != headLine else {
                throw InputError(file: file, line: headLine,
                                 "expected the line 'Z mass a lattice' of element \(elements[e]) to start a line here; a table before it has the wrong length")
            }
            guard let z = lines.number(body[position]), let mass = lines.number(body[position + 1]),
                  lines.number(body[position + 2]) != nil else {
                throw InputError(file: file, line: headLine,
                                 "expected 'Z mass a lattice' for element \(elements[e])")
            }
            atomicNumbers.append(z); masses.append(mass)
            position += 4
            embedding.append(CubicTable(try values(nrho, what: "F(rho) of \(elements[e])"), spacing: drho))
            for b in 0..<perElementDensities {
                let what = format == .fs ? "rho(r) of \(elements[e]) at \(elements[b])" : "rho(r) of \(elements[e])"
                density.append(CubicTable(try values(nr, what: what), spacing: dr))
            }
        }
        var pair: [CubicTable] = []
        for a in 0..<n {
            for b in 0...a {
                pair.append(CubicTable(try values(nr, what: "r*phi(r) of \(elements[a])-\(elements[b])"), spacing: dr))
            }
        }
        var densityIndex = [Int](repeating: 0, count: n * n)
        var pairIndex = [Int](repeating: 0, count: n * n)
        for a in 0..<n {
            for b in 0..<n {
                densityIndex[a * n + b] = format == .fs ? a * n + b : a
                let (hi, lo) = a >= b ? (a, b) : (b, a)
                pairIndex[a * n + b] = hi * (hi + 1) / 2 + lo
            }
        }
        return EAMTables(format: format, elements: elements, atomicNumbers: atomicNumbers, masses: masses,
                         nrho: nrho, drho: drho, nr: nr, dr: dr, cutoff: cutoff,
                         embedding: embedding, density: density, densityIndex: densityIndex,
                         pair: pair, pairIndex: pairIndex)
    }
}

/// A table on a uniform grid x_k = k * spacing, interpolated piecewise by
/// cubics in Hermite form. The slopes at the knots are the finite
/// differences LAMMPS's pair_eam uses (fourth-order central in the interior,
/// lower order at the two ends), so that values and forces agree with
/// LAMMPS to rounding rather than to the table's resolution.
struct CubicTable: Sendable {
    /// Per interval k (x_k ... x_k+1): c0 + c1 t + c2 t^2 + c3 t^3 with t in
    /// grid units, at [4k ..< 4k + 4].
    let coefficients: [Double]
    let count: Int
    let inverseSpacing: Double

    init(_ f: [Double], spacing: Double) {
        let n = f.count
        count = n
        inverseSpacing = 1 / spacing
        // Slopes per grid step.
        var d = [Double](repeating: 0, count: n)
        d[0] = f[1] - f[0]
        d[1] = 0.5 * (f[2] - f[0])
        d[n - 2] = 0.5 * (f[n - 1] - f[n - 3])
        d[n - 1] = f[n - 1] - f[n - 2]
        if n > 4 {
            for k in 2..<(n - 2) {
                d[k] = ((f[k - 2] - f[k + 2]) + 8 * (f[k + 1] - f[k - 1])) / 12
            }
        }
        var c = [Double](repeating: 0, count: 4 * (n - 1))
        for k in 0..<(n - 1) {
            let step = f[k + 1] - f[k]
            c[4 * k] = f[k]
            c[4 * k + 1] = d[k]
            c[4 * k + 2] = 3 * step - 2 * d[k] - d[k + 1]
            c[4 * k + 3] = d[k] + d[k + 1] - 2 * step
        }
        coefficients = c
    }

    /// The largest tabulated abscissa.
    var end: Double { Double(count - 1) / inverseSpacing }
}

/// Value and derivative of a table at x, as LAMMPS evaluates it: below the
/// grid the first cubic is extended; beyond it the last knot's value holds
/// (t is clamped to 1). `x` must be finite.
@inline(__always)
func evaluateCubic(_ c: UnsafePointer<Double>, count n: Int, inverseSpacing inv: Double,
                   _ x: Double) -> (value: Double, derivative: Double) {
    let q = x * inv
    var k = 0
    if q > 0 { k = q < Double(n - 2) ? Int(q) : n - 2 }
    let t = min(q - Double(k), 1)
    let b = c + 4 * k
    let (c0, c1, c2, c3) = (b[0], b[1], b[2], b[3])
    let value = ((c3 * t + c2) * t + c1) * t + c0
    let slope = ((3 * c3) * t + 2 * c2) * t + c1
    return (value, slope * inv)
}

/// Whitespace-separated tokens of a byte buffer with their line numbers,
/// without building a String per line.
private struct Tokens {
    let bytes: [UInt8]
    /// Token k spans starts[k] ..< ends[k] on line lineOf[k] (1-based).
    var starts: [Int] = [], ends: [Int] = [], lineOf: [Int] = []
    /// Index of the first token of each line (lines 1...), plus one past the end.
    var firstToken: [Int] = []
    var lineCount = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var line = 1
        var i = 0
        let n = bytes.count
        firstToken = [0, 0]   // index 0 unused; line 1 starts at token 0
        starts.reserveCapacity(n / 8); ends.reserveCapacity(n / 8); lineOf.reserveCapacity(n / 8)
        while i < n {
            let b = bytes[i]
            if b == 10 {
                line += 1
                firstToken.append(starts.count)
                i += 1
            } else if b == 32 || b == 9 || b == 13 || b == 11 || b == 12 {
                i += 1
            } else {
                let s = i
                while i < n, !Tokens.isSpace(bytes[i]) { i += 1 }
                starts.append(s); ends.append(i); lineOf.append(line)
            }
        }
        // A final line without a newline still counts.
        lineCount = (n > 0 && bytes[n - 1] != 10) ? line : line - 1
        firstToken.append(starts.count)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 11 || b == 12 }

    func tokens(onLine l: Int) -> [Int] {
        guard l + 1 < firstToken.count else { return [] }
        return Array(firstToken[l]..<firstToken[l + 1])
    }

    func tokens(fromLine l: Int) -> [Int] {
        let from = l < firstToken.count ? firstToken[l] : starts.count
        return Array(from..<starts.count)
    }

    func line(of token: Int) -> Int { lineOf[token] }

    func text(_ token: Int) -> String {
        String(decoding: bytes[starts[token]..<ends[token]], as: UTF8.self)
    }

    /// The token as a number; Fortran's D exponents are accepted.
    func number(_ token: Int) -> Double? {
        let length = ends[token] - starts[token]
        guard length > 0, length < 64 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        for k in 0..<length {
            let b = bytes[starts[token] + k]
            buffer[k] = CChar(bitPattern: (b == 68 || b == 100) ? 69 : b)
        }
        return buffer.withUnsafeBufferPointer { p -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(p.baseAddress!, &end)
            guard let end, end - UnsafeMutablePointer(mutating: p.baseAddress!) == length else { return nil }
            return v
        }
    }
}
