/* scn_lex: the .scn language's text layer (private to sim/scenario*.c).
 *
 * A scenario is checked as text first (no NUL or control bytes, valid UTF-8, no line longer than
 * SCN_MAX_LINE), then split into lines and each line into tokens: '#' starts a comment, spaces and
 * tabs separate tokens except inside parentheses. Columns are 1-based byte offsets in the line. */
#ifndef NUDGE_SIM_SCN_LEX_H
#define NUDGE_SIM_SCN_LEX_H
#include <stdbool.h>
#include <stddef.h>

/* the first error found: a position and the message after "path:line:col: " */
typedef struct ScnErr {
    int  line, col;
    char msg[320];
} ScnErr;

/// records an error at line:col (only the first one is kept)
void scn_err_set(ScnErr* e, int line, int col, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef struct ScnTok {
    const char* s;   /* into the scenario text, not NUL-terminated */
    int         len;
    int         col; /* 1-based */
} ScnTok;

/* a line has at most SCN_MAX_LINE bytes, so at most half as many tokens */
#define SCN_MAX_TOKS 520

/// text checks: binary data (NUL, control bytes, invalid UTF-8) and overlong lines
bool scn_text_check(const char* text, size_t len, ScnErr* e);
/// splits one line (without its newline) into tokens; -1 and an error for an unclosed '('
int  scn_tokenize(const char* line, int len, int lineno, ScnTok* toks, int cap, ScnErr* e);
/// the token quoted for messages: its text, shortened to fit (always NUL-terminated)
const char* scn_tok_str(const ScnTok* t, char* buf, size_t size);
/// true if the token is exactly word
bool scn_tok_is(const ScnTok* t, const char* word);
/// a name: [A-Za-z_][A-Za-z0-9_]*, any length (the caller checks the length)
bool scn_is_name(const char* s, int len);

#endif
