import Foundation
import Atomistic

/// Reads and writes MLIP's `.mtp` text format (version 1.1.0), trained or
/// untrained. Line endings may be LF or CRLF; indentation is ignored.
public enum MTPFile {
    public static func read(path: String) throws -> Potential {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError(file: path, "cannot read the file (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: path, "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// The radial-basis keys of motep's variant of the format, with MLIP's
    /// names; either spelling is read.
    static let motepKeys = [("min", "min_dist"), ("max", "max_dist"), ("size", "radial_basis_size")]

    public static func parse(_ text: String, file: String) throws -> Potential {
        var lines: [(Int, String)] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let s = trimmed(raw)
            if !s.isEmpty { lines.append((n + 1, s)) }
        }
        guard let first = lines.first, first.1 == "MTP" else {
            throw InputError(file: file, line: lines.first?.0 ?? 1, "expected the first line to be 'MTP'")
        }
        var values: [String: (line: Int, value: String)] = [:]
        var radialLine = 0
        var idx = 1
        // Radial blocks are read after the header fields they depend on.
        var radialBlock: [(Int, String)] = []
        while idx < lines.count {
            let (ln, s) = lines[idx]
            if s == "radial_coeffs" {
                radialLine = ln
                idx += 1
                while idx < lines.count, !lines[idx].1.contains("=") {
                    radialBlock.append(lines[idx]); idx += 1
                }
                continue
            }
            guard let eq = s.firstIndex(of: "=") else {
                throw InputError(file: file, line: ln, "expected 'key = value', found '\(s.prefix(60))'")
            }
            let key = trimmed(s[..<eq])
            let value = trimmed(s[s.index(after: eq)...])
            if values[key] != nil { throw InputError(file: file, line: ln, "'\(key)' is given twice") }
            values[key] = (ln, value)
            idx += 1
        }

        // motep writes the radial basis's keys as `min`, `max` and `size`.
        for (motep, mlip) in motepKeys where values[mlip] == nil {
            if let v = values.removeValue(forKey: motep) { values[mlip] = v }
        }

        func required(_ key: String) throws -> (line: Int, value: String) {
            guard let v = values[key] else { throw InputError(file: file, "missing '\(key)'") }
            return v
        }
        // Counts are checked against limits and against what the text can
        // hold (each entry takes at least `bytes` characters) before any is
        // used to allocate.
        let length = text.utf8.count
        func int(_ key: String, min lo: Int = 0, limit: Int = Int.max, bytes: Int = 0) throws -> Int {
            let v = try required(key)
            guard let n = Int(v.value), n >= lo else {
                throw InputError(file: file, line: v.line, "'\(key)' must be an integer >= \(lo), found '\(v.value)'")
            }
            if let why = InputLimits.count(n, of: key, limit: limit, room: bytes > 0 ? length / bytes : nil) {
                throw InputError(file: file, line: v.line, why)
            }
            return n
        }
        func real(_ key: String) throws -> Double {
            let v = try required(key)
            guard let x = Double(v.value), x.isFinite else {
                throw InputError(file: file, line: v.line, "'\(key)' must be a finite number, found '\(v.value)'")
            }
            return x
        }
        func list<T>(_ key: String, _ convert: (Substring) -> T?) throws -> [T] {
            let v = try required(key)
            return try numbers(v.value, line: v.line, key: key, convert)
        }
        func numbers<T>(_ s: String, line: Int, key: String, _ convert: (Substring) -> T?) throws -> [T] {
            // Byte-level splitting: level-24 files hold ~100,000 integers.
            var out: [T] = []
            var bad: Substring? = nil
            var str = s
            str.withUTF8 { bytes in
                var start = -1
                func flush(_ end: Int) {
                    guard start >= 0, bad == nil else { start = -1; return }
                    let token = Substring(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                    if let x = convert(token) { out.append(x) } else { bad = token }
                    start = -1
                }
                for (i, c) in bytes.enumerated() {
                    switch c {
                    case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\t"):
                        flush(i)
                    default:
                        if start < 0 { start = i }
                    }
                }
                flush(bytes.count)
            }
            if let bad {
                throw InputError(file: file, line: line, "'\(key)': cannot read '\(bad.prefix(40))' as a number (finite, at most 1e20 in magnitude for coefficients)")
            }
            return out
        }
        // Coefficients: finite and at most 1e20 in magnitude (trained
        // potentials stay far below), so that evaluations cannot overflow.
        let finite: (Substring) -> Double? = { t in Double(t).flatMap { $0.isFinite && abs($0) <= 1e20 ? $0 : nil } }
        let integer: (Substring) -> Int? = { Int($0) }

        if let v = values["version"], v.value != "1.1.0" {
            throw InputError(file: file, line: v.line, "unsupported .mtp version '\(v.value)' (expected 1.1.0)")
        }
        var radialType = RadialBasisType.chebyshev
        if let v = values["radial_basis_type"] {
            guard let t = RadialBasisType(rawValue: v.value) else {
                throw InputError(file: file, line: v.line, "unsupported radial_basis_type '\(v.value)' (supported: \(RadialBasisType.keywords))")
            }
            radialType = t
        }
        let s = try int("species_count", min: 1, limit: InputLimits.maxSpecies)
        let minDist = try real("min_dist")
        let maxDist = try real("max_dist")
        guard maxDist > minDist, minDist >= 0 else {
            throw InputError(file: file, line: values["max_dist"]?.line, "max_dist (\(maxDist)) must exceed min_dist (\(minDist)) >= 0")
        }
        guard maxDist <= InputLimits.maxCutoff else {
            throw InputError(file: file, line: values["max_dist"]?.line,
                             "max_dist = \(maxDist) A is beyond the limit of \(InputLimits.maxCutoff) A (MTP cutoffs are 4-10 A): the neighbour search would not end")
        }
        let rSize = try int("radial_basis_size", min: 2, limit: InputLimits.maxRadialBasisSize)
        let k = try int("radial_funcs_count", min: 1, limit: InputLimits.maxRadialBasisSize)
        // The radial coefficients: read (2+ characters each) or, untrained,
        // allocated by the trainer.
        let radialCount = s * s * k * rSize
        if radialCount > (radialLine > 0 ? length / 2 : 100_000_000) {
            throw InputError(file: file, line: values["radial_funcs_count"]?.line,
                             "species_count \(s), radial_funcs_count \(k) and radial_basis_size \(rSize) make \(radialCount) radial coefficients, more than \(radialLine > 0 ? "the file holds" : "the limit 100000000")")
        }
        let momentsCount = try int("alpha_moments_count", min: 1, bytes: 2)
        let basicCount = try int("alpha_index_basic_count", min: 1, bytes: 8)
        let basicFlat = try list("alpha_index_basic", integer)
        guard basicFlat.count == 4 * basicCount else {
            throw InputError(file: file, line: values["alpha_index_basic"]!.line,
                             "alpha_index_basic holds \(basicFlat.count / 4) entries, alpha_index_basic_count says \(basicCount)")
        }
        let timesCount = try int("alpha_index_times_count", bytes: 8)
        let timesFlat = timesCount == 0 && values["alpha_index_times"] == nil ? [] : try list("alpha_index_times", integer)
        guard timesFlat.count == 4 * timesCount else {
            throw InputError(file: file, line: values["alpha_index_times"]?.line,
                             "alpha_index_times holds \(timesFlat.count / 4) entries, alpha_index_times_count says \(timesCount)")
        }
        let scalarCount = try int("alpha_scalar_moments", min: 1, bytes: 2)
        let mapping = try list("alpha_moment_mapping", integer)
        guard mapping.count == scalarCount else {
            throw InputError(file: file, line: values["alpha_moment_mapping"]!.line,
                             "alpha_moment_mapping holds \(mapping.count) entries, alpha_scalar_moments says \(scalarCount)")
        }
        let basis = MomentBasis(
            radialFuncsCount: k, momentsCount: momentsCount,
            basic: stride(from: 0, to: basicFlat.count, by: 4).map {
                MomentBasis.Basic(mu: basicFlat[$0], a: basicFlat[$0 + 1], b: basicFlat[$0 + 2], c: basicFlat[$0 + 3])
            },
            contractions: stride(from: 0, to: timesFlat.count, by: 4).map {
                MomentBasis.Contraction(i: timesFlat[$0], j: timesFlat[$0 + 1], mult: timesFlat[$0 + 2], k: timesFlat[$0 + 3])
            },
            scalarSlots: mapping)
        if let problem = basis.firstInconsistency() {
            throw InputError(file: file, line: values["alpha_index_basic"]?.line, "inconsistent moment basis: \(problem)")
        }

        var pot = Potential(speciesCount: s, minDist: minDist, maxDist: maxDist, radialBasisSize: rSize, basis: basis)
        pot.radialBasisType = radialType
        if let v = values["potential_name"] { pot.name = v.value }
        if let v = values["potential_tag"] { pot.tag = v.value }
        if values["scaling"] != nil { pot.scaling = try real("scaling") }

        if radialLine > 0 {
            // S*S blocks, each "zi-zj" followed by K rows of R numbers.
            var coeffs = [Double](repeating: .nan, count: s * s * k * rSize)
            var seen = Set<Int>()
            var b = 0
            while b < radialBlock.count {
                let (ln, head) = radialBlock[b]
                let parts = head.split(separator: "-")
                guard parts.count == 2, let zi = Int(parts[0]), let zj = Int(parts[1]) else {
                    throw InputError(file: file, line: ln, "expected a species pair 'i-j' in radial_coeffs, found '\(head.prefix(40))'")
                }
                guard zi >= 0, zi < s, zj >= 0, zj < s else {
                    throw InputError(file: file, line: ln, "species pair \(zi)-\(zj) outside species_count \(s)")
                }
                let pair = zi * s + zj
                guard seen.insert(pair).inserted else { throw InputError(file: file, line: ln, "species pair \(zi)-\(zj) given twice") }
                for mu in 0..<k {
                    b += 1
                    guard b < radialBlock.count, radialBlock[b].1.hasPrefix("{") else {
                        throw InputError(file: file, line: b < radialBlock.count ? radialBlock[b].0 : ln,
                                         "pair \(zi)-\(zj): expected \(k) rows of radial coefficients")
                    }
                    let row = try numbers(radialBlock[b].1, line: radialBlock[b].0, key: "radial_coeffs", finite)
                    guard row.count == rSize else {
                        throw InputError(file: file, line: radialBlock[b].0,
                                         "pair \(zi)-\(zj), function \(mu): \(row.count) coefficients, radial_basis_size is \(rSize)")
                    }
                    for kk in 0..<rSize { coeffs[pair * k * rSize + mu * rSize + kk] = row[kk] }
                }
                b += 1
            }
            guard seen.count == s * s else {
                throw InputError(file: file, line: radialLine, "radial_coeffs holds \(seen.count) species pairs, expected \(s * s)")
            }
            pot.radialCoeffs = coeffs
        }
        if values["species_coeffs"] != nil {
            let c0 = try list("species_coeffs", finite)
            guard c0.count == s else {
                throw InputError(file: file, line: values["species_coeffs"]!.line, "species_coeffs holds \(c0.count) values, species_count is \(s)")
            }
            pot.speciesCoeffs = c0
        }
        if values["moment_coeffs"] != nil {
            let xi = try list("moment_coeffs", finite)
            guard xi.count == scalarCount else {
                throw InputError(file: file, line: values["moment_coeffs"]!.line, "moment_coeffs holds \(xi.count) values, alpha_scalar_moments is \(scalarCount)")
            }
            pot.momentCoeffs = xi
        }
        return pot
    }

    /// Leading and trailing blanks (space, tab, CR) removed, on bytes:
    /// Foundation's trimming walks UTF-16 and is slow on the long lines of
    /// high-level potentials.
    static func trimmed<S: StringProtocol>(_ s: S) -> String {
        let u = Array(s.utf8)
        func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
        var lo = 0, hi = u.count
        while lo < hi, blank(u[lo]) { lo += 1 }
        while hi > lo, blank(u[hi - 1]) { hi -= 1 }
        return String(decoding: u[lo..<hi], as: UTF8.self)
    }

    /// The file text. Numbers carry 17 significant digits, so that a written
    /// potential reads back bit for bit here and in MLIP.
    public static func format(_ pot: Potential) -> String {
        func e(_ x: Double) -> String { String(format: "%.16e", x) }
        func braces(_ xs: [Double]) -> String { "{" + xs.map(e).joined(separator: ", ") + "}" }
        var out = "MTP\nversion = 1.1.0\n"
        out += "potential_name = \(pot.name)\n"
        if pot.scaling != 1 { out += "scaling = \(e(pot.scaling))\n" }
        out += "species_count = \(pot.speciesCount)\n"
        out += "potential_tag = \(pot.tag)\n"
        out += "radial_basis_type = \(pot.radialBasisType.rawValue)\n"
        out += "\tmin_dist = \(e(pot.minDist))\n\tmax_dist = \(e(pot.maxDist))\n"
        out += "\tradial_basis_size = \(pot.radialBasisSize)\n\tradial_funcs_count = \(pot.radialFuncsCount)\n"
        if let c = pot.radialCoeffs {
            let s = pot.speciesCount, k = pot.radialFuncsCount, r = pot.radialBasisSize
            out += "\tradial_coeffs\n"
            for zi in 0..<s {
                for zj in 0..<s {
                    out += "\t\t\(zi)-\(zj)\n"
                    for mu in 0..<k {
                        let base = (zi * s + zj) * k * r + mu * r
                        out += "\t\t\t" + braces(Array(c[base..<(base + r)])) + "\n"
                    }
                }
            }
        }
        let b = pot.basis
        out += "alpha_moments_count = \(b.momentsCount)\n"
        out += "alpha_index_basic_count = \(b.basic.count)\n"
        out += "alpha_index_basic = {" + b.basic.map { "{\($0.mu), \($0.a), \($0.b), \($0.c)}" }.joined(separator: ", ") + "}\n"
        out += "alpha_index_times_count = \(b.contractions.count)\n"
        out += "alpha_index_times = {" + b.contractions.map { "{\($0.i), \($0.j), \($0.mult), \($0.k)}" }.joined(separator: ", ") + "}\n"
        out += "alpha_scalar_moments = \(b.scalarCount)\n"
        out += "alpha_moment_mapping = {" + b.scalarSlots.map(String.init).joined(separator: ", ") + "}\n"
        if let c0 = pot.speciesCoeffs { out += "species_coeffs = " + braces(c0) + "\n" }
        if let xi = pot.momentCoeffs { out += "moment_coeffs = " + braces(xi) + "\n" }
        return out
    }

    /// Writes atomically (temporary file, then rename).
    public static func write(_ pot: Potential, to path: String) throws {
        try AtomicFile.write(Data(format(pot).utf8), to: path)
    }
}
