#include "base/crc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/alloc.h"
#include "base/input_file.h"
#include "base/report.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CRC_CLMUL 1

/* CRC-32 by carry-less multiplication (PCLMULQDQ), for buffers of 64 bytes or more: the buffer is
   folded 64 bytes at a time into four 128-bit remainders, those into one, and zlib sums what is
   left. In the bit order of the reflected CRC, a little-endian 128-bit load holds x^127 (its bit 0)
   down to x^0; the carry-less product of two 64-bit halves so read is their polynomial product
   times x. A remainder S = H x^64 + L moved F bits on is H x^(F+64) + L x^F, which is congruent
   mod P to H k1 x + L k2 x with k1 = x^(F+63) mod P and k2 = x^(F-1) mod P: two products, XORed
   into the block F bits further on. The constants are computed once, from P itself */
static uint64_t clmul_k[4];   /* folds by 512 bits (k1, k2), then by 128 (k1, k2) */
static pthread_once_t clmul_once = PTHREAD_ONCE_INIT;
static int clmul_ok;

/* x^n mod P as a 64-bit value read as above (x^d at bit 63 - d) */
static uint64_t xpow_mod(int n) {
    uint64_t r = 1;   /* plain bit order: x^d at bit d; P = 0x104C11DB7 */
    for (int i = 0; i < n; i++) {
        r <<= 1;
        if (r & (1ull << 32)) r ^= 0x104C11DB7ull;
    }
    uint64_t out = 0;
    for (int d = 0; d < 32; d++)
        if (r >> d & 1) out |= 1ull << (63 - d);
    return out;
}

static void clmul_init(void) {
    clmul_k[0] = xpow_mod(512 + 63);
    clmul_k[1] = xpow_mod(512 - 1);
    clmul_k[2] = xpow_mod(128 + 63);
    clmul_k[3] = xpow_mod(128 - 1);
    __builtin_cpu_init();
    clmul_ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
}

__attribute__((target("pclmul,sse2"))) static inline __m128i clmul_fold(__m128i x, __m128i k) {
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) static uint32_t crc32_clmul(uint32_t crc, const unsigned char* p,
                                                                    size_t len) {
    const __m128i k512 = _mm_set_epi64x((long long)clmul_k[1], (long long)clmul_k[0]);
    const __m128i k128 = _mm_set_epi64x((long long)clmul_k[3], (long long)clmul_k[2]);
    /* zlib's CRC of (c, M) is the plain remainder of M with ~c added to its first 32 bits */
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i*)p), _mm_cvtsi32_si128((int)~crc));
    __m128i x1 = _mm_loadu_si128((const __m128i*)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i*)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i*)(p + 48));
    p += 64, len -= 64;
    for (; len >= 64; p += 64, len -= 64) {
        x0 = _mm_xor_si128(clmul_fold(x0, k512), _mm_loadu_si128((const __m128i*)p));
        x1 = _mm_xor_si128(clmul_fold(x1, k512), _mm_loadu_si128((const __m128i*)(p + 16)));
        x2 = _mm_xor_si128(clmul_fold(x2, k512), _mm_loadu_si128((const __m128i*)(p + 32)));
        x3 = _mm_xor_si128(clmul_fold(x3, k512), _mm_loadu_si128((const __m128i*)(p + 48)));
    }
    __m128i x = _mm_xor_si128(clmul_fold(x0, k128), x1);
    x = _mm_xor_si128(clmul_fold(x, k128), x2);
    x = _mm_xor_si128(clmul_fold(x, k128), x3);
    for (; len >= 16; p += 16, len -= 16) x = _mm_xor_si128(clmul_fold(x, k128), _mm_loadu_si128((const __m128i*)p));
    /* the 16 remainder bytes then the rest: zlib from a zero register (its ~0xffffffff) */
    unsigned char rem[16];
    _mm_storeu_si128((__m128i*)rem, x);
    uLong c = crc32(0xffffffffUL, rem, 16);
    return (uint32_t)crc32(c, p, (uInt)len);
}
#endif

uint32_t crc32_update(uint32_t crc, const void* buf, size_t len) {
    const unsigned char* p = buf;
#ifdef CRC_CLMUL
    if (len >= 64) {
        pthread_once(&clmul_once, clmul_init);
        if (clmul_ok) return crc32_clmul(crc, p, len);
    }
#endif
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
    /* on the heap, not a _Thread_local buffer: static TLS is set up for every thread of every
       process (64 KiB of it here, each of gen's fsync threads cleared it on its first pages) */
    enum { BUF = 1 << 16 };
    unsigned char* buf = alloc_bytes(BUF);
    uint32_t crc = 0;
    ssize_t n;
    while ((n = read(fd, buf, BUF)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            report_set(err, err_size, "%s: read error: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return 0;
        }
        crc = crc32_update(crc, buf, (size_t)n);
    }
    free(buf);
    close(fd);
    *out = crc;
    return 1;
}
