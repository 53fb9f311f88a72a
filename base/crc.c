#include "base/crc.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/input_file.h"
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
    int64_t size = 0;
    int fd = input_file_open(path, &size, err, err_size);
    if (fd < 0) return 0;
    static _Thread_local unsigned char buf[1 << 16];
    uint32_t crc = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            report_set(err, err_size, "%s: read error: %s", path, strerror(errno));
            close(fd);
            return 0;
        }
        crc = crc32_update(crc, buf, (size_t)n);
    }
    close(fd);
    *out = crc;
    return 1;
}
