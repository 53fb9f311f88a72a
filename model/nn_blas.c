/* nn_blas: the one file that calls BLAS (OpenBLAS's cblas and LAPACK).
 *
 * OpenBLAS is loaded on first use (dlopen), not by the dynamic loader at every start of every
 * nudge process: the library and what it brings (libgfortran, libquadmath, libgcc_s) took 2.7-6 ms
 * of each start (a program that only links it against one that does not: 10.4 against 3.7 ms of
 * wall, `perf stat -r 60`, load 6), which `nudge gen`, `check`, `help` and every process of the
 * test suite paid without doing any matrix math. */
#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"

#include "model/nn.h"

/* LAPACK, as OpenBLAS exports it (Fortran calling convention: every argument by address, and the
 * lengths of character arguments appended) */
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uplo_len);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda,
             double* b, const int* ldb, int* info, size_t uplo_len);
void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
            double* work, const int* lwork, int* info, size_t jobz_len, size_t uplo_len);
/* OpenBLAS's own setter and its pool's shutdown */
void openblas_set_num_threads(int);
void blas_thread_shutdown_(void);

/* the library's functions, resolved once */
static struct {
    __typeof__(cblas_sgemm)*              sgemm;
    __typeof__(cblas_sgemv)*              sgemv;
    __typeof__(cblas_dgemm)*              dgemm;
    __typeof__(dpotrf_)*                  dpotrf;
    __typeof__(dpotrs_)*                  dpotrs;
    __typeof__(dsyev_)*                   dsyev;
    __typeof__(openblas_set_num_threads)* set_threads;
    int (*get_threads)(void);                         /* may be missing (another BLAS) */
    __typeof__(blas_thread_shutdown_)*    shutdown;   /* may be missing (another BLAS) */
} blas;
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static _Atomic int    blas_loaded;

static void* blas_symbol(void* lib, const char* name, bool required) {
    void* f = dlsym(lib, name);
    if (!f && required) {
        fprintf(stderr, "nudge: OpenBLAS (%s) lacks %s\n", NUDGE_BLAS_LIB, name);
        fflush(stderr);
        abort();
    }
    return f;
}

static void blas_load(void) {
    /* its soname first (what the runtime package installs), then the file the build linked against */
    void* lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen(NUDGE_BLAS_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "nudge: cannot load OpenBLAS (libopenblas.so.0, %s): %s\n", NUDGE_BLAS_LIB, dlerror());
        fflush(stderr);
        abort();
    }
    *(void**)&blas.sgemm = blas_symbol(lib, "cblas_sgemm", true);
    *(void**)&blas.sgemv = blas_symbol(lib, "cblas_sgemv", true);
    *(void**)&blas.dgemm = blas_symbol(lib, "cblas_dgemm", true);
    *(void**)&blas.dpotrf = blas_symbol(lib, "dpotrf_", true);
    *(void**)&blas.dpotrs = blas_symbol(lib, "dpotrs_", true);
    *(void**)&blas.dsyev = blas_symbol(lib, "dsyev_", true);
    *(void**)&blas.set_threads = blas_symbol(lib, "openblas_set_num_threads", true);
    *(void**)&blas.shutdown = blas_symbol(lib, "blas_thread_shutdown_", false);
    *(void**)&blas.get_threads = blas_symbol(lib, "openblas_get_num_threads", false);
    blas_loaded = 1;
}

/* the library, loaded on the first call (any thread) */
static inline void blas_need(void) {
    pthread_once(&blas_once, blas_load);
}

bool nn_blas_loaded(void) {
    return blas_loaded != 0;
}

void nn_set_threads(int n) {
    blas_need();
    blas.set_threads(n < 1 ? 1 : n);
}

int nn_threads(void) {
    blas_need();
    int n = blas.get_threads ? blas.get_threads() : 1;
    return n < 1 ? 1 : n;
}

void nn_release_threads(void) {
    /* not loaded: no pool to stop (and no reason to load it) */
    if (blas_loaded && blas.shutdown) blas.shutdown();
}

void nn_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, const float* b,
             float beta, float* c) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        /* nothing to multiply: C = beta * C */
        for (long i = 0; i < (long)m * n; i++) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
        return;
    }
    blas_need();
    blas.sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, c, n);
}

void nn_gemv(bool ta, int m, int n, float alpha, const float* a, const float* x, float beta,
             float* y) {
    if (m <= 0 || n <= 0) return;
    blas_need();
    blas.sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, m, n, alpha, a, n, x, 1, beta, y, 1);
}

void nn_dgemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, const double* b,
              double beta, double* c) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (long i = 0; i < (long)m * n; i++) c[i] = beta == 0.0 ? 0.0 : beta * c[i];
        return;
    }
    blas_need();
    blas.dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, c, n);
}

bool nn_cholesky_solve(int n, double* a, int nrhs, double* b) {
    if (n <= 0) return true;
    int info = 0;
    blas_need();
    /* a symmetric matrix reads the same in row- and column-major order */
    blas.dpotrf("L", &n, a, &n, &info, 1);
    if (info != 0) return false;
    if (nrhs > 0) blas.dpotrs("L", &n, &nrhs, a, &n, b, &n, &info, 1);
    return info == 0;
}

bool nn_sym_eigvals(int n, double* a, double* w) {
    if (n <= 0) return true;
    int info = 0, lwork = -1;
    blas_need();
    double query = 0;
    blas.dsyev("N", "L", &n, a, &n, w, &query, &lwork, &info, 1, 1);
    if (info != 0) return false;
    lwork = (int)query;
    if (lwork < 3 * n) lwork = 3 * n;
    double* work = alloc_array((size_t)lwork, sizeof(double));
    blas.dsyev("N", "L", &n, a, &n, w, work, &lwork, &info, 1, 1);
    free(work);
    return info == 0;
}
