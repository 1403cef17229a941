#ifndef MTP_CPU_GUARD_H
#define MTP_CPU_GUARD_H
/* Does this CPU run the kernels as they were compiled? Release builds compile
 * the MTP module for the build machine's CPU by default (MTP_TARGET_CPU in
 * Package.swift), as GROMACS builds for its host's SIMD. A binary copied to an
 * older CPU (a cluster's login node newer than its compute nodes) would die of
 * SIGILL somewhere inside a kernel; this check runs first, in portable code,
 * and names what is missing instead. */
#include <stddef.h>

/* The features of `required` (space-separated names) that are not in
 * `supported` (the same form), written space-separated into `missing`
 * (NUL-terminated, truncated to `capacity`; may be null). Returns how many are
 * missing. Pure: the tests drive it with made-up lists. */
int mtp_cpu_missing_features(const char *required, const char *supported, char *missing, size_t capacity);

/* The extensions of the list in CPUTarget.c that this CPU supports, as CPUID
 * reports them, counting AVX and AVX-512 ones only when the operating system
 * saves their registers (XGETBV), space-separated. On other architectures: "". */
void mtp_cpu_supported_features(char *buffer, size_t capacity);

/* The names mtp_cpu_supported_features can report, space-separated. A build
 * feature outside this list always counts as missing. */
void mtp_cpu_known_features(char *buffer, size_t capacity);

/* The check itself, pure: 1 when `supported` lacks some of `required`, with
 * one sentence for the user in `message` naming `target` and what is missing
 * (how to rebuild); 0 and an empty message otherwise. */
int mtp_cpu_check(const char *target, const char *required, const char *supported, char *message, size_t capacity);

/* Checks this CPU against the build's features (mtp_cpu_target_features).
 * Returns 0 when it runs them; otherwise 1 with one sentence for the user in
 * `message` (what was built for what, what is missing, how to rebuild). */
int mtp_cpu_guard(char *message, size_t capacity);

/* mtp_cpu_guard for a program's first line: on a CPU that lacks what the
 * build uses, prints "mtp: error: ..." to stderr and exits with status 1. No
 * Swift code runs before it, so none compiled for the target can run first. */
void mtp_cpu_guard_or_exit(void);

/* The build's target CPU and features, for `mtp --version`. */
const char *mtp_cpu_build_target(void);
const char *mtp_cpu_build_features(void);

#endif
