/* The C interface of the mtp engine's evaluator (libMTPC.so, built by
 * `swift build -c release --product MTPC`). Implemented in Swift
 * (Sources/MTPC/Exports.swift); this header is its declaration for C callers.
 *
 * Functions returning int32_t give 0 on success and 1 on failure, with the
 * reason written into `error` (capacity `error_capacity` bytes, NUL-terminated;
 * may be null). Arrays are row-major doubles: positions n x 3 (A), cell 3 x 3
 * with one lattice vector per row (A), forces n x 3 (eV/A), virial 6 numbers
 * (eV, Voigt order xx yy zz yz xz xy, MLIP's W = -sigma V). Species are the
 * potential's 0-based type indices; pbc is three flags. A handle is not
 * thread-safe: use one per thread. */
#ifndef MTPC_H
#define MTPC_H
#include <stdint.h>

#define MTPC_ABI_VERSION 1

int32_t mtpc_abi_version(void);
void *mtpc_load(const char *path, char *error, int64_t error_capacity);
void mtpc_free(void *handle);
double mtpc_cutoff(void *handle);
int32_t mtpc_species_count(void *handle);
int32_t mtpc_evaluate(void *handle, int64_t n, const int32_t *species, const double *positions,
                      const double *cell, const int32_t *pbc, double *energy, double *forces,
                      double *virial, double *site_energies /* may be null */,
                      char *error, int64_t error_capacity);
/* The active set `mtp grade POT TRAIN ...` saves next to POT (POT.activeset). */
int32_t mtpc_load_active_set(void *handle, const char *path, char *error, int64_t error_capacity);
int32_t mtpc_grade(void *handle, int64_t n, const int32_t *species, const double *positions,
                   const double *cell, const int32_t *pbc, double *grade,
                   double *atom_grades /* may be null */, int32_t *has_atom_grades /* may be null */,
                   char *error, int64_t error_capacity);

#endif
