// Row kernels over a padded length (a multiple of 4), shared by the
// evaluation rows (RowScratch) and the loss gradient's tangent rows.

@inline(__always)
func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
}

@inline(__always)
func store4(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self)
}

@inline(__always)
func mulRows(_ out: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) {
    var q = 0
    while q < count {
        store4(load4(x + q) * load4(y + q), out + q)
        q += 4
    }
}

@inline(__always)
func dotRows(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
    var acc = SIMD4<Double>()
    var q = 0
    while q < count {
        acc += load4(x + q) * load4(y + q)
        q += 4
    }
    return acc.sum()
}

@inline(__always)
func axpyRow(_ y: UnsafeMutablePointer<Double>, _ a: Double, _ x: UnsafePointer<Double>, _ count: Int) {
    let av = SIMD4<Double>(repeating: a)
    var q = 0
    while q < count {
        var v = load4(y + q)
        v += av * load4(x + q)
        store4(v, y + q)
        q += 4
    }
}
