#include "agent/agent.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "sim/observation.h"

struct Agent {
    ScnAgentDef def;
    Rng         rng;
    ScnAction*  actions;
    int         nactions;
    int         next_action;   /* scripted: first action not yet sent */
    double      next_push;     /* random: time of the next push */
};

static const char* const kind_names[] = {"none", "scripted", "random"};

const char* agent_kind_name(ScnAgentKind kind) {
    return (kind >= 0 && kind <= SCN_AGENT_RANDOM) ? kind_names[kind] : "?";
}

int agent_kind_find(const char* name) {
    for (int i = 0; i <= SCN_AGENT_RANDOM; i++)
        if (strcmp(kind_names[i], name) == 0) return i;
    return -1;
}

AgentOverride agent_override_none(void) {
    AgentOverride o = {-1, {-1, -1}, {-1, -1}};
    return o;
}

void agent_override_apply(const AgentOverride* o, ScnAgentDef* def) {
    if (!o) return;
    if (o->kind >= 0) def->kind = (ScnAgentKind)o->kind;
    if (o->every[0] >= 0) {
        def->every_lo = o->every[0];
        def->every_hi = o->every[1];
    }
    if (o->dv[0] >= 0) {
        def->dv_lo = o->dv[0];
        def->dv_hi = o->dv[1];
    }
}

bool agent_parse_range(const char* text, double max, double* range) {
    char* end;
    double lo = strtod(text, &end);
    if (end == text || *end != ',') return false;
    const char* second = end + 1;
    double hi = strtod(second, &end);
    if (end == second || *end) return false;
    if (!isfinite(lo) || !isfinite(hi) || lo < 0 || hi < lo || hi > max) return false;
    range[0] = lo;
    range[1] = hi;
    return true;
}

Agent* agent_create(const ScnAgentDef* def, const ScnAction* actions, int nactions, uint64_t seed) {
    Agent* a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->def = *def;
    rng_seed(&a->rng, rng_derive(seed, 0x6167656e74));
    if (nactions > 0) {
        a->actions = malloc(sizeof *a->actions * (size_t)nactions);
        if (!a->actions) {
            free(a);
            return NULL;
        }
        memcpy(a->actions, actions, sizeof *a->actions * (size_t)nactions);
        a->nactions = nactions;
    }
    a->next_push = def->start + rng_uniform(&a->rng, def->every_lo, def->every_hi);
    return a;
}

void agent_free(Agent* a) {
    if (!a) return;
    free(a->actions);
    free(a);
}

bool agent_observes(const Agent* a) { return a->def.kind == SCN_AGENT_RANDOM; }

static bool act_scripted(Agent* a, double t, SimPush* out) {
    if (a->next_action >= a->nactions) return false;
    const ScnAction* x = &a->actions[a->next_action];
    if (x->t > t + 1e-9) return false;
    a->next_action++;
    out->body = x->body;
    out->jx = x->jx;
    out->jy = x->jy;
    out->px = x->px;
    out->py = x->py;
    return true;
}

static bool act_random(Agent* a, double t, const float* states, const uint8_t* mask, int k,
                       SimPush* out) {
    if (t + 1e-9 < a->next_push) return false;
    a->next_push = t + rng_uniform(&a->rng, a->def.every_lo, a->def.every_hi);
    /* a uniformly chosen live dynamic body */
    int candidates[256], n = 0;
    for (int i = 0; i < k && n < 256; i++)
        if (mask[i] && states[(size_t)i * SIM_OBS_DIM + SIM_OBS_is_static] < 0.5f) candidates[n++] = i;
    if (n == 0) return false;
    int slot = candidates[rng_int(&a->rng, 0, n - 1)];
    const float* s = states + (size_t)slot * SIM_OBS_DIM;
    double dv = rng_uniform(&a->rng, a->def.dv_lo, a->def.dv_hi);
    double ang = rng_uniform(&a->rng, -a->def.angle_deg, a->def.angle_deg) * (3.14159265358979323846 / 180.0);
    double dir = rng_unit(&a->rng) < 0.5 ? -1.0 : 1.0;
    double j = dv * s[SIM_OBS_mass];
    out->body = slot; /* slot = id (observation.h) */
    out->jx = dir * j * cos(ang);
    out->jy = j * sin(ang);
    out->px = 0.0;
    out->py = rng_uniform(&a->rng, -1.0, 1.0) * a->def.height_frac * 0.5 * s[SIM_OBS_size_h];
    return true;
}

bool agent_act(Agent* a, double t, const float* states, const uint8_t* mask, const int32_t* ids,
               int k, SimPush* out) {
    (void)ids;
    switch (a->def.kind) {
    case SCN_AGENT_SCRIPTED: return act_scripted(a, t, out);
    case SCN_AGENT_RANDOM: return act_random(a, t, states, mask, k, out);
    case SCN_AGENT_NONE: break;
    }
    return false;
}
