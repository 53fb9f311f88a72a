/* planner: the cross-entropy search over push plans, its receding horizon and warm start (the
 * imaginations are agent/imagine_*.c, the cost agent/plan_cost.c) */
#include "agent/planner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/imagine.h"
#include "agent/plan_cost.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/rank.h"
#include "base/report.h"
#include "base/rng.h"
#include "sim/observation.h"

#define MAXB PLANNER_MAX_BODIES
#define MAXS PLANNER_MAX_SEGMENTS
#define MAX_ITERS 100
/* numbers per push besides the body: jx, jy (fractions of the impulse limit), ox, oy (fractions
 * of the body's half width and half height) */
#define U 4
#define SMOOTH 0.7f     /* a refit moves the distribution this far toward the elites */
#define SD0 0.5f        /* the prior's spread (and what a warm start resets spreads to) */
#define SD_MIN 0.03f    /* spreads never shrink below this */
#define P_FLOOR 0.01f   /* no option's probability falls below this (before renormalizing) */
#define P_NONE0 0.5f    /* the prior's probability that a segment does not push */
#define DEFAULT_IMPULSE 1.0

/* one segment of a candidate: opt 0 = no push, j + 1 = push body j (this decision's numbering) */
typedef struct Step {
    int32_t opt;
    float   u[U];
} Step;

/* a candidate's cost and index, for sorting */
typedef struct Ranked {
    double cost;
    int    index;
} Ranked;

struct Planner {
    ScnAgentDef    def;
    double         impulse;        /* N*s */
    int            B, E, H, S, seg;
    const WmModel* model;          /* NULL: the oracle */
    int            slots;
    Rng            rng;
    ImagineModel   im;
    ImagineSim     is;
    const JepaModel* jepa;         /* the pixel planner's model (planner_set_jepa), else NULL */
    ImagineJepa    ij;
    double*        energy;         /* [B] the pixel planner's energies */
    bool           audit;          /* PLAN_JEPA_AUDIT: each search's candidates also by the simulator */
    PlanRow*       arows;          /* [B * H * nb] the audit's true rows */
    size_t         arows_cap;
    double*        acost;          /* [B] the simulator's cost of each candidate */
    double*        atrue;          /* [B] the energy of each candidate's true future (+ its push cost) */
    double*        aplan;          /* [B] the planner's cost of each candidate, in candidate order */
    float          mass[MAXB];     /* kg, the bodies' of this decision (the push maps') */
    /* goals */
    ScnGoal*       goals;
    int            ngoals;
    ScnGoalStatus* status;
    uint8_t*       active;
    int*           goal_body;
    /* the bodies of this decision */
    int            nb;
    int32_t        ids[MAXB];
    PlanBody       bodies[MAXB];
    float          angle0[MAXB], drop[MAXB], half[MAXB][2], start[MAXB][2];
    /* the distribution: per segment, option probabilities and a Gaussian per body */
    float          prob[MAXS][MAXB + 1];
    float          mean[MAXS][MAXB][U];
    float          sd[MAXS][MAXB][U];
    /* candidates of the current iteration */
    Step*          cand;           /* [B * S] */
    SimPush*       pushes;         /* [B * S] */
    PlanRow*       rows;           /* [B * H * nb] */
    size_t         rows_cap;
    Ranked*        ranked;         /* [B] */
    double*        costs_d;
    float*         costs;          /* [B] (trace) */
    int*           order;          /* [B] (trace) */
    /* the cheapest plan of this decision, and the previous decision's (warm start) */
    Step           best[MAXS];
    double         best_cost;
    PlanRow*       best_rows;      /* [H * nb] */
    bool           have_prev;
    Step           prev[MAXS];     /* opt as a body id + 1 (0 = none) */
    float          prev_prob[MAXS][MAXB + 1];
    float          prev_mean[MAXS][MAXB][U];
    int32_t        prev_ids[MAXB];
    int            prev_nb;
    /* episode */
    int64_t        next_tick;      /* the next decision's tick (-1: at the first call) */
    int            pushes_used;
    /* trace */
    PlannerTrace   trace;
    float*         paths;          /* [B * H * nb * 2] */
    float*         best_path;      /* [H * nb * 2] */
    double         iter_best[MAX_ITERS], iter_elite[MAX_ITERS];
};

Planner* planner_create(const ScnAgentDef* def, const WmModel* model, int slots, uint64_t seed,
                        char* err, size_t err_size) {
    if (def->samples < 1 || def->iters < 1 || def->iters > MAX_ITERS || def->horizon < 1 ||
        def->replan < 1 || def->elites < 0 || def->elites > def->samples || def->pushes < 0 ||
        !(def->impulse >= 0) || !isfinite(def->impulse) || !(def->push_cost >= 0) ||
        !isfinite(def->push_cost)) {
        report_set(err, err_size,
                   "planner: expected samples >= 1, iters 1..%d, horizon >= 1, every >= 1, elites "
                   "0..samples, pushes >= 0, finite impulse and cost >= 0; got samples %d iters %d "
                   "horizon %d every %d elites %d pushes %d impulse %g cost %g",
                   MAX_ITERS, def->samples, def->iters, def->horizon, def->replan, def->elites,
                   def->pushes, def->impulse, def->push_cost);
        return NULL;
    }
    int S = (def->horizon + def->replan - 1) / def->replan;
    if (S > MAXS) {
        report_set(err, err_size, "planner: horizon %d over every %d gives %d segments, at most %d",
                   def->horizon, def->replan, S, MAXS);
        return NULL;
    }
    if (model) {
        const WmArch* a = wm_arch(model);
        if (a->slots != slots || a->dim != SIM_OBS_DIM) {
            report_set(err, err_size, "model has %d slots of %d columns, the episode %d slots of %d columns",
                       a->slots, a->dim, slots, SIM_OBS_DIM);
            return NULL;
        }
    }
    Planner* p = alloc_zeroed(1, sizeof *p);
    p->def = *def;
    p->impulse = def->impulse > 0 ? def->impulse : DEFAULT_IMPULSE;
    p->B = def->samples;
    p->E = def->elites > 0 ? def->elites : (def->samples / 10 > 0 ? def->samples / 10 : 1);
    p->H = def->horizon;
    p->seg = def->replan;
    p->S = S;
    p->model = model;
    p->slots = slots;
    p->im.model = model;
    p->im.K = slots;
    rng_seed(&p->rng, rng_derive(seed, 0x706c616e6e6572ull)); /* "planner" */
    p->cand = alloc_zeroed((size_t)p->B * S, sizeof *p->cand);
    p->pushes = alloc_zeroed((size_t)p->B * S, sizeof *p->pushes);
    p->ranked = alloc_zeroed((size_t)p->B, sizeof *p->ranked);
    p->costs = alloc_zeroed((size_t)p->B, sizeof *p->costs);
    p->order = alloc_zeroed((size_t)p->B, sizeof *p->order);
    p->next_tick = -1;
    return p;
}

void planner_free(Planner* p) {
    if (!p) return;
    imagine_model_free(&p->im);
    imagine_sim_free(&p->is);
    imagine_jepa_free(&p->ij);
    free(p->energy);
    free(p->arows);
    free(p->acost);
    free(p->atrue);
    free(p->aplan);
    free(p->goals);
    free(p->status);
    free(p->active);
    free(p->goal_body);
    free(p->cand);
    free(p->pushes);
    free(p->rows);
    free(p->ranked);
    free(p->costs);
    free(p->order);
    free(p->best_rows);
    free(p->paths);
    free(p->best_path);
    free(p);
}

bool planner_is_oracle(const Planner* p) { return p->model == NULL && p->jepa == NULL; }
bool planner_is_jepa(const Planner* p) { return p->jepa != NULL; }
bool planner_jepa_goals_ok(const ScnGoal* goals, int n) { return imagine_jepa_goals_ok(goals, n); }

void planner_set_jepa(Planner* p, const JepaModel* m, const double rect[4], unsigned flags) {
    imagine_jepa_free(&p->ij);
    p->model = NULL;
    p->im.model = NULL;
    p->jepa = m;
    if (!m) return;
    imagine_jepa_init(&p->ij, m, rect);
    p->ij.rolled = (flags & PLAN_JEPA_ROLLED) != 0;
    imagine_jepa_set_still(&p->ij, (flags & PLAN_JEPA_STILL) != 0);
    p->energy = alloc_resize(p->energy, (size_t)p->B, sizeof *p->energy);
    p->audit = (flags & PLAN_JEPA_AUDIT) != 0;
    if (p->audit) {
        p->acost = alloc_resize(p->acost, (size_t)p->B, sizeof *p->acost);
        p->atrue = alloc_resize(p->atrue, (size_t)p->B, sizeof *p->atrue);
        p->aplan = alloc_resize(p->aplan, (size_t)p->B, sizeof *p->aplan);
    }
    p->next_tick = -1;
    p->have_prev = false;
}
int planner_goal_count(const Planner* p) { return p->ngoals; }
const ScnGoal* planner_goals(const Planner* p) { return p->ngoals ? p->goals : NULL; }
const ScnGoalStatus* planner_goal_status(const Planner* p) { return p->ngoals ? p->status : NULL; }
const PlannerTrace* planner_trace(const Planner* p) { return &p->trace; }

void planner_set_goals(Planner* p, const ScnGoal* goals, int n) {
    free(p->goals);
    free(p->status);
    free(p->active);
    free(p->goal_body);
    p->goals = NULL;
    p->status = NULL;
    p->active = NULL;
    p->goal_body = NULL;
    p->ngoals = 0;
    if (n > 0) {
        p->goals = alloc_array((size_t)n, sizeof *p->goals);
        p->status = alloc_zeroed((size_t)n, sizeof *p->status);
        p->active = alloc_zeroed((size_t)n, 1);
        p->goal_body = alloc_zeroed((size_t)n, sizeof *p->goal_body);
        memcpy(p->goals, goals, sizeof *p->goals * (size_t)n);
        p->ngoals = n;
    }
    /* re-armed: the next call decides, with a fresh budget and no warm start (the pixel planner
       with no frames and its goal image made anew) */
    if (p->jepa) imagine_jepa_reset(&p->ij, true);
    p->next_tick = -1;
    p->pushes_used = 0;
    p->have_prev = false;
    memset(&p->trace, 0, sizeof p->trace);
}

void planner_rearm(Planner* p, int pushes_used) {
    p->next_tick = -1;
    p->have_prev = false;
    p->pushes_used = pushes_used;
    p->trace.pushes_used = pushes_used;
    if (p->jepa) imagine_jepa_reset(&p->ij, false);
    for (int g = 0; g < p->ngoals; g++) p->status[g] = SCN_GOAL_PENDING;
}

/* ---- bodies and goals of one decision ---- */

void planner_push_reach(double w, double h, double c, double s, double* hx, double* hy) {
    *hx = 0.5 * (fabs(c) * w + fabs(s) * h);
    *hy = 0.5 * (fabs(s) * w + fabs(c) * h);
}

/* the live dynamic bodies the planner may push: from the observation (the model sees only its
 * slots) or from the world (the oracle), first by id */
static void gather_bodies(Planner* p, const SimWorld* w, const float* states, const uint8_t* mask) {
    int32_t ids[MAXB];
    int n = 0;
    if (p->model) {
        for (int k = 0; k < p->slots && n < MAXB; k++)
            if (mask[k] && states[(size_t)k * SIM_OBS_DIM + SIM_OBS_is_static] < 0.5f) ids[n++] = k;
    } else {
        n = sim_world_dynamic_ids(w, ids, MAXB);
    }
    p->nb = 0;
    for (int i = 0; i < n; i++) {
        SimBodyState st;
        if (!sim_world_body(w, ids[i], &st)) continue;
        int j = p->nb++;
        p->ids[j] = ids[i];
        p->bodies[j] = (PlanBody){ids[i], (float)st.x0, (float)st.y0, (float)st.w, (float)st.h};
        p->angle0[j] = (float)st.angle;
        p->start[j][0] = (float)st.x;
        p->start[j][1] = (float)st.y;
        p->drop[j] = (float)(st.y - st.h);
        double hx, hy;
        planner_push_reach(st.w, st.h, cos(st.angle), sin(st.angle), &hx, &hy);
        p->half[j][0] = (float)hx;
        p->half[j][1] = (float)hy;
        p->mass[j] = (float)st.mass;
    }
}

/* latches each goal's first decided status; true while a goal that asks for something (not only
 * "keep it safe") is still open */
static bool update_goals(Planner* p, const SimWorld* w) {
    bool open = false;
    for (int g = 0; g < p->ngoals; g++) {
        if (p->status[g] == SCN_GOAL_PENDING) p->status[g] = scn_goal_status(&p->goals[g], w, NULL);
        p->active[g] = p->status[g] == SCN_GOAL_PENDING;
        if (p->active[g] && !(p->goals[g].negate)) open = true;
    }
    return open;
}

/* ---- the distribution ---- */

static void prior_segment(Planner* p, int s) {
    int nb = p->nb;
    p->prob[s][0] = nb ? P_NONE0 : 1.0f;
    for (int j = 0; j < nb; j++) {
        p->prob[s][j + 1] = (1.0f - P_NONE0) / (float)nb;
        for (int c = 0; c < U; c++) {
            p->mean[s][j][c] = 0.0f;
            p->sd[s][j][c] = SD0;
        }
    }
}

static void renormalize(float* prob, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (prob[i] < P_FLOOR) prob[i] = P_FLOOR;
        sum += prob[i];
    }
    for (int i = 0; i < n; i++) prob[i] = (float)(prob[i] / sum);
}

/* this decision's distribution: the previous one shifted by one segment (bodies matched by id),
 * its spreads reset to the prior's; the last segment from the prior */
static void warm_start(Planner* p) {
    for (int s = 0; s < p->S; s++) prior_segment(p, s);
    if (!p->have_prev) return;
    for (int s = 0; s + 1 < p->S; s++) {
        float none = p->prev_prob[s + 1][0];
        p->prob[s][0] = 0.5f * none + 0.5f * p->prob[s][0];
        for (int j = 0; j < p->nb; j++) {
            for (int jo = 0; jo < p->prev_nb; jo++) {
                if (p->prev_ids[jo] != p->ids[j]) continue;
                p->prob[s][j + 1] = 0.5f * p->prev_prob[s + 1][jo + 1] + 0.5f * p->prob[s][j + 1];
                memcpy(p->mean[s][j], p->prev_mean[s + 1][jo], sizeof p->mean[s][j]);
            }
        }
        renormalize(p->prob[s], p->nb + 1);
    }
}

/* the index of a body id among this decision's bodies, -1 if gone */
static int body_index(const Planner* p, int32_t id) {
    for (int j = 0; j < p->nb; j++)
        if (p->ids[j] == id) return j;
    return -1;
}

/* the previous decision's plan shifted by one segment, or NULL-op when there is none */
static void shifted_prev(const Planner* p, Step* out) {
    memset(out, 0, sizeof *out * (size_t)p->S);
    if (!p->have_prev) return;
    for (int s = 0; s + 1 < p->S; s++) {
        const Step* q = &p->prev[s + 1];
        if (q->opt == 0) continue;
        int j = body_index(p, q->opt - 1);
        if (j < 0) continue;
        out[s].opt = j + 1;
        memcpy(out[s].u, q->u, sizeof q->u);
    }
}

/* folds v into [lo, hi] by reflecting it at the bounds (repeatedly; a draw past a bound lands
 * as far inside it, so no probability piles up on the bound) */
static double reflect(double v, double lo, double hi) {
    double w = hi - lo;
    double u = fmod(v - lo, 2.0 * w);
    if (u < 0) u += 2.0 * w;
    return lo + (u > w ? 2.0 * w - u : u);
}

/* keeps a step inside the pushes the planner makes (planner.h: the exploration's pushes, which
 * are the pushes a model trained on them has seen): the impulse between PLANNER_PUSH_MIN and 1
 * (fractions of the limit), within PLANNER_PUSH_ANGLE degrees of horizontal, on the body's
 * vertical axis (ox = 0), oy in [-1, 1]. Draws outside are reflected back in, so that the
 * extremes (the strongest and steepest pushes, where the model has seen least) are not favoured */
static void clamp_step(Step* st) {
    double x = st->u[0], y = st->u[1];
    double r = hypot(x, y);
    if (r < 1e-9) {
        x = 1.0;
        y = 0.0;
        r = 1.0;
    }
    double len = reflect(r, PLANNER_PUSH_MIN, 1.0);
    double elev = reflect(atan2(fabs(y), fabs(x)), 0.0, PLANNER_PUSH_ANGLE * (3.14159265358979323846 / 180.0));
    st->u[0] = (float)copysign(len * cos(elev), x);
    st->u[1] = (float)copysign(len * sin(elev), y);
    st->u[2] = 0.0f;
    st->u[3] = (float)reflect(st->u[3], -1.0, 1.0);
}

/* one candidate from the distribution, with at most `budget` pushes (< 0: no limit) */
static void sample_plan(Planner* p, Step* out, int budget) {
    int used = 0;
    for (int s = 0; s < p->S; s++) {
        Step* st = &out[s];
        memset(st, 0, sizeof *st);
        double x = rng_unit(&p->rng), acc = 0;
        int opt = p->nb;
        for (int i = 0; i <= p->nb; i++) {
            acc += p->prob[s][i];
            if (x < acc) {
                opt = i;
                break;
            }
        }
        if (budget >= 0 && used >= budget) opt = 0;
        st->opt = opt;
        if (opt == 0) continue;
        used++;
        for (int c = 0; c < U; c++)
            st->u[c] = p->mean[s][opt - 1][c] + p->sd[s][opt - 1][c] * (float)rng_normal(&p->rng);
        clamp_step(st);
    }
}

static SimPush step_push(const Planner* p, const Step* st) {
    SimPush sp;
    memset(&sp, 0, sizeof sp);
    sp.body = -1;
    if (st->opt <= 0) return sp;
    int j = st->opt - 1;
    sp.body = p->ids[j];
    sp.jx = st->u[0] * p->impulse;
    sp.jy = st->u[1] * p->impulse;
    sp.px = st->u[2] * p->half[j][0];
    sp.py = st->u[3] * p->half[j][1];
    return sp;
}

/* the distribution moves toward the elites */
static void refit(Planner* p, const Ranked* ranked) {
    int E = p->E, S = p->S;
    for (int s = 0; s < S; s++) {
        float count[MAXB + 1] = {0};
        for (int e = 0; e < E; e++) count[p->cand[(size_t)ranked[e].index * S + s].opt] += 1.0f;
        for (int i = 0; i <= p->nb; i++)
            p->prob[s][i] = (1.0f - SMOOTH) * p->prob[s][i] + SMOOTH * count[i] / (float)E;
        renormalize(p->prob[s], p->nb + 1);
        for (int j = 0; j < p->nb; j++) {
            int n = (int)count[j + 1];
            if (n == 0) continue;
            double m[U] = {0}, v[U] = {0};
            for (int e = 0; e < E; e++) {
                const Step* st = &p->cand[(size_t)ranked[e].index * S + s];
                if (st->opt != j + 1) continue;
                for (int c = 0; c < U; c++) m[c] += st->u[c];
            }
            for (int c = 0; c < U; c++) m[c] /= n;
            for (int e = 0; e < E; e++) {
                const Step* st = &p->cand[(size_t)ranked[e].index * S + s];
                if (st->opt != j + 1) continue;
                for (int c = 0; c < U; c++) v[c] += (st->u[c] - m[c]) * (st->u[c] - m[c]);
            }
            for (int c = 0; c < U; c++) {
                p->mean[s][j][c] = (1.0f - SMOOTH) * p->mean[s][j][c] + SMOOTH * (float)m[c];
                if (n >= 2) {
                    float sd = (1.0f - SMOOTH) * p->sd[s][j][c] + SMOOTH * (float)sqrt(v[c] / n);
                    p->sd[s][j][c] = sd < SD_MIN ? SD_MIN : sd > 1.0f ? 1.0f : sd;
                }
            }
        }
    }
}

static int ranked_cmp(const void* a, const void* b) {
    const Ranked* x = a;
    const Ranked* y = b;
    if (x->cost < y->cost) return -1;
    if (x->cost > y->cost) return 1;
    return (x->index > y->index) - (x->index < y->index);
}

static void ensure_buffers(Planner* p) {
    size_t rows = (size_t)p->B * p->H * (p->nb ? p->nb : 1);
    if (rows <= p->rows_cap) return;
    p->rows = alloc_resize(p->rows, rows, sizeof *p->rows);
    p->paths = alloc_resize(p->paths, rows * 2, sizeof *p->paths);
    p->best_rows = alloc_resize(p->best_rows, (size_t)p->H * MAXB, sizeof *p->best_rows);
    p->best_path = alloc_resize(p->best_path, (size_t)p->H * MAXB * 2, sizeof *p->best_path);
    p->rows_cap = rows;
}

/* the pushes of a plan's S segments steps[S] (body -1: none): how many, and their impulses' sum */
static int plan_pushes(const SimPush* steps, int S, double* jsum) {
    int n = 0;
    *jsum = 0;
    for (int s = 0; s < S; s++) {
        if (steps[s].body < 0) continue;
        n++;
        *jsum += hypot(steps[s].jx, steps[s].jy);
    }
    return n;
}

/* ---- the pixel planner's audit (PLAN_JEPA_AUDIT) ---- */

/* the audit's rows for `need` rows */
static void audit_rows(Planner* p, size_t need) {
    if (need <= p->arows_cap) return;
    p->arows = alloc_resize(p->arows, need, sizeof *p->arows);
    p->arows_cap = need;
}

/* the simulator's cost of each of ip's candidates (acost), the energy of their true futures plus
   their push costs (atrue), and how the planner's costs (aplan) order them against the simulator's;
   false when the world cannot be copied (the audit is left out) */
static bool audit_search(Planner* p, const SimWorld* w, const ImaginePlans* ip, const PlanCostSetup* cs,
                         double escale, const Ranked* top) {
    double t0 = clock_now();
    audit_rows(p, (size_t)ip->B * ip->H * (ip->nbodies ? ip->nbodies : 1));
    if (!imagine_sim(&p->is, w, ip, p->arows, NULL, 0)) return false;
    if (!imagine_jepa_energy_true(&p->ij, &p->is, w, ip, p->atrue, NULL, 0)) return false;
    double best = INFINITY;
    for (int b = 0; b < ip->B; b++) {
        double jsum;
        int n = plan_pushes(&ip->steps[(size_t)b * ip->S], ip->S, &jsum);
        p->acost[b] = plan_cost(cs, p->arows + (size_t)b * ip->H * ip->nbodies, n, jsum);
        p->atrue[b] = p->atrue[b] * escale + plan_push_cost(cs, n, jsum);
        if (p->acost[b] < best) best = p->acost[b];
    }
    for (int b = 0; b < ip->B; b++) p->aplan[p->ranked[b].index] = p->ranked[b].cost;
    PlannerTrace* tr = &p->trace;
    tr->audited = true;
    tr->audit_rho = rank_correlation(p->aplan, p->acost, ip->B);
    tr->audit_rho_true = rank_correlation(p->atrue, p->acost, ip->B);
    tr->audit_pick = p->acost[top->index];
    tr->audit_best = best;
    tr->audit_seconds += clock_now() - t0;
    return true;
}

/* ---- one decision ---- */

static void decide(Planner* p, const SimWorld* w, const float* states, const uint8_t* mask) {
    double wall0 = clock_now(), audit0 = p->trace.audit_seconds;
    gather_bodies(p, w, states, mask);
    warm_start(p);
    p->best_cost = INFINITY;
    memset(p->best, 0, sizeof p->best);
    if (p->nb == 0) return;
    ensure_buffers(p);
    /* the cost's fixed part */
    bool events = false;
    for (int g = 0; g < p->ngoals; g++) {
        p->goal_body[g] = body_index(p, p->goals[g].body);
        if (p->active[g] && (p->goals[g].kind == SCN_GOAL_BROKEN || p->goals[g].kind == SCN_GOAL_FELL))
            events = true;
    }
    const SimWorldDef* wd = sim_world_def(w);
    PlanCostSetup cs = {sim_world_time(w), wd->dt * wd->steps_per_tick, p->H, p->nb, p->bodies,
                        p->ngoals, p->goals, p->goal_body, p->active, p->def.push_cost, p->impulse};
    int budget = p->def.pushes > 0 ? p->def.pushes - p->pushes_used : -1;
    ImaginePlans ip = {p->B, p->H, p->S, p->seg, p->pushes, p->nb, p->ids, p->angle0, p->drop, events};
    int B = p->B, S = p->S, nb = p->nb, H = p->H;
    int iters = 0;
    /* doing nothing first: when it costs no more than one push, no plan that pushes can beat it
     * (a goal never costs less than 0), so that is the decision, without a search */
    memset(p->cand, 0, sizeof *p->cand * (size_t)S);
    for (int s = 0; s < S; s++) p->pushes[s] = step_push(p, &p->cand[s]);
    ImaginePlans idle = ip;
    idle.B = 1;
    bool imagined = true;
    if (p->jepa) {
        /* the pixel planner: the window seen, encoded once; its rows hold no imagined places (the
           bodies where they are now) */
        imagine_jepa_encode(&p->ij);
        for (size_t i = 0; i < (size_t)p->B * H * nb; i++) {
            int j = (int)(i % (size_t)nb);
            p->rows[i] = (PlanRow){p->start[j][0], p->start[j][1], p->angle0[j], 0, 0, 0, 0, 0, 0};
        }
        imagine_jepa_energy(&p->ij, &idle, p->start, p->mass, p->energy);
        /* the audit: doing nothing, by the simulator */
        p->trace.audited = false;
        if (p->audit) {
            double t0 = clock_now();
            audit_rows(p, (size_t)H * nb);
            p->trace.audit_idle = imagine_sim(&p->is, w, &idle, p->arows, NULL, 0) ? plan_cost(&cs, p->arows, 0, 0)
                                                                                    : NAN;
            p->trace.audit_seconds += clock_now() - t0;
        }
    } else if (p->model) {
        imagine_model(&p->im, states, mask, &idle, p->rows);
    } else {
        imagined = imagine_sim(&p->is, w, &idle, p->rows, NULL, 0);
    }
    /* the pixel planner's energies count relative to doing nothing's (1 = no closer to the goal image
       than doing nothing; a latent's scale is the model's own), so that a push's cost weighs the same
       against any model */
    double escale = p->jepa && p->energy[0] > 0 ? 1.0 / p->energy[0] : 1.0;
    double idle_cost = !imagined ? INFINITY : p->jepa ? p->energy[0] * escale : plan_cost(&cs, p->rows, 0, 0);
    if (idle_cost <= p->def.push_cost) {
        B = 1;
        p->best_cost = idle_cost;
        memcpy(p->best_rows, p->rows, sizeof *p->best_rows * (size_t)H * nb);
        p->ranked[0].cost = idle_cost;
        p->ranked[0].index = 0;
        p->iter_best[0] = p->iter_elite[0] = idle_cost;
        iters = 1;
    }
    for (int it = 0; it < p->def.iters && B > 1; it++) {
        /* candidates: the best so far (or the previous plan, shifted), doing nothing, and draws */
        for (int b = 0; b < B; b++) {
            Step* c = &p->cand[(size_t)b * S];
            if (b == 0 && it > 0) memcpy(c, p->best, sizeof *c * (size_t)S);
            else if (b == 0) shifted_prev(p, c);
            else if (b == 1 && it == 0) memset(c, 0, sizeof *c * (size_t)S);
            else sample_plan(p, c, budget);
            for (int s = 0; s < S; s++) p->pushes[(size_t)b * S + s] = step_push(p, &c[s]);
        }
        /* imagine them all */
        if (p->jepa) imagine_jepa_energy(&p->ij, &ip, p->start, p->mass, p->energy);
        else if (p->model) imagine_model(&p->im, states, mask, &ip, p->rows);
        else if (!imagine_sim(&p->is, w, &ip, p->rows, NULL, 0)) break;
        /* score, rank, keep the cheapest, refit */
        for (int b = 0; b < B; b++) {
            double jsum;
            int n = plan_pushes(&p->pushes[(size_t)b * S], S, &jsum);
            p->ranked[b].cost = p->jepa ? p->energy[b] * escale + plan_push_cost(&cs, n, jsum)
                                        : plan_cost(&cs, p->rows + (size_t)b * H * nb, n, jsum);
            p->ranked[b].index = b;
        }
        qsort(p->ranked, (size_t)B, sizeof *p->ranked, ranked_cmp);
        const Ranked* top = &p->ranked[0];
        if (p->jepa && p->audit && !audit_search(p, w, &ip, &cs, escale, top)) p->trace.audited = false;
        if (top->cost < p->best_cost) {
            p->best_cost = top->cost;
            memcpy(p->best, &p->cand[(size_t)top->index * S], sizeof *p->best * (size_t)S);
            memcpy(p->best_rows, p->rows + (size_t)top->index * H * nb, sizeof *p->best_rows * (size_t)H * nb);
        }
        double elite = 0;
        for (int e = 0; e < p->E; e++) elite += p->ranked[e].cost;
        p->iter_best[it] = p->best_cost;
        p->iter_elite[it] = elite / p->E;
        iters = it + 1;
        refit(p, p->ranked);
    }
    if (iters == 0) return;
    /* the trace of this decision: the last iteration's candidates and the chosen plan */
    PlannerTrace* tr = &p->trace;
    for (int b = 0; b < B; b++) {
        p->costs[p->ranked[b].index] = (float)p->ranked[b].cost;   /* in candidate order */
        p->order[b] = p->ranked[b].index;                           /* cheapest first */
    }
    for (size_t i = 0; i < (size_t)B * H * nb; i++) {
        p->paths[2 * i] = p->rows[i].x;
        p->paths[2 * i + 1] = p->rows[i].y;
    }
    for (size_t i = 0; i < (size_t)H * nb; i++) {
        p->best_path[2 * i] = p->best_rows[i].x;
        p->best_path[2 * i + 1] = p->best_rows[i].y;
    }
    tr->decisions++;
    tr->searches += B > 1;
    tr->t = sim_world_time(w);
    tr->samples = B;   /* 1 when doing nothing was decided without a search */
    tr->ticks = H;
    tr->nbodies = nb;
    memcpy(tr->body, p->ids, sizeof p->ids[0] * (size_t)nb);
    memcpy(tr->start, p->start, sizeof p->start[0] * (size_t)nb);
    tr->paths = p->paths;
    tr->costs = p->costs;
    tr->candidates = p->pushes;
    tr->order = p->order;
    tr->elites = B > 1 ? p->E : 1;
    tr->iters = iters;
    tr->iter_best = p->iter_best;
    tr->iter_elite = p->iter_elite;
    tr->best_cost = p->best_cost;
    tr->best_path = p->best_path;
    tr->nsteps = S;
    tr->push_budget = p->def.pushes;
    tr->impulse = p->impulse;
    tr->seg_ticks = p->seg;
    for (int s = 0; s < S; s++) tr->steps[s] = step_push(p, &p->best[s]);
    /* the warm start of the next decision: this plan and distribution, bodies by id */
    for (int s = 0; s < S; s++) {
        p->prev[s] = p->best[s];
        if (p->best[s].opt > 0) p->prev[s].opt = p->ids[p->best[s].opt - 1] + 1;
        memcpy(p->prev_prob[s], p->prob[s], sizeof p->prob[s]);
        memcpy(p->prev_mean[s], p->mean[s], sizeof p->mean[s]);
    }
    memcpy(p->prev_ids, p->ids, sizeof p->ids);
    p->prev_nb = nb;
    p->have_prev = true;
    tr->ms = (clock_now() - wall0 - (tr->audit_seconds - audit0)) * 1000.0;   /* the audit is not deciding */
}

bool planner_act(Planner* p, const SimWorld* w, const float* states, const uint8_t* mask, SimPush* out) {
    int64_t tick = sim_world_ticks(w);
    if (p->jepa) {
        /* the pixel planner sees every frame; its goal image is the world at its first call */
        imagine_jepa_see(&p->ij, w);
        if (!p->ij.have_goal && !imagine_jepa_set_goal(&p->ij, w, p->goals, p->ngoals, NULL, 0)) return false;
    }
    if (!update_goals(p, w)) return false;
    if (p->def.pushes > 0 && p->pushes_used >= p->def.pushes) return false;
    if (p->next_tick >= 0 && tick < p->next_tick) return false;
    p->next_tick = tick + p->seg;
    decide(p, w, states, mask);
    p->trace.pushes_used = p->pushes_used;
    if (p->best[0].opt <= 0) return false;
    *out = step_push(p, &p->best[0]);
    p->pushes_used++;
    p->trace.pushes_used = p->pushes_used;
    return true;
}
