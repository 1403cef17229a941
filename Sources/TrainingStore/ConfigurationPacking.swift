import Atomistic

/// Configurations as bytes, exactly (every double bit for bit), so that one
/// rank can parse a text file and send every other rank its share.
public enum ConfigurationPacking {
    public static func pack(_ configs: [Configuration]) -> [UInt8] {
        var w = ByteWriter()
        w.int(configs.count)
        for c in configs {
            for row in c.cell { w.vec(row) }
            w.int((c.pbc.x ? 1 : 0) | (c.pbc.y ? 2 : 0) | (c.pbc.z ? 4 : 0))
            w.int(c.atomCount)
            for z in c.species { w.int(z) }
            for p in c.positions { w.vec(p) }
            w.optional(c.energy) { $0.double($1) }
            w.optional(c.forces) { w, f in for v in f { w.vec(v) } }
            w.optional(c.virial) { w, v in for x in v.voigt { w.double(x) } }
            w.double(c.energyWeight); w.double(c.forceWeight); w.double(c.virialWeight)
            w.optional(c.group) { $0.string($1) }
            w.int(c.features.count)
            for f in c.features { w.string(f.key); w.string(f.value) }
            w.int(c.atomProperties.count)
            for p in c.atomProperties {
                w.string(p.name)
                w.int(p.values.count)
                for x in p.values { w.double(x) }
            }
        }
        return w.bytes
    }

    /// The configurations `pack` wrote; throws on bytes it did not write.
    public static func unpack(_ bytes: [UInt8]) throws -> [Configuration] {
        var r = ByteReader(bytes)
        let count = try r.count(atLeast: 1)
        var out: [Configuration] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let cell = [try r.vec(), try r.vec(), try r.vec()]
            let bits = try r.int()
            let n = try r.count(atLeast: 8)
            let species = try (0..<n).map { _ in try r.int() }
            let positions = try (0..<n).map { _ in try r.vec() }
            var c = Configuration(cell: cell, pbc: Periodicity(bits & 1 != 0, bits & 2 != 0, bits & 4 != 0),
                                  species: species, positions: positions)
            c.energy = try r.optional { try $0.double() }
            c.forces = try r.optional { r in try (0..<n).map { _ in try r.vec() } }
            c.virial = try r.optional { r in Virial(voigt: try (0..<6).map { _ in try r.double() }) }
            c.energyWeight = try r.double(); c.forceWeight = try r.double(); c.virialWeight = try r.double()
            c.group = try r.optional { try $0.string() }
            c.features = try (0..<r.count(atLeast: 2)).map { _ in Feature(key: try r.string(), value: try r.string()) }
            c.atomProperties = try (0..<r.count(atLeast: 2)).map { _ in
                let name = try r.string()
                return AtomProperty(name: name, values: try (0..<r.count(atLeast: 8)).map { _ in try r.double() })
            }
            out.append(c)
        }
        guard r.atEnd else { throw PackingError() }
        return out
    }

    struct PackingError: Error, CustomStringConvertible {
        var description: String { "corrupt configuration message between ranks" }
    }

    struct ByteWriter {
        var bytes: [UInt8] = []
        mutating func int(_ x: Int) { withUnsafeBytes(of: Int64(x).littleEndian) { bytes += $0 } }
        mutating func double(_ x: Double) { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
        mutating func vec(_ v: Vec3) { double(v.x); double(v.y); double(v.z) }
        mutating func string(_ s: String) { let u = Array(s.utf8); int(u.count); bytes += u }
        mutating func optional<T>(_ x: T?, _ body: (inout ByteWriter, T) -> Void) {
            if let x { bytes.append(1); body(&self, x) } else { bytes.append(0) }
        }
    }

    struct ByteReader {
        let bytes: [UInt8]
        var at = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { at == bytes.count }
        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, at + n <= bytes.count else { throw PackingError() }
            defer { at += n }
            return bytes[at..<(at + n)]
        }
        mutating func word() throws -> UInt64 {
            var v: UInt64 = 0
            for (k, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
            return v
        }
        mutating func int() throws -> Int { Int(Int64(bitPattern: try word())) }
        /// A count whose items take at least `size` bytes each: checked
        /// against what is left before anything is allocated.
        mutating func count(atLeast size: Int) throws -> Int {
            let n = try int()
            guard n >= 0, n <= (bytes.count - at) / max(size, 1) + 1 else { throw PackingError() }
            return n
        }
        mutating func double() throws -> Double { Double(bitPattern: try word()) }
        mutating func vec() throws -> Vec3 { Vec3(try double(), try double(), try double()) }
        mutating func string() throws -> String { String(decoding: try take(try count(atLeast: 1)), as: UTF8.self) }
        mutating func optional<T>(_ body: (inout ByteReader) throws -> T) throws -> T? {
            let flag = try take(1).first!
            guard flag <= 1 else { throw PackingError() }
            return flag == 1 ? try body(&self) : nil
        }
    }
}
