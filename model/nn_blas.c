/* nn_blas: the one file that calls BLAS (OpenBLAS's cblas) */
#include <cblas.h>
#include <stdlib.h>

#include "base/alloc.h"

#include "model/nn.h"

/* OpenBLAS's own setter; declared here so no other header is needed */
void openblas_set_num_threads(int);

void nn_set_threads(int n) {
    openblas_set_num_threads(n < 1 ? 1 : n);
}

/* OpenBLAS's; weak, so that a BLAS without it links too */
void blas_thread_shutdown_(void) __attribute__((weak));

void nn_release_threads(void) {
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}

void nn_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, const float* b,
             float beta, float* c) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        /* nothing to multiply: C = beta * C */
        for (long i = 0; i < (long)m * n; i++) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, c, n);
}

void nn_gemv(bool ta, int m, int n, float alpha, const float* a, const float* x, float beta,
             float* y) {
    if (m <= 0 || n <= 0) return;
    cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, m, n, alpha, a, n, x, 1, beta, y, 1);
}

void nn_dgemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, const double* b,
              double beta, double* c) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (long i = 0; i < (long)m * n; i++) c[i] = beta == 0.0 ? 0.0 : beta * c[i];
        return;
    }
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, c, n);
}

/* LAPACK, as OpenBLAS exports it (Fortran calling convention: every argument by address, and the
 * lengths of character arguments appended) */
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uplo_len);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda,
             double* b, const int* ldb, int* info, size_t uplo_len);
void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
            double* work, const int* lwork, int* info, size_t jobz_len, size_t uplo_len);

bool nn_cholesky_solve(int n, double* a, int nrhs, double* b) {
    if (n <= 0) return true;
    int info = 0;
    /* a symmetric matrix reads the same in row- and column-major order */
    dpotrf_("L", &n, a, &n, &info, 1);
    if (info != 0) return false;
    if (nrhs > 0) dpotrs_("L", &n, &nrhs, a, &n, b, &n, &info, 1);
    return info == 0;
}

bool nn_sym_eigvals(int n, double* a, double* w) {
    if (n <= 0) return true;
    int info = 0, lwork = -1;
    double query = 0;
    dsyev_("N", "L", &n, a, &n, w, &query, &lwork, &info, 1, 1);
    if (info != 0) return false;
    lwork = (int)query;
    if (lwork < 3 * n) lwork = 3 * n;
    double* work = alloc_array((size_t)lwork, sizeof(double));
    dsyev_("N", "L", &n, a, &n, w, work, &lwork, &info, 1, 1);
    free(work);
    return info == 0;
}
