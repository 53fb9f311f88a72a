/* jepa_cellprobe: a slot-free linear readout of the pixel model's latent grid, for evaluation only.
 *
 * One linear map shared by every cell (model/probe.h's ridge, through BLAS and LAPACK): from the
 * latents of a cell and its 8 neighbours (zeros past the grid's edge) to
 *   - presence: 1 when a dynamic body's centre lies in the cell, else 0 (fitted on every cell);
 *   - the offset from the cell's centre to the nearest body's centre, in cells (fitted on the cells
 *     within JEPA_CELLPROBE_REACH cells of one, each axis: the cell that holds the centre and its
 *     neighbours, so that every cell near a body points at it).
 * It asks for no slot: a frame shows bodies, not the scene file's order. Decoding a grid: every cell
 * proposes a body at its centre plus its offset; in order of presence, a proposal is kept unless it
 * lies within `radius` pixels of one kept before, until N are kept (N the number of bodies to find).
 * The suppression is in the frame, not among cells: two bodies in neighbouring cells are both found
 * (a 3 x 3 local maximum of presence keeps one of them: with exact presence and offsets that
 * decoding still errs 3.5 px a body in view on the recipe's held-out episodes, this one 0.7 px at a
 * radius of 3 px). The radius is chosen with the ridge's held-out training episodes (fitted without
 * them): a sharp presence wants a small one, a blurred one a larger one. Scoring matches bodies and
 * detections by distance.
 *
 * Its reference (jepa_cellprobe_fit_pixels): the same readout of a grid that holds, in each cell,
 * the window's last frame's own pixels under it (2^levels on a side, every channel, over 255): what
 * a linear readout gets from the input itself, so that a latent's figure says what the encoder
 * adds (or loses) for it. */
#ifndef NUDGE_MODEL_JEPA_CELLPROBE_H
#define NUDGE_MODEL_JEPA_CELLPROBE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/jepa.h"
#include "model/jepa_data.h"
#include "model/probe.h"

/// the relative ridges tried, one chosen on every JEPA_PROBE_HOLD-th training episode
#define JEPA_CELLPROBE_RIDGES {1e-4, 1e-3, 1e-2, 1e-1, 1.0}
/// how far from a body's centre (cells, each axis) a cell's offset is fitted
#define JEPA_CELLPROBE_REACH 1.0f
/// the suppression radii tried (times a cell's width), one chosen on the held-out training episodes;
/// the first when there are too few episodes to hold some out
#define JEPA_CELLPROBE_RADII {1.0f, 0.25f, 0.5f, 0.75f, 1.25f, 1.5f}

typedef struct JepaCellProbe {
    int   lh, lw, C;   /* the latent grid it reads */
    int   F;           /* features per cell: 9 * C */
    float radius;      /* decoding's suppression radius, frame pixels (chosen by the fit) */
    Probe p;           /* K = 2 "slots" of 2 outputs: (presence, unused) on every cell, (du, dv) on a body's */
} JepaCellProbe;

/// a detection: frame pixel (u, v) and its presence score
typedef struct JepaCellHit {
    float u, v, score;
} JepaCellHit;

/// fits on windows of episodes [first, first + count) of j (at most max_rows windows, the target
/// encoder's latents), the ridge chosen on every JEPA_PROBE_HOLD-th of them; false + one line when
/// there are too few rows
bool jepa_cellprobe_fit(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count,
                        int max_rows, char* err, size_t err_size);
/// the reference: the same fit on the windows' last frames' pixels (the same windows)
bool jepa_cellprobe_fit_pixels(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count,
                               int max_rows, char* err, size_t err_size);
/// the floor: the same fit on exact heats of the windows' bodies (jepa_cellprobe_oracle_grid)
bool jepa_cellprobe_fit_oracle(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count,
                               int max_rows, char* err, size_t err_size);
void jepa_cellprobe_free(JepaCellProbe* cp);   /* safe on a zeroed probe */
/// the pixel grid of model m's frames: jepa_latent_shape's h x w cells of (2^levels)^2 * channels
/// values (jepa_cellprobe_pixel_size floats), a cell's pixels row by row, each pixel's channels
/// together, over 255
int  jepa_cellprobe_pixel_size(const JepaModel* m);
void jepa_cellprobe_pixel_grid(const JepaModel* m, const uint8_t* frame, float* g);
/// the exact heat's grid: the oracle's bump width (pixels), its peak logit, and the soft-argmax
/// window's margin (a fraction of a cell on each side: 12-pixel windows on 8-pixel cells). Chosen on
/// the recipe's data as the best of a sweep (in view, px): a peak logit of 2 / 4 / 8 / 16 / 32 / 64
/// scores 2.49 / 2.03 / 1.79 / 1.29 / 1.19 / 1.20, a sigma of 1 / 2.5 px at 8 2.08 / 1.44, a margin of
/// half a cell at 8 2.09 (docs/pixel-model-experiments.md, "The readout's floor")
#define JEPA_CELLPROBE_ORACLE_SIGMA  1.5f
#define JEPA_CELLPROBE_ORACLE_GAIN   32.0f
#define JEPA_CELLPROBE_ORACLE_MARGIN 0.25f
/// floats of the grid (jepa_latent_shape's h x w cells of 3: offset u, v in pixels, log-sum-exp)
int  jepa_cellprobe_oracle_size(const JepaModel* m);
/// the grid g of bodies y[K, JEPA_PROBE_OUTPUTS] (frame pixels u, v first; those with mask[k] set),
/// the Gaussian bumps summed into one heat the size of the frame
void jepa_cellprobe_oracle_grid(const JepaModel* m, const float* y, const uint8_t* mask, int K, float* g);
/// the features of every cell of one latent grid z[lh * lw * C]: x[lh * lw * F]
void jepa_cellprobe_features(const JepaCellProbe* cp, const float* z, float* x);
/// up to n detections of one latent grid (best presence first, none within cp->radius pixels of a
/// better one) in hits[n]; returns how many. frame_w, frame_h: the frame the grid covers
int  jepa_cellprobe_decode(const JepaCellProbe* cp, const float* z, int frame_w, int frame_h, int n,
                           JepaCellHit* hits);

#endif
