/* expect: the expectation checker. It watches a run tick by tick through the public world API
 * (sim_world_body, sim_world_events, sim_world_time, sim_world_find) and judges each expectation,
 * with a detail string naming what was observed. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/scenario.h"
#include "sim/scn_ast.h"

#define EPS_T 1e-9
#define RAD2DEG (180.0 / 3.14159265358979323846)

/* a test with its values resolved */
typedef struct Test {
    ScnTestOp op;
    double    v, tol;
} Test;

/* one expectation being watched */
typedef struct Run {
    const ScnExpect* x;
    int32_t  id, id2, then_id;   /* world ids: cond/event/max body, contact other, then-body */
    int32_t* order_ids;          /* order: the bodies' ids */
    double*  order_t;            /* order: first event time, NAN until seen */
    int64_t* order_step;
    double   t1, t2, tol;        /* times (t2 = INFINITY when open), event near tolerance */
    Test     cond, then;         /* the condition's test; when/max/min test */
    double   region[4];          /* the condition's region (xmin ymin xmax ymax) */
    bool     done, pass;         /* judged before the end */
    bool     skipped;            /* a model expectation: the checker has no model to judge it */
    bool     pending;            /* a body it names is not in the world yet (spawned later, a piece) */
    char     detail[256];
    /* running state */
    bool     found;              /* by/when: held; event: seen */
    double   found_t, found_f, found_g;
    int64_t  found_step;
    bool     have_prev;
    double   prev_t, prev_f, prev_g;
    bool     have_best;          /* by: closest miss; max/min: extreme */
    double   best_f, best_t, best_miss;
} Run;

struct ScnChecker {
    const Scenario* s;
    Run*            runs;
    int             n;
    double          t_end;       /* time of the last observation */
    bool            observed;
};

static bool state_of(ScnState s, const SimBodyState* st) {
    switch (s) {
    case SCN_STATE_BROKEN: return st->broken;
    case SCN_STATE_OUT_OF_BOUNDS: return st->out_of_bounds;
    case SCN_STATE_RESTING: return st->resting;
    case SCN_STATE_FELL: return st->fell;
    case SCN_STATE_ALIVE: return st->alive;
    default: return false;
    }
}

static bool test_holds(const Test* t, double f) { return scn_test_holds(t->op, t->v, t->tol, f); }

/* how far f is from passing (<= 0 when it passes): for the closest miss */
static double test_miss(const Test* t, double f) { return scn_test_miss(t->op, t->v, t->tol, f); }

/* a value for a message: 4 decimals, or 4 significant digits when that would hide it */
static const char* num_str(double v, char* buf, size_t size) {
    double a = fabs(v);
    if (a == 0 || (a >= 1e-3 && a < 1e6)) snprintf(buf, size, "%.4f", v);
    else snprintf(buf, size, "%.4g", v);
    return buf;
}

/* "1.2000 +- 0.0500" or "< 1.2000" */
static const char* test_str(const Test* t, char* buf, size_t size) {
    static const char* ops[] = {"near", "<", "<=", ">", ">="};
    char a[32], b[32];
    if (t->op == SCN_TEST_NEAR)
        snprintf(buf, size, "%s +- %s", num_str(t->v, a, sizeof a), num_str(t->tol, b, sizeof b));
    else
        snprintf(buf, size, "%s %s", ops[t->op], num_str(t->v, a, sizeof a));
    return buf;
}

/* "[0.2000, 0.5000] x [0.7000, 1.0000]" */
static const char* region_str(const double* r, char* buf, size_t size) {
    char a[24], b[24], c[24], d[24];
    snprintf(buf, size, "[%s, %s] x [%s, %s]", num_str(r[0], a, sizeof a), num_str(r[2], b, sizeof b),
             num_str(r[1], c, sizeof c), num_str(r[3], d, sizeof d));
    return buf;
}

/* "ball.y < 0.0500" / "not glass broken" / "box in [..] x [..]" */
static const char* cond_str(const Run* r, char* buf, size_t size) {
    const ScnCond* c = &r->x->cond;
    char tb[128];
    if (c->is_field)
        snprintf(buf, size, "%s%s.%s %s", c->negate ? "not " : "", c->body.name,
                 scn_field_name(c->field), test_str(&r->cond, tb, sizeof tb));
    else if (c->is_region)
        snprintf(buf, size, "%s%s in %s", c->negate ? "not " : "", c->body.name,
                 region_str(r->region, tb, sizeof tb));
    else
        snprintf(buf, size, "%s%s %s", c->negate ? "not " : "", c->body.name, scn_state_name(c->state));
    return buf;
}

static void set_detail(Run* r, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_detail(Run* r, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

/* what the condition's body showed at time t: its field's value, or its state */
static void detail_observed(Run* r, const SimBodyState* st, double f, double t) {
    const ScnExpect* x = r->x;
    char tb[128], vb[32];
    if (x->cond.is_field)
        set_detail(r, "%s.%s = %s at %.3f s, wanted %s%s", x->cond.body.name, scn_field_name(x->cond.field),
                   num_str(f, vb, sizeof vb), t, x->cond.negate ? "not " : "", test_str(&r->cond, tb, sizeof tb));
    else if (x->cond.is_region) {
        char xb[32];
        set_detail(r, "%s at (%s, %s) at %.3f s, wanted %sin %s", x->cond.body.name, num_str(st->x, xb, sizeof xb),
                   num_str(st->y, vb, sizeof vb), t, x->cond.negate ? "not " : "",
                   region_str(r->region, tb, sizeof tb));
    } else
        set_detail(r, "%s %s%s at %.3f s", x->cond.body.name, state_of(x->cond.state, st) ? "" : "not ",
                   scn_state_name(x->cond.state), t);
}

static void judge(Run* r, bool pass) {
    r->done = true;
    r->pass = pass;
}

static bool eval_test(const Scenario* s, const ScnTest* st, const double* params, Test* out, ScnErr* e) {
    out->op = st->op;
    out->tol = 0;
    if (!scn_num_eval(s, &st->v, params, 0, &out->v, e)) return false;
    if (st->op == SCN_TEST_NEAR) {
        if (!scn_num_eval(s, &st->tol, params, 0, &out->tol, e)) return false;
        if (st->pct) out->tol = fabs(out->v) * out->tol / 100.0;
    }
    return true;
}

/* a body that may enter the world after the start: spawned by an action, or a piece of a body */
static bool appears_later(const Scenario* s, const ScnRef* ref) {
    return ref->piece || (ref->decl >= 0 && ref->decl < s->nbodies && s->bodies[ref->decl].spawned);
}

/* looks up the ids still unknown (-1) in w (NULL: only says which is missing); returns a reference
 * still missing, or NULL when all are known */
static const ScnRef* resolve_ids(const Scenario* s, Run* r, const SimWorld* w) {
    const ScnExpect* x = r->x;
    const ScnRef* missing = NULL;
#define LOOKUP(id, ref)                                          \
    do {                                                         \
        if ((id) < 0 && w) (id) = sim_world_find(w, (ref).world); \
        if ((id) < 0 && !missing) missing = &(ref);              \
    } while (0)
    switch (x->kind) {
    case SCN_EXPECT_AT:
    case SCN_EXPECT_BY:
    case SCN_EXPECT_NEVER:
    case SCN_EXPECT_ALWAYS:
    case SCN_EXPECT_WHEN:
        LOOKUP(r->id, x->cond.body);
        if (x->kind == SCN_EXPECT_WHEN && !x->then_time) LOOKUP(r->then_id, x->then_body);
        break;
    case SCN_EXPECT_EVENT:
    case SCN_EXPECT_NO_EVENT:
    case SCN_EXPECT_MAX:
    case SCN_EXPECT_MIN:
        LOOKUP(r->id, x->body);
        if (x->other.name[0]) LOOKUP(r->id2, x->other);
        break;
    case SCN_EXPECT_ORDER:
        for (int j = 0; j < x->count; j++) LOOKUP(r->order_ids[j], s->refs[x->first + j]);
        break;
    case SCN_EXPECT_MODEL_PREDICTS:
    case SCN_EXPECT_MODEL_FIELD:
    case SCN_EXPECT_SURPRISE:
    case SCN_EXPECT_SURPRISE_NEVER:
        break;   /* judged by a model */
    }
#undef LOOKUP
    return missing;
}

/* resolves numbers and names; a failure here is judged as a failed expectation */
static void setup_run(const Scenario* s, const ScnInstance* inst, const SimWorld* w, Run* r) {
    const ScnExpect* x = r->x;
    const double* params = inst->params;
    ScnErr e;
    memset(&e, 0, sizeof e);
    r->id = r->id2 = r->then_id = -1;
    r->t1 = 0;
    r->t2 = INFINITY;
    bool ok = scn_num_eval(s, &x->t1, params, 0, &r->t1, &e) &&
              scn_num_eval(s, &x->t2, params, INFINITY, &r->t2, &e) &&
              scn_num_eval(s, &x->tol, params, 0, &r->tol, &e);
    if (ok && x->tol_pct) r->tol = fabs(r->t1) * r->tol / 100.0;
    if (ok && x->cond.is_field) ok = eval_test(s, &x->cond.test, params, &r->cond, &e);
    for (int k = 0; ok && x->cond.is_region && k < 4; k++)
        ok = scn_num_eval(s, &x->cond.region[k], params, 0, &r->region[k], &e);
    if (ok && (x->kind == SCN_EXPECT_WHEN || x->kind == SCN_EXPECT_MAX || x->kind == SCN_EXPECT_MIN))
        ok = eval_test(s, &x->test, params, &r->then, &e);
    if (!ok) {
        judge(r, false);
        set_detail(r, "cannot evaluate: %s", e.msg);
        return;
    }
    if (scn_expect_needs_model(x->kind)) {
        /* judged by a model (nudge check --model, agent/model_check.h), not by the world */
        judge(r, true);
        r->skipped = true;
        set_detail(r, "skipped: needs a model (nudge check --model FILE)");
        return;
    }
    if (x->kind == SCN_EXPECT_ORDER) {
        r->order_ids = alloc_zeroed((size_t)x->count, sizeof *r->order_ids);
        r->order_t = alloc_zeroed((size_t)x->count, sizeof *r->order_t);
        r->order_step = alloc_zeroed((size_t)x->count, sizeof *r->order_step);
        for (int j = 0; j < x->count; j++) r->order_ids[j] = -1, r->order_t[j] = NAN;
    }
    /* names to world ids; a body spawned later or a piece of a broken one is looked up until it
     * appears */
    const ScnRef* missing = resolve_ids(s, r, w);
    if (missing && !appears_later(s, missing)) {
        judge(r, false);
        set_detail(r, "no body '%s' in the world", missing->name);
    }
    r->pending = missing != NULL;
}

ScnChecker* scn_checker_create(const Scenario* s, const ScnInstance* inst, const SimWorld* w) {
    ScnChecker* c = alloc_zeroed(1, sizeof *c);
    c->s = s;
    c->n = s->nexpects;
    c->runs = alloc_zeroed((size_t)c->n + 1, sizeof *c->runs);
    for (int k = 0; k < c->n; k++) {
        c->runs[k].x = &s->expects[k];
        setup_run(s, inst, w, &c->runs[k]);
    }
    /* the state before the first tick counts as a sample (time 0) */
    scn_checker_observe(c, w);
    return c;
}

void scn_checker_free(ScnChecker* c) {
    if (!c) return;
    for (int k = 0; k < c->n; k++) {
        free(c->runs[k].order_ids);
        free(c->runs[k].order_t);
        free(c->runs[k].order_step);
    }
    free(c->runs);
    free(c);
}

/* the condition on this body state; *f = the field value for field conditions */
static bool cond_holds(const Run* r, const SimBodyState* st, double* f) {
    const ScnCond* c = &r->x->cond;
    bool h;
    if (c->is_field) {
        *f = scn_field_value(c->field, st);
        h = test_holds(&r->cond, *f);
    } else if (c->is_region) {
        /* f = the distance from the region (0 inside) */
        *f = scn_region_distance(r->region, st->x, st->y);
        h = *f <= 0;
    } else {
        *f = 0;
        h = state_of(c->state, st);
    }
    return c->negate ? !h : h;
}

/* the fraction of the way from f0 to f1 where a field condition's test flips */
static double crossing(const Run* r, double f0, double f1) {
    if (!r->x->cond.is_field || f1 == f0) return 1.0;
    double bounds[2];
    int nb = 0;
    if (r->cond.op == SCN_TEST_NEAR) {
        bounds[nb++] = r->cond.v - r->cond.tol;
        bounds[nb++] = r->cond.v + r->cond.tol;
    } else {
        bounds[nb++] = r->cond.v;
    }
    double best = 1.0;
    for (int k = 0; k < nb; k++) {
        double a = (bounds[k] - f0) / (f1 - f0);
        if (a >= 0 && a <= 1 && a < best) best = a;
    }
    return best;
}

static bool event_matches(const Run* r, const SimEvent* ev, int32_t id) {
    if ((int)ev->type != r->x->event) return false;
    if (r->id2 >= 0 && id == r->id)
        return (ev->a == id && ev->b == r->id2) || (ev->b == id && ev->a == r->id2);
    /* a magic event's b is its kind, not a body */
    return ev->a == id || (ev->type != SIM_EV_MAGIC && ev->b == id);
}

static void observe_run(ScnChecker* c, Run* r, const SimWorld* w, double t, const SimEvent* evs,
                        int nev) {
    const ScnExpect* x = r->x;
    SimBodyState st;
    double f = 0;
    bool h = false;
    char cs[192], tb[128], vb[32];
    if (x->kind == SCN_EXPECT_AT || x->kind == SCN_EXPECT_BY || x->kind == SCN_EXPECT_NEVER ||
        x->kind == SCN_EXPECT_ALWAYS || x->kind == SCN_EXPECT_WHEN) {
        if (!sim_world_body(w, r->id, &st)) return;
        h = cond_holds(r, &st, &f);
    }
    switch (x->kind) {
    case SCN_EXPECT_AT:
        if (t < r->t1 - EPS_T) break;
        judge(r, h);
        detail_observed(r, &st, f, t);
        break;
    case SCN_EXPECT_BY:
        if (t > r->t1 + EPS_T) {
            judge(r, false);
            break;
        }
        if (h) {
            judge(r, true);
            set_detail(r, "%s at %.3f s", cond_str(r, cs, sizeof cs), t);
        } else if ((x->cond.is_field || x->cond.is_region) && !x->cond.negate) {
            double miss = x->cond.is_region ? f : test_miss(&r->cond, f);
            if (!r->have_best || miss < r->best_miss) {
                r->have_best = true;
                r->best_miss = miss;
                r->best_f = f;
                r->best_t = t;
            }
        }
        break;
    case SCN_EXPECT_NEVER:
        if (h) {
            judge(r, false);
            if (x->cond.is_field)
                set_detail(r, "%s.%s = %s at %.3f s, wanted never %s%s", x->cond.body.name,
                           scn_field_name(x->cond.field), num_str(f, vb, sizeof vb), t, x->cond.negate ? "not " : "",
                           test_str(&r->cond, tb, sizeof tb));
            else
                set_detail(r, "%s at %.3f s", cond_str(r, cs, sizeof cs), t);
        }
        break;
    case SCN_EXPECT_ALWAYS:
        if (!h) {
            judge(r, false);
            detail_observed(r, &st, f, t);
        }
        break;
    case SCN_EXPECT_WHEN: {
        double g = 0;
        SimBodyState gs;
        if (!x->then_time && sim_world_body(w, r->then_id, &gs)) g = scn_field_value(x->field, &gs);
        if (h) {
            /* the first moment it holds, interpolated between this tick and the one before */
            double a = r->have_prev ? crossing(r, r->prev_f, f) : 1.0;
            r->found = true;
            r->found_t = r->have_prev ? r->prev_t + a * (t - r->prev_t) : t;
            r->found_g = r->have_prev ? r->prev_g + a * (g - r->prev_g) : g;
            double v = x->then_time ? r->found_t : r->found_g;
            judge(r, test_holds(&r->then, v));
            if (x->then_time)
                set_detail(r, "time = %.4f s when %s, wanted %s", v, cond_str(r, cs, sizeof cs),
                           test_str(&r->then, tb, sizeof tb));
            else
                set_detail(r, "%s.%s = %s when %s (at %.4f s), wanted %s", x->then_body.name,
                           scn_field_name(x->field), num_str(v, vb, sizeof vb), cond_str(r, cs, sizeof cs), r->found_t,
                           test_str(&r->then, tb, sizeof tb));
        }
        r->have_prev = true;
        r->prev_t = t;
        r->prev_f = f;
        r->prev_g = g;
        break;
    }
    case SCN_EXPECT_EVENT:
    case SCN_EXPECT_NO_EVENT:
        for (int k = 0; k < nev && !r->found; k++) {
            if (event_matches(r, &evs[k], r->id)) {
                r->found = true;
                r->found_t = evs[k].t;
                r->found_step = evs[k].step;
            }
        }
        break;
    case SCN_EXPECT_ORDER:
        for (int j = 0; j < x->count; j++) {
            if (!isnan(r->order_t[j])) continue;
            for (int k = 0; k < nev; k++) {
                if (event_matches(r, &evs[k], r->order_ids[j])) {
                    r->order_t[j] = evs[k].t;
                    r->order_step[j] = evs[k].step;
                    break;
                }
            }
        }
        break;
    case SCN_EXPECT_MAX:
    case SCN_EXPECT_MIN:
        if (t < r->t1 - EPS_T || t > r->t2 + EPS_T) break;
        if (!sim_world_body(w, r->id, &st)) break;
        f = scn_field_value(x->field, &st);
        if (!r->have_best || (x->kind == SCN_EXPECT_MAX ? f > r->best_f : f < r->best_f)) {
            r->have_best = true;
            r->best_f = f;
            r->best_t = t;
        }
        break;
    case SCN_EXPECT_MODEL_PREDICTS:
    case SCN_EXPECT_MODEL_FIELD:
    case SCN_EXPECT_SURPRISE:
    case SCN_EXPECT_SURPRISE_NEVER:
        break;   /* judged by a model */
    }
    (void)c;
}

void scn_checker_observe(ScnChecker* c, const SimWorld* w) {
    double t = sim_world_time(w);
    int nev = 0;
    const SimEvent* evs = NULL;
    /* events belong to the tick just run: none before the first tick */
    if (c->observed) evs = sim_world_events(w, &nev);
    for (int k = 0; k < c->n; k++) {
        Run* r = &c->runs[k];
        if (r->done) continue;
        /* an expectation on a body that has not appeared yet starts watching once it has */
        if (r->pending && (r->pending = resolve_ids(c->s, r, w) != NULL)) {
            if (r->x->kind == SCN_EXPECT_AT && t >= r->t1 - EPS_T) {
                const ScnRef* missing = resolve_ids(c->s, r, NULL);
                judge(r, false);
                set_detail(r, "%s not in the world yet at %.3f s", missing ? missing->name : "?", t);
            }
            continue;
        }
        observe_run(c, r, w, t, evs, nev);
    }
    c->t_end = t;
    c->observed = true;
}

double scn_checker_horizon(const ScnChecker* c) {
    double h = 0;
    for (int k = 0; k < c->n; k++) {
        const Run* r = &c->runs[k];
        double t = 0;
        switch (r->x->kind) {
        case SCN_EXPECT_AT:
        case SCN_EXPECT_BY: t = r->t1; break;
        case SCN_EXPECT_EVENT:
            t = r->x->when == SCN_WHEN_NEAR      ? r->t1 + r->tol
                : r->x->when == SCN_WHEN_BETWEEN ? r->t2
                                                 : r->t1;
            break;
        case SCN_EXPECT_MAX:
        case SCN_EXPECT_MIN: t = isfinite(r->t2) ? r->t2 : r->t1; break;
        case SCN_EXPECT_MODEL_PREDICTS:
        case SCN_EXPECT_MODEL_FIELD: t = r->t1; break;
        case SCN_EXPECT_SURPRISE: t = r->t2; break;
        default: break;
        }
        if (isfinite(t) && t > h) h = t;
    }
    return h;
}

static const char* when_str(const Run* r, char* buf, size_t size) {
    switch (r->x->when) {
    case SCN_WHEN_BEFORE: snprintf(buf, size, "before %.3f s", r->t1); break;
    case SCN_WHEN_AFTER: snprintf(buf, size, "after %.3f s", r->t1); break;
    case SCN_WHEN_NEAR: snprintf(buf, size, "%.3f +- %.3f s", r->t1, r->tol); break;
    case SCN_WHEN_BETWEEN: snprintf(buf, size, "between %.3f and %.3f s", r->t1, r->t2); break;
    }
    return buf;
}

/* " with OTHER" for contact events naming a second body */
static const char* with_str(const ScnExpect* x, char* buf, size_t size) {
    if (x->other.name[0]) snprintf(buf, size, " with %s", x->other.name);
    else buf[0] = 0;
    return buf;
}

static void finish_run(const ScnChecker* c, Run* r) {
    const ScnExpect* x = r->x;
    const char* ev = sim_event_name((SimEventType)x->event);
    char cs[192], tb[128], ws[48], vb[32];
    double te = c->t_end;
    switch (x->kind) {
    case SCN_EXPECT_AT:
        if (r->done) return;
        judge(r, false);
        set_detail(r, "the run ended at %.3f s, before %.3f s", te, r->t1);
        return;
    case SCN_EXPECT_BY:
        if (r->done && r->pass) return;
        judge(r, false);
        if (r->have_best && x->cond.is_region)
            set_detail(r, "%s never in %s by %.3f s (closest %s m away at %.3f s)", x->cond.body.name,
                       region_str(r->region, tb, sizeof tb), r->t1, num_str(r->best_f, vb, sizeof vb),
                       r->best_t);
        else if (r->have_best)
            set_detail(r, "%s.%s never %s by %.3f s (closest %s at %.3f s)", x->cond.body.name,
                       scn_field_name(x->cond.field), test_str(&r->cond, tb, sizeof tb), r->t1,
                       num_str(r->best_f, vb, sizeof vb), r->best_t);
        else
            set_detail(r, "%s never held by %.3f s%s", cond_str(r, cs, sizeof cs), r->t1,
                       te < r->t1 - EPS_T ? " (the run ended first)" : "");
        return;
    case SCN_EXPECT_NEVER:
        if (r->done) return;
        judge(r, true);
        set_detail(r, "%s never held in 0..%.3f s", cond_str(r, cs, sizeof cs), te);
        return;
    case SCN_EXPECT_ALWAYS:
        if (r->done) return;
        judge(r, true);
        set_detail(r, "%s held at every tick in 0..%.3f s", cond_str(r, cs, sizeof cs), te);
        return;
    case SCN_EXPECT_WHEN:
        if (r->done) return;
        judge(r, false);
        set_detail(r, "%s never held (the run ended at %.3f s)", cond_str(r, cs, sizeof cs), te);
        return;
    case SCN_EXPECT_EVENT: {
        if (r->done) return;
        if (!r->found) {
            judge(r, false);
            set_detail(r, "no %s event for %s%s by the end (%.3f s)", ev, x->body.name,
                       with_str(x, ws, sizeof ws), te);
            return;
        }
        double t = r->found_t;
        bool ok = false;
        switch (x->when) {
        case SCN_WHEN_BEFORE: ok = t <= r->t1 + EPS_T; break;
        case SCN_WHEN_AFTER: ok = t >= r->t1 - EPS_T; break;
        case SCN_WHEN_NEAR: ok = fabs(t - r->t1) <= r->tol + EPS_T; break;
        case SCN_WHEN_BETWEEN: ok = t >= r->t1 - EPS_T && t <= r->t2 + EPS_T; break;
        }
        judge(r, ok);
        set_detail(r, "first %s of %s%s at %.3f s, wanted %s", ev, x->body.name,
                   with_str(x, ws, sizeof ws), t, when_str(r, tb, sizeof tb));
        return;
    }
    case SCN_EXPECT_NO_EVENT:
        if (r->done) return;
        judge(r, !r->found);
        if (r->found)
            set_detail(r, "%s of %s%s at %.3f s", ev, x->body.name, with_str(x, ws, sizeof ws), r->found_t);
        else
            set_detail(r, "no %s event for %s%s in 0..%.3f s", ev, x->body.name,
                       with_str(x, ws, sizeof ws), te);
        return;
    case SCN_EXPECT_ORDER: {
        if (r->done) return;
        const ScnRef* refs = &c->s->refs[x->first];
        for (int j = 0; j < x->count; j++) {
            if (isnan(r->order_t[j])) {
                judge(r, false);
                set_detail(r, "no %s event for %s by the end (%.3f s)", ev, refs[j].name, te);
                return;
            }
        }
        for (int j = 1; j < x->count; j++) {
            if (r->order_step[j] < r->order_step[j - 1]) {
                judge(r, false);
                set_detail(r, "%s of %s at %.3f s came before %s of %s at %.3f s", ev, refs[j].name,
                           r->order_t[j], ev, refs[j - 1].name, r->order_t[j - 1]);
                return;
            }
        }
        judge(r, true);
        int used = snprintf(r->detail, sizeof r->detail, "%s:", ev);
        for (int j = 0; j < x->count && used > 0 && used < (int)sizeof r->detail; j++)
            used += snprintf(r->detail + used, sizeof r->detail - (size_t)used, " %s %.3f s%s",
                             refs[j].name, r->order_t[j], j + 1 < x->count ? "," : "");
        return;
    }
    case SCN_EXPECT_MAX:
    case SCN_EXPECT_MIN: {
        if (r->done) return;
        const char* which = x->kind == SCN_EXPECT_MAX ? "max" : "min";
        if (!r->have_best) {
            judge(r, false);
            set_detail(r, "no tick in %.3f..%.3f s to take the %s of %s.%s", r->t1, r->t2, which,
                       x->body.name, scn_field_name(x->field));
            return;
        }
        judge(r, test_holds(&r->then, r->best_f));
        set_detail(r, "%s %s.%s = %s at %.3f s, wanted %s", which, x->body.name,
                   scn_field_name(x->field), num_str(r->best_f, vb, sizeof vb), r->best_t, test_str(&r->then, tb, sizeof tb));
        return;
    }
    case SCN_EXPECT_MODEL_PREDICTS:
    case SCN_EXPECT_MODEL_FIELD:
    case SCN_EXPECT_SURPRISE:
    case SCN_EXPECT_SURPRISE_NEVER:
        break;   /* judged by a model */
    }
}

/* the verdict on an expectation naming a body that never appeared: vacuous for never and no event,
 * a failure for the rest */
static void finish_missing(const ScnChecker* c, Run* r) {
    const ScnRef* missing = resolve_ids(c->s, r, NULL);
    const char* name = missing ? missing->name : "?";
    bool vacuous = r->x->kind == SCN_EXPECT_NEVER || r->x->kind == SCN_EXPECT_NO_EVENT;
    judge(r, vacuous);
    set_detail(r, "%s never appeared in 0..%.3f s", name, c->t_end);
}

int scn_checker_finish(ScnChecker* c, ScnVerdict* out, int cap) {
    for (int k = 0; k < c->n; k++) {
        Run* r = &c->runs[k];
        if (r->pending && !r->done) finish_missing(c, r);
        else finish_run(c, r);
        if (k < cap && out) {
            out[k].pass = r->pass;
            out[k].skipped = r->skipped;
            out[k].goal = r->x->goal;
            out[k].line = r->x->line;
            snprintf(out[k].text, sizeof out[k].text, "%s", r->x->text);
            snprintf(out[k].detail, sizeof out[k].detail, "%s", r->detail);
        }
    }
    return c->n;
}
