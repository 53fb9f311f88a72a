#include "sim/scn_expr.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/materials.h"
#include "sim/world.h"

typedef enum ScnOp {
    OP_NUM,
    OP_PARAM,
    OP_NEG,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_POW,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_EQ,
    OP_NE,
    OP_CALL
} ScnOp;

typedef enum ScnFn {
    FN_SQRT,
    FN_ABS,
    FN_MIN,
    FN_MAX,
    FN_SIN,
    FN_COS,
    FN_TAN,
    FN_ATAN2,
    FN_EXP,
    FN_LOG,
    FN_FLOOR,
    FN_CEIL,
    FN_ROUND,
    FN_PICK,
    FN_COUNT
} ScnFn;

/* name, minimum and maximum argument count (min and max take two or more) */
static const struct {
    const char* name;
    int         lo, hi;
} functions[FN_COUNT] = {
    {"sqrt", 1, 1}, {"abs", 1, 1},   {"min", 2, 64},  {"max", 2, 64},   {"sin", 1, 1},
    {"cos", 1, 1},  {"tan", 1, 1},   {"atan2", 2, 2}, {"exp", 1, 1},    {"log", 1, 1},
    {"floor", 1, 1}, {"ceil", 1, 1}, {"round", 1, 1}, {"pick", 3, 3},
};

const char* scn_expr_functions(void) {
    return "sqrt, abs, min, max, sin, cos, tan, atan2, exp, log, floor, ceil, round, pick";
}

const char* scn_type_name(ScnType t) {
    return t == SCN_TYPE_KIND ? "a kind" : t == SCN_TYPE_MATERIAL ? "a material" : "a number";
}

ScnType scn_expr_type(const ScnExprPool* pool, int root) {
    return root >= 0 && root < pool->count ? (ScnType)pool->nodes[root].type : SCN_TYPE_NUMBER;
}

#define MAX_DEPTH 64

typedef struct ExprParser {
    ScnExprPool*    pool;
    const char*     s;
    int             len, pos;
    int             line, col0; /* the file column of s[0] */
    const ScnNames* params;
    ScnErr*         e;
    int             depth;
} ExprParser;

static int new_node(ExprParser* p, ScnOp op, int at, int a, int b, double v) {
    ScnExprPool* pool = p->pool;
    if (pool->count == pool->cap) {
        int cap = pool->cap ? pool->cap * 2 : 64;
        pool->nodes = alloc_resize(pool->nodes, (size_t)cap, sizeof *pool->nodes);
        pool->cap = cap;
    }
    ScnNode* n = &pool->nodes[pool->count];
    n->op = (uint8_t)op;
    n->fn = 0;
    n->type = SCN_TYPE_NUMBER;
    n->a = a;
    n->b = b;
    n->c = -1;
    n->line = p->line;
    n->col = p->col0 + at;
    n->v = v;
    return pool->count++;
}

void scn_expr_describe(const ScnExprPool* pool, int root, const ScnNames* params, char* buf, size_t size) {
    const ScnNode* n = &pool->nodes[root];
    ScnType t = (ScnType)n->type;
    if (n->op == OP_NUM && t == SCN_TYPE_KIND)
        snprintf(buf, size, "the kind '%s'", sim_kind_name((SimKind)(int)n->v));
    else if (n->op == OP_NUM && t == SCN_TYPE_MATERIAL)
        snprintf(buf, size, "the material '%s'", sim_material_get((int)n->v)->name);
    else if (n->op == OP_PARAM && params && (int)n->v < params->count)
        snprintf(buf, size, "'$%s' (%s)", params->names[(int)n->v], scn_type_name(t));
    else
        snprintf(buf, size, "%s", scn_type_name(t));
}

static void describe(const ExprParser* p, int node, char* buf, size_t size) {
    scn_expr_describe(p->pool, node, p->params, buf, size);
}

/* the operand must be a number (arithmetic, ordering, functions) */
static bool need_number(ExprParser* p, int node, const char* why) {
    const ScnNode* n = &p->pool->nodes[node];
    if (n->type == SCN_TYPE_NUMBER) return true;
    char what[96];
    describe(p, node, what, sizeof what);
    scn_err_set(p->e, p->line, n->col, "expected a number %s, got %s", why, what);
    return false;
}

/* two operands of one type (==, !=, pick's choices) */
static bool need_same(ExprParser* p, int a, int b, const char* why) {
    const ScnNode *na = &p->pool->nodes[a], *nb = &p->pool->nodes[b];
    if (na->type == nb->type) return true;
    char what[96];
    describe(p, b, what, sizeof what);
    scn_err_set(p->e, p->line, nb->col, "expected %s %s, got %s", scn_type_name((ScnType)na->type), why, what);
    return false;
}

static void skip_space(ExprParser* p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\r'))
        p->pos++;
}

/* what is at the current position, quoted for a message */
static void fail_here(ExprParser* p, const char* expected) {
    skip_space(p);
    if (p->pos >= p->len) {
        scn_err_set(p->e, p->line, p->col0 + p->pos, "expected %s, got end of expression", expected);
        return;
    }
    int end = p->pos;
    while (end < p->len && end - p->pos < 24 && p->s[end] != ' ' && p->s[end] != '\t') end++;
    scn_err_set(p->e, p->line, p->col0 + p->pos, "expected %s, got '%.*s'", expected,
                end - p->pos, p->s + p->pos);
}

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_expr(ExprParser* p);
static int parse_unary(ExprParser* p);

static int parse_number(ExprParser* p) {
    int start = p->pos, i = p->pos, digits = 0;
    while (i < p->len && is_digit(p->s[i])) i++, digits++;
    if (i < p->len && p->s[i] == '.') {
        i++;
        while (i < p->len && is_digit(p->s[i])) i++, digits++;
    }
    if (digits == 0) {
        fail_here(p, "a number");
        return -1;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        int j = i + 1;
        if (j < p->len && (p->s[j] == '+' || p->s[j] == '-')) j++;
        if (j < p->len && is_digit(p->s[j])) {
            while (j < p->len && is_digit(p->s[j])) j++;
            i = j;
        }
    }
    /* a number glued to a name ("2x", "1e") is a typo, not a product */
    if (i < p->len && (is_alpha(p->s[i]) || is_digit(p->s[i]) || p->s[i] == '.')) {
        int end = i;
        while (end < p->len && (is_alpha(p->s[end]) || is_digit(p->s[end]) || p->s[end] == '.'))
            end++;
        scn_err_set(p->e, p->line, p->col0 + start, "expected a number, got '%.*s'", end - start,
                    p->s + start);
        return -1;
    }
    char buf[64];
    int n = i - start;
    if (n >= (int)sizeof buf) {
        scn_err_set(p->e, p->line, p->col0 + start, "expected a number of at most 63 characters");
        return -1;
    }
    memcpy(buf, p->s + start, (size_t)n);
    buf[n] = 0;
    errno = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0)) {
        scn_err_set(p->e, p->line, p->col0 + start, "expected a finite number, got '%s'", buf);
        return -1;
    }
    p->pos = i;
    return new_node(p, OP_NUM, start, -1, -1, v);
}

static int parse_call(ExprParser* p, int fn, int start) {
    /* the '(' was seen; args separated by ',' */
    p->pos++;
    int args[64], nargs = 0;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == ')') {
        p->pos++;
    } else {
        for (;;) {
            if (nargs == 64) {
                fail_here(p, "')'");
                return -1;
            }
            int a = parse_expr(p);
            if (a < 0) return -1;
            args[nargs++] = a;
            skip_space(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == ')') {
                p->pos++;
                break;
            }
            fail_here(p, "',' or ')'");
            return -1;
        }
    }
    if (nargs < functions[fn].lo || nargs > functions[fn].hi) {
        if (functions[fn].lo == functions[fn].hi)
            scn_err_set(p->e, p->line, p->col0 + start, "expected %d argument%s for %s(), got %d",
                        functions[fn].lo, functions[fn].lo == 1 ? "" : "s", functions[fn].name,
                        nargs);
        else
            scn_err_set(p->e, p->line, p->col0 + start,
                        "expected at least %d arguments for %s(), got %d", functions[fn].lo,
                        functions[fn].name, nargs);
        return -1;
    }
    if (fn == FN_PICK) {
        /* pick(c, a, b): a number to test, two choices of one type */
        if (!need_number(p, args[0], "to pick by") || !need_same(p, args[1], args[2], "like the first choice"))
            return -1;
        int node = new_node(p, OP_CALL, start, args[0], args[1], 0);
        if (node < 0) return -1;
        ScnNode* n = &p->pool->nodes[node];
        n->fn = FN_PICK;
        n->c = args[2];
        n->type = p->pool->nodes[args[1]].type;
        return node;
    }
    char why[48];
    snprintf(why, sizeof why, "as an argument of %s()", functions[fn].name);
    for (int i = 0; i < nargs; i++)
        if (!need_number(p, args[i], why)) return -1;
    /* min/max of many: a left fold of two-argument calls */
    int node = new_node(p, OP_CALL, start, args[0], nargs > 1 ? args[1] : -1, 0);
    if (node < 0) return -1;
    p->pool->nodes[node].fn = (uint8_t)fn;
    for (int i = 2; i < nargs; i++) {
        int next = new_node(p, OP_CALL, start, node, args[i], 0);
        if (next < 0) return -1;
        p->pool->nodes[next].fn = (uint8_t)fn;
        node = next;
    }
    return node;
}

static int parse_atom(ExprParser* p) {
    skip_space(p);
    if (p->pos >= p->len) {
        fail_here(p, "a number");
        return -1;
    }
    int start = p->pos;
    char c = p->s[p->pos];
    if (c == '(') {
        if (++p->depth > MAX_DEPTH) {
            scn_err_set(p->e, p->line, p->col0 + start, "expected at most %d nested parentheses",
                        MAX_DEPTH);
            return -1;
        }
        p->pos++;
        int a = parse_expr(p);
        if (a < 0) return -1;
        skip_space(p);
        if (p->pos >= p->len || p->s[p->pos] != ')') {
            fail_here(p, "')'");
            return -1;
        }
        p->pos++;
        p->depth--;
        return a;
    }
    if (is_digit(c) || c == '.') return parse_number(p);
    if (c == '$') {
        int i = p->pos + 1;
        while (i < p->len && (is_alpha(p->s[i]) || is_digit(p->s[i]))) i++;
        int n = i - (p->pos + 1);
        if (n == 0 || is_digit(p->s[p->pos + 1])) {
            fail_here(p, "a parameter name after '$'");
            return -1;
        }
        const char* name = p->s + p->pos + 1;
        for (int k = 0; k < p->params->count; k++) {
            if ((int)strlen(p->params->names[k]) == n &&
                memcmp(p->params->names[k], name, (size_t)n) == 0) {
                p->pos = i;
                int node = new_node(p, OP_PARAM, start, -1, -1, (double)k);
                if (node >= 0 && p->params->types) p->pool->nodes[node].type = p->params->types[k];
                return node;
            }
        }
        scn_err_set(p->e, p->line, p->col0 + start,
                    "expected a parameter declared above, got unknown parameter '$%.*s'", n, name);
        return -1;
    }
    if (is_alpha(c)) {
        int i = p->pos;
        while (i < p->len && (is_alpha(p->s[i]) || is_digit(p->s[i]))) i++;
        int n = i - p->pos;
        const char* name = p->s + p->pos;
        int j = i;
        while (j < p->len && (p->s[j] == ' ' || p->s[j] == '\t')) j++;
        if (j < p->len && p->s[j] == '(') {
            for (int f = 0; f < FN_COUNT; f++) {
                if ((int)strlen(functions[f].name) == n && memcmp(functions[f].name, name, (size_t)n) == 0) {
                    p->pos = j;
                    return parse_call(p, f, start);
                }
            }
            scn_err_set(p->e, p->line, p->col0 + start,
                        "expected a function (%s), got unknown function '%.*s'",
                        scn_expr_functions(), n, name);
            return -1;
        }
        if (n == 2 && memcmp(name, "pi", 2) == 0) {
            p->pos = i;
            return new_node(p, OP_NUM, start, -1, -1, 3.14159265358979323846);
        }
        if (n == 1 && name[0] == 'g') {
            p->pos = i;
            return new_node(p, OP_NUM, start, -1, -1, 9.81);
        }
        /* a kind or a material by name */
        char word[32];
        if (n < (int)sizeof word) {
            memcpy(word, name, (size_t)n);
            word[n] = 0;
            int kind = sim_kind_find(word), mat = sim_material_find(word);
            if (!strcmp(word, "shard")) {
                scn_err_set(p->e, p->line, p->col0 + start,
                            "expected a kind (box, ball, cup, plank, ramp), got 'shard' (shards come only from breaking)");
                return -1;
            }
            if (kind >= 0 || mat >= 0) {
                p->pos = i;
                int node = new_node(p, OP_NUM, start, -1, -1, kind >= 0 ? kind : mat);
                if (node >= 0) p->pool->nodes[node].type = kind >= 0 ? SCN_TYPE_KIND : SCN_TYPE_MATERIAL;
                return node;
            }
        }
        bool nonfinite = (n == 3 && (!strncmp(name, "nan", 3) || !strncmp(name, "NaN", 3) ||
                                     !strncmp(name, "inf", 3) || !strncmp(name, "Inf", 3) ||
                                     !strncmp(name, "NAN", 3) || !strncmp(name, "INF", 3))) ||
                         (n == 8 && !strncmp(name, "infinity", 8));
        if (nonfinite)
            scn_err_set(p->e, p->line, p->col0 + start,
                        "expected a finite number, got '%.*s' (nan and inf are not allowed)", n,
                        name);
        else
            scn_err_set(p->e, p->line, p->col0 + start,
                        "expected a number, $param, pi, g, a kind or a material, got '%.*s' "
                        "(parameters are written $name)",
                        n, name);
        return -1;
    }
    fail_here(p, "a number");
    return -1;
}

static int parse_power(ExprParser* p) {
    int a = parse_atom(p);
    if (a < 0) return -1;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == '^') {
        int at = p->pos++;
        if (++p->depth > MAX_DEPTH) {
            scn_err_set(p->e, p->line, p->col0 + at, "expected at most %d nested powers", MAX_DEPTH);
            return -1;
        }
        int b = parse_unary(p);
        p->depth--;
        if (b < 0 || !need_number(p, a, "before '^'") || !need_number(p, b, "after '^'")) return -1;
        return new_node(p, OP_POW, at, a, b, 0);
    }
    return a;
}

static int parse_unary(ExprParser* p) {
    skip_space(p);
    if (p->pos < p->len && (p->s[p->pos] == '-' || p->s[p->pos] == '+')) {
        int at = p->pos;
        bool neg = p->s[p->pos] == '-';
        p->pos++;
        if (++p->depth > MAX_DEPTH) {
            scn_err_set(p->e, p->line, p->col0 + at, "expected at most %d nested signs", MAX_DEPTH);
            return -1;
        }
        int a = parse_unary(p);
        p->depth--;
        if (a < 0 || !need_number(p, a, neg ? "after '-'" : "after '+'")) return -1;
        return neg ? new_node(p, OP_NEG, at, a, -1, 0) : a;
    }
    return parse_power(p);
}

static int parse_product(ExprParser* p) {
    int a = parse_unary(p);
    while (a >= 0) {
        skip_space(p);
        if (p->pos >= p->len || (p->s[p->pos] != '*' && p->s[p->pos] != '/')) break;
        int at = p->pos;
        ScnOp op = p->s[p->pos] == '*' ? OP_MUL : OP_DIV;
        const char* why = op == OP_MUL ? "to multiply" : "to divide";
        p->pos++;
        int b = parse_unary(p);
        if (b < 0 || !need_number(p, a, why) || !need_number(p, b, why)) return -1;
        a = new_node(p, op, at, a, b, 0);
    }
    return a;
}

static int parse_sum(ExprParser* p) {
    int a = parse_product(p);
    while (a >= 0) {
        skip_space(p);
        if (p->pos >= p->len || (p->s[p->pos] != '+' && p->s[p->pos] != '-')) break;
        int at = p->pos;
        ScnOp op = p->s[p->pos] == '+' ? OP_ADD : OP_SUB;
        const char* why = op == OP_ADD ? "to add" : "to subtract";
        p->pos++;
        int b = parse_product(p);
        if (b < 0 || !need_number(p, a, why) || !need_number(p, b, why)) return -1;
        a = new_node(p, op, at, a, b, 0);
    }
    return a;
}

static int parse_expr(ExprParser* p) {
    int a = parse_sum(p);
    if (a < 0) return -1;
    skip_space(p);
    if (p->pos >= p->len) return a;
    const char* s = p->s + p->pos;
    int left = p->len - p->pos;
    ScnOp op;
    int n = 1;
    if (left >= 2 && s[0] == '<' && s[1] == '=') op = OP_LE, n = 2;
    else if (left >= 2 && s[0] == '>' && s[1] == '=') op = OP_GE, n = 2;
    else if (left >= 2 && s[0] == '=' && s[1] == '=') op = OP_EQ, n = 2;
    else if (left >= 2 && s[0] == '!' && s[1] == '=') op = OP_NE, n = 2;
    else if (s[0] == '<') op = OP_LT;
    else if (s[0] == '>') op = OP_GT;
    else return a;
    int at = p->pos;
    p->pos += n;
    int b = parse_sum(p);
    if (b < 0) return -1;
    if (op == OP_EQ || op == OP_NE) {
        if (!need_same(p, a, b, "to compare with")) return -1;
    } else if (!need_number(p, a, "to order") || !need_number(p, b, "to order")) {
        return -1;
    }
    return new_node(p, op, at, a, b, 0);
}

int scn_expr_parse(ScnExprPool* pool, const char* text, int len, int line, int col,
                   const ScnNames* params, ScnErr* e) {
    ExprParser p = {pool, text, len, 0, line, col, params, e, 0};
    int root = parse_expr(&p);
    if (root < 0) return -1;
    skip_space(&p);
    if (p.pos < p.len) {
        fail_here(&p, "an operator or the end of the expression");
        return -1;
    }
    return root;
}

static bool eval_node(const ScnExprPool* pool, int i, const double* params, double* out, ScnErr* e) {
    const ScnNode* n = &pool->nodes[i];
    double a = 0, b = 0, r;
    /* pick evaluates only the choice it picks */
    if (n->op == OP_CALL && n->fn == FN_PICK) {
        if (!eval_node(pool, n->a, params, &a, e)) return false;
        return eval_node(pool, a != 0 ? n->b : n->c, params, out, e);
    }
    if (n->a >= 0 && !eval_node(pool, n->a, params, &a, e)) return false;
    if (n->b >= 0 && !eval_node(pool, n->b, params, &b, e)) return false;
    switch ((ScnOp)n->op) {
    case OP_NUM: r = n->v; break;
    case OP_PARAM: r = params[(int)n->v]; break;
    case OP_NEG: r = -a; break;
    case OP_ADD: r = a + b; break;
    case OP_SUB: r = a - b; break;
    case OP_MUL: r = a * b; break;
    case OP_DIV:
        if (b == 0.0) {
            scn_err_set(e, n->line, n->col, "expected a non-zero divisor, got division by zero");
            return false;
        }
        r = a / b;
        break;
    case OP_POW: r = pow(a, b); break;
    case OP_LT: r = a < b; break;
    case OP_LE: r = a <= b; break;
    case OP_GT: r = a > b; break;
    case OP_GE: r = a >= b; break;
    case OP_EQ: r = a == b; break;
    case OP_NE: r = a != b; break;
    case OP_CALL:
        switch ((ScnFn)n->fn) {
        case FN_SQRT:
            if (a < 0) {
                scn_err_set(e, n->line, n->col, "expected sqrt of a number >= 0, got sqrt(%g)", a);
                return false;
            }
            r = sqrt(a);
            break;
        case FN_ABS: r = fabs(a); break;
        case FN_MIN: r = a < b ? a : b; break;
        case FN_MAX: r = a > b ? a : b; break;
        case FN_SIN: r = sin(a); break;
        case FN_COS: r = cos(a); break;
        case FN_TAN: r = tan(a); break;
        case FN_ATAN2: r = atan2(a, b); break;
        case FN_EXP: r = exp(a); break;
        case FN_LOG:
            if (a <= 0) {
                scn_err_set(e, n->line, n->col, "expected log of a number > 0, got log(%g)", a);
                return false;
            }
            r = log(a);
            break;
        case FN_FLOOR: r = floor(a); break;
        case FN_CEIL: r = ceil(a); break;
        case FN_ROUND: r = round(a); break;
        default: r = NAN; break;
        }
        break;
    default: r = NAN; break;
    }
    if (!isfinite(r)) {
        scn_err_set(e, n->line, n->col, "expected a finite result, got %s here",
                    isnan(r) ? "nan" : "inf");
        return false;
    }
    *out = r;
    return true;
}

bool scn_expr_eval(const ScnExprPool* pool, int root, const double* params, double* out,
                   ScnErr* e) {
    if (root < 0 || root >= pool->count) {
        scn_err_set(e, 1, 1, "internal error: no expression");
        return false;
    }
    return eval_node(pool, root, params, out, e);
}

bool scn_expr_uses_params(const ScnExprPool* pool, int root) {
    if (root < 0) return false;
    const ScnNode* n = &pool->nodes[root];
    if (n->op == OP_PARAM) return true;
    return scn_expr_uses_params(pool, n->a) || scn_expr_uses_params(pool, n->b) ||
           scn_expr_uses_params(pool, n->c);
}

void scn_expr_pool_free(ScnExprPool* pool) {
    free(pool->nodes);
    pool->nodes = NULL;
    pool->count = pool->cap = 0;
}
