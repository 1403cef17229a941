/* The single-core ceiling of the BLAS/LAPACK calls the Jacobian pass makes,
 * with the machine's OpenBLAS: dgemm of a square n x n x n product, the
 * streaming QR's dtpqrt (m rows folded into an n-column triangle) at inner
 * blocks 32 and 48, and dgeqrf of an n x n block. CPU seconds of the thread;
 * GFLOP/s from the textbook flop counts (2 n^3, 2 m n^2, 2 m n^2 - 2 n^3/3).
 * Usage: ceiling N M  (the Cu set's level-24 pass: N = 914, M = 914). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>

void dtpqrt_(int *, int *, int *, int *, double *, int *, double *, int *, double *, int *, double *, int *);
void dgeqrf_(int *, int *, double *, int *, double *, double *, int *, int *);
void openblas_set_num_threads(int);

static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void fill(double *a, long count) { for (long i = 0; i < count; i++) a[i] = drand48() - 0.5; }

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: ceiling N M\n"); return 2; }
    int n = atoi(argv[1]), m = atoi(argv[2]);
    if (n < 1 || m < 1 || n > 20000 || m > 200000) { fprintf(stderr, "ceiling: N and M out of range\n"); return 2; }
    openblas_set_num_threads(1);
    printf("| OpenBLAS kernels | %s | |\n", openblas_get_corename());
    double *a = malloc(8L * n * n), *b = malloc(8L * m * n), *c = malloc(8L * n * n);
    double *t = malloc(8L * 64 * n), *w = malloc(8L * 64 * n), *tau = malloc(8L * n);
    if (!a || !b || !c || !t || !w || !tau) { fprintf(stderr, "ceiling: out of memory\n"); return 1; }
    srand48(1);
    fill(a, (long)n * n);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double s = cpu();
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, a, n, 0, c, n);
        s = cpu() - s;
        if (s < best) best = s;
    }
    printf("| dgemm %d x %d x %d | %.4f s | %.1f GFLOP/s |\n", n, n, n, best, 2.0 * n * n * n / best / 1e9);
    int nbs[2] = {32, 48};
    for (int k = 0; k < 2; k++) {
        int nb = nbs[k], l = 0, info = 0, ldt = nb;
        /* R: a well-conditioned upper triangle. */
        for (int col = 0; col < n; col++)
            for (int row = 0; row < n; row++) a[(long)col * n + row] = row > col ? 0 : (row == col ? n : drand48() - 0.5);
        best = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            fill(b, (long)m * n);
            double s = cpu();
            dtpqrt_(&m, &n, &l, &nb, a, &n, b, &m, t, &ldt, w, &info);
            s = cpu() - s;
            if (info != 0) { fprintf(stderr, "ceiling: dtpqrt info %d\n", info); return 1; }
            if (s < best) best = s;
        }
        printf("| dtpqrt %d rows onto %d columns, nb %d | %.4f s | %.1f GFLOP/s |\n", m, n, nb, best, 2.0 * m * n * n / best / 1e9);
    }
    int lwork = -1, info = 0;
    double query;
    dgeqrf_(&n, &n, c, &n, tau, &query, &lwork, &info);
    lwork = (int)query;
    double *work = malloc(8L * (lwork > 1 ? lwork : 1));
    best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        fill(c, (long)n * n);
        double s = cpu();
        dgeqrf_(&n, &n, c, &n, tau, work, &lwork, &info);
        s = cpu() - s;
        if (info != 0) { fprintf(stderr, "ceiling: dgeqrf info %d\n", info); return 1; }
        if (s < best) best = s;
    }
    printf("| dgeqrf %d x %d | %.4f s | %.1f GFLOP/s |\n", n, n, best, (2.0 * n * n * n - 2.0 * n * n * n / 3) / best / 1e9);
    return 0;
}
