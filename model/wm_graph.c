/* wm_graph: packs a batch of observed worlds into the model's graph -- nodes, edges within the
 * radius, and their invariant features (see wm_impl.h for the columns) */
#include <math.h>
#include <string.h>

#include "model/wm_impl.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

/* moment of inertia per unit mass, approximated from the bounding box (ball: solid disc) */
float wm_inertia_per_mass(const float* st) {
    float w = st[SIM_OBS_size_w], h = st[SIM_OBS_size_h];
    if (st[SIM_OBS_kind_ball] > 0.5f) return w * w / 8.0f;
    return (w * w + h * h) / 12.0f;
}

void wm_push_dv(const float* st, const float* p, float dv[3]) {
    float mass = st[SIM_OBS_mass];
    dv[0] = dv[1] = dv[2] = 0.0f;
    if (!p || !(mass > 0)) return;
    dv[0] = p[0] / mass;
    dv[1] = p[1] / mass;
    dv[2] = (p[2] * p[1] - p[3] * p[0]) / (mass * wm_inertia_per_mass(st));
}

static bool is_dynamic(const float* st) {
    return st[SIM_OBS_is_static] < 0.5f && st[SIM_OBS_mass] > 0.0f;
}

/* two state rows hold the same bits (memcmp's answer, in a loop the compiler unrolls and
 * vectorizes instead of a libc call per node) */
static bool same_row(const float* a, const float* b) {
    uint32_t x[D], y[D], diff = 0;
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    for (int c = 0; c < D; c++) diff |= x[c] ^ y[c];
    return diff == 0;
}

/* the shape of a node in slot k, the radius of a circle about its centre that holds it (returned;
 * -1 for a row with no shape) and its bounding box (bounds[4]); the slot's form is built when the
 * body in it is not the last one's (sim_obs_shape's shape, bit for bit) */
static float node_shape(WmScratch* s, int k, const float* st, SimShape* sh, float* bounds) {
    SimShapeForm* f = &s->form[k];
    if (!sim_obs_form_fits(f, st) && !sim_obs_form(st, f)) return -1.0f;
    if (!sim_obs_shape_form(st, f, sh)) return -1.0f;
    if (sh->nparts == 0) {
        bounds[0] = (float)(sh->cx - sh->radius), bounds[1] = (float)(sh->cy - sh->radius);
        bounds[2] = (float)(sh->cx + sh->radius), bounds[3] = (float)(sh->cy + sh->radius);
        return (float)sh->radius;
    }
    double r2 = 0, lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int p = 0; p < sh->nparts; p++)
        for (int i = 0; i < sh->parts[p].n; i++) {
            const double* v = &sh->parts[p].v[2 * i];
            double dx = v[0] - st[SIM_OBS_x], dy = v[1] - st[SIM_OBS_y];
            if (dx * dx + dy * dy > r2) r2 = dx * dx + dy * dy;
            /* sim_shape_bounds's box (finite vertices: comparisons, not libm's fmin and fmax) */
            for (int c = 0; c < 2; c++) {
                lo[c] = v[c] < lo[c] ? v[c] : lo[c];
                hi[c] = v[c] > hi[c] ? v[c] : hi[c];
            }
        }
    bounds[0] = (float)lo[0], bounds[1] = (float)lo[1], bounds[2] = (float)hi[0], bounds[3] = (float)hi[1];
    return (float)sqrt(r2);
}

/* node i's shape as wm_pack left it: in its slot's record when stepping incrementally (kept there
 * while the state is), else in the packed nodes' */
static const SimShape* packed_shape(const WmModel* m, const WmScratch* s, int i, bool keep) {
    return keep ? &s->inc_shape[(size_t)s->node_world[i] * m->arch.slots + s->node_slot[i]] : &s->shape[i];
}

static float safe_log(float v) {
    return logf(v > 1e-6f ? v : 1e-6f);
}

/* the logs of the size and mass of the body in slot k (log w, log h, log mass), kept per slot while
 * the slot shows the same body */
static const float* slot_logs(WmScratch* s, int k, const float* st) {
    float* c = s->logs + (size_t)k * 6;
    if (!(c[0] == st[SIM_OBS_size_w] && c[1] == st[SIM_OBS_size_h] && c[2] == st[SIM_OBS_mass])) {
        c[0] = st[SIM_OBS_size_w], c[1] = st[SIM_OBS_size_h], c[2] = st[SIM_OBS_mass];
        for (int i = 0; i < 3; i++) c[3 + i] = safe_log(c[i]);
    }
    return c + 3;
}

/* the node features of a dynamic body (WM_NODE_NORM columns, wm_impl.h); logs = slot_logs's */
static void node_features(const float* st, const float* logs, float* x) {
    /* cos, sin, vx, vy, omega; the kind; log sizes, log mass; breakable */
    for (int c = 0; c < 5; c++) x[c] = st[SIM_OBS_cos + c];
    for (int c = 0; c < 6; c++) x[5 + c] = st[SIM_OBS_kind_box + c];
    x[11] = logs[0];
    x[12] = logs[1];
    x[13] = logs[2];
    x[14] = st[SIM_OBS_breakable];
    /* at rest now: material-blind evidence for staying at rest */
    x[15] = wm_at_rest(st);
}

static float clampf(float v, float lo, float hi) {
    /* fminf(fmaxf(v, lo), hi) for a number, without two libm calls */
    v = v > lo ? v : lo;
    return v < hi ? v : hi;
}

/* the edge features of receiver i (dynamic) seeing sender j; returns the gap between their
 * surfaces (m), or NAN when there is no geometry to compare. lmi, lmj: their log masses; time_at:
 * where WM_INPUT_EDGE_TIME's feature goes in f (-1: not an input); horizon: the event horizon (s) */
static float edge_features(const float* si, const SimShape* shi, const float* sj, const SimShape* shj,
                           bool sender_dynamic, bool support, float lmi, float lmj, int time_at, float horizon,
                           float* f) {
    double xi = si[SIM_OBS_x], yi = si[SIM_OBS_y];
    double q[4];
    double sd = sim_shape_closest(shj, xi, yi, q);
    double nx = q[2], ny = q[3];
    /* how far the receiver's own surface reaches towards the sender's */
    double gap = sd - sim_shape_extent(shi, xi, yi, -nx, -ny);
    if (!isfinite(gap)) return NAN;
    float dvx = sj[SIM_OBS_vx] - si[SIM_OBS_vx], dvy = sj[SIM_OBS_vy] - si[SIM_OBS_vy];
    if (!sender_dynamic) dvx = -si[SIM_OBS_vx], dvy = -si[SIM_OBS_vy];
    float g = (float)gap;
    f[0] = (float)(q[0] - xi);
    f[1] = (float)(q[1] - yi);
    f[2] = (float)sd;
    f[3] = (float)nx;
    f[4] = (float)ny;
    f[WM_EDGE_GAP] = g;
    f[6] = dvx;
    f[7] = dvy;
    f[WM_EDGE_CLOSING] = dvx * (float)nx + dvy * (float)ny;
    f[9] = -dvx * (float)ny + dvy * (float)nx;
    f[10] = (sender_dynamic ? sj[SIM_OBS_omega] : 0.0f) - si[SIM_OBS_omega];
    f[11] = si[SIM_OBS_friction] * sj[SIM_OBS_friction];
    f[12] = si[SIM_OBS_elasticity] * sj[SIM_OBS_elasticity];
    /* contact scale: the normalizer's scale (tenths of a metre) would blur millimetres */
    f[13] = g > 0 ? expf(-g / 0.005f) : 1.0f;
    f[14] = clampf(g / 0.01f, -1.0f, 1.0f);
    if (sender_dynamic) {
        float dx = sj[SIM_OBS_x] - si[SIM_OBS_x], dy = sj[SIM_OBS_y] - si[SIM_OBS_y];
        f[15] = dx;
        f[16] = dy;
        f[17] = sqrtf(dx * dx + dy * dy);
        f[18] = lmj - lmi;
        f[WM_EDGE_STATIC] = 0.0f;
    } else {
        f[15] = f[16] = f[17] = f[18] = 0.0f;
        f[WM_EDGE_STATIC] = 1.0f;
    }
    if (support) {
        /* the room along the contact's tangent on either side of q: a body rolling toward a
         * table's edge sees the edge coming, where q alone (straight below it) does not */
        double tx = -ny, ty = nx;
        double ep = sim_shape_extent(shj, q[0], q[1], tx, ty), em = sim_shape_extent(shj, q[0], q[1], -tx, -ty);
        f[WM_EDGE_FEATS + 0] = clampf((float)ep, 0.0f, WM_SUPPORT_CAP);
        f[WM_EDGE_FEATS + 1] = clampf((float)em, 0.0f, WM_SUPPORT_CAP);
        if (time_at >= 0) {
            /* how soon the receiver, moving along t relative to the sender, passes the end of the
             * sender's surface ahead of it (the reach uncapped: a fast body sees a far end), in
             * event horizons; one not moving along the surface never does (the cap) */
            double u = -(double)f[9], ahead = u > 0 ? ep : em, cap = WM_EDGE_TIME_CAP * (double)horizon;
            double time = fabs(u) * cap > ahead ? ahead / fabs(u) : cap;
            f[time_at] = clampf((float)(time / horizon), 0.0f, WM_EDGE_TIME_CAP);
        }
    }
    return g;
}

void wm_pair_edges(const WmModel* m, WmScratch* s, int* out) {
    size_t G = (size_t)wm_edge_feats(&m->arch);
    int nd = s->nd, ne = s->ne;
    /* the edges by receiver row */
    int* first = s->impact_first;
    int* by = s->impact_edge;
    for (int r = 0; r <= nd; r++) first[r] = 0;
    for (int e = 0; e < ne; e++) first[s->recv[e] + 1]++;
    for (int r = 0; r < nd; r++) first[r + 1] += first[r];
    for (int e = 0; e < ne; e++) by[first[s->recv[e]]++] = e;
    for (int r = nd; r > 0; r--) first[r] = first[r - 1];
    first[0] = 0;
    for (int e = 0; e < ne; e++) {
        out[e] = e;
        int rj = s->eraw[(size_t)e * G + WM_EDGE_STATIC] != 0.0f ? -1 : s->node_row[s->send[e]];
        /* a static sender, or one not computed this step (stepping incrementally): its own edge */
        if (rj < 0) continue;
        int back = -1, ri = s->recv[e];
        for (int q = first[rj]; q < first[rj + 1]; q++)
            if (s->send[by[q]] == s->row_node[ri]) back = by[q];
        if (back < 0) {
            out[e] = -1;
            continue;
        }
        float g = s->eraw[(size_t)e * G + WM_EDGE_GAP], gb = s->eraw[(size_t)back * G + WM_EDGE_GAP];
        if (gb > g || (gb == g && back < e)) out[e] = back;
    }
}

/* marks in flag both rows of every pair of dynamic bodies that are hitting each other this tick:
 * within WM_IMPACT_GAP of touching after closing for a tick at their closing speed, which is above
 * v. An edge sees its sender from the receiver's centre: its gap is a lower bound of the true one
 * (exact for a ball receiver, far below it for a long plank's centre seeing a ball over its end), so
 * a pair is judged by the edge of the larger gap of its two (wm_pair_edges; each edge's normal is the
 * sender's outward normal at the point nearest the receiver's centre; closing speed = (v_sender -
 * v_receiver) . normal) */
void wm_mark_impacts(const WmModel* m, WmScratch* s, float v, uint8_t* flag) {
    size_t G = (size_t)wm_edge_feats(&m->arch);
    float dt = m->arch.dt;
    int* pair = s->pair_edge;
    wm_pair_edges(m, s, pair);
    for (int e = 0; e < s->ne; e++) {
        const float* f = s->eraw + (size_t)e * G;
        /* a static sender does not move: a body moving into it is not at rest; (-1: no edge back,
         * the sender's surface is beyond the radius from the receiver's) */
        if (f[WM_EDGE_STATIC] != 0.0f || pair[e] < 0) continue;
        const float* fj = s->eraw + (size_t)pair[e] * G;
        float closing = fj[WM_EDGE_CLOSING];
        if (!(closing > v) || fj[WM_EDGE_GAP] - closing * dt > WM_IMPACT_GAP) continue;
        int rj = s->node_row[s->send[e]];
        flag[s->recv[e]] = 1;
        if (rj >= 0) flag[rj] = 1;
    }
}

/* WM_INPUT_PAIR: each edge's pair features from the pair's edge of the larger gap */
static void pair_features(const WmModel* m, WmScratch* s) {
    size_t G = (size_t)wm_edge_feats(&m->arch), at = (size_t)wm_edge_pair_at(&m->arch);
    int* pair = s->pair_edge;
    wm_pair_edges(m, s, pair);
    for (int e = 0; e < s->ne; e++) {
        float* f = s->eraw + (size_t)e * G;
        /* (no edge back: the pair is at least the radius apart) */
        const float* fp = pair[e] >= 0 ? s->eraw + (size_t)pair[e] * G : NULL;
        float g = fp ? fp[WM_EDGE_GAP] : m->arch.radius, closing = fp ? fp[WM_EDGE_CLOSING] : f[WM_EDGE_CLOSING];
        f[at + 0] = g > 0 ? expf(-g / 0.005f) : 1.0f;
        f[at + 1] = clampf(g / 0.01f, -1.0f, 1.0f);
        f[at + 2] = closing;
    }
}

/* ---- WM_INPUT_PRIOR_SUPPORT: a solve over every contact ---- */

/* the tick's gravity as a velocity change (m/s along y) when the solve starts after it */
static float gravity_dt(const WmModel* m) {
    return (m->arch.inputs & WM_INPUT_PRIOR_FRICTION) ? WM_PRIOR_GRAVITY * m->arch.dt : 0.0f;
}

/* a candidate contact point p, the normal n from b into a, and the distance d between the surfaces
 * there (m, negative overlapping); side 0 a vertex of a's part, 1 of b's, -1 a ball's nearest point;
 * on: the shape whose surface p lies on (0 a, 1 b; the other's surface is d from it along n) */
typedef struct Cand {
    double px, py, nx, ny, d;
    int side, part, on;
} Cand;

/* WM_INPUT_PRIOR_AXIS: how far p lies out of a convex part along its faces (the largest n . (p - v) over
 * its edges' outward normals: the distance inside it or in front of a face, less beyond a corner) */
static double part_face_dist(const SimPart* pt, double px, double py) {
    double best = -INFINITY;
    for (int i = 0; i < pt->n; i++) {
        int j = i + 1 < pt->n ? i + 1 : 0;
        double ex = pt->v[2 * j] - pt->v[2 * i], ey = pt->v[2 * j + 1] - pt->v[2 * i + 1];
        double len = sqrt(ex * ex + ey * ey);
        if (!(len > 0)) continue;
        double d = (ey * (px - pt->v[2 * i]) - ex * (py - pt->v[2 * i + 1])) / len;
        best = d > best ? d : best;
    }
    return best;
}

/* WM_INPUT_PRIOR_AXIS: the separating axis of two convex parts (of the edges' outward normals of both,
 * the one along which they are farthest apart or least overlapping, as the simulator's collision
 * finds a polygon pair's normal), as the normal from pb into pa */
static void parts_axis(const SimPart* pa, const SimPart* pb, double* nx, double* ny) {
    double best = -INFINITY;
    for (int side = 0; side < 2; side++) {
        const SimPart* p = side ? pa : pb;
        const SimPart* q = side ? pb : pa;
        for (int i = 0; i < p->n; i++) {
            int j = i + 1 < p->n ? i + 1 : 0;
            double ex = p->v[2 * j] - p->v[2 * i], ey = p->v[2 * j + 1] - p->v[2 * i + 1];
            double len = sqrt(ex * ex + ey * ey);
            if (!(len > 0)) continue;
            double ux = ey / len, uy = -ex / len, sep = INFINITY;
            for (int k = 0; k < q->n; k++) {
                double s = (q->v[2 * k] - p->v[2 * i]) * ux + (q->v[2 * k + 1] - p->v[2 * i + 1]) * uy;
                sep = s < sep ? s : sep;
            }
            /* (pb's outward normal points from pb into pa; pa's the other way) */
            if (sep > best) best = sep, *nx = side ? -ux : ux, *ny = side ? -uy : uy;
        }
    }
}

/* WM_INPUT_PRIOR_AXIS: the other shape's part nearest a vertex candidate (by part_face_dist) */
static const SimPart* cand_near_part(const SimShape* other, const Cand* c) {
    int near = 0;
    double dn = INFINITY;
    for (int p = 0; p < other->nparts; p++) {
        double d = part_face_dist(&other->parts[p], c->px, c->py);
        if (d < dn) dn = d, near = p;
    }
    return &other->parts[near];
}

/* WM_INPUT_PRIOR_AXIS: a vertex candidate's normal from the separating axis of its part and the other
 * shape's part nearest it, instead of the direction to the nearest point (which, for two corners that
 * nearly meet, as in a stack of boxes of one width, points anywhere) */
static void cand_axis(const SimShape* sa, const SimShape* sb, Cand* c) {
    /* (a ball's nearest point, or a vertex against a ball: that normal is the ball's, exact) */
    if (c->side < 0 || (c->side ? sa : sb)->nparts == 0) return;
    const SimPart* own = c->side ? &sb->parts[c->part] : &sa->parts[c->part];
    const SimPart* near = cand_near_part(c->side ? sa : sb, c);
    parts_axis(c->side ? near : own, c->side ? own : near, &c->nx, &c->ny);
}

/* WM_INPUT_PRIOR_AXIS: a vertex candidate's distance from the other shape's part nearest it along the
 * normal (nx, ny) from b into a (the gap to the plane of that part's face), m */
static double cand_axis_gap(const SimShape* sa, const SimShape* sb, const Cand* c, double nx, double ny) {
    if ((c->side ? sa : sb)->nparts == 0) return c->d;
    const SimPart* near = cand_near_part(c->side ? sa : sb, c);
    /* a vertex of a lies above b's extreme along n; one of b below a's extreme along -n */
    double s = c->side ? -1.0 : 1.0, ext = -INFINITY;
    for (int k = 0; k < near->n; k++) {
        double e = s * (near->v[2 * k] * nx + near->v[2 * k + 1] * ny);
        ext = e > ext ? e : ext;
    }
    return s * (c->px * nx + c->py * ny) - ext;
}

/* the radius of the circle about the shape's centre that holds its parts' vertices (m) */
static double shape_reach(const SimShape* sh) {
    double r2 = 0;
    for (int p = 0; p < sh->nparts; p++)
        for (int i = 0; i < sh->parts[p].n; i++) {
            double dx = sh->parts[p].v[2 * i] - sh->cx, dy = sh->parts[p].v[2 * i + 1] - sh->cy;
            r2 = dx * dx + dy * dy > r2 ? dx * dx + dy * dy : r2;
        }
    return sqrt(r2);
}

/* the slack (m) over WM_CONTACT_TOL with which a vertex whose distance's lower bound lies beyond it is
 * skipped: far above the bound's rounding, far below anything the contacts resolve */
#define CAND_SKIP_SLACK 1e-6

/* the candidate points of a against b: a ball's nearest point, and every vertex of either shape
 * against the other (a vertex of b measured on a gives a's outward normal, turned to point into a).
 * A vertex whose distance cannot come within WM_CONTACT_TOL of the deepest one's so far
 * (sim_shape_closest_bound) is neither the deepest nor a second point (pair_contacts): its distance
 * is left at infinity, not computed */
static int pair_candidates(const SimShape* sa, const SimShape* sb, Cand* c) {
    int n = 0;
    double q[4], low = INFINITY;
    if (sa->nparts == 0) {
        double d = sim_shape_closest(sb, sa->cx, sa->cy, q) - sa->radius;
        c[n++] = (Cand){q[0], q[1], q[2], q[3], d, -1, 0, 1};
        low = isfinite(d) && d < low ? d : low;
    }
    if (sb->nparts == 0) {
        double d = sim_shape_closest(sa, sb->cx, sb->cy, q) - sb->radius;
        c[n++] = (Cand){q[0], q[1], -q[2], -q[3], d, -1, 0, 0};
        low = isfinite(d) && d < low ? d : low;
    }
    double skip_a = shape_reach(sa), skip_b = shape_reach(sb);
    for (int p = 0; p < sa->nparts; p++)
        for (int i = 0; i < sa->parts[p].n; i++) {
            const double* v = &sa->parts[p].v[2 * i];
            if (sim_shape_closest_bound(sb, v[0], v[1], skip_b) > low + WM_CONTACT_TOL + CAND_SKIP_SLACK) {
                c[n++] = (Cand){v[0], v[1], 0, 0, INFINITY, 0, p, 0};
                continue;
            }
            double d = sim_shape_closest(sb, v[0], v[1], q);
            c[n++] = (Cand){v[0], v[1], q[2], q[3], d, 0, p, 0};
            low = isfinite(d) && d < low ? d : low;
        }
    for (int p = 0; p < sb->nparts; p++)
        for (int i = 0; i < sb->parts[p].n; i++) {
            const double* v = &sb->parts[p].v[2 * i];
            if (sim_shape_closest_bound(sa, v[0], v[1], skip_a) > low + WM_CONTACT_TOL + CAND_SKIP_SLACK) {
                c[n++] = (Cand){v[0], v[1], 0, 0, INFINITY, 1, p, 1};
                continue;
            }
            double d = sim_shape_closest(sa, v[0], v[1], q);
            c[n++] = (Cand){v[0], v[1], -q[2], -q[3], d, 1, p, 1};
            low = isfinite(d) && d < low ? d : low;
        }
    return n;
}

/* the body's velocity at the point r from its centre, along n: (v + omega x r) . n */
static float point_speed(const float* v, float rx, float ry, float nx, float ny) {
    return (v[0] - v[2] * ry) * nx + (v[1] + v[2] * rx) * ny;
}

/* row r's velocity (vx, vy, omega) at the tick's start as the solve takes it (with
 * WM_INPUT_PRIOR_FRICTION after the tick's push and gravity) */
static void start_velocity(const WmModel* m, const WmScratch* s, int r, float* v) {
    const float* st = s->state + (size_t)s->row_node[r] * D;
    v[0] = st[SIM_OBS_vx], v[1] = st[SIM_OBS_vy], v[2] = st[SIM_OBS_omega];
    if (m->arch.inputs & WM_INPUT_PRIOR_FRICTION) {
        const float* pd = s->pdv + (size_t)r * 3;
        v[0] += pd[0], v[1] += pd[1] + gravity_dt(m), v[2] += pd[2];
    }
}

/* the candidate point ck of the pair (a: node ia; b: node ib) as the contact *t at the rows' velocities
 * in s->pgs: false (t's fields then undefined) when it is not within WM_IMPACT_GAP of touching after
 * closing for a tick, or has no effective mass. ea, eb: the edges carrying a's and b's share; elast,
 * mu: the pair's elasticity and friction products. late (WM_INPUT_PRIOR_RECHECK's rounds): the pair
 * moves at its start velocities until the last contact of either body acts (s->ptime) and at the
 * solved ones after it, and the point is kept when that closes it WM_IMPACT_GAP past touching by the
 * tick's end (the first pass's tolerance the other way: a point that only grazes is left to the next
 * tick) and neither body turns more than WM_RECHECK_TURN in the rest of the tick */
static bool contact_finish(const WmModel* m, WmScratch* s, WmContact* t, const Cand* ck, int ia, int ib, int ea, int eb,
                           float elast, float mu, bool late) {
    const float* sa = s->state + (size_t)ia * D;
    const float* sb = s->state + (size_t)ib * D;
    int ra = s->node_row[ia], rb = s->node_row[ib];
    const float* va = s->pgs + (size_t)ra * 5;
    const float* vb = rb >= 0 ? s->pgs + (size_t)rb * 5 : NULL;
    float dt = m->arch.dt;
    t->ea = ea, t->eb = eb, t->ra = ra, t->rb = rb;
    t->nx = (float)ck->nx, t->ny = (float)ck->ny;
    t->rax = (float)(ck->px - sa[SIM_OBS_x]), t->ray = (float)(ck->py - sa[SIM_OBS_y]);
    t->rbx = vb ? (float)(ck->px - sb[SIM_OBS_x]) : 0.0f, t->rby = vb ? (float)(ck->py - sb[SIM_OBS_y]) : 0.0f;
    /* the surfaces' closing speed at the point */
    float closing = -point_speed(va, t->rax, t->ray, t->nx, t->ny);
    if (vb) closing += point_speed(vb, t->rbx, t->rby, t->nx, t->ny);
    float gap = (float)ck->d;
    if (m->arch.inputs & WM_INPUT_PRIOR_ANCHOR) {
        /* the simulator's anchor: midway between the surfaces at the start of the physics step
         * in which the point closes (the gap less what the steps before it close), each body's
         * own surface point moved half that gap towards the other. (The move is along n: the
         * normal speeds above are the same) */
        /* (the steps close c0 t + g_n h^2 k (k + 1) / 2 after k substeps of h: c0 the closing
         * before the tick's gravity, g_n gravity's share along the normal for a static b) */
        double h = (double)dt / WM_PRIOR_SUBSTEPS, ds = ck->d;
        double gn = vb ? 0.0 : -(double)WM_PRIOR_GRAVITY * ck->ny;
        double c0 = closing - gn * dt;
        for (int step = 1; step < WM_PRIOR_STEPS && ck->d > 0; step++) {
            double k = (double)step * WM_PRIOR_SUBSTEPS / WM_PRIOR_STEPS;
            double closed = c0 * k * h + gn * h * h * k * (k + 1) / 2;
            if (!(closed > 0 && closed < ck->d)) break;
            ds = ck->d - closed;
        }
        double da = (ck->on == 1 ? ck->d : 0.0) - ds / 2, db = (ck->on == 0 ? ck->d : 0.0) - ds / 2;
        t->rax += (float)(da * ck->nx), t->ray += (float)(da * ck->ny);
        if (vb) t->rbx -= (float)(db * ck->nx), t->rby -= (float)(db * ck->ny);
    }
    float left;
    if (late) {
        float v0[3], c0 = 0.0f, tc = s->ptime[ra];
        start_velocity(m, s, ra, v0);
        c0 -= point_speed(v0, t->rax, t->ray, t->nx, t->ny);
        if (vb) {
            start_velocity(m, s, rb, v0);
            c0 += point_speed(v0, t->rbx, t->rby, t->nx, t->ny);
            tc = s->ptime[rb] > tc ? s->ptime[rb] : tc;
        }
        /* (a body turning fast does not keep its point's speed over the rest of the tick: a shard
         * spun at 100 rad/s turns a right angle in a tick) */
        float turn = fabsf(va[2]);
        if (vb && fabsf(vb[2]) > turn) turn = fabsf(vb[2]);
        if (turn * (dt - tc) > WM_RECHECK_TURN) return false;
        /* (the gap when the first contact acts, then closing at the solved speed for the rest) */
        float g1 = gap - c0 * tc;
        if (g1 - (closing > 0.0f ? closing : 0.0f) * (dt - tc) > -WM_IMPACT_GAP) return false;
        left = g1 <= 0.0f ? 1.0f - tc / dt : (closing > 0.0f ? clampf(1.0f - (tc + g1 / closing) / dt, 0.0f, 1.0f) : 0.0f);
    } else {
        if ((m->arch.inputs & WM_INPUT_PRIOR_LIFT) && !vb) {
            /* (the fall in the tick: the closing before its gravity and after, averaged) */
            float fall = 0.5f * (closing + closing + gravity_dt(m) * t->ny);
            if (gap - (fall > 0.0f ? fall : 0.0f) * dt > WM_LIFT_TOL) return false;
        } else if (gap - (closing > 0.0f ? closing : 0.0f) * dt > WM_IMPACT_GAP) {
            return false;
        }
        left = closing > 0.0f ? clampf(gap > 0.0f ? 1.0f - gap / (closing * dt) : 1.0f, 0.0f, 1.0f)
                              : (gap > 0.0f ? 0.0f : 1.0f);
    }
    float ca = t->rax * t->ny - t->ray * t->nx, cb = t->rbx * t->ny - t->rby * t->nx;
    float k_ = va[3] + ca * ca * va[4] + (vb ? vb[3] + cb * cb * vb[4] : 0.0f);
    if (!(k_ > 0.0f) || !isfinite(k_)) return false;
    t->k = k_;
    /* (the restitution of the closing before the tick's gravity: a resting body does not bounce) */
    float before = closing + (vb ? 0.0f : gravity_dt(m) * t->ny);
    t->target = before > 0.0f ? elast * before : 0.0f;
    t->lambda = 0.0f;
    float ta = t->rax * t->nx + t->ray * t->ny, tb = t->rbx * t->nx + t->rby * t->ny;
    t->kt = va[3] + ta * ta * va[4] + (vb ? vb[3] + tb * tb * vb[4] : 0.0f);
    t->mu = (m->arch.inputs & WM_INPUT_PRIOR_FRICTION) && t->kt > 0.0f && isfinite(t->kt) ? mu : 0.0f;
    t->lambda_t = 0.0f;
    t->gap = gap, t->elast = elast;
    t->left = left;
    t->off = false;
    return true;
}

/* the contacts of the pair (a: node ia, row ra; b: node ib, row rb or -1) into s->contact from *nc:
 * the deepest candidate and, among those within WM_CONTACT_TOL of it, the one farthest from it
 * along its tangent (more than a millimetre away), each kept when within WM_IMPACT_GAP of touching
 * after closing for a tick (contact_finish). ea, eb: the edges carrying a's and b's share; elast, mu:
 * the pair's elasticity and friction products. top: NULL, or (WM_INPUT_PRIOR_RECHECK) where the
 * points not kept go, from the array's end down; late: contact_finish's */
static void pair_contacts(const WmModel* m, WmScratch* s, int ia, int ib, int ea, int eb, float elast, float mu,
                          int* nc, int* top, bool late) {
    Cand c[2 + 2 * SIM_MAX_PARTS * SIM_MAX_VERTS];
    const SimShape* sa = packed_shape(m, s, ia, s->inc_keep);
    const SimShape* sb = packed_shape(m, s, ib, s->inc_keep);
    int n = pair_candidates(sa, sb, c);
    int best = -1;
    for (int i = 0; i < n; i++)
        if (isfinite(c[i].d) && (best < 0 || c[i].d < c[best].d)) best = i;
    if (best < 0) return;
    bool axis = (m->arch.inputs & WM_INPUT_PRIOR_AXIS) != 0;
    if (axis) cand_axis(sa, sb, &c[best]);
    int second = -1;
    double far = 1e-3, tx = -c[best].ny, ty = c[best].nx;
    /* (with the anchors, a ball touches each convex part of the other shape at one point, its
     * nearest, as the simulator's circle-polygon contact does: not also at that part's corners, which
     * a ball rolling over a table's edge approaches for the tick's first millimetres only) */
    bool ball = (m->arch.inputs & WM_INPUT_PRIOR_ANCHOR) && (sa->nparts == 0 || sb->nparts == 0);
    int ball_part = -1;
    if (ball && c[best].side < 0) {
        const SimShape* poly = sa->nparts == 0 ? sb : sa;
        if (poly->nparts > 0) ball_part = (int)(cand_near_part(poly, &c[best]) - poly->parts);
    }
    for (int i = 0; i < n; i++) {
        if (i == best || !(c[i].d <= c[best].d + WM_CONTACT_TOL)) continue;
        if (ball && (c[i].side < 0 || c[i].part == ball_part)) continue;
        /* (with the axes, a vertex beyond the end of the face it would rest on is not a support: its
         * distance is to the other's corner, farther than to the face's plane; that corner is one) */
        if (axis && c[i].side >= 0 &&
            c[i].d - cand_axis_gap(sa, sb, &c[i], c[best].nx, c[best].ny) > WM_AXIS_BEYOND)
            continue;
        double along = fabs((c[i].px - c[best].px) * tx + (c[i].py - c[best].py) * ty);
        if (along > far) far = along, second = i;
    }
    if (axis && second >= 0) cand_axis(sa, sb, &c[second]);
    /* (with the axes, a vertex's gap is its distance from the plane of the face along its normal) */
    if (axis)
        for (int k = 0; k < 2; k++) {
            /* (the index first: &c[-1] is out of the array even when it is never read) */
            int i = k == 0 ? best : second;
            if (i >= 0 && c[i].side >= 0) c[i].d = cand_axis_gap(sa, sb, &c[i], c[i].nx, c[i].ny);
        }
    for (int k = 0; k < 2; k++) {
        if (k == 1 && second < 0) break;
        const Cand* ck = &c[k == 0 ? best : second];
        if (contact_finish(m, s, &s->contact[*nc], ck, ia, ib, ea, eb, elast, mu, late)) {
            (*nc)++;
        } else if (top) {
            /* (WM_INPUT_PRIOR_RECHECK: kept below *top for the rounds after the solve) */
            WmContact* p = &s->contact[--*top];
            p->cpx = ck->px, p->cpy = ck->py, p->cnx = ck->nx, p->cny = ck->ny, p->cd = ck->d, p->con = ck->on;
            p->ia = ia, p->ib = ib, p->ea = ea, p->eb = eb, p->elast = elast, p->mu = mu;
        }
    }
}

/* an impulse change dl along the unit direction (dx, dy) at the contact applied to its bodies'
 * velocities (+ on a, - on b) */
static void contact_apply(WmScratch* s, const WmContact* t, float dl, float dx, float dy) {
    float* va = s->pgs + (size_t)t->ra * 5;
    va[0] += dl * dx * va[3];
    va[1] += dl * dy * va[3];
    va[2] += dl * (t->rax * dy - t->ray * dx) * va[4];
    if (t->rb < 0) return;
    float* vb = s->pgs + (size_t)t->rb * 5;
    vb[0] -= dl * dx * vb[3];
    vb[1] -= dl * dy * vb[3];
    vb[2] -= dl * (t->rbx * dy - t->rby * dx) * vb[4];
}

/* the pair's relative velocity at the contact along the unit direction (dx, dy) */
static float contact_speed(const WmScratch* s, const WmContact* t, float dx, float dy) {
    float v = point_speed(s->pgs + (size_t)t->ra * 5, t->rax, t->ray, dx, dy);
    if (t->rb >= 0) v -= point_speed(s->pgs + (size_t)t->rb * 5, t->rbx, t->rby, dx, dy);
    return v;
}

/* one projected Gauss-Seidel update of one contact: its normal impulse *jn toward a separating
 * speed of at least target (never below 0), then, with friction, its tangential impulse *jt toward
 * no sliding within mu times *jn (Coulomb); returns how far the impulses moved. The one solve keeps
 * the impulses in lambda and lambda_t, the substeps in jn and jt */
static float contact_update(WmScratch* s, WmContact* t, float* jn, float* jt, float target, bool friction) {
    float l = *jn + (target - contact_speed(s, t, t->nx, t->ny)) / t->k;
    l = l > 0.0f ? l : 0.0f;
    float dl = l - *jn, moved = fabsf(dl);
    *jn = l;
    contact_apply(s, t, dl, t->nx, t->ny);
    if (friction && t->mu > 0.0f) {
        float cap = t->mu * *jn, lt = *jt - contact_speed(s, t, -t->ny, t->nx) / t->kt;
        lt = lt > cap ? cap : (lt < -cap ? -cap : lt);
        float d = lt - *jt;
        *jt = lt;
        contact_apply(s, t, d, -t->ny, t->nx);
        moved = fabsf(d) > moved ? fabsf(d) : moved;
    }
    return moved;
}

/* the contacts' islands: the rows joined by contacts between two dynamic bodies (a static body
 * joins nothing: it takes any impulse). s->island[r] becomes the root row of r's island (its lowest
 * row: rows are packed world by world, so an island never spans worlds) and s->contact_order the
 * first nc contacts island by island, each island's in their own order. The solves sweep each
 * island's contacts until its own impulses settle: an island's prior depends on its own bodies only,
 * not on the other islands of its world or batch, nor on how many sweeps the slowest of them needs
 * (incremental stepping reuses a quiet island's rows: wm_incremental.c) */
static int island_root(int* up, int r) {
    while (up[r] != r) r = up[r] = up[up[r]];
    return r;
}

/* joins the islands of rows a and b (the lower root stays the root) */
static void island_join(int* up, int a, int b) {
    a = island_root(up, a), b = island_root(up, b);
    if (a < b) up[b] = a;
    else if (b < a) up[a] = b;
}

static void contact_islands(WmScratch* s, int nc) {
    int* up = s->island;
    for (int r = 0; r < s->nd; r++) up[r] = r;
    for (int i = 0; i < nc; i++) {
        const WmContact* t = &s->contact[i];
        if (t->rb < 0) continue;
        island_join(up, t->ra, t->rb);
    }
    for (int r = 0; r < s->nd; r++) up[r] = island_root(up, r);
    /* a counting sort of the contacts by their island's root (stable) */
    int* at = s->island_count;
    memset(at, 0, sizeof(int) * ((size_t)s->nd + 1));
    for (int i = 0; i < nc; i++) at[up[s->contact[i].ra] + 1]++;
    for (int r = 0; r < s->nd; r++) at[r + 1] += at[r];
    for (int i = 0; i < nc; i++) s->contact_order[at[up[s->contact[i].ra]]++] = i;
}

/* the end of the run of contact_order from c0 that belongs to its island */
static int island_end(const WmScratch* s, int c0, int nc) {
    int root = s->island[s->contact[s->contact_order[c0]].ra], c1 = c0 + 1;
    while (c1 < nc && s->island[s->contact[s->contact_order[c1]].ra] == root) c1++;
    return c1;
}

/* WM_INPUT_PRIOR_SETTLE: each of the contacts contact_order[c0..c1)'s normal and tangential relative
 * speeds now, kept in it, and the largest change of one since they were last kept */
static float speeds_moved(WmScratch* s, int c0, int c1) {
    float most = 0.0f;
    for (int i = c0; i < c1; i++) {
        WmContact* t = &s->contact[s->contact_order[i]];
        float n = contact_speed(s, t, t->nx, t->ny), g = contact_speed(s, t, -t->ny, t->nx);
        float d = fabsf(n - t->sv_n), dg = fabsf(g - t->sv_t);
        d = dg > d ? dg : d;
        most = d > most ? d : most;
        t->sv_n = n, t->sv_t = g;
    }
    return most;
}

/* whether a sweep over an island's contacts contact_order[c0..c1) that moved an impulse by at most
 * moved (the largest being largest) ends the solve: with WM_INPUT_PRIOR_SETTLE once no relative speed changed by more
 * than WM_PGS_SETTLE, else once no impulse moved by 1e-5 of the largest */
static bool sweeps_done(const WmModel* m, WmScratch* s, int c0, int c1, float moved, float largest) {
    if (m->arch.inputs & WM_INPUT_PRIOR_SETTLE) return !(speeds_moved(s, c0, c1) > WM_PGS_SETTLE);
    return !(moved > 1e-5f * largest);
}

/* one contact's update in the current substep */
static float substep_point(WmScratch* s, WmContact* t, float target, bool friction) {
    return contact_update(s, t, &t->jn, &t->jt, target, friction);
}

/* which solve island_sweeps runs: the one solve (the impulses in lambda and lambda_t), a substep's
 * velocity solve (a point apart may close its gap in the substep of length h, not pass it), or that
 * substep's bounces (the points that hit in it leave at elast times their closing; friction keeps the
 * velocity solve's bound) */
typedef enum { SWEEP_ONE, SWEEP_SUBSTEP, SWEEP_BOUNCE } SweepKind;

/* projected Gauss-Seidel sweeps over each island's contacts (of the first nc; contact_islands) until
 * the island's own stop (sweeps_done) or WM_PGS_ITERS: each island on its own */
static void island_sweeps(const WmModel* m, WmScratch* s, int nc, SweepKind kind, int sub, float h) {
    for (int c0 = 0, c1; c0 < nc; c0 = c1) {
        c1 = island_end(s, c0, nc);
        if (m->arch.inputs & WM_INPUT_PRIOR_SETTLE) speeds_moved(s, c0, c1);
        for (int it = 0; it < WM_PGS_ITERS; it++) {
            s->prior_sweeps++;
            float moved = 0.0f, largest = 0.0f;
            for (int i = c0; i < c1; i++) {
                WmContact* t = &s->contact[s->contact_order[i]];
                float mv;
                if (t->off) continue;
                if (kind == SWEEP_ONE) {
                    mv = contact_update(s, t, &t->lambda, &t->lambda_t, t->target, true);
                } else if (kind == SWEEP_SUBSTEP) {
                    mv = substep_point(s, t, t->gap > 0.0f ? -t->gap / h : 0.0f, true);
                } else {
                    bool hit = (sub == 0 || t->gap > 0.0f) && t->vn0 < -WM_PRIOR_BOUNCE_MIN && t->jn > 0.0f && t->elast > 0.0f;
                    if (!hit) continue;
                    mv = substep_point(s, t, -t->elast * t->vn0, false);
                }
                float j = kind == SWEEP_ONE ? t->lambda : t->jn;
                moved = mv > moved ? mv : moved;
                largest = j > largest ? j : largest;
            }
            if (sweeps_done(m, s, c0, c1, moved, largest)) break;
        }
    }
}

/* WM_INPUT_PRIOR_SUBSTEP: the solve over the tick's WM_PRIOR_SUBSTEPS substeps (wm.h); the rows'
 * velocities come in after the whole tick's gravity (taken back out here and added a substep at a
 * time) and leave at the tick's end; each contact's lambda and lambda_t become its impulses summed
 * over the substeps. Each substep's solve is warm started with the last one's impulses (the
 * simulator's scheme; a resting contact then takes a sweep or two), its bounce apart: target holds
 * the velocity solve's normal impulse here */
static void substep_solve(const WmModel* m, WmScratch* s, int nc) {
    const float h = m->arch.dt / WM_PRIOR_SUBSTEPS, gh = WM_PRIOR_GRAVITY * h;
    for (int r = 0; r < s->nd; r++) s->pgs[(size_t)r * 5 + 1] -= gravity_dt(m);
    for (int sub = 0; sub < WM_PRIOR_SUBSTEPS; sub++) {
        for (int r = 0; r < s->nd; r++) s->pgs[(size_t)r * 5 + 1] += gh;
        for (int i = 0; i < nc; i++) {
            WmContact* t = &s->contact[i];
            t->vn0 = contact_speed(s, t, t->nx, t->ny);
            /* warm started with the last substep's velocity solve (its bounce apart) */
            t->jn = sub > 0 ? t->target : 0.0f, t->jt = sub > 0 ? t->jt : 0.0f;
            contact_apply(s, t, t->jn, t->nx, t->ny);
            contact_apply(s, t, t->jt, -t->ny, t->nx);
        }
        island_sweeps(m, s, nc, SWEEP_SUBSTEP, sub, h);
        for (int i = 0; i < nc; i++) s->contact[i].target = s->contact[i].jn;
        island_sweeps(m, s, nc, SWEEP_BOUNCE, sub, h);
        for (int i = 0; i < nc; i++) {
            WmContact* t = &s->contact[i];
            t->gap += contact_speed(s, t, t->nx, t->ny) * h;
            t->lambda += t->jn;
            t->lambda_t += t->jt;
        }
    }
}

/* whether edge e is a pair of the solve (every static sender's edge, each dynamic pair once, from
 * its lower row: *back its other edge, -1 for a static sender) that may close within the tick: the
 * fastest approach of the two (their speeds and turns at their reach) at the velocities in s->pgs,
 * or with start at the tick's start (start_velocity), closes the edge's gap (a lower bound of the
 * true one) to within WM_CONTACT_TOL + WM_IMPACT_GAP */
static bool pair_near(const WmModel* m, const WmScratch* s, int e, bool start, int* back) {
    size_t G = (size_t)wm_edge_feats(&m->arch);
    const float* f = s->eraw + (size_t)e * G;
    const int* first = s->impact_first;
    const int* by = s->impact_edge;
    int ra = s->recv[e], ia = s->row_node[ra], ib = s->send[e], rb = s->node_row[ib];
    *back = -1;
    if (s->reach[ia] < 0 || s->reach[ib] < 0) return false;
    if (rb >= 0 && rb < ra) return false;
    float va[3], vb[3];
    if (start) start_velocity(m, s, ra, va);
    else memcpy(va, s->pgs + (size_t)ra * 5, sizeof va);
    float speed = sqrtf(va[0] * va[0] + va[1] * va[1]) + fabsf(va[2]) * s->reach[ia];
    if (rb >= 0) {
        if (start) start_velocity(m, s, rb, vb);
        else memcpy(vb, s->pgs + (size_t)rb * 5, sizeof vb);
        speed += sqrtf(vb[0] * vb[0] + vb[1] * vb[1]) + fabsf(vb[2]) * s->reach[ib];
        for (int q = first[rb]; q < first[rb + 1]; q++)
            if (s->send[by[q]] == ia) *back = by[q];
        /* (no edge back: the pair is at least the radius apart) */
        if (*back < 0) return false;
    }
    return f[WM_EDGE_GAP] - speed * m->arch.dt <= WM_CONTACT_TOL + WM_IMPACT_GAP;
}

/* the one solve over each island's contacts, from zero impulses (island_sweeps) */
static void island_solve(const WmModel* m, WmScratch* s, int nc) {
    island_sweeps(m, s, nc, SWEEP_ONE, 0, 0.0f);
}

/* WM_INPUT_PRIOR_RECHECK: projected Gauss-Seidel over the first nc contacts, all worlds in one loop
 * (the points a round added follow every world's own), from the impulses they hold, until no impulse
 * moves by 1e-5 of the largest */
static void pgs_solve(WmScratch* s, int nc) {
    for (int it = 0; it < WM_PGS_ITERS && nc > 0; it++) {
        s->prior_sweeps++;
        float moved = 0.0f, largest = 0.0f;
        for (int i = 0; i < nc; i++) {
            WmContact* t = &s->contact[i];
            float mv = contact_update(s, t, &t->lambda, &t->lambda_t, t->target, true);
            moved = mv > moved ? mv : moved;
            largest = t->lambda > largest ? t->lambda : largest;
        }
        if (!(moved > 1e-5f * largest)) break;
    }
}

/* WM_INPUT_PRIOR_RECHECK: when in the tick each row's last contact with an impulse acts (s->ptime, s;
 * 0 for a row no contact touches): a contact's time is the share of the tick before it closes (1 -
 * left). The last, not the first: a body resting on the floor and hit late in the tick keeps its
 * start velocity until the hit */
static void contact_times(const WmModel* m, WmScratch* s, int nc) {
    for (int r = 0; r < s->nd; r++) s->ptime[r] = 0.0f;
    for (int i = 0; i < nc; i++) {
        const WmContact* t = &s->contact[i];
        if (!(t->lambda > 0.0f) && t->lambda_t == 0.0f) continue;
        float at = (1.0f - t->left) * m->arch.dt;
        if (at > s->ptime[t->ra]) s->ptime[t->ra] = at;
        if (t->rb >= 0 && at > s->ptime[t->rb]) s->ptime[t->rb] = at;
    }
}

/* stepping incrementally (s->inc_keep): the rows whose contacts this pack computes, s->touched[r].
 * A row seeds when it changed since its record (its state, a push then or now, its senders) or is
 * near (pair_near) a static body that changed. Every row that may share a solve with a seed is
 * touched with it: those near it (a contact needs that) and those of the island its record was
 * computed in (inc_island), to a fixpoint (a union-find over both, in s->island). An untouched row's
 * island is the one its record was made in, all as it was then: wm_inc_select gives a row of it that
 * the rounds recompute the record's prior. (A world as recorded, WM_SAME_WORLD, has no edges packed:
 * none of its rows is touched) */
static void prior_touched(const WmModel* m, WmScratch* s) {
    int K = m->arch.slots, nd = s->nd;
    int* up = s->island;
    int* has_seed = s->island_count;
    uint8_t* seed = s->touched;
    uint64_t* senders = s->row_senders;
    int* row_of = s->inc_slotrow;
    for (size_t idx = 0; idx < (size_t)s->B * K; idx++) row_of[idx] = -1;
    for (int r = 0; r < nd; r++) {
        int i = s->row_node[r];
        up[r] = r, seed[r] = 0, senders[r] = 0, has_seed[r] = 0;
        row_of[(size_t)s->node_world[i] * K + s->node_slot[i]] = r;
    }
    for (int e = 0; e < s->ne; e++) senders[s->recv[e]] |= 1ull << s->node_slot[s->send[e]];
    for (int r = 0; r < nd; r++) {
        int i = s->row_node[r];
        if (s->node_same[i] == WM_SAME_WORLD) continue;
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        const float* pd = s->pdv + (size_t)r * 3;
        seed[r] = !s->node_same[i] || s->inc_kind[idx] != 1 || s->inc_pushed[idx] || pd[0] != 0.0f || pd[1] != 0.0f ||
                  pd[2] != 0.0f || senders[r] != s->inc_senders[idx];
        if (s->inc_kind[idx] != 1) continue;
        const int* world_rows = row_of + (size_t)s->node_world[i] * K;
        for (uint64_t mask = s->inc_island[idx]; mask; mask &= mask - 1) {
            int q = world_rows[__builtin_ctzll(mask)];
            if (q >= 0) island_join(up, r, q);
        }
    }
    for (int e = 0; e < s->ne; e++) {
        int back, ra = s->recv[e], j = s->send[e], rb = s->node_row[j];
        if (!pair_near(m, s, e, false, &back)) continue;
        if (rb < 0) {
            if (!s->node_same[j]) seed[ra] = 1;
            continue;
        }
        island_join(up, ra, rb);
    }
    for (int r = 0; r < nd; r++)
        if (seed[r]) has_seed[island_root(up, r)] = 1;
    for (int r = 0; r < nd; r++) s->touched[r] = (uint8_t)has_seed[island_root(up, r)];
}

/* WM_INPUT_PRIOR_SWEEP: shape sh moved rigidly, turned by ang about its centre (cx, cy: the centre of
 * mass a body turns about) and shifted by (dx, dy) */
static void shape_moved(const SimShape* sh, double dx, double dy, double ang, SimShape* out) {
    *out = *sh;
    double c = cos(ang), sn = sin(ang);
    for (int p = 0; p < sh->nparts; p++)
        for (int i = 0; i < sh->parts[p].n; i++) {
            double x = sh->parts[p].v[2 * i] - sh->cx, y = sh->parts[p].v[2 * i + 1] - sh->cy;
            out->parts[p].v[2 * i] = sh->cx + dx + c * x - sn * y;
            out->parts[p].v[2 * i + 1] = sh->cy + dy + sn * x + c * y;
        }
    out->cx = sh->cx + dx, out->cy = sh->cy + dy;
}

/* WM_INPUT_PRIOR_SWEEP: whether the pair of the contacts s->contact[c0..c1) (one pair's points: the
 * same edge ea), apart at the tick's start, meets within the tick as the simulator's collision passes
 * see it, each body moving rigidly (turning included) at its velocity in s->pgs: what the touching
 * contacts alone left it (impact_filter). The tick is cut into the simulator's passes: WM_PRIOR_STEPS
 * steps, each into as many passes as the faster body's travel in a step (its speed and turn at its
 * reach, and gravity) takes WM_SWEEP_MARGIN to cover. At each pass's start the pair's nearest points
 * (the shapes moved to that time) give the gap and the normal, and the pair meets when its surfaces,
 * closing along that normal at that point, close the gap to within WM_IMPACT_GAP in the pass: the
 * simulator's speculative contact, whose normal and anchors hold for a pass */
static bool impact_sweeps(const WmModel* m, const WmScratch* s, int c0) {
    const WmContact* t0 = &s->contact[c0];
    int ia = s->row_node[t0->ra], ib = s->send[t0->ea];
    bool dyn_b = t0->rb >= 0;
    const SimShape* sa = packed_shape(m, s, ia, s->inc_keep);
    const SimShape* sb = packed_shape(m, s, ib, s->inc_keep);
    const float* pa = s->pgs + (size_t)t0->ra * 5;
    const float* pb = dyn_b ? s->pgs + (size_t)t0->rb * 5 : NULL;
    double va[3] = {pa[0], pa[1], pa[2]}, vb[3] = {0.0, 0.0, 0.0};
    if (pb) vb[0] = pb[0], vb[1] = pb[1], vb[2] = pb[2];
    /* the passes: the faster body's travel in a step, as the simulator reckons it */
    double dt = m->arch.dt, step = dt / WM_PRIOR_STEPS, g = fabs(WM_PRIOR_GRAVITY);
    double travel = (hypot(va[0], va[1]) + fabs(va[2]) * s->reach[ia]) * step + g * step * step;
    if (pb) travel = fmax(travel, (hypot(vb[0], vb[1]) + fabs(vb[2]) * s->reach[ib]) * step + g * step * step);
    int per_step = travel > WM_SWEEP_MARGIN ? (int)fmin(ceil(travel / WM_SWEEP_MARGIN), WM_SWEEP_PASSES) : 1;
    int passes = per_step * WM_PRIOR_STEPS;
    double hp = dt / passes;
    SimShape ma, mb;
    Cand c[2 + 2 * SIM_MAX_PARTS * SIM_MAX_VERTS];
    for (int k = 0; k < passes; k++) {
        double at = k * hp;
        shape_moved(sa, va[0] * at, va[1] * at, va[2] * at, &ma);
        const SimShape* b = sb;
        if (pb) shape_moved(sb, vb[0] * at, vb[1] * at, vb[2] * at, &mb), b = &mb;
        int n = pair_candidates(&ma, b, c), best = -1;
        for (int i = 0; i < n; i++)
            if (isfinite(c[i].d) && (best < 0 || c[i].d < c[best].d)) best = i;
        if (best < 0) return true;
        const Cand* q = &c[best];
        if (!(q->d > WM_IMPACT_GAP)) return true;
        /* the surfaces' closing speed at the point along the normal (from b into a) */
        double rax = q->px - ma.cx, ray = q->py - ma.cy;
        double closing = -((va[0] - va[2] * ray) * q->nx + (va[1] + va[2] * rax) * q->ny);
        if (pb) {
            double rbx = q->px - mb.cx, rby = q->py - mb.cy;
            closing += (vb[0] - vb[2] * rby) * q->nx + (vb[1] + vb[2] * rbx) * q->ny;
        }
        if (closing > 0.0 && q->d - closing * hp <= WM_IMPACT_GAP) return true;
    }
    return false;
}

/* WM_INPUT_PRIOR_SWEEP: the first nc contacts (islands made) less the pairs apart at the tick's start
 * that do not meet within it; returns how many are left (in their order; a pair's points lie side by
 * side, one edge ea). A pair is apart when every point of it is more than WM_IMPACT_GAP apart. When
 * there is one, the touching contacts are solved alone first (the apart ones off): the motion each
 * body has without any impact (a shard spun against the floor thrown up by it, a body resting on
 * the floor held), at which impact_sweeps moves it; the rows' velocities and impulses are then
 * reset for the solve proper */
static int impact_filter(const WmModel* m, WmScratch* s, int nc) {
    bool any = false;
    for (int c0 = 0, c1; c0 < nc; c0 = c1) {
        bool apart = true;
        for (c1 = c0; c1 < nc && s->contact[c1].ea == s->contact[c0].ea; c1++) apart = apart && s->contact[c1].gap > WM_IMPACT_GAP;
        for (int i = c0; i < c1; i++) s->contact[i].off = apart;
        any = any || apart;
    }
    if (!any) return nc;
    island_solve(m, s, nc);
    int kept = 0;
    for (int c0 = 0, c1; c0 < nc; c0 = c1) {
        for (c1 = c0; c1 < nc && s->contact[c1].ea == s->contact[c0].ea; c1++) {}
        if (s->contact[c0].off && !impact_sweeps(m, s, c0)) continue;
        for (int i = c0; i < c1; i++, kept++) {
            if (kept != i) s->contact[kept] = s->contact[i];
            s->contact[kept].off = false;
        }
    }
    for (int r = 0; r < s->nd; r++) start_velocity(m, s, r, s->pgs + (size_t)r * 5);
    for (int i = 0; i < kept; i++) s->contact[i].lambda = s->contact[i].lambda_t = 0.0f;
    contact_islands(s, kept);
    return kept;
}

/* the collision changes of every edge from one solve over all contacts (wm.h) */
static void prior_support_features(const WmModel* m, WmScratch* s) {
    size_t G = (size_t)wm_edge_feats(&m->arch), at = (size_t)wm_edge_prior_at(&m->arch);
    /* each row's velocity and inverse mass and inertia */
    for (int r = 0; r < s->nd; r++) {
        const float* st = s->state + (size_t)s->row_node[r] * D;
        float* v = s->pgs + (size_t)r * 5;
        float mass = st[SIM_OBS_mass], inertia = mass * wm_inertia_per_mass(st);
        start_velocity(m, s, r, v);
        v[3] = mass > 0.0f ? 1.0f / mass : 0.0f;
        v[4] = inertia > 0.0f ? 1.0f / inertia : 0.0f;
    }
    /* the contacts: every static sender's edge, and each dynamic pair once (from its lower row),
     * skipped when even the fastest approach of the two (their speeds and turns at their reach)
     * cannot close the edge's gap (a lower bound of the true one) within the tick */
    bool recheck = (m->arch.inputs & WM_INPUT_PRIOR_RECHECK) != 0;
    int nc = 0, end = 2 * s->edge_cap, top = end;
    s->prior_sweeps = 0;
    for (int e = 0; e < s->ne; e++) {
        float* f = s->eraw + (size_t)e * G;
        f[at + 0] = f[at + 1] = f[at + 2] = f[at + 3] = 0.0f;
    }
    /* (stepping incrementally, the touched rows' only) */
    if (s->inc_keep) prior_touched(m, s);
    for (int e = 0; e < s->ne; e++) {
        const float* f = s->eraw + (size_t)e * G;
        int back;
        if (s->inc_keep && !s->touched[s->recv[e]]) continue;
        if (!pair_near(m, s, e, false, &back)) continue;
        int ra = s->recv[e];
        pair_contacts(m, s, s->row_node[ra], s->send[e], e, back, f[12], f[11], &nc, recheck ? &top : NULL, false);
    }
    contact_islands(s, nc);
    /* WM_INPUT_PRIOR_SWEEP: the pairs apart that do not meet within the tick leave */
    if (m->arch.inputs & WM_INPUT_PRIOR_SWEEP) nc = impact_filter(m, s, nc);
    s->prior_nc = nc;
    if (m->arch.inputs & WM_INPUT_PRIOR_SUBSTEP)
        substep_solve(m, s, nc);
    else
        island_solve(m, s, nc);
    /* WM_INPUT_PRIOR_RECHECK: the points left out that close at the solved velocities join (those of
     * the pairs the first pass skipped as too far apart at their start speeds too, in the first
     * round), and the solve goes on from its impulses; the active points stay below nc, the ones
     * left out above top (2 a pair at most: the two never meet) */
    for (int round = 0; recheck && round < WM_RECHECK_ROUNDS; round++) {
        int added = nc;
        contact_times(m, s, nc);
        for (int j = top; j < end; j++) {
            const WmContact p = s->contact[j];
            const Cand c = {p.cpx, p.cpy, p.cnx, p.cny, p.cd, 0, 0, p.con};
            WmContact t;
            if (!contact_finish(m, s, &t, &c, p.ia, p.ib, p.ea, p.eb, p.elast, p.mu, true)) continue;
            s->contact[j] = s->contact[top++];
            s->contact[nc++] = t;
        }
        for (int e = 0; round == 0 && e < s->ne; e++) {
            const float* f = s->eraw + (size_t)e * G;
            int back;
            if (pair_near(m, s, e, true, &back) || !pair_near(m, s, e, false, &back)) continue;
            int ra = s->recv[e];
            pair_contacts(m, s, s->row_node[ra], s->send[e], e, back, f[12], f[11], &nc, &top, true);
        }
        if (nc == added) break;
        pgs_solve(s, nc);
    }
    /* each contact's impulse on each edge's receiver */
    for (int i = 0; i < nc; i++) {
        const WmContact* t = &s->contact[i];
        if (!(t->lambda > 0.0f)) continue;
        for (int side = 0; side < 2; side++) {
            int e = side ? t->eb : t->ea;
            if (e < 0) continue;
            int r = side ? t->rb : t->ra;
            const float* v = s->pgs + (size_t)r * 5;
            float sign = side ? -1.0f : 1.0f, rx = side ? t->rbx : t->rax, ry = side ? t->rby : t->ray;
            float* f = s->eraw + (size_t)e * G + at;
            f[0] = t->left > f[0] ? t->left : f[0];
            /* the normal impulse along n and the tangential one along t = (-ny, nx) */
            f[1] += sign * (t->lambda * t->nx - t->lambda_t * t->ny) * v[3];
            f[2] += sign * (t->lambda * t->ny + t->lambda_t * t->nx) * v[3];
            f[3] += sign * (t->lambda * (rx * t->ny - ry * t->nx) + t->lambda_t * (rx * t->nx + ry * t->ny)) * v[4];
        }
    }
}

/* WM_INPUT_PRIOR: each dynamic pair's collision impulse this tick, as each edge's receiver's velocity
 * change (wm.h). Judged on the pair's edge p of the larger gap, receiver a, sender b: q the point of
 * b's surface nearest a's centre (from a's centre), n b's outward normal there, c the closing speed
 * of the two surfaces at q; the impulse j n acts on a at q, -j n on b */
static void prior_dv_features(const WmModel* m, WmScratch* s) {
    size_t G = (size_t)wm_edge_feats(&m->arch), at = (size_t)wm_edge_prior_at(&m->arch);
    float dt = m->arch.dt;
    int* pair = s->pair_edge;
    wm_pair_edges(m, s, pair);
    if (m->arch.inputs & WM_INPUT_PRIOR_SUPPORT) {
        prior_support_features(m, s);
        return;
    }
    for (int e = 0; e < s->ne; e++) {
        float* f = s->eraw + (size_t)e * G;
        f[at + 0] = f[at + 1] = f[at + 2] = f[at + 3] = 0.0f;
        if (f[WM_EDGE_STATIC] != 0.0f) {
            /* WM_INPUT_PRIOR_STATIC: the static sender of infinite mass, on the edge's own q and n */
            if (!(m->arch.inputs & WM_INPUT_PRIOR_STATIC)) continue;
            const float* sa = s->state + (size_t)s->row_node[s->recv[e]] * D;
            float nx = f[3], ny = f[4], rax = f[0], ray = f[1], wa = sa[SIM_OBS_omega];
            float c = -(sa[SIM_OBS_vx] - wa * ray) * nx - (sa[SIM_OBS_vy] + wa * rax) * ny, gap = f[WM_EDGE_GAP];
            if (!(c > 0.0f) || gap - c * dt > WM_IMPACT_GAP) continue;
            float ma = sa[SIM_OBS_mass], ia = ma * wm_inertia_per_mass(sa), ca = rax * ny - ray * nx;
            float k = 1.0f / ma + ca * ca / ia;
            if (!(k > 0.0f) || !isfinite(k)) continue;
            float j = (1.0f + f[12]) * c / k;
            f[at + 0] = clampf(gap > 0.0f ? 1.0f - gap / (c * dt) : 1.0f, 0.0f, 1.0f);
            f[at + 1] = j * nx / ma;
            f[at + 2] = j * ny / ma;
            f[at + 3] = j * ca / ia;
            continue;
        }
        if (pair[e] < 0) continue;
        int p = pair[e];
        const float* fp = s->eraw + (size_t)p * G;
        const float* sa = s->state + (size_t)s->row_node[s->recv[p]] * D;
        const float* sb = s->state + (size_t)s->send[p] * D;
        float nx = fp[3], ny = fp[4];
        /* q from a's centre and from b's (q - (c_b - c_a)) */
        float rax = fp[0], ray = fp[1], rbx = fp[0] - fp[15], rby = fp[1] - fp[16];
        /* the closing speed of the two surfaces at q, turning included (a block tipping over its
         * corner on another moves its centre, not the corner) */
        float wa = sa[SIM_OBS_omega], wb = sb[SIM_OBS_omega];
        float c = (sb[SIM_OBS_vx] - wb * rby - sa[SIM_OBS_vx] + wa * ray) * nx +
                  (sb[SIM_OBS_vy] + wb * rbx - sa[SIM_OBS_vy] - wa * rax) * ny;
        float gap = fp[WM_EDGE_GAP];
        /* closing to touching within the tick (a pair overlapping already counts from the start) */
        if (!(c > 0.0f) || gap - c * dt > WM_IMPACT_GAP) continue;
        float left = gap > 0.0f ? 1.0f - gap / (c * dt) : 1.0f;
        float ma = sa[SIM_OBS_mass], mb = sb[SIM_OBS_mass];
        float ia = ma * wm_inertia_per_mass(sa), ib = mb * wm_inertia_per_mass(sb);
        float ca = rax * ny - ray * nx, cb = rbx * ny - rby * nx;
        float k = 1.0f / ma + 1.0f / mb + ca * ca / ia + cb * cb / ib;
        if (!(k > 0.0f) || !isfinite(k)) continue;
        float j = (1.0f + fp[12]) * c / k;
        /* e's receiver is p's (a) or p's sender (b) */
        bool is_a = s->recv[e] == s->recv[p];
        float sign = is_a ? 1.0f : -1.0f, mass = is_a ? ma : mb, inertia = is_a ? ia : ib, cr = is_a ? ca : cb;
        f[at + 0] = clampf(left, 0.0f, 1.0f);
        f[at + 1] = sign * j * nx / mass;
        f[at + 2] = sign * j * ny / mass;
        f[at + 3] = sign * j * cr / inertia;
    }
}

/* the collision features of every edge (WM_INPUT_PRIOR, wm.h): the velocity changes, then with
 * WM_INPUT_PRIOR_JMAG the size of the impulse behind them, |dv| times the receiver's mass */
static void prior_features(const WmModel* m, WmScratch* s) {
    prior_dv_features(m, s);
    if (!(m->arch.inputs & WM_INPUT_PRIOR_JMAG)) return;
    size_t G = (size_t)wm_edge_feats(&m->arch), at = (size_t)wm_edge_prior_at(&m->arch);
    for (int e = 0; e < s->ne; e++) {
        float* f = s->eraw + (size_t)e * G + at;
        float mass = s->state[(size_t)s->row_node[s->recv[e]] * D + SIM_OBS_mass];
        f[WM_EDGE_PRIOR] = log1pf(mass * wm_prior_dv_size(f));
    }
}

bool wm_pack(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
             const float* pushes, Rng* rng, float noise_pos, float noise_vel) {
    int K = m->arch.slots;
    int live = 0;
    for (int i = 0; i < B * K; i++) live += mask[i] != 0;
    wm_scratch_reserve_nodes(m, s, live > 0 ? live : 1);
    s->B = B;
    /* every row is computed unless wm_inc_select says otherwise */
    s->inc_step = false;
    s->stepped = false;
    s->ng = 0;
    /* incremental: a body whose row is what the slot held at the last step keeps its shape */
    bool keep = s->inc_on && !rng && wm_inc_fit(m, s, B);
    s->inc_keep = keep;
    /* (unless every world is checked below, assume so) */
    s->inc_emptied = !keep;
    /* nodes: the live slots, world by world; rows: the dynamic ones */
    int n = 0, nd = 0;
    for (int b = 0; b < B; b++) {
        /* incremental: a world whose every slot holds what it held at the last step, with no push
         * then or now, repeats every prediction: neither its edges nor its features are needed */
        bool frozen = keep;
        int n0 = n, nd0 = nd;
        const uint8_t* wmask = mask + (size_t)b * K;
        if (keep) {
            /* (a slot emptied since is a change; branch-free over the world's slots) */
            const uint8_t* kind = s->inc_kind + (size_t)b * K;
            uint8_t emptied = 0;
            for (int k = 0; k < K; k++) emptied |= (uint8_t)((wmask[k] == 0) & (kind[k] != 0));
            frozen = !emptied;
            s->inc_emptied = s->inc_emptied || emptied;
        }
        for (int k = 0; k < K; k++) {
            size_t idx = (size_t)b * K + k;
            if (!wmask[k]) continue;
            float* st = s->state + (size_t)n * D;
            memcpy(st, states + idx * D, sizeof(float) * D);
            s->node_world[n] = b;
            s->node_slot[n] = k;
            s->node_row[n] = -1;
            if (is_dynamic(st)) {
                float* pd = s->pdv + (size_t)nd * 3;
                wm_push_dv(st, pushes ? pushes + idx * WM_PUSH_DIM : NULL, pd);
                if (rng) {
                    /* GNS-style noise on the dynamic state */
                    st[SIM_OBS_x] += noise_pos * (float)rng_normal(rng);
                    st[SIM_OBS_y] += noise_pos * (float)rng_normal(rng);
                    st[SIM_OBS_vx] += noise_vel * (float)rng_normal(rng);
                    st[SIM_OBS_vy] += noise_vel * (float)rng_normal(rng);
                    st[SIM_OBS_omega] += 4.0f * noise_vel * (float)rng_normal(rng);
                }
                s->node_row[n] = nd;
                s->row_node[nd] = n;
                frozen = frozen && s->inc_kind[idx] && !s->inc_pushed[idx] && pd[0] == 0.0f && pd[1] == 0.0f &&
                         pd[2] == 0.0f;
                nd++;
            }
            s->node_same[n] = keep && s->inc_kind[idx] && same_row(s->inc_state + idx * D, st);
            frozen = frozen && s->node_same[n];
            float* bounds = s->bounds + (size_t)n * 4;
            if (s->node_same[n]) {
                /* the slot's record holds its shape and bounds */
                s->reach[n] = s->inc_reach[idx];
                memcpy(bounds, s->inc_bounds + idx * 4, sizeof(float) * 4);
            } else {
                SimShape* sh = keep ? &s->inc_shape[idx] : &s->shape[n];
                s->reach[n] = node_shape(s, k, st, sh, bounds);
                if (keep) {
                    s->inc_reach[idx] = s->reach[n];
                    memcpy(s->inc_bounds + idx * 4, bounds, sizeof(float) * 4);
                }
            }
            n++;
        }
        if (frozen)
            for (int i = n0; i < n; i++) s->node_same[i] = WM_SAME_WORLD;
        else
            for (int r = nd0; r < nd; r++) {
                int i = s->row_node[r];
                const float* st = s->state + (size_t)i * D;
                node_features(st, slot_logs(s, s->node_slot[i], st), s->xraw + (size_t)r * WM_NODE_NORM);
            }
    }
    s->n = n;
    s->nd = nd;
    /* edges: dynamic receivers, any sender of the same world whose surface is within the radius */
    int ne = 0;
    float radius = m->arch.radius;
    int G = wm_edge_feats(&m->arch);
    bool support = (m->arch.inputs & WM_INPUT_SUPPORT) != 0;
    int time_at = (m->arch.inputs & WM_INPUT_EDGE_TIME) ? wm_edge_time_at(&m->arch) : -1;
    float horizon = (float)WM_EVENT_HORIZON * m->arch.dt;
    for (int a = 0; a < n;) {
        int z = a;
        while (z < n && s->node_world[z] == s->node_world[a]) z++;
        if (s->node_same[a] == WM_SAME_WORLD) {
            a = z;
            continue;
        }
        wm_scratch_reserve_edges(m, s, ne + (z - a) * (z - a));
        for (int i = a; i < z; i++) {
            int ri = s->node_row[i];
            if (ri < 0 || s->reach[i] < 0) continue;
            const float* si = s->state + (size_t)i * D;
            for (int j = a; j < z; j++) {
                if (j == i || s->reach[j] < 0) continue;
                const float* sj = s->state + (size_t)j * D;
                /* circles about the centres first: most far pairs end here */
                if (radius > 0) {
                    float dx = sj[SIM_OBS_x] - si[SIM_OBS_x], dy = sj[SIM_OBS_y] - si[SIM_OBS_y];
                    float r = s->reach[i] + s->reach[j] + radius;
                    if (dx * dx + dy * dy > r * r) continue;
                    /* then the circle about i against j's bounding box (a floor's circle holds
                     * everything); a millimetre of slack for the float arithmetic */
                    const float* bj = s->bounds + (size_t)j * 4;
                    float bx = bj[0] - si[SIM_OBS_x], by = bj[1] - si[SIM_OBS_y];
                    bx = bx > si[SIM_OBS_x] - bj[2] ? bx : si[SIM_OBS_x] - bj[2];
                    by = by > si[SIM_OBS_y] - bj[3] ? by : si[SIM_OBS_y] - bj[3];
                    bx = bx > 0.0f ? bx : 0.0f;
                    by = by > 0.0f ? by : 0.0f;
                    float rb = s->reach[i] + radius + 1e-3f;
                    if (bx * bx + by * by > rb * rb) continue;
                }
                int rj = s->node_row[j];
                float* f = s->eraw + (size_t)ne * G;
                float lmj = rj >= 0 ? slot_logs(s, s->node_slot[j], sj)[2] : 0.0f;
                float gap = edge_features(si, packed_shape(m, s, i, keep), sj, packed_shape(m, s, j, keep), rj >= 0,
                                          support, slot_logs(s, s->node_slot[i], si)[2], lmj, time_at, horizon, f);
                if (isnan(gap) || (radius > 0 && !(gap <= radius))) continue;
                s->recv[ne] = ri;
                s->send[ne] = j;
                s->send_row[ne] = rj;
                ne++;
            }
        }
        a = z;
    }
    if (ne == 0) wm_scratch_reserve_edges(m, s, 1);
    s->ne = ne;
    if (m->arch.inputs & WM_INPUT_PAIR) pair_features(m, s);
    if (m->arch.inputs & WM_INPUT_PRIOR) prior_features(m, s);
    return nd > 0;
}

/* y[cols] = x normalized with n's statistics; with clip, x clipped to the range training saw
 * first (a column never seen is left alone). x stays raw: the trainer's statistics learn from it */
static void normalize_row(const WmNorm* n, int cols, bool clip, const float* restrict x, float* restrict y) {
    if (!clip) {
        /* (branch-free: vectorized) */
        for (int c = 0; c < cols; c++) y[c] = (x[c] - n->fmean[c]) / n->fstd[c];
        return;
    }
    for (int c = 0; c < cols; c++) {
        float v = x[c];
        if (n->lo[c] <= n->hi[c]) {
            /* fminf(fmaxf(v, lo), hi) as x86-64's maxss and minss give it (a NaN becomes lo),
             * without two libm calls per column */
            v = v > n->lo[c] ? v : n->lo[c];
            v = v < n->hi[c] ? v : n->hi[c];
        }
        y[c] = (v - n->fmean[c]) / n->fstd[c];
    }
}

void wm_features_normalize(const WmModel* m, WmScratch* s) {
    bool clip = (m->arch.inputs & WM_INPUT_CLIP) != 0;
    for (int r = 0; r < s->nd; r++) {
        const float* x = s->xraw + (size_t)r * WM_NODE_NORM;
        float* y = s->xn + (size_t)r * WM_NODE_FEATS;
        normalize_row(&m->nin, WM_NODE_NORM, clip, x, y);
        const float* pd = s->pdv + (size_t)r * 3;
        y[WM_NODE_NORM + 0] = pd[0];
        y[WM_NODE_NORM + 1] = pd[1];
        y[WM_NODE_NORM + 2] = 0.1f * pd[2];
        y[WM_NODE_NORM + 3] = (pd[0] != 0.0f || pd[1] != 0.0f || pd[2] != 0.0f) ? 1.0f : 0.0f;
    }
    int G = wm_edge_feats(&m->arch);
    for (int e = 0; e < s->ne; e++) normalize_row(&m->ein, G, clip, s->eraw + (size_t)e * G, s->xe + (size_t)e * G);
}
