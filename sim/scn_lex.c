#include "sim/scn_lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/report.h"
#include "sim/scenario.h"

void scn_err_set(ScnErr* e, int line, int col, const char* fmt, ...) {
    if (e->line > 0) return; /* keep the first error */
    e->line = line > 0 ? line : 1;
    e->col = col > 0 ? col : 1;
    va_list ap;
    va_start(ap, fmt);
    report_setv(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

/* length of a valid UTF-8 sequence starting at p (n bytes left), 0 if invalid */
static int utf8_len(const unsigned char* p, size_t n) {
    unsigned c = p[0];
    int len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    else return 0;
    if ((size_t)len > n) return 0;
    for (int i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    /* overlong forms and surrogates */
    if (c == 0xE0 && p[1] < 0xA0) return 0;
    if (c == 0xED && p[1] > 0x9F) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] > 0x8F) return 0;
    return len;
}

bool scn_text_check(const char* text, size_t len, ScnErr* e) {
    const unsigned char* p = (const unsigned char*)text;
    int line = 1, col = 1;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c == '\n') {
            line++;
            col = 1;
            i++;
            continue;
        }
        /* a line's length counts its bytes, without the newline (and a CR right before it) */
        if (col > SCN_MAX_LINE && !(c == '\r' && (i + 1 == len || p[i + 1] == '\n'))) {
            scn_err_set(e, line, col, "expected a line of at most %d bytes, got a longer line",
                        SCN_MAX_LINE);
            return false;
        }
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) {
            scn_err_set(e, line, col, "expected text, got binary data (byte 0x%02X)", c);
            return false;
        }
        int n = utf8_len(p + i, len - i);
        if (n == 0) {
            scn_err_set(e, line, col, "expected text, got binary data (byte 0x%02X, not UTF-8)", c);
            return false;
        }
        i += (size_t)n;
        col += n;
    }
    return true;
}

int scn_tokenize(const char* line, int len, int lineno, ScnTok* toks, int cap, ScnErr* e) {
    int n = 0, depth = 0, open_col = 0;
    int i = 0;
    while (i < len) {
        char c = line[i];
        if (c == '#') break;
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        /* a token: up to whitespace outside parentheses, a comment or the end */
        int start = i;
        while (i < len) {
            c = line[i];
            if (c == '#') break;
            if ((c == ' ' || c == '\t' || c == '\r') && depth == 0) break;
            if (c == '(') {
                if (depth == 0) open_col = i + 1;
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            }
            i++;
        }
        if (depth > 0) {
            scn_err_set(e, lineno, open_col, "expected ')' to close this '(', got end of line");
            return -1;
        }
        if (n == cap) {
            scn_err_set(e, lineno, start + 1, "expected at most %d tokens on a line", cap);
            return -1;
        }
        toks[n].s = line + start;
        toks[n].len = i - start;
        toks[n].col = start + 1;
        n++;
    }
    return n;
}

const char* scn_tok_str(const ScnTok* t, char* buf, size_t size) {
    if (size == 0) return buf;
    size_t n = (size_t)t->len;
    if (n + 1 <= size) {
        memcpy(buf, t->s, n);
        buf[n] = 0;
    } else if (size > 4) {
        memcpy(buf, t->s, size - 4);
        memcpy(buf + size - 4, "...", 4);
    } else {
        buf[0] = 0;
    }
    return buf;
}

bool scn_tok_is(const ScnTok* t, const char* word) {
    size_t n = strlen(word);
    return (size_t)t->len == n && memcmp(t->s, word, n) == 0;
}

bool scn_is_name(const char* s, int len) {
    if (len <= 0) return false;
    for (int i = 0; i < len; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!(alpha || (digit && i > 0))) return false;
    }
    return true;
}
