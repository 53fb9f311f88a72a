/* replay: a bounded buffer of observed ticks, organised in episodes, that serves transitions
 * (tick t -> tick t+1) with delayed event labels. Capacity is counted in ticks (= transitions);
 * the oldest ticks are dropped first. Filled from a dataset (offline) or a running world (live).
 * Not thread-safe by itself: the trainer locks around it. */
#ifndef NUDGE_MODEL_REPLAY_H
#define NUDGE_MODEL_REPLAY_H
#include <stdbool.h>
#include <stdint.h>

#include "base/rng.h"

/* Event labels, one rule for datasets and the live trainer alike.
 * A record's marks (WM_BIT_*, per slot) are the events that happened since the record before it:
 * an event between records t and t + 1 marks record t + 1, the first observation that shows it.
 * A dataset stores such an event with 'tick' = t (the record after which it happened), so it marks
 * record wm_event_label_record(t) = t + 1; the live trainer is given, with each observation, the
 * events of the tick that led to it, and marks that observation. The labels of transition
 * t -> t + 1 are then: breaks / falls = any mark in records t + 1 .. t + WM_EVENT_HORIZON of the
 * same episode; contact = the contact bit of record t + 1. */
enum { WM_BIT_BREAK = 1, WM_BIT_FALL = 2 };

/// the record an event stored with 'tick' = t (it happened between records t and t + 1) marks
static inline int64_t wm_event_label_record(int64_t t) { return t + 1; }
/// ORs an event's mark into a record's marks bits[K]: breaks and falls of a body in 0..K-1; other
/// event types and bodies outside the slots mark nothing
void wm_event_mark(uint8_t* bits, int K, int type, int32_t body);

/// a batch of transitions (arrays sized for cap transitions). A rolled batch (roll = r > 0) holds
/// the transition t+r -> t+r+1 whose starting state the trainer predicts itself: s0 and m0 are the
/// state r ticks earlier, roll_push the pushes of those r ticks, and the mask stays the same over
/// them (pushforward training)
typedef struct WmTransitions {
    int      n, cap, slots, dim;
    int      roll, max_roll;
    float*   s0;      /* [cap*K*D] state at t (rolled: at t - roll) */
    uint8_t* m0;      /* [cap*K] mask at t (rolled: the same at t - roll .. t) */
    float*   push;    /* [cap*K*4] push applied right after t */
    float*   s1;      /* [cap*K*D] state at t+1 */
    uint8_t* m1;      /* [cap*K] mask at t+1 */
    float*   labels;  /* [cap*K*WM_EVENTS] 0/1: breaks within 30 ticks, contact at t+1, falls within 30 */
    float*   roll_push; /* [cap*max_roll*K*4] rolled: push applied after tick t - roll + j (row j) */
} WmTransitions;

/// max_roll: the longest roll a batch may hold (0 = plain transitions only)
void wm_transitions_init(WmTransitions* t, int cap, int slots, int dim, int max_roll);
void wm_transitions_free(WmTransitions* t);

typedef struct WmReplay WmReplay;

WmReplay* wm_replay_create(int slots, int dim, int64_t capacity);
/// bytes a replay buffer of K slots and D columns holds per transition (its memory is capacity
/// times this: 3176 bytes at 32 slots of 20 columns)
size_t    wm_replay_bytes_per_transition(int slots, int dim);
void      wm_replay_free(WmReplay* r);                        /* NULL-safe */
void      wm_replay_clear(WmReplay* r);
/// ends the current episode; the next tick starts a new one
void      wm_replay_begin_episode(WmReplay* r);
/// appends one tick: states[K*D], mask[K], contacts[K] (may be NULL), push[K*4] applied right
/// after it (may be NULL), bits[K] = its marks, the events since the previous record (may be NULL)
void      wm_replay_add(WmReplay* r, const float* states, const uint8_t* mask,
                        const uint8_t* contacts, const float* push, const uint8_t* bits);
/// ticks held
int64_t   wm_replay_size(const WmReplay* r);
/// transitions whose labels are complete (trainable)
int64_t   wm_replay_ready(const WmReplay* r);
/// the most live slots of one tick held (0 when empty): the bodies a batch's world packs at most
int       wm_replay_max_live(const WmReplay* r);
/// samples n trainable transitions uniformly into out (n <= out->cap); false if there are none
bool      wm_replay_sample(const WmReplay* r, Rng* rng, int n, WmTransitions* out);
/// samples n transitions each with the roll ticks before it (1 <= roll <= out->max_roll) in the
/// same episode with the same live bodies; false if too few such windows were found
bool      wm_replay_sample_rolled(const WmReplay* r, Rng* rng, int n, int roll, WmTransitions* out);
/// the trainable transitions in order, from *cursor on (start at 0): fills up to n, returns how
/// many were written (0 at the end)
int       wm_replay_sweep(const WmReplay* r, int64_t* cursor, int n, WmTransitions* out);

#endif
