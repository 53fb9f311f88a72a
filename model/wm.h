/* wm: the world model -- an object-centric relational dynamics model (Interaction Networks / GNS).
 *
 * Input: one observation per world (see sim/observation.h): states[K * D] (D = SIM_OBS_DIM),
 * mask[K] (1 = a live body in the slot) and a push per slot pushes[K * 4] = (jx, jy, px, py), the
 * impulse (N*s) and its point relative to the centre of mass (m, world axes) applied right after
 * this observation; zero rows for slots that are not pushed.
 *
 * Per live body: an encoder MLP; for every ordered pair (receiver i, sender j) of live bodies whose
 * surfaces are within arch.radius (all pairs when radius <= 0) an edge layer over relative position,
 * distance to the other body's surface and relative velocity; messages summed per receiver; a node
 * MLP that also sees the push. Outputs per dynamic body: the change of (vx, vy, omega) over one
 * control tick, and logits of three events (breaks within 0.5 s, in contact next tick, falls within
 * 0.5 s). Positions and angles are integrated from the predicted velocities. Static bodies
 * (is_static = 1) are nodes that are never predicted: their state is copied.
 *
 * WmModel holds the architecture, the flat parameters and the normalization statistics. WmScratch
 * holds per-batch activations; it is sized from the model, grows on demand and may be reused for
 * any batch size. A scratch belongs to one thread; a model may be shared read-only by many. */
#ifndef NUDGE_MODEL_WM_H
#define NUDGE_MODEL_WM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/world.h"

/// the event heads, in output order
enum { WM_EVENT_BREAK, WM_EVENT_CONTACT, WM_EVENT_FALL, WM_EVENTS };
/// ticks ahead covered by the "within 0.5 s" events (30 control ticks of 1/60 s)
#define WM_EVENT_HORIZON 30
/// floats per push row: jx, jy (N*s), px, py (m, from the centre of mass, world axes)
#define WM_PUSH_DIM 4

typedef struct WmArch {
    int   slots;   /* K: slots per observation (SIM_OBS_SLOTS = 32 by default) */
    int   dim;     /* D: floats per slot; must be SIM_OBS_DIM */
    int   latent;  /* encoder output width (default 64) */
    int   edge;    /* edge layer width = message width (default 96) */
    int   hidden;  /* node MLP hidden width (default 96) */
    float radius;  /* m: edges between bodies whose surfaces are within this; <= 0 = all pairs */
    float dt;      /* s: the control tick (1/60) */
} WmArch;

typedef struct WmModel WmModel;
typedef struct WmScratch WmScratch;

/// the default architecture for K slots
WmArch         wm_arch_default(int slots);
/// true when this nudge can build the architecture; false + one line naming what is not
/// ("latent width 0 is outside [1, 4096]") otherwise
bool           wm_arch_check(const WmArch* a, char* err, size_t err_size);
/// a fresh model with seeded initialization; NULL for an invalid arch (wm_arch_check says why)
WmModel*       wm_create(const WmArch* arch, uint64_t seed);
void           wm_free(WmModel* m);                      /* NULL-safe */
WmModel*       wm_clone(const WmModel* m);
/// copies weights, statistics and counters; false if the architectures differ
bool           wm_copy(WmModel* dst, const WmModel* src);
const WmArch*  wm_arch(const WmModel* m);
int            wm_param_count(const WmModel* m);
/// optimizer steps the weights have seen
int64_t        wm_train_steps(const WmModel* m);

WmScratch*     wm_scratch_create(const WmModel* m);
void           wm_scratch_free(WmScratch* s);            /* NULL-safe */

/// fills a push row [WM_PUSH_DIM] from a SimPush (the slot is push->body)
void           wm_push_row(float* row, const SimPush* push);

/// one tick ahead for B worlds: states[B*K*D], mask[B*K], pushes[B*K*4] (NULL = no pushes) ->
/// next_states[B*K*D] (dynamic columns predicted, static columns copied; empty slots copied) and
/// event_probs[B*K*WM_EVENTS] (probabilities in [0,1]; 0 for empty and static slots; may be NULL)
void           wm_predict(const WmModel* m, WmScratch* s, int B, const float* states,
                          const uint8_t* mask, const float* pushes, float* next_states,
                          float* event_probs);

/// H ticks ahead for B worlds: states[B*K*D], mask[B*K] (kept for the whole rollout),
/// pushes[B*H*K*4] (row (b, h, k) is applied right after tick h's state; NULL = none) ->
/// out_states[B*H*K*D] (entry (b, h) is the state h+1 ticks ahead) and out_events[B*H*K*WM_EVENTS]
/// (the event probabilities predicted from state h; may be NULL). Never produces NaN: a
/// non-finite prediction freezes that body (and is counted, see wm_nan_count).
void           wm_rollout(const WmModel* m, WmScratch* s, int B, const float* states,
                          const uint8_t* mask, const float* pushes, int H, float* out_states,
                          float* out_events);

/// non-finite predictions replaced so far with this scratch
int64_t        wm_nan_count(const WmScratch* s);

/* Checkpoints: versioned binary file (magic, version, architecture, observation schema hash,
 * normalization statistics, parameters, optional optimizer state, CRC-32), saved atomically. */

/// saves atomically; false + one line on failure
bool           wm_save(const WmModel* m, const char* path, char* err, size_t err_size);
/// NULL + one line ("model.bin: truncated ...") for a missing, truncated, corrupted, foreign or
/// mismatched file; never crashes
WmModel*       wm_load(const char* path, char* err, size_t err_size);

#endif
