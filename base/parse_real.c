#include "base/parse_real.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* the length of the decimal number at s ([+-] digits [. digits] [e [+-] digits], with a digit
   somewhere in the mantissa), or 0 when there is none */
static int decimal_length(const char* s) {
    const char* p = s;
    int digits = 0;
    if (*p == '+' || *p == '-') p++;
    while (*p >= '0' && *p <= '9') p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') p++, digits++;
    }
    if (digits == 0) return 0;
    if (*p == 'e' || *p == 'E') {
        const char* q = p + 1;
        if (*q == '+' || *q == '-') q++;
        if (*q >= '0' && *q <= '9') {
            while (*q >= '0' && *q <= '9') q++;
            p = q;
        }
    }
    return (int)(p - s);
}

bool parse_real_prefix(const char* s, double* out, const char** end) {
    int n = decimal_length(s);
    if (n == 0) return false;
    char* e = NULL;
    errno = 0;
    double v = strtod(s, &e);
    /* strtod reads exactly the decimal just measured (it has no other form starting so) */
    if (e != s + n || errno || !isfinite(v)) return false;
    *out = v;
    if (end) *end = e;
    return true;
}

bool parse_real(const char* s, double* out) {
    const char* end = NULL;
    double v;
    if (!parse_real_prefix(s, &v, &end) || *end) return false;
    *out = v;
    return true;
}
