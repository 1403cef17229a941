import COpenBLAS
import Foundation

/// Which kernels OpenBLAS runs, and a correction when it chose too old ones.
///
/// A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels once, when it is
/// loaded, from the CPU's vendor, family and model number. A CPU newer than
/// the library is not in its table, and then it falls back to its oldest
/// x86-64 kernels ("Prescott", SSE3), whatever the CPU can do: Debian 12's
/// OpenBLAS 0.3.21 on an Emerald Rapids Xeon (family 6, model 207) runs
/// `dgemm` at 15 GFLOP/s against 55 with its AVX-512 ("SkylakeX") kernels on
/// the same core, and the Jacobian products, the streaming QR and the solve
/// all pay it (benchmarks/jacobian). Cluster nodes are often newer than
/// their distribution's OpenBLAS, so this is the common case, not a curiosity.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` only at load time, so the correction is
/// to start the same program again with it set (`relaunchIfMisdetected`,
/// called first thing by `mtp`, before MPI starts; the process keeps its id,
/// so `mpirun` sees nothing). The choice is never made against the user: a
/// set `OPENBLAS_CORETYPE` is left alone, and OpenBLAS's own choice is kept
/// whenever it is at least as wide as what the CPU offers. The CPU's offer is
/// read from the flags of /proc/cpuinfo, where Linux lists AVX and AVX-512
/// only when it also saves their registers.
public enum BLASCore {
    /// The instruction sets OpenBLAS's x86-64 kernel families are written for.
    public enum Tier: Int, Comparable, Sendable {
        case baseline = 0, avx = 1, avx2 = 2, avx512 = 3

        public static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }

        /// The OpenBLAS core to ask for at this tier (`OPENBLAS_CORETYPE`).
        var coreName: String? {
            switch self {
            case .baseline: return nil
            case .avx: return "Sandybridge"
            case .avx2: return "Haswell"
            case .avx512: return "SkylakeX"
            }
        }
    }

    /// The environment variable through which a relaunch says what OpenBLAS
    /// had chosen by itself (for reports such as `mtp bench jacobian`).
    public static let detectedVariable = "MTP_OPENBLAS_DETECTED"

    /// The kernels OpenBLAS runs in this process.
    public static var current: String { String(cString: openblas_get_corename()) }

    /// One line for reports: the kernels, and whether `mtp` chose them.
    public static var description: String {
        let env = ProcessInfo.processInfo.environment
        if let detected = env[detectedVariable] {
            return "OpenBLAS kernels \(current) (the library detected \(detected) on this CPU; mtp set OPENBLAS_CORETYPE)"
        }
        return "OpenBLAS kernels \(current)"
    }

    /// The tier of an OpenBLAS core name (as `openblas_get_corename` gives it).
    public static func tier(ofCore name: String) -> Tier {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return .avx512
        case "haswell", "zen", "excavator": return .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return .avx
        default: return .baseline
        }
    }

    /// The widest tier a CPU with these /proc/cpuinfo flags runs. AVX-512
    /// means what OpenBLAS's SkylakeX kernels use (F, CD, BW, DQ, VL).
    public static func tier<S: Sequence>(ofCPUFlags flags: S) -> Tier where S.Element: StringProtocol {
        let set = Set(flags.map { String($0) })
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"].allSatisfy(set.contains) { return .avx512 }
        if ["avx2", "fma"].allSatisfy(set.contains) { return .avx2 }
        if set.contains("avx") { return .avx }
        return .baseline
    }

    /// The flags of the first processor in a /proc/cpuinfo text (empty when
    /// there are none, e.g. on a CPU that is not x86).
    public static func cpuFlags(cpuinfo: String) -> [Substring] {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return line[line.index(after: colon)...].split(separator: " ")
        }
        return []
    }

    /// The core to set, or nil to keep OpenBLAS's choice: nil when the user
    /// set OPENBLAS_CORETYPE, when the library's core is at least the CPU's
    /// tier, or when the CPU offers nothing beyond the baseline. The CPU's
    /// flags are asked for only when the answer can still change (not for
    /// the user's choice, nor for kernels of the widest tier).
    public static func correction(currentCore: String, cpuFlags: @autoclosure () -> [Substring],
                                  environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        let have = tier(ofCore: currentCore)
        guard have < .avx512 else { return nil }
        let cpu = tier(ofCPUFlags: cpuFlags())
        guard cpu > have else { return nil }
        return cpu.coreName
    }

    /// Starts this program again with OPENBLAS_CORETYPE set when OpenBLAS
    /// chose kernels narrower than the CPU's (see the type's comment); returns
    /// when there is nothing to correct or the relaunch fails (the program
    /// then runs on, with the library's kernels). Call before any thread or
    /// MPI starts.
    public static func relaunchIfMisdetected() {
        let detected = current
        let cpuinfo = { (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "" }
        guard let core = correction(currentCore: detected, cpuFlags: cpuFlags(cpuinfo: cpuinfo()),
                                    environment: ProcessInfo.processInfo.environment) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(detectedVariable, detected, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: run on as the library chose.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(detectedVariable)
    }
}
