#include "base/crc.h"

#include <errno.h>
#include <pthread.h>
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

/* zero runs: whole blocks of CRC_ZBLOCK zero bytes, up to CRC_ZRUNS of them in one step, each
   step zlib's combination of the CRC so far with the run's own (a product in GF(2)) */
#define CRC_ZBLOCK 256
#define CRC_ZRUNS 64
static uLong zero_op[CRC_ZRUNS + 1], zero_crc[CRC_ZRUNS + 1];
static pthread_once_t zero_once = PTHREAD_ONCE_INIT;

static void zero_runs_init(void) {
    static const unsigned char zeros[CRC_ZBLOCK * CRC_ZRUNS];
    for (int k = 1; k <= CRC_ZRUNS; k++) {
        zero_op[k] = crc32_combine_gen((z_off_t)k * CRC_ZBLOCK);
        zero_crc[k] = crc32(0, zeros, (uInt)k * CRC_ZBLOCK);
    }
}

static int block_zero(const unsigned char* p) {
    uint64_t any = 0;
    for (int i = 0; i < CRC_ZBLOCK; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        any |= w;
    }
    return any == 0;
}

uint32_t crc32_update_sparse(uint32_t crc, const void* buf, size_t len) {
    pthread_once(&zero_once, zero_runs_init);
    const unsigned char* p = buf;
    size_t at = 0, from = 0;   /* from: where the bytes not yet summed start */
    while (at + CRC_ZBLOCK <= len) {
        if (!block_zero(p + at)) {
            at += CRC_ZBLOCK;
            continue;
        }
        size_t end = at + CRC_ZBLOCK;
        while (end + CRC_ZBLOCK <= len && block_zero(p + end)) end += CRC_ZBLOCK;
        crc = crc32_update(crc, p + from, at - from);
        for (size_t blocks = (end - at) / CRC_ZBLOCK; blocks > 0;) {
            size_t k = blocks > CRC_ZRUNS ? CRC_ZRUNS : blocks;
            crc = (uint32_t)crc32_combine_op(crc, zero_crc[k], zero_op[k]);
            blocks -= k;
        }
        at = from = end;
    }
    return crc32_update(crc, p + from, len - from);
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
