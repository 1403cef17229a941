import Atomistic

/// A 64-bit fingerprint of everything a configuration holds (FNV-1a over the
/// bit patterns of its numbers and the bytes of its strings), so that two
/// reads of the same configuration can be compared without shipping the
/// data between ranks. Equal configurations have equal digests; -0.0 and 0.0
/// differ, as they do in the file.
public enum ConfigurationDigest {
    public static func of(_ c: Configuration) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ x: UInt64) {
            var v = x
            for _ in 0..<8 { h ^= v & 0xff; h = h &* 0x100_0000_01b3; v >>= 8 }
        }
        func mix(_ d: Double) { mix(d.bitPattern) }
        func mix(_ v: Vec3) { mix(v.x); mix(v.y); mix(v.z) }
        func mix(_ s: String) { mix(UInt64(s.utf8.count)); for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100_0000_01b3 } }
        mix(UInt64(c.atomCount))
        c.cell.forEach(mix)
        mix(UInt64((c.pbc.x ? 1 : 0) | (c.pbc.y ? 2 : 0) | (c.pbc.z ? 4 : 0)))
        c.species.forEach { mix(UInt64(bitPattern: Int64($0))) }
        c.positions.forEach(mix)
        if let e = c.energy { mix(1 as UInt64); mix(e) } else { mix(0 as UInt64) }
        if let f = c.forces { mix(1 as UInt64); f.forEach(mix) } else { mix(0 as UInt64) }
        if let v = c.virial { mix(1 as UInt64); v.voigt.forEach(mix) } else { mix(0 as UInt64) }
        mix(c.energyWeight); mix(c.forceWeight); mix(c.virialWeight)
        mix(c.group ?? "\u{0}none")
        for f in c.features { mix(f.key); mix(f.value) }
        for p in c.atomProperties { mix(p.name); p.values.forEach(mix) }
        return h
    }
}
