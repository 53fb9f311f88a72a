/* wm_impl: the world model's insides, shared by the model/wm*.c files, rollout.c, checkpoint.c and
 * trainer.c only. Everyone else uses model/wm.h.
 *
 * The graph of one batch: nodes are the live bodies of every world; the dynamic ones are the rows
 * of every network (static bodies are never encoded: they are seen only through edges). Edges run
 * from a sender (dynamic or static) to a dynamic receiver of the same world when the sender's
 * surface is within arch.radius of the receiver's.
 *
 * Inputs are invariant by construction (README, "The model"): nothing a translation of the whole
 * scene changes enters except as a relative quantity; a static body is seen only through the
 * closest point of its surface, the signed distance and the normal there; mass enters as log mass
 * and as the log mass ratio on an edge; materials as the pair's combined friction and elasticity
 * (the products Chipmunk uses) on an edge. */
#ifndef NUDGE_MODEL_WM_IMPL_H
#define NUDGE_MODEL_WM_IMPL_H
#include <math.h>
#include <string.h>

#include "base/rng.h"
#include "model/nn.h"
#include "model/replay.h"
#include "model/wm.h"
#include "sim/observation.h"
#include "sim/shape.h"

/// node features, normalized: cos, sin, vx, vy, omega, kind one-hot (6), log w, log h, log mass,
/// breakable, at rest now (speed < WM_REST_SPEED and |omega| < WM_REST_OMEGA)
#define WM_NODE_NORM 16
/// then, not normalized: the push's velocity change dvx, dvy (m/s), 0.1 * domega (rad/s), a flag
#define WM_NODE_PUSH 4
#define WM_NODE_FEATS (WM_NODE_NORM + WM_NODE_PUSH)
/// edge features (receiver i, sender j), normalized:
///   the closest point q of j's surface to i's centre, from i's centre (2); the signed distance to
///   it (1); j's outward normal there (2); the gap between the two surfaces along that normal (1);
///   relative velocity v_j - v_i (2) and its normal and tangential parts (2); omega_j - omega_i (1);
///   the pair's friction and elasticity (2); contact scale: exp(-max(gap, 0) / 5 mm) and gap / 1 cm
///   clamped to [-1, 1] (2); for a dynamic sender only (zero for a static one): the centre offset
///   (2), its length (1), log(m_j / m_i) (1); 1 for a static sender (1)
#define WM_EDGE_FEATS 20
/// the raw edge feature that holds the gap between the two surfaces (m)
#define WM_EDGE_GAP 5
/// the raw edge features that hold the relative velocity's normal part (m/s; > 0: closing) and the
/// static sender's flag
#define WM_EDGE_CLOSING 8
#define WM_EDGE_STATIC 19
/// a sleeping body (wm_scratch_sleep) wakes when a changed body's surface comes this near (m)
#define WM_WAKE_GAP 0.05f
/// with WM_INPUT_SUPPORT, two more: how far j's surface reaches from q along the tangent
/// t = (-ny, nx) and along -t, each capped at WM_SUPPORT_CAP (the room before a support's edge)
#define WM_EDGE_SUPPORT 2
#define WM_SUPPORT_CAP 1.5f
/// with WM_INPUT_RELEASE, a body with no sender's surface this near its own (m) is unsupported: about
/// what a body falls from rest in one tick (g dt^2 = 2.7 mm), ten times a resting contact's overlap
#define WM_SUPPORT_GAP 0.002f
/// with WM_INPUT_IMPACT, two bodies whose gap after closing for one tick at their closing speed is
/// below this (m) are in contact this tick
#define WM_IMPACT_GAP 0.002f
/// with WM_INPUT_PAIR, three more after those (wm_edge_pair_at): the pair's contact scale (2) and
/// closing speed (1)
#define WM_EDGE_PAIR 3
/// with WM_INPUT_PRIOR, four more after those (wm_edge_prior_at): the share of the tick left after
/// the contact, the receiver's dvx, dvy (m/s) and domega (rad/s) from the pair's collision impulse
#define WM_EDGE_PRIOR 4
/// with WM_INPUT_PRIOR_JMAG, one more after those: log(1 + |J| / 1 N*s) of the collision's impulse on
/// the receiver
#define WM_EDGE_PRIOR_JMAG 1
/// the size of the velocity change in an edge's WM_INPUT_PRIOR features f (from wm_edge_prior_at): times
/// the receiver's mass, the collision impulse |J| (N*s) of WM_INPUT_PRIOR_JMAG and WM_INPUT_BREAK_GATE
static inline float wm_prior_dv_size(const float* f) {
    return sqrtf(f[1] * f[1] + f[2] * f[2]);
}
/// WM_INPUT_PRIOR's features in an edge's row (0 without it)
static inline int wm_edge_prior_n(const WmArch* a) {
    return (a->inputs & WM_INPUT_PRIOR) ? WM_EDGE_PRIOR + ((a->inputs & WM_INPUT_PRIOR_JMAG) ? WM_EDGE_PRIOR_JMAG : 0) : 0;
}
/// with WM_INPUT_EDGE_TIME, one more after those (wm_edge_time_at): the time to the end of the
/// sender's surface ahead of the receiver, in event horizons (wm.h)
#define WM_EDGE_TIME 1
/// the edge features of a model of this architecture
static inline int wm_edge_feats(const WmArch* a) {
    return WM_EDGE_FEATS + ((a->inputs & WM_INPUT_SUPPORT) ? WM_EDGE_SUPPORT : 0) +
           ((a->inputs & WM_INPUT_PAIR) ? WM_EDGE_PAIR : 0) + wm_edge_prior_n(a) +
           ((a->inputs & WM_INPUT_EDGE_TIME) ? WM_EDGE_TIME : 0);
}
/// where WM_INPUT_EDGE_TIME's feature sits in an edge's row (the last)
static inline int wm_edge_time_at(const WmArch* a) {
    return WM_EDGE_FEATS + ((a->inputs & WM_INPUT_SUPPORT) ? WM_EDGE_SUPPORT : 0) +
           ((a->inputs & WM_INPUT_PAIR) ? WM_EDGE_PAIR : 0) + wm_edge_prior_n(a);
}
/// where WM_INPUT_PRIOR's features start in an edge's row
static inline int wm_edge_prior_at(const WmArch* a) {
    return WM_EDGE_FEATS + ((a->inputs & WM_INPUT_SUPPORT) ? WM_EDGE_SUPPORT : 0) +
           ((a->inputs & WM_INPUT_PAIR) ? WM_EDGE_PAIR : 0);
}
/// where WM_INPUT_PAIR's features start in an edge's row
static inline int wm_edge_pair_at(const WmArch* a) {
    return WM_EDGE_FEATS + ((a->inputs & WM_INPUT_SUPPORT) ? WM_EDGE_SUPPORT : 0);
}
/// for every edge e, the pair's edge of the larger gap (e itself for a static sender or when the edge
/// back is not packed); uses s->impact_first / s->impact_edge. out[ne]
void wm_pair_edges(const WmModel* m, WmScratch* s, int* out);
/// sets flag[r] = 1 (leaves the others) for both rows of every pair of dynamic bodies hitting each
/// other this tick: closing faster than v (m/s) and within WM_IMPACT_GAP of touching after closing
/// for one tick, judged by the pair's edge of the larger gap (the rule of WM_INPUT_IMPACT). flag[nd]
void wm_mark_impacts(const WmModel* m, WmScratch* s, float v, uint8_t* flag);
/// WM_INPUT_IMPULSE: the impulse head's output unit (N*s)
#define WM_IMPULSE_SCALE 1.0f
/// moment of inertia per unit mass of a body's state row, approximated from its bounding box (ball:
/// solid disc): the push's and the impulse path's
float wm_inertia_per_mass(const float* st);
/// dynamics targets per tick: the velocity change beyond the push, dvx, dvy (m/s), domega (rad/s),
/// and the position residual after integrating with the velocities, ex, ey (m), eangle (rad)
#define WM_TARGETS 6
#define WM_DV 0
#define WM_EPS 3
/// output columns: the targets' means, the event logits, "at rest next tick", "breaks in the next
/// tick", then log sigma of each target (the variance head)
#define WM_OUT_EVENTS WM_TARGETS
#define WM_REST (WM_OUT_EVENTS + WM_EVENTS)
#define WM_BREAK_NOW (WM_REST + 1)
#define WM_LOGSIG (WM_BREAK_NOW + 1)
#define WM_OUTPUTS (WM_LOGSIG + WM_TARGETS)
/// logits trained with binary cross-entropy: the events, rest and break-now
#define WM_LOGITS (WM_EVENTS + 2)
/// log sigma (in units of a target's scale) is clamped to this range
#define WM_LOGSIG_MIN -9.0f
#define WM_LOGSIG_MAX 4.0f
#define WM_REST_SPEED 0.02f
#define WM_REST_OMEGA 0.1f
/// message-passing rounds at most
#define WM_MAX_ROUNDS 4

/// the integration sim/solver.c does in a control tick of n = 8 substeps (2 steps of 4; each adds
/// gravity, then moves): x' = x + h sum_i (v + i g h) = x + dt * (A * v_after_push + (1 - A) * v_next)
/// with 1 - A = (n + 1) / (2n) = 9/16 (checked on recorded free falls: A = 0.4375). A world with
/// other substeps leaves the difference to the position residual.
#define WM_INT_A 0.4375f

/// running mean / std (or root mean square) of feature columns (Chan's parallel Welford), saved in
/// checkpoints
typedef struct WmNorm {
    int     dim;
    bool    centered;  /* false: scale only (fmean = 0, fstd = root mean square), so 0 stays 0 */
    float   min_std;   /* a column that barely varies is scaled as if its std were this */
    double  count;
    double* mean;      /* [dim] */
    double* m2;        /* [dim] */
    float*  fmean;     /* [dim] used by the forward pass */
    float*  fstd;      /* [dim] */
    float*  lo;        /* [dim] the smallest value seen (+inf before any) */
    float*  hi;        /* [dim] the largest (-inf before any) */
} WmNorm;

void wm_norm_init(WmNorm* n, int dim, bool centered, float min_std);
void wm_norm_free(WmNorm* n);
void wm_norm_copy(WmNorm* dst, const WmNorm* src);
/// adds rows x[rows, dim] (stops adding once count reaches WM_NORM_MAX_COUNT) and refreshes fmean/fstd;
/// the range lo..hi grows with the rows added
void wm_norm_update(WmNorm* n, int rows, const float* x);
/// recomputes fmean / fstd from count, mean, m2
void wm_norm_refresh(WmNorm* n);
#define WM_NORM_MAX_COUNT 2e6

/// one round of message passing: edge layer [receiver | sender] from the latent, edge features,
/// and (all but the last round) the residual node update from [latent | messages]
typedef struct WmRound {
    NnLinear e_node;   /* latent -> [receiver part | sender part] (its bias unused) */
    NnLinear e_geom;   /* edge features -> edge layer (its bias is the edge bias) */
    NnLinear update;   /* [latent | messages] -> latent increment (last round: unused) */
} WmRound;

struct WmModel {
    WmArch   arch;
    NnLayout layout;
    NnMlp    enc;      /* node features -> latent */
    WmRound  round[WM_MAX_ROUNDS];
    NnMlp    node;     /* [latent | last messages | node features] -> outputs */
    NnLinear impulse;  /* WM_INPUT_IMPULSE: last round's edge activation -> impulse (jx, jy) / WM_IMPULSE_SCALE */
    NnLinear brk;      /* WM_INPUT_BREAK_GATE: z -> the break-now logit's addition (1 x 1, from zero) */
    NnLinear gate;     /* WM_INPUT_PRIOR_GATE: last round's edge activation -> the collision's gain logits (linear,
                          angular): gain 2 sigmoid(z) */
    int      nparams;
    float*   params;
    WmNorm   nin, ein, tgt;
    int64_t  steps;
    uint64_t seed;
};

/// WM_INPUT_PRIOR_SUPPORT: one contact point of a pair, a (dynamic, row ra) and b (row rb, -1 for a
/// static body); the normal n points from b into a; r = the point from each centre (m)
typedef struct WmContact {
    int   ea, eb;          /* the edges that carry a's and b's share (eb -1: none, b static) */
    int   ra, rb;
    float rax, ray, rbx, rby, nx, ny;
    float k;               /* 1 / the pair's effective mass along n at the point */
    float target;          /* the separating speed wanted (m/s) */
    float lambda;          /* the impulse found (N*s, >= 0) */
    float kt, mu;          /* WM_INPUT_PRIOR_FRICTION: 1 / the effective mass along the tangent
                              t = (-ny, nx); the pair's friction (0: none) */
    float lambda_t;        /* the tangential impulse found (N*s, along t) */
    float gap, elast;      /* WM_INPUT_PRIOR_SUBSTEP: the surfaces' distance at the current substep's
                              start (m, negative overlapping); the pair's elasticity product */
    float jn, jt, vn0;     /* the current substep's normal and tangential impulses, and the
                              separating speed at its start (m/s) */
    float left;            /* the share of the tick left after the contact */
    bool  off;             /* WM_INPUT_PRIOR_SWEEP: left out of the solve (a pair apart, while the
                              touching contacts are solved alone) */
    float sv_n, sv_t;      /* WM_INPUT_PRIOR_SETTLE: its normal and tangential relative speeds at the
                              last sweep's end */
    /* WM_INPUT_PRIOR_RECHECK: a point not yet closing, kept for the next rounds: the candidate (its
     * point, normal from b into a, gap, and the shape it lies on) and the pair's nodes */
    double cpx, cpy, cnx, cny, cd;
    int   con, ia, ib;
} WmContact;

struct WmScratch {
    WmArch   sized;        /* the architecture the buffers below were sized for */
    int      node_cap, edge_cap, world_cap;
    /* the packed batch: n live bodies, nd of them dynamic (the rows), ne edges */
    int      B, n, nd, ne;
    int*     node_world;   /* [n] */
    int*     node_slot;    /* [n] */
    int*     node_row;     /* [n] a node's row, -1 for a static node */
    int*     row_node;     /* [nd] a row's node */
    SimShape* shape;       /* [n] the body's shape (world coordinates); when stepping incrementally,
                              the slot's record (inc_shape) holds it instead */
    float*   reach;        /* [n] radius of a circle about the body's centre that holds its shape
                              (m); -1 when the row shows no shape */
    float*   bounds;       /* [n*4] the shape's bounding box: xmin, ymin, xmax, ymax (m) */
    float*   logs;         /* [slots*6] per slot the last w, h, mass seen (any world) and their
                              logs as the features take them */
    SimShapeForm* form;    /* [slots] the form (kind and size) of the last shape built for each slot,
                              of any world: a body's form is built once, not at every step */
    int*     recv;         /* [ne] receiver row */
    int*     send;         /* [ne] sender node */
    int*     send_row;     /* [ne] sender row, -1 for a static sender */
    float*   state;        /* [n*D] the (possibly noisy) state of each node */
    float*   pdv;          /* [nd*3] the push's velocity change (dvx, dvy, domega) */
    float*   brkz;         /* [nd] WM_INPUT_BREAK_GATE: each row's z (0 for a body that cannot break) */
    uint8_t* release;      /* [nd] WM_INPUT_RELEASE, WM_INPUT_IMPACT: the rest gate may not hold this row (wm_step) */
    uint8_t* hit;          /* [nd] wm_loss with an impact weight: a dynamic body is hitting this row */
    int*     impact_first; /* [nd+1] WM_INPUT_IMPACT: the edges into row r are impact_edge[impact_first[r] ..
                              impact_first[r+1]) */
    int*     impact_edge;  /* [ne] */
    int*     pair_edge;    /* [ne] WM_INPUT_PAIR, WM_INPUT_IMPACT: wm_pair_edges' */
    WmContact* contact;    /* [2*edge_cap] WM_INPUT_PRIOR_SUPPORT: the contacts of the solve */
    long       prior_sweeps;  /* WM_INPUT_PRIOR_SUPPORT: the sweeps over contacts the last pack's solve
                                 made, summed over its islands (and substeps) */
    int        prior_nc;      /* WM_INPUT_PRIOR_SUPPORT: the last pack's contacts (the first of contact[]) */
    int*       island;        /* [node_cap] WM_INPUT_PRIOR_SUPPORT: each row's island, as the row at its
                                 root: the rows joined by the last pack's contacts between dynamic bodies */
    int*       island_count;  /* [node_cap+1] (the contacts of each island, then where its run starts) */
    uint64_t*  island_mask;   /* [node_cap] wm_inc_select: by root row, the slots of the island's rows */
    uint8_t*   touched;       /* [node_cap] stepping incrementally (inc_keep): the rows whose contacts the
                                 last pack computed (prior_touched); the others' prior is their record's */
    int*       contact_order; /* [2*edge_cap] the contacts' indices, island by island (each island's in the
                                 order of their edges) */
    float*   pgs;          /* [node_cap*5] WM_INPUT_PRIOR_SUPPORT: each row's vx, vy, omega, 1/m, 1/I */
    float*   ptime;        /* [node_cap] WM_INPUT_PRIOR_RECHECK: when in the tick each row's last contact acts (s) */
    uint8_t* held;         /* [n] the last wm_step's rest gate held node i still (eval's gate figures; 0 for a
                              node repeating its record in incremental stepping) */
    float*   xraw;         /* [nd*WM_NODE_NORM] */
    float*   xn;           /* [nd*WM_NODE_FEATS] */
    float*   eraw;         /* [ne*WM_EDGE_FEATS] */
    float*   xe;           /* [ne*WM_EDGE_FEATS] */
    /* activations, per round r: Z[r] = latent in (nd x L), U[r] = [Z[r] | messages] (nd x (L+E)),
     * P[r] = receiver/sender parts (nd x 2E), H[r] = edge activations (ne x E), A[r] = update
     * pre-activation (nd x L) */
    NnMlpCache enc_c, node_c;
    float*   Z[WM_MAX_ROUNDS];
    float*   U[WM_MAX_ROUNDS];
    float*   P[WM_MAX_ROUNDS];
    float*   H[WM_MAX_ROUNDS];
    float*   A[WM_MAX_ROUNDS];
    float*   dec;          /* [nd*(L+E+F)] the decoder's input */
    float*   out;          /* [nd*WM_OUTPUTS] (inside node_c), row r = node row_node[r] */
    /* gradients */
    float*   dout;         /* [nd*WM_OUTPUTS] */
    float*   ddec;         /* [nd*(L+E+F)] */
    float*   dU;           /* [nd*(L+E)] */
    float*   dP;           /* [nd*2E] */
    float*   dZ;           /* [nd*L] */
    float*   dM;           /* [nd*E] */
    float*   dHj;          /* [ne*E] WM_INPUT_IMPULSE, WM_INPUT_PRIOR_GATE: the last round's edge activations'
                              gradient through the impulse and gate heads */
    float*   dzg;          /* [ne*2] WM_INPUT_PRIOR_GATE: the gate logits' gradient per edge */
    /* loss inputs, per row: raw dynamics targets (wm_loss normalizes them), 0/1 labels */
    float*   target;       /* [nd*WM_OUTPUTS] */
    float*   weight;       /* [nd*WM_OUTPUTS] */
    /* rollout state */
    float*   cur;          /* [B*K*D] */
    uint8_t* cur_mask;     /* [B*K] */
    uint8_t* tmp_mask;     /* [B*K] wm_predict's copy when the caller keeps its mask */
    int16_t* parent;       /* [B*K] a shard's parent slot in the last rollout, -1 */
    int64_t  nans;
    int64_t  breaks;       /* bodies shattered in imagination */
    /* incremental stepping (wm_scratch_incremental, wm_incremental.c): per (world, slot), what
     * the slot held at the last step and, for a dynamic body, what its prediction was computed
     * from and gave. A body whose inputs within arch.rounds edges did not change repeats it */
    bool     inc_on;
    bool     inc_sleep;    /* bodies at rest sleep through far changes (wm_scratch_sleep) */
    bool     inc_step;     /* this step computes a selection of rows (wm_forward keeps records) */
    bool     stepped;      /* the packed batch and its outputs are the last wm_step's */
    bool     inc_emptied;  /* wm_pack may have seen a recorded slot empty (wm_inc_select clears those) */
    int      inc_B;        /* worlds the records are for; 0 = none */
    int      inc_cap;      /* worlds allocated */
    const WmModel* inc_model;
    uint8_t* inc_kind;     /* [B*K] 0 nothing, 1 a dynamic body's record, 2 a static body */
    uint8_t* inc_pushed;   /* [B*K] the record was computed with a push */
    uint64_t* inc_senders; /* [B*K] the slots of its senders (bit k = slot k) */
    uint64_t* inc_island;  /* [B*K] WM_INPUT_PRIOR_SUPPORT: the slots of its island's rows (bit k = slot k) */
    uint64_t* inc_wdirty;  /* [B] wm_inc_select: per world, the slots of its rows that changed */
    int*     inc_slotrow;  /* [B*K] prior_touched: the row of each (world, slot), -1 */
    float*   inc_prior;    /* [B*K*K*wm_edge_prior_n] WM_INPUT_PRIOR_SUPPORT: the prior features of the edge
                              into the slot's record from each sender slot */
    bool     inc_keep;     /* the last wm_pack kept the shapes in the slots' records (inc_shape) */
    float*   inc_state;    /* [B*K*D] */
    float*   inc_out;      /* [B*K*WM_OUTPUTS] */
    float*   inc_events;   /* [B*K*WM_EVENTS] the record's event probabilities (its logits' sigmoids) */
    float*   inc_psend;    /* [B*K*rounds*E] its sender half of P, per round */
    SimShape* inc_shape;   /* [B*K] the shape of the slot's state */
    float*   inc_reach;    /* [B*K] */
    float*   inc_bounds;   /* [B*K*4] the shape's bounding box */
    float*   inc_turn;     /* [B*K*3] the cos, sin of a slot's row when its angle was last taken, and
                              atan2f(sin, cos): wm_step and the surprise take it once per state */
    float*   inc_risk;     /* [B*K*(1+SIM_OBS_DYNAMIC)] the surprise last scored from the record: its NLL
                              (NaN: none since the record was made), then the dynamic columns of the
                              next state it was scored against (wm_surprise_last) */
    uint8_t* node_same;    /* [n] the node's row is the slot's recorded state (WM_SAME_WORLD: and so
                              is its whole world, unpushed: its edges were not packed) */
    /* the step's selection: node_reuse[i] = 1 for a dynamic node that repeats its record (its
     * node_row is then -1); ng senders that stand in as rows nd.. through their recorded P */
    uint8_t* node_reuse;   /* [n] */
    uint8_t* node_dirty;   /* [2n] */
    uint64_t* row_senders; /* [nd] */
    int*     ghost_of;     /* [n] a node's stand-in row, -1 */
    int*     ghost_node;   /* [n] */
    int      ng;
};

/// node_same's value for a node of a world that is all as recorded (wm_pack, wm_inc_select)
#define WM_SAME_WORLD 2

/// lays out and allocates a model's parameters (not initialised)
WmModel* wm_alloc(const WmArch* arch);
bool     wm_arch_valid(const WmArch* a);
/// FNV-1a over the observation columns' names and units: the schema a model was trained on
uint32_t wm_schema_hash(void);
/// grows the scratch to n nodes / ne edges (aborts when memory runs out)
void     wm_scratch_reserve_nodes(const WmModel* m, WmScratch* s, int n);
void     wm_scratch_reserve_edges(const WmModel* m, WmScratch* s, int ne);

/// atan2f(row's sin, cos) for the row of slot idx (stepping incrementally: kept per slot while its
/// cos and sin are the same bits)
static inline float wm_turn(WmScratch* s, size_t idx, const float* row) {
    if (!s->inc_step) return atan2f(row[SIM_OBS_sin], row[SIM_OBS_cos]);
    float* t = s->inc_turn + idx * 3;
    if (memcmp(t, row + SIM_OBS_cos, sizeof(float) * 2) != 0) {
        memcpy(t, row + SIM_OBS_cos, sizeof(float) * 2);
        t[2] = atan2f(row[SIM_OBS_sin], row[SIM_OBS_cos]);
    }
    return t[2];
}
/// a body of state row st is at rest now (the node feature, the rest gate)
static inline bool wm_at_rest(const float* st) {
    float ax = fabsf(st[SIM_OBS_vx]), ay = fabsf(st[SIM_OBS_vy]);
    if (!(fabsf(st[SIM_OBS_omega]) < WM_REST_OMEGA)) return false;
    /* hypotf(vx, vy) is at least the larger part, and 0 for none: libm only in between */
    if (ax >= WM_REST_SPEED || ay >= WM_REST_SPEED) return false;
    if (ax == 0.0f && ay == 0.0f) return true;
    return hypotf(st[SIM_OBS_vx], st[SIM_OBS_vy]) < WM_REST_SPEED;
}
/// the "at rest next tick" logit above which wm_step holds an unpushed body of state row st still:
/// 0 (P = 1/2) for a moving body, logit(arch.rest_gate) for one at rest now
float    wm_rest_logit(const WmModel* m, const float* st);

/* wm_graph.c */
/// packs B worlds into the scratch (live slots = nodes, edges within the radius) and computes the
/// raw features; when rng is given, adds Gaussian noise to dynamic nodes' positions/velocities.
/// False when there is no dynamic body
bool     wm_pack(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                 const float* pushes, Rng* rng, float noise_pos, float noise_vel);
/// normalizes the raw features with the model's statistics
void     wm_features_normalize(const WmModel* m, WmScratch* s);
/// the velocity change (dvx, dvy, domega) a push row gives the body of state row st
void     wm_push_dv(const float* st, const float* push, float dv[3]);

/* wm_net.c */
/// forward pass over the packed batch; outputs in s->out [nd, WM_OUTPUTS] (dynamic nodes only)
void     wm_forward(const WmModel* m, WmScratch* s);
/// backward pass from s->dout; accumulates into grads[nparams]
void     wm_backward(const WmModel* m, WmScratch* s, float* grads);

/* wm_loss.c */
/// the raw targets [WM_TARGETS] of one body: from state st (as packed, maybe noisy or predicted),
/// its push's velocity change pd, to the observed next state s1
void     wm_target_row(const float* st, const float* pd, const float* s1, float dt, float* raw);
/// the same with the angles of st and s1 given (a0 = atan2f(st's sin, cos), a1 = s1's)
void     wm_target_row_turns(const float* st, const float* pd, const float* s1, float dt, float a0, float a1,
                             float* raw);
/// targets/weights for a packed batch of transitions (s1, m1, labels); raw_targets receives the
/// raw dynamics targets of the rows that have them; returns how many rows do
int      wm_targets(const WmModel* m, WmScratch* s, const WmTransitions* t, float* raw_targets);
/// loss weights of the parts
typedef struct WmLossWeights {
    float eps;     /* position residual MSE against the velocity MSE (default 0.5) */
    float nll;     /* the variance head's Gaussian NLL (default 0.05) */
    float events;  /* the event, rest and break-now BCE (default 0.5) */
    float brk;     /* the break and break-now heads' BCE, times events (default 1: as the others) */
    float onset;   /* the rest head's BCE on an onset row, times events (default 1: as the others): a
                      body at rest now (wm_at_rest), unpushed, that is not at rest next tick (it is
                      hit, its support tips or goes): the ticks where the rest gate must let go */
    float onset_speed; /* only onsets that move faster than this next tick (m/s), or turn faster than
                          5 times it (rad/s, as WM_REST_OMEGA to WM_REST_SPEED), weigh onset times
                          (default 0: every onset) */
    float onset_motion; /* the velocity and position means' MSE on an onset row (of onset_speed), times
                           the others' (default 1): how a body at rest starts to move (a plank that a
                           heavy ball lands on) */
    float impact;       /* the velocity and position means' MSE on a row that a dynamic body is hitting
                           (wm_mark_impacts at impact_speed), times the others' (default 1) */
    float impact_speed; /* m/s: the closing speed above which a pair is hitting (default 0.5) */
    float still;        /* the event heads' BCE (breaks, contact, falls) on a row whose body is at rest
                           now (wm_at_rest, pushed or not), times the others' (default 1): the rare
                           resting body that a push will send off weighs with the many that stay */
} WmLossWeights;
WmLossWeights wm_loss_weights_default(void);
/// loss of the packed batch against s->target/s->weight (the weighted MSE of the means, BCE of the
/// logits and, weighted by w->nll, the variance head's Gaussian NLL); fills s->dout when grad. The
/// NLL sees the means through a stopped gradient: it learns the error, never moves the mean. Its
/// part alone goes to *nll_loss (may be NULL): it may be negative, so reports leave it out
double   wm_loss(const WmModel* m, WmScratch* s, const WmLossWeights* w, bool grad, double* nll_loss);

/* wm_incremental.c */
/// records for B worlds of the model's shape (kept when they are for these already); false when
/// the model's slots do not allow incremental stepping (more than 64)
bool     wm_inc_fit(const WmModel* m, WmScratch* s, int B);
/// with s->inc_on, after wm_pack: keeps the rows whose inputs within arch.rounds edges changed
/// since the last step (and the edges into them), marks the others node_reuse, records what is
/// kept; returns the rows left to compute
int      wm_inc_select(const WmModel* m, WmScratch* s, const uint8_t* mask);
/// after wm_forward of a selection: records the computed rows' outputs
void     wm_inc_record(const WmModel* m, WmScratch* s);
/// the recorded output row of node i (node_reuse[i])
const float* wm_inc_out(const WmModel* m, const WmScratch* s, int i);
/// node i's outputs after a step: its computed row's (and the push's velocity change in *pdv), or
/// the record it repeated (incremental stepping; no push); NULL for a node with neither
const float* wm_node_out(const WmModel* m, const WmScratch* s, int i, const float** pdv);

/* rollout.c */
/// advances cur[B*K*D] (mask cur_mask[B*K], updated when a body shatters) one tick in place;
/// events[B*K*WM_EVENTS] may be NULL; shatter = replace bodies the model sees breaking by shards
void     wm_step(const WmModel* m, WmScratch* s, int B, float* cur, uint8_t* cur_mask,
                 const float* pushes, float* events, bool shatter);

/* checkpoint.c: the file format, with optional AdamW state (for --resume) */
#define WM_CKPT_MAGIC "NUDGEWM\0"
#define WM_CKPT_VERSION 2u
/// the most parts (training threads) whose noise streams a resume state holds
#define WM_RESUME_MAX_PARTS 8
/// what a run with averaged weights (nudge train --ema) also keeps in its checkpoint so that
/// --resume continues it exactly: the file's parameters are the average, these the weights the
/// optimizer trains, and the random streams of the batch sampler and of each part's input noise
typedef struct WmResume {
    float*   raw;                              /* [nparams], malloc'd by the loader (NULL on save: none) */
    uint64_t batch_rng[4];
    int32_t  parts;                            /* 1..WM_RESUME_MAX_PARTS */
    uint64_t noise_rng[WM_RESUME_MAX_PARTS][4];
} WmResume;
bool     wm_checkpoint_save(const WmModel* m, const NnAdamW* opt, const char* path, char* err,
                            size_t err_size);
/// the same, with a resume state after the optimizer state (rs may be NULL: none; it needs opt)
bool     wm_checkpoint_save_resume(const WmModel* m, const NnAdamW* opt, const WmResume* rs, const char* path,
                                   char* err, size_t err_size);
/// opt (may be NULL) receives the optimizer state when the file has one (*has_opt tells)
WmModel* wm_checkpoint_load(const char* path, NnAdamW* opt, bool* has_opt, char* err,
                            size_t err_size);
/// the same from the file's len bytes in memory (path names it in messages); never reads outside
/// data[0, len), whatever the bytes
WmModel* wm_checkpoint_parse(const unsigned char* data, size_t len, const char* path, NnAdamW* opt,
                             bool* has_opt, char* err, size_t err_size);
/// the same, and rs (may be NULL) receives the resume state when the file has one and opt is given
/// (rs->raw != NULL tells; free it with free)
WmModel* wm_checkpoint_parse_resume(const unsigned char* data, size_t len, const char* path, NnAdamW* opt,
                                    bool* has_opt, WmResume* rs, char* err, size_t err_size);
WmModel* wm_checkpoint_load_resume(const char* path, NnAdamW* opt, bool* has_opt, WmResume* rs, char* err,
                                   size_t err_size);
#endif
