/* jepa_scale: how far the pixel model expects its prediction to miss, value by value -- the scale of
 * a Laplace likelihood around the predicted latent, fitted after the model.
 *
 * The L1 surprise weighs every latent value's error alike, so a clip whose outcome scatters (a glass
 * that breaks into shards) is more surprising than one that does the impossible simply (a glass
 * that lands whole): the predictor's median cannot place the shards. A scale b per value, read from
 * what the model predicts, makes the surprise |observed - predicted| / b: errors where the model
 * expects to err (motion, scattering) count less, errors where it is sure count more, and a tick
 * whose prediction is unsure costs log b (the surprise is the Laplace negative log-likelihood).
 *
 * b is a linear map shared by the cells (ridge regression of the absolute error on each cell's
 * features, through BLAS), floored per channel at JEPA_SCALE_FLOOR of the channel's mean error. A
 * cell's features (F = 1 + 4C for C latent channels), from the window's latent z (the trained
 * encoder's, what the prediction starts from) and the prediction p:
 *   1, |p - z| of the cell, its mean over the cell's 3 x 3 neighbourhood (zeros past the edge
 *   count), p of the cell, and the neighbourhood's largest |p - z| per channel. */
#ifndef NUDGE_MODEL_JEPA_SCALE_H
#define NUDGE_MODEL_JEPA_SCALE_H
#include <stdbool.h>
#include <stddef.h>

#include "model/jepa.h"
#include "model/jepa_data.h"

#define JEPA_SCALE_FLOOR 0.1
#define JEPA_SCALE_RIDGE 1e-3   /* times the features' mean square, per fitting row */
/// nudge voe --scale's default weight of the NLL's evidence in the world's surprise (README, "Surprise
/// from pixels": chosen on VoE pair seed 0, checked on seeds 1 and 2)
#define JEPA_SCALE_WEIGHT 0.1

typedef struct JepaScale {
    int     C;        /* latent channels */
    int     F;        /* features per cell: 1 + 4C */
    double* w;        /* [F, C]: b of channel c = sum_f x_f w[f, c] */
    double* floor;    /* [C] the smallest b of each channel */
    double* mean;     /* [C] the fitting windows' mean absolute error per channel */
    int64_t rows;     /* cells fitted on */
} JepaScale;

/// the features x[lh * lw, F] of a prediction p from latent z (both [lh * lw * C])
void jepa_scale_features(int lh, int lw, int C, const float* z, const float* p, float* x);
/// fits on windows ending at records (context - 1) S, + stride, ... (each with S records after it)
/// of every episode of j: z the trained encoder's latent of the window, p its prediction through
/// the pushes of the S records after, the target the target encoder's latent S records later.
/// The episodes are encoded on jobs threads (1..WORKERS_MAX; the same scale for any jobs).
/// false + one line when there are no windows or the solve fails
bool jepa_scale_fit(JepaScale* s, const JepaModel* m, const JepaData* j, int stride, int jobs, char* err,
                    size_t err_size);
/// the normal equations of the fit, summed over rows of features and absolute errors
typedef struct JepaScaleSums {
    int     C, F;
    double* A;      /* [F, F] X^T X */
    double* B;      /* [F, C] X^T R */
    double* sum;    /* [C] the errors' sums */
    int64_t n;      /* rows */
    double* x;      /* scratch */
    int     cap;
} JepaScaleSums;
void jepa_scale_sums_init(JepaScaleSums* u, int C);
void jepa_scale_sums_free(JepaScaleSums* u);
/// adds rows of features x[rows, F] (jepa_scale_features) and absolute errors r[rows, C]
void jepa_scale_sums_add(JepaScaleSums* u, int rows, const float* x, const double* r);
/// the ridge solution (JEPA_SCALE_RIDGE, the bias unpenalised), floors and means; false + one line
/// when there are no rows or the equations are singular
bool jepa_scale_solve(JepaScale* s, const JepaScaleSums* u, char* err, size_t err_size);
/// scores the scale on j's windows (as jepa_scale_fit reads them): nll[0] the mean Laplace negative
/// log-likelihood per value of the target under the prediction with scale b, nll[1] with each
/// channel's mean error as b (a constant scale); err_abs the mean |(|error|) - b| likewise
bool jepa_scale_score(const JepaScale* s, const JepaModel* m, const JepaData* j, int stride, int jobs, double nll[2],
                      double err_abs[2], char* err, size_t err_size);
void jepa_scale_free(JepaScale* s);   /* safe on a zeroed scale */
/// b[lh * lw * C] of a prediction p from z; work: [lh * lw * F] floats
void jepa_scale_apply(const JepaScale* s, int lh, int lw, const float* z, const float* p, float* work, float* b);
/// the scaled surprise of one tick: the mean over the n values of |observed - p| / b + log b (the Laplace
/// negative log-likelihood per value, less log 2)
double jepa_scale_surprise(int n, const float* p, const float* observed, const float* b);
/// a text file: "nudge-jepa-scale 1", "C F rows", then w, floor and mean; atomic; false + one line
bool jepa_scale_save(const JepaScale* s, const char* path, char* err, size_t err_size);
/// false + one line for a missing, truncated or malformed file
bool jepa_scale_load(JepaScale* s, const char* path, char* err, size_t err_size);

#endif
