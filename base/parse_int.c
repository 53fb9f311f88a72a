#include "base/parse_int.h"

/* the digits at s as a magnitude; false when there is no digit. *big is set when the value does
 * not fit in 64 bits (the digits are still consumed, so a caller can say "out of range") */
static bool read_digits(const char* s, uint64_t* mag, bool* big, const char** end) {
    const char* p = s;
    uint64_t v = 0;
    *big = false;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) *big = true;
        else v = v * 10 + d;
        p++;
    }
    *mag = v;
    *end = p;
    return p != s;
}

ParseIntStatus parse_int_prefix(const char* s, int64_t lo, int64_t hi, int64_t* out, const char** end) {
    bool neg = *s == '-';
    uint64_t mag;
    bool big;
    const char* e;
    if (!read_digits(s + neg, &mag, &big, &e)) return PARSE_INT_NOT_A_NUMBER;
    if (end) *end = e;
    if (big) return PARSE_INT_OUT_OF_RANGE;
    int64_t v;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1) return PARSE_INT_OUT_OF_RANGE;
        v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX) return PARSE_INT_OUT_OF_RANGE;
        v = (int64_t)mag;
    }
    if (v < lo || v > hi) return PARSE_INT_OUT_OF_RANGE;
    *out = v;
    return PARSE_INT_OK;
}

ParseIntStatus parse_int(const char* s, int64_t lo, int64_t hi, int64_t* out) {
    const char* end = s;
    int64_t v;
    ParseIntStatus st = parse_int_prefix(s, lo, hi, &v, &end);
    if (st == PARSE_INT_NOT_A_NUMBER || *end) return PARSE_INT_NOT_A_NUMBER;
    if (st == PARSE_INT_OK) *out = v;
    return st;
}

ParseIntStatus parse_u64(const char* s, uint64_t* out) {
    uint64_t mag;
    bool big;
    const char* end;
    if (!read_digits(s, &mag, &big, &end) || *end) return PARSE_INT_NOT_A_NUMBER;
    if (big) return PARSE_INT_OUT_OF_RANGE;
    *out = mag;
    return PARSE_INT_OK;
}

ParseIntStatus parse_int_pair(const char* s, char sep, int64_t lo_a, int64_t hi_a, int64_t lo_b, int64_t hi_b,
                              int64_t* a, int64_t* b, const char** rest) {
    const char* p = s;
    int64_t x = 0, y = 0;
    ParseIntStatus sa = parse_int_prefix(p, lo_a, hi_a, &x, &p);
    if (sa == PARSE_INT_NOT_A_NUMBER || *p != sep) return PARSE_INT_NOT_A_NUMBER;
    ParseIntStatus sb = parse_int_prefix(p + 1, lo_b, hi_b, &y, &p);
    if (sb == PARSE_INT_NOT_A_NUMBER) return PARSE_INT_NOT_A_NUMBER;
    if (sa != PARSE_INT_OK || sb != PARSE_INT_OK) return PARSE_INT_OUT_OF_RANGE;
    *a = x;
    *b = y;
    if (rest) *rest = p;
    return PARSE_INT_OK;
}

ParseIntStatus parse_size(const char* s, int64_t lo, int64_t hi, int64_t* out) {
    const char* end = s;
    int64_t v = 0;
    ParseIntStatus st = parse_int_prefix(s, 0, INT64_MAX, &v, &end);
    if (st == PARSE_INT_NOT_A_NUMBER || *s == '-') return PARSE_INT_NOT_A_NUMBER;
    int shift = 0;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: break;
    }
    if (shift && *end == 'i') end++;
    if (*end == 'B') end++;
    if (*end) return PARSE_INT_NOT_A_NUMBER;
    if (st != PARSE_INT_OK || v > (INT64_MAX >> shift)) return PARSE_INT_OUT_OF_RANGE;
    v <<= shift;
    if (v < lo || v > hi) return PARSE_INT_OUT_OF_RANGE;
    *out = v;
    return PARSE_INT_OK;
}
