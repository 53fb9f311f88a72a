/* jepa_fate: a fate probe on the pixel model's frozen latent -- does a break come, did one come.
 *
 * The state model scores a glass that should break and does not through its break head (surprise.h:
 * -log(1 - p) of the break that did not come). The pixel model has no such head; this is a small one
 * read from its latent, fitted after the model (labels only at fitting time: a dataset's break marks).
 *
 * Features of one window (the target encoder's latent grid), of one of two kinds (JepaFateKind): the
 * grid pooled over its cells, or each cell with its neighbours (the world's p then the largest
 * cell's); standardised by the fitting rows' mean and deviation. Two logistic heads over them (one
 * weight vector and bias each, L2 ridge chosen on every JEPA_PROBE_HOLD-th fitting episode by
 * held-out log loss, Newton's method):
 *   - ahead: p = P(a break anywhere in the frame in the next JEPA_FATE_HORIZON records, t+1 .. t+H);
 *   - seen:  q = P(a break in the last JEPA_FATE_HORIZON records, t-H+1 .. t).
 * The two speak of the same ticks H apart: the ahead head read at t - H and the seen head read at t
 * both cover (t - H, t]. The fate surprise at t is the cross entropy of that outcome as the frames
 * show it (q now) under the expectation H ticks before (p then):
 *   -(q log p + (1 - q) log(1 - p))  (p clamped to [JEPA_FATE_EPS, 1 - JEPA_FATE_EPS]):
 * a break expected and not seen is -log(1 - p), as the state model's fate. */
#ifndef NUDGE_MODEL_JEPA_FATE_H
#define NUDGE_MODEL_JEPA_FATE_H
#include <stdbool.h>
#include <stddef.h>

#include "model/jepa.h"
#include "model/jepa_data.h"

/// records the heads look ahead and back (WM_EVENT_HORIZON: 0.5 s at 60 Hz)
#define JEPA_FATE_HORIZON 30
#define JEPA_FATE_EPS 1e-4
/// the ridges tried (on standardised features, per fitting row)
#define JEPA_FATE_RIDGES {1e-3, 1e-2, 1e-1, 1.0, 10.0}
enum { JEPA_FATE_AHEAD = 0, JEPA_FATE_SEEN = 1, JEPA_FATE_HEADS = 2 };

typedef enum JepaFateKind {
    JEPA_FATE_POOLED = 0,   /* one logistic over the grid pooled: per channel mean, largest, smallest (3C) */
    JEPA_FATE_CELLS = 1,    /* one logistic per cell, shared: the cell's channels and its 8 neighbours'
                               mean (2C, zeros past the edge count), labelled at the cell under the body
                               that breaks; the world's p is the largest cell's */
} JepaFateKind;

typedef struct JepaFate {
    int     kind;                     /* JepaFateKind: F = 3C pooled, 2C per cell */
    int     C;                        /* latent channels it reads */
    int     F;                        /* features */
    float*  mu;                       /* [F] the fitting rows' mean */
    float*  sd;                       /* [F] their deviation (1 where it is 0) */
    double* w[JEPA_FATE_HEADS];       /* [F + 1] each: weights, then the bias */
    double  ridge[JEPA_FATE_HEADS];   /* the ridge each head was fitted with */
    int     online;                   /* 1: the heads read the trained encoder's latent (the model's own
                                         event heads, jepa_fate_from_model), 0: the target encoder's
                                         (nudge fate) */
} JepaFate;

/// per cell kind: negative cells are sampled for the fit at 1 in this many (the bias then corrected
/// by log of it: a case-control logistic fit); every positive cell is kept
#define JEPA_FATE_CELL_SAMPLE 25

/// the rows: windows ending at records (context - 1) S, + stride, ... of episodes [first, first +
/// count): z[N, L] the target encoder's latents, y[N, 2] the world's labels, ok[N, 2] whether a
/// label is known (ahead: the episode holds H records after t, or a break came), cy[N, cells, 2]
/// the cells' labels (the cell under a body whose break counts), ep[N] the episode
typedef struct JepaFateRows {
    int      N, L, lh, lw, C;
    float*   z;
    uint8_t* y;
    uint8_t* ok;
    uint8_t* cy;
    int*     ep;
} JepaFateRows;

/// the pooled features x[3C] of one latent grid z[lh * lw * C]
void jepa_fate_features(int cells, int C, const float* z, float* x);
/// the per-cell features x[lh * lw, 2C] of one latent grid
void jepa_fate_cell_features(int lh, int lw, int C, const float* z, float* x);
void jepa_fate_rows(const JepaModel* m, const JepaData* j, int first, int count, int stride, JepaFateRows* out);
/// the same rows with the trained encoder's latents (online) or the target encoder's
void jepa_fate_rows_of(const JepaModel* m, const JepaData* j, int first, int count, int stride, bool online,
                       JepaFateRows* out);
/// the model's own event heads (nudge train --event-weight, jepa_event_heads) as a pooled probe that
/// reads the trained encoder's latent (online; no standardisation: mean 0, deviation 1); false
/// (nothing allocated) for a model without them
bool jepa_fate_from_model(JepaFate* f, const JepaModel* m);
void jepa_fate_rows_free(JepaFateRows* r);
/// fits both heads of the given kind on rows r; false + one line when a head has no positive or no
/// negative row
bool jepa_fate_fit(JepaFate* f, int kind, const JepaFateRows* r, char* err, size_t err_size);
/// the logistic regression itself, for tests: n rows x[n, F] (standardised), labels y, rows used
/// where use[i] (may be NULL); w[F + 1]; returns the mean log loss over the used rows
double jepa_fate_logistic(int n, int F, const float* x, const uint8_t* y, const uint8_t* use, int ystride,
                          double ridge, double* w);
void jepa_fate_free(JepaFate* f);   /* safe on a zeroed probe */
/// p[2] (ahead, seen) of one row of features x[F] (not standardised)
void jepa_fate_apply(const JepaFate* f, const float* x, double* p);
/// floats of scratch jepa_fate_read needs for a grid of lh x lw cells
size_t jepa_fate_work(const JepaFate* f, int lh, int lw);
/// p[2] (ahead, seen) of one latent grid z[lh * lw * C]: the pooled row's, or the largest cell's
void jepa_fate_read(const JepaFate* f, int lh, int lw, const float* z, float* work, double* p);
/// the fate surprise (nats, see above) of the ahead head's p read H ticks before and the seen
/// head's q read now
double jepa_fate_nll(double p, double q);

/// a text file: "nudge-jepa-fate 1", then "C F" (F = 3C: pooled, 2C: per cell), the ridges, and lines of numbers; atomic; false + one line
bool jepa_fate_save(const JepaFate* f, const char* path, char* err, size_t err_size);
/// false + one line for a missing, truncated or malformed file
bool jepa_fate_load(JepaFate* f, const char* path, char* err, size_t err_size);

#endif
