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

/* ---- few rows: C[m, n] = A[m, k] B[k, n] (+ C), for m up to NN_SMALL_ROWS ----
 * A rollout of one world multiplies 14-odd rows by a weight matrix per layer; OpenBLAS packs the
 * whole weight matrix for each such call and then runs at half its peak (66 GFLOP/s for 14 x 64 x
 * 192 here). Here the weights are read in place: blocks of 4 rows (or 2) x 16 columns, 8 AVX
 * accumulators, one FMA per weight and row (86 GFLOP/s for that shape; level with OpenBLAS from about 128 rows).
 * Each element's sum runs over k in order (deterministic, like any sgemm kernel: it rounds
 * differently from OpenBLAS's, as OpenBLAS's own kernels do from each other). */
#define NN_SMALL_ROWS 128

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_HAVE_SMALL 1

/* lanes [0, count) of 8 (count may exceed 8 or be negative) */
__attribute__((target("avx2"))) static __m256i lanes(int count) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), idx);
}

/* rows (4 or 2, a constant once inlined) rows of C from the row pointers ar (a block's missing rows
 * repeat its last one and are not stored: store rows of them) */
__attribute__((target("avx2,fma"), always_inline)) static inline void gemm_block(int rows, int store, int n, int k,
                                                                              const float* const* ar, const float* b,
                                                                              bool add, float* c) {
    for (int j0 = 0; j0 < n; j0 += 16) {
        int cols = n - j0;
        __m256i m0 = lanes(cols), m1 = lanes(cols - 8);
        bool full = cols >= 16;
        __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
               c31 = c00;
        const float* bp = b + j0;
        for (int q = 0; q < k; q++, bp += n) {
            __m256 b0 = full ? _mm256_loadu_ps(bp) : _mm256_maskload_ps(bp, m0);
            __m256 b1 = full ? _mm256_loadu_ps(bp + 8) : _mm256_maskload_ps(bp + 8, m1);
            __m256 x = _mm256_broadcast_ss(ar[0] + q);
            c00 = _mm256_fmadd_ps(x, b0, c00);
            c01 = _mm256_fmadd_ps(x, b1, c01);
            x = _mm256_broadcast_ss(ar[1] + q);
            c10 = _mm256_fmadd_ps(x, b0, c10);
            c11 = _mm256_fmadd_ps(x, b1, c11);
            if (rows == 4) {
                x = _mm256_broadcast_ss(ar[2] + q);
                c20 = _mm256_fmadd_ps(x, b0, c20);
                c21 = _mm256_fmadd_ps(x, b1, c21);
                x = _mm256_broadcast_ss(ar[3] + q);
                c30 = _mm256_fmadd_ps(x, b0, c30);
                c31 = _mm256_fmadd_ps(x, b1, c31);
            }
        }
        __m256 acc[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
        for (int r = 0; r < store; r++) {
            float* cr = c + (size_t)r * n + j0;
            if (full) {
                if (add) acc[r][0] = _mm256_add_ps(_mm256_loadu_ps(cr), acc[r][0]);
                if (add) acc[r][1] = _mm256_add_ps(_mm256_loadu_ps(cr + 8), acc[r][1]);
                _mm256_storeu_ps(cr, acc[r][0]);
                _mm256_storeu_ps(cr + 8, acc[r][1]);
            } else {
                if (add) acc[r][0] = _mm256_add_ps(_mm256_maskload_ps(cr, m0), acc[r][0]);
                if (add) acc[r][1] = _mm256_add_ps(_mm256_maskload_ps(cr + 8, m1), acc[r][1]);
                _mm256_maskstore_ps(cr, m0, acc[r][0]);
                _mm256_maskstore_ps(cr + 8, m1, acc[r][1]);
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static void gemm_small(int m, int n, int k, const float* a, const float* b,
                                                            bool add, float* c) {
    for (int i0 = 0; i0 < m; i0 += 4) {
        /* blocks of 4 rows; the last 1 or 2 in a block of 2 (one FMA chain per accumulator is too
         * few to hide its latency, so a single row costs what two do) */
        int left = m - i0, rows = left > 2 ? 4 : 2, store = left < 4 ? left : 4;
        const float* ar[4];
        for (int r = 0; r < 4; r++) ar[r] = a + (size_t)(i0 + (r < store ? r : store - 1)) * k;
        if (rows == 4) gemm_block(4, store, n, k, ar, b, add, c + (size_t)i0 * n);
        else gemm_block(2, store, n, k, ar, b, add, c + (size_t)i0 * n);
    }
}

/* AVX2 and FMA (libgcc's CPU table, filled before main) */
static bool small_ok(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

void nn_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, const float* b,
             float beta, float* c) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        /* nothing to multiply: C = beta * C */
        for (long i = 0; i < (long)m * n; i++) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
        return;
    }
#ifdef NN_HAVE_SMALL
    if (!ta && !tb && m <= NN_SMALL_ROWS && alpha == 1.0f && (beta == 0.0f || beta == 1.0f) && small_ok()) {
        gemm_small(m, n, k, a, b, beta == 1.0f, c);
        return;
    }
#endif
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
