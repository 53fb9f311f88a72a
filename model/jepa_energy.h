/* jepa_energy: how much the pixel model's latent is expected to change, cell by cell, over the next
 * H ticks -- a head fitted after the model (as jepa_scale), read by nudge voe --energy.
 *
 * The L1 surprise compares one predicted latent with the observed one, value by value, and the
 * predictor's median cannot say "something here will move, I do not know where": a glass that
 * breaks scatters shards no median places, so its clip errs more than one where the glass lands
 * whole. The energy is a quantity whose median does say it. A cell's change at tick k is the mean
 * over channels of |o_k - o_(k-1)| (the target encoder's latents of consecutive windows); the
 * energy of window t is the sum of its cell's changes over ticks t + 1 .. t + H, averaged over the
 * cell's 3 x 3 neighbourhood (zeros past the edge count). The head reads the target encoder's latent
 * of window t and a push map of the pushes in those H ticks, and predicts each cell's energy (a conv
 * net: 3x3 layers with group norm and SiLU, then a 1x1 to one channel; fitted by L1 with AdamW on
 * energies divided by the fitting windows' mean). The surprise at tick t + H is the grid's mean
 * |predicted - observed energy|: a break expected that does not come costs as much as one that
 * comes unexpected. */
#ifndef NUDGE_MODEL_JEPA_ENERGY_H
#define NUDGE_MODEL_JEPA_ENERGY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/jepa.h"
#include "model/jepa_data.h"
#include "model/nn.h"

#define JEPA_ENERGY_HORIZON 24   /* ticks (0.4 s) */
#define JEPA_ENERGY_HIDDEN 32
#define JEPA_ENERGY_LAYERS 3     /* 3x3 layers */
#define JEPA_ENERGY_MAX_HORIZON 60
/* worker threads that encode the episodes' windows (JepaEnergyFit.jobs) */
#define JEPA_ENERGY_MAX_JOBS 16
/// nudge voe --energy's defaults (chosen on VoE pair seed 0 of the recipe's model, checked on seeds 1
/// and 2: README, "Surprise from pixels"): the shortfall's weight in the world's surprise, its
/// evidence's slack, and the ticks it is averaged over
#define JEPA_ENERGY_WEIGHT 3.0
#define JEPA_ENERGY_SLACK 0.5
#define JEPA_ENERGY_SMOOTH 6
#define JEPA_ENERGY_MAX_SMOOTH 64

typedef struct JepaEnergy {
    int       lh, lw, C;   /* the model's latent grid */
    int       H;           /* horizon (ticks) */
    int       hidden, layers;
    double    norm;        /* the fitting windows' mean energy: the net predicts energy / norm */
    int64_t   windows;     /* windows fitted on */
    NnLayout  layout;
    NnConvNet net;         /* [latent | push map] -> 1 channel */
    float*    params;
} JepaEnergy;

/// the fit's options
typedef struct JepaEnergyFit {
    int      H;            /* horizon (default JEPA_ENERGY_HORIZON) */
    int      stride;       /* records between fitted windows (default 4) */
    int      epochs;       /* passes over the windows (default 6) */
    int      batch;        /* windows a step (default 32) */
    float    lr;           /* AdamW's (default 1e-3) */
    uint64_t seed;
    FILE*    progress;     /* a line per epoch (NULL: none) */
    int      jobs;         /* threads encoding the episodes' windows (default 1; every count gives the
                              same head: an episode's windows are the same on any thread) */
} JepaEnergyFit;
JepaEnergyFit jepa_energy_fit_default(void);

/// a cell's change between two latents a and b [lh * lw * C]: out[lh * lw] = mean over channels of |a - b|
void jepa_energy_change(int lh, int lw, int C, const float* a, const float* b, float* out);
/// the 3 x 3 neighbourhood mean (zeros past the edge count) of a sum s[lh * lw] -> out (not aliased)
void jepa_energy_pool(int lh, int lw, const float* s, float* out);

/// fits a head on windows ending at records (context - 1) S, + stride, ... (each with H records after
/// it) of every episode of the nj datasets js; false + one line when one has none
bool jepa_energy_fit(JepaEnergy* en, const JepaModel* m, const JepaData* const* js, int nj, const JepaEnergyFit* o,
                     char* err, size_t err_size);
/// scores on j's windows (stride as the fit's): l1[0] the mean |predicted - observed energy| per cell,
/// l1[1] the same for the constant prediction of the fitting windows' mean energy, l1[2] for
/// persistence (the energy of the H ticks before the window, where there are H); jobs threads encode
/// the windows (the same scores for any count)
bool jepa_energy_score(const JepaEnergy* en, const JepaModel* m, const JepaData* j, int stride, int jobs,
                       double l1[3], char* err, size_t err_size);
/// the predicted energy out[lh * lw] (at least 0) of B = 1 window: z its target latent, the pushes of the H ticks
/// after it; cache grows on demand
void jepa_energy_predict(const JepaEnergy* en, const JepaModel* m, NnConvCache* cache, float* input, const float* z,
                         const JepaPush* pushes, int npushes, float* out);
void jepa_energy_free(JepaEnergy* en);   /* safe on a zeroed head */
/// a binary file: magic, version, shape, norm, parameters, CRC-32; atomic
bool jepa_energy_save(const JepaEnergy* en, const char* path, char* err, size_t err_size);
bool jepa_energy_load(JepaEnergy* en, const char* path, char* err, size_t err_size);

#endif
