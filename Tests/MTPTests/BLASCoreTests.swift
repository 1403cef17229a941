import XCTest
@testable import MTP

/// `BLASCore`: when mtp overrides OpenBLAS's choice of kernels, and when not.
final class BLASCoreTests: XCTestCase {
    let emeraldRapids = "fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16".split(separator: " ")
    let zen3 = "fpu sse sse2 avx avx2 fma".split(separator: " ")
    let avxOnly = "fpu sse sse2 avx".split(separator: " ")
    let knightsLanding = "fpu sse sse2 avx avx2 fma avx512f avx512cd avx512er avx512pf".split(separator: " ")

    func testCPUTiersFromFlags() {
        XCTAssertEqual(BLASCore.tier(ofCPUFlags: emeraldRapids), .avx512)
        XCTAssertEqual(BLASCore.tier(ofCPUFlags: zen3), .avx2)
        XCTAssertEqual(BLASCore.tier(ofCPUFlags: avxOnly), .avx)
        // AVX-512 without BW/DQ/VL cannot run the SkylakeX kernels.
        XCTAssertEqual(BLASCore.tier(ofCPUFlags: knightsLanding), .avx2)
        XCTAssertEqual(BLASCore.tier(ofCPUFlags: [Substring]()), .baseline)
    }

    func testCoreTiers() {
        XCTAssertEqual(BLASCore.tier(ofCore: "Prescott"), .baseline)
        XCTAssertEqual(BLASCore.tier(ofCore: "Nehalem"), .baseline)
        XCTAssertEqual(BLASCore.tier(ofCore: "Sandybridge"), .avx)
        XCTAssertEqual(BLASCore.tier(ofCore: "Haswell"), .avx2)
        XCTAssertEqual(BLASCore.tier(ofCore: "Zen"), .avx2)
        XCTAssertEqual(BLASCore.tier(ofCore: "SkylakeX"), .avx512)
        XCTAssertEqual(BLASCore.tier(ofCore: "COOPERLAKE"), .avx512)
    }

    func testCorrection() {
        // The misdetection this type exists for: an AVX-512 CPU given Prescott.
        XCTAssertEqual(BLASCore.correction(currentCore: "Prescott", cpuFlags: emeraldRapids, environment: [:]), "SkylakeX")
        XCTAssertEqual(BLASCore.correction(currentCore: "Sandybridge", cpuFlags: zen3, environment: [:]), "Haswell")
        XCTAssertEqual(BLASCore.correction(currentCore: "Core2", cpuFlags: avxOnly, environment: [:]), "Sandybridge")
        // OpenBLAS's own choice stands when it is as wide as the CPU (or wider).
        XCTAssertNil(BLASCore.correction(currentCore: "Cooperlake", cpuFlags: emeraldRapids, environment: [:]))
        XCTAssertNil(BLASCore.correction(currentCore: "Zen", cpuFlags: zen3, environment: [:]))
        XCTAssertNil(BLASCore.correction(currentCore: "Haswell", cpuFlags: avxOnly, environment: [:]))
        XCTAssertNil(BLASCore.correction(currentCore: "Prescott", cpuFlags: [], environment: [:]))
        // The user's choice always stands.
        XCTAssertNil(BLASCore.correction(currentCore: "Prescott", cpuFlags: emeraldRapids, environment: ["OPENBLAS_CORETYPE": "Prescott"]))
    }

    func testFlagsOfProcCPUInfo() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu avx avx2 fma\nbugs\t\t: spectre\n\nprocessor\t: 1\nflags\t\t: fpu\n"
        XCTAssertEqual(BLASCore.cpuFlags(cpuinfo: text), ["fpu", "avx", "avx2", "fma"])
        XCTAssertEqual(BLASCore.cpuFlags(cpuinfo: "processor : 0\n"), [])
    }
}
