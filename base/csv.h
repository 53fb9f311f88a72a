/* csv: a text field of a CSV file nudge writes (plan --csv, voe --csv and --trace name tasks and
 * categories after their files, whose names may hold commas or quotes). */
#ifndef NUDGE_BASE_CSV_H
#define NUDGE_BASE_CSV_H
#include <stddef.h>

/// s as one CSV field (RFC 4180): s itself when it holds no comma, double quote, CR or LF; else s
/// in double quotes with its own quotes doubled, written into buf (cut, still quoted, to fit size)
const char* csv_field(const char* s, char* buf, size_t size);

#endif
