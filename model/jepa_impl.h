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
    NnConv2d  kp;           /* keypoints > 0: the 1x1 heat convolution of the encoder's first map
                               (its parameters after the encoder's convolutions, before enc_count) */
    NnConv2d  kpa;          /* keypoint_appear A > 0: the appearance keypoints' 3x3 heat convolution
                               of a frame's pixels (A outputs; kp then has K - A), after the
                               temperatures */
    int       kca;          /* the appearance heat convolution's input channels: channels, and with
                               keypoint_objness (1 + JEPA_OBJ_BANDS) of them */
    int       ktemp;        /* keypoint_sharp: the offset of the K temperatures (after kp's, before
                               enc_count; -1 without) */
    int       kh, kw, kc;   /* the first map: kh x kw pixels of kc channels */
    int       kcell;        /* the first map's pixels to a cell's side */
    int       kmargin;      /* the soft-argmax window's margin (keypoint_overlap: kcell / 2; else 0) */
    float     kunit;        /* frame pixels to a first-map pixel */
    int       enc_count;
    int       nparams;
    float*    params;       /* [nparams] */
    float*    target;       /* [enc_count]: the target encoder, an EMA of params[0, enc_count) */
    int       lh, lw, lc;   /* the latent grid */
    int64_t   steps;
    uint64_t  seed;
    JepaFraming framing;    /* the camera its frames came from (jepa_framing) */
    bool      frames_aa;    /* its frames are antialiased (jepa_frames_aa) */
    bool      frames_outline; /* its frames' dynamic bodies are outlined (jepa_frames_outline) */
    int       ev_f;         /* the event heads' features (jepa_event_heads: 3 lc), 0 = none */
    float*    ev_w;         /* [JEPA_EVENT_HEADS * (ev_f + 1)] their weights and biases */
};

/// a memo cache's memory of one earlier call: its distinct images of the keypoint branch (the
/// motion branch's [0], the appearance branch's [1]), their hashes and their keypoints, valid while
/// the branch's parameters equal key. A window's frame before its last is the last of the window a
/// tick earlier, which an earlier call (a stream's tick, a batch before) has computed already
typedef struct JepaKpMemo {
    int       n[2];         /* images held per branch; 0: none */
    uint64_t  stamp;        /* the cache's clock at its last use (the older slot is replaced) */
    float*    key;          /* [enc_count - kp.w]: the branch's parameters they were computed with */
    float*    img[2];       /* [2 cap, H, W, channels] each, the buffers the cache swaps in and out */
    uint64_t* hash[2];      /* [2 cap] */
    float*    kpo[2];       /* [2 cap, cells, 3 Km] and [2 cap, cells, 3 A] */
} JepaKpMemo;

/// the encoder's activations for up to cap windows: the conv net's, and with keypoints the
/// branch's and the joined latent
typedef struct JepaEncCache {
    NnConvCache net;
    int         cap;
    float*      heat;       /* [cap, kh, kw, K] */
    float*      prob;       /* the soft-argmax's softmax */
    float*      work;       /* the soft-argmax's scratch */
    float*      kpo;        /* [cap, cells, 3K] */
    float*      z;          /* [cap, cells, C]: the latent */
    float*      dmain;      /* [cap, cells, latent] */
    float*      dtap;       /* [cap, kh, kw, kc] */
    float*      xf;         /* keypoint_cv: [2 cap, H, W, channels] the windows' last frames, then
                               the frames before them: the heat convolution's input */
    float*      col;        /* keypoint_cv: the heat convolution's im2col scratch for one frame */
    float*      xa;         /* keypoint_appear: [2 cap, H, W, kca] the same frames' pixels (and their
                               bands: keypoint_objness) */
    float*      heata;      /* keypoint_appear: [2 cap, kh, kw, A] their heats */
    float*      heatb;      /* keypoint_blur: [2 cap, kh, kw, A] the heats blurred (the softmax's input;
                               in the backward its gradient), and one map of scratch after them */
    float*      proba;      /* keypoint_appear: their soft-argmax's softmax */
    float*      kpoa;       /* keypoint_appear: [2 cap, cells, 3A] */
    const float* dobj;      /* keypoint_objness, the trainer's: [n, kh, kw] the objectness loss's
                               gradient on the last frames' objectness heats, added in the backward
                               (NULL: none) */
    bool        shared;     /* jepa_enc_cache_share: a frame shared by windows goes through the
                               keypoint branch once (forward only) */
    int*        umap;       /* keypoint_cv: [2 cap] each image's place among the distinct ones */
    int*        umapa;      /* keypoint_appear: the same for the pixels' images */
    uint64_t*   hash;       /* [2 cap] the distinct images' hashes */
    uint64_t*   hasha;      /* [2 cap] the same for the pixels' images */
    int*        at;         /* [2 cap] scratch of the memo's lookup */
    int*        hit;        /* [2 cap] scratch of the memo's lookup */
    bool        memo;       /* jepa_enc_cache_memo: slots keep the last calls' images */
    JepaKpMemo  slots[2];   /* memo: the last calls' distinct images and keypoints, one slot per
                               parameter set (callers alternate the online and the target encoder) */
    uint64_t    clock;      /* the memo's use count */
    int         computed[2]; /* images the last call put through each branch (the rest were read) */
} JepaEncCache;

struct JepaScratch {
    int          cap;       /* windows the buffers hold */
    float*       x;         /* [cap, H, W, context * channels] the encoder's input */
    float*       pin;       /* [cap, h, w, C + JEPA_PUSH_CHANNELS] the predictor's input */
    uint8_t*     act;       /* [cap, h, w] pred_gate: the cells the predictor may change */
    JepaEncCache enc;
    NnConvCache  pred;
};

/// the encoder's cache (zeroed to start): keep_cols as nn_convnet_cache_keep_cols
void jepa_enc_cache_keep_cols(JepaEncCache* c);
/// the bytes jepa_enc_cache_reserve takes for n images (keep_cols: jepa_enc_cache_keep_cols); a
/// memory estimate made before reserving
size_t jepa_enc_cache_bytes(const JepaModel* m, int n, bool keep_cols);
void jepa_enc_cache_reserve(const JepaModel* m, JepaEncCache* c, int n);
void jepa_enc_cache_free(JepaEncCache* c);
/// the cache of an encoder that is never differentiated (the trainer's target encoder, whose
/// windows of a rollout are consecutive): keypoint_cv's images (each window's last frame and the
/// one before, or their changes) that equal an earlier image of the batch are not computed again
/// but read (the same bits: every image goes through the branch alone). jepa_enc_backward must not
/// be called with it
void jepa_enc_cache_share(JepaEncCache* c);
/// shared, and a memo too (every JepaScratch; before the cache's first reserve): an image of one of
/// the last calls with the same keypoint parameters is read as well (a stream's tick reads its frame
/// before from the tick before, a batch from the batch before)
void jepa_enc_cache_memo(JepaEncCache* c);
/// the encoder with parameters params (m->params or m->target): x[n, H, W, context * channels] ->
/// the latent [n, cells, C] (inside the cache)
const float* jepa_enc_forward(const JepaModel* m, const float* params, JepaEncCache* c, int n, const float* x);
/// backward from dz[n, cells, C] (may be modified): accumulates the encoder's gradients into grads
void jepa_enc_backward(const JepaModel* m, const float* params, float* grads, JepaEncCache* c, int n,
                       const float* x, float* dz);

/// pred_gate: act[B * cells] = 1 for the cells the predictor may change (motion evidence in the
/// predictor's input pin, JepaArch.pred_gate, within a cell of them), 0 for those it keeps; without
/// pred_gate every cell is 1. Returns the count of 1s
size_t jepa_pred_active(const JepaModel* m, int B, const float* pin, uint8_t* act);
/// one predictor step's residual over rows = B * cells latent cells: next = z + d, and with
/// keypoint_cv each keypoint's velocity (z's vx, vy) added to its offsets (dx, dy); a cell whose
/// act is 0 keeps z exactly (act NULL: every cell changes). next may alias z
void jepa_pred_residual(const JepaModel* m, size_t rows, const float* z, const float* d, const uint8_t* act,
                        float* next);
/// its backward: prev += g + dp (dp: the predictor's gradient on z through its input), and with
/// keypoint_cv each offset's gradient added to its velocity's where act is 1 (NULL: everywhere). The
/// predictor's own gradient is g where act is 1 and 0 elsewhere (jepa_pred_gate_grad)
void jepa_pred_residual_backward(const JepaModel* m, size_t rows, const float* g, const float* dp, size_t dp_stride,
                                 const uint8_t* act, float* prev);
/// dy[rows, C] = 0 in the cells whose act is 0 (act NULL: nothing)
void jepa_pred_gate_grad(const JepaModel* m, size_t rows, const uint8_t* act, float* dy);

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
