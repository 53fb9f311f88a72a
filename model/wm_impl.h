/* wm_impl: the world model's insides, shared by wm.c, rollout.c, checkpoint.c and trainer.c only.
 * Everyone else uses model/wm.h. */
#ifndef NUDGE_MODEL_WM_IMPL_H
#define NUDGE_MODEL_WM_IMPL_H
#include "base/rng.h"
#include "model/nn.h"
#include "model/replay.h"
#include "model/wm.h"

/// node features: cos, sin, vx, vy, omega and the 13 static columns (normalized)
#define WM_NODE_NORM 18
/// then, not normalized: push dv (m/s, 2), push domega (rad/s), pushed flag
#define WM_NODE_PUSH 4
#define WM_NODE_FEATS (WM_NODE_NORM + WM_NODE_PUSH)
/// edge features: dx, dy, dist, gap_x, gap_y, surface distance, dvx, dvy, domega, and at the
/// millimetre scale of contacts: touch = exp(-max(surface, 0) / 5 mm), gap_x and gap_y / 1 cm
/// clamped to [-1, 1]
#define WM_EDGE_FEATS 12
/// dynamics targets: dvx, dvy, domega per tick
#define WM_TARGETS 3
/// then one more logit: "at rest at t+1" (speed < WM_REST_SPEED, |omega| < WM_REST_OMEGA); a
/// rollout holds an unpushed body still when it is more likely than not (learned sleeping)
#define WM_REST (WM_TARGETS + WM_EVENTS)
#define WM_OUTPUTS (WM_REST + 1)
#define WM_REST_SPEED 0.02f
#define WM_REST_OMEGA 0.1f

/// running mean / std of feature columns (Chan's parallel Welford), saved in checkpoints
typedef struct WmNorm {
    int     dim;
    double  count;
    double* mean;    /* [dim] */
    double* m2;      /* [dim] */
    float*  fmean;   /* [dim] used by the forward pass */
    float*  fstd;    /* [dim] */
} WmNorm;

void wm_norm_init(WmNorm* n, int dim);
void wm_norm_free(WmNorm* n);
void wm_norm_copy(WmNorm* dst, const WmNorm* src);
/// adds rows x[rows, dim] (stops adding once count reaches WM_NORM_MAX_COUNT) and refreshes fmean/fstd
void wm_norm_update(WmNorm* n, int rows, const float* x);
/// recomputes fmean / fstd from count, mean, m2
void wm_norm_refresh(WmNorm* n);
#define WM_NORM_MAX_COUNT 2e6

struct WmModel {
    WmArch   arch;
    NnLayout layout;
    NnMlp    enc;      /* node features -> latent */
    NnLinear e_node;   /* latent -> [receiver part | sender part] of the edge layer (bias unused) */
    NnLinear e_geom;   /* edge features -> edge layer (its bias is the edge bias) */
    NnMlp    node;     /* [latent | summed messages | node features] -> outputs */
    int      nparams;
    float*   params;
    WmNorm   nin, ein, tgt;
    int64_t  steps;
    uint64_t seed;
};

struct WmScratch {
    int      node_cap, edge_cap, world_cap;
    /* the packed batch */
    int      B, n, ne;
    int*     node_world;   /* [n] */
    int*     node_slot;    /* [n] */
    uint8_t* node_dyn;     /* [n] 1 = dynamic (predicted) */
    int      nd;           /* dynamic nodes: the rows of the node MLP */
    int*     node_row;     /* [n] a node's row in U / out, -1 for static nodes */
    int*     row_node;     /* [nd] a row's node */
    int*     recv;         /* [ne] */
    int*     send;         /* [ne] */
    float*   state;        /* [n*D] the (possibly noisy) state of each node */
    float*   pdv;          /* [n*3] the push's velocity change (dvx, dvy, domega) */
    float*   xraw;         /* [n*WM_NODE_NORM] */
    float*   xn;           /* [n*WM_NODE_FEATS] */
    float*   eraw;         /* [ne*WM_EDGE_FEATS] */
    float*   xe;           /* [ne*WM_EDGE_FEATS] */
    /* activations */
    NnMlpCache enc_c, node_c;
    float*   P;            /* [n*2E] */
    float*   h;            /* [ne*E] */
    float*   U;            /* [nd*(L+E+F)] */
    float*   out;          /* [nd*WM_OUTPUTS] (inside node_c), row r = node row_node[r] */
    /* gradients */
    float*   dout;         /* [nd*WM_OUTPUTS] */
    float*   dU;           /* [nd*(L+E+F)] */
    float*   dP;           /* [n*2E] */
    float*   dz;           /* [n*L] */
    /* loss inputs */
    float*   target;       /* [nd*WM_OUTPUTS] */
    float*   weight;       /* [nd*WM_OUTPUTS] */
    /* rollout state */
    float*   cur;          /* [B*K*D] */
    int64_t  nans;
};

/// lays out and allocates a model's parameters (not initialised)
WmModel* wm_alloc(const WmArch* arch);
bool     wm_arch_valid(const WmArch* a);
/// FNV-1a over the observation columns' names and units: the schema a model was trained on
uint32_t wm_schema_hash(void);

/// packs B worlds into the scratch (live slots = nodes, edges within the radius) and computes the
/// normalized features; when rng is given, adds Gaussian noise to dynamic nodes' positions/velocities
bool     wm_pack(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                 const float* pushes, Rng* rng, float noise_pos, float noise_vel);
/// raw (unnormalized) features of the packed batch, for statistics updates
void     wm_features_raw(const WmModel* m, WmScratch* s);
/// normalizes the raw features with the model's statistics
void     wm_features_normalize(const WmModel* m, WmScratch* s);
/// forward pass over the packed batch; outputs in s->out [nd, WM_OUTPUTS] (dynamic nodes only)
void     wm_forward(const WmModel* m, WmScratch* s);
/// backward pass from s->dout; accumulates into grads[nparams]
void     wm_backward(const WmModel* m, WmScratch* s, float* grads);
/// targets/weights for a packed batch of transitions; returns the number of predicted nodes
int      wm_targets(const WmModel* m, WmScratch* s, const WmTransitions* t, float* raw_targets);
/// loss of the packed batch against s->target/s->weight; fills s->dout when grad
double   wm_loss(const WmModel* m, WmScratch* s, float event_weight, bool grad, double* dyn_loss,
                 double* event_loss);



/* checkpoint.c: the file format, with optional AdamW state (for --resume) */
#define WM_CKPT_MAGIC "NUDGEWM\0"
#define WM_CKPT_VERSION 1u
bool     wm_checkpoint_save(const WmModel* m, const NnAdamW* opt, const char* path, char* err,
                            size_t err_size);
/// opt (may be NULL) receives the optimizer state when the file has one (*has_opt tells)
WmModel* wm_checkpoint_load(const char* path, NnAdamW* opt, bool* has_opt, char* err,
                            size_t err_size);
#endif
