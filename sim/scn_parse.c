/* scn_parse: the .scn statement parser (world, param, body, at, agent, expect), one line at a time.
 * The grammar is in scenarios/README.md. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/action.h"
#include "sim/materials.h"
#include "sim/scn_ast.h"
#include "sim/scn_parse.h"

typedef struct Parser {
    Scenario*     s;
    ScnErr*       e;
    int           line;
    const ScnTok* t;
    int           n, i;
    int           eol_col; /* the column just after the last token */
} Parser;

static const char* field_names[SCN_FIELD_COUNT] = {"x",  "y",     "angle", "vx",
                                                   "vy", "omega", "speed", "moved"};
static const char* state_names[SCN_STATE_COUNT] = {"broken", "out_of_bounds", "resting", "fell",
                                                   "alive"};

const char* scn_field_name(ScnField f) { return (unsigned)f < SCN_FIELD_COUNT ? field_names[f] : "?"; }
const char* scn_state_name(ScnState st) {
    return (unsigned)st < SCN_STATE_COUNT ? state_names[st] : "?";
}

/* growing arrays: returns a zeroed new element */
static void* grow(void** arr, int* n, int* cap, size_t size) {
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 8;
        *arr = alloc_resize(*arr, (size_t)c, size);
        *cap = c;
    }
    char* el = (char*)*arr + (size_t)(*n) * size;
    memset(el, 0, size);
    (*n)++;
    return el;
}
#define GROW(s, arr, n, cap) grow((void**)&(s)->arr, &(s)->n, &(s)->cap, sizeof *(s)->arr)

static bool at_end(const Parser* p) { return p->i >= p->n; }
static const ScnTok* cur(const Parser* p) { return p->i < p->n ? &p->t[p->i] : NULL; }
static int cur_col(const Parser* p) { return p->i < p->n ? p->t[p->i].col : p->eol_col; }
static bool cur_is(const Parser* p, const char* w) { return p->i < p->n && scn_tok_is(&p->t[p->i], w); }

/* "expected WHAT, got 'TOKEN'" (or "got end of line") at the current token */
static bool fail_expected(Parser* p, const char* what) {
    if (at_end(p)) {
        scn_err_set(p->e, p->line, p->eol_col, "expected %s, got end of line", what);
    } else {
        char buf[48];
        scn_err_set(p->e, p->line, cur_col(p), "expected %s, got '%s'", what,
                    scn_tok_str(cur(p), buf, sizeof buf));
    }
    return false;
}

static bool expect_eol(Parser* p) {
    if (at_end(p)) return true;
    return fail_expected(p, "end of line");
}

static ScnNames param_names(const Parser* p) {
    ScnNames names = {(const char(*)[32])p->s->pnames, p->s->ptypes, p->s->nparams};
    return names;
}

static bool is_const_name(const ScnTok* t) {
    return scn_tok_is(t, "pi") || scn_tok_is(t, "g") || scn_tok_is(t, "nan") ||
           scn_tok_is(t, "inf") || scn_tok_is(t, "NaN") || scn_tok_is(t, "Inf") ||
           scn_tok_is(t, "NAN") || scn_tok_is(t, "INF") || scn_tok_is(t, "infinity");
}

/* one expression of type want, in text[0..len) at col; what names it for messages */
static bool parse_typed_span(Parser* p, const char* text, int len, int col, ScnNum* out, ScnType want,
                             const char* what) {
    ScnNames names = param_names(p);
    int root = scn_expr_parse(&p->s->pool, text, len, p->line, col, &names, p->e);
    if (root < 0) return false;
    if (scn_expr_type(&p->s->pool, root) != want) {
        char desc[96];
        scn_expr_describe(&p->s->pool, root, &names, desc, sizeof desc);
        scn_err_set(p->e, p->line, col, "expected %s, got %s", what, desc);
        return false;
    }
    out->e = root;
    out->line = p->line;
    out->col = col;
    return true;
}

/* one number (an expression in one token); what names it for messages */
static bool parse_num_span(Parser* p, const char* text, int len, int col, ScnNum* out, const char* what) {
    return parse_typed_span(p, text, len, col, out, SCN_TYPE_NUMBER, what);
}

static bool parse_num(Parser* p, ScnNum* out, const char* what) {
    const ScnTok* t = cur(p);
    if (!t) return fail_expected(p, what);
    /* a bare word where a number belongs is most likely a missing value: say what was wanted */
    if (scn_is_name(t->s, t->len) && !is_const_name(t)) return fail_expected(p, what);
    if (!parse_num_span(p, t->s, t->len, t->col, out, what)) return false;
    p->i++;
    return true;
}

/* TOL: a number, or a percentage of the value ("2%") */
static bool parse_tol(Parser* p, ScnNum* out, bool* pct, const char* what) {
    const ScnTok* t = cur(p);
    if (!t) return fail_expected(p, what);
    if (scn_is_name(t->s, t->len) && !is_const_name(t)) return fail_expected(p, what);
    int len = t->len;
    *pct = false;
    if (len > 1 && t->s[len - 1] == '%') {
        *pct = true;
        len--;
    }
    if (!parse_num_span(p, t->s, len, t->col, out, what)) return false;
    p->i++;
    return true;
}

/* a name: [A-Za-z_][A-Za-z0-9_]*, at most 31 characters */
static bool parse_name(Parser* p, char out[SCN_NAME_LEN], const char* what) {
    const ScnTok* t = cur(p);
    if (!t || !scn_is_name(t->s, t->len)) return fail_expected(p, what);
    if (t->len >= SCN_NAME_LEN) {
        char buf[48];
        scn_err_set(p->e, p->line, t->col, "expected a name of at most %d characters, got '%s'",
                    SCN_NAME_LEN - 1, scn_tok_str(t, buf, sizeof buf));
        return false;
    }
    memcpy(out, t->s, (size_t)t->len);
    out[t->len] = 0;
    p->i++;
    return true;
}

/* a body reference written as s[0..len): NAME, or NAME/K/K... for the pieces of a broken body;
 * false (nothing reported) when it is not one */
static bool ref_from_text(const char* s, int len, ScnRef* r) {
    int n = 0;
    while (n < len && s[n] != '/') n++;
    if (!scn_is_name(s, n) || n >= SCN_NAME_LEN || len >= SCN_NAME_LEN) return false;
    memcpy(r->root, s, (size_t)n);
    r->root[n] = 0;
    memcpy(r->name, s, (size_t)len);
    r->name[len] = 0;
    snprintf(r->world, sizeof r->world, "%s", r->root);
    r->piece = n < len;
    /* each /K: piece K of what came before */
    for (int i = n; i < len;) {
        int k = 0, digits = 0;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9' && digits < 4; i++, digits++) k = 10 * k + (s[i] - '0');
        if (digits == 0 || (i < len && s[i] != '/')) return false;
        char piece[SIM_NAME_MAX];
        sim_shard_name(r->world, k, piece);
        memcpy(r->world, piece, sizeof piece);
    }
    r->decl = -1;
    return true;
}

static bool parse_ref(Parser* p, ScnRef* r) {
    r->line = p->line;
    r->col = cur_col(p);
    r->decl = -1;
    const ScnTok* t = cur(p);
    if (t && t->len < SCN_NAME_LEN && memchr(t->s, '/', (size_t)t->len) && ref_from_text(t->s, t->len, r)) {
        p->i++;
        return true;
    }
    if (!parse_name(p, r->name, "a body name (or NAME/K for piece K of a broken body)")) return false;
    return ref_from_text(r->name, (int)strlen(r->name), r);
}

/* ---- world ---- */

enum { W_GRAVITY, W_DT, W_TICKS, W_ITERATIONS, W_BOUNDS, W_SHARDS, W_SECONDS, W_SEED, W_SUBSTEPS, W_SLEEP, W_COUNT };
static const char* world_keys[W_COUNT] = {"gravity", "dt",      "ticks",   "iterations", "bounds",
                                          "shards",  "seconds", "seed",    "substeps",   "sleep"};

/* an expression that must not read parameters (world seed, world seconds) */
static bool parse_const(Parser* p, ScnNum* n, const char* what, double* v) {
    int col = cur_col(p);
    if (!parse_num(p, n, what)) return false;
    if (scn_expr_uses_params(&p->s->pool, n->e)) {
        scn_err_set(p->e, p->line, col, "expected a constant for %s, got an expression with $parameters", what);
        return false;
    }
    return scn_expr_eval(&p->s->pool, n->e, NULL, v, p->e);
}

static bool parse_world(Parser* p) {
    Scenario* s = p->s;
    ScnWorldDecl* w = &s->world;
    int key = -1, col = cur_col(p);
    for (int k = 0; k < W_COUNT && !at_end(p); k++)
        if (cur_is(p, world_keys[k])) key = k;
    if (key < 0)
        return fail_expected(p, "a world setting (gravity, dt, ticks, substeps, iterations, sleep, "
                                "bounds, shards, seconds, seed)");
    if (w->line[key]) {
        scn_err_set(p->e, p->line, col, "expected each world setting once, got a second 'world %s' (first at line %d)",
                    world_keys[key], w->line[key]);
        return false;
    }
    w->line[key] = p->line;
    p->i++;
    switch (key) {
    case W_GRAVITY:
        if (!parse_num(p, &w->gx, "gravity GX (m/s^2)") || !parse_num(p, &w->gy, "gravity GY (m/s^2)"))
            return false;
        break;
    case W_DT:
        if (!parse_num(p, &w->dt, "a physics step dt (s)")) return false;
        break;
    case W_TICKS:
        if (!parse_num(p, &w->ticks, "physics steps per control tick")) return false;
        break;
    case W_ITERATIONS:
        if (!parse_num(p, &w->iterations, "solver iterations per substep")) return false;
        break;
    case W_SUBSTEPS:
        if (!parse_num(p, &w->substeps, "solver substeps per physics step")) return false;
        break;
    case W_SLEEP:
        if (!parse_num(p, &w->sleep, "a sleep time (s, 0 = never)")) return false;
        break;
    case W_BOUNDS: {
        static const char* what[4] = {"bounds XMIN (m)", "bounds YMIN (m)", "bounds XMAX (m)",
                                      "bounds YMAX (m)"};
        for (int k = 0; k < 4; k++)
            if (!parse_num(p, &w->bounds[k], what[k])) return false;
        break;
    }
    case W_SHARDS:
        if (!parse_num(p, &w->shards, "a shard count (2..8)")) return false;
        break;
    case W_SECONDS: {
        int vcol = cur_col(p);
        double v;
        if (!parse_const(p, &w->seconds, "a run length in seconds", &v)) return false;
        if (!(v > 0 && v <= 1e5)) {
            scn_err_set(p->e, p->line, vcol, "expected a run length in (0, 100000] s, got %g", v);
            return false;
        }
        s->seconds = v;
        break;
    }
    case W_SEED: {
        int vcol = cur_col(p);
        double v;
        if (!parse_const(p, &w->seed, "a seed (an integer >= 0)", &v)) return false;
        if (!(v >= 0 && v <= 9007199254740992.0 && v == (double)(uint64_t)v)) {
            scn_err_set(p->e, p->line, vcol, "expected a seed (an integer in 0..2^53), got %g", v);
            return false;
        }
        s->seed = (uint64_t)v;
        break;
    }
    default: break;
    }
    return expect_eol(p);
}

/* ---- param, let ---- */

/* a new parameter name (parameters and derived constants share one namespace) */
static bool parse_new_param_name(Parser* p, char name[SCN_NAME_LEN], int* col) {
    Scenario* s = p->s;
    *col = cur_col(p);
    if (!parse_name(p, name, "a parameter name")) return false;
    for (int k = 0; k < s->nparams; k++) {
        if (!strcmp(s->params[k].name, name)) {
            scn_err_set(p->e, p->line, *col,
                        "expected a new parameter name, got duplicate %s '%s' (first at line %d)",
                        s->params[k].dist == SCN_DIST_LET ? "let" : "param", name, s->params[k].line);
            return false;
        }
    }
    return true;
}

/* adds a declaration and its name (visible to the expressions below it) */
static void add_param(Parser* p, const ScnParamDecl* d) {
    Scenario* s = p->s;
    s->pnames = alloc_resize(s->pnames, (size_t)s->nparams + 1, sizeof *s->pnames);
    memcpy(s->pnames[s->nparams], d->name, SCN_NAME_LEN);
    s->ptypes = alloc_resize(s->ptypes, (size_t)s->nparams + 1, sizeof *s->ptypes);
    s->ptypes[s->nparams] = (uint8_t)d->type;
    ScnParamDecl* slot = GROW(s, params, nparams, cap_params);
    *slot = *d;
}

/* one choice: a number, a kind or a material, of the same type as the first (*type < 0: any) */
static bool parse_choice(Parser* p, ScnNum* out, int* type) {
    const ScnTok* t = cur(p);
    static const char* what[3] = {"a number to choose from, like the first choice",
                                  "a kind to choose from, like the first choice",
                                  "a material to choose from, like the first choice"};
    if (*type >= 0) {
        if (!parse_typed_span(p, t->s, t->len, t->col, out, (ScnType)*type, what[*type])) return false;
    } else {
        ScnNames names = param_names(p);
        int root = scn_expr_parse(&p->s->pool, t->s, t->len, p->line, t->col, &names, p->e);
        if (root < 0) return false;
        out->e = root;
        out->line = p->line;
        out->col = t->col;
        *type = (int)scn_expr_type(&p->s->pool, root);
    }
    p->i++;
    return true;
}

/* a new declaration, named at the current token */
static bool param_begin(Parser* p, ScnParamDecl* d) {
    memset(d, 0, sizeof *d);
    d->line = p->line;
    d->type = SCN_TYPE_NUMBER;
    d->b.e = d->clamp_lo.e = d->clamp_hi.e = -1;
    return parse_new_param_name(p, d->name, &d->col);
}

/* the rest of the line from the current token, as one expression's text (if, let) */
static int rest_of_line(const Parser* p, const ScnTok** first) {
    const ScnTok* last = &p->t[p->n - 1];
    *first = cur(p);
    return (int)(last->s + last->len - (*first)->s);
}

static bool parse_param(Parser* p) {
    Scenario* s = p->s;
    ScnParamDecl d;
    if (!param_begin(p, &d)) return false;
    /* arguments may use the parameters declared above, not this one */
    if (cur_is(p, "uniform") || cur_is(p, "int")) {
        d.dist = cur_is(p, "uniform") ? SCN_DIST_UNIFORM : SCN_DIST_INT;
        p->i++;
        if (!parse_num(p, &d.a, "a low bound LO") || !parse_num(p, &d.b, "a high bound HI"))
            return false;
    } else if (cur_is(p, "normal")) {
        d.dist = SCN_DIST_NORMAL;
        p->i++;
        if (!parse_num(p, &d.a, "a mean") || !parse_num(p, &d.b, "a standard deviation"))
            return false;
        if (cur_is(p, "clamp")) {
            p->i++;
            if (!parse_num(p, &d.clamp_lo, "a clamp low bound LO") ||
                !parse_num(p, &d.clamp_hi, "a clamp high bound HI"))
                return false;
        }
    } else if (cur_is(p, "choice")) {
        d.dist = SCN_DIST_CHOICE;
        p->i++;
        d.first = s->nnums;
        if (at_end(p)) return fail_expected(p, "at least one value to choose from");
        int type = -1;
        while (!at_end(p)) {
            ScnNum* v = GROW(s, nums, nnums, cap_nums);
            if (!parse_choice(p, v, &type)) return false;
            d.count++;
        }
        d.type = (ScnType)type;
    } else {
        return fail_expected(p, "a distribution (uniform, int, choice, normal)");
    }
    if (!expect_eol(p)) return false;
    add_param(p, &d);
    return true;
}

/* let NAME = EXPR: a derived constant, computed from the parameters above it (no draw); the rest
   of the line is the expression */
static bool parse_let(Parser* p) {
    ScnParamDecl d;
    if (!param_begin(p, &d)) return false;
    d.dist = SCN_DIST_LET;
    if (!cur_is(p, "=")) return fail_expected(p, "'=' after the name");
    p->i++;
    if (at_end(p)) return fail_expected(p, "an expression after '='");
    const ScnTok* first;
    int len = rest_of_line(p, &first);
    ScnNames names = param_names(p);
    int root = scn_expr_parse(&p->s->pool, first->s, len, p->line, first->col, &names, p->e);
    if (root < 0) return false;
    d.a.e = root;
    d.a.line = p->line;
    d.a.col = first->col;
    d.type = scn_expr_type(&p->s->pool, root);
    p->i = p->n;
    add_param(p, &d);
    return true;
}

/* ---- body ---- */

static void kinds_list(char* buf, size_t size) {
    buf[0] = 0;
    for (int k = 0; k < SIM_KIND_COUNT; k++) {
        if (k == SIM_KIND_SHARD) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used ? ", " : "", sim_kind_name((SimKind)k));
    }
}

static void materials_list(char* buf, size_t size) {
    buf[0] = 0;
    for (int k = 0; k < sim_material_count(); k++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used ? ", " : "", sim_material_get(k)->name);
    }
}

/* the word at the current token (empty when it is not a plain name that fits) */
static void cur_word(const Parser* p, char word[SCN_NAME_LEN]) {
    word[0] = 0;
    const ScnTok* t = cur(p);
    if (t && t->len < SCN_NAME_LEN && scn_is_name(t->s, t->len)) scn_tok_str(t, word, SCN_NAME_LEN);
}

/* a constant kind or material expression's value, -1 when a parameter chooses it */
static int slot_constant(Parser* p, const ScnNum* n) {
    double v;
    if (scn_expr_uses_params(&p->s->pool, n->e) || !scn_expr_eval(&p->s->pool, n->e, NULL, &v, p->e)) return -1;
    return (int)v;
}

static bool parse_kind_slot(Parser* p, ScnBodyDecl* b) {
    char list[160], word[SCN_NAME_LEN], what[200];
    kinds_list(list, sizeof list);
    snprintf(what, sizeof what, "a body kind (%s)", list);
    cur_word(p, word);
    const ScnTok* t = cur(p);
    if (!t) return fail_expected(p, what);
    if (!strcmp(word, "shard")) {
        scn_err_set(p->e, p->line, t->col, "expected %s, got 'shard' (shards come only from breaking)", what);
        return false;
    }
    /* a plain word must be a kind (a material there is most likely a missing kind) */
    if (scn_is_name(t->s, t->len) && (!word[0] || sim_kind_find(word) < 0)) return fail_expected(p, what);
    if (!parse_typed_span(p, t->s, t->len, t->col, &b->kind_e, SCN_TYPE_KIND, what)) return false;
    p->i++;
    b->kind = slot_constant(p, &b->kind_e);
    return true;
}

static bool parse_material_slot(Parser* p, ScnBodyDecl* b) {
    char list[160], word[SCN_NAME_LEN], what[200];
    materials_list(list, sizeof list);
    snprintf(what, sizeof what, "a material (%s)", list);
    cur_word(p, word);
    const ScnTok* t = cur(p);
    if (!t) return fail_expected(p, what);
    if (scn_is_name(t->s, t->len) && (!word[0] || sim_material_find(word) < 0)) return fail_expected(p, what);
    if (!parse_typed_span(p, t->s, t->len, t->col, &b->material_e, SCN_TYPE_MATERIAL, what)) return false;
    p->i++;
    b->material = slot_constant(p, &b->material_e);
    return true;
}

/* on SUPPORT [from X0 to X1]: the support is a body declared above that is there from the start */
static bool parse_on(Parser* p, ScnBodyDecl* b, int fcol) {
    Scenario* s = p->s;
    if (b->spawned) {
        scn_err_set(p->e, p->line, fcol, "expected 'pos X Y' for a spawned body, got 'on' (placement is for the start)");
        return false;
    }
    char name[SCN_NAME_LEN];
    int col = cur_col(p);
    if (!parse_name(p, name, "a support: a body declared above")) return false;
    b->on = -1;
    for (int k = 0; k < s->nbodies; k++)
        if (!strcmp(s->bodies[k].name, name)) b->on = k;
    if (b->on < 0) {
        scn_err_set(p->e, p->line, col, "expected a support declared above, got '%s'", name);
        return false;
    }
    if (s->bodies[b->on].spawned) {
        scn_err_set(p->e, p->line, col, "expected a support that is there from the start, got spawned body '%s'", name);
        return false;
    }
    if (cur_is(p, "from")) {
        p->i++;
        if (!parse_num(p, &b->on_from, "from X0 (m)")) return false;
        if (!cur_is(p, "to")) return fail_expected(p, "'to X1' after 'from X0'");
        p->i++;
        if (!parse_num(p, &b->on_to, "to X1 (m)")) return false;
    }
    return true;
}

bool scn_body_name_ok(const char* name) {
    /* words that expectations read as keywords where a body name may stand */
    static const char* reserved[] = {"not", "before", "after", "near", "between"};
    size_t n = strlen(name);
    if (n >= SCN_NAME_LEN || !scn_is_name(name, (int)n)) return false;
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
        if (!strcmp(name, reserved[k])) return false;
    return true;
}

/* 'body NAME ...', or the same after 'at T spawn' (spawned): appended to the declarations */
static bool parse_body(Parser* p, bool spawned) {
    Scenario* s = p->s;
    ScnBodyDecl b;
    memset(&b, 0, sizeof b);
    b.spawned = spawned;
    b.line = p->line;
    b.col = cur_col(p);
    if (s->nbodies >= SCN_MAX_BODIES) {
        scn_err_set(p->e, p->line, 1, "expected at most %d bodies in a scenario, got more", SCN_MAX_BODIES);
        return false;
    }
    b.x.e = b.y.e = b.w.e = b.h.e = b.radius.e = b.angle.e = -1;
    b.vx.e = b.vy.e = b.spin.e = b.cond.e = -1;
    b.on = -1;
    b.on_from.e = b.on_to.e = -1;
    if (!parse_name(p, b.name, spawned ? "a name for the spawned body" : "a body name")) return false;
    if (!scn_body_name_ok(b.name)) {
        scn_err_set(p->e, p->line, b.col, "expected a body name, got the reserved word '%s'", b.name);
        return false;
    }
    for (int k = 0; k < s->nbodies; k++) {
        if (!strcmp(s->bodies[k].name, b.name)) {
            scn_err_set(p->e, p->line, b.col,
                        "expected a new body name, got duplicate body '%s' (first at line %d)",
                        b.name, s->bodies[k].line);
            return false;
        }
    }
    /* kind and material: a name, or an expression of that type ($k, pick(...)) */
    if (!parse_kind_slot(p, &b) || !parse_material_slot(p, &b)) return false;
    /* fields, in any order */
    bool is_ball = b.kind == SIM_KIND_BALL;
    while (!at_end(p)) {
        const ScnTok* t = cur(p);
        int fcol = t->col;
        char fname[16];
        scn_tok_str(t, fname, sizeof fname);
        ScnNum* dup = NULL;
        bool is_static_dup = false;
        bool on_dup = false;
        if (scn_tok_is(t, "pos") || scn_tok_is(t, "on")) {
            /* a position, or a place found on a support: one of the two */
            on_dup = b.x.e >= 0 || b.on >= 0;
            if (on_dup && ((b.x.e >= 0) != scn_tok_is(t, "pos"))) {
                scn_err_set(p->e, p->line, fcol, "expected either 'pos X Y' or 'on SUPPORT', got both");
                return false;
            }
        } else if (scn_tok_is(t, "size")) dup = &b.w;
        else if (scn_tok_is(t, "radius")) dup = &b.radius;
        else if (scn_tok_is(t, "angle")) dup = &b.angle;
        else if (scn_tok_is(t, "vel")) dup = &b.vx;
        else if (scn_tok_is(t, "spin")) dup = &b.spin;
        else if (scn_tok_is(t, "static")) is_static_dup = b.is_static;
        else if (!scn_tok_is(t, "if"))
            return fail_expected(p, "a body field (pos, on, size, radius, angle, vel, spin, static, if)");
        if ((dup && dup->e >= 0) || is_static_dup || on_dup) {
            scn_err_set(p->e, p->line, fcol, "expected each field once, got a second '%s'", fname);
            return false;
        }
        p->i++;
        if (scn_tok_is(t, "pos")) {
            if (!parse_num(p, &b.x, "pos X (m)") || !parse_num(p, &b.y, "pos Y (m)")) return false;
        } else if (scn_tok_is(t, "on")) {
            b.on_col = fcol;
            if (!parse_on(p, &b, fcol)) return false;
        } else if (scn_tok_is(t, "size")) {
            if (b.radius.e >= 0) {
                scn_err_set(p->e, p->line, fcol, "expected either radius or size for a ball, got both");
                return false;
            }
            if (!parse_num(p, &b.w, "size W (m)") || !parse_num(p, &b.h, "size H (m)")) return false;
        } else if (scn_tok_is(t, "radius")) {
            if (!is_ball) {
                if (b.kind < 0)
                    scn_err_set(p->e, p->line, fcol,
                                "expected 'size W H' for a body whose kind a parameter chooses, got 'radius' "
                                "(radius is for balls; a ball takes 'size D D')");
                else
                    scn_err_set(p->e, p->line, fcol,
                                "expected 'size W H' for a %s, got 'radius' (radius is for balls)",
                                sim_kind_name((SimKind)b.kind));
                return false;
            }
            if (b.w.e >= 0) {
                scn_err_set(p->e, p->line, fcol, "expected either radius or size for a ball, got both");
                return false;
            }
            if (!parse_num(p, &b.radius, "a radius R (m)")) return false;
        } else if (scn_tok_is(t, "angle")) {
            if (!parse_num(p, &b.angle, "an angle (degrees)")) return false;
        } else if (scn_tok_is(t, "vel")) {
            if (!parse_num(p, &b.vx, "vel VX (m/s)") || !parse_num(p, &b.vy, "vel VY (m/s)"))
                return false;
        } else if (scn_tok_is(t, "spin")) {
            if (!parse_num(p, &b.spin, "a spin OMEGA (rad/s)")) return false;
        } else if (scn_tok_is(t, "static")) {
            b.is_static = true;
        } else {
            /* if EXPR: the rest of the line is the expression */
            if (at_end(p)) return fail_expected(p, "an expression after 'if'");
            const ScnTok* first;
            int len = rest_of_line(p, &first);
            if (!parse_num_span(p, first->s, len, first->col, &b.cond, "a condition (a number: 0 is false)"))
                return false;
            p->i = p->n;
        }
    }
    if (b.x.e < 0 && b.on < 0) {
        scn_err_set(p->e, p->line, p->eol_col, "expected 'pos X Y' or 'on SUPPORT' for body '%s', got end of line",
                    b.name);
        return false;
    }
    if (b.on >= 0 && b.angle.e >= 0) {
        scn_err_set(p->e, p->line, b.angle.col, "expected no 'angle' for a body placed 'on' a support (it starts level)");
        return false;
    }
    if (b.w.e < 0 && b.radius.e < 0) {
        scn_err_set(p->e, p->line, p->eol_col, "expected '%s' for body '%s', got end of line",
                    is_ball ? "radius R' or 'size D D" : "size W H", b.name);
        return false;
    }
    ScnBodyDecl* slot = GROW(s, bodies, nbodies, cap_bodies);
    *slot = b;
    return true;
}

/* ---- at T push|grab|release|spawn ... ---- */

static bool add_action(Parser* p, const ScnActionDecl* a) {
    ScnActionDecl* slot = GROW(p->s, actions, nactions, cap_actions);
    *slot = *a;
    return true;
}

/* push BODY JX JY [offset PX PY] (after 'push') */
static bool parse_push(Parser* p, ScnActionDecl* a) {
    a->kind = SCN_ACT_PUSH;
    a->px.e = a->py.e = -1;
    if (!parse_ref(p, &a->body)) return false;
    if (!parse_num(p, &a->jx, "an impulse JX (N*s)") || !parse_num(p, &a->jy, "an impulse JY (N*s)"))
        return false;
    if (cur_is(p, "offset")) {
        p->i++;
        if (!parse_num(p, &a->px, "an offset PX (m)") || !parse_num(p, &a->py, "an offset PY (m)"))
            return false;
    }
    return true;
}

/* the end of a magic line: [ if EXPR ] (the rest of the line is the condition) */
static bool parse_magic_end(Parser* p, ScnActionDecl* a) {
    if (cur_is(p, "if")) {
        p->i++;
        if (at_end(p)) return fail_expected(p, "an expression after 'if'");
        const ScnTok* first;
        int len = rest_of_line(p, &first);
        if (!parse_num_span(p, first->s, len, first->col, &a->cond, "a condition (a number: 0 is false)"))
            return false;
        p->i = p->n;
    }
    return expect_eol(p);
}

/* the rest of a magic line, after its keyword (scenarios/README.md, "Magic") */
static bool parse_magic(Parser* p, ScnActionDecl* a) {
    switch ((SimMagicKind)a->magic) {
    case SIM_MAGIC_APPEAR:
        /* a body from nothing: its fields run to the end of the line, as a spawn's */
        a->spawn = p->s->nbodies;
        return parse_body(p, true);
    case SIM_MAGIC_GRAVITY:
        return parse_num(p, &a->x, "a gravity GX (m/s^2)") && parse_num(p, &a->y, "a gravity GY (m/s^2)") &&
               parse_magic_end(p, a);
    case SIM_MAGIC_TELEPORT:
        return parse_ref(p, &a->body) && parse_num(p, &a->x, "the place X (m)") &&
               parse_num(p, &a->y, "the place Y (m)") && parse_magic_end(p, a);
    case SIM_MAGIC_DRIFT:
        return parse_ref(p, &a->body) && parse_num(p, &a->x, "a velocity change VX (m/s)") &&
               parse_num(p, &a->y, "a velocity change VY (m/s)") && parse_magic_end(p, a);
    case SIM_MAGIC_MASS:
        if (!parse_ref(p, &a->body) || !parse_num(p, &a->jx, "a mass FACTOR")) return false;
        if (cur_is(p, "shown") || cur_is(p, "hidden")) a->flag = cur_is(p, "shown"), p->i++;
        return parse_magic_end(p, a);
    case SIM_MAGIC_GHOST:
        if (!parse_ref(p, &a->body)) return false;
        if (!cur_is(p, "on") && !cur_is(p, "off")) return fail_expected(p, "'on' or 'off' after the ghost's body");
        a->flag = cur_is(p, "on");
        p->i++;
        return parse_magic_end(p, a);
    default: /* vanish, freeze, unbreakable: a body */
        return parse_ref(p, &a->body) && parse_magic_end(p, a);
    }
}

static bool parse_at(Parser* p) {
    ScnActionDecl a;
    memset(&a, 0, sizeof a);
    a.line = p->line;
    a.col = p->t[0].col;
    a.px.e = a.py.e = a.x.e = a.y.e = a.ax.e = a.ay.e = a.jx.e = a.jy.e = -1;
    a.spawn = -1;
    a.cond.e = -1;
    if (!parse_num(p, &a.t, "a time T (s)")) return false;
    if (cur_is(p, "push")) {
        /* pushes joined by 'and' go out in the same tick */
        for (;;) {
            p->i++;
            if (!parse_push(p, &a) || !add_action(p, &a)) return false;
            if (!cur_is(p, "and")) break;
            p->i++;
            if (!cur_is(p, "push")) return fail_expected(p, "'push' after 'and'");
        }
        return expect_eol(p);
    }
    if (cur_is(p, "grab")) {
        p->i++;
        a.kind = SCN_ACT_GRAB;
        if (!parse_ref(p, &a.body) || !parse_num(p, &a.x, "the hand's X (m)") ||
            !parse_num(p, &a.y, "the hand's Y (m)"))
            return false;
        if (cur_is(p, "anchor")) {
            p->i++;
            if (!parse_num(p, &a.ax, "an anchor AX (m, body frame)") ||
                !parse_num(p, &a.ay, "an anchor AY (m, body frame)"))
                return false;
        }
        return expect_eol(p) && add_action(p, &a);
    }
    if (cur_is(p, "release")) {
        p->i++;
        a.kind = SCN_ACT_RELEASE;
        return parse_ref(p, &a.body) && expect_eol(p) && add_action(p, &a);
    }
    if (cur_is(p, "spawn")) {
        p->i++;
        a.kind = SCN_ACT_SPAWN;
        a.spawn = p->s->nbodies;
        /* the body's fields run to the end of the line */
        return parse_body(p, true) && add_action(p, &a);
    }
    if (p->i < p->n) {
        char word[32];
        snprintf(word, sizeof word, "%.*s", p->t[p->i].len < 31 ? p->t[p->i].len : 31, p->t[p->i].s);
        int magic = sim_magic_find(word);
        if (magic > 0) {
            p->i++;
            a.kind = SCN_ACT_MAGIC;
            a.magic = magic;
            return parse_magic(p, &a) && add_action(p, &a);
        }
    }
    return fail_expected(p, "an action (push, grab, release, spawn, or magic: teleport, vanish, appear, freeze, "
                            "mass, gravity, ghost, unbreakable, drift)");
}

/* ---- agent ---- */

/* an agent's field: keyword, the numbers it takes, and what they are called in messages */
typedef struct AgentKey {
    const char* word;
    size_t      offset;      /* of the first ScnNum in ScnAgentDecl */
    int         count;       /* 1 or 2 numbers */
    const char* what[2];
} AgentKey;

#define AGENT_KEY(w, field, n, a, b) {w, offsetof(ScnAgentDecl, field), n, {a, b}}
static const AgentKey random_keys[] = {
    AGENT_KEY("every", every_lo, 2, "every LO (s)", "every HI (s)"),
    AGENT_KEY("dv", dv_lo, 2, "dv LO (m/s)", "dv HI (m/s)"),
    AGENT_KEY("angle", angle, 1, "an angle (degrees)", NULL),
    AGENT_KEY("start", start, 1, "a start time (s)", NULL),
    AGENT_KEY("height", height, 1, "a height fraction (0..1)", NULL),
    AGENT_KEY("pushes", pushes, 1, "a push budget (pushes per episode)", NULL),
    AGENT_KEY("impulse", impulse, 1, "an impulse limit (N*s)", NULL),
};
static const AgentKey planner_keys[] = {
    AGENT_KEY("samples", samples, 1, "a number of samples", NULL),
    AGENT_KEY("iters", iters, 1, "a number of iterations", NULL),
    AGENT_KEY("horizon", horizon, 1, "a horizon (control ticks)", NULL),
    AGENT_KEY("every", replan, 1, "control ticks between decisions", NULL),
    AGENT_KEY("elites", elites, 1, "a number of elites", NULL),
    AGENT_KEY("pushes", pushes, 1, "a push budget (pushes per episode)", NULL),
    AGENT_KEY("impulse", impulse, 1, "an impulse limit (N*s)", NULL),
    AGENT_KEY("cost", cost, 1, "a cost per push", NULL),
};

static bool parse_agent(Parser* p) {
    ScnAgentDecl* a = &p->s->agent;
    if (a->declared) {
        scn_err_set(p->e, p->line, p->t[0].col, "expected one agent line, got a second (first at line %d)",
                    a->line);
        return false;
    }
    ScnAgentDecl d;
    memset(&d, 0, sizeof d);
    d.declared = true;
    d.line = p->line;
    d.col = p->t[0].col;
    ScnNum* nums[] = {&d.every_lo, &d.every_hi, &d.dv_lo, &d.dv_hi, &d.angle, &d.start, &d.height,
                      &d.pushes, &d.impulse, &d.samples, &d.iters, &d.horizon, &d.replan, &d.elites,
                      &d.cost};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) nums[k]->e = -1;
    const AgentKey* keys = NULL;
    int nkeys = 0;
    const char* list = "";
    if (cur_is(p, "none")) {
        d.kind = SCN_AGENT_NONE;
    } else if (cur_is(p, "scripted")) {
        d.kind = SCN_AGENT_SCRIPTED;
    } else if (cur_is(p, "random")) {
        d.kind = SCN_AGENT_RANDOM;
        keys = random_keys;
        nkeys = (int)(sizeof random_keys / sizeof random_keys[0]);
        list = "an agent field (every, dv, angle, start, height, pushes, impulse)";
    } else if (cur_is(p, "planner") || cur_is(p, "oracle")) {
        d.kind = cur_is(p, "planner") ? SCN_AGENT_PLANNER : SCN_AGENT_ORACLE;
        keys = planner_keys;
        nkeys = (int)(sizeof planner_keys / sizeof planner_keys[0]);
        list = "a planner field (samples, iters, horizon, every, elites, pushes, impulse, cost)";
    } else {
        return fail_expected(p, "an agent (random, planner, oracle, scripted, none)");
    }
    p->i++;
    while (!at_end(p)) {
        const AgentKey* key = NULL;
        for (int k = 0; k < nkeys; k++)
            if (cur_is(p, keys[k].word)) key = &keys[k];
        if (!key) return keys ? fail_expected(p, list) : fail_expected(p, "end of line");
        ScnNum* slot = (ScnNum*)((char*)&d + key->offset);
        if (slot->e >= 0) {
            scn_err_set(p->e, p->line, cur_col(p), "expected each field once, got a second '%s'", key->word);
            return false;
        }
        p->i++;
        for (int j = 0; j < key->count; j++)
            if (!parse_num(p, slot + j, key->what[j])) return false;
    }
    *a = d;
    return true;
}

/* ---- expect ---- */

static bool parse_field_name(Parser* p, const char* s, int len, int col, ScnField* out) {
    for (int f = 0; f < SCN_FIELD_COUNT; f++) {
        if ((int)strlen(field_names[f]) == len && !memcmp(field_names[f], s, (size_t)len)) {
            *out = (ScnField)f;
            return true;
        }
    }
    scn_err_set(p->e, p->line, col,
                "expected a field (x, y, angle, vx, vy, omega, speed, moved), got '%.*s'",
                len > 32 ? 32 : len, s);
    return false;
}

/* BODY.FIELD in one token */
static bool parse_body_field(Parser* p, ScnRef* r, ScnField* f) {
    const ScnTok* t = cur(p);
    if (!t) return fail_expected(p, "BODY.FIELD");
    const char* dot = memchr(t->s, '.', (size_t)t->len);
    if (!dot) return fail_expected(p, "BODY.FIELD (e.g. box.x)");
    int nlen = (int)(dot - t->s);
    if (nlen >= SCN_NAME_LEN) {
        scn_err_set(p->e, p->line, t->col, "expected a name of at most %d characters", SCN_NAME_LEN - 1);
        return false;
    }
    if (!ref_from_text(t->s, nlen, r)) return fail_expected(p, "BODY.FIELD (e.g. box.x)");
    r->line = p->line;
    r->col = t->col;
    if (!parse_field_name(p, dot + 1, t->len - nlen - 1, t->col + nlen + 1, f)) return false;
    p->i++;
    return true;
}

/* TEST: near V TOL | < V | <= V | > V | >= V (the operator may touch the value: "<0.05") */
static bool parse_test(Parser* p, ScnTest* test) {
    test->tol.e = -1;
    test->pct = false;
    const ScnTok* t = cur(p);
    if (!t) return fail_expected(p, "a test (near V TOL, < V, <= V, > V, >= V)");
    if (scn_tok_is(t, "near")) {
        test->op = SCN_TEST_NEAR;
        p->i++;
        return parse_num(p, &test->v, "a value V") && parse_tol(p, &test->tol, &test->pct, "a tolerance TOL (a number or N%)");
    }
    int oplen = 0;
    if (t->len >= 2 && t->s[0] == '<' && t->s[1] == '=') test->op = SCN_TEST_LE, oplen = 2;
    else if (t->len >= 2 && t->s[0] == '>' && t->s[1] == '=') test->op = SCN_TEST_GE, oplen = 2;
    else if (t->len >= 1 && t->s[0] == '<') test->op = SCN_TEST_LT, oplen = 1;
    else if (t->len >= 1 && t->s[0] == '>') test->op = SCN_TEST_GT, oplen = 1;
    else return fail_expected(p, "a test (near V TOL, < V, <= V, > V, >= V)");
    if (t->len > oplen) {
        if (!parse_num_span(p, t->s + oplen, t->len - oplen, t->col + oplen, &test->v, "a value V")) return false;
        p->i++;
        return true;
    }
    p->i++;
    return parse_num(p, &test->v, "a value V");
}

/* in XMIN YMIN XMAX YMAX (after 'in') */
static bool parse_region(Parser* p, ScnCond* c) {
    static const char* what[4] = {"a region XMIN (m)", "a region YMIN (m)", "a region XMAX (m)",
                                  "a region YMAX (m)"};
    c->is_region = true;
    for (int k = 0; k < 4; k++)
        if (!parse_num(p, &c->region[k], what[k])) return false;
    return true;
}

/* COND: [not] BODY.FIELD TEST | [not] BODY STATE | [not] BODY in XMIN YMIN XMAX YMAX */
static bool parse_cond(Parser* p, ScnCond* c) {
    memset(c, 0, sizeof *c);
    if (cur_is(p, "not")) {
        c->negate = true;
        p->i++;
    }
    const ScnTok* t = cur(p);
    if (!t) return fail_expected(p, "a condition (BODY.FIELD near V TOL, BODY broken, ...)");
    if (memchr(t->s, '.', (size_t)t->len)) {
        c->is_field = true;
        return parse_body_field(p, &c->body, &c->field) && parse_test(p, &c->test);
    }
    if (!parse_ref(p, &c->body)) return false;
    if (cur_is(p, "in")) {
        p->i++;
        return parse_region(p, c);
    }
    for (int k = 0; k < SCN_STATE_COUNT; k++) {
        if (cur_is(p, state_names[k])) {
            c->state = (ScnState)k;
            p->i++;
            return true;
        }
    }
    return fail_expected(p, "a state (broken, out_of_bounds, resting, fell, alive), 'in XMIN YMIN "
                            "XMAX YMAX' or BODY.FIELD");
}

static bool parse_event_type(Parser* p, int* type) {
    char list[128] = "", word[SCN_NAME_LEN] = "";
    if (!at_end(p) && cur(p)->len < SCN_NAME_LEN) scn_tok_str(cur(p), word, sizeof word);
    *type = word[0] ? sim_event_find(word) : -1;
    if (*type >= 0) {
        p->i++;
        return true;
    }
    for (int k = 0; k < SIM_EV_COUNT; k++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", sim_event_name((SimEventType)k));
    }
    char what[160];
    snprintf(what, sizeof what, "an event type (%s)", list);
    return fail_expected(p, what);
}

static bool is_when_word(const Parser* p) {
    return cur_is(p, "before") || cur_is(p, "after") || cur_is(p, "near") || cur_is(p, "between");
}

/* the statement as written (for verdicts), "..." at the end when it does not fit */
static void statement_text(const Parser* p, char* out, size_t size) {
    const ScnTok* last = &p->t[p->n - 1];
    size_t len = (size_t)(last->s + last->len - p->t[0].s);
    if (len >= size) {
        memcpy(out, p->t[0].s, size - 4);
        memcpy(out + size - 4, "...", 4);
    } else {
        memcpy(out, p->t[0].s, len);
        out[len] = 0;
    }
}

/* an expectation (or a goal) of this line with nothing parsed yet */
static void expect_start(const Parser* p, ScnExpect* x) {
    memset(x, 0, sizeof *x);
    x->line = p->line;
    x->col = p->t[0].col;
    x->t1.e = x->t2.e = x->tol.e = -1;
    x->other.decl = -1;
    x->test.v.e = x->test.tol.e = -1;
    statement_text(p, x->text, sizeof x->text);
}

static bool parse_expect(Parser* p) {
    Scenario* s = p->s;
    ScnExpect x;
    expect_start(p, &x);
    if (cur_is(p, "at") || cur_is(p, "by")) {
        x.kind = cur_is(p, "at") ? SCN_EXPECT_AT : SCN_EXPECT_BY;
        p->i++;
        if (!parse_num(p, &x.t1, "a time T (s)") || !parse_cond(p, &x.cond)) return false;
    } else if (cur_is(p, "never") || cur_is(p, "always")) {
        x.kind = cur_is(p, "never") ? SCN_EXPECT_NEVER : SCN_EXPECT_ALWAYS;
        p->i++;
        if (!parse_cond(p, &x.cond)) return false;
    } else if (cur_is(p, "event")) {
        x.kind = SCN_EXPECT_EVENT;
        p->i++;
        if (!parse_event_type(p, &x.event) || !parse_ref(p, &x.body)) return false;
        if (!at_end(p) && !is_when_word(p) && x.event == SIM_EV_CONTACT) {
            if (!parse_ref(p, &x.other)) return false;
        }
        if (cur_is(p, "before") || cur_is(p, "after")) {
            x.when = cur_is(p, "before") ? SCN_WHEN_BEFORE : SCN_WHEN_AFTER;
            p->i++;
            if (!parse_num(p, &x.t1, "a time T (s)")) return false;
        } else if (cur_is(p, "near")) {
            x.when = SCN_WHEN_NEAR;
            p->i++;
            if (!parse_num(p, &x.t1, "a time T (s)") ||
                !parse_tol(p, &x.tol, &x.tol_pct, "a tolerance TOL (s or N%)"))
                return false;
        } else if (cur_is(p, "between")) {
            x.when = SCN_WHEN_BETWEEN;
            p->i++;
            if (!parse_num(p, &x.t1, "a time T1 (s)") || !parse_num(p, &x.t2, "a time T2 (s)"))
                return false;
        } else {
            return fail_expected(p, x.event == SIM_EV_CONTACT && x.other.name[0] == 0
                                        ? "another body, before, after, near or between"
                                        : "before, after, near or between");
        }
    } else if (cur_is(p, "model")) {
        /* judged by nudge check --model: the model's prediction of what happens */
        p->i++;
        if (cur_is(p, "predicts")) {
            x.kind = SCN_EXPECT_MODEL_PREDICTS;
            p->i++;
            if (!parse_ref(p, &x.body)) return false;
            static const ScnState states[3] = {SCN_STATE_BROKEN, SCN_STATE_FELL, SCN_STATE_OUT_OF_BOUNDS};
            int k = 0;
            while (k < 3 && !cur_is(p, scn_state_name(states[k]))) k++;
            if (k == 3) return fail_expected(p, "a state the model predicts (broken, fell, out_of_bounds)");
            x.cond.state = states[k];
            p->i++;
            if (!cur_is(p, "by")) return fail_expected(p, "'by T'");
            p->i++;
            if (!parse_num(p, &x.t1, "a time T (s)")) return false;
            x.test.op = SCN_TEST_GT;
            if (cur_is(p, "p")) {
                p->i++;
                if (!cur_is(p, ">") && !cur_is(p, "<")) return fail_expected(p, "'>' or '<' after 'p'");
                x.test.op = cur_is(p, ">") ? SCN_TEST_GT : SCN_TEST_LT;
                p->i++;
                if (!parse_num(p, &x.test.v, "a probability P (0..1)")) return false;
            }
        } else {
            x.kind = SCN_EXPECT_MODEL_FIELD;
            if (!parse_body_field(p, &x.body, &x.field) || !parse_test(p, &x.test)) return false;
            if (!cur_is(p, "at")) return fail_expected(p, "'at T' (the time the rollout is judged)");
            p->i++;
            if (!parse_num(p, &x.t1, "a time T (s)")) return false;
            if (!cur_is(p, "from")) return fail_expected(p, "'from T0' (the time the rollout starts)");
        }
        if (cur_is(p, "from")) {
            p->i++;
            if (!parse_num(p, &x.t2, "a time T0 (s) the rollout starts from")) return false;
        }
    } else if (cur_is(p, "surprise") || cur_is(p, "fate") || cur_is(p, "alarm")) {
        /* judged by nudge check --model: the model's surprise (nats), its fate part alone, or the
           view's alarm (no number: the thresholds are the view's) */
        x.of = cur_is(p, "fate") ? SCN_OF_FATE : cur_is(p, "alarm") ? SCN_OF_ALARM : SCN_OF_SURPRISE;
        const char* what = x.of == SCN_OF_FATE ? "a fate X (nats)" : "a surprise X (nats)";
        p->i++;
        if (cur_is(p, "never")) {
            x.kind = SCN_EXPECT_SURPRISE_NEVER;
            p->i++;
            x.test.op = SCN_TEST_GT;
            if (x.of != SCN_OF_ALARM) {
                if (!cur_is(p, ">")) return fail_expected(p, "'>' after 'never'");
                p->i++;
                if (!parse_num(p, &x.test.v, what)) return false;
            }
        } else {
            x.kind = SCN_EXPECT_SURPRISE;
            if (!parse_ref(p, &x.body)) return false;
            x.test.op = SCN_TEST_GT;
            if (x.of != SCN_OF_ALARM) {
                if (!cur_is(p, ">") && !cur_is(p, "<")) return fail_expected(p, "'>' or '<' after the body");
                x.test.op = cur_is(p, ">") ? SCN_TEST_GT : SCN_TEST_LT;
                p->i++;
                if (!parse_num(p, &x.test.v, what)) return false;
            }
            if (!cur_is(p, "between")) return fail_expected(p, "'between T1 T2'");
            p->i++;
            if (!parse_num(p, &x.t1, "a time T1 (s)") || !parse_num(p, &x.t2, "a time T2 (s)")) return false;
        }
    } else if (cur_is(p, "no")) {
        x.kind = SCN_EXPECT_NO_EVENT;
        p->i++;
        if (!cur_is(p, "event")) return fail_expected(p, "'event' after 'no'");
        p->i++;
        if (!parse_event_type(p, &x.event) || !parse_ref(p, &x.body)) return false;
        if (!at_end(p) && x.event == SIM_EV_CONTACT && !parse_ref(p, &x.other)) return false;
    } else if (cur_is(p, "order")) {
        x.kind = SCN_EXPECT_ORDER;
        p->i++;
        if (!parse_event_type(p, &x.event)) return false;
        x.first = s->nrefs;
        while (!at_end(p)) {
            ScnRef* r = GROW(s, refs, nrefs, cap_refs);
            if (!parse_ref(p, r)) return false;
            x.count++;
        }
        if (x.count < 2) return fail_expected(p, "at least two bodies to order");
    } else if (cur_is(p, "when")) {
        x.kind = SCN_EXPECT_WHEN;
        p->i++;
        if (!parse_cond(p, &x.cond)) return false;
        if (!cur_is(p, "then")) return fail_expected(p, "'then'");
        p->i++;
        if (cur_is(p, "time")) {
            x.then_time = true;
            p->i++;
        } else if (!parse_body_field(p, &x.then_body, &x.field)) {
            return false;
        }
        if (!parse_test(p, &x.test)) return false;
    } else if (cur_is(p, "max") || cur_is(p, "min")) {
        x.kind = cur_is(p, "max") ? SCN_EXPECT_MAX : SCN_EXPECT_MIN;
        p->i++;
        if (!parse_body_field(p, &x.body, &x.field)) return false;
        if (cur_is(p, "from")) {
            p->i++;
            if (!parse_num(p, &x.t1, "a time T1 (s)")) return false;
        }
        if (cur_is(p, "to")) {
            p->i++;
            if (!parse_num(p, &x.t2, "a time T2 (s)")) return false;
        }
        if (!parse_test(p, &x.test)) return false;
    } else {
        return fail_expected(p, "an expectation (at, by, never, always, event, no event, order, "
                                "when, max, min, model, surprise, fate, alarm)");
    }
    if (!expect_eol(p)) return false;
    ScnExpect* slot = GROW(s, expects, nexpects, cap_expects);
    *slot = x;
    return true;
}

/* ---- goal ----
 * goal BODY in XMIN YMIN XMAX YMAX by T   -> expect at T BODY in ...
 * goal BODY.FIELD TEST at T               -> expect at T BODY.FIELD TEST
 * goal BODY broken by T | BODY fell by T  -> expect by T BODY broken | fell
 * goal not BODY broken | not BODY fell    -> expect never BODY broken | fell */

#define GOAL_FORMS "a goal (BODY in XMIN YMIN XMAX YMAX by T, BODY broken by T, BODY fell by T, " \
                   "not BODY broken, not BODY fell, BODY.FIELD near V TOL at T)"

static bool parse_goal(Parser* p) {
    Scenario* s = p->s;
    ScnExpect x;
    expect_start(p, &x);
    x.goal = true;
    ScnCond* c = &x.cond;
    if (at_end(p)) return fail_expected(p, GOAL_FORMS);
    if (cur_is(p, "not")) {
        /* not BODY broken | not BODY fell: for the whole run */
        p->i++;
        if (!parse_ref(p, &c->body)) return false;
        if (cur_is(p, "broken")) c->state = SCN_STATE_BROKEN;
        else if (cur_is(p, "fell")) c->state = SCN_STATE_FELL;
        else return fail_expected(p, "'broken' or 'fell' after 'goal not BODY'");
        p->i++;
        x.kind = SCN_EXPECT_NEVER;
        if (cur_is(p, "by"))
            return fail_expected(p, "end of line ('goal not BODY ...' holds for the whole run)");
    } else if (memchr(cur(p)->s, '.', (size_t)cur(p)->len)) {
        /* BODY.FIELD TEST at T */
        c->is_field = true;
        if (!parse_body_field(p, &c->body, &c->field) || !parse_test(p, &c->test)) return false;
        if (!cur_is(p, "at")) return fail_expected(p, "'at T' (the time the goal is judged)");
        p->i++;
        x.kind = SCN_EXPECT_AT;
        if (!parse_num(p, &x.t1, "a time T (s)")) return false;
    } else {
        if (!parse_ref(p, &c->body)) return false;
        if (cur_is(p, "in")) {
            p->i++;
            if (!parse_region(p, c)) return false;
            x.kind = SCN_EXPECT_AT;
        } else if (cur_is(p, "broken") || cur_is(p, "fell")) {
            c->state = cur_is(p, "broken") ? SCN_STATE_BROKEN : SCN_STATE_FELL;
            p->i++;
            x.kind = SCN_EXPECT_BY;
        } else {
            return fail_expected(p, "'in XMIN YMIN XMAX YMAX', 'broken' or 'fell' after the goal's body");
        }
        if (!cur_is(p, "by")) return fail_expected(p, "'by T' (the goal's deadline)");
        p->i++;
        if (!parse_num(p, &x.t1, "a time T (s)")) return false;
    }
    if (!expect_eol(p)) return false;
    ScnExpect* slot = GROW(s, expects, nexpects, cap_expects);
    *slot = x;
    return true;
}

/* ---- statements, lines ---- */

bool scn_parse_line(Scenario* s, const ScnTok* toks, int n, int line, ScnErr* e) {
    if (n == 0) return true;
    Parser p = {s, e, line, toks, n, 1, toks[n - 1].col + toks[n - 1].len};
    const ScnTok* kw = &toks[0];
    if (scn_tok_is(kw, "world")) return parse_world(&p);
    if (scn_tok_is(kw, "param")) return parse_param(&p);
    if (scn_tok_is(kw, "let")) return parse_let(&p);
    if (scn_tok_is(kw, "body")) return parse_body(&p, false);
    if (scn_tok_is(kw, "at")) return parse_at(&p);
    if (scn_tok_is(kw, "agent")) return parse_agent(&p);
    if (scn_tok_is(kw, "expect")) return parse_expect(&p);
    if (scn_tok_is(kw, "goal")) return parse_goal(&p);
    p.i = 0;
    return fail_expected(&p, "a statement (world, param, let, body, at, agent, expect, goal)");
}

/* ---- names: every body reference must name a declared body ---- */

static bool resolve(Scenario* s, ScnRef* r, ScnErr* e) {
    for (int k = 0; k < s->nbodies; k++) {
        if (!strcmp(s->bodies[k].name, r->root)) {
            r->decl = k;
            return true;
        }
    }
    scn_err_set(e, r->line, r->col, "expected a declared body name, got unknown body '%s'", r->root);
    return false;
}

/* a goal is about a dynamic body of the start (a planner knows it by its id from the start) */
static bool goal_body_ok(const Scenario* s, const ScnRef* r, ScnErr* e) {
    const ScnBodyDecl* b = &s->bodies[r->decl];
    const char* why = r->piece ? "a piece of a body" : b->spawned ? "a spawned body" : b->is_static ? "static body" : NULL;
    if (!why) return true;
    scn_err_set(e, r->line, r->col, "expected a dynamic body of the start for a goal, got %s '%s'", why, r->name);
    return false;
}

bool scn_parse_resolve(Scenario* s, ScnErr* e) {
    static const char* verbs[] = {"push", "grab", "release"};
    for (int k = 0; k < s->nactions; k++) {
        ScnActionDecl* a = &s->actions[k];
        if (a->kind == SCN_ACT_SPAWN) continue;
        if (a->kind == SCN_ACT_MAGIC && (a->magic == SIM_MAGIC_APPEAR || a->magic == SIM_MAGIC_GRAVITY)) continue;
        if (!resolve(s, &a->body, e)) return false;
        /* a static body never moves; its pieces do (a static body does not break, though) */
        if (s->bodies[a->body.decl].is_static && !a->body.piece) {
            scn_err_set(e, a->body.line, a->body.col, "expected a dynamic body to %s, got static body '%s'",
                        a->kind == SCN_ACT_MAGIC ? sim_magic_name(a->magic) : verbs[a->kind], a->body.name);
            return false;
        }
    }
    for (int k = 0; k < s->nexpects; k++) {
        ScnExpect* x = &s->expects[k];
        switch (x->kind) {
        case SCN_EXPECT_AT:
        case SCN_EXPECT_BY:
        case SCN_EXPECT_NEVER:
        case SCN_EXPECT_ALWAYS:
            if (!resolve(s, &x->cond.body, e)) return false;
            if (x->goal && !goal_body_ok(s, &x->cond.body, e)) return false;
            break;
        case SCN_EXPECT_WHEN:
            if (!resolve(s, &x->cond.body, e)) return false;
            if (!x->then_time && !resolve(s, &x->then_body, e)) return false;
            break;
        case SCN_EXPECT_EVENT:
        case SCN_EXPECT_NO_EVENT:
            if (!resolve(s, &x->body, e)) return false;
            if (x->other.name[0] && !resolve(s, &x->other, e)) return false;
            break;
        case SCN_EXPECT_ORDER:
            for (int j = 0; j < x->count; j++)
                if (!resolve(s, &s->refs[x->first + j], e)) return false;
            break;
        case SCN_EXPECT_MAX:
        case SCN_EXPECT_MIN:
            if (!resolve(s, &x->body, e)) return false;
            break;
        case SCN_EXPECT_MODEL_PREDICTS:
        case SCN_EXPECT_MODEL_FIELD:
        case SCN_EXPECT_SURPRISE: {
            /* the model knows a body by its slot from the start */
            if (!resolve(s, &x->body, e)) return false;
            const ScnBodyDecl* b = &s->bodies[x->body.decl];
            const char* why = x->body.piece ? "a piece of a body" : b->spawned ? "a spawned body" : b->is_static ? "static body" : NULL;
            if (why) {
                scn_err_set(e, x->body.line, x->body.col, "expected a dynamic body of the start for a model expectation, got %s '%s'",
                            why, x->body.name);
                return false;
            }
            break;
        }
        case SCN_EXPECT_SURPRISE_NEVER:
            break;
        }
    }
    return true;
}
