/* nn_blas: the one file that calls BLAS (OpenBLAS's cblas) */
#include <cblas.h>

#include "model/nn.h"

/* OpenBLAS's own setter; declared here so no other header is needed */
void openblas_set_num_threads(int);

void nn_set_threads(int n) {
    openblas_set_num_threads(n < 1 ? 1 : n);
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
