/* events: what happens in a world, reported per physics step.
 *
 * contact        two bodies start touching: they touch in this step (a contact between them
 *                pushed, or their outlines are within 0.01 mm at its end) and did not in the one
 *                before. Once per pair of bodies, however many shapes they have.
 *                a, b = the ids (a < b), magnitude = the pair's total contact impulse of that step
 * break          a breakable body shattered; a = its id, b = -1, magnitude = the break test's
 *                impulse (N*s): the largest total contact impulse pressing it one way in the step
 * push           a push was applied; a = the body, magnitude = |impulse| (N*s)
 * fall           a body falls: it has no supporting contact (a contact whose normal, pointing
 *                from the other body into it, has an upward component > 0.5), and its centre is
 *                more than its own height h below where its centre was at its last supporting
 *                contact (or at creation, if it never had one). Fires once; re-arms when the body
 *                is supported again. a = the body, magnitude = the drop (m)
 * rest           a dynamic body comes to rest: speed < 0.02 m/s and |omega| < 0.1 rad/s for
 *                0.25 s in a row. Fires once; re-arms when speed > 0.05 m/s or |omega| > 0.25.
 *                a = the body, magnitude = 0
 * out_of_bounds  a body's centre left the world bounds; the body is removed. a = the body
 * topple         a dynamic body turned more than 45 degrees away from its angle at creation or at
 *                its last rest event (a tower toppling, a domino going over). Fires once; re-arms
 *                at the next rest. a = the body, magnitude = the turn (rad)
 * magic          an impossible event (sim/action.h, SimMagicKind); a = the body (the new one for
 *                an appear, -1 for gravity), b = the kind (not a body), magnitude = its size */
#ifndef NUDGE_SIM_EVENTS_H
#define NUDGE_SIM_EVENTS_H
#include <stdint.h>

#define SIM_EVENT_TYPES(X) \
    X(CONTACT, contact)    \
    X(BREAK, break)        \
    X(PUSH, push)          \
    X(FALL, fall)          \
    X(REST, rest)          \
    X(OUT_OF_BOUNDS, out_of_bounds) \
    X(TOPPLE, topple)      \
    X(MAGIC, magic)

typedef enum SimEventType {
#define SIM_EV_ENUM(up, low) SIM_EV_##up,
    SIM_EVENT_TYPES(SIM_EV_ENUM)
#undef SIM_EV_ENUM
    SIM_EV_COUNT
} SimEventType;

typedef struct SimEvent {
    SimEventType type;
    int64_t      step;       /* physics step index at which it happened (after that step) */
    double       t;          /* s: (step + 1) * dt, the time at the end of that step */
    int32_t      a, b;       /* body ids; b = -1 when there is no second body */
    double       magnitude;  /* see above */
} SimEvent;

const char* sim_event_name(SimEventType type);
/// -1 if unknown
int         sim_event_find(const char* name);

#endif
