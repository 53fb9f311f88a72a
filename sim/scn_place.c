/* scn_place: where the bodies declared 'on SUPPORT' stand, and the start's overlap check.
 *
 * A body 'on' a support stands level on the support's top (its bounding box 0.5 mm above it). The
 * bodies on one support with the same span ('from X0 to X1', or the whole top) are placed
 * together, as a group, when the first of them comes in file order:
 *   1. the free room is the span less every body already standing there -- every body with a
 *      'pos', and the groups placed before -- whose bounding box reaches into the band the group
 *      will occupy, each with SCN_PLACE_GAP around it: a list of free stretches;
 *   2. the bodies, widest first, each go to a stretch where they still fit (SCN_PLACE_GAP between
 *      neighbours), chosen at random in proportion to the room left in it;
 *   3. in each stretch its bodies are shuffled and spread with uniform random gaps (the spacings
 *      of sorted uniform numbers), so any arrangement that fits can come out.
 * Whenever the bodies fit in one stretch together, they are placed: packing never jams as random
 * sequential placement would. The numbers come from the placement stream, rng_derive(seed,
 * "place"), so placing bodies never changes a parameter. A group that does not fit is an error for
 * that seed, never an overlap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "sim/scn_ast.h"
#include "sim/scn_place.h"
#include "sim/shape.h"

#define PLACE_STREAM 0x706c616365ull /* "place" */
#define CLEARANCE 0.0005             /* m: a placed body starts this far above its support */

/* the free room of a support: a sorted list of disjoint stretches [lo, hi] of its top */
typedef struct Spans {
    int    n, cap;
    double (*v)[2];
} Spans;

static void spans_add(Spans* s, double lo, double hi) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = alloc_resize(s->v, (size_t)s->cap, sizeof *s->v);
    }
    s->v[s->n][0] = lo;
    s->v[s->n][1] = hi;
    s->n++;
}

/* removes the open interval (lo, hi) from the spans */
static void spans_cut(Spans* s, double lo, double hi) {
    int n = s->n;
    for (int i = 0; i < n; i++) {
        double a = s->v[i][0], b = s->v[i][1];
        if (hi <= a || lo >= b) continue;
        if (lo > a && hi < b) {
            /* split: the right part goes to the end and the list is re-sorted below */
            s->v[i][1] = lo;
            spans_add(s, hi, b);
        } else if (lo > a) {
            s->v[i][1] = lo;
        } else if (hi < b) {
            s->v[i][0] = hi;
        } else {
            s->v[i][0] = 1, s->v[i][1] = 0;  /* gone */
        }
    }
    /* keep the non-empty ones, sorted */
    int k = 0;
    for (int i = 0; i < s->n; i++)
        if (s->v[i][0] <= s->v[i][1]) {
            s->v[k][0] = s->v[i][0];
            s->v[k][1] = s->v[i][1];
            k++;
        }
    s->n = k;
    for (int i = 1; i < s->n; i++)
        for (int j = i; j > 0 && s->v[j - 1][0] > s->v[j][0]; j--) {
            double t0 = s->v[j][0], t1 = s->v[j][1];
            s->v[j][0] = s->v[j - 1][0], s->v[j][1] = s->v[j - 1][1];
            s->v[j - 1][0] = t0, s->v[j - 1][1] = t1;
        }
}

static void def_bounds(const SimBodyDef* d, double box[4]) {
    SimShape sh;
    sim_def_shape(d, &sh);
    sim_shape_bounds(&sh, box);
}

/* the support's top and the span a body may stand in; false + error */
static bool body_span(const Scenario* s, const double* params, int k, const int* map, const SimBodyDef* bodies,
                      double span[3], ScnErr* e) {
    const ScnBodyDecl* d = &s->bodies[k];
    const ScnBodyDecl* sd = &s->bodies[d->on];
    if (map[d->on] < 0) {
        scn_err_set(e, d->line, d->on_col, "expected support '%s' in this instance, got none (its 'if' is false for "
                                           "this seed)", sd->name);
        return false;
    }
    const SimBodyDef* sup = &bodies[map[d->on]];
    if ((sup->kind != SIM_KIND_BOX && sup->kind != SIM_KIND_PLANK) || fabs(sup->angle) > 1e-9) {
        scn_err_set(e, d->line, d->on_col, "expected a support with a level top (a box or a plank at angle 0), got "
                                           "'%s' (a %s at %g degrees)", sd->name, sim_kind_name(sup->kind),
                    sup->angle * 180 / M_PI);
        return false;
    }
    span[0] = sup->x - sup->w / 2;
    span[1] = sup->x + sup->w / 2;
    span[2] = sup->y + sup->h / 2;
    if (d->on_from.e >= 0) {
        double x0, x1;
        if (!scn_num_eval(s, &d->on_from, params, 0, &x0, e) || !scn_num_eval(s, &d->on_to, params, 0, &x1, e))
            return false;
        if (!(x1 > x0)) {
            scn_err_set(e, d->on_to.line, d->on_to.col, "expected to X1 > from X0 (%g), got %g", x0, x1);
            return false;
        }
        span[0] = fmax(span[0], x0), span[1] = fmin(span[1], x1);
    }
    return true;
}

typedef struct Member {
    int    decl, body;   /* declaration, index in bodies[] */
    double w;            /* width, m */
    int    stretch;      /* the free stretch it goes to */
} Member;

static int by_width(const void* a, const void* b) {
    const Member *x = a, *y = b;
    if (x->w != y->w) return x->w < y->w ? 1 : -1;
    return x->decl - y->decl;
}

/* places the group g[n] (same support, same span) */
static bool place_group(const Scenario* s, Member* g, int n, const double span[3], SimBodyDef* bodies,
                        const bool* placed, int nbodies, int support, Rng* r, ScnErr* e) {
    const ScnBodyDecl* first = &s->bodies[g[0].decl];
    double top = span[2], tallest = 0, need = 0;
    for (int i = 0; i < n; i++) tallest = fmax(tallest, bodies[g[i].body].h), need += g[i].w + (i ? SCN_PLACE_GAP : 0);
    /* 1. the free stretches: the span less what stands in the band the group will occupy */
    Spans room = {0, 0, NULL};
    spans_add(&room, span[0], span[1]);
    for (int i = 0; i < nbodies; i++) {
        if (!placed[i] || i == support) continue;
        double box[4];
        def_bounds(&bodies[i], box);
        if (box[1] >= top + CLEARANCE + tallest + SCN_PLACE_GAP || box[3] <= top) continue;
        spans_cut(&room, box[0] - SCN_PLACE_GAP, box[2] + SCN_PLACE_GAP);
    }
    /* 2. widest first, each to a stretch where it fits, at random by the room left there */
    double* left = alloc_array((size_t)room.n + 1, sizeof *left);
    int* count = alloc_zeroed((size_t)room.n + 1, sizeof *count);
    for (int j = 0; j < room.n; j++) left[j] = room.v[j][1] - room.v[j][0];
    qsort(g, (size_t)n, sizeof *g, by_width);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        double total = 0, u = rng_unit(r);
        for (int j = 0; j < room.n; j++)
            if (left[j] >= g[i].w + (count[j] ? SCN_PLACE_GAP : 0)) total += left[j] + 1e-12;
        g[i].stretch = -1;
        double at = u * total;
        for (int j = 0; j < room.n && g[i].stretch < 0; j++) {
            if (left[j] < g[i].w + (count[j] ? SCN_PLACE_GAP : 0)) continue;
            at -= left[j] + 1e-12;
            if (at < 0 || j == room.n - 1) g[i].stretch = j;
        }
        for (int j = room.n - 1; j >= 0 && g[i].stretch < 0; j--)   /* rounding: the last that fits */
            if (left[j] >= g[i].w + (count[j] ? SCN_PLACE_GAP : 0)) g[i].stretch = j;
        if (g[i].stretch < 0) {
            const ScnBodyDecl* d = &s->bodies[g[i].decl];
            scn_err_set(e, d->line, d->on_col,
                        "expected room for '%s' (%.3f m wide, %g m from others) on '%s' between x = %.3f and %.3f, "
                        "got none for this seed (its group needs %.3f m)",
                        d->name, g[i].w, SCN_PLACE_GAP, s->bodies[first->on].name, span[0], span[1], need);
            ok = false;
            break;
        }
        left[g[i].stretch] -= g[i].w + (count[g[i].stretch] ? SCN_PLACE_GAP : 0);
        count[g[i].stretch]++;
    }
    /* 3. in each stretch: a random order, uniform random gaps */
    Member** in = alloc_array((size_t)n + 1, sizeof *in);
    double* cut = alloc_array((size_t)n + 1, sizeof *cut);
    for (int j = 0; ok && j < room.n; j++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (g[i].stretch == j) in[m++] = &g[i];
        if (!m) continue;
        for (int i = m - 1; i > 0; i--) {
            int q = (int)rng_int(r, 0, i);
            Member* t = in[i];
            in[i] = in[q];
            in[q] = t;
        }
        for (int i = 0; i < m; i++) cut[i] = rng_unit(r) * left[j];
        for (int i = 1; i < m; i++)
            for (int q = i; q > 0 && cut[q - 1] > cut[q]; q--) {
                double t = cut[q];
                cut[q] = cut[q - 1];
                cut[q - 1] = t;
            }
        double x = room.v[j][0];
        for (int i = 0; i < m; i++) {
            SimBodyDef* b = &bodies[in[i]->body];
            double at = x + cut[i] + b->w / 2;
            b->x = at;
            b->y = top + CLEARANCE + b->h / 2;
            b->angle = 0;
            x += b->w + SCN_PLACE_GAP;
        }
    }
    free(in);
    free(cut);
    free(left);
    free(count);
    free(room.v);
    return ok;
}

bool scn_place_bodies(const Scenario* s, const double* params, uint64_t seed, const int* map, SimBodyDef* bodies,
                      int nbodies, const SimWorldDef* w, ScnErr* e) {
    bool* placed = alloc_zeroed((size_t)nbodies + 1, sizeof *placed);
    bool* done = alloc_zeroed((size_t)s->nbodies + 1, sizeof *done);
    Member* g = alloc_array((size_t)s->nbodies + 1, sizeof *g);
    double (*spans)[3] = alloc_array((size_t)s->nbodies + 1, sizeof *spans);
    /* bodies with a position stand from the start */
    for (int k = 0; k < s->nbodies; k++)
        if (map[k] >= 0 && s->bodies[k].on < 0) placed[map[k]] = true;
    bool ok = true;
    Rng r;
    rng_seed(&r, rng_derive(seed, PLACE_STREAM));
    for (int k = 0; ok && k < s->nbodies; k++) {
        const ScnBodyDecl* d = &s->bodies[k];
        if (d->on < 0 || map[k] < 0 || done[k]) continue;
        /* the group: the bodies on the same support with the same span, from here on (the support
           stands by now: it was declared above, so its own group came first) */
        int n = 0;
        for (int j = k; ok && j < s->nbodies; j++)
            if (s->bodies[j].on == d->on && map[j] >= 0 && !done[j])
                ok = body_span(s, params, j, map, bodies, spans[j], e);
        for (int j = k; ok && j < s->nbodies; j++) {
            if (s->bodies[j].on != d->on || map[j] < 0 || done[j] || memcmp(spans[j], spans[k], sizeof spans[k]))
                continue;
            g[n].decl = j;
            g[n].body = map[j];
            g[n].w = bodies[map[j]].w;
            n++;
            done[j] = true;
        }
        ok = ok && place_group(s, g, n, spans[k], bodies, placed, nbodies, map[d->on], &r, e);
        for (int i = 0; ok && i < n; i++) {
            placed[g[i].body] = true;
            const SimBodyDef* b = &bodies[g[i].body];
            if (b->x < w->bounds[0] || b->x > w->bounds[2] || b->y < w->bounds[1] || b->y > w->bounds[3]) {
                const ScnBodyDecl* bd = &s->bodies[g[i].decl];
                scn_err_set(e, bd->line, bd->on_col, "expected a place inside the world bounds [%g, %g] x [%g, %g], "
                                                     "got (%g, %g)", w->bounds[0], w->bounds[2], w->bounds[1],
                            w->bounds[3], b->x, b->y);
                ok = false;
            }
        }
    }
    free(placed);
    free(done);
    free(g);
    free(spans);
    return ok;
}

bool scn_check_overlaps(const Scenario* s, const int* map, const SimBodyDef* bodies, int nbodies, ScnErr* e) {
    SimShape* sh = alloc_array((size_t)nbodies + 1, sizeof *sh);
    double(*box)[4] = alloc_array((size_t)nbodies + 1, sizeof *box);
    int* decl = alloc_array((size_t)nbodies + 1, sizeof *decl);
    for (int k = 0; k < s->nbodies; k++)
        if (map[k] >= 0 && map[k] < nbodies) decl[map[k]] = k;
    for (int i = 0; i < nbodies; i++) {
        sim_def_shape(&bodies[i], &sh[i]);
        sim_shape_bounds(&sh[i], box[i]);
    }
    bool ok = true;
    for (int j = 1; ok && j < nbodies; j++)
        for (int i = 0; ok && i < j; i++) {
            /* static bodies may overlap each other: they never collide */
            if (bodies[i].is_static && bodies[j].is_static) continue;
            if (box[i][0] >= box[j][2] || box[j][0] >= box[i][2] || box[i][1] >= box[j][3] || box[j][1] >= box[i][3])
                continue;
            double depth = sim_shape_penetration(&sh[i], &sh[j]);
            if (depth > SCN_OVERLAP_TOL) {
                const ScnBodyDecl* d = &s->bodies[decl[j]];
                scn_err_set(e, d->line, d->col,
                            "expected bodies apart at the start, got '%s' %.4f m deep in '%s' (line %d)", d->name,
                            depth, s->bodies[decl[i]].name, s->bodies[decl[i]].line);
                ok = false;
            }
        }
    free(sh);
    free(box);
    free(decl);
    return ok;
}
