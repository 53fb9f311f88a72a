/* jepa: a world model that learns from rendered frames (a joint-embedding predictive
 * architecture, as in V-JEPA 2-AC), beside the state model of model/wm.h.
 *
 * Input: a window of `context` consecutive frames (oldest first) of frame_w x frame_h pixels, gray
 * or RGB, as render/ draws them (render_world with the scene's rectangle). Velocity is visible in
 * the difference of the frames.
 *
 * Encoder: convolutions (channels-last, im2col + sgemm) halving the size three times, each with a
 * group norm and SiLU, a 3x3 layer, and a 1x1 projection: a latent grid of (frame_h / 8) x
 * (frame_w / 8) cells of `latent` channels, and with `keypoints` K > 0, 3K cell soft-argmax
 * channels after them (JepaArch.keypoints). The target encoder is an exponential moving average of
 * the encoder's parameters (a copy of the first enc_count floats of the flat array), never trained
 * by gradient.
 *
 * Predictor: from a latent grid and the pushes applied right after its last frame, the next
 * window's latent grid. A push enters in image space: its velocity change (jx, jy) / mass /
 * JEPA_PUSH_SCALE and a presence 1 are splatted bilinearly into three map channels at the cell under the push point, so
 * the model needs no object ids. 3x3 convolutions with group norm and SiLU, a 1x1 projection, and a
 * residual: z' = z + f([z | push map]). Several steps ahead is the predictor rolled out on its own
 * output.
 *
 * Surprise at a tick: the L1 distance between the latent predicted from the previous window (and
 * the push that followed it) and the target encoder's latent of the window that ends at this tick.
 *
 * JepaModel holds the architecture, the flat parameters and the target copy. JepaScratch holds
 * per-batch activations; it belongs to one thread and grows on demand. */
#ifndef NUDGE_MODEL_JEPA_H
#define NUDGE_MODEL_JEPA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/scenario.h"
#include "sim/world.h"

/// channels of the push map: the velocity change the push asks of its body (m/s, over
/// JEPA_PUSH_SCALE: the impulse over the body's observed mass) and presence
#define JEPA_PUSH_CHANNELS 3
#define JEPA_PUSH_SCALE 1.0f
/// pushes per world and step that the map takes (more are ignored)
#define JEPA_MAX_PUSHES 8
/// the keypoint temperatures' starting value (keypoint_sharp)
#define JEPA_KEYPOINT_TEMP 2.0f
/// the same for keypoints from the frames' change (keypoint_motion: the softmax weighs a pixel by
/// (1 + u^2)^T, so T = 1 is the heat's energy, linear in a body's sub-pixel place)
#ifndef JEPA_KEYPOINT_TEMP_MOTION
#define JEPA_KEYPOINT_TEMP_MOTION 1.0f
#endif
/// the objectness keypoint's intensity bands (keypoint_objness): a pixel's channel value v (0..1) gives
/// band j = 1 when v < JEPA_OBJ_LEVELS[j], else 0
#define JEPA_OBJ_BANDS 6
#define JEPA_OBJ_LEVELS {0.2f, 0.35f, 0.5f, 0.65f, 0.8f, 0.9f}
/// a pixel changed within a training window when one of its channels moved by more than this (0..1)
#define JEPA_OBJ_CHANGE 0.03f
/// the largest frame step (ticks between a window's frames)
#define JEPA_MAX_FRAME_STEP 16
/// pred_gate's motion evidence: a motion keypoint's strength, and a keypoint's speed in px a step.
/// A moving body's motion keypoint is about 4-6 strong; thresholds of 0.5 and 0.1 let the predicted
/// values beside it cross them, and the active region spread over a rollout (60% of the cells at
/// h30, against 19% with these)
#define JEPA_GATE_STRENGTH 2.0f
/// the largest keypoint_blur (heat-map pixels): its taps reach 3 sigma, NN_BLUR_MAX_RADIUS at most
#define JEPA_MAX_BLUR 4.0f
#define JEPA_GATE_SPEED 0.3f

typedef struct JepaArch {
    int   frame_w, frame_h;  /* pixels; multiples of 2^levels */
    int   channels;          /* 1 = gray, 3 = RGB */
    int   context;           /* frames per window (>= 2) */
    int   frame_step;        /* S: ticks between a window's frames, and between a window and the
                                next one the predictor predicts (1 = consecutive frames; files from
                                before it read as 1). A window ending at record t holds records
                                t - (context - 1) S, ..., t - S, t; one predictor step is S ticks
                                and takes the pushes of those S ticks */
    int   levels;            /* the encoder halves the frame this many times (2 or 3): the latent
                                grid is (frame_h >> levels) x (frame_w >> levels) */
    int   width;             /* encoder channels after the first layer (doubling at each halving) */
    int   latent;            /* channels of the latent grid from the convolutions */
    int   keypoints;         /* K: cell soft-argmax channels (0 = none; files before it read as 0).
                                A 1x1 convolution of the first layer's map (2^(levels-1) pixels of
                                it to a cell) gives K heat maps; per cell, each one's softmax over
                                the cell's pixels gives its expected offset from the cell's centre
                                (dx, dy in frame pixels) and its log-sum-exp: 3K more channels after
                                the `latent` ones, so that a small body's place within its cell,
                                and its motion, are linear in the latent. C = latent + 3K */
    int   keypoint_frames;   /* 1: the heat maps are a 1x1 convolution of the input window itself
                                (each frame's pixels, 2^levels of them to a cell's side; so a heat
                                map can follow one frame, and a motion is a difference of two
                                channels) instead of the first layer's map */
    int   keypoint_sharp;    /* 1: each cell's heats are normalised (mean 0, deviation 1) and scaled
                                by a learned temperature per keypoint channel (JEPA_KEYPOINT_TEMP at
                                the start) before the softmax, so that a small body's offset moves
                                with it one for one (nn_keypoint_forward's sharp kind); 0 = the plain
                                softmax of the heats (files before it) */
    int   keypoint_cv;       /* 1 (needs keypoint_frames): constant velocity on the keypoints. The
                                heats are a 3x3 convolution (padding 1) of ONE frame's pixels, the
                                same weights for the window's last frame and the one before it (S
                                ticks earlier), so each keypoint has an offset per frame; the
                                latent carries the last frame's (dx, dy, lse) per keypoint (3K
                                channels) and then its velocity (vx, vy: the last frame's offsets
                                minus the previous frame's, px per predictor step; 2K channels):
                                C = latent + 5K. The predictor adds each keypoint's velocity to its
                                offsets (next dx = dx + vx + f_dx; next vx = vx + f_vx), and its last
                                layer starts at zero on the keypoint channels, so an untrained
                                predictor already carries a moving keypoint on at its speed
                                (0 = none: files before it) */
    int   keypoint_motion;   /* 1 (needs keypoint_cv and context >= 3): the heats are a 3x3
                                convolution of a frame's *change*, not of its pixels: the last
                                frame's heats of the last frame minus the one before it, the
                                previous frame's of that one minus the one before it. Whatever
                                stands still changes nothing, so a cell's heats are even except
                                where something moves (offset 0, strength 0), and any filter's
                                response to a moving body moves with it: the offset follows a
                                small rolling ball one for one (a bench edge in its cell no longer
                                holds the softmax), whatever the weights. The softmax's logits are
                                T log(1 + u^2 / 0.01) of the normalised heat u (nn.h's energy kind:
                                a moving body's two crescents both count, and a sub-pixel move moves
                                the offset about as much), T starting at 1; a window where nothing
                                changed costs no transcendental. A body that stops loses its
                                keypoint (strength 0) at once (0 = the frame's pixels) */
    int   keypoint_overlap;  /* 1: each cell's softmax runs over a window twice the cell's side
                                centred on it (the heat map's edge repeated outside the frame), so
                                neighbouring cells' windows overlap by half a cell on each side and
                                a small body crossing a cell border is seen whole by both: its
                                offset in the cell it leaves goes on moving past the border instead
                                of stopping there; offsets span +-1 cell (0 = the cell's own
                                pixels) */
    int   keypoint_appear;   /* A (needs keypoint_motion and keypoint_sharp; 0 <= A < keypoints): the
                                last A of the keypoint channels are *appearance* keypoints: their
                                heats are a 3x3 convolution (their own weights) of the frame's pixels,
                                not of its change, through the sharp softmax (not the energy one),
                                for the last frame and the one before it as the others, so that they
                                mark a body whether it moves or not (a resting body gets a place
                                within its cell, a glass a mark of its own) while the first K - A
                                follow motion. The latent's layout is that of K keypoints (the
                                predictor carries them on at their velocity alike; 0 = none: files
                                before it) */
    int   keypoint_objness;  /* 1 (needs keypoint_appear A >= 1): the last appearance keypoint is an
                                *objectness* keypoint. Every appearance heat then reads the frame's
                                pixels and JEPA_OBJ_BANDS intensity bands of them (1 where a
                                channel's value is below each of JEPA_OBJ_LEVELS, else 0), and the
                                objectness heat's softmax is the plain one of its heats (their level
                                says how sure it is; no normalisation, no temperature), trained
                                beside the prediction by a logistic loss to mark the pixels that
                                change within the training window (train --objness-weight): what
                                moves, learned by watching, so that a body at rest looks like the
                                bodies that were seen to move and the table under it does not
                                (0 = none: files before it) */
    float keypoint_blur;     /* sigma > 0 (needs keypoint_appear): the appearance heats are blurred by a
                                Gaussian of sigma heat-map pixels (nn_blur) before their softmax, so that
                                a body's heat peaks at its centre rather than anywhere over it (a
                                perfect grey-level mask of the bodies, read by the cell probe: 3.1 px off
                                in view unblurred, 1.9 px at sigma 1; docs/pixel-model-experiments.md).
                                The objectness loss still reads the unblurred heat (0 = none: files
                                before it) */
    int   pred_gate;         /* 1 (needs keypoint_motion): the predictor changes only the cells with
                                motion evidence within a cell of them (a motion keypoint's strength
                                above JEPA_GATE_STRENGTH, a keypoint's velocity above
                                JEPA_GATE_SPEED px a step, or a push); every other cell keeps its
                                latent exactly, so that a still world stays still over any rollout
                                instead of drifting (jepa_pred_active; 0 = every cell: files before
                                it) */
    int   hidden;            /* predictor channels */
    int   pred_layers;       /* 3x3 layers of the predictor (>= 1) */
    int   groups;            /* group norm groups (divides width, 2 width, 4 width, hidden) */
    float dt;                /* s between frames */
} JepaArch;

/// a push in image space: the point in frame pixels (u right, v down, from the top-left corner),
/// the impulse (N*s, world axes: y up) and the pushed body's mass as observed (kg; 0 = unknown: the
/// map takes the impulse as it is). The map carries jx / mass, jy / mass: the velocity change the
/// push asks for, which is what the agents draw (dv times the mass), so a push of a heavy body and
/// of a light one look alike, and a body whose mass changed unseen moves unexpectedly
typedef struct JepaPush {
    float u, v, jx, jy, mass;
} JepaPush;

typedef struct JepaModel JepaModel;

/// the camera a model's frames come from: a model sees at test time what it trained on
typedef enum JepaFraming {
    JEPA_FRAMING_SCENE = 0,   /* render_scene_rect: the bodies with 0.3 m of room (files before it) */
    JEPA_FRAMING_EVENTS = 1,  /* render_frame_rect: room to fall and land (gen --frames since) */
} JepaFraming;
typedef struct JepaScratch JepaScratch;

/// the default architecture for frames of w x h pixels
JepaArch   jepa_arch_default(int frame_w, int frame_h, int channels);
/// false + one line when the architecture cannot be built
bool       jepa_arch_check(const JepaArch* a, char* err, size_t err_size);
/// a fresh model with seeded initialization (the target encoder a copy of the encoder); NULL for
/// an invalid arch
JepaModel* jepa_create(const JepaArch* arch, uint64_t seed);
void       jepa_free(JepaModel* m);                     /* NULL-safe */
JepaModel* jepa_clone(const JepaModel* m);
/// copies parameters, target and counters; false if the architectures differ
bool       jepa_copy(JepaModel* dst, const JepaModel* src);
const JepaArch* jepa_arch(const JepaModel* m);
int        jepa_param_count(const JepaModel* m);
int64_t    jepa_train_steps(const JepaModel* m);
/// the camera its frames come from (a new model: JEPA_FRAMING_EVENTS, what gen --frames writes;
/// a file records it)
JepaFraming jepa_framing(const JepaModel* m);
void        jepa_set_framing(JepaModel* m, JepaFraming f);
/// whether its frames are antialiased (gen --frames-aa; a file records it, files before it and a
/// new model: false, render_world's hard edges). What renders frames for it renders them so
bool        jepa_frames_aa(const JepaModel* m);
void        jepa_set_frames_aa(JepaModel* m, bool aa);
/// whether its frames' dynamic bodies are outlined (gen --frames-outline; a file records it, files
/// before it and a new model: false)
bool        jepa_frames_outline(const JepaModel* m);
void        jepa_set_frames_outline(JepaModel* m, bool outline);
/// draws world w as the model's frame: frame_w x frame_h pixels of its channels, the world
/// rectangle rect (jepa_frame_rect), antialiased when jepa_frames_aa, outlined when jepa_frames_outline
void        jepa_render(const JepaModel* m, const SimWorld* w, const double rect[4], uint8_t* frame);
/// the world rectangle the model's frames of a scene show, by its camera (render_scene_rect or
/// render_frame_rect); m NULL: a new model's (render_frame_rect)
void        jepa_frame_rect(const JepaModel* m, const ScnInstance* inst, double rect[4]);
/// the pixel (u right, v down) of world point (x, y) in a frame_w x frame_h frame of the world
/// rectangle rect: jepa_render's camera (a push map's place)
void        jepa_frame_px(int frame_w, int frame_h, const double rect[4], double x, double y, float* u, float* v);
/// the slot probe's features of a latent: each cell's first arch.latent channels (the
/// convolutions'; the keypoint channels are left to the cell probe, which reads every channel, so
/// that the slot probe's per-slot ridge solves keep their size): jepa_probe_width floats per world,
/// the latent itself without keypoints. x may alias z
int  jepa_probe_width(const JepaModel* m);
void jepa_probe_features(const JepaModel* m, int B, const float* z, float* x);
/// the event heads trained with the model (nudge train --event-weight; model/jepa_events.h): two
/// logistic heads, JEPA_EVENT_AHEAD (a break anywhere in the frame in the next 30 records) and
/// JEPA_EVENT_SEEN (one in the last 30), on the trained encoder's latent pooled over its cells (per
/// channel the mean, largest and smallest value: F = 3C features, C = jepa_latent_shape's c). w: the
/// ahead head's F weights and bias, then the seen head's (JEPA_EVENT_HEADS (F + 1) floats), the bias
/// already at the data's base rate. Returns F, 0 (and *w NULL) for a model without them
enum { JEPA_EVENT_AHEAD = 0, JEPA_EVENT_SEEN = 1, JEPA_EVENT_HEADS = 2 };
int  jepa_event_heads(const JepaModel* m, const float** w);
/// sets (copies) the heads: F = 3C and w as above, or F = 0 (w ignored): none
void jepa_set_event_heads(JepaModel* m, int F, const float* w);
/// the latent grid: h x w cells of c channels; jepa_latent_size = h * w * c floats per world
void       jepa_latent_shape(const JepaModel* m, int* h, int* w, int* c);
int        jepa_latent_size(const JepaModel* m);

JepaScratch* jepa_scratch_create(const JepaModel* m);
void         jepa_scratch_free(JepaScratch* s);          /* NULL-safe */

/// latents z[B * latent_size] of B windows: frames[b * context + f] points at frame f (oldest
/// first) of window b, frame_h rows of frame_w pixels of `channels` bytes. target: the target
/// (EMA) encoder, else the trained one
void jepa_encode(const JepaModel* m, JepaScratch* s, int B, const uint8_t* const* frames,
                 bool target, float* z);
/// one step ahead for B worlds: z[B * latent_size] and world b's npushes[b] pushes at
/// pushes[b * JEPA_MAX_PUSHES ...] (npushes may be NULL: none) -> next[B * latent_size] (may
/// alias z)
void jepa_predict(const JepaModel* m, JepaScratch* s, int B, const float* z,
                  const JepaPush* pushes, const int* npushes, float* next);
/// the push map [h * w * JEPA_PUSH_CHANNELS] of one world's n pushes (zeroed first)
void jepa_push_map(const JepaModel* m, const JepaPush* pushes, int n, float* map);
/// frames a window spans: (context - 1) * frame_step + 1
int  jepa_window_span(const JepaModel* m);

/// a stream of frames scored as they come (the surprise source, the view's live model): a ring of
/// the last jepa_window_span frames, and of the latents and pushes of the last frame_step ticks.
/// Each frame is the one after a tick, with the pushes applied in that tick. Once a window is
/// complete, the frame's window is encoded (obs: the target encoder; z: the trained one), and when
/// the window frame_step ticks before was encoded too, pred is predicted from its z and the pushes
/// of the ticks since (at most JEPA_MAX_PUSHES)
typedef struct JepaStream JepaStream;
JepaStream*  jepa_stream_create(const JepaModel* m);
void         jepa_stream_free(JepaStream* st);                 /* NULL-safe */
/// forgets every frame (a cut)
void         jepa_stream_reset(JepaStream* st);
/// the model it reads (the weights may change between frames; the architecture may not)
void         jepa_stream_set_model(JepaStream* st, const JepaModel* m);
/// adds a frame and the n pushes before it. encode false: the frame only fills the window (its
/// latent is left out, so the window frame_step ticks later is not predicted). Returns 0 while the
/// window is incomplete or not encoded, 1 when obs and z hold this window's latents, 2 when pred
/// holds its prediction too
int          jepa_stream_add(JepaStream* st, const uint8_t* frame, const JepaPush* pushes, int n, bool encode);
/// the window of the newest frame, oldest first (context pointers); false while incomplete
bool         jepa_stream_window(const JepaStream* st, const uint8_t** win);
/// the latents of the last frame added: [latent size] each
const float* jepa_stream_obs(const JepaStream* st);
const float* jepa_stream_z(const JepaStream* st);
const float* jepa_stream_pred(const JepaStream* st);
/// the trained latent the last prediction started from (the window frame_step ticks before): [latent size]
const float* jepa_stream_from(const JepaStream* st);

/// surprise of B worlds at a tick: pred[B * latent_size] (predicted for this tick) against
/// observed[B * latent_size] (the target encoding of the window ending at this tick). mean[b]: the
/// mean absolute difference over the whole grid; peak[b] (may be NULL): the largest over cells of
/// a cell's mean absolute difference over its channels (a small body's surprise is not averaged
/// away by the still background)
void jepa_surprise(const JepaModel* m, int B, const float* pred, const float* observed,
                   float* mean, float* peak);
/// the same with the keypoint channels (those after arch.latent) weighing kw times a convolution
/// channel: mean[b] = sum of w_c |pred - observed| / sum of w_c over the grid (peak likewise per
/// cell). kw = 1 (or a model without keypoints) is jepa_surprise, the same bits
void jepa_surprise_weighted(const JepaModel* m, int B, const float* pred, const float* observed, float kw,
                            float* mean, float* peak);
/// a rollout against copying its start, cell by cell: for each of B windows, each cell's mean
/// absolute difference over its channels of pred (the rollout) and of copy (the latent it started
/// from) against target (the encoding of the window h steps on), summed into sum[0] (pred) and sum[1]
/// (copy) over every cell, and into sum[2] and sum[3] over the cells where something changed: a pixel
/// of the cell's block of frame before[b] and frame after[b] (frame_w x frame_h x channels bytes)
/// differs by more than thresh. count[0] and count[1] add the cells of each kind. A predictor that
/// adds nothing to its input scores the copy; one whose error grows past it has drifted
void jepa_rollout_vs_copy(const JepaModel* m, int B, const float* pred, const float* copy, const float* target,
                          const uint8_t* const* before, const uint8_t* const* after, int thresh, double sum[4],
                          int64_t count[2]);
/// the mean over the `top` cells with the largest error: each cell's figure is its mean absolute
/// difference over its channels, the keypoint channels weighing kw times a convolution channel (as
/// jepa_surprise_weighted's peak), and mean[b] is the mean of the `top` largest of them (a body
/// that covers a few cells is not averaged away by the still grid, and one noisy cell is not the
/// whole figure). top is clamped to 1..cells; top = cells is the weighted grid mean up to rounding.
/// work: [lh * lw] doubles of scratch
void jepa_surprise_top(const JepaModel* m, int B, const float* pred, const float* observed, float kw, int top,
                       double* work, float* mean);

/// accumulated evidence of a sustained rise in surprise, against a clip's own expectation (a
/// CUSUM): each tick's surprise x adds its excess over the mean of the ticks before it (since the
/// reset; an exponential average over JEPA_EVIDENCE_TICKS ticks once there are more), and the sum
/// is floored at 0. A force the model does not know raises its error a little at every tick: the
/// sum grows with the ticks. A still scene's noise wanders near 0, and one misjudged tick counts
/// once and then fades. NaN ticks are skipped
#define JEPA_EVIDENCE_TICKS 240
typedef struct JepaEvidence {
    double  sum;       /* the evidence so far */
    double  mean;      /* the expectation: the mean surprise of the ticks so far */
    int64_t n;         /* ticks added */
} JepaEvidence;
void   jepa_evidence_reset(JepaEvidence* e);
/// adds a tick's surprise; returns the evidence after it (0 at the first tick)
double jepa_evidence_add(JepaEvidence* e, double x);
/// the same with a slack: a tick adds its excess over (1 + k) times the mean, so that a signal that
/// wavers about its mean (noise) does not add up as a random walk, and only a sustained rise past
/// (1 + k) times the usual does (k = 0: jepa_evidence_add)
double jepa_evidence_add_slack(JepaEvidence* e, double x, double k);

/* Checkpoints: the model file (model/model_file.h: magic, version, kind) with kind
 * MODEL_KIND_JEPA: architecture, counters, parameters, target encoder, optional AdamW state,
 * CRC-32; saved atomically. */

/// saves atomically; false + one line on failure
bool       jepa_save(const JepaModel* m, const char* path, char* err, size_t err_size);
/// NULL + one line for a missing, truncated, corrupted, foreign or mismatched file
JepaModel* jepa_load(const char* path, char* err, size_t err_size);

#endif
