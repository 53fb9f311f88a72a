#include "base/utf8.h"

#include <string.h>

#include "base/alloc.h"

int utf8_char_length(const unsigned char* s) {
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (n == 0 || s[0] >= 0xF8) return 0;
    unsigned cp = s[0] & (0x7Fu >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    static const unsigned least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
    return n;
}

char* utf8_sanitized_dup(const char* s) {
    size_t len = strlen(s);
    char* out = alloc_array(3 * len + 1, 1);   /* each byte at most U+FFFD's three */
    size_t k = 0;
    for (const unsigned char* p = (const unsigned char*)s; *p;) {
        int n = *p < 0x80 ? 1 : utf8_char_length(p);
        if (n) {
            memcpy(out + k, p, (size_t)n);
            k += (size_t)n, p += n;
        } else {
            memcpy(out + k, "\xEF\xBF\xBD", 3);
            k += 3, p++;
        }
    }
    out[k] = 0;
    return out;
}
