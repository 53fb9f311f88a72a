/* scn_parse: the statement parser (private to sim/scenario*.c). */
#ifndef NUDGE_SIM_SCN_PARSE_H
#define NUDGE_SIM_SCN_PARSE_H
#include <stdbool.h>

#include "sim/scn_ast.h"
#include "sim/scn_lex.h"

/// parses one line's tokens (n may be 0) into s; false + error
bool scn_parse_line(Scenario* s, const ScnTok* toks, int n, int line, ScnErr* e);
/// after the last line: every body reference names a declared body (and pushes a dynamic one)
bool scn_parse_resolve(Scenario* s, ScnErr* e);

#endif
