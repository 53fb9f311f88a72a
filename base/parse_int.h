/* parse_int: the one checked integer parser for numbers written as text that nudge reads (every
 * integer flag, "WxH" and "I/N" values, manifest fields, .npy shapes). An integer is decimal
 * digits with an optional leading '-': no spaces, no '+', no hex, and never reduced modulo 2^32 or
 * 2^64 -- "4294967304" is refused where an int is wanted, not taken as 8. */
#ifndef NUDGE_BASE_PARSE_INT_H
#define NUDGE_BASE_PARSE_INT_H
#include <stdbool.h>
#include <stdint.h>

typedef enum ParseIntStatus {
    PARSE_INT_OK = 0,
    PARSE_INT_NOT_A_NUMBER,    /* no digit where the integer should start */
    PARSE_INT_OUT_OF_RANGE,    /* digits, but the value lies outside [lo, hi] (however many digits) */
} ParseIntStatus;

/// reads the integer at the start of s; on PARSE_INT_OK *out is its value, in [lo, hi]. *end (may
/// be NULL) is set past the digits whenever there are digits, so "12x34" parses piece by piece
ParseIntStatus parse_int_prefix(const char* s, int64_t lo, int64_t hi, int64_t* out, const char** end);
/// the whole of s is one integer in [lo, hi] (nothing may follow it)
ParseIntStatus parse_int(const char* s, int64_t lo, int64_t hi, int64_t* out);
/// the whole of s is one unsigned integer in [0, 2^64 - 1] (no sign at all)
ParseIntStatus parse_u64(const char* s, uint64_t* out);
/// "A<sep>B" with A in [lo_a, hi_a] and B in [lo_b, hi_b] ("640x480" with sep 'x', "3/16" with
/// sep '/'); *rest (may be NULL) = what follows B, which the caller checks. Not OK when either
/// number is missing or out of its range, or the separator is not there
ParseIntStatus parse_int_pair(const char* s, char sep, int64_t lo_a, int64_t hi_a, int64_t lo_b, int64_t hi_b,
                              int64_t* a, int64_t* b, const char** rest);
/// a size in bytes: an integer with an optional binary suffix K, M, G or T (KiB, MiB, GiB, TiB;
/// "64M" = 67108864), optionally followed by "B" or "iB" ("64MiB", "2GB"); the value must lie in
/// [lo, hi] bytes (checked without wrapping)
ParseIntStatus parse_size(const char* s, int64_t lo, int64_t hi, int64_t* out);

#endif
