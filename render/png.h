/* png: a PNG writer (8-bit gray or RGB, zlib-compressed, CRC via zlib) for screenshots. */
#ifndef NUDGE_RENDER_PNG_H
#define NUDGE_RENDER_PNG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// encodes pixels (h rows of w pixels, channels 1 = gray, 3 = RGB, no padding) as a PNG in a new
/// malloc'd buffer (*out, *out_len); false when the size is bad (not 1..32768 a side, channels
/// not 1 or 3)
bool render_png_encode(const uint8_t* pixels, int w, int h, int channels, uint8_t** out,
                       size_t* out_len);
/// writes a PNG atomically (temporary name, fsync, rename); false + one line in err
bool render_png_write(const char* path, const uint8_t* pixels, int w, int h, int channels, char* err,
                      size_t err_size);

#endif
