/* jepa_impl: the pixel model's insides, shared by jepa*.c only. Everyone else uses model/jepa.h. */
#ifndef NUDGE_MODEL_JEPA_IMPL_H
#define NUDGE_MODEL_JEPA_IMPL_H
#include "model/jepa.h"
#include "model/nn.h"
#include "model/probe.h"

struct JepaModel {
    JepaArch  arch;
    NnLayout  layout;
    NnConvNet enc;          /* frames -> latent grid; its parameters are the first enc_count floats */
    NnConvNet pred;         /* [latent | push map] -> latent change */
    int       enc_count;
    int       nparams;
    float*    params;       /* [nparams] */
    float*    target;       /* [enc_count]: the target encoder, an EMA of params[0, enc_count) */
    int       lh, lw, lc;   /* the latent grid */
    int64_t   steps;
    uint64_t  seed;
    JepaFraming framing;    /* the camera its frames came from (jepa_framing) */
};

struct JepaScratch {
    int         cap;        /* windows the buffers hold */
    float*      x;          /* [cap, H, W, context * channels] the encoder's input */
    float*      pin;        /* [cap, h, w, C + JEPA_PUSH_CHANNELS] the predictor's input */
    NnConvCache enc, pred;
};

/// lays out and allocates a model (parameters not initialised); NULL for an invalid arch
JepaModel* jepa_alloc(const JepaArch* a);
/// grows the scratch to B windows
void jepa_scratch_reserve(const JepaModel* m, JepaScratch* s, int B);
/// the encoder's input x[B, H, W, context * channels] from B windows of frames: p / 127.5 - 1,
/// frame f's channels at f * channels
void jepa_frames_input(const JepaModel* m, int B, const uint8_t* const* frames, float* x);
/// the predictor's input pin[B, h, w, C + JEPA_PUSH_CHANNELS]: each cell's latent, then the push map
void jepa_pred_input(const JepaModel* m, int B, const float* z, const JepaPush* pushes,
                     const int* npushes, float* pin);

/// the model file with optional optimizer state and probe (jepa_checkpoint.c)
bool       jepa_checkpoint_save(const JepaModel* m, const NnAdamW* opt, const Probe* probe,
                                const char* path, char* err, size_t err_size);
/// opt (may be NULL) receives the optimizer state and probe (may be NULL) the probe when the file
/// has them (*has_opt, *has_probe tell)
JepaModel* jepa_checkpoint_load(const char* path, NnAdamW* opt, bool* has_opt, Probe* probe,
                                bool* has_probe, char* err, size_t err_size);

#endif
