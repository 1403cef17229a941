#include "CPUGuard.h"
#include "CPUTarget.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next word of a space-separated list at *p: its start, its length in
 * *length (0 at the end), and *p moved past it. */
static const char *next_word(const char **p, size_t *length) {
    while (**p == ' ') (*p)++;
    const char *start = *p;
    while (**p && **p != ' ') (*p)++;
    *length = (size_t)(*p - start);
    return start;
}

/* Whether `word` (of `length` bytes) is a whole word of `list`. */
static int list_contains(const char *list, const char *word, size_t length) {
    size_t n;
    for (const char *w = next_word(&list, &n); n > 0; w = next_word(&list, &n)) {
        if (n == length && strncmp(w, word, length) == 0) return 1;
    }
    return 0;
}

/* Appends " word" (or "word" first) to buffer, truncating at capacity. */
static void append_word(char *buffer, size_t capacity, const char *word, size_t length) {
    if (buffer == NULL || capacity == 0) return;
    size_t used = strlen(buffer);
    if (used > 0 && used + 1 < capacity) buffer[used++] = ' ';
    for (size_t i = 0; i < length && used + 1 < capacity; i++) buffer[used++] = word[i];
    buffer[used < capacity ? used : capacity - 1] = '\0';
}

int mtp_cpu_missing_features(const char *required, const char *supported, char *missing, size_t capacity) {
    if (missing != NULL && capacity > 0) missing[0] = '\0';
    if (required == NULL) return 0;
    if (supported == NULL) supported = "";
    int count = 0;
    size_t n;
    for (const char *w = next_word(&required, &n); n > 0; w = next_word(&required, &n)) {
        if (!list_contains(supported, w, n)) {
            count++;
            append_word(missing, capacity, w, n);
        }
    }
    return count;
}

/* Where CPUID reports each extension CPUTarget.c can list: leaf, subleaf,
 * register (0 eax, 1 ebx, 2 ecx, 3 edx), bit, and the register state the
 * operating system must save for it (0 none, 1 AVX's YMM, 2 AVX-512's too).
 * Read from CPUID directly rather than through __builtin_cpu_supports, whose
 * answers for extensions newer than the C runtime's libgcc would be 0. */
typedef struct { const char *name; unsigned leaf, subleaf, reg, bit, state; } Feature;
static const Feature features[] = {
    {"sse3", 1, 0, 2, 0, 0}, {"pclmul", 1, 0, 2, 1, 0}, {"ssse3", 1, 0, 2, 9, 0}, {"fma", 1, 0, 2, 12, 1},
    {"sse4.1", 1, 0, 2, 19, 0}, {"sse4.2", 1, 0, 2, 20, 0}, {"movbe", 1, 0, 2, 22, 0}, {"popcnt", 1, 0, 2, 23, 0},
    {"aes", 1, 0, 2, 25, 0}, {"avx", 1, 0, 2, 28, 1}, {"f16c", 1, 0, 2, 29, 1}, {"rdrnd", 1, 0, 2, 30, 0},
    {"lzcnt", 0x80000001u, 0, 2, 5, 0},
    {"bmi", 7, 0, 1, 3, 0}, {"avx2", 7, 0, 1, 5, 1}, {"bmi2", 7, 0, 1, 8, 0}, {"adx", 7, 0, 1, 19, 0},
    {"sha", 7, 0, 1, 29, 0}, {"gfni", 7, 0, 2, 8, 0}, {"vaes", 7, 0, 2, 9, 1}, {"vpclmulqdq", 7, 0, 2, 10, 1},
    {"avxvnni", 7, 1, 0, 4, 1}, {"avxifma", 7, 1, 0, 23, 1}, {"avxvnniint8", 7, 1, 3, 4, 1},
    {"avxneconvert", 7, 1, 3, 5, 1},
    {"avx512f", 7, 0, 1, 16, 2}, {"avx512dq", 7, 0, 1, 17, 2}, {"avx512ifma", 7, 0, 1, 21, 2},
    {"avx512cd", 7, 0, 1, 28, 2}, {"avx512bw", 7, 0, 1, 30, 2}, {"avx512vl", 7, 0, 1, 31, 2},
    {"avx512vbmi", 7, 0, 2, 1, 2}, {"avx512vbmi2", 7, 0, 2, 6, 2}, {"avx512vnni", 7, 0, 2, 11, 2},
    {"avx512bitalg", 7, 0, 2, 12, 2}, {"avx512vpopcntdq", 7, 0, 2, 14, 2},
    {"avx512vp2intersect", 7, 0, 3, 8, 2}, {"avx512fp16", 7, 0, 3, 23, 2}, {"avx512bf16", 7, 1, 0, 5, 2},
};
enum { feature_count = sizeof features / sizeof features[0] };

void mtp_cpu_known_features(char *buffer, size_t capacity) {
    if (buffer == NULL || capacity == 0) return;
    buffer[0] = '\0';
    for (int i = 0; i < feature_count; i++) append_word(buffer, capacity, features[i].name, strlen(features[i].name));
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* CPUID registers of (leaf, subleaf); zeros beyond the CPU's highest leaf. */
static void cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
    r[0] = r[1] = r[2] = r[3] = 0;
    if (__get_cpuid_max(leaf & 0x80000000u, NULL) < leaf) return;
    __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}
#endif

void mtp_cpu_supported_features(char *buffer, size_t capacity) {
    if (buffer == NULL || capacity == 0) return;
    buffer[0] = '\0';
#if defined(__x86_64__) || defined(__i386__)
    unsigned r[4];
    cpuid(1, 0, r);
    /* XGETBV is only there when the OS enabled XSAVE (OSXSAVE, leaf 1 ecx 27). */
    unsigned long long xcr0 = 0;
    if (r[2] & (1u << 27)) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = ((unsigned long long)hi << 32) | lo;
    }
    int avx_state = (xcr0 & 0x6) == 0x6;                /* XMM and YMM */
    int avx512_state = avx_state && (xcr0 & 0xe0) == 0xe0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    for (int i = 0; i < feature_count; i++) {
        const Feature *f = &features[i];
        cpuid(f->leaf, f->subleaf, r);
        if (!(r[f->reg] & (1u << f->bit))) continue;
        if ((f->state == 1 && !avx_state) || (f->state == 2 && !avx512_state)) continue;
        append_word(buffer, capacity, f->name, strlen(f->name));
    }
#endif
}

int mtp_cpu_check(const char *target, const char *required, const char *supported, char *message, size_t capacity) {
    char missing[1024];
    int count = mtp_cpu_missing_features(required, supported, missing, sizeof missing);
    if (message != NULL && capacity > 0) {
        message[0] = '\0';
        if (count > 0) {
            snprintf(message, capacity,
                     "this build's kernels were compiled for another CPU (MTP_TARGET_CPU=%s) and use instructions "
                     "this CPU lacks: %s. Rebuild on this kind of machine, or with MTP_TARGET_CPU=portable for "
                     "any x86-64 CPU (docs/cluster.md).",
                     target ? target : "?", missing);
        }
    }
    return count > 0;
}

int mtp_cpu_guard(char *message, size_t capacity) {
    char supported[1024];
    mtp_cpu_supported_features(supported, sizeof supported);
    return mtp_cpu_check(mtp_cpu_target_name, mtp_cpu_target_features, supported, message, capacity);
}

const char *mtp_cpu_build_target(void) { return mtp_cpu_target_name; }
const char *mtp_cpu_build_features(void) { return mtp_cpu_target_features; }

void mtp_cpu_guard_or_exit(void) {
    char message[2048];
    if (mtp_cpu_guard(message, sizeof message) == 0) return;
    fprintf(stderr, "mtp: error: %s\n", message);
    exit(1);
}
