/* scn_expr: the .scn expression language (private to sim/scenario*.c).
 *
 * Grammar (lowest precedence first):
 *   expr    = sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]     comparisons give 1 or 0
 *   sum     = product { ("+" | "-") product }
 *   product = unary { ("*" | "/") unary }
 *   unary   = "-" unary | "+" unary | power
 *   power   = atom [ "^" unary ]                                      right-associative: 2^3^2 = 2^9
 *   atom    = NUMBER | "$" NAME | CONST | FUNC "(" expr { "," expr } ")" | "(" expr ")"
 * An expression is compiled once into a small tree (nodes in a pool) and evaluated per instance
 * against the resolved parameter values. */
#ifndef NUDGE_SIM_SCN_EXPR_H
#define NUDGE_SIM_SCN_EXPR_H
#include <stdbool.h>
#include <stdint.h>

#include "sim/scn_lex.h"

typedef struct ScnNode {
    uint8_t op;        /* ScnOp (scn_expr.c) */
    uint8_t fn;        /* for calls: the function */
    int32_t a, b;      /* children (node indices), -1 if unused */
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
    int count;
} ScnNames;

/// compiles text[0..len) (at line:col of the file); returns the root node, or -1 and an error
int  scn_expr_parse(ScnExprPool* pool, const char* text, int len, int line, int col,
                    const ScnNames* params, ScnErr* e);
/// evaluates a compiled expression; false and an error (division by zero, not finite, ...)
bool scn_expr_eval(const ScnExprPool* pool, int root, const double* params, double* out,
                   ScnErr* e);
/// true if the expression reads a parameter
bool scn_expr_uses_params(const ScnExprPool* pool, int root);
void scn_expr_pool_free(ScnExprPool* pool);
/// the function names, comma-separated (for the manual and messages)
const char* scn_expr_functions(void);

#endif
