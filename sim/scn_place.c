/* scn_place: where the bodies declared 'on SUPPORT' stand, and the start's overlap check.
 *
 * A body 'on' a support stands level on the support's top (its bounding box 0.5 mm above it) at an
 * x drawn uniformly from the places where it fits: within the support's top (or 'from X0 to X1'),
 * at least SCN_PLACE_GAP from every body already there, where "already there" is every body with
 * a 'pos' and every body placed before it in file order, whose bounding box reaches into the band
 * the new body will occupy. One number per 'on' line is drawn from the placement stream,
 * rng_derive(seed, "place"), in file order (also for a body whose 'if' is false), so placements do
 * not disturb the parameters and a body added below does not move the ones above. A body that
 * finds no room is an error for that seed, never an overlap. */
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

/* the free centre positions: a sorted list of disjoint closed intervals */
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

/* decl k placed on its support: x from the placement number u in [0, 1) */
static bool place_one(const Scenario* s, const double* params, int k, double u, const int* map, SimBodyDef* bodies,
                      const bool* placed, int nbodies, ScnErr* e) {
    const ScnBodyDecl* d = &s->bodies[k];
    const ScnBodyDecl* sd = &s->bodies[d->on];
    SimBodyDef* b = &bodies[map[k]];
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
    double top = sup->y + sup->h / 2, lo = sup->x - sup->w / 2, hi = sup->x + sup->w / 2;
    if (d->on_from.e >= 0) {
        double x0, x1;
        if (!scn_num_eval(s, &d->on_from, params, 0, &x0, e) || !scn_num_eval(s, &d->on_to, params, 0, &x1, e))
            return false;
        if (!(x1 > x0)) {
            scn_err_set(e, d->on_to.line, d->on_to.col, "expected to X1 > from X0 (%g), got %g", x0, x1);
            return false;
        }
        lo = fmax(lo, x0), hi = fmin(hi, x1);
    }
    double half_w = b->w / 2, y = top + CLEARANCE + b->h / 2;
    Spans room = {0, 0, NULL};
    spans_add(&room, lo + half_w, hi - half_w);
    if (room.v[0][0] > room.v[0][1]) room.n = 0;
    /* every body already standing where this one will be blocks its footprint and a gap around it */
    for (int i = 0; i < nbodies; i++) {
        if (!placed[i] || i == map[d->on] || i == map[k]) continue;
        double box[4];
        def_bounds(&bodies[i], box);
        if (box[1] >= y + b->h / 2 + SCN_PLACE_GAP || box[3] <= top) continue;
        spans_cut(&room, box[0] - SCN_PLACE_GAP - half_w, box[2] + SCN_PLACE_GAP + half_w);
    }
    double total = 0;
    for (int i = 0; i < room.n; i++) total += room.v[i][1] - room.v[i][0];
    if (room.n == 0) {
        free(room.v);
        scn_err_set(e, d->line, d->on_col, "expected room for '%s' (%.3f m wide, %g m from others) on '%s' between "
                                           "x = %.3f and %.3f, got none for this seed",
                    d->name, b->w, SCN_PLACE_GAP, sd->name, lo, hi);
        return false;
    }
    /* u picks a point of the free spans, uniformly by length (a lone point when they have none) */
    double at = u * total, x = room.v[0][0];
    for (int i = 0; i < room.n; i++) {
        double len = room.v[i][1] - room.v[i][0];
        x = room.v[i][0] + fmin(at, len);
        if (at <= len) break;
        at -= len;
    }
    free(room.v);
    b->x = x;
    b->y = y;
    b->angle = 0;
    return true;
}

bool scn_place_bodies(const Scenario* s, const double* params, uint64_t seed, const int* map, SimBodyDef* bodies,
                      int nbodies, const SimWorldDef* w, ScnErr* e) {
    bool* placed = alloc_zeroed((size_t)nbodies + 1, sizeof *placed);
    /* bodies with a position stand from the start */
    for (int k = 0; k < s->nbodies; k++)
        if (map[k] >= 0 && s->bodies[k].on < 0) placed[map[k]] = true;
    Rng r;
    rng_seed(&r, rng_derive(seed, PLACE_STREAM));
    bool ok = true;
    for (int k = 0; ok && k < s->nbodies; k++) {
        const ScnBodyDecl* d = &s->bodies[k];
        if (d->on < 0) continue;
        double u = rng_unit(&r);   /* drawn for every 'on' line, present or not */
        if (map[k] < 0) continue;
        ok = place_one(s, params, k, u, map, bodies, placed, nbodies, e);
        if (!ok) break;
        placed[map[k]] = true;
        const SimBodyDef* b = &bodies[map[k]];
        if (b->x < w->bounds[0] || b->x > w->bounds[2] || b->y < w->bounds[1] || b->y > w->bounds[3]) {
            scn_err_set(e, d->line, d->on_col, "expected a place inside the world bounds [%g, %g] x [%g, %g], got "
                                               "(%g, %g)", w->bounds[0], w->bounds[2], w->bounds[1], w->bounds[3],
                        b->x, b->y);
            ok = false;
        }
    }
    free(placed);
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
