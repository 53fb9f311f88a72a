/* report: one-line error messages into a caller's buffer, and warnings to stderr.
 * Bad input is reported as "file:line:col: what was expected, got what" and the command exits 2. */
#ifndef NUDGE_BASE_REPORT_H
#define NUDGE_BASE_REPORT_H
#include <stdarg.h>
#include <stddef.h>

/// formats one line into err (always NUL-terminated, newlines replaced); err may be NULL
void report_set(char* err, size_t err_size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
void report_setv(char* err, size_t err_size, const char* fmt, va_list ap);
/// "nudge: warning: ..." on stderr
void report_warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
