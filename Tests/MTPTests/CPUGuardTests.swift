import XCTest
import Foundation
import _CPUGuard

/// The check that this CPU runs what the kernels were compiled for
/// (Sources/_CPUGuard): the list arithmetic and the message on made-up lists,
/// CPUID against the kernel's view (/proc/cpuinfo), and the build's own list.
final class CPUGuardTests: XCTestCase {
    func missing(_ required: String, _ supported: String, capacity: Int = 256) -> (count: Int32, names: String) {
        var buffer = [CChar](repeating: 0x7f, count: capacity)
        let count = mtp_cpu_missing_features(required, supported, &buffer, capacity)
        return (count, String(cString: buffer))
    }

    func text(_ fill: (UnsafeMutablePointer<CChar>, Int) -> Void) -> String {
        var buffer = [CChar](repeating: 0x7f, count: 2048)
        fill(&buffer, buffer.count)
        return String(cString: buffer)
    }

    func testNamesEveryMissingFeatureInOrder() {
        let r = missing(" avx avx2 fma avx512f avx512bw", "sse3 avx avx2 fma")
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.names, "avx512f avx512bw")
    }

    func testNothingMissing() {
        XCTAssertEqual(missing("avx2 fma", "fma avx avx2").count, 0)
        XCTAssertEqual(missing("avx2 fma", "fma avx avx2").names, "")
        // A portable build requires nothing, whatever the CPU.
        XCTAssertEqual(missing("", "").count, 0)
        XCTAssertEqual(missing("   ", "avx").count, 0)
    }

    /// Names are whole words: "avx" is not supplied by "avx2", nor
    /// "avx512f" by "avx512fp16".
    func testWordsAreMatchedWhole() {
        XCTAssertEqual(missing("avx", "avx2 avx512").names, "avx")
        XCTAssertEqual(missing("avx512f", "avx512fp16").names, "avx512f")
        XCTAssertEqual(missing("avx2", "avx").names, "avx2")
    }

    /// A short buffer gets a NUL-terminated prefix and the full count.
    func testTruncatesToTheBuffer() {
        let r = missing("avx512f avx512bw avx512dq", "", capacity: 10)
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r.names, "avx512f a")
        XCTAssertEqual(mtp_cpu_missing_features("avx2", "", nil, 0), 1)
    }

    /// The failure the user sees: the target, every missing extension, and
    /// how to rebuild; nothing at all when the CPU has everything.
    func testMessageNamesTargetMissingAndRemedy() {
        var status: Int32 = 0
        let message = text { status = mtp_cpu_check("skylake-avx512", " avx avx2 avx512f avx512bw", "avx avx2 fma", $0, $1) }
        XCTAssertEqual(status, 1)
        XCTAssertTrue(message.contains("MTP_TARGET_CPU=skylake-avx512"), message)
        XCTAssertTrue(message.contains("lacks: avx512f avx512bw."), message)
        XCTAssertTrue(message.contains("MTP_TARGET_CPU=portable"), message)
        let none = text { status = mtp_cpu_check("native", "avx avx2", "avx avx2 fma", $0, $1) }
        XCTAssertEqual(status, 0)
        XCTAssertEqual(none, "")
    }

    /// CPUID as the guard reads it agrees with Linux's view of the CPU (the
    /// flags of /proc/cpuinfo, which also leaves out AVX-512 when the kernel
    /// does not save its registers): every extension Linux lists, the guard
    /// finds, and the guard finds nothing Linux does not list.
    func testCPUIDAgreesWithProcCPUInfo() throws {
        #if arch(x86_64)
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags")
        }
        let flags = Set(line.split(separator: ":", maxSplits: 1).last!.split(separator: " ").map(String.init))
        // The guard's names that Linux spells otherwise.
        let linuxName = ["sse3": "pni", "pclmul": "pclmulqdq", "sse4.1": "sse4_1", "sse4.2": "sse4_2", "rdrnd": "rdrand",
                         "lzcnt": "abm", "bmi": "bmi1", "sha": "sha_ni", "avxvnni": "avx_vnni", "avxifma": "avx_ifma",
                         "avxvnniint8": "avx_vnni_int8", "avxneconvert": "avx_ne_convert", "avx512vbmi2": "avx512_vbmi2",
                         "avx512vnni": "avx512_vnni", "avx512bitalg": "avx512_bitalg", "avx512vpopcntdq": "avx512_vpopcntdq",
                         "avx512vp2intersect": "avx512_vp2intersect", "avx512fp16": "avx512_fp16", "avx512bf16": "avx512_bf16"]
        let known = text { mtp_cpu_known_features($0, $1) }.split(separator: " ").map(String.init)
        let supported = Set(text { mtp_cpu_supported_features($0, $1) }.split(separator: " ").map(String.init))
        XCTAssertEqual(known.count, 39, known.joined(separator: " "))
        for name in known {
            let listed = flags.contains(linuxName[name] ?? name)
            if listed { XCTAssertTrue(supported.contains(name), "Linux lists \(name); the guard does not find it") }
            // A kernel older than an extension may not list it; the ones every
            // kernel of the last decade knows must agree both ways.
            let old = ["sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "avx", "avx2", "fma", "bmi", "bmi2",
                       "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
            if old.contains(name) { XCTAssertEqual(supported.contains(name), listed, name) }
        }
        #else
        throw XCTSkip("CPUID is x86-64's")
        #endif
    }

    /// The tests run where they were built: whatever MTP_TARGET_CPU the
    /// build used, this CPU has it and the guard says nothing. A native build
    /// records the CPU's own extensions (at least its SIMD tiers), so a build
    /// whose C target lost the target flags fails here.
    func testThisCPURunsThisBuild() {
        let supported = text { mtp_cpu_supported_features($0, $1) }
        let required = String(cString: mtp_cpu_build_features())
        let target = String(cString: mtp_cpu_build_target())
        XCTAssertEqual(missing(required, supported).count, 0, "built for \(target) (\(required)); CPU: \(supported)")
        var status: Int32 = -1
        let message = text { status = mtp_cpu_guard($0, $1) }
        XCTAssertEqual(status, 0)
        XCTAssertEqual(message, "")
        if target == "native" {
            let tiers = ["sse3", "sse4.2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl"]
            let have = Set(supported.split(separator: " ").map(String.init))
            let built = Set(required.split(separator: " ").map(String.init))
            for t in tiers where have.contains(t) { XCTAssertTrue(built.contains(t), "native build without \(t): \(required)") }
        }
    }

    /// Every name the build can list is one the guard looks up: each
    /// `" name"` of Sources/_CPUTarget/CPUTarget.c is in the guard's table, so
    /// no extension counts as present only because it is never asked about.
    func testEveryNameOfTheTargetFileIsInTheGuardsTable() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/_CPUTarget/CPUTarget.c")
        guard let c = try? String(contentsOf: source, encoding: .utf8) else { throw XCTSkip("no sources beside the tests") }
        let names = c.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("\" "), t.hasSuffix("\"") else { return nil }
            return String(t.dropFirst(2).dropLast())
        }
        XCTAssertEqual(names.count, 39)
        let known = text { mtp_cpu_known_features($0, $1) }
        XCTAssertEqual(missing(names.joined(separator: " "), known).count, 0, "\(names) against \(known)")
        // Known names are whole words the check matches exactly.
        XCTAssertEqual(Set(names), Set(known.split(separator: " ").map(String.init)))
    }
}
