/* wm: the world model -- an object-centric relational dynamics model (Interaction Networks / GNS).
 *
 * Input: one observation per world (see sim/observation.h): states[K * D] (D = SIM_OBS_DIM),
 * mask[K] (1 = a live body in the slot) and a push per slot pushes[K * 4] = (jx, jy, px, py), the
 * impulse (N*s) and its point relative to the centre of mass (m, world axes) applied right after
 * this observation; zero rows for slots that are not pushed.
 *
 * Dynamic bodies are nodes: an encoder MLP over invariant per-body inputs (orientation, velocity,
 * kind, log size, log mass, breakable, the push). Edges run to every dynamic body from every body,
 * dynamic or static, whose surface is within arch.radius of its own; an edge sees the sender's
 * surface from the receiver: the closest point, the signed distance and the normal there, the gap
 * between the two surfaces, relative velocity, the pair's friction and elasticity, and for a
 * dynamic sender its centre offset and the log mass ratio (a static body is never described by its
 * centre or size, so a taller table or a wider shelf is no new input). arch.rounds rounds of
 * message passing (edge layer, summed messages, residual node update), then a decoder MLP.
 *
 * Outputs per dynamic body: the velocity change (vx, vy, omega) over one control tick beyond the
 * push, relative to constant velocity (a zero output is constant velocity); the position residual
 * that Chipmunk's contact corrections add after integrating with those velocities; the log of the
 * expected error of each (the variance head, trained with a Gaussian NLL; wm_surprise); logits of
 * three events (breaks within 0.5 s, in contact next tick, falls within 0.5 s); "at rest next tick"
 * (an unpushed body predicted at rest is held still); and "breaks in the next tick", which shatters
 * the body in a rollout into the pieces sim's own shatter gives (sim/breaking.h) in new slots.
 * Static bodies (is_static = 1) are never predicted: their state is copied.
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
    int   hidden;  /* decoder MLP hidden width (default 96) */
    int   rounds;  /* message-passing rounds, 1..4 (default 2) */
    float radius;  /* m: edges between bodies whose surfaces are within this; <= 0 = all pairs */
    float dt;      /* s: the control tick (1/60) */
    /* options of later models (checkpoint version 3); the defaults are what earlier models did */
    int   inputs;    /* WM_INPUT_* bits (default 0) */
    float rest_gate; /* an unpushed body at rest now is held still unless P(at rest next tick) is below
                        this; in (0, 1), default 0.5: the rule of every other body */
    float release_impact; /* m/s: with WM_INPUT_IMPACT, the closing speed above which a body in contact
                             is not held (see there); 0 without it */
} WmArch;

/// arch.inputs: normalized inputs clipped to the range training saw (an unseen kind or a heavier
/// material is the nearest seen value, not an extrapolation)
#define WM_INPUT_CLIP 1
/// arch.inputs: each edge also sees how far the sender's surface reaches on either side of the
/// closest point, along the contact's tangent (the room left before a support's edge)
#define WM_INPUT_SUPPORT 2
/// arch.inputs: the rest gate never holds a body that nothing supports (no surface within
/// WM_SUPPORT_GAP of its own: a body left at rest in the air or a few millimetres above a slope);
/// such a body moves as the dynamics heads say, whatever the rest head does
#define WM_INPUT_RELEASE 4
/// arch.inputs: the rest gate never holds a body that a dynamic body is hitting: the two are within
/// WM_IMPACT_GAP of touching after closing at their speed for one tick, and close faster than
/// arch.release_impact m/s along the contact normal (a steel ball landing on a balanced plank: the
/// plank moves as the dynamics heads say, whatever the rest head does). Both bodies of such a pair
/// are released
#define WM_INPUT_IMPACT 8
/// arch.release_impact's range with WM_INPUT_IMPACT, m/s
#define WM_IMPACT_MIN 0.001f
#define WM_IMPACT_MAX 100.0f
/// arch.inputs: each edge also sees the pair's contact as the sender sees it too: an edge sees its
/// sender from the receiver's centre, so a long plank's centre sees a ball over its end nearer than
/// touching long before it lands; the pair's gap is the larger of its two edges' gaps (each a lower
/// bound of the true one) and its closing speed the normal velocity on that edge (three features:
/// exp(-max(gap, 0) / 5 mm), gap / 1 cm clamped to [-1, 1], the closing speed; a static sender's edge
/// repeats its own)
#define WM_INPUT_PAIR 16
/// arch.inputs: an impulse path on the edges between two dynamic bodies: a linear head on the last
/// round's edge activation outputs an impulse J (N*s, world axes), applied +J to the receiver and -J
/// to the sender at the edge's closest point (dv = J / m, domega = (r x J) / I), added to what the
/// velocity head predicts; the head starts at zero (an untrained model predicts what it would
/// without it). Such a model steps every body at every tick (no incremental stepping)
#define WM_INPUT_IMPULSE 32
/// arch.inputs: each edge between two dynamic bodies also sees the impulse a frictionless collision
/// of the pair would give this tick, as its receiver's velocity change: judged on the pair's edge of
/// the larger gap (contact point q, normal n, the surfaces' closing speed c at q, turning included),
/// j = (1 + e) c / (1/m_a + 1/m_b + (r_a x n)^2 / I_a + (r_b x n)^2 / I_b) along n when the pair
/// closes to touching within the tick,
/// (dvx, dvy, domega) = (j n / m, (r x j n) / I) for the receiver, and the share of the tick left
/// after the contact (four features; zero for a static sender or a pair not closing within the tick).
/// Such a model steps every body at every tick (no incremental stepping)
#define WM_INPUT_PRIOR 64
/// arch.inputs (with WM_INPUT_PRIOR): the velocity head predicts what the collision impulses leave
/// unexplained: each edge's collision velocity change (WM_INPUT_PRIOR's dvx, dvy, domega) is added to
/// its receiver's predicted velocity change, so an untrained model already turns a plank that a ball
/// lands on; the network learns the rest (the pivot's reaction, friction, a missed contact)
#define WM_INPUT_PRIOR_OUT 128
/// arch.inputs (with WM_INPUT_PRIOR): an edge from a static body also carries its collision, the
/// static body of infinite mass (j = (1 + e) c / (1/m + (r x n)^2 / I), c the receiver's surface
/// closing on it at q): a landing on a table is explained as a landing on a plank is
#define WM_INPUT_PRIOR_STATIC 256
/// arch.inputs (with WM_INPUT_PRIOR_OUT): the network also says how far to trust each collision: the
/// velocity change an edge's collision adds to its receiver is scaled by gains 2 sigmoid(z), z = a
/// linear head on the last round's activation of the pair's edge of the larger gap (the edge itself
/// for a static sender; both edges of a pair share it, so the exchange stays Newton's), one gain for
/// (dvx, dvy) and one for domega. The head starts at zero: gain 1, what the model predicts without
/// it. The velocity head then need not learn to cancel a formula that misjudges a contact (a box
/// landing flat on a box is one point to the formula, a turn that the face's contact never gives)
#define WM_INPUT_PRIOR_GATE 512
/// arch.inputs (with WM_INPUT_PRIOR_STATIC): the collisions know each body's supports. Instead of one
/// point per pair between two free bodies, every pair of an edge (dynamic or static sender) gets up
/// to two contact points (the deepest, and the one of those within WM_CONTACT_TOL of it farthest
/// along the contact's tangent: a flat face's two corners; a vertex of either shape or a ball's
/// nearest point), active when within WM_IMPACT_GAP of touching after closing for a tick, and one
/// projected Gauss-Seidel solve of frictionless normal impulses over all of a world's contacts
/// (WM_PGS_ITERS sweeps; each contact's target: separating at e times its closing speed, no approach
/// for a resting one) gives the impulses. An edge's collision change is what its pair's contacts
/// give its receiver: a plank on a wedge's apex turns about it, a box flat on the floor passes a
/// hit to the floor, a body on a wide support is nearly static. A constant of the inputs
#define WM_INPUT_PRIOR_SUPPORT 1024
/// with WM_INPUT_PRIOR_SUPPORT, a pair's second contact point lies within this of its deepest (m)
#define WM_CONTACT_TOL 0.003f
/// with WM_INPUT_PRIOR_SUPPORT, the solver's sweeps over a world's contacts (at most; it stops once
/// no impulse changes by more than 1e-5 of the largest)
#define WM_PGS_ITERS 256
/// arch.inputs (with WM_INPUT_PRIOR_SUPPORT): the solve also has Coulomb friction (each contact's
/// tangential impulse within the pair's friction product times its normal impulse, towards no
/// sliding at the point) and starts from the velocities after the tick's push and gravity
/// (WM_PRIOR_GRAVITY), so a resting body's supports carry its weight (and bound its friction), a
/// ball spinning on the floor is set rolling and a box sliding on it is slowed; the restitution
/// target stays that of the closing speed before gravity. An edge's collision change is still the
/// contacts' impulses alone (gravity and the push are not in it)
#define WM_INPUT_PRIOR_FRICTION 2048
/// the gravity WM_INPUT_PRIOR_FRICTION's solve assumes (m/s^2, along y; every nudge world's)
#define WM_PRIOR_GRAVITY -9.81f
/// arch.inputs (with WM_INPUT_PRIOR_FRICTION): the solve follows the simulator's substeps: the tick
/// is split into WM_PRIOR_SUBSTEPS of dt / WM_PRIOR_SUBSTEPS, each adding its share of gravity and
/// solving the contacts anew (a contact still apart may close its gap in the substep but not pass
/// it; friction within the pair's friction product times that substep's normal impulse), then the
/// restitution of the points that hit in it (apart at its start, or at the tick's start; closing
/// faster than WM_PRIOR_BOUNCE_MIN), which does not raise the friction bound; the contacts' points
/// and normals stay those of the tick's start, their gaps follow the velocities. The edges carry
/// the contacts' impulses summed over the substeps
#define WM_INPUT_PRIOR_SUBSTEP 4096
/// the substeps of WM_INPUT_PRIOR_SUBSTEP's tick (the simulator's default: 2 steps of 4 substeps)
#define WM_PRIOR_SUBSTEPS 8
/// physics steps of the simulator per control tick (its default dt of 1/120 s at a tick of 1/60 s)
#define WM_PRIOR_STEPS 2
/// WM_INPUT_PRIOR_SUBSTEP: slower impacts do not bounce (m/s; the simulator's RESTITUTION_MIN)
#define WM_PRIOR_BOUNCE_MIN 0.1f
/// arch.inputs (with WM_INPUT_PRIOR_SUPPORT): a contact point that is a polygon's vertex takes its
/// normal from the separating axis of its part and the other shape's part nearest it (the edge
/// normal of either along which the two are farthest apart or least overlapping, as the
/// simulator's collision gives a polygon pair one face's normal) instead of the direction from the
/// other's nearest point: where two corners nearly meet (a stack of boxes of one width, a domino
/// lying on another) that direction points anywhere, and the body is held up sideways or not at
/// all; a ball's point keeps its nearest point's normal
#define WM_INPUT_PRIOR_AXIS 8192
/// WM_INPUT_PRIOR_AXIS: a vertex whose distance to the other shape exceeds its distance to the plane of
/// the face it would rest on by more than this (m) lies beyond that face's end and is not a pair's
/// second contact point (the face's corner, a vertex of the other, is)
#define WM_AXIS_BEYOND 0.0005f
/// arch.inputs (needs WM_INPUT_PRIOR_FRICTION): each contact point of that solve pushes both bodies at
/// the simulator's anchor, the point midway between the two surfaces at the start of the physics step
/// (WM_PRIOR_STEPS a tick) in which the point closes, instead of at the candidate point itself. A
/// ball's candidate point is the other shape's point under it: landing from 4 cm at 48 rad/s (ramp_ball's
/// ball off the table), the ball was slid at 1.9 m/s more than its surface moves there and friction
/// took 29.8 rad/s of its spin (truly 11.5, the anchor's slip: the step's gap 2.5 cm, half of it beyond
/// the ball's surface); normal speeds, and so every frictionless change, are the same either way. And a
/// ball touches each convex part of the other shape at one point, its nearest (the simulator's
/// circle-polygon contact), not also at that part's corners: a ball rolling over a table's edge
/// approaches the corner for the tick's first millimetres only, and the one solve held the corner
/// apart for the whole tick and threw the ball up (+0.2 to +0.5 m/s)
#define WM_INPUT_PRIOR_ANCHOR 32768
/// arch.inputs (needs WM_INPUT_SUPPORT): each edge also sees how soon the receiver, sliding or rolling
/// along the sender's surface at its tangential speed relative to it, passes the end of that surface
/// ahead of it: the time to the end as a share of the event horizon (WM_EVENT_HORIZON ticks), clamped
/// to [0, WM_EDGE_TIME_CAP]. The reach alone gives the distance to a table's edge; whether a ball
/// rolling at 3 m/s drops off within 0.5 s is that distance over its speed, a quotient the network
/// does not form from the two inputs for speeds it rarely saw near an edge
#define WM_INPUT_EDGE_TIME 16384
/// WM_INPUT_EDGE_TIME's cap, in event horizons (also the value of a body not moving along the surface)
#define WM_EDGE_TIME_CAP 2.0f
/// arch.inputs (needs WM_INPUT_PRIOR_SUPPORT): the solve's sweeps over a world's contacts stop once no
/// contact's normal or tangential relative speed changes by more than WM_PGS_SETTLE over a sweep (the
/// bodies' motion has settled), not once no impulse changes by more than 1e-5 of the largest. Where
/// bodies touch at two points with friction (a stack of boxes) the impulses trade between the points
/// long after the motion has settled, and the impulse test all but never passes: tower_topple's
/// 7-box tower took 246 sweeps a tick on average (nearly every world stopped by WM_PGS_ITERS), where
/// the speeds settle to 1e-4 m/s in 77. A model's cost in stacks, not its physics
#define WM_INPUT_PRIOR_SETTLE 131072
/// WM_INPUT_PRIOR_SETTLE's tolerance: the largest change of a contact's relative speed over a sweep
/// that ends the solve (m/s; 1e-4 m/s over a tick of 1/60 s is under 2 micrometres)
#define WM_PGS_SETTLE 1e-4f
/// arch.inputs (with WM_INPUT_PRIOR_SUPPORT, not WM_INPUT_PRIOR_SUBSTEP): the one solve is followed by
/// rounds that look again at the points it left out: a point that did not close at the tick's start
/// velocities but closes within the tick at the velocities the solve left (a plank's end stopped by
/// the floor under a ball that was falling slower than the plank) joins, and the solve goes on from
/// the impulses it had, until a round adds no point (WM_RECHECK_ROUNDS at most). A pair the first
/// pass skipped as too far apart to meet at its start speeds is looked at again at the solved ones
/// in the first round. Without it such a contact is missed for the whole tick: at seesaw's tick 26
/// the plank strikes the floor and the ball lands on the stopped plank within the tick (truly thrown
/// off at 1.6 m/s, spinning -33 rad/s), and the prior gave the ball nothing
#define WM_INPUT_PRIOR_RECHECK 65536
/// WM_INPUT_PRIOR_RECHECK's rounds after the first solve (at most)
#define WM_RECHECK_ROUNDS 4
/// WM_INPUT_PRIOR_RECHECK: a point left out is not looked at again when either body turns more than this
/// (rad) over the rest of the tick at its solved spin (its point's speed is not kept over such a turn)
#define WM_RECHECK_TURN 0.3f
/// arch.inputs (needs WM_INPUT_PRIOR_FRICTION): a point against a static body is kept when the tick
/// closes its gap to within WM_LIFT_TOL, the gap closing at the average of the closing speeds before and
/// after the tick's gravity (how far a body falls in a tick), not to within WM_IMPACT_GAP at the closing
/// after it (twice that fall, and 2 mm). The simulator's contacts are speculative: a pair apart touches
/// in the substep that closes its gap, never before. Without it a ball 1.3 mm over a bench after a low
/// bounce (rising at 0.02 m/s) is held for a tick it spends falling the whole way (1.04 mm)
#define WM_INPUT_PRIOR_LIFT 262144
/// WM_INPUT_PRIOR_LIFT's tolerance (m): twice the simulator's resting overlap (its position slop)
#define WM_LIFT_TOL 0.0002f
/// arch.inputs (with WM_INPUT_PRIOR): each edge also sees how hard the collision pushes its receiver
/// this tick, log(1 + |J| / 1 N*s) of the impulse J (normal and friction) the edge's contacts give it:
/// what the simulator's break test measures (sim/contacts.c). The velocity changes (J over the mass)
/// say it only through a product with the log mass the network would have to learn; on the held-out
/// glasses |J| alone ranks the tick before a break at 0.986 AUROC
#define WM_INPUT_PRIOR_JMAG 524288
/// arch.inputs (with WM_INPUT_PRIOR): the break-now head also reads how hard the collisions press a
/// breakable body this tick, through two weights of its own (a logistic in z, both zero at the start):
/// logit += a z + c with z = log(1 + sum over the body's edges of |J| / 1 N*s), |J| the receiver's mass
/// times the edge's collision velocity change. The head alone, reading that only through the network,
/// gave 18 of the 44 breaks of 100 held-out episodes a logit under 0 (the imagination keeps them
/// whole), where z alone ranks the tick before a break at 0.986 AUROC: a rare label (0.2% of a
/// glass's ticks) that a deep head learns slowly and a two-weight logistic fits at once
#define WM_INPUT_BREAK_GATE 1048576
/// arch.inputs (with WM_INPUT_PRIOR_SUPPORT, not WM_INPUT_PRIOR_SUBSTEP): a pair apart at the tick's
/// start (every point of it more than WM_IMPACT_GAP apart) joins the solve only when it meets within
/// the tick as the simulator's collision passes see it. The touching contacts are solved alone first:
/// the motion each body has without any impact (a shard spun against the floor is thrown up by it, a
/// body resting on the floor is held), at which both shapes move rigidly, turning included. At the
/// start of each of the simulator's passes (WM_PRIOR_STEPS steps a tick, each cut into passes by the
/// faster body's travel over WM_SWEEP_MARGIN) the pair's nearest points give the gap and the normal,
/// and the pair meets when it closes that gap to within WM_IMPACT_GAP along that normal within the
/// pass (the simulator's speculative contact, whose normal and anchors hold for a pass). The pairs
/// that do not meet are left out and the solve runs as without the option. Without it a pair is judged
/// once, along its tick-start normal: a shard flung at 18 m/s and 33 degrees upward over two shards
/// lying 19 cm away on the floor is taken to hit them (its speed along the horizontal normal closes the
/// gap in 0.6 of the tick) and launches them at 1.3 m/s, where it truly clears them by 9 cm
#define WM_INPUT_PRIOR_SWEEP 2097152
/// WM_INPUT_PRIOR_SWEEP: the simulator's largest speculative margin (SIM_MARGIN_MAX, m): a body that
/// travels farther in a step splits it into passes, WM_SWEEP_PASSES at most (SIM_MAX_PASSES)
#define WM_SWEEP_MARGIN 0.1
#define WM_SWEEP_PASSES 64
#define WM_INPUT_ALL                                                                                              \
    (WM_INPUT_CLIP | WM_INPUT_SUPPORT | WM_INPUT_RELEASE | WM_INPUT_IMPACT | WM_INPUT_PAIR | WM_INPUT_IMPULSE | \
     WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_GATE | WM_INPUT_PRIOR_SUPPORT | \
     WM_INPUT_PRIOR_FRICTION | WM_INPUT_PRIOR_SUBSTEP | WM_INPUT_PRIOR_AXIS | WM_INPUT_EDGE_TIME | \
     WM_INPUT_PRIOR_ANCHOR | WM_INPUT_PRIOR_SETTLE | WM_INPUT_PRIOR_RECHECK | WM_INPUT_PRIOR_LIFT |          \
     WM_INPUT_PRIOR_JMAG | WM_INPUT_BREAK_GATE | WM_INPUT_PRIOR_SWEEP)

typedef struct WmModel WmModel;
typedef struct WmScratch WmScratch;

/// the default architecture for K slots
WmArch         wm_arch_default(int slots);
/// true when this nudge can build the architecture; false + one line naming what is not
/// ("latent width 0 is outside [1, 4096]") otherwise
bool           wm_arch_check(const WmArch* a, char* err, size_t err_size);
/// whether a model that steps model_dt s (a state model's arch dt, a pixel model's) may run on a
/// world whose control tick is `tick` s: a model trained on a dataset of gen --stride K steps K
/// ticks, and run on a world of another tick every prediction is off by that factor. false + one
/// line ("the model steps 0.0333 s (2 control ticks of this world, as trained on gen --stride 2
/// records); the world's control tick is 0.0167 s")
bool           wm_step_check(double model_dt, double tick, char* err, size_t err_size);
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
/// next_states[B*K*D] (dynamic columns predicted, static columns copied; empty slots copied),
/// next_mask[B*K] (may be NULL; when given, bodies the model sees breaking are shattered into new
/// slots as in wm_rollout, and next_mask tells the live slots) and event_probs[B*K*WM_EVENTS]
/// (probabilities in [0,1]; 0 for empty and static slots; may be NULL)
void           wm_predict(const WmModel* m, WmScratch* s, int B, const float* states,
                          const uint8_t* mask, const float* pushes, float* next_states,
                          uint8_t* next_mask, float* event_probs);

/// H ticks ahead for B worlds: states[B*K*D], mask[B*K], pushes[B*H*K*4] (row (b, h, k) is
/// applied right after tick h's state; NULL = none) -> out_states[B*H*K*D] (entry (b, h) is the
/// state h+1 ticks ahead), out_mask[B*H*K] (the live slots then; may be NULL) and
/// out_events[B*H*K*WM_EVENTS] (the event probabilities predicted from state h; may be NULL).
/// A body the model sees breaking in the next tick is shattered: its slot empties and its pieces
/// (sim_shatter_pieces at the predicted state, without randomness; mass conserved) fill new slots
/// after the highest slot live at the start, as the world would number them; wm_rollout_parent
/// tells whose pieces they are. Pieces that find no slot left are dropped, as the observation
/// drops bodies with ids >= K. Never produces NaN: a non-finite prediction freezes that body
/// (and is counted, see wm_nan_count).
void           wm_rollout(const WmModel* m, WmScratch* s, int B, const float* states,
                          const uint8_t* mask, const float* pushes, int H, float* out_states,
                          uint8_t* out_mask, float* out_events);
/// after a wm_rollout with this scratch: the slot whose imagined shattering made the body in slot k
/// of world b, or -1 (a body that was live at the start, or an empty slot)
int            wm_rollout_parent(const WmScratch* s, int b, int k);
/// whether slot j holds a piece of body k: k's own shattering made it, or a piece's (parent[K]:
/// wm_rollout_parent's numbering, or a dataset's shards' parents; -1 for none)
bool           wm_piece_of(const int* parent, int j, int k);
/// the mass-weighted centre of body k's pieces at one step of a rollout or of a dataset (rows[K*D],
/// live[K] its slots live then; wm_piece_of) into xy[2]: what eval scores a broken body by. False when
/// they have no mass (none is live)
bool           wm_pieces_centre(const float* rows, const uint8_t* live, const int* parent, int K, int k,
                                float xy[2]);
/// bodies shattered in imagination so far with this scratch
int64_t        wm_break_count(const WmScratch* s);
/// The model's foresight of events: what the world model imagines, not what one head reads off the
/// present. For B worlds, a wm_rollout of WM_EVENT_HORIZON ticks from the states, with the pushes
/// (pushes[B*K*WM_PUSH_DIM], applied right after the first state; NULL = none) and nothing pushed after
/// (what a state and its own push foretell) -> out[B*K*WM_EVENTS], per slot live at the start: for the
/// break and fall events, the largest of the event heads over the body's imagined states while it is
/// whole (the start state's own heads among them; the imagined state h's head speaks of ticks h+1 ..
/// h+30), and break 1 where the imagination shatters the body within the horizon; contact (the next
/// tick only) is the start state's head. 0 for empty and static slots. Uses the scratch's rollout
/// state (wm_rollout_parent then tells this rollout's pieces). eval's "_foreseen" rows score it
void           wm_foresee(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                          const float* pushes, float* out);
/// wm_foresee's rule read off a rollout already made: states[B*K*D] and mask[B*K] its start, and
/// wm_rollout's out_mask[B*H*K] and out_events[B*H*K*WM_EVENTS] over H >= 1 ticks, of which the first
/// WM_EVENT_HORIZON are read (a rollout made with the start's pushes only, as wm_foresee's, gives
/// wm_foresee's answer) -> out[B*K*WM_EVENTS]
void           wm_foresight(const WmModel* m, int B, const float* states, const uint8_t* mask, int H,
                            const uint8_t* out_mask, const float* out_events, float* out);

/// Surprise: how unlikely the observed tick states -> next is under the model, per body. For each
/// body live and dynamic in both, the model's Gaussian over the six targets (the velocity change
/// beyond the push, vx vy omega, and the position residual, x y angle; each measured in the scale
/// of its training targets) gives the negative log-likelihood of what was observed:
///     surprise = sum_c [ 0.5 * ((observed_c - mean_c) / sigma_c)^2 + log sigma_c ]
/// (nats, without the constant 3 log 2 pi; sigma_c in units of target c's scale). Confident
/// predictions (small sigma) make typical ticks negative: a trained model scores held-out ticks
/// between about -16 and +11 (1st to 99th percentile); a 5 cm teleport scores thousands.
/// out[B*K]: NaN for slots that are not live dynamic bodies in both observations.
/// pushes: those applied between the two observations (NULL = none).
void           wm_surprise(const WmModel* m, WmScratch* s, int B, const float* states,
                           const uint8_t* mask, const float* pushes, const float* next,
                           const uint8_t* next_mask, float* out);
/// the logits wm_surprise_heads gives per body: the event heads in wm.h's order (within 0.5 s),
/// then "breaks in the next tick" (the head that shatters a body in a rollout)
enum { WM_LOGIT_BREAK_NOW = WM_EVENTS, WM_SURPRISE_LOGITS };
/// wm_surprise, and from the same forward pass the logits of the heads at states:
/// logits[B*K*WM_SURPRISE_LOGITS] (may be NULL; NaN for slots that are not live dynamic bodies in
/// states; given whatever became of the body in next)
void           wm_surprise_heads(const WmModel* m, WmScratch* s, int B, const float* states,
                                 const uint8_t* mask, const float* pushes, const float* next,
                                 const uint8_t* next_mask, float* out, float* logits);
/// wm_surprise_heads, and from the same forward pass each body's velocity residual:
/// resid[B*K*2] = the observed (vx, vy) after the tick minus the model's mean prediction (m/s; NaN
/// where out is NaN). The mean is the decoder's, before a rollout's rest gate holds a body still
void           wm_surprise_resid(const WmModel* m, WmScratch* s, int B, const float* states,
                                 const uint8_t* mask, const float* pushes, const float* next,
                                 const uint8_t* next_mask, float* out, float* logits, float* resid);

/// wm_surprise of the tick the last wm_predict with this scratch stepped (its states, mask and
/// pushes to next, next_mask: what that wm_predict wrote, or anything else), from that step's own
/// forward pass instead of a second one; out[B*K] as wm_surprise for that step's B worlds. False
/// (out untouched) when the scratch's last use was not a step
bool           wm_surprise_last(const WmModel* m, WmScratch* s, const float* next, const uint8_t* next_mask,
                                float* out);

/// Incremental imagination: while on, each wm_predict with this scratch recomputes only the bodies
/// whose inputs within arch.rounds edges (their state, push, neighbours and the neighbours'
/// states) differ from the previous wm_predict's on the same B worlds; every other body repeats
/// its previous prediction, which is exactly what recomputing it would give (a body at rest beside
/// nothing that moves costs nothing). For callers that step the same worlds tick after tick; the
/// model's weights must not change while it is on. Turning it on or off forgets what was kept.
/// wm_rollout always steps this way.
void           wm_scratch_incremental(WmScratch* s, bool on);

/// Sleeping, with incremental imagination on (as a physics engine puts resting bodies to sleep):
/// a body at rest (zero velocity, the model held it still at its last computed step), unpushed,
/// repeats its prediction while the bodies that changed stay farther than WM_WAKE_GAP (5 cm,
/// surface to surface) from it, instead of being recomputed whenever anything within the edge
/// radius moves. An approximation (what a far moving body would have changed in its prediction
/// is ignored): off by default; the planner's imagination turns it on.
void           wm_scratch_sleep(WmScratch* s, bool on);

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
