/* imagine_jepa: candidates' futures in the pixel model's latent space (the jepa planner's
 * imagination, as V-JEPA 2-AC plans). The frames the planner has seen, rendered as the model's
 * frames; at a decision their window is encoded once, and the predictor rolls every candidate's
 * latent forward with its pushes as push maps; a candidate's energy is how far its latent at the
 * horizon lies from the goal image's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/imagine.h"
#include "base/alloc.h"
#include "base/report.h"

void imagine_jepa_init(ImagineJepa* ij, const JepaModel* m, const double rect[4]) {
    memset(ij, 0, sizeof *ij);
    const JepaArch* a = jepa_arch(m);
    ij->model = m;
    ij->scratch = jepa_scratch_create(m);
    memcpy(ij->rect, rect, sizeof ij->rect);
    ij->W = a->frame_w, ij->Hf = a->frame_h;
    ij->L = jepa_latent_size(m);
    ij->span = jepa_window_span(m);
    ij->fstep = a->frame_step > 0 ? a->frame_step : 1;
    ij->fb = (size_t)a->frame_w * a->frame_h * a->channels;
    ij->ring = alloc_zeroed((size_t)ij->span, ij->fb);
    ij->still = alloc_zeroed(1, ij->fb);
    ij->goal = alloc_zeroed((size_t)ij->L, sizeof *ij->goal);
    ij->goal_z = alloc_zeroed((size_t)ij->L, sizeof *ij->goal_z);
    ij->z0 = alloc_zeroed((size_t)ij->L, sizeof *ij->z0);
    int lh, lw;
    jepa_latent_shape(m, &lh, &lw, &ij->C);
    ij->cmask = alloc_zeroed((size_t)ij->C, 1);
    imagine_jepa_set_still(ij, false);
}

int imagine_jepa_still_channels(const JepaModel* m, uint8_t* mask) {
    const JepaArch* a = jepa_arch(m);
    int lh, lw, C;
    jepa_latent_shape(m, &lh, &lw, &C);
    int K = a->keypoints, Lm = a->latent, km = a->keypoint_motion ? K - a->keypoint_appear : 0, n = 0;
    for (int c = 0; c < C; c++) {
        /* the convolutions, then (dx, dy, lse) per keypoint (the motion ones first), then (vx, vy) */
        bool on = K == 0 || c < Lm || (c < Lm + 3 * K && (c - Lm) / 3 >= km);
        mask[c] = on;
        n += on;
    }
    return n;
}

void imagine_jepa_set_still(ImagineJepa* ij, bool on) {
    ij->still_only = on;
    if (on) ij->ncount = imagine_jepa_still_channels(ij->model, ij->cmask);
    else {
        memset(ij->cmask, 1, (size_t)ij->C);
        ij->ncount = ij->C;
    }
}

void imagine_jepa_free(ImagineJepa* ij) {
    if (!ij->model) return;
    jepa_scratch_free(ij->scratch);
    free(ij->ring);
    free(ij->still);
    free(ij->goal);
    free(ij->goal_z);
    free(ij->z0);
    free(ij->cmask);
    free(ij->z);
    free(ij->push);
    free(ij->npush);
    free(ij->zt);
    free(ij->frames);
    memset(ij, 0, sizeof *ij);
}

void imagine_jepa_reset(ImagineJepa* ij, bool goal) {
    ij->seen = 0;
    if (goal) ij->have_goal = false;
}

void imagine_jepa_see(ImagineJepa* ij, const SimWorld* w) {
    jepa_render(ij->model, w, ij->rect, ij->ring + (size_t)(ij->seen % ij->span) * ij->fb);
    ij->seen++;
}

bool imagine_jepa_goals_ok(const ScnGoal* goals, int n) {
    int shown = 0;
    for (int g = 0; g < n; g++) {
        const ScnGoal* q = &goals[g];
        if (q->kind == SCN_GOAL_IN && !q->negate) shown++;
        else if (q->kind == SCN_GOAL_FIELD && (q->field == SCN_FIELD_X || q->field == SCN_FIELD_Y) && q->op == SCN_TEST_NEAR)
            shown++;
        else if (q->kind == SCN_GOAL_FIELD && q->field == SCN_FIELD_SPEED && (q->op == SCN_TEST_LT || q->op == SCN_TEST_LE))
            continue;
        else if ((q->kind == SCN_GOAL_BROKEN || q->kind == SCN_GOAL_FELL) && q->negate)
            continue;
        else
            return false;
    }
    return shown > 0;
}

/* every live dynamic body below the rest speeds */
static bool at_rest(const SimWorld* w) {
    int32_t ids[256];
    int n = sim_world_dynamic_ids(w, ids, 256);
    for (int i = 0; i < n && i < 256; i++) {
        SimBodyState st;
        if (!sim_world_body(w, ids[i], &st)) continue;
        if (hypot(st.vx, st.vy) > IMAGINE_JEPA_REST_SPEED || fabs(st.omega) > IMAGINE_JEPA_REST_SPIN) return false;
    }
    return true;
}

/* v into [lo, hi] (their middle when the span is empty) */
static double clamp_span(double v, double lo, double hi) {
    if (lo > hi) return 0.5 * (lo + hi);
    return v < lo ? lo : v > hi ? hi : v;
}

SimWorld* imagine_jepa_goal_world(const SimWorld* w, const double rect[4], const ScnGoal* goals, int n,
                                  bool* settled, char* err, size_t err_size) {
    SimSnapshot* snap = sim_world_snapshot(w);
    SimWorld* still = sim_world_from_snapshot(snap, err, err_size);
    sim_snapshot_free(snap);
    if (settled) *settled = false;
    if (!still) return NULL;
    /* each shown goal's body where the goal wants it, at rest, its angle kept */
    bool moved = false;
    for (int g = 0; g < n; g++) {
        const ScnGoal* q = &goals[g];
        SimBodyState st;
        if (q->negate || !sim_world_body(still, q->body, &st)) continue;
        double x = st.x, y = st.y;
        if (q->kind == SCN_GOAL_IN) {
            x = 0.5 * (q->region[0] + q->region[2]);
            y = 0.5 * (q->region[1] + q->region[3]);
        } else if (q->kind == SCN_GOAL_FIELD && q->op == SCN_TEST_NEAR && q->field == SCN_FIELD_X) {
            x = q->v;
        } else if (q->kind == SCN_GOAL_FIELD && q->op == SCN_TEST_NEAR && q->field == SCN_FIELD_Y) {
            y = q->v;
        } else {
            continue;
        }
        /* within the frame, the body's half size and a margin from its edges (a region that
           reaches out of view: its centre may lie out of it) */
        if (rect) {
            double r = 0.5 * (st.w > st.h ? st.w : st.h) + IMAGINE_JEPA_GOAL_MARGIN;
            if (st.radius > 0) r = st.radius + IMAGINE_JEPA_GOAL_MARGIN;
            x = clamp_span(x, rect[0] + r, rect[2] - r);
            y = clamp_span(y, rect[1] + r, rect[3] - r);
        }
        moved = moved || fabs(x - st.x) > 1e-9 || fabs(y - st.y) > 1e-9;
        sim_world_set_pose(still, q->body, x, y, st.angle, 0, 0, 0);
    }
    if (!moved) return still;
    /* then at rest where the world puts it: a region's centre may lie in the air above the surface
       the body would stand on, and a goal image with a body hanging there looks like no future the
       model can imagine. Kept only when every shown goal still holds (a body that rolled or fell out
       of its region, or broke, leaves the placed pose) */
    SimSnapshot* placed = sim_world_snapshot(still);
    for (int t = 0, calm = 0; t < IMAGINE_JEPA_SETTLE_TICKS && calm < IMAGINE_JEPA_REST_TICKS; t++) {
        sim_world_tick(still, NULL);
        calm = at_rest(still) ? calm + 1 : 0;
    }
    bool holds = sim_world_error(still) == NULL;
    for (int g = 0; g < n && holds; g++) {
        const ScnGoal* q = &goals[g];
        bool shown = !q->negate && (q->kind == SCN_GOAL_IN || (q->kind == SCN_GOAL_FIELD && q->op == SCN_TEST_NEAR &&
                                                               (q->field == SCN_FIELD_X || q->field == SCN_FIELD_Y)));
        bool now = false;
        if (shown) {
            scn_goal_status(q, still, &now);
            holds = now;
        }
    }
    bool ok = holds || sim_world_restore(still, placed, err, err_size);
    sim_snapshot_free(placed);
    if (!ok) {
        sim_world_destroy(still);
        return NULL;
    }
    if (settled) *settled = holds;
    return still;
}

bool imagine_jepa_set_goal(ImagineJepa* ij, const SimWorld* w, const ScnGoal* goals, int n, char* err,
                           size_t err_size) {
    SimWorld* still = imagine_jepa_goal_world(w, ij->rect, goals, n, NULL, err, err_size);
    if (!still) return false;
    /* the goal image, as a window in which nothing moves */
    jepa_render(ij->model, still, ij->rect, ij->still);
    sim_world_destroy(still);
    const uint8_t* win[64];
    int context = jepa_arch(ij->model)->context;
    for (int f = 0; f < context && f < 64; f++) win[f] = ij->still;
    jepa_encode(ij->model, ij->scratch, 1, win, true, ij->goal);
    jepa_encode(ij->model, ij->scratch, 1, win, false, ij->goal_z);
    ij->have_goal = true;
    return true;
}

void imagine_jepa_encode(ImagineJepa* ij) {
    const JepaArch* a = jepa_arch(ij->model);
    const uint8_t* win[64];
    int64_t last = ij->seen - 1;
    int64_t first = ij->seen > ij->span ? ij->seen - ij->span : 0;
    /* frame f of the window is fstep * (context - 1 - f) frames before the last; before the first
       frame seen, the first one (a scene starts at rest) */
    for (int f = 0; f < a->context && f < 64; f++) {
        int64_t i = last - (int64_t)ij->fstep * (a->context - 1 - f);
        if (i < first) i = first;
        if (i < 0) i = 0;
        win[f] = ij->ring + (size_t)(i % ij->span) * ij->fb;
    }
    jepa_encode(ij->model, ij->scratch, 1, win, false, ij->z0);
}

/* the energy of latent z: the mean absolute difference to goal over the channels counted */
static double energy_of(const ImagineJepa* ij, const float* z, const float* goal) {
    int C = ij->C, L = ij->L, cells = L / C;
    double d = 0;
    if (!ij->still_only) {
        for (int i = 0; i < L; i++) d += fabsf(z[i] - goal[i]);
    } else {
        for (int i = 0; i < cells; i++)
            for (int c = 0; c < C; c++)
                if (ij->cmask[(size_t)c]) d += fabsf(z[(size_t)i * C + c] - goal[(size_t)i * C + c]);
    }
    return d / ((double)cells * ij->ncount);
}

void imagine_jepa_energy(ImagineJepa* ij, const ImaginePlans* p, const float (*xy)[2], const float* mass,
                         double* energy) {
    int B = p->B, L = ij->L;
    /* rolled: one more row, the goal window without pushes */
    int rows = B + (ij->rolled ? 1 : 0);
    if ((size_t)rows > ij->cap) {
        ij->z = alloc_resize(ij->z, (size_t)rows * L, sizeof *ij->z);
        ij->push = alloc_resize(ij->push, (size_t)rows * JEPA_MAX_PUSHES, sizeof *ij->push);
        ij->npush = alloc_resize(ij->npush, (size_t)rows, sizeof *ij->npush);
        ij->cap = (size_t)rows;
    }
    for (int b = 0; b < B; b++) memcpy(ij->z + (size_t)b * L, ij->z0, sizeof *ij->z * (size_t)L);
    if (ij->rolled) {
        memcpy(ij->z + (size_t)B * L, ij->goal_z, sizeof *ij->z * (size_t)L);
        ij->npush[B] = 0;
    }
    int R = (p->H + ij->fstep - 1) / ij->fstep;
    for (int r = 0; r < R; r++) {
        /* the pushes of ticks [r S, (r + 1) S), each at its body's place at the decision (the
           pixel planner does not know where a body will be) */
        for (int b = 0; b < B; b++) {
            int n = 0;
            for (int s = 0; s < p->S; s++) {
                int t = s * p->seg;
                if (t < r * ij->fstep || t >= (r + 1) * ij->fstep || t >= p->H) continue;
                const SimPush* sp = &p->steps[(size_t)b * p->S + s];
                if (sp->body < 0 || n >= JEPA_MAX_PUSHES) continue;
                int j = 0;
                while (j < p->nbodies && p->ids[j] != sp->body) j++;
                if (j == p->nbodies) continue;
                JepaPush* jp = &ij->push[(size_t)b * JEPA_MAX_PUSHES + n++];
                jepa_frame_px(ij->W, ij->Hf, ij->rect, xy[j][0] + sp->px, xy[j][1] + sp->py, &jp->u, &jp->v);
                jp->jx = (float)sp->jx, jp->jy = (float)sp->jy, jp->mass = mass[j];
            }
            ij->npush[b] = n;
        }
        jepa_predict(ij->model, ij->scratch, rows, ij->z, ij->push, ij->npush, ij->z);
    }
    const float* goal = ij->rolled ? ij->z + (size_t)B * L : ij->goal;
    for (int b = 0; b < B; b++) energy[b] = energy_of(ij, ij->z + (size_t)b * L, goal);
}

bool imagine_jepa_energy_true(ImagineJepa* ij, ImagineSim* is, const SimWorld* w, const ImaginePlans* p,
                              double* energy, char* err, size_t err_size) {
    const JepaArch* a = jepa_arch(ij->model);
    int ctx = a->context < 64 ? a->context : 64, H = p->H;
    if (!ij->zt) {
        ij->zt = alloc_zeroed((size_t)ij->L, sizeof *ij->zt);
        ij->frames = alloc_zeroed((size_t)ctx, ij->fb);
    }
    SimSnapshot* snap = sim_world_snapshot(w);
    if (!is->scratch) is->scratch = sim_world_from_snapshot(snap, err, err_size);
    bool ok = is->scratch != NULL;
    for (int b = 0; ok && b < p->B; b++) {
        ok = sim_world_restore(is->scratch, snap, err, err_size);
        if (!ok) break;
        /* the window that ends at tick H: frame f at tick H - fstep (ctx - 1 - f); one at or before
           now is a frame seen (the first seen when it lies before it) */
        const uint8_t* win[64];
        for (int f = 0; f < ctx; f++) {
            int64_t t = (int64_t)H - (int64_t)ij->fstep * (ctx - 1 - f);
            int64_t i = ij->seen - 1 + (t < 0 ? t : 0);
            if (i < ij->seen - ij->span) i = ij->seen - ij->span;
            if (i < 0) i = 0;
            win[f] = t > 0 ? ij->frames + (size_t)f * ij->fb : ij->ring + (size_t)(i % ij->span) * ij->fb;
        }
        for (int h = 0; h < H; h++) {
            sim_world_tick(is->scratch, imagine_push_at(p, b, h));
            for (int f = 0; f < ctx; f++)
                if (h + 1 == H - ij->fstep * (ctx - 1 - f))
                    jepa_render(ij->model, is->scratch, ij->rect, ij->frames + (size_t)f * ij->fb);
        }
        jepa_encode(ij->model, ij->scratch, 1, win, true, ij->zt);
        energy[b] = energy_of(ij, ij->zt, ij->goal);
    }
    sim_snapshot_free(snap);
    return ok;
}
