/* episode_export: an episode written as a scenario file (see episode_export.h) */
#include "agent/episode_export.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/episode.h"
#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/report.h"
#include "sim/materials.h"

#define DEG (3.14159265358979323846 / 180.0) /* as the scenario reads degrees (sim/scenario.c) */
#define MAX_KEY_SPAN 600                     /* ticks between two key frames at most (10 s) */

/* ---- a growing text ---- */

typedef struct Text {
    char*  s;
    size_t n, cap;
} Text;

static void text_add(Text* t, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(Text* t, const char* fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->n;
        int k = vsnprintf(t->s ? t->s + t->n : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if ((size_t)k < room) {
            t->n += (size_t)k;
            return;
        }
        t->cap = (t->cap + (size_t)k + 1) * 2;
        t->s = alloc_resize(t->s, t->cap, 1);
    }
}

/* ---- numbers and times ---- */

/* the shortest text that reads back as v exactly (strtod, as the scenario reads numbers) */
static const char* num(double v, char* buf, size_t size) {
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

/* the time a control tick k (1-based: tick k starts at (k - 1) ticks) starts at, as the world has it */
static double tick_time(const SimWorldDef* d, int64_t k) { return (double)((k - 1) * d->steps_per_tick) * d->dt; }

/* the shortest decimal at which an action is due exactly at tick k (agent_due) */
static const char* tick_str(const SimWorldDef* d, int64_t k, char* buf, size_t size) {
    double t = tick_time(d, k), prev = k > 1 ? tick_time(d, k - 1) : -1.0;
    for (int p = 0; p <= 15; p++) {
        double scale = pow(10.0, p), q = floor(t * scale);
        for (int up = 1; up >= 0; up--) {
            snprintf(buf, size, "%.*f", p, (q + up) / scale);
            double v = strtod(buf, NULL);
            if (agent_due(v, t) && !agent_due(v, prev)) return buf;
        }
    }
    return num(t, buf, size);
}

/* degrees that the scenario turns back into exactly rad radians, if there are any */
static double degrees(double rad, bool* exact) {
    double d = rad / DEG, best = d;
    *exact = false;
    for (int k = 0; k < 8 && !*exact; k++) {
        double c[2] = {d, d};
        for (int i = 0; i < k; i++) c[0] = nextafter(c[0], INFINITY), c[1] = nextafter(c[1], -INFINITY);
        for (int j = 0; j < 2; j++)
            if (c[j] * DEG == rad) best = c[j], *exact = true;
    }
    return best;
}

/* ---- lines, gathered then sorted by tick ---- */

typedef struct Line {
    int64_t tick;
    int     order;     /* within a tick: spawn, release, grab, push, magic */
    int     seq;
    char*   text;
} Line;

typedef struct Lines {
    Line* v;
    int   n, cap;
} Lines;

static void line_add(Lines* l, int64_t tick, int order, const char* text) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = alloc_resize(l->v, (size_t)l->cap, sizeof *l->v);
    }
    l->v[l->n] = (Line){tick, order, l->n, alloc_strdup(text)};
    l->n++;
}

static int line_cmp(const void* a, const void* b) {
    const Line *x = a, *y = b;
    if (x->tick != y->tick) return x->tick < y->tick ? -1 : 1;
    if (x->order != y->order) return x->order - y->order;
    return x->seq - y->seq;
}

/* ---- body references ---- */

typedef struct Names {
    char (*name)[SIM_NAME_MAX];  /* by id: the root name the scenario uses for a spawned body */
    int   cap;
} Names;

/* the scenario's reference to body id: its name, a renamed spawn's name, or PARENT/K for a piece */
static bool ref_of(const SimWorld* w, const Names* nm, int32_t id, char* out, size_t size, int depth) {
    SimBodyState b;
    if (depth > 16 || !sim_world_body(w, id, &b)) return false;
    if (b.kind == SIM_KIND_SHARD && b.parent >= 0) {
        const char* hash = strrchr(b.name, '#');
        char parent[64];
        if (!hash || !ref_of(w, nm, b.parent, parent, sizeof parent, depth + 1)) return false;
        int n = snprintf(out, size, "%s/%s", parent, hash + 1);
        return n > 0 && (size_t)n < size && n < SIM_NAME_MAX;
    }
    const char* name = id < nm->cap && nm->name[id][0] ? nm->name[id] : b.name;
    if (!scn_body_name_ok(name)) return false;
    snprintf(out, size, "%s", name);
    return true;
}

/* ---- bodies that enter: spawns and appears ---- */

/* gives a body entering at id the name the scenario's world will give it: its own when the
 * scenario can use it, else a new spawnedN; remembered in nm for later references */
static void entering_name(const SimWorld* w, Names* nm, int32_t id, SimBodyDef* sp, int* spawned) {
    if (id >= nm->cap) {
        int ncap = nm->cap;
        while (id >= ncap) ncap *= 2;
        nm->name = alloc_resize(nm->name, (size_t)ncap, sizeof *nm->name);
        memset(nm->name + nm->cap, 0, sizeof *nm->name * (size_t)(ncap - nm->cap));
        nm->cap = ncap;
    }
    bool taken = !scn_body_name_ok(sp->name) || sim_world_find(w, sp->name) >= 0;
    while (taken) {
        snprintf(sp->name, sizeof sp->name, "spawned%d", ++*spawned);
        taken = sim_world_find(w, sp->name) >= 0;
    }
    snprintf(nm->name[id], SIM_NAME_MAX, "%s", sp->name);
}

/* "at T VERB NAME KIND MATERIAL pos X Y size W H [angle A] [vel VX VY] [spin W] [static]" for a
 * spawn or an appear; false (note set) when the body cannot be written as a line */
static bool entering_line(const SimBodyDef* sp, const char* T, const char* verb, int64_t k, char* line, size_t size,
                          EpisodeExportStats* st) {
    char b1[32], b2[32], b3[32], b4[32];
    if (sp->kind == SIM_KIND_SHARD || (int)sp->kind < 0 || sp->kind >= SIM_KIND_COUNT || sp->material < 0 ||
        sp->material >= sim_material_count()) {
        snprintf(st->note, sizeof st->note, "tick %lld: a body that %ss (a %s) cannot be written as a scenario line",
                 (long long)k, verb, sp->kind == SIM_KIND_SHARD ? "shard" : "body of an unknown kind");
        return false;
    }
    bool exact = true;
    int n = snprintf(line, size, "at %s %s %s %s %s pos %s %s size %s %s", T, verb, sp->name, sim_kind_name(sp->kind),
                     sim_material_get(sp->material)->name, num(sp->x, b1, sizeof b1), num(sp->y, b2, sizeof b2),
                     num(sp->w, b3, sizeof b3), num(sp->h, b4, sizeof b4));
    if (sp->angle != 0) n += snprintf(line + n, size - (size_t)n, " angle %s", num(degrees(sp->angle, &exact), b1, sizeof b1));
    if (sp->vx != 0 || sp->vy != 0)
        n += snprintf(line + n, size - (size_t)n, " vel %s %s", num(sp->vx, b1, sizeof b1), num(sp->vy, b2, sizeof b2));
    if (sp->omega != 0) n += snprintf(line + n, size - (size_t)n, " spin %s", num(sp->omega, b1, sizeof b1));
    if (sp->is_static) snprintf(line + n, size - (size_t)n, " static");
    if (!exact && !st->note[0])
        snprintf(st->note, sizeof st->note, "tick %lld: the %s's angle does not read back exactly in degrees", (long long)k, verb);
    return true;
}

/* "at T KIND [BODY] [numbers]" for a magic entry other than appear (scenarios/README.md, "Magic") */
static void magic_line(const SimMagic* m, const char* T, const char* ref, char* line, size_t size) {
    char b1[32], b2[32];
    const char* name = sim_magic_name(m->kind);
    switch ((SimMagicKind)m->kind) {
    case SIM_MAGIC_GRAVITY:
        snprintf(line, size, "at %s %s %s %s", T, name, num(m->v[0], b1, sizeof b1), num(m->v[1], b2, sizeof b2));
        break;
    case SIM_MAGIC_TELEPORT:
    case SIM_MAGIC_DRIFT:
        snprintf(line, size, "at %s %s %s %s %s", T, name, ref, num(m->v[0], b1, sizeof b1), num(m->v[1], b2, sizeof b2));
        break;
    case SIM_MAGIC_MASS:
        snprintf(line, size, "at %s %s %s %s %s", T, name, ref, num(m->v[0], b1, sizeof b1), m->v[1] != 0 ? "shown" : "hidden");
        break;
    case SIM_MAGIC_GHOST:
        snprintf(line, size, "at %s %s %s %s", T, name, ref, m->v[0] != 0 ? "on" : "off");
        break;
    default: /* vanish, freeze, unbreakable */
        snprintf(line, size, "at %s %s %s", T, name, ref);
        break;
    }
}

/* ---- holds of the hand ---- */

typedef struct Hold {
    bool    on;
    int32_t body;
    char    ref[64];
    double  anchor[2];
    int64_t first;            /* its first tick */
    double* xy;               /* the target at each tick from first on */
    int     n, cap;
} Hold;

static void hold_add(Hold* h, const double xy[2]) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 256;
        h->xy = alloc_resize(h->xy, (size_t)h->cap * 2, sizeof *h->xy);
    }
    h->xy[2 * h->n] = xy[0], h->xy[2 * h->n + 1] = xy[1];
    h->n++;
}

/* do key frames at i and j give the target of every tick between, bit for bit? */
static bool span_exact(const Hold* h, int i, int j) {
    for (int k = i + 1; k < j; k++)
        for (int c = 0; c < 2; c++)
            if (agent_hand_lerp(h->xy[2 * i + c], h->xy[2 * j + c], k - i, j - i) != h->xy[2 * k + c]) return false;
    return true;
}

static void keyframe_line(const Hold* h, const SimWorldDef* d, int i, Lines* out) {
    char line[512], tb[48], xb[32], yb[32], ab[32], bb[32];
    int64_t tick = h->first + i;
    int n = snprintf(line, sizeof line, "at %s grab %s %s %s", tick_str(d, tick, tb, sizeof tb), h->ref,
                     num(h->xy[2 * i], xb, sizeof xb), num(h->xy[2 * i + 1], yb, sizeof yb));
    if (i == 0 && (h->anchor[0] != 0 || h->anchor[1] != 0))
        snprintf(line + n, sizeof line - (size_t)n, " anchor %s %s", num(h->anchor[0], ab, sizeof ab),
                 num(h->anchor[1], bb, sizeof bb));
    line_add(out, tick, 2, line);
}

/* the hold's key frames: its first tick, then each the farthest on that the interpolation between
 * them reproduces every tick's target; none once the hand only stays where it is */
static void hold_emit(Hold* h, const SimWorldDef* d, Lines* out, EpisodeExportStats* st) {
    if (h->on && h->n > 0) {
        int i = 0;
        keyframe_line(h, d, 0, out);
        st->keyframes++;
        while (i < h->n - 1) {
            bool still = true;
            for (int k = i + 1; k < h->n && still; k++)
                still = h->xy[2 * k] == h->xy[2 * i] && h->xy[2 * k + 1] == h->xy[2 * i + 1];
            if (still) break;
            int j = i + 1;
            while (j + 1 < h->n && j + 1 - i <= MAX_KEY_SPAN && span_exact(h, i, j + 1)) j++;
            keyframe_line(h, d, j, out);
            st->keyframes++;
            i = j;
        }
        st->holds++;
    }
    h->on = false;
    h->n = 0;
}

/* ---- the original text, with the lines the recording replaces commented out ---- */

static void copy_original(const EpisodeExport* x, Text* t) {
    const char* s = x->text;
    size_t len = x->len, pos = 0;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) pos = 3;
    while (pos < len) {
        const char* nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len, stop = end;
        if (stop > pos && s[stop - 1] == '\r') stop--;
        const char* line = s + pos;
        size_t n = stop - pos, i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
        const char* w = line + i;
        size_t wl = 0;
        while (i + wl < n && line[i + wl] != ' ' && line[i + wl] != '\t' && line[i + wl] != '#') wl++;
        bool replaced = false;
        if ((wl == 5 && !memcmp(w, "agent", 5)) || (wl == 2 && !memcmp(w, "at", 2)) || (wl == 6 && !memcmp(w, "expect", 6))) {
            replaced = true;
        } else if (wl == 5 && !memcmp(w, "world", 5)) {
            size_t j = i + wl;
            while (j < n && (line[j] == ' ' || line[j] == '\t')) j++;
            replaced = (n - j >= 4 && !memcmp(line + j, "seed", 4) && (n - j == 4 || line[j + 4] == ' ' || line[j + 4] == '\t' || line[j + 4] == '#')) ||
                       (n - j >= 7 && !memcmp(line + j, "seconds", 7) && (n - j == 7 || line[j + 7] == ' ' || line[j + 7] == '\t' || line[j + 7] == '#'));
        }
        text_add(t, "%s%.*s\n", replaced ? "# (replaced below) " : "", (int)n, line);
        pos = end + 1;
    }
}

/* ---- the whole file ---- */

void episode_export_summary(const EpisodeExportStats* st, char* out, size_t size) {
    static const char* names[][2] = {{"push", "pushes"}, {"hold", "holds"}, {"release", "releases"},
                                     {"spawn", "spawns"}, {"magic line", "magic lines"}, {"expectation", "expectations"}};
    int counts[] = {st->pushes, st->holds, st->releases, st->spawns, st->magic, st->expects};
    int used = 0;
    out[0] = 0;
    for (int j = 0; j < 6; j++) {
        if (!counts[j] && j < 5) continue;
        if (j == 5 && used == 0) used += snprintf(out, size, "nothing applied");
        if (used < 0 || (size_t)used >= size) return;
        used += snprintf(out + used, size - (size_t)used, "%s%d %s", used ? ", " : "", counts[j], names[j][counts[j] != 1]);
        if (j == 1 && used > 0 && (size_t)used < size)
            used += snprintf(out + used, size - (size_t)used, " (%d grab key frames)", st->keyframes);
    }
}

void episode_export_default_types(bool types[SIM_EV_COUNT]) {
    for (int i = 0; i < SIM_EV_COUNT; i++) types[i] = false;
    types[SIM_EV_FALL] = types[SIM_EV_BREAK] = types[SIM_EV_TOPPLE] = types[SIM_EV_OUT_OF_BOUNDS] = true;
}

/* the first event of a type for a body */
typedef struct First {
    bool   seen;
    double t;
} First;

/* the first contact of a pair of bodies */
typedef struct Pair {
    int32_t a, b;
    double  t;
} Pair;

typedef struct Run {
    Episode   e;
    uint64_t* hashes;         /* [ticks] the world hash after each tick */
    int64_t   ticks;
} Run;

/* the action of episode tick k (or NULL), walking the sorted entries */
static const SimAction* action_at(const EpisodeExport* x, int* next, int64_t k) {
    while (*next < x->nactions && x->actions[*next].tick < k) (*next)++;
    return *next < x->nactions && x->actions[*next].tick == k ? &x->actions[*next].action : NULL;
}

static bool build(const EpisodeExport* x, Text* out, Run* run, EpisodeExportStats* st, char* err, size_t err_size) {
    Episode* e = &run->e;
    if (!episode_begin(e, x->scn, x->seed, SCN_AGENT_NONE, 1, err, err_size)) return false;
    const SimWorldDef* d = &e->inst.world;
    double tick_s = d->dt * d->steps_per_tick;
    int64_t extra = (int64_t)ceil(x->tol / tick_s - 1e-9);
    run->ticks = x->ticks + (extra > 0 ? extra : 0);
    run->hashes = alloc_array((size_t)run->ticks + 1, sizeof *run->hashes);
    Names nm = {alloc_zeroed((size_t)64, sizeof *nm.name), 64};
    First* first = alloc_zeroed((size_t)64 * SIM_EV_COUNT, sizeof *first);
    int nfirst = 64;
    Lines lines = {0};
    Hold hold = {0};
    Pair* pairs = NULL;
    int npairs = 0, cappairs = 0;
    char line[1024], tb[48], b1[32], b2[32], ref[64];
    int next = 0, spawned = 0;
    bool ok = true;
    for (int64_t k = 1; k <= run->ticks; k++) {
        const SimAction* given = k <= x->ticks ? action_at(x, &next, k) : NULL;
        SimAction cur;
        const SimAction* a = NULL;
        if (given) cur = *given, a = &cur;
        const char* T = tick_str(d, k, tb, sizeof tb);
        int32_t next_id = sim_world_id_count(e->world);
        if (a && (a->flags & SIM_ACT_RESET)) {
            report_set(err, err_size, "the episode's actions hold a reset at tick %lld", (long long)k);
            ok = false;
            break;
        }
        /* the world let go of the held body (it broke, it left): the hold is over */
        if (hold.on && !sim_world_grabbed(e->world, NULL)) hold_emit(&hold, d, &lines, st);
        if (a && (a->flags & SIM_ACT_SPAWN)) {
            SimBodyDef* sp = &cur.spawn;
            /* this run's world takes the name the scenario's world will give it */
            entering_name(e->world, &nm, next_id, sp, &spawned);
            if (entering_line(sp, T, "spawn", k, line, sizeof line, st)) {
                line_add(&lines, k, 0, line);
                st->spawns++;
            }
        }
        if (a && (a->flags & SIM_ACT_RELEASE) && hold.on) {
            snprintf(line, sizeof line, "at %s release %s", T, hold.ref);
            hold_emit(&hold, d, &lines, st);
            line_add(&lines, k, 1, line);
            st->releases++;
        }
        if (a && (a->flags & SIM_ACT_GRAB)) {
            const SimGrab* g = &a->grab;
            if (!hold.on || hold.body != g->body) {
                hold_emit(&hold, d, &lines, st);
                /* a body spawned this tick is not in the world yet, but its name is known */
                bool named = (a->flags & SIM_ACT_SPAWN) && g->body == next_id
                                 ? snprintf(ref, sizeof ref, "%s", nm.name[next_id]) > 0
                                 : ref_of(e->world, &nm, g->body, ref, sizeof ref, 0);
                if (!named) {
                    snprintf(st->note, sizeof st->note, "tick %lld: the held body %d has no name the scenario can use",
                             (long long)k, g->body);
                } else {
                    hold.on = true;
                    hold.body = g->body;
                    snprintf(hold.ref, sizeof hold.ref, "%s", ref);
                    hold.anchor[0] = g->anchor[0], hold.anchor[1] = g->anchor[1];
                    hold.first = k;
                    hold.n = 0;
                }
            }
            if (hold.on) hold_add(&hold, g->target);
        } else if (hold.on && hold.n > 0) {
            /* held without a new target: the hand stays where it is */
            double xy[2] = {hold.xy[2 * (hold.n - 1)], hold.xy[2 * (hold.n - 1) + 1]};
            hold_add(&hold, xy);
        }
        if (a && a->npushes > 0) {
            int n = snprintf(line, sizeof line, "at %s", T), written = 0;
            for (int i = 0; i < a->npushes && n < (int)sizeof line - 200; i++) {
                const SimPush* p = &a->pushes[i];
                bool named = (a->flags & SIM_ACT_SPAWN) && p->body == next_id
                                 ? snprintf(ref, sizeof ref, "%s", nm.name[next_id]) > 0
                                 : ref_of(e->world, &nm, p->body, ref, sizeof ref, 0);
                if (!named) {
                    snprintf(st->note, sizeof st->note, "tick %lld: a pushed body has no name the scenario can use", (long long)k);
                    continue;
                }
                n += snprintf(line + n, sizeof line - (size_t)n, "%s push %s %s %s", written ? " and" : "", ref,
                              num(p->jx, b1, sizeof b1), num(p->jy, b2, sizeof b2));
                if (p->px != 0 || p->py != 0)
                    n += snprintf(line + n, sizeof line - (size_t)n, " offset %s %s", num(p->px, b1, sizeof b1),
                                  num(p->py, b2, sizeof b2));
                written++;
                st->pushes++;
            }
            if (written) line_add(&lines, k, 3, line);
        }
        /* magic after the pushes, in its order; an appear's body is the action's spawn def */
        for (int i = 0; a && i < a->nmagic; i++) {
            const SimMagic* m = &a->magic[i];
            bool written = true;
            if (m->kind == SIM_MAGIC_APPEAR) {
                entering_name(e->world, &nm, next_id, &cur.spawn, &spawned);
                written = entering_line(&cur.spawn, T, "appear", k, line, sizeof line, st);
            } else if (m->kind == SIM_MAGIC_GRAVITY) {
                magic_line(m, T, NULL, line, sizeof line);
            } else if (ref_of(e->world, &nm, m->body, ref, sizeof ref, 0)) {
                magic_line(m, T, ref, line, sizeof line);
            } else {
                written = false;
                snprintf(st->note, sizeof st->note, "tick %lld: the body of a %s has no name the scenario can use",
                         (long long)k, sim_magic_name(m->kind));
            }
            if (written) line_add(&lines, k, 4, line), st->magic++;
        }
        /* the tick as it was: the agent (none here) and the scenario's own magic add nothing */
        episode_tick_recorded(e, a);
        run->hashes[k] = sim_world_hash(e->world);
        /* the first events of each body */
        int nev;
        const SimEvent* ev = sim_world_events(e->world, &nev);
        for (int i = 0; i < nev; i++) {
            if (ev[i].type == SIM_EV_CONTACT && x->types[SIM_EV_CONTACT]) {
                bool seen = false;
                for (int j = 0; j < npairs && !seen; j++) seen = pairs[j].a == ev[i].a && pairs[j].b == ev[i].b;
                if (!seen) {
                    if (npairs == cappairs) {
                        cappairs = cappairs ? 2 * cappairs : 64;
                        pairs = alloc_resize(pairs, (size_t)cappairs, sizeof *pairs);
                    }
                    pairs[npairs++] = (Pair){ev[i].a, ev[i].b, ev[i].t};
                }
            }
            int32_t ids[2] = {ev[i].a, ev[i].type == SIM_EV_CONTACT ? ev[i].b : -1};
            for (int j = 0; j < 2; j++) {
                int32_t id = ids[j];
                if (id < 0) continue;
                if (id >= nfirst) {
                    int nn = nfirst;
                    while (id >= nn) nn *= 2;
                    first = alloc_resize(first, (size_t)nn * SIM_EV_COUNT, sizeof *first);
                    memset(first + (size_t)nfirst * SIM_EV_COUNT, 0, sizeof *first * (size_t)(nn - nfirst) * SIM_EV_COUNT);
                    nfirst = nn;
                }
                First* f = &first[(size_t)id * SIM_EV_COUNT + ev[i].type];
                if (!f->seen) f->seen = true, f->t = ev[i].t;
            }
        }
    }
    if (ok && hold.on) hold_emit(&hold, d, &lines, st);
    if (ok) {
        /* the text: where it came from, the scenario, the episode, the actions, the expectations */
        text_add(out, "# A regression test written by nudge from a recorded episode%s%s\n", x->from ? ": " : ".",
                 x->from ? x->from : "");
        text_add(out, "# Its scenario follows (%s), with the lines the episode replaces commented out.\n", scn_name(x->scn));
        text_add(out, "# Run it: nudge check FILE\n\n");
        copy_original(x, out);
        double seconds = (double)run->ticks * tick_s;
        char sb[32];
        for (int p = 1; p <= 17; p++) {
            snprintf(sb, sizeof sb, "%.*g", p, seconds);
            if (llround(strtod(sb, NULL) / tick_s) == run->ticks) break;
        }
        text_add(out, "\n# ---- the recorded episode: seed %llu, %lld ticks (%.3f s), then %.3f s more to settle ----\n",
                 (unsigned long long)x->seed, (long long)x->ticks, (double)x->ticks * tick_s, (double)(run->ticks - x->ticks) * tick_s);
        text_add(out, "world seed %llu\nworld seconds %s\nagent scripted\n", (unsigned long long)x->seed, sb);
        if (lines.n > 1) qsort(lines.v, (size_t)lines.n, sizeof *lines.v, line_cmp);
        for (int i = 0; i < lines.n; i++) text_add(out, "%s\n", lines.v[i].text);
        text_add(out, "\n# ---- what happened: the first event of each kind per named body, +- %g s ----\n", x->tol);
        /* the events in the order they happened, then what never happened */
        int count = sim_world_id_count(e->world);
        Lines exp = {0}, never = {0};
        for (int id = 0; id < count; id++) {
            SimBodyState b;
            if (!sim_world_body(e->world, id, &b) || b.kind == SIM_KIND_SHARD || !ref_of(e->world, &nm, id, ref, sizeof ref, 0))
                continue;
            for (int ty = 0; ty < SIM_EV_COUNT; ty++) {
                if (!x->types[ty] || ty == SIM_EV_CONTACT) continue;
                const First* f = id < nfirst ? &first[(size_t)id * SIM_EV_COUNT + ty] : NULL;
                if (f && f->seen) {
                    snprintf(line, sizeof line, "expect event %s %s near %.4f %g", sim_event_name((SimEventType)ty), ref, f->t, x->tol);
                    line_add(&exp, llround(f->t * 1e6), 0, line);
                } else if (!b.is_static && !(ty == SIM_EV_TOPPLE && b.kind == SIM_KIND_BALL)) {
                    snprintf(line, sizeof line, "expect no event %s %s", sim_event_name((SimEventType)ty), ref);
                    line_add(&never, 0, 0, line);
                }
            }
        }
        /* first contacts between two named bodies */
        for (int i = 0; i < npairs; i++) {
            SimBodyState ba, bb;
            char other[64];
            if (!sim_world_body(e->world, pairs[i].a, &ba) || !sim_world_body(e->world, pairs[i].b, &bb) ||
                ba.kind == SIM_KIND_SHARD || bb.kind == SIM_KIND_SHARD || !ref_of(e->world, &nm, pairs[i].a, ref, sizeof ref, 0) ||
                !ref_of(e->world, &nm, pairs[i].b, other, sizeof other, 0))
                continue;
            snprintf(line, sizeof line, "expect event contact %s %s near %.4f %g", ref, other, pairs[i].t, x->tol);
            line_add(&exp, llround(pairs[i].t * 1e6), 0, line);
        }
        if (exp.n > 1) qsort(exp.v, (size_t)exp.n, sizeof *exp.v, line_cmp);
        for (int i = 0; i < exp.n; i++) text_add(out, "%s\n", exp.v[i].text), free(exp.v[i].text);
        for (int i = 0; i < never.n; i++) text_add(out, "%s\n", never.v[i].text), free(never.v[i].text);
        st->expects = exp.n + never.n;
        free(exp.v);
        free(never.v);
    }
    for (int i = 0; i < lines.n; i++) free(lines.v[i].text);
    free(lines.v);
    free(hold.xy);
    free(nm.name);
    free(first);
    free(pairs);
    return ok;
}

/* runs the written text with its script: does it go through the same states, and pass? */
static void verify(const char* text, size_t len, const char* name, const Run* run, EpisodeExportStats* st) {
    char err[512];
    Scenario* s = scn_parse(text, len, name, err, sizeof err);
    if (!s) {
        report_set(st->note, sizeof st->note, "it does not read back: %s", err);
        st->exact = false;
        st->failed = -1;
        return;
    }
    Episode e;
    if (!episode_begin(&e, s, scn_default_seed(s), -1, 1, err, sizeof err)) {
        report_set(st->note, sizeof st->note, "it does not run: %s", err);
        st->exact = false;
        st->failed = -1;
        scn_free(s);
        return;
    }
    ScnChecker* c = scn_checker_create(s, &e.inst, e.world);
    int64_t differ = -1;
    for (int64_t k = 1; k <= run->ticks; k++) {
        episode_tick(&e, NULL);
        scn_checker_observe(c, e.world);
        if (differ < 0 && sim_world_hash(e.world) != run->hashes[k]) differ = k;
    }
    double tick_s = e.inst.world.dt * e.inst.world.steps_per_tick;
    double horizon = scn_checker_horizon(c);
    for (int64_t k = run->ticks + 1; (double)(k - 1) * tick_s < horizon + 1e-9; k++) {
        episode_tick(&e, NULL);
        scn_checker_observe(c, e.world);
    }
    int n = scn_checker_finish(c, NULL, 0);
    ScnVerdict* v = alloc_array((size_t)n + 1, sizeof *v);
    scn_checker_finish(c, v, n);
    st->failed = 0;
    for (int i = 0; i < n; i++) st->failed += !v[i].pass;
    free(v);
    st->exact = differ < 0;
    if (differ >= 0 && !st->note[0])
        snprintf(st->note, sizeof st->note, "its world differs from the episode's from tick %lld on", (long long)differ);
    scn_checker_free(c);
    episode_end(&e);
    scn_free(s);
}

bool episode_export_write(const EpisodeExport* x, const char* path, EpisodeExportStats* st, char* err,
                          size_t err_size) {
    memset(st, 0, sizeof *st);
    if (!(x->tol > 0 && isfinite(x->tol))) {
        report_set(err, err_size, "the expectations' tolerance must be above 0 s, got %g", x->tol);
        return false;
    }
    Text t = {0};
    Run run;
    memset(&run, 0, sizeof run);
    bool ok = build(x, &t, &run, st, err, err_size);
    episode_end(&run.e);
    if (ok && t.n > SCN_MAX_BYTES) {
        report_set(err, err_size, "%s: the scenario would take %zu bytes, more than a scenario may (%d)", path, t.n, SCN_MAX_BYTES);
        ok = false;
    }
    if (ok) verify(t.s, t.n, path, &run, st);
    if (ok) ok = atomic_file_put(path, t.s, t.n, err, err_size);
    free(run.hashes);
    free(t.s);
    return ok;
}
