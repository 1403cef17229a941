#ifndef MTP_CPU_TARGET_H
#define MTP_CPU_TARGET_H
/* What the kernels were compiled for. This one file is compiled with the same
 * CPU target as the MTP module's Swift code (MTP_TARGET_CPU in Package.swift),
 * so the compiler's predefined feature macros name the instruction sets that
 * code may use. It holds data only: nothing here executes, so reading it is
 * safe on any CPU (the check itself lives in _CPUGuard, compiled portably). */

/* The MTP_TARGET_CPU the build used ("portable" when none). */
extern const char mtp_cpu_target_name[];
/* The instruction-set extensions beyond baseline x86-64 the build may use,
 * space-separated, in the names of __builtin_cpu_supports ("" when none). */
extern const char mtp_cpu_target_features[];

#endif
