/* scn_expr: the .scn expression language (private to sim/scenario*.c).
 *
 * Grammar (lowest precedence first):
 *   expr    = sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]     comparisons give 1 or 0
 *   sum     = product { ("+" | "-") product }
 *   product = unary { ("*" | "/") unary }
 *   unary   = "-" unary | "+" unary | power
 *   power   = atom [ "^" unary ]                                      right-associative: 2^3^2 = 2^9
 *   atom    = NUMBER | "$" NAME | CONST | KIND | MATERIAL | FUNC "(" expr { "," expr } ")"
 *           | "(" expr ")"
 * An expression is compiled once into a small tree (nodes in a pool) and evaluated per instance
 * against the resolved parameter values.
 *
 * Every expression has a type, checked when it is compiled: a number, a body kind (box, ball, cup,
 * plank, ramp) or a material (wood, glass, ...). A kind or a material evaluates to its index in
 * its table; arithmetic and ordering take numbers only, == and != compare two values of one
 * type, and pick(c, a, b) gives a or b, which share a type. */
#ifndef NUDGE_SIM_SCN_EXPR_H
#define NUDGE_SIM_SCN_EXPR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/scn_lex.h"

/// what an expression denotes
typedef enum ScnType { SCN_TYPE_NUMBER, SCN_TYPE_KIND, SCN_TYPE_MATERIAL } ScnType;

typedef struct ScnNode {
    uint8_t op;        /* ScnOp (scn_expr.c) */
    uint8_t fn;        /* for calls: the function */
    uint8_t type;      /* ScnType of the node's value */
    int32_t a, b;      /* children (node indices), -1 if unused; pick's third is in c */
    int32_t c;
    int32_t line, col; /* where the node starts, for messages */
    double  v;         /* number, or the parameter index */
} ScnNode;

typedef struct ScnExprPool {
    ScnNode* nodes;
    int      count, cap;
} ScnExprPool;

/* the parameter names visible to an expression (those declared above it) */
typedef struct ScnNames {
    const char (*names)[32];
    const uint8_t* types;   /* ScnType of each; NULL = all numbers */
    int count;
} ScnNames;

/// compiles text[0..len) (at line:col of the file); returns the root node, or -1 and an error
int  scn_expr_parse(ScnExprPool* pool, const char* text, int len, int line, int col,
                    const ScnNames* params, ScnErr* e);
/// the type of a compiled expression
ScnType scn_expr_type(const ScnExprPool* pool, int root);
/// "a number", "a kind", "a material"
const char* scn_type_name(ScnType t);
/// a compiled expression's value described for a message: "the material 'steel'", "'$k' (a kind)",
/// "a number"
void scn_expr_describe(const ScnExprPool* pool, int root, const ScnNames* params, char* buf, size_t size);
/// evaluates a compiled expression; false and an error (division by zero, not finite, ...)
bool scn_expr_eval(const ScnExprPool* pool, int root, const double* params, double* out,
                   ScnErr* e);
/// true if the expression reads a parameter
bool scn_expr_uses_params(const ScnExprPool* pool, int root);
void scn_expr_pool_free(ScnExprPool* pool);
/// the function names, comma-separated (for the manual and messages)
const char* scn_expr_functions(void);

#endif
