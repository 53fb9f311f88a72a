#include "base/report.h"

#include <stdio.h>

void report_setv(char* err, size_t err_size, const char* fmt, va_list ap) {
    if (!err || err_size == 0) return;
    vsnprintf(err, err_size, fmt, ap);
    /* one line, always: a stray newline in a quoted token must not split the message */
    for (char* p = err; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
}

void report_set(char* err, size_t err_size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report_setv(err, err_size, fmt, ap);
    va_end(ap);
}

void report_warn(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("nudge: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
