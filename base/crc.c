#include "base/crc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "base/report.h"

uint32_t crc32_update(uint32_t crc, const void* buf, size_t len) {
    const unsigned char* p = buf;
    /* zlib takes uInt lengths: feed it in chunks */
    while (len > 0) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = (uint32_t)crc32((uLong)crc, p, n);
        p += n;
        len -= n;
    }
    return crc;
}

_Bool crc32_file(const char* path, uint32_t* out, char* err, size_t err_size) {
    FILE* f = fopen(path, "rb");
    if (!f) {
        report_set(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return 0;
    }
    static _Thread_local unsigned char buf[1 << 16];
    uint32_t crc = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) crc = crc32_update(crc, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        report_set(err, err_size, "%s: read error", path);
        return 0;
    }
    *out = crc;
    return 1;
}
