#include "CPUTarget.h"

#ifndef MTP_CPU_TARGET_NAME
#define MTP_CPU_TARGET_NAME "portable"
#endif

const char mtp_cpu_target_name[] = MTP_CPU_TARGET_NAME;

/* Every x86-64 extension the compiler can target that a CPU may lack, as the
 * compiler's macros name them; the names are those of CPUGuard.c's table (one
 * name per extension, checked there with CPUID). Also those only intrinsics
 * use: a list that is too long costs nothing, one that is too short lets a
 * binary through that can die of SIGILL. */
const char mtp_cpu_target_features[] = ""
#ifdef __SSE3__
    " sse3"
#endif
#ifdef __PCLMUL__
    " pclmul"
#endif
#ifdef __SSSE3__
    " ssse3"
#endif
#ifdef __FMA__
    " fma"
#endif
#ifdef __SSE4_1__
    " sse4.1"
#endif
#ifdef __SSE4_2__
    " sse4.2"
#endif
#ifdef __MOVBE__
    " movbe"
#endif
#ifdef __POPCNT__
    " popcnt"
#endif
#ifdef __AES__
    " aes"
#endif
#ifdef __AVX__
    " avx"
#endif
#ifdef __F16C__
    " f16c"
#endif
#ifdef __RDRND__
    " rdrnd"
#endif
#ifdef __LZCNT__
    " lzcnt"
#endif
#ifdef __BMI__
    " bmi"
#endif
#ifdef __AVX2__
    " avx2"
#endif
#ifdef __BMI2__
    " bmi2"
#endif
#ifdef __ADX__
    " adx"
#endif
#ifdef __SHA__
    " sha"
#endif
#ifdef __GFNI__
    " gfni"
#endif
#ifdef __VAES__
    " vaes"
#endif
#ifdef __VPCLMULQDQ__
    " vpclmulqdq"
#endif
#ifdef __AVXVNNI__
    " avxvnni"
#endif
#ifdef __AVXIFMA__
    " avxifma"
#endif
#ifdef __AVXVNNIINT8__
    " avxvnniint8"
#endif
#ifdef __AVXNECONVERT__
    " avxneconvert"
#endif
#ifdef __AVX512F__
    " avx512f"
#endif
#ifdef __AVX512DQ__
    " avx512dq"
#endif
#ifdef __AVX512IFMA__
    " avx512ifma"
#endif
#ifdef __AVX512CD__
    " avx512cd"
#endif
#ifdef __AVX512BW__
    " avx512bw"
#endif
#ifdef __AVX512VL__
    " avx512vl"
#endif
#ifdef __AVX512VBMI__
    " avx512vbmi"
#endif
#ifdef __AVX512VBMI2__
    " avx512vbmi2"
#endif
#ifdef __AVX512VNNI__
    " avx512vnni"
#endif
#ifdef __AVX512BITALG__
    " avx512bitalg"
#endif
#ifdef __AVX512VPOPCNTDQ__
    " avx512vpopcntdq"
#endif
#ifdef __AVX512VP2INTERSECT__
    " avx512vp2intersect"
#endif
#ifdef __AVX512FP16__
    " avx512fp16"
#endif
#ifdef __AVX512BF16__
    " avx512bf16"
#endif
    ;
