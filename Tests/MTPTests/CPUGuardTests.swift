import XCTest
import _CPUGuard

/// The check that this CPU runs what the kernels were compiled for
/// (Sources/_CPUGuard): the list arithmetic on made-up lists, and the build's
/// own list against the CPU the tests run on.
final class CPUGuardTests: XCTestCase {
    func missing(_ required: String, _ supported: String, capacity: Int = 256) -> (count: Int32, names: String) {
        var buffer = [CChar](repeating: 0x7f, count: capacity)
        let count = mtp_cpu_missing_features(required, supported, &buffer, capacity)
        return (count, String(cString: buffer))
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

    /// The tests run where they were built: whatever MTP_TARGET_CPU the
    /// build used, this CPU has it, and the guard says nothing.
    func testThisCPURunsThisBuild() {
        var supported = [CChar](repeating: 0, count: 256)
        mtp_cpu_supported_features(&supported, supported.count)
        let required = String(cString: mtp_cpu_build_features())
        XCTAssertEqual(missing(required, String(cString: supported)).count, 0,
                       "built for \(String(cString: mtp_cpu_build_target())) (\(required)); CPU: \(String(cString: supported))")
        var message = [CChar](repeating: 0x7f, count: 512)
        XCTAssertEqual(mtp_cpu_guard(&message, message.count), 0)
        XCTAssertEqual(String(cString: message), "")
    }

    /// Every name the build can list is one the CPU check can ask about, so
    /// that no feature counts as missing only because it is never looked up.
    func testEveryBuildFeatureIsOneTheCheckKnows() {
        let required = String(cString: mtp_cpu_build_features())
        let known = String(cString: mtp_cpu_known_features())
        XCTAssertTrue(known.hasPrefix("sse3 ssse3 "), known)
        XCTAssertEqual(missing(required, known).count, 0, "\(required) against \(known)")
    }
}
