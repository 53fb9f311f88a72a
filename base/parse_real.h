/* parse_real: the one checked parser for real numbers written as text by the user (every number
 * flag, the LO,HI of --push-every and --push-dv, train's --weights). A number is decimal, as the
 * scenario language writes it: an optional sign, digits with at most one '.', an optional exponent
 * ("2", "-0.5", ".5", "1e-3"). Nothing else: no spaces, no hex ("0x10" is not 16), no "inf" or
 * "nan", no trailing characters, and nothing beyond a double's range (1e400) or below its
 * normal range (1e-400 is not taken as 0). */
#ifndef NUDGE_BASE_PARSE_REAL_H
#define NUDGE_BASE_PARSE_REAL_H
#include <stdbool.h>

/// reads the decimal number at the start of s into *out and sets *end past it; false (nothing
/// read) when s does not start with one or its value is not a finite, representable double
bool parse_real_prefix(const char* s, double* out, const char** end);
/// the whole of s is one decimal number (nothing may follow it)
bool parse_real(const char* s, double* out);

#endif
