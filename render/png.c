#include "render/png.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/report.h"

static void put_u32(uint8_t* p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* appends one chunk (length, type, data, crc of type + data) at *at */
static uint8_t* put_chunk(uint8_t* at, const char type[4], const uint8_t* data, size_t n) {
    put_u32(at, (uint32_t)n);
    memcpy(at + 4, type, 4);
    if (n) memcpy(at + 8, data, n);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc       = crc32(crc, at + 4, (uInt)(n + 4));
    put_u32(at + 8 + n, (uint32_t)crc);
    return at + 12 + n;
}

bool render_png_encode(const uint8_t* pixels, int w, int h, int channels, uint8_t** out,
                       size_t* out_len) {
    *out     = NULL;
    *out_len = 0;
    if (w <= 0 || h <= 0 || (channels != 1 && channels != 3) || w > 32768 || h > 32768) return false;
    /* raw scanlines, each behind a filter byte: 1 = Sub (each byte minus the one to its left) */
    size_t   row = (size_t)w * channels, raw_len = (row + 1) * h;
    uint8_t* raw = alloc_bytes(raw_len);
    for (int y = 0; y < h; y++) {
        const uint8_t* src = pixels + row * y;
        uint8_t*       dst = raw + (row + 1) * y;
        dst[0]             = 1;
        for (size_t i = 0; i < row; i++)
            dst[1 + i] = (uint8_t)(src[i] - (i >= (size_t)channels ? src[i - channels] : 0));
    }
    uLongf   zlen = compressBound((uLong)raw_len);
    uint8_t* z    = alloc_bytes(zlen);
    /* with compressBound's room, zlib fails only when it runs out of memory */
    if (compress2(z, &zlen, raw, (uLong)raw_len, 6) != Z_OK) alloc_fail(raw_len);
    free(raw);
    size_t   total = 8 + (12 + 13) + (12 + zlen) + 12;
    uint8_t* png   = alloc_bytes(total);
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(png, sig, 8);
    uint8_t ihdr[13];
    put_u32(ihdr, (uint32_t)w);
    put_u32(ihdr + 4, (uint32_t)h);
    ihdr[8]  = 8;                      /* bit depth */
    ihdr[9]  = channels == 3 ? 2 : 0;  /* colour type: RGB or gray */
    ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filters, no interlace */
    uint8_t* at = put_chunk(png + 8, "IHDR", ihdr, 13);
    at          = put_chunk(at, "IDAT", z, zlen);
    at          = put_chunk(at, "IEND", NULL, 0);
    free(z);
    *out     = png;
    *out_len = (size_t)(at - png);
    return true;
}

bool render_png_write(const char* path, const uint8_t* pixels, int w, int h, int channels, char* err,
                      size_t err_size) {
    uint8_t* png;
    size_t   n;
    if (!render_png_encode(pixels, w, h, channels, &png, &n)) {
        report_set(err, err_size, "%s: cannot encode a %dx%d PNG", path, w, h);
        return false;
    }
    bool ok = atomic_file_put(path, png, n, err, err_size);
    free(png);
    return ok;
}
