/* jepa_probe: the pixel model's linear probe over a dataset with frames -- the rows (target
 * encodings of windows and each slot's pixel position and event marks), the fit on training
 * episodes, and the decoding of any latent (encoded or predicted) into positions. */
#ifndef NUDGE_MODEL_JEPA_PROBE_H
#define NUDGE_MODEL_JEPA_PROBE_H
#include <stdbool.h>
#include <stddef.h>

#include "model/jepa.h"
#include "model/jepa_data.h"
#include "model/probe.h"

/// the probe's relative ridges (model/probe.h), one chosen on held-out training episodes (every
/// JEPA_PROBE_HOLD-th), and the rows a slot needs to be fitted
#define JEPA_PROBE_RIDGES {1e-3, 1e-2, 1e-1, 1.0, 10.0}
#define JEPA_PROBE_HOLD 5
/// the ridge when there are too few episodes to hold some out
#define JEPA_PROBE_RIDGE_FEW 1e-3
#define JEPA_PROBE_MIN_ROWS 50
/// more slot-probe features than this (a finer grid: levels 2 at 160x120 has 19200) are fitted in
/// the rows' dual (probe_fit_gram: an N x N system, not F x F) with the given ridge, else
/// JEPA_PROBE_RIDGE_FEW, none chosen: the F x F systems of 19200 features take hours of CPU
#define JEPA_PROBE_DUAL_F 8192

/// windows ending at records context - 1, context - 1 + stride, ... of episodes [first, first +
/// count), at most max_rows (the stride grows to fit): x[N, latent size] (the target encoder's
/// latents), y[N, K, JEPA_PROBE_OUTPUTS] and mask[N, K] (jepa_data_targets), ep[N] the episode of each
typedef struct JepaProbeRows {
    int      N, F, K;
    float*   x;
    float*   y;
    uint8_t* mask;
    int*     ep;
} JepaProbeRows;

/// threads encoding the rows on one BLAS thread, unless jepa_probe_set_jobs says otherwise (each
/// takes every jobs-th episode; a row is the same bytes whichever thread encodes it, so the rows, and
/// every fit on them, are the same for any count; with more BLAS threads, one: theirs share the work)
#define JEPA_PROBE_JOBS 2
/// the threads encoding the rows and sharing the slots of the probes' fits from now on (clamped to
/// 1..WORKERS_MAX; process-wide, as the BLAS's)
void jepa_probe_set_jobs(int jobs);
/// the threads the rows and fits take now: the jobs set, or 1 with more than one BLAS thread
int  jepa_probe_jobs(void);
void jepa_probe_rows(const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                     JepaProbeRows* out);
/// what a row's x holds: the target encoder's latent, the last frame's pixels in cells, or the
/// exact heat of the window's bodies (jepa_cellprobe_oracle_grid)
typedef enum JepaProbeSource { JEPA_ROWS_LATENT, JEPA_ROWS_PIXELS, JEPA_ROWS_ORACLE } JepaProbeSource;
void jepa_probe_rows_of(const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                        JepaProbeSource src, JepaProbeRows* out);
/// the same on jobs worker threads (1..WORKERS_MAX; the same bytes for any jobs)
void jepa_probe_rows_jobs(const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                          JepaProbeSource src, int jobs, JepaProbeRows* out);
void jepa_probe_rows_free(JepaProbeRows* r);
/// the slot probe's outputs y[B, K, O] of latents z[B, latent size] (through jepa_probe_features)
void jepa_probe_apply(const JepaModel* m, const Probe* p, int B, const float* z, float* y);
/// fits the probe on the rows of episodes [first, first + count), its ridge chosen among
/// JEPA_PROBE_RIDGES by the error on every JEPA_PROBE_HOLD-th of those episodes when there are that
/// many (fitted on the others), else JEPA_PROBE_RIDGE_FEW; false + one line when there are too few rows
bool jepa_probe_fit(const JepaModel* m, const JepaData* j, int first, int count, int max_rows, Probe* p,
                    char* err, size_t err_size);
/// the same with a given relative ridge (> 0), or chosen as jepa_probe_fit does (0); held_err (may
/// be NULL) gets each of JEPA_PROBE_RIDGES' held-out squared error per row (NaN when none was chosen)
bool jepa_probe_fit_ridge(const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                          double ridge, Probe* p, double* held_err, char* err, size_t err_size);

#endif
