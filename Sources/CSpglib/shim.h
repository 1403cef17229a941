#include <spglib.h>
#include <string.h>

/* spglib's fixed-size multi-dimensional array parameters and structs with
   char arrays import awkwardly into Swift; these wrappers take flat arrays.
   Lattices are given as rows (a, b, c) here and transposed to spglib's
   column convention inside. */

/* Operations (row-major 3x3 rotations, translations) of a Hall number;
   returns their count (0 on failure). rotations: 192*9 ints, translations: 192*3. */
static inline int mtp_spg_operations(int *rotations, double *translations, int hall_number) {
    return spg_get_symmetry_from_database((int (*)[3][3])rotations, (double (*)[3])translations, hall_number);
}

/* Space-group number of a Hall number and its short international symbol
   (symbol: at least 11 chars). */
static inline int mtp_spg_type(int hall_number, char *symbol) {
    SpglibSpacegroupType t = spg_get_spacegroup_type(hall_number);
    memcpy(symbol, t.international_short, 11);
    symbol[10] = 0;
    return t.number;
}

/* Space-group number of a crystal (0 when spglib fails).
   cell_rows: 9 doubles (a, b, c as rows), fractional positions: 3*n. */
static inline int mtp_spg_number(const double *cell_rows, const double *fractional, const int *types,
                                 int n, double symprec) {
    double lattice[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) lattice[i][j] = cell_rows[3 * j + i];
    char symbol[11];
    return spg_get_international(symbol, lattice, (const double (*)[3])fractional, types, n, symprec);
}

/* Number of symmetry operations of a crystal modulo its own cell's lattice
   (pure translations of a supercell included); 0 when spglib fails. */
static inline int mtp_spg_operation_count(const double *cell_rows, const double *fractional, const int *types,
                                          int n, double symprec) {
    double lattice[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) lattice[i][j] = cell_rows[3 * j + i];
    SpglibDataset *d = spg_get_dataset(lattice, (const double (*)[3])fractional, types, n, symprec);
    if (!d) return 0;
    int count = d->n_operations;
    spg_free_dataset(d);
    return count;
}

/* The primitive cell of a crystal, in place, in the crystal's own orientation
   (spglib's standardisation without idealisation); returns its atom count (0
   when spglib fails, the arrays then unchanged in meaning). cell_rows: 9
   doubles (rows), fractional: 3*n, types: n; both must hold 4*n entries
   (spglib's requirement for the conventional cell it may build on the way). */
static inline int mtp_spg_primitive(double *cell_rows, double *fractional, int *types, int n, double symprec) {
    double lattice[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) lattice[i][j] = cell_rows[3 * j + i];
    int m = spg_standardize_cell(lattice, (double (*)[3])fractional, types, n, 1, 1, symprec);
    if (m <= 0) return 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) cell_rows[3 * j + i] = lattice[i][j];
    return m;
}
