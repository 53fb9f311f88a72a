/* scenario: loading a .scn file, resolving its parameters from a seed, building its world.
 * The statement parser is sim/scn_parse.c, expressions sim/scn_expr.c, expectations sim/expect.c. */
#include "sim/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/input_file.h"
#include "base/report.h"
#include "base/rng.h"
#include "sim/action.h"
#include "sim/scn_ast.h"
#include "sim/scn_parse.h"
#include "sim/scn_place.h"

#define PARAM_STREAM 0x706172616dull /* "param" */
#define DEG (3.14159265358979323846 / 180.0)

void scn_err_format(const char* name, const ScnErr* e, char* err, size_t err_size) {
    report_set(err, err_size, "%s:%d:%d: %s", name, e->line, e->col, e->msg);
}

bool scn_num_eval(const Scenario* s, const ScnNum* n, const double* params, double def, double* out,
                  ScnErr* e) {
    if (n->e < 0) {
        *out = def;
        return true;
    }
    return scn_expr_eval(&s->pool, n->e, params, out, e);
}

ScnAgentDef scn_agent_def_default(void) {
    ScnAgentDef d;
    memset(&d, 0, sizeof d);
    d.kind = SCN_AGENT_NONE;
    d.every_lo = 0.5;
    d.every_hi = 1.5;
    d.dv_lo = 0.3;
    d.dv_hi = 2.0;
    d.angle_deg = 20;
    d.start = 0.25;
    d.height_frac = 0.5;
    d.pushes = 0;
    d.impulse = 0;
    d.samples = 256;
    d.iters = 5;
    d.horizon = 30;
    d.replan = 6;
    d.elites = 0;   /* samples / 10 */
    d.push_cost = 0.02;
    return d;
}

void scn_free(Scenario* s) {
    if (!s) return;
    scn_expr_pool_free(&s->pool);
    free(s->params);
    free(s->bodies);
    free(s->actions);
    free(s->expects);
    free(s->nums);
    free(s->refs);
    free(s->pnames);
    free(s->ptypes);
    free(s);
}

static uint64_t fnv1a(const char* text, size_t len) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

Scenario* scn_parse(const char* text, size_t len, const char* name, char* err, size_t err_size) {
    if (!name) name = "<scenario>";
    if (len > SCN_MAX_BYTES) {
        report_set(err, err_size, "%s: expected a scenario of at most %d bytes, got %zu bytes", name,
                   SCN_MAX_BYTES, len);
        return NULL;
    }
    Scenario* s = alloc_zeroed(1, sizeof *s);
    s->fixed = -1;
    ScnTok* toks = alloc_array(SCN_MAX_TOKS, sizeof *toks);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->hash = fnv1a(text, len);
    s->seconds = 5.0;
    /* no world setting made yet */
    ScnNum* wn[] = {&s->world.gx, &s->world.gy, &s->world.dt, &s->world.ticks, &s->world.iterations,
                    &s->world.bounds[0], &s->world.bounds[1], &s->world.bounds[2], &s->world.bounds[3],
                    &s->world.shards, &s->world.seconds, &s->world.seed, &s->world.substeps,
                    &s->world.sleep};
    for (size_t k = 0; k < sizeof wn / sizeof wn[0]; k++) wn[k]->e = -1;
    ScnErr e;
    memset(&e, 0, sizeof e);
    bool ok = scn_text_check(text, len, &e);
    /* a UTF-8 byte order mark is not part of the first line */
    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) pos = 3;
    int line = 1;
    while (ok && pos < len) {
        const char* nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        int n = scn_tokenize(text + pos, (int)(end - pos), line, toks, SCN_MAX_TOKS, &e);
        ok = n >= 0 && scn_parse_line(s, toks, n, line, &e);
        pos = end + 1;
        line++;
    }
    free(toks);
    if (ok) ok = scn_parse_resolve(s, &e);
    if (ok && s->nbodies == 0) {
        scn_err_set(&e, 1, 1, "empty scenario: no bodies (expected at least one 'body' line)");
        ok = false;
    }
    if (!ok) {
        scn_err_format(name, &e, err, err_size);
        scn_free(s);
        return NULL;
    }
    /* every value that does not depend on the seed is checked now: instantiate once */
    ScnInstance inst;
    if (!scn_instantiate(s, s->seed, &inst, err, err_size)) {
        scn_free(s);
        return NULL;
    }
    scn_instance_free(&inst);
    return s;
}

Scenario* scn_load(const char* path, char* err, size_t err_size) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        report_set(err, err_size, "%s: expected a scenario file, got a directory", path);
        return NULL;
    }
    /* a regular file only: a FIFO or a device is refused at once instead of read forever */
    int64_t size = 0;
    int fd = input_file_open(path, &size, err, err_size);
    if (fd < 0) return NULL;
    if (size > SCN_MAX_BYTES) {
        close(fd);
        report_set(err, err_size, "%s: expected a scenario of at most %d bytes, got %lld", path, SCN_MAX_BYTES,
                   (long long)size);
        return NULL;
    }
    char* buf = alloc_bytes((size_t)size + 1);
    bool ok = input_file_read_exact(fd, buf, (size_t)size);
    int e = errno;
    close(fd);
    if (!ok) {
        free(buf);
        report_set(err, err_size, "%s: cannot read: %s", path, e ? strerror(e) : "the file shrank while read");
        return NULL;
    }
    Scenario* s = scn_parse(buf, (size_t)size, path, err, err_size);
    free(buf);
    return s;
}

const char* scn_name(const Scenario* s) { return s->name; }
uint64_t    scn_text_hash(const Scenario* s) { return s->hash; }
int         scn_param_count(const Scenario* s) { return s->nparams; }
const char* scn_param_name(const Scenario* s, int i) {
    return i >= 0 && i < s->nparams ? s->params[i].name : NULL;
}
uint64_t scn_default_seed(const Scenario* s) { return s->seed; }
int scn_magic_line(const Scenario* s) {
    for (int k = 0; k < s->nactions; k++)
        if (s->actions[k].kind == SCN_ACT_MAGIC) return s->actions[k].line;
    return 0;
}

ScnAgentKind scn_agent_kind(const Scenario* s) {
    return s->agent.declared ? s->agent.kind : s->nactions > 0 ? SCN_AGENT_SCRIPTED : SCN_AGENT_NONE;
}
double   scn_default_seconds(const Scenario* s) { return s->seconds; }

/* ---- predicates over the parameters ---- */

struct ScnPredicate {
    ScnExprPool pool;
    int         root;
    char        where[512];   /* "SCENARIO: in 'TEXT'" for messages */
};

ScnPredicate* scn_predicate_compile(const Scenario* s, const char* text, char* err, size_t err_size) {
    ScnPredicate* p = alloc_zeroed(1, sizeof *p);
    snprintf(p->where, sizeof p->where, "%s: in '%.160s'", s->name, text);
    size_t len = strlen(text);
    ScnErr e;
    memset(&e, 0, sizeof e);
    ScnNames names = {(const char(*)[32])s->pnames, s->ptypes, s->nparams};
    if (len > SCN_MAX_LINE) {
        report_set(err, err_size, "%s: expected an expression of at most %d bytes", p->where, SCN_MAX_LINE);
    } else if ((p->root = scn_expr_parse(&p->pool, text, (int)len, 1, 1, &names, &e)) < 0) {
        report_set(err, err_size, "%s, column %d: %s", p->where, e.col, e.msg);
    } else if (scn_expr_type(&p->pool, p->root) != SCN_TYPE_NUMBER) {
        report_set(err, err_size, "%s: expected a condition (a number: 0 is false), got %s", p->where,
                   scn_type_name(scn_expr_type(&p->pool, p->root)));
    } else {
        return p;
    }
    scn_predicate_free(p);
    return NULL;
}

bool scn_predicate_test(const ScnPredicate* p, const double* params, bool* holds, char* err, size_t err_size) {
    ScnErr e;
    memset(&e, 0, sizeof e);
    double v;
    if (!scn_expr_eval(&p->pool, p->root, params, &v, &e)) {
        report_set(err, err_size, "%s, column %d: %s", p->where, e.col, e.msg);
        return false;
    }
    *holds = v != 0;
    return true;
}

void scn_predicate_free(ScnPredicate* p) {
    if (!p) return;
    scn_expr_pool_free(&p->pool);
    free(p);
}

/* ---- instantiation ---- */

typedef struct Inst {
    const Scenario* s;
    const double*   params;
    ScnErr*         e;
} Inst;

/* evaluates n (def if absent) */
static bool ev(Inst* in, const ScnNum* n, double def, double* out) {
    return scn_num_eval(in->s, n, in->params, def, out, in->e);
}

/* false + "expected ..." at n's place unless ok */
static bool need(Inst* in, bool ok, const ScnNum* n, int line, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));
static bool need(Inst* in, bool ok, const ScnNum* n, int line, const char* fmt, ...) {
    if (ok) return true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n && n->e >= 0) scn_err_set(in->e, n->line, n->col, "%s", msg);
    else scn_err_set(in->e, line, 1, "%s", msg);
    return false;
}

static bool is_int(double v, double lo, double hi) { return v >= lo && v <= hi && v == floor(v); }

static bool draw_params(Inst* in, uint64_t seed, double* values) {
    const Scenario* s = in->s;
    Rng r;
    rng_seed(&r, rng_derive(seed, PARAM_STREAM));
    for (int k = 0; k < s->nparams; k++) {
        const ScnParamDecl* d = &s->params[k];
        double a = 0, b = 0, v = 0;
        /* arguments see the parameters drawn so far */
        in->params = values;
        if (d->dist != SCN_DIST_CHOICE && (!ev(in, &d->a, 0, &a) || !ev(in, &d->b, 0, &b)))
            return false;
        switch (d->dist) {
        case SCN_DIST_UNIFORM:
            if (!need(in, b >= a, &d->b, d->line, "expected HI >= LO (%g), got %g", a, b)) return false;
            v = rng_uniform(&r, a, b);
            break;
        case SCN_DIST_INT:
            if (!need(in, is_int(a, -1e9, 1e9), &d->a, d->line, "expected an integer LO, got %g", a) ||
                !need(in, is_int(b, -1e9, 1e9), &d->b, d->line, "expected an integer HI, got %g", b) ||
                !need(in, b >= a, &d->b, d->line, "expected HI >= LO (%g), got %g", a, b))
                return false;
            v = (double)rng_int(&r, (int64_t)a, (int64_t)b);
            break;
        case SCN_DIST_NORMAL: {
            if (!need(in, b >= 0, &d->b, d->line, "expected a standard deviation >= 0, got %g", b))
                return false;
            v = a + b * rng_normal(&r);
            if (d->clamp_lo.e >= 0) {
                double lo, hi;
                if (!ev(in, &d->clamp_lo, 0, &lo) || !ev(in, &d->clamp_hi, 0, &hi)) return false;
                if (!need(in, hi >= lo, &d->clamp_hi, d->line, "expected HI >= LO (%g), got %g", lo, hi))
                    return false;
                v = v < lo ? lo : v > hi ? hi : v;
            }
            break;
        }
        case SCN_DIST_LET:
            v = a;   /* computed, not drawn */
            break;
        case SCN_DIST_CHOICE: {
            int pick = (int)rng_int(&r, 0, d->count - 1);
            for (int j = 0; j < d->count; j++) {
                double c;
                if (!ev(in, &s->nums[d->first + j], 0, &c)) return false;
                if (j == pick) v = c;
            }
            break;
        }
        }
        /* a fixed parameter is drawn as usual (the stream goes on the same), then replaced */
        values[k] = k == s->fixed ? s->fixed_value : v;
    }
    return true;
}

bool scn_fix_param(Scenario* s, const char* name, double value, char* err, size_t err_size) {
    for (int k = 0; k < s->nparams; k++)
        if (!strcmp(s->pnames[k], name)) {
            if (!isfinite(value)) break;
            s->fixed = k;
            s->fixed_value = value;
            return true;
        }
    report_set(err, err_size, "%s: expected a parameter '%s' to fix at %g, got none", s->name, name, value);
    return false;
}

static bool make_world(Inst* in, uint64_t seed, SimWorldDef* w) {
    const ScnWorldDecl* d = &in->s->world;
    double v;
    *w = sim_world_def_default();
    w->seed = seed;
    if (!ev(in, &d->gx, w->gx, &w->gx) || !ev(in, &d->gy, w->gy, &w->gy)) return false;
    if (!need(in, fabs(w->gx) <= 1000, &d->gx, 1, "expected gravity GX within +-1000 m/s^2, got %g", w->gx) ||
        !need(in, fabs(w->gy) <= 1000, &d->gy, 1, "expected gravity GY within +-1000 m/s^2, got %g", w->gy))
        return false;
    if (!ev(in, &d->dt, w->dt, &w->dt)) return false;
    if (!need(in, w->dt >= SIM_DT_MIN && w->dt <= SIM_DT_MAX, &d->dt, 1,
              "expected a physics step dt in [%g, %g] s, got %g", SIM_DT_MIN, SIM_DT_MAX, w->dt))
        return false;
    if (!ev(in, &d->ticks, w->steps_per_tick, &v)) return false;
    if (!need(in, is_int(v, 1, 100), &d->ticks, 1, "expected an integer 1..100 of steps per tick, got %g", v))
        return false;
    w->steps_per_tick = (int)v;
    if (!ev(in, &d->iterations, w->iterations, &v)) return false;
    if (!need(in, is_int(v, 1, 100), &d->iterations, 1, "expected an integer 1..100 of iterations per substep, got %g", v))
        return false;
    w->iterations = (int)v;
    if (!ev(in, &d->substeps, w->substeps, &v)) return false;
    if (!need(in, is_int(v, 1, SIM_MAX_SUBSTEPS), &d->substeps, 1, "expected an integer 1..%d of substeps, got %g",
              SIM_MAX_SUBSTEPS, v))
        return false;
    w->substeps = (int)v;
    if (!ev(in, &d->sleep, w->sleep_time, &w->sleep_time)) return false;
    if (!need(in, w->sleep_time >= 0 && w->sleep_time <= 1000, &d->sleep, 1,
              "expected a sleep time in [0, 1000] s (0 = never), got %g", w->sleep_time))
        return false;
    for (int k = 0; k < 4; k++)
        if (!ev(in, &d->bounds[k], w->bounds[k], &w->bounds[k])) return false;
    if (!need(in, w->bounds[2] > w->bounds[0], &d->bounds[2], 1,
              "expected bounds XMAX > XMIN (%g), got %g", w->bounds[0], w->bounds[2]) ||
        !need(in, w->bounds[3] > w->bounds[1], &d->bounds[3], 1,
              "expected bounds YMAX > YMIN (%g), got %g", w->bounds[1], w->bounds[3]))
        return false;
    if (!ev(in, &d->shards, w->shards, &v)) return false;
    if (!need(in, is_int(v, 2, 8), &d->shards, 1, "expected an integer 2..8 of shards, got %g", v))
        return false;
    w->shards = (int)v;
    return true;
}

/* a body from its declaration; *skip when its 'if' is zero */
static bool make_body(Inst* in, const ScnBodyDecl* d, const SimWorldDef* w, SimBodyDef* b, bool* skip) {
    double c = 1, x, y, angle, r;
    if (!ev(in, &d->cond, 1, &c)) return false;
    *skip = c == 0;
    if (*skip) return true;
    *b = sim_body_def_default();
    snprintf(b->name, sizeof b->name, "%s", d->name);
    double kind, material;
    if (!ev(in, &d->kind_e, 0, &kind) || !ev(in, &d->material_e, 0, &material)) return false;
    b->kind = (SimKind)(int)kind;
    b->material = (int)material;
    b->is_static = d->is_static;
    if (!ev(in, &d->x, 0, &x) || !ev(in, &d->y, 0, &y) || !ev(in, &d->angle, 0, &angle)) return false;
    /* a body placed 'on' a support gets its position later (sim/scn_place.c) */
    if (d->on < 0 &&
        !need(in, x >= w->bounds[0] && x <= w->bounds[2] && y >= w->bounds[1] && y <= w->bounds[3],
              &d->x, d->line, "expected a position inside the world bounds [%g, %g] x [%g, %g], got (%g, %g)",
              w->bounds[0], w->bounds[2], w->bounds[1], w->bounds[3], x, y))
        return false;
    b->x = x;
    b->y = y;
    b->angle = angle * DEG;
    if (d->radius.e >= 0) {
        if (!ev(in, &d->radius, 0, &r)) return false;
        if (!need(in, r > 0 && r <= 100, &d->radius, d->line, "expected a radius in (0, 100] m, got %g", r))
            return false;
        b->w = b->h = 2 * r;
    } else {
        if (!ev(in, &d->w, 0, &b->w) || !ev(in, &d->h, 0, &b->h)) return false;
        if (!need(in, b->w > 0 && b->w <= 1000, &d->w, d->line, "expected a width in (0, 1000] m, got %g", b->w) ||
            !need(in, b->h > 0 && b->h <= 1000, &d->h, d->line, "expected a height in (0, 1000] m, got %g", b->h))
            return false;
        if (b->kind == SIM_KIND_BALL &&
            !need(in, b->w == b->h, &d->h, d->line, "expected a ball's size D D (equal), got %g %g", b->w, b->h))
            return false;
    }
    if (!ev(in, &d->vx, 0, &b->vx) || !ev(in, &d->vy, 0, &b->vy) || !ev(in, &d->spin, 0, &b->omega))
        return false;
    return true;
}

/* an integer agent setting in lo..hi (absent: keeps *out) */
static bool agent_int(Inst* in, const ScnNum* n, int line, int lo, int hi, const char* what, int* out) {
    double v;
    if (!ev(in, n, *out, &v)) return false;
    if (!need(in, is_int(v, lo, hi), n, line, "expected %s, an integer in %d..%d, got %g", what, lo, hi, v))
        return false;
    *out = (int)v;
    return true;
}

static bool make_agent(Inst* in, ScnAgentDef* a, int nactions) {
    const ScnAgentDecl* d = &in->s->agent;
    *a = scn_agent_def_default();
    a->kind = d->declared ? d->kind : nactions > 0 ? SCN_AGENT_SCRIPTED : SCN_AGENT_NONE;
    if (!d->declared) return true;
    int line = d->line;
    a->dv_given = d->dv_lo.e >= 0;
    if (!ev(in, &d->every_lo, a->every_lo, &a->every_lo) || !ev(in, &d->every_hi, a->every_hi, &a->every_hi) ||
        !ev(in, &d->dv_lo, a->dv_lo, &a->dv_lo) || !ev(in, &d->dv_hi, a->dv_hi, &a->dv_hi) ||
        !ev(in, &d->angle, a->angle_deg, &a->angle_deg) || !ev(in, &d->start, a->start, &a->start) ||
        !ev(in, &d->height, a->height_frac, &a->height_frac) || !ev(in, &d->impulse, a->impulse, &a->impulse) ||
        !ev(in, &d->cost, a->push_cost, &a->push_cost))
        return false;
    bool ok = need(in, a->every_lo > 0, &d->every_lo, line, "expected every LO > 0 s, got %g", a->every_lo) &&
              need(in, a->every_hi >= a->every_lo, &d->every_hi, line, "expected every HI >= LO (%g), got %g",
                   a->every_lo, a->every_hi) &&
              need(in, a->dv_lo >= 0, &d->dv_lo, line, "expected dv LO >= 0 m/s, got %g", a->dv_lo) &&
              need(in, a->dv_hi >= a->dv_lo, &d->dv_hi, line, "expected dv HI >= LO (%g), got %g", a->dv_lo,
                   a->dv_hi) &&
              need(in, a->angle_deg >= 0 && a->angle_deg <= 90, &d->angle, line,
                   "expected an angle in [0, 90] degrees, got %g", a->angle_deg) &&
              need(in, a->start >= 0, &d->start, line, "expected a start time >= 0 s, got %g", a->start) &&
              need(in, a->height_frac >= 0 && a->height_frac <= 1, &d->height, line,
                   "expected a height fraction in [0, 1], got %g", a->height_frac) &&
              /* absent, the impulse limit stays 0: the kind's default */
              need(in, d->impulse.e < 0 || (a->impulse > 0 && a->impulse <= 1000), &d->impulse, line,
                   "expected an impulse limit in (0, 1000] N*s, got %g", a->impulse) &&
              need(in, a->push_cost >= 0 && a->push_cost <= 1000, &d->cost, line,
                   "expected a cost per push in [0, 1000], got %g", a->push_cost);
    ok = ok && agent_int(in, &d->pushes, line, 0, 1000000, "a push budget", &a->pushes) &&
         agent_int(in, &d->samples, line, 1, 4096, "samples", &a->samples) &&
         agent_int(in, &d->iters, line, 1, 100, "iters", &a->iters) &&
         agent_int(in, &d->horizon, line, 1, 600, "a horizon in control ticks", &a->horizon) &&
         agent_int(in, &d->replan, line, 1, 600, "control ticks between decisions ('every')", &a->replan) &&
         agent_int(in, &d->elites, line, 0, a->samples, "elites (0 = samples / 10)", &a->elites);
    return ok;
}

/* map[k] for a spawned body whose 'if' holds: it is in this instance, without an id yet */
#define SPAWNED_LATER (-2)

/* a body reference must name a body this instance has (or will spawn) */
static bool ref_present(Inst* in, const ScnRef* r, const int* map) {
    if (map[r->decl] >= 0 || map[r->decl] == SPAWNED_LATER) return true;
    scn_err_set(in->e, r->line, r->col,
                "expected a body present in this instance, got '%s' (its 'if' is false for this seed)",
                r->name);
    return false;
}

/* a magic line's kind and numbers for this seed (its body is resolved when it is due) */
static bool make_magic(Inst* in, const ScnActionDecl* d, SimMagic* m) {
    memset(m, 0, sizeof *m);
    m->kind = d->magic;
    m->body = -1;
    switch ((SimMagicKind)d->magic) {
    case SIM_MAGIC_TELEPORT:
    case SIM_MAGIC_DRIFT:
    case SIM_MAGIC_GRAVITY:
        if (!ev(in, &d->x, 0, &m->v[0]) || !ev(in, &d->y, 0, &m->v[1])) return false;
        return need(in, fabs(m->v[0]) <= SIM_MAGIC_LIMIT, &d->x, d->line, "expected a number within +-%g, got %g",
                    SIM_MAGIC_LIMIT, m->v[0]) &&
               need(in, fabs(m->v[1]) <= SIM_MAGIC_LIMIT, &d->y, d->line, "expected a number within +-%g, got %g",
                    SIM_MAGIC_LIMIT, m->v[1]);
    case SIM_MAGIC_MASS:
        m->v[1] = d->flag;
        return ev(in, &d->jx, 1, &m->v[0]) &&
               need(in, m->v[0] >= SIM_MAGIC_MASS_MIN && m->v[0] <= SIM_MAGIC_MASS_MAX, &d->jx, d->line,
                    "expected a mass factor in [%g, %g], got %g", SIM_MAGIC_MASS_MIN, SIM_MAGIC_MASS_MAX, m->v[0]);
    case SIM_MAGIC_GHOST:
        m->v[0] = d->flag;
        return true;
    default:
        return true;
    }
}

static bool check_time(Inst* in, const ScnNum* n, int line, double* t) {
    if (!ev(in, n, 0, t)) return false;
    return need(in, *t >= 0 && *t <= 1e5, n, line, "expected a time in [0, 100000] s, got %g", *t);
}

static bool check_test(Inst* in, const ScnTest* test, int line) {
    double v, tol;
    if (!ev(in, &test->v, 0, &v) || !ev(in, &test->tol, 0, &tol)) return false;
    return need(in, tol >= 0, &test->tol, line, "expected a tolerance >= 0, got %g", tol);
}

/* a region's numbers, in order: XMAX > XMIN, YMAX > YMIN */
static bool check_region(Inst* in, const ScnCond* c, int line, double* r) {
    for (int k = 0; k < 4; k++)
        if (!ev(in, &c->region[k], 0, &r[k])) return false;
    return need(in, r[2] > r[0], &c->region[2], line, "expected a region XMAX > XMIN (%g), got %g", r[0], r[2]) &&
           need(in, r[3] > r[1], &c->region[3], line, "expected a region YMAX > YMIN (%g), got %g", r[1], r[3]);
}

static bool check_cond(Inst* in, const ScnCond* c, int line, const int* map) {
    double r[4];
    return ref_present(in, &c->body, map) && (!c->is_field || check_test(in, &c->test, line)) &&
           (!c->is_region || check_region(in, c, line, r));
}

static bool check_expect(Inst* in, const ScnExpect* x, const int* map) {
    double t1 = 0, t2 = 0, tol = 0;
    const ScnCond* c = &x->cond;
    switch (x->kind) {
    case SCN_EXPECT_AT:
    case SCN_EXPECT_BY:
        if (!check_time(in, &x->t1, x->line, &t1)) return false;
        /* fall through */
    case SCN_EXPECT_NEVER:
    case SCN_EXPECT_ALWAYS:
        return check_cond(in, c, x->line, map);
    case SCN_EXPECT_WHEN:
        return check_cond(in, c, x->line, map) &&
               (x->then_time || ref_present(in, &x->then_body, map)) && check_test(in, &x->test, x->line);
    case SCN_EXPECT_EVENT:
        if (!ref_present(in, &x->body, map) || (x->other.decl >= 0 && !ref_present(in, &x->other, map)))
            return false;
        if (!check_time(in, &x->t1, x->line, &t1)) return false;
        if (x->when == SCN_WHEN_NEAR) {
            if (!ev(in, &x->tol, 0, &tol)) return false;
            return need(in, tol >= 0, &x->tol, x->line, "expected a tolerance >= 0, got %g", tol);
        }
        if (x->when == SCN_WHEN_BETWEEN) {
            if (!check_time(in, &x->t2, x->line, &t2)) return false;
            return need(in, t2 >= t1, &x->t2, x->line, "expected T2 >= T1 (%g), got %g", t1, t2);
        }
        return true;
    case SCN_EXPECT_NO_EVENT:
        return ref_present(in, &x->body, map) && (x->other.decl < 0 || ref_present(in, &x->other, map));
    case SCN_EXPECT_ORDER:
        for (int j = 0; j < x->count; j++)
            if (!ref_present(in, &in->s->refs[x->first + j], map)) return false;
        return true;
    case SCN_EXPECT_MODEL_PREDICTS:
    case SCN_EXPECT_MODEL_FIELD:
    case SCN_EXPECT_SURPRISE:
        if (!ref_present(in, &x->body, map) || !check_time(in, &x->t1, x->line, &t1)) return false;
        if (x->t2.e >= 0 && !check_time(in, &x->t2, x->line, &t2)) return false;
        if (x->kind == SCN_EXPECT_SURPRISE)
            return need(in, t2 >= t1, &x->t2, x->line, "expected T2 >= T1 (%g), got %g", t1, t2) &&
                   check_test(in, &x->test, x->line);
        if (!need(in, t2 <= t1, &x->t2, x->line, "expected a start T0 <= T (%g), got %g", t1, t2)) return false;
        if (x->kind == SCN_EXPECT_MODEL_PREDICTS && x->test.v.e >= 0) {
            double pv;
            return ev(in, &x->test.v, 0.5, &pv) &&
                   need(in, pv >= 0 && pv <= 1, &x->test.v, x->line, "expected a probability in [0, 1], got %g", pv);
        }
        return check_test(in, &x->test, x->line);
    case SCN_EXPECT_SURPRISE_NEVER:
        return check_test(in, &x->test, x->line);
    case SCN_EXPECT_MAX:
    case SCN_EXPECT_MIN:
        if (!ref_present(in, &x->body, map)) return false;
        if (x->t1.e >= 0 && !check_time(in, &x->t1, x->line, &t1)) return false;
        if (x->t2.e >= 0) {
            if (!check_time(in, &x->t2, x->line, &t2)) return false;
            if (!need(in, t2 >= t1, &x->t2, x->line, "expected T2 >= T1 (%g), got %g", t1, t2)) return false;
        }
        return check_test(in, &x->test, x->line);
    }
    return true;
}

/* a goal statement (checked as an expectation already) as the planner reads it */
static bool make_goal(Inst* in, const ScnExpect* x, const int* map, ScnGoal* g) {
    const ScnCond* c = &x->cond;
    memset(g, 0, sizeof *g);
    g->body = map[c->body.decl];
    g->line = x->line;
    snprintf(g->text, sizeof g->text, "%s", x->text);
    g->t = INFINITY;
    if (x->kind != SCN_EXPECT_NEVER && !ev(in, &x->t1, 0, &g->t)) return false;
    if (c->is_region) {
        g->kind = SCN_GOAL_IN;
        return check_region(in, c, x->line, g->region);
    }
    if (c->is_field) {
        g->kind = SCN_GOAL_FIELD;
        g->field = c->field;
        g->op = c->test.op;
        if (!ev(in, &c->test.v, 0, &g->v) || !ev(in, &c->test.tol, 0, &g->tol)) return false;
        if (c->test.pct) g->tol = fabs(g->v) * g->tol / 100.0;
        return true;
    }
    g->kind = c->state == SCN_STATE_BROKEN ? SCN_GOAL_BROKEN : SCN_GOAL_FELL;
    g->negate = x->kind == SCN_EXPECT_NEVER;
    return true;
}

static bool instantiate(const Scenario* s, uint64_t seed, ScnInstance* out, ScnErr* e) {
    Inst in = {s, NULL, e};
    out->nparams = s->nparams;
    out->params = alloc_zeroed((size_t)s->nparams + 1, sizeof *out->params);
    out->bodies = alloc_zeroed((size_t)s->nbodies + 1, sizeof *out->bodies);
    out->body_lines = alloc_zeroed((size_t)s->nbodies + 1, sizeof *out->body_lines);
    out->actions = alloc_zeroed((size_t)s->nactions + 1, sizeof *out->actions);
    int* map = alloc_zeroed((size_t)s->nbodies + 1, sizeof *map);
    bool ok = draw_params(&in, seed, out->params);
    in.params = out->params;
    ok = ok && make_world(&in, seed, &out->world);
    out->seconds = s->seconds;
    /* bodies: those whose 'if' holds, in file order; body i gets id i. Spawned bodies get theirs
     * when they enter the world */
    SimBodyDef* spawned = alloc_zeroed((size_t)s->nbodies + 1, sizeof *spawned);
    for (int k = 0; ok && k < s->nbodies; k++) {
        bool skip = false;
        SimBodyDef b;
        ok = make_body(&in, &s->bodies[k], &out->world, &b, &skip);
        map[k] = -1;
        if (!ok || skip) continue;
        if (s->bodies[k].spawned) {
            map[k] = SPAWNED_LATER;
            spawned[k] = b;
            continue;
        }
        map[k] = out->nbodies;
        out->body_lines[out->nbodies] = s->bodies[k].line;
        out->bodies[out->nbodies++] = b;
    }
    /* bodies 'on' a support find their places; then nothing may overlap */
    ok = ok && scn_place_bodies(s, out->params, seed, map, out->bodies, out->nbodies, &out->world, e) &&
         scn_check_overlaps(s, map, out->bodies, out->nbodies, e);
    /* actions, sorted by time (stable) */
    for (int k = 0; ok && k < s->nactions; k++) {
        const ScnActionDecl* d = &s->actions[k];
        ScnAction a;
        memset(&a, 0, sizeof a);
        double t;
        a.kind = d->kind;
        a.body = -1;
        bool bodiless = d->kind == SCN_ACT_MAGIC && d->magic == SIM_MAGIC_GRAVITY;
        if (d->kind == SCN_ACT_MAGIC && d->cond.e >= 0) {
            /* 'if EXPR': a magic line that happens for some instances only (a matched pair's clip) */
            double c = 0;
            ok = ev(&in, &d->cond, 1, &c);
            if (!ok) break;
            if (c == 0) continue;
        }
        if (d->kind == SCN_ACT_SPAWN || (d->kind == SCN_ACT_MAGIC && d->magic == SIM_MAGIC_APPEAR)) {
            if (map[d->spawn] < 0 && map[d->spawn] != SPAWNED_LATER) continue; /* its 'if' is false */
            a.spawn = spawned[d->spawn];
            snprintf(a.ref, sizeof a.ref, "%s", a.spawn.name);
        } else if (!bodiless) {
            ok = ref_present(&in, &d->body, map);
            if (!ok) break;
            /* a body of the start has its id; spawned bodies and pieces are looked up by name */
            if (map[d->body.decl] >= 0 && !d->body.piece) a.body = map[d->body.decl];
            snprintf(a.ref, sizeof a.ref, "%s", d->body.world);
        }
        ok = check_time(&in, &d->t, d->line, &t);
        if (ok && d->kind == SCN_ACT_PUSH) {
            ok = ev(&in, &d->jx, 0, &a.jx) && ev(&in, &d->jy, 0, &a.jy) && ev(&in, &d->px, 0, &a.px) &&
                 ev(&in, &d->py, 0, &a.py);
            a.group = d->line;
        }
        if (ok && d->kind == SCN_ACT_GRAB) {
            ok = ev(&in, &d->x, 0, &a.x) && ev(&in, &d->y, 0, &a.y);
            a.has_anchor = d->ax.e >= 0;
            if (ok && a.has_anchor) {
                ok = ev(&in, &d->ax, 0, &a.anchor[0]) && ev(&in, &d->ay, 0, &a.anchor[1]);
                /* the world refuses a hold of a point far outside the body */
                if (ok) {
                    const ScnBodyDecl* bd = &s->bodies[d->body.decl];
                    double w = 0, h = 0, r = 0;
                    if (bd->radius.e >= 0) ok = ev(&in, &bd->radius, 0, &r), w = h = 2 * r;
                    else ok = ev(&in, &bd->w, 0, &w) && ev(&in, &bd->h, 0, &h);
                    ok = ok && need(&in, hypot(a.anchor[0], a.anchor[1]) <= 10.0 * (w + h), &d->ax, d->line,
                                    "expected an anchor within 10 body sizes of the centre, got (%g, %g)",
                                    a.anchor[0], a.anchor[1]);
                }
            }
        }
        if (ok && d->kind == SCN_ACT_MAGIC) ok = make_magic(&in, d, &a.magic);
        if (!ok) break;
        a.t = t;
        int j = out->nactions++;
        while (j > 0 && out->actions[j - 1].t > a.t) {
            out->actions[j] = out->actions[j - 1];
            j--;
        }
        out->actions[j] = a;
    }
    free(spawned);
    ok = ok && make_agent(&in, &out->agent, s->nactions);
    for (int k = 0; ok && k < s->nexpects; k++) ok = check_expect(&in, &s->expects[k], map);
    /* goals, for planners */
    for (int k = 0; ok && k < s->nexpects; k++) {
        if (!s->expects[k].goal) continue;
        out->goals = alloc_resize(out->goals, (size_t)out->ngoals + 1, sizeof *out->goals);
        ok = make_goal(&in, &s->expects[k], map, &out->goals[out->ngoals]);
        if (ok) out->ngoals++;
    }
    /* model expectations, for a judge that has a model */
    for (int k = 0; ok && k < s->nexpects; k++) {
        const ScnExpect* x = &s->expects[k];
        if (x->kind < SCN_EXPECT_MODEL_PREDICTS || x->kind > SCN_EXPECT_SURPRISE_NEVER) continue;
        out->model = alloc_resize(out->model, (size_t)out->nmodel + 1, sizeof *out->model);
        ScnModelExpect* m = &out->model[out->nmodel++];
        memset(m, 0, sizeof *m);
        m->kind = (ScnModelKind)(x->kind - SCN_EXPECT_MODEL_PREDICTS);
        m->body = x->kind == SCN_EXPECT_SURPRISE_NEVER ? -1 : map[x->body.decl];
        m->state = x->cond.state == SCN_STATE_BROKEN ? SCN_GOAL_BROKEN : x->cond.state == SCN_STATE_FELL ? SCN_GOAL_FELL : -1;
        m->field = x->field;
        m->of = x->of;
        m->op = x->test.op;
        m->line = x->line;
        snprintf(m->text, sizeof m->text, "%s", x->text);
        ok = ev(&in, &x->test.v, x->kind == SCN_EXPECT_MODEL_PREDICTS ? 0.5 : 0, &m->v) &&
             ev(&in, &x->test.tol, 0, &m->tol) && ev(&in, &x->t1, INFINITY, &m->t) && ev(&in, &x->t2, 0, &m->t0);
        if (x->test.pct) m->tol = fabs(m->v) * m->tol / 100.0;
        if (m->kind == SCN_MODEL_SURPRISE) {
            double a = m->t;
            m->t = m->t0, m->t0 = a;   /* between T1 T2: t0 = T1, t = T2 */
        }
    }
    free(map);
    return ok;
}

bool scn_instantiate(const Scenario* s, uint64_t seed, ScnInstance* out, char* err, size_t err_size) {
    memset(out, 0, sizeof *out);
    snprintf(out->source, sizeof out->source, "%s", s->name);
    ScnErr e;
    memset(&e, 0, sizeof e);
    if (!instantiate(s, seed, out, &e)) {
        scn_err_format(s->name, &e, err, err_size);
        scn_instance_free(out);
        return false;
    }
    return true;
}

void scn_instance_free(ScnInstance* inst) {
    if (!inst) return;
    free(inst->bodies);
    free(inst->actions);
    free(inst->params);
    free(inst->body_lines);
    free(inst->goals);
    inst->goals = NULL;
    inst->ngoals = 0;
    free(inst->model);
    inst->model = NULL;
    inst->nmodel = 0;
    inst->bodies = NULL;
    inst->actions = NULL;
    inst->params = NULL;
    inst->body_lines = NULL;
    inst->nbodies = inst->nactions = inst->nparams = 0;
}

SimWorld* scn_instance_build(const ScnInstance* inst, uint64_t seed, char* err, size_t err_size) {
    SimWorldDef def = inst->world;
    def.seed = seed;
    SimWorld* w = sim_world_create(&def);
    if (!w) {
        report_set(err, err_size, "%s: cannot create the world", inst->source);
        return NULL;
    }
    for (int i = 0; i < inst->nbodies; i++) {
        char msg[256] = "";
        int id = sim_world_add_body(w, &inst->bodies[i], msg, sizeof msg);
        if (id != i) {
            int line = inst->body_lines ? inst->body_lines[i] : 0;
            report_set(err, err_size, "%s:%d:1: body '%s': %s", inst->source, line,
                       inst->bodies[i].name, id < 0 ? msg : "unexpected id");
            sim_world_destroy(w);
            return NULL;
        }
    }
    if (sim_world_error(w)) {
        report_set(err, err_size, "%s: %s", inst->source, sim_world_error(w));
        sim_world_destroy(w);
        return NULL;
    }
    return w;
}
