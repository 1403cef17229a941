#include "CPUGuard.h"
#include "CPUTarget.h"
#include <stdio.h>
#include <string.h>

/* One word of a space-separated list: [start, start + length). */
static int list_contains(const char *list, const char *word, size_t length) {
    const char *p = list;
    while (*p) {
        while (*p == ' ') p++;
        const char *start = p;
        while (*p && *p != ' ') p++;
        if ((size_t)(p - start) == length && length > 0 && strncmp(start, word, length) == 0) return 1;
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
    const char *p = required;
    while (*p) {
        while (*p == ' ') p++;
        const char *start = p;
        while (*p && *p != ' ') p++;
        size_t length = (size_t)(p - start);
        if (length > 0 && !list_contains(supported, start, length)) {
            count++;
            append_word(missing, capacity, start, length);
        }
    }
    return count;
}

/* The features the guard can ask about: every name CPUTarget.c may list. */
#define MTP_FEATURES(X) \
    X("sse3") X("ssse3") X("sse4.1") X("sse4.2") X("popcnt") X("avx") X("avx2") X("fma") \
    X("bmi") X("bmi2") X("avx512f") X("avx512cd") X("avx512bw") X("avx512dq") X("avx512vl")

#define MTP_NAME(name) " " name
static const char known_features[] = MTP_FEATURES(MTP_NAME);
#undef MTP_NAME

const char *mtp_cpu_known_features(void) { return known_features + 1; }

void mtp_cpu_supported_features(char *buffer, size_t capacity) {
    if (buffer == NULL || capacity == 0) return;
    buffer[0] = '\0';
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    /* __builtin_cpu_supports takes string literals only, hence the X-list. */
#define MTP_CHECK(name) if (__builtin_cpu_supports(name)) append_word(buffer, capacity, name, strlen(name));
    MTP_FEATURES(MTP_CHECK)
#undef MTP_CHECK
#endif
}

int mtp_cpu_guard(char *message, size_t capacity) {
    char supported[256], missing[256];
    mtp_cpu_supported_features(supported, sizeof supported);
    int count = mtp_cpu_missing_features(mtp_cpu_target_features, supported, missing, sizeof missing);
    if (count == 0) {
        if (message != NULL && capacity > 0) message[0] = '\0';
        return 0;
    }
    if (message != NULL && capacity > 0) {
        snprintf(message, capacity,
                 "this build's kernels were compiled for another CPU (MTP_TARGET_CPU=%s) and use instructions "
                 "this CPU lacks: %s. Rebuild on this kind of machine, or with MTP_TARGET_CPU=portable for "
                 "any x86-64 CPU (see docs/cluster.md).",
                 mtp_cpu_target_name, missing);
    }
    return 1;
}

const char *mtp_cpu_build_target(void) { return mtp_cpu_target_name; }
const char *mtp_cpu_build_features(void) { return mtp_cpu_target_features; }
