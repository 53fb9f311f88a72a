/* breaking: a breakable body whose break test impulse in a step (sim/contacts.c: the largest total
 * contact impulse pressing it one way) exceeds its material's break impulse shatters after that
 * step into shards: each convex part is cut across its long axis into
 * pieces (slightly skewed cuts from the world's rng), and each piece becomes a new dynamic body with
 * the parent's velocity at that point plus a small outward kick. */
#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/breaking.h"
#include "sim/materials.h"
#include "sim/shape.h"
#include "sim/world_internal.h"

typedef struct Piece {
    int    n;
    double v[2 * SIM_MAX_VERTS]; /* in the parent's origin frame */
} Piece;

static double part_area(const SimPart* p) {
    double a = 0;
    for (int i = 0; i < p->n; i++) {
        int j = (i + 1) % p->n;
        a += p->v[2 * i] * p->v[2 * j + 1] - p->v[2 * j] * p->v[2 * i + 1];
    }
    return fabs(a) / 2;
}

static void centroid(const double* v, int n, double* cx, double* cy) {
    double a = 0, x = 0, y = 0;
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        double c = v[2 * i] * v[2 * j + 1] - v[2 * j] * v[2 * i + 1];
        a += c;
        x += (v[2 * i] + v[2 * j]) * c;
        y += (v[2 * i + 1] + v[2 * j + 1]) * c;
    }
    if (fabs(a) < 1e-18) {
        *cx = v[0];
        *cy = v[1];
        return;
    }
    *cx = x / (3 * a);
    *cy = y / (3 * a);
}

/* cuts an axis-aligned rectangle part into k skewed quadrilaterals; other parts stay whole */
static int cut_part(const SimPart* p, int k, Rng* rng, Piece* out) {
    if (p->n != 4 || k <= 1) {
        out[0].n = p->n;
        memcpy(out[0].v, p->v, sizeof(double) * 2 * (size_t)p->n);
        return 1;
    }
    double x0 = p->v[0], y0 = p->v[1], x1 = p->v[4], y1 = p->v[5];
    bool along_x = (x1 - x0) >= (y1 - y0);
    double lo = along_x ? x0 : y0, hi = along_x ? x1 : y1;
    double a0 = along_x ? y0 : x0, a1 = along_x ? y1 : x1; /* the short axis */
    double step = (hi - lo) / k;
    double c[SIM_MAX_VERTS + 1], d[SIM_MAX_VERTS + 1];
    for (int i = 0; i <= k; i++) {
        c[i] = lo + step * i;
        d[i] = 0;
        if (i > 0 && i < k) {
            /* skewed cuts from rng; straight ones (their mean) without */
            c[i] += rng ? step * 0.3 * (rng_unit(rng) - 0.5) : 0;
            d[i] = rng ? step * 0.3 * (rng_unit(rng) - 0.5) : 0;
        }
    }
    for (int i = 0; i < k; i++) {
        /* quad: cut i at the low side (c - d) and high side (c + d) of the short axis */
        double q[8] = {c[i] - d[i], a0, c[i + 1] - d[i + 1], a0, c[i + 1] + d[i + 1], a1, c[i] + d[i], a1};
        out[i].n = 4;
        for (int m = 0; m < 4; m++) {
            double u = q[2 * m], s = q[2 * m + 1];
            out[i].v[2 * m] = along_x ? u : s;
            out[i].v[2 * m + 1] = along_x ? s : u;
        }
        if (!along_x) {
            /* swapping axes mirrors the winding: keep it counter-clockwise */
            for (int m = 0; m < 2; m++) {
                double tx = out[i].v[2 * m], ty = out[i].v[2 * m + 1];
                out[i].v[2 * m] = out[i].v[2 * (3 - m)];
                out[i].v[2 * m + 1] = out[i].v[2 * (3 - m) + 1];
                out[i].v[2 * (3 - m)] = tx;
                out[i].v[2 * (3 - m) + 1] = ty;
            }
        }
    }
    return k;
}

int sim_shatter_pieces(const SimBodyDef* parent, double cx, double cy, int shards, Rng* rng, SimBodyDef* out) {
    double ca = cos(parent->angle), sa = sin(parent->angle);
    double omega = parent->omega;
    if (shards < 2) shards = 2;
    if (shards > SIM_SHATTER_MAX) shards = SIM_SHATTER_MAX;

    /* pieces per part, in proportion to area, at least one each */
    SimPart parts[SIM_MAX_PARTS];
    int np = sim_def_parts(parent, parts);
    if (np == 0) return 0;
    double area[SIM_MAX_PARTS], total = 0;
    for (int i = 0; i < np; i++) total += (area[i] = part_area(&parts[i]));
    int given = 0, count[SIM_MAX_PARTS];
    for (int i = 0; i < np; i++) {
        count[i] = (int)floor(shards * area[i] / total);
        if (count[i] < 1) count[i] = 1;
        given += count[i];
    }
    for (int i = 0; given < shards; i = (i + 1) % np, given++) count[i]++;

    int made = 0;
    for (int i = 0; i < np; i++) {
        Piece pieces[SIM_MAX_VERTS];
        int n = cut_part(&parts[i], count[i] > SIM_MAX_VERTS ? SIM_MAX_VERTS : count[i], rng, pieces);
        for (int k = 0; k < n && made < SIM_SHATTER_MAX; k++) {
            double pcx, pcy;
            centroid(pieces[k].v, pieces[k].n, &pcx, &pcy);
            SimBodyDef* d = &out[made];
            memset(d, 0, sizeof *d);
            sim_shard_name(parent->name, made, d->name);
            made++;
            d->kind = SIM_KIND_SHARD;
            d->material = parent->material;
            d->nverts = pieces[k].n;
            double minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9;
            for (int m = 0; m < d->nverts; m++) {
                double vx = pieces[k].v[2 * m] - pcx, vy = pieces[k].v[2 * m + 1] - pcy;
                d->verts[2 * m] = vx;
                d->verts[2 * m + 1] = vy;
                minx = fmin(minx, vx), maxx = fmax(maxx, vx), miny = fmin(miny, vy), maxy = fmax(maxy, vy);
            }
            d->w = maxx - minx;
            d->h = maxy - miny;
            /* where the piece is, and how fast that point of the parent was moving */
            d->x = parent->x + ca * pcx - sa * pcy;
            d->y = parent->y + sa * pcx + ca * pcy;
            d->angle = parent->angle;
            double rx = d->x - cx, ry = d->y - cy, rl = hypot(rx, ry);
            /* the outward kick and the jitter: drawn from rng, or their means without one */
            double kick = 0.3 + 0.5 * (rng ? rng_unit(rng) : 0.5);
            d->vx = parent->vx - omega * ry + (rl > 1e-9 ? kick * rx / rl : 0) + 0.1 * ((rng ? rng_unit(rng) : 0.5) - 0.5);
            d->vy = parent->vy + omega * rx + (rl > 1e-9 ? kick * ry / rl : 0) + 0.3 * (rng ? rng_unit(rng) : 0.5);
            d->omega = omega + 6.0 * ((rng ? rng_unit(rng) : 0.5) - 0.5);
        }
    }
    return made;
}

static void shatter(SimWorld* w, int32_t id, double impulse) {
    SimBodyRec* r = &w->recs[id];
    cpBody* b = r->body;
    /* the parent as it is now: origin, angle and the velocity of its centre of mass */
    SimBodyDef now = r->def;
    cpVect origin = cpBodyGetPosition(b);
    now.x = origin.x;
    now.y = origin.y;
    now.angle = b->a;
    now.vx = b->v.x;
    now.vy = b->v.y;
    now.omega = b->w;
    SimBodyDef pieces[SIM_SHATTER_MAX];
    int n = sim_shatter_pieces(&now, b->p.x, b->p.y, w->def.shards, &w->rng, pieces);

    /* the parent goes first: it is broken, not alive, and keeps its last pose */
    sim_rec_save_pose(r);
    r->broken = true;
    sim_rec_dematerialize(w, r);
    sim_world_emit(w, SIM_EV_BREAK, id, -1, impulse);
    for (int k = 0; k < n; k++) {
        int sid = sim_world_add_body(w, &pieces[k], NULL, 0);
        if (sid >= 0) w->recs[sid].parent = id;
    }
}

void sim_shard_name(const char* parent, int k, char out[SIM_NAME_MAX]) {
    snprintf(out, SIM_NAME_MAX, "%.20s#%d", parent[0] ? parent : "body", k);
}

void sim_world_break_pending(SimWorld* w) {
    int n = w->nrecs; /* shards made now are not candidates */
    for (int i = 0; i < n; i++) {
        SimBodyRec* r = &w->recs[i];
        if (!r->alive || !r->breakable || r->unbreakable) continue;
        double limit = sim_material_get(r->def.material)->break_impulse;
        if (r->impulse_now > limit) shatter(w, i, r->impulse_now);
    }
}
