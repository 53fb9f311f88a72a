/* probe: a linear readout (ridge regression through BLAS and LAPACK) from frozen latents to each
 * body slot's quantities -- here its position in the frame and its break and fall labels. It is
 * evaluation only: fitted on the latents of training episodes, scored on held-out ones, and no
 * gradient ever reaches the model.
 *
 * Per slot k and output o: y = w_ko . (x - mean) + b_ko, fitted on the rows where the slot holds a
 * body, minimising sum (y - target)^2 + lambda |w_ko|^2 with lambda = ridge * (trace of the centred
 * features' Gram matrix) / F (so `ridge` does not depend on the features' scale or count). The
 * intercept is not penalised. All outputs of a slot share one Cholesky factorisation. */
#ifndef NUDGE_MODEL_PROBE_H
#define NUDGE_MODEL_PROBE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model_file.h"

typedef struct Probe {
    int      F, K, O;     /* features, slots, outputs per slot */
    double   ridge;       /* the relative ridge it was fitted with */
    float*   mean;        /* [F] */
    float*   w;           /* [K * O * F] */
    float*   b;           /* [K * O] */
    uint8_t* fitted;      /* [K] 1 = the slot had enough rows */
    int64_t* rows;        /* [K] rows it was fitted on */
} Probe;

void probe_free(Probe* p);   /* safe on a zeroed probe */
/// fits from N rows of features x[N, F], targets y[N, K, O] and mask[N, K] (1 = slot k's targets
/// exist in row n); a slot with fewer than min_rows rows stays unfitted. false only when N < 2
bool probe_fit(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
               const uint8_t* mask, double ridge, int min_rows);
/// probe_fit with the ridge chosen among ridges[nridges] on held-out rows: each is fitted on the rows
/// whose held[n] is 0 and scored by the squared error of every output on the rows whose held[n] is 1
/// (summed over slots), then the best one (p->ridge) is fitted on every row. held may be NULL (then
/// ridges[0] on every row). held_err[nridges] (may be NULL): each ridge's held-out squared error per
/// held-out row (summed over outputs). false only when N < 2
bool probe_fit_select(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
                      const uint8_t* mask, const uint8_t* held, const double* ridges, int nridges,
                      int min_rows, double* held_err);
/// the same with the slots shared by jobs worker threads (1..WORKERS_MAX; each slot's sums and
/// solves are one thread's, and the held-out errors are summed over slots in order afterwards, so
/// every jobs gives the same bytes at one BLAS thread)
bool probe_fit_select_jobs(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
                           const uint8_t* mask, const uint8_t* held, const double* ridges, int nridges, int min_rows,
                           double* held_err, int jobs);
/// probe_fit's fit (the same weights and intercepts up to rounding, O outputs per slot at one
/// relative ridge) through the rows' N x N Gram matrix instead of the features' F x F
/// one -- for N rows fewer than F features (a few hundred frames' latents of 3072 at 128x96) a
/// fraction of the work -- and one factorisation for every slot that holds a body in the same rows.
/// false only when N < 2 (p zeroed then)
bool probe_fit_gram(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
                    const uint8_t* mask, double ridge, int min_rows);
/// y[n, K, O] from x[n, F] (NaN for slots that are not fitted)
void probe_apply(const Probe* p, int n, const float* x, float* y);

/// appends the probe to a model file: i32 F K O, f64 ridge, f32 mean[F], then per slot u8 fitted,
/// i64 rows, f32 w[O * F], f32 b[O]
void probe_write(const Probe* p, ModelBuf* b);
/// reads what probe_write wrote, for features of width F; false + one line when it does not fit
bool probe_read(Probe* p, ModelRd* r, int F, char* err, size_t err_size);

#endif
