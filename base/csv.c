#include "base/csv.h"

#include <string.h>

const char* csv_field(const char* s, char* buf, size_t size) {
    if (!strpbrk(s, ",\"\r\n") || size < 3) return s;
    size_t n = 0;
    buf[n++] = '"';
    for (; *s && n + 2 < size; s++) {
        if (*s == '"') {
            if (n + 3 >= size) break;
            buf[n++] = '"';
        }
        buf[n++] = *s;
    }
    buf[n++] = '"';
    buf[n] = 0;
    return buf;
}
