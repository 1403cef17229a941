import Atomistic
import MTP
import _CPUGuard

// The C interface of the evaluator (declared in mtpc.h beside this file,
// loaded from Python by python/mtp_engine). Every function that can fail
// returns 0 on success and 1 on failure, with the reason written into the
// caller's buffer `errorBuffer` of `errorCapacity` bytes (NUL-terminated,
// truncated to fit; ignored when null). Nothing here writes to a stream.

/// The version of this interface; bumped whenever a signature changes.
@_cdecl("mtpc_abi_version")
public func mtpc_abi_version() -> Int32 { 1 }

/// Reads a trained potential (.mtp) and compiles it. Returns an opaque
/// handle, or null with the reason in `errorBuffer`.
@_cdecl("mtpc_load")
public func mtpc_load(_ path: UnsafePointer<CChar>?, _ errorBuffer: UnsafeMutablePointer<CChar>?,
                      _ errorCapacity: Int64) -> UnsafeMutableRawPointer? {
    guard let path else { report("path is a null pointer", errorBuffer, errorCapacity); return nil }
    // Every other call needs a handle from here: no kernel runs on a CPU
    // that lacks what the library was compiled for. The C guard writes its
    // message straight into the caller's buffer (no Swift runs before it).
    if mtp_cpu_guard(errorBuffer, Int(max(0, errorCapacity))) != 0 { return nil }
    do {
        let model = try Model(path: String(cString: path))
        return Unmanaged.passRetained(model).toOpaque()
    } catch {
        report("\(error)", errorBuffer, errorCapacity)
        return nil
    }
}

/// Releases a handle from `mtpc_load` (null is ignored).
@_cdecl("mtpc_free")
public func mtpc_free(_ handle: UnsafeMutableRawPointer?) {
    guard let handle else { return }
    Unmanaged<Model>.fromOpaque(handle).release()
}

/// The potential's cutoff radius (A).
@_cdecl("mtpc_cutoff")
public func mtpc_cutoff(_ handle: UnsafeMutableRawPointer) -> Double {
    model(handle).evaluator.cutoff
}

/// The potential's species count: valid species indices are 0 ..< count.
@_cdecl("mtpc_species_count")
public func mtpc_species_count(_ handle: UnsafeMutableRawPointer) -> Int32 {
    Int32(model(handle).evaluator.potential.speciesCount)
}

/// Energy (eV), forces (n x 3, eV/A), virial (6 numbers, eV, Voigt order
/// xx yy zz yz xz xy, MLIP's W = -sigma V) and per-atom site energies (n, eV)
/// of one configuration (see `configuration` for the inputs). `siteEnergies`
/// may be null.
@_cdecl("mtpc_evaluate")
public func mtpc_evaluate(_ handle: UnsafeMutableRawPointer, _ n: Int64, _ species: UnsafePointer<Int32>?,
                          _ positions: UnsafePointer<Double>?, _ cell: UnsafePointer<Double>?,
                          _ pbc: UnsafePointer<Int32>?,
                          _ energy: UnsafeMutablePointer<Double>?, _ forces: UnsafeMutablePointer<Double>?,
                          _ virial: UnsafeMutablePointer<Double>?, _ siteEnergies: UnsafeMutablePointer<Double>?,
                          _ errorBuffer: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    attempt(errorBuffer, errorCapacity) {
        guard let energy else { throw ABIError("energy is a null pointer") }
        guard let virial else { throw ABIError("virial is a null pointer") }
        let config = try configuration(n, species, positions, cell, pbc)
        guard n == 0 || forces != nil else { throw ABIError("forces is a null pointer") }
        let efs = try model(handle).evaluate(config)
        energy.pointee = efs.energy
        for (i, f) in efs.forces.enumerated() {
            forces![3 * i] = f.x; forces![3 * i + 1] = f.y; forces![3 * i + 2] = f.z
        }
        for (v, w) in efs.virial.voigt.enumerated() { virial[v] = w }
        if let siteEnergies {
            for (i, e) in efs.siteEnergies.enumerated() { siteEnergies[i] = e }
        }
    }
}

/// Loads the active set saved at `path` (`mtp grade` saves POT.activeset)
/// into the handle, for `mtpc_grade`.
@_cdecl("mtpc_load_active_set")
public func mtpc_load_active_set(_ handle: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>?,
                                 _ errorBuffer: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    attempt(errorBuffer, errorCapacity) {
        guard let path else { throw ABIError("path is a null pointer") }
        try model(handle).loadActiveSet(String(cString: path))
    }
}

/// The extrapolation grade of one configuration with the loaded active set;
/// with a set of neighbourhood rows (`mtp grade --per-atom`) also the
/// per-atom grades into `atomGrades` (n numbers, may be null), and
/// `hasAtomGrades` (may be null) says whether they were written.
@_cdecl("mtpc_grade")
public func mtpc_grade(_ handle: UnsafeMutableRawPointer, _ n: Int64, _ species: UnsafePointer<Int32>?,
                       _ positions: UnsafePointer<Double>?, _ cell: UnsafePointer<Double>?,
                       _ pbc: UnsafePointer<Int32>?, _ grade: UnsafeMutablePointer<Double>?,
                       _ atomGrades: UnsafeMutablePointer<Double>?, _ hasAtomGrades: UnsafeMutablePointer<Int32>?,
                       _ errorBuffer: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64) -> Int32 {
    attempt(errorBuffer, errorCapacity) {
        guard let grade else { throw ABIError("grade is a null pointer") }
        let config = try configuration(n, species, positions, cell, pbc)
        let g = try model(handle).grades(config)
        grade.pointee = g.grade
        hasAtomGrades?.pointee = 0
        if let atoms = g.atoms, let atomGrades {
            for (i, x) in atoms.enumerated() { atomGrades[i] = x }
            hasAtomGrades?.pointee = 1
        }
    }
}

// MARK: - Helpers

private func model(_ handle: UnsafeMutableRawPointer) -> Model {
    Unmanaged<Model>.fromOpaque(handle).takeUnretainedValue()
}

private func attempt(_ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch {
        report("\(error)", buffer, capacity)
        return 1
    }
}

/// Copies `message` into the caller's buffer, truncated and NUL-terminated.
private func report(_ message: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64) {
    guard let buffer, capacity > 0 else { return }
    let bytes = Array(message.utf8.prefix(Int(capacity) - 1))
    for (i, b) in bytes.enumerated() { buffer[i] = CChar(bitPattern: b) }
    buffer[bytes.count] = 0
}
