/* action: the per-tick action as plain bytes, its checks, and the world's tick driven by it */
#include "sim/action.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/report.h"
#include "sim/world_internal.h"

/* plain bytes: no padding anywhere, so a recording can store actions as they are */
_Static_assert(sizeof(SimKind) == 4, "SimKind is stored as 4 bytes");
_Static_assert(sizeof(SimPush) == 8 + 4 * sizeof(double), "SimPush has no padding");
_Static_assert(sizeof(SimGrab) == 8 + 4 * sizeof(double), "SimGrab has no padding");
_Static_assert(sizeof(SimMagic) == 8 + 4 * sizeof(double), "SimMagic has no padding");
_Static_assert(offsetof(SimBodyDef, verts) == SIM_NAME_MAX + 8 + 8 * sizeof(double) + 8 &&
                   sizeof(SimBodyDef) == offsetof(SimBodyDef, verts) + 2 * SIM_MAX_VERTS * sizeof(double),
               "SimBodyDef has no padding");
_Static_assert(sizeof(SimAction) == 8 + SIM_ACTION_PUSHES * sizeof(SimPush) + sizeof(SimGrab) + sizeof(SimBodyDef) +
                                        8 + 8 + SIM_ACTION_MAGIC * sizeof(SimMagic),
               "SimAction has no padding");
_Static_assert(sizeof(SimAction) == SIM_ACTION_BYTES, "SIM_ACTION_BYTES is the size of an action");

void sim_action_clear(SimAction* a) { memset(a, 0, sizeof *a); }

bool sim_action_is_empty(const SimAction* a) { return a->flags == 0 && a->npushes == 0 && a->nmagic == 0; }

bool sim_action_add_push(SimAction* a, const SimPush* p) {
    if (a->npushes < 0 || a->npushes >= SIM_ACTION_PUSHES) return false;
    SimPush* q = &a->pushes[a->npushes++];
    memset(q, 0, sizeof *q);
    q->body = p->body;
    q->jx = p->jx, q->jy = p->jy, q->px = p->px, q->py = p->py;
    return true;
}

bool sim_action_add_magic(SimAction* a, const SimMagic* m) {
    if (a->nmagic < 0 || a->nmagic >= SIM_ACTION_MAGIC) return false;
    a->magic[a->nmagic++] = *m;
    return true;
}

void sim_action_add_rows(const SimAction* a, float* rows, int K) {
    for (int i = 0; i < a->npushes && i < SIM_ACTION_PUSHES; i++) {
        const SimPush* p = &a->pushes[i];
        if (p->body < 0 || p->body >= K) continue;
        float* r = rows + (size_t)p->body * 4;
        r[0] += (float)p->jx;
        r[1] += (float)p->jy;
        r[2] = (float)p->px;
        r[3] = (float)p->py;
    }
}

static bool all_finite(const double* v, int n) {
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

/* a body def carried by an action (spawn, appear) */
static bool check_def(const SimBodyDef* d, char* err, size_t err_size) {
    if (!memchr(d->name, 0, sizeof d->name) || d->reserved[0] || d->reserved[1] || d->reserved[2]) {
        report_set(err, err_size, "spawn: the name is not terminated or reserved bytes are set");
        return false;
    }
    if (d->nverts < 0 || d->nverts > SIM_MAX_VERTS || !all_finite(d->verts, 2 * SIM_MAX_VERTS)) {
        report_set(err, err_size, "spawn: bad vertices");
        return false;
    }
    return true;
}

bool sim_action_check(const SimAction* a, char* err, size_t err_size) {
    if (a->flags & ~SIM_ACT_KNOWN_FLAGS) {
        report_set(err, err_size, "unknown action flags 0x%x", a->flags & ~SIM_ACT_KNOWN_FLAGS);
        return false;
    }
    if (a->npushes < 0 || a->npushes > SIM_ACTION_PUSHES) {
        report_set(err, err_size, "%d pushes in one action (at most %d)", a->npushes, SIM_ACTION_PUSHES);
        return false;
    }
    for (int i = 0; i < a->npushes; i++) {
        const SimPush* p = &a->pushes[i];
        double v[4] = {p->jx, p->jy, p->px, p->py};
        if (p->reserved != 0 || !all_finite(v, 4)) {
            report_set(err, err_size, "push %d: not finite or reserved bytes set", i);
            return false;
        }
    }
    if (a->flags & SIM_ACT_GRAB) {
        double v[4] = {a->grab.anchor[0], a->grab.anchor[1], a->grab.target[0], a->grab.target[1]};
        if (a->grab.reserved != 0 || !all_finite(v, 4)) {
            report_set(err, err_size, "grab: not finite or reserved bytes set");
            return false;
        }
    }
    if ((a->flags & SIM_ACT_SPAWN) && !check_def(&a->spawn, err, err_size)) return false;
    if (a->nmagic < 0 || a->nmagic > SIM_ACTION_MAGIC || a->reserved != 0) {
        report_set(err, err_size, "%d magic entries in one action (at most %d), or reserved bytes set", a->nmagic,
                   SIM_ACTION_MAGIC);
        return false;
    }
    int appear = 0;
    for (int i = 0; i < a->nmagic; i++) {
        char why[160];
        if (!sim_magic_check(&a->magic[i], why, sizeof why)) {
            report_set(err, err_size, "magic %d: %s", i, why);
            return false;
        }
        appear += a->magic[i].kind == SIM_MAGIC_APPEAR;
    }
    if (appear > 1 || (appear && (a->flags & SIM_ACT_SPAWN))) {
        report_set(err, err_size, "an appear shares the action's one body def: at most one, and not with a spawn");
        return false;
    }
    if (appear && !check_def(&a->spawn, err, err_size)) return false;
    for (int i = a->nmagic; i < SIM_ACTION_MAGIC; i++) {
        static const SimMagic zero;
        if (memcmp(&a->magic[i], &zero, sizeof zero) != 0) {
            report_set(err, err_size, "magic %d: set beyond the count %d", i, a->nmagic);
            return false;
        }
    }
    return true;
}

/* the first refusal of a tick is the one reported */
static void refuse(char* why, size_t why_size, const char* text) {
    if (why && why_size && !why[0]) report_set(why, why_size, "%s", text);
}

void sim_world_act(SimWorld* w, const SimAction* a, SimAction* applied, char* why, size_t why_size) {
    if (applied) sim_action_clear(applied);
    if (why && why_size) why[0] = 0;
    sim_world_clear_events(w);
    if (a) {
        char msg[256];
        if ((a->flags & SIM_ACT_RELEASE) && w->hand.body >= 0) {
            sim_hand_release(w);
            if (applied) applied->flags |= SIM_ACT_RELEASE;
        }
        if (a->flags & SIM_ACT_SPAWN) {
            char err[200];
            if (sim_world_add_body(w, &a->spawn, err, sizeof err) >= 0) {
                if (applied) applied->flags |= SIM_ACT_SPAWN, applied->spawn = a->spawn;
            } else {
                snprintf(msg, sizeof msg, "spawn refused: %s", err);
                refuse(why, why_size, msg);
            }
        }
        if (a->flags & SIM_ACT_GRAB) {
            if (sim_hand_grab(w, &a->grab, applied ? &applied->grab : NULL, msg, sizeof msg)) {
                if (applied) applied->flags |= SIM_ACT_GRAB;
            } else {
                refuse(why, why_size, msg);
            }
        }
        for (int i = 0; i < a->npushes && i < SIM_ACTION_PUSHES; i++) {
            const char* no = sim_world_push_refusal(w, &a->pushes[i]);
            if (!no) {
                if (applied) sim_action_add_push(applied, &a->pushes[i]);
            } else {
                snprintf(msg, sizeof msg, "push on body %d refused: %s", a->pushes[i].body, no);
                refuse(why, why_size, msg);
            }
        }
        for (int i = 0; i < a->nmagic && i < SIM_ACTION_MAGIC; i++) {
            SimMagic m = a->magic[i];
            if (!sim_magic_check(&m, msg, sizeof msg)) {
                refuse(why, why_size, msg);
                continue;
            }
            if (!sim_world_magic(w, &m, &a->spawn, &m.body, msg, sizeof msg)) {
                refuse(why, why_size, msg);
                continue;
            }
            if (!applied) continue;
            /* an appear is recorded with the def it added and body -1, so a replay adds it again */
            if (m.kind == SIM_MAGIC_APPEAR) m.body = -1, applied->spawn = a->spawn;
            sim_action_add_magic(applied, &m);
        }
    }
    for (int i = 0; i < w->def.steps_per_tick; i++) {
        sim_hand_before_step(w, i);
        sim_world_step(w);
    }
    sim_hand_end_tick(w);
    w->ticks++;
}
