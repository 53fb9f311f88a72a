/* base/: rng, .npy round trips (plain and structured dtypes) and hostile headers, checked sizes,
 * input files that are not regular, atomic files, CRC-32, reports */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <dirent.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/checked_size.h"
#include "base/input_file.h"
#include "base/interrupt.h"
#include "base/crc.h"
#include "base/npy.h"
#include "base/csv.h"
#include "base/parse_int.h"
#include "base/parse_real.h"
#include "base/rank.h"
#include "base/report.h"
#include "base/rng.h"
#include "ensure.h"

static char dir[256];

static void test_rng(void) {
    Rng a, b, c;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    int same = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
        ENSURE(x == y);
        same += x == z;
    }
    ENSURE(same == 0);
    double sum = 0;
    int counts[3] = {0};
    for (int i = 0; i < 30000; i++) {
        double u = rng_uniform(&a, 2, 3);
        ENSURE(u >= 2 && u < 3);
        sum += u;
        int64_t k = rng_int(&a, -1, 1);
        ENSURE(k >= -1 && k <= 1);
        counts[k + 1]++;
    }
    ENSURE_NEAR(sum / 30000, 2.5, 0.01);
    for (int k = 0; k < 3; k++) ENSURE(counts[k] > 9000 && counts[k] < 11000);
    ENSURE(rng_derive(1, 0) != rng_derive(1, 1) && rng_derive(1, 0) != rng_derive(2, 0));
    ENSURE(rng_derive(7, 3) == rng_derive(7, 3));
}

/* a .npy file (format 1.0) of dtype 'u1' with the header's shape written as `shape` and n data bytes */
static void npy_hand(const char* path, const char* shape, size_t n) {
    char dict[256];
    int d = snprintf(dict, sizeof dict, "{'descr': '|u1', 'fortran_order': False, 'shape': %s, }", shape);
    int pad = 64 - (10 + d + 1) % 64;
    FILE* f = fopen(path, "wb");
    ENSURE(f);
    int hlen = d + pad + 1;
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f), fputc(hlen >> 8, f);
    fputs(dict, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) fputc(7, f);
    fclose(f);
}

static void test_npy_shapes(void) {
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/s.npy", dir);
    /* the tuples numpy writes */
    const char* ok[] = {"()", "(3,)", "(2, 3)", "(2,3)", "( 2 , 3 , )"};
    const int64_t count[] = {1, 3, 6, 6, 6};
    for (int i = 0; i < 5; i++) {
        npy_hand(path, ok[i], (size_t)count[i]);
        NpyArray* a = npy_load(path, err, sizeof err);
        ENSURE(a && npy_count(a) == count[i] && a->nbytes == (size_t)count[i]);
        npy_free(a);
    }
    /* numbers without a comma between them are no tuple */
    npy_hand(path, "(2 3)", 6);
    ENSURE(!npy_load(path, err, sizeof err) && strstr(err, "malformed shape"));
    /* an element count past int64, even with a zero after it (0 bytes, which the size check alone
       let through; found by make fuzz) */
    npy_hand(path, "(2, 9222222036854775807, 0)", 0);
    ENSURE(!npy_load(path, err, sizeof err) && strstr(err, "element count overflows"));
}

static void test_npy_round_trip(void) {
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/a.npy", dir);
    float data[2 * 3] = {1, 2, 3, 4, 5, -6.5f};
    int64_t shape[2] = {2, 3};
    ENSURE(npy_save(path, "'<f4'", shape, 2, data, sizeof data, err, sizeof err));
    NpyArray* a = npy_load(path, err, sizeof err);
    ENSURE(a && a->ndim == 2 && a->shape[0] == 2 && a->shape[1] == 3 && npy_count(a) == 6);
    ENSURE(strcmp(a->descr, "'<f4'") == 0 && memcmp(a->data, data, sizeof data) == 0);
    npy_free(a);
    /* the header pads the data to a multiple of 64 bytes, as numpy does */
    char head[1024];
    size_t h = npy_header(head, sizeof head, "'<f4'", shape, 2);
    ENSURE(h % 64 == 0 && head[h - 1] == '\n' && memcmp(head, "\x93NUMPY\x01\x00", 8) == 0);
    /* a packed structured dtype, with a type written without a byte-order mark ('u1') */
    unsigned char rec[2 * 9];
    memset(rec, 7, sizeof rec);
    int64_t n[1] = {2};
    const char* descr = "[('a', '<i4'), ('t', 'u1'), ('m', '<f4')]";
    ENSURE(npy_save(path, descr, n, 1, rec, sizeof rec, err, sizeof err));
    a = npy_load(path, err, sizeof err);
    ENSURE(a && a->nbytes == sizeof rec && strcmp(a->descr, descr) == 0);
    npy_free(a);
    /* truncated and foreign files are one-line errors, not crashes */
    FILE* f = fopen(path, "r+b");
    ENSURE(f && ftruncate(fileno(f), 100) == 0);
    fclose(f);
    ENSURE(!npy_load(path, err, sizeof err) && strstr(err, "truncated"));
    f = fopen(path, "wb");
    fputs("not numpy at all", f);
    fclose(f);
    ENSURE(!npy_load(path, err, sizeof err) && strstr(err, "not a .npy file"));
    ENSURE(!npy_load("/nonexistent/x.npy", err, sizeof err) && strstr(err, "cannot open"));
}

static void test_atomic_file(void) {
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/b.txt", dir);
    ENSURE(atomic_file_put(path, "old", 3, err, sizeof err));
    AtomicFile af;
    ENSURE(atomic_file_open(&af, path, err, sizeof err));
    atomic_file_write(&af, "new!", 4);
    /* until commit, readers see the old file */
    char buf[8] = {0};
    FILE* f = fopen(path, "rb");
    ENSURE(fread(buf, 1, 8, f) == 3 && memcmp(buf, "old", 3) == 0);
    fclose(f);
    atomic_file_abort(&af);
    struct stat st;
    ENSURE(stat(af.tmp, &st) != 0); /* the temporary is gone */
    ENSURE(atomic_file_open(&af, path, err, sizeof err));
    atomic_file_write(&af, "new!", 4);
    ENSURE(atomic_file_commit(&af, err, sizeof err));
    ENSURE(stat(path, &st) == 0 && st.st_size == 4);
    ENSURE(!atomic_file_put("/dev/null/x", "x", 1, err, sizeof err) && strstr(err, "/dev/null/x"));
}

static void test_crc_and_report(void) {
    ENSURE(crc32_update(0, "123456789", 9) == 0xCBF43926u);
    ENSURE(crc32_update(crc32_update(0, "1234", 4), "56789", 5) == 0xCBF43926u);
    /* the carry-less multiplication path (64 bytes and more) equals zlib's, at every length across
       its 64- and 16-byte steps, any alignment and any running CRC */
    {
        static unsigned char rb[1200];
        uint64_t x = 777;
        for (size_t i = 0; i < sizeof rb; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            rb[i] = (unsigned char)(x >> 56);
        }
        for (size_t len = 0; len + 16 <= sizeof rb; len += len < 200 ? 1 : 37)
            for (size_t off = 0; off < 16; off += 5) {
                uint32_t seed = (uint32_t)(len * 2654435761u);
                ENSURE(crc32_update(seed, rb + off, len) == (uint32_t)crc32(seed, rb + off, (uInt)len));
            }
    }
    /* the sparse CRC equals the plain one: zero runs of every length and place, short and long */
    {
        static unsigned char sp[40000];
        uint64_t x = 12345;
        for (int round = 0; round < 200; round++) {
            memset(sp, round % 9 == 8 ? 7 : 0, sizeof sp);   /* one round in nine has no zero at all */
            int islands = round % 9;
            for (int k = 0; k < islands; k++) {
                x = x * 6364136223846793005u + 1442695040888963407u;
                size_t at = (size_t)(x >> 33) % sizeof sp, n = 1 + (size_t)(x >> 20) % 700;
                for (size_t j = at; j < at + n && j < sizeof sp; j++) sp[j] = (unsigned char)(j * 31 + k + 1);
            }
            size_t len = round == 0 ? 0 : (size_t)(x >> 40) % sizeof sp;
            uint32_t seed = round % 3 ? 0 : 0xdeadbeefu;
            ENSURE(crc32_update_sparse(seed, sp, len) == crc32_update(seed, sp, len));
            ENSURE(crc32_update_sparse(seed, sp + 1, len > 0 ? len - 1 : 0) == crc32_update(seed, sp + 1, len > 0 ? len - 1 : 0));
        }
    }
    char err[64];
    report_set(err, sizeof err, "a\nb\rc %d", 5);
    ENSURE(strcmp(err, "a b c 5") == 0);
    report_set(err, 8, "%s", "a long message");
    ENSURE(strlen(err) == 7);
}

/* sizes from files never wrap */
static void test_checked_size(void) {
    size_t out = 7;
    ENSURE(size_mul_ok(3, 5, &out) && out == 15);
    ENSURE(!size_mul_ok(SIZE_MAX / 2 + 1, 2, &out) && out == 0);
    ENSURE(size_add_ok(SIZE_MAX - 1, 1, &out) && out == SIZE_MAX);
    ENSURE(!size_add_ok(SIZE_MAX, 1, &out));
    /* issue 16's manifest: 3 slots x 6148914691236517888 ticks wraps to 2048 in size_t */
    int64_t wrap[2] = {3, 6148914691236517888LL};
    ENSURE(!size_product_ok(wrap, 2, 1, &out));
    int64_t neg[2] = {3, -1};
    ENSURE(!size_product_ok(neg, 2, 4, &out));
    int64_t fine[3] = {2, 3, 4};
    ENSURE(size_product_ok(fine, 3, 8, &out) && out == 192);
    ENSURE(size_product_ok(fine, 0, 8, &out) && out == 8);
}

/* writes a .npy file whose header declares `shape` but holds `data_bytes` bytes of data */
static void write_raw_npy(const char* path, const char* shape, size_t data_bytes) {
    char dict[256];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", shape);
    size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64;
    FILE* f = fopen(path, "wb");
    ENSURE(f);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)((total - 10) & 0xff),
                             (unsigned char)((total - 10) >> 8)};
    fwrite(pre, 1, 10, f);
    fwrite(dict, 1, (size_t)n, f);
    for (size_t i = 10 + (size_t)n; i + 1 < total; i++) fputc(' ', f);
    fputc('\n', f);
    for (size_t i = 0; i < data_bytes; i++) fputc(0, f);
    fclose(f);
}

/* hostile headers: overflowing shapes, declared sizes beyond the file, trailing bytes */
static void test_npy_hostile(void) {
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/hostile.npy", dir);
    /* issue 16 defect 2: (2, 2^63-1) overflows the element count: refused, no allocation */
    write_raw_npy(path, "(2, 9223372036854775807)", 16);
    ENSURE(npy_load(path, err, sizeof err) == NULL && strstr(err, "overflow"));
    NpyArray fake = {.ndim = 2, .shape = {2, 9223372036854775807LL}};
    ENSURE(npy_count(&fake) == -1);
    /* a declared terabyte in a 16-byte file: refused before allocating it */
    write_raw_npy(path, "(137438953472,)", 16);
    ENSURE(npy_load(path, err, sizeof err) == NULL && strstr(err, "truncated"));
    /* more data than the shape says */
    write_raw_npy(path, "(1,)", 16);
    ENSURE(npy_load(path, err, sizeof err) == NULL && strstr(err, "unexpected"));
    /* exactly right */
    write_raw_npy(path, "(2,)", 16);
    NpyArray* a = npy_load(path, err, sizeof err);
    ENSURE(a && a->nbytes == 16 && npy_count(a) == 2);
    npy_free(a);
    /* a shape that is not closed, and a number too large for int64 */
    write_raw_npy(path, "(2, 3", 48);
    ENSURE(npy_load(path, err, sizeof err) == NULL && strstr(err, "shape"));
    write_raw_npy(path, "(99999999999999999999,)", 16);
    ENSURE(npy_load(path, err, sizeof err) == NULL && strstr(err, "shape"));
}

/* inputs that are not regular files are refused at once, never read (issue 16 defect 9) */
static void test_input_file(void) {
    char path[512], link[512], err[512];
    snprintf(path, sizeof path, "%s/fifo", dir);
    ENSURE(mkfifo(path, 0600) == 0);
    /* opening a FIFO without a writer would block forever without O_NONBLOCK */
    ENSURE(input_file_open(path, NULL, err, sizeof err) < 0 && strstr(err, "FIFO"));
    ENSURE(input_file_read(path, 100, NULL, err, sizeof err) == NULL && strstr(err, "FIFO"));
    ENSURE(npy_load(path, err, sizeof err) == NULL && strstr(err, "not a regular file"));
    uint32_t crc;
    ENSURE(!crc32_file(path, &crc, err, sizeof err) && strstr(err, "FIFO"));
    /* a symlink to /dev/zero: endless bytes if read */
    snprintf(link, sizeof link, "%s/zero.npy", dir);
    ENSURE(symlink("/dev/zero", link) == 0);
    ENSURE(!crc32_file(link, &crc, err, sizeof err) && strstr(err, "character device"));
    ENSURE(npy_load(link, err, sizeof err) == NULL && strstr(err, "character device"));
    ENSURE(input_file_open(dir, NULL, err, sizeof err) < 0 && strstr(err, "folder"));
    /* a regular file: its size, and reading it whole within a limit */
    snprintf(path, sizeof path, "%s/text", dir);
    char e2[256];
    ENSURE(atomic_file_put(path, "hello", 5, e2, sizeof e2));
    int64_t size = 0;
    int fd = input_file_open(path, &size, err, sizeof err);
    ENSURE(fd >= 0 && size == 5);
    close(fd);
    size_t len = 0;
    char* text = input_file_read(path, 5, &len, err, sizeof err);
    ENSURE(text && len == 5 && !strcmp(text, "hello"));
    free(text);
    ENSURE(input_file_read(path, 4, &len, err, sizeof err) == NULL && strstr(err, "5 bytes"));
}

/* a CSV field: quoted only when it must be, quotes doubled, cut to fit and still quoted */
static void test_csv_field(void) {
    char b[16];
    const char* plain = "teleport";
    ENSURE(csv_field(plain, b, sizeof b) == plain);
    ENSURE(!strcmp(csv_field("a,b", b, sizeof b), "\"a,b\""));
    ENSURE(!strcmp(csv_field("say \"hi\"", b, sizeof b), "\"say \"\"hi\"\"\""));
    ENSURE(!strcmp(csv_field("two\nlines", b, sizeof b), "\"two\nlines\""));
    ENSURE(!strcmp(csv_field("a,bcdefghijklmnopqrstuvwxyz", b, sizeof b), "\"a,bcdefghijkl\""));
    ENSURE(!strcmp(csv_field("a,\"\"\"\"\"\"\"\"\"", b, 8), "\"a,\"\"\""));
}

/* the one real-number parser: decimal only, as the scenario language writes numbers */
static void test_parse_real(void) {
    double v = 0;
    const char* rest = NULL;
    ENSURE(parse_real("2", &v) && v == 2);
    ENSURE(parse_real("-0.5", &v) && v == -0.5);
    ENSURE(parse_real(".5", &v) && v == 0.5 && parse_real("5.", &v) && v == 5);
    ENSURE(parse_real("1e-3", &v) && v == 1e-3 && parse_real("+2.5E2", &v) && v == 250);
    ENSURE(parse_real("-0", &v) && v == 0 && signbit(v));
    v = 123;
    const char* not_numbers[] = {"", "-", ".", "e5", " 5", "5 ", "5x", "0x10", "0X1p4", "inf", "-infinity", "nan",
                                 "1e400", "-1e400", "1e-400", "1e", "1e+", "1.5.2", "--5", "five", "1,2"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) ENSURE(!parse_real(not_numbers[i], &v));
    ENSURE(v == 123);
    ENSURE(parse_real_prefix("0.1,0.2", &v, &rest) && v == 0.1 && *rest == ',');
    ENSURE(parse_real_prefix("1e,", &v, &rest) && v == 1 && *rest == 'e');
    ENSURE(!parse_real_prefix("0x1,2", &v, &rest));
}

/* the one integer parser: no wrap-around, no spaces or signs where none belong */
static void test_parse_int(void) {
    int64_t v = 0, a = 0, b = 0;
    uint64_t u = 0;
    const char* rest = NULL;
    ENSURE(parse_int("0", 0, 10, &v) == PARSE_INT_OK && v == 0);
    ENSURE(parse_int("-5", -10, 10, &v) == PARSE_INT_OK && v == -5);
    ENSURE(parse_int("007", 0, 10, &v) == PARSE_INT_OK && v == 7);
    ENSURE(parse_int("9223372036854775807", INT64_MIN, INT64_MAX, &v) == PARSE_INT_OK && v == INT64_MAX);
    ENSURE(parse_int("-9223372036854775808", INT64_MIN, INT64_MAX, &v) == PARSE_INT_OK && v == INT64_MIN);
    ENSURE(parse_int("9223372036854775808", INT64_MIN, INT64_MAX, &v) == PARSE_INT_OUT_OF_RANGE);
    ENSURE(parse_int("-9223372036854775809", INT64_MIN, INT64_MAX, &v) == PARSE_INT_OUT_OF_RANGE);
    ENSURE(parse_int("99999999999999999999999999", 0, 10, &v) == PARSE_INT_OUT_OF_RANGE);
    /* 2^32 + 8 is not 8 */
    v = 123;
    ENSURE(parse_int("4294967304", 0, INT32_MAX, &v) == PARSE_INT_OUT_OF_RANGE && v == 123);
    ENSURE(parse_int("11", 0, 10, &v) == PARSE_INT_OUT_OF_RANGE);
    ENSURE(parse_int("-1", 0, 10, &v) == PARSE_INT_OUT_OF_RANGE);
    const char* not_numbers[] = {"", "-", " 5", "+5", "5 ", "5x", "0x10", "1e3", "--5", "1.0", "five"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++)
        ENSURE(parse_int(not_numbers[i], INT64_MIN, INT64_MAX, &v) == PARSE_INT_NOT_A_NUMBER);
    ENSURE(parse_u64("18446744073709551615", &u) == PARSE_INT_OK && u == UINT64_MAX);
    ENSURE(parse_u64("18446744073709551616", &u) == PARSE_INT_OUT_OF_RANGE);
    ENSURE(parse_u64("-1", &u) == PARSE_INT_NOT_A_NUMBER && parse_u64("", &u) == PARSE_INT_NOT_A_NUMBER);
    /* a prefix, then what follows */
    ENSURE(parse_int_prefix("12x34", 0, 100, &v, &rest) == PARSE_INT_OK && v == 12 && *rest == 'x');
    ENSURE(parse_int_pair("640x480:rgb", 'x', 1, 1000, 1, 1000, &a, &b, &rest) == PARSE_INT_OK && a == 640 && b == 480 &&
           !strcmp(rest, ":rgb"));
    ENSURE(parse_int_pair("3/16", '/', 0, 100, 1, 100, &a, &b, &rest) == PARSE_INT_OK && a == 3 && b == 16 && !*rest);
    ENSURE(parse_int_pair("4294967304x8", 'x', 0, INT32_MAX, 0, INT32_MAX, &a, &b, NULL) == PARSE_INT_OUT_OF_RANGE);
    ENSURE(parse_int_pair("4294967296/4294967297", '/', 0, INT32_MAX, 1, INT32_MAX, &a, &b, NULL) ==
           PARSE_INT_OUT_OF_RANGE);
    ENSURE(parse_int_pair("8x", 'x', 0, 9, 0, 9, &a, &b, NULL) == PARSE_INT_NOT_A_NUMBER);
    ENSURE(parse_int_pair("x8", 'x', 0, 9, 0, 9, &a, &b, NULL) == PARSE_INT_NOT_A_NUMBER);
    ENSURE(parse_int_pair("8*8", 'x', 0, 9, 0, 9, &a, &b, NULL) == PARSE_INT_NOT_A_NUMBER);
    /* sizes: binary suffixes, checked against the range without wrapping */
    ENSURE(parse_size("64M", 0, INT64_MAX, &v) == PARSE_INT_OK && v == 64LL << 20);
    ENSURE(parse_size("2G", 0, INT64_MAX, &v) == PARSE_INT_OK && v == 2LL << 30);
    ENSURE(parse_size("2GiB", 0, INT64_MAX, &v) == PARSE_INT_OK && v == 2LL << 30);
    ENSURE(parse_size("512k", 0, INT64_MAX, &v) == PARSE_INT_OK && v == 512LL << 10);
    ENSURE(parse_size("1048576", 0, INT64_MAX, &v) == PARSE_INT_OK && v == 1048576);
    ENSURE(parse_size("3T", 0, INT64_MAX, &v) == PARSE_INT_OK && v == 3LL << 40);
    ENSURE(parse_size("16777216T", 0, INT64_MAX, &v) == PARSE_INT_OUT_OF_RANGE);   /* 2^64 bytes */
    ENSURE(parse_size("1M", 2 << 20, INT64_MAX, &v) == PARSE_INT_OUT_OF_RANGE);
    const char* not_sizes[] = {"", "M", "-64M", "64X", "64 M", "64MB ", "6.4G", "64MiBB", "+1G"};
    for (size_t i = 0; i < sizeof not_sizes / sizeof not_sizes[0]; i++)
        ENSURE(parse_size(not_sizes[i], 0, INT64_MAX, &v) == PARSE_INT_NOT_A_NUMBER);
}

/* bytes of a file, or -1 */
static long file_size(const char* path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static bool file_is(const char* path, const char* text) {
    char buf[256] = {0};
    FILE* f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* output paths that are not plain files: links are followed, devices and FIFOs written in place */
static void test_atomic_targets(void) {
    char path[512], link[512], link2[512], err[512];
    struct stat st;
    /* a symlink: the file it names is replaced, the link stays a link */
    snprintf(path, sizeof path, "%s/real.txt", dir);
    snprintf(link, sizeof link, "%s/link.txt", dir);
    ENSURE(atomic_file_put(path, "old", 3, err, sizeof err));
    ENSURE(symlink("real.txt", link) == 0);
    ENSURE(atomic_file_put(link, "through", 7, err, sizeof err));
    ENSURE(lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && file_is(path, "through"));
    /* a chain of links, one of them absolute */
    snprintf(link2, sizeof link2, "%s/link2.txt", dir);
    ENSURE(symlink(link, link2) == 0);
    ENSURE(atomic_file_put(link2, "chain", 5, err, sizeof err));
    ENSURE(lstat(link2, &st) == 0 && S_ISLNK(st.st_mode) && lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    ENSURE(file_is(path, "chain"));
    /* a dangling link: its target is created */
    snprintf(link, sizeof link, "%s/dangling.txt", dir);
    snprintf(path, sizeof path, "%s/made.txt", dir);
    ENSURE(symlink("made.txt", link) == 0);
    ENSURE(atomic_file_put(link, "made", 4, err, sizeof err));
    ENSURE(lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && file_is(path, "made"));
    /* a loop of links is one line */
    snprintf(link, sizeof link, "%s/loop_a", dir);
    snprintf(link2, sizeof link2, "%s/loop_b", dir);
    ENSURE(symlink("loop_b", link) == 0 && symlink("loop_a", link2) == 0);
    ENSURE(!atomic_file_put(link, "x", 1, err, sizeof err) && strstr(err, "symbolic links") && strstr(err, link));
    /* a folder is refused */
    ENSURE(!atomic_file_put(dir, "x", 1, err, sizeof err) && strstr(err, "is a folder"));
    /* the file's permissions are kept */
    snprintf(path, sizeof path, "%s/private.txt", dir);
    ENSURE(atomic_file_put(path, "a", 1, err, sizeof err) && chmod(path, 0600) == 0);
    ENSURE(atomic_file_put(path, "bb", 2, err, sizeof err));
    ENSURE(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 2);
    /* a character device: written into, never replaced. mknod needs privileges; a link to
       /dev/null reaches the same code */
    snprintf(path, sizeof path, "%s/mynull", dir);
    if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) != 0) ENSURE(symlink("/dev/null", path) == 0);
    for (int i = 0; i < 2; i++) {
        AtomicFile af;
        ENSURE(atomic_file_open(&af, path, err, sizeof err) && af.direct);
        for (int k = 0; k < 1000; k++) atomic_file_write(&af, "0123456789abcdef", 16);
        if (i == 0) ENSURE(atomic_file_commit(&af, err, sizeof err));
        else atomic_file_abort(&af);
        ENSURE(stat(path, &st) == 0 && S_ISCHR(st.st_mode) && stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    }
    ENSURE(npy_save(path, "'<f4'", (int64_t[]){1}, 1, "abcd", 4, err, sizeof err));
    ENSURE(stat(path, &st) == 0 && S_ISCHR(st.st_mode));
    /* a FIFO: the reader gets every byte, and the FIFO stays a FIFO */
    snprintf(path, sizeof path, "%s/out.fifo", dir);
    ENSURE(mkfifo(path, 0600) == 0);
    int fds[2];
    ENSURE(pipe(fds) == 0);
    pid_t pid = fork();
    ENSURE(pid >= 0);
    if (pid == 0) {
        /* the reader: counts the bytes and reports them through the pipe */
        FILE* f = fopen(path, "rb");
        long n = 0;
        while (f && fgetc(f) != EOF) n++;
        if (f) fclose(f);
        ENSURE(write(fds[1], &n, sizeof n) == (ssize_t)sizeof n);
        _exit(0);
    }
    close(fds[1]);
    static char big[200000];
    memset(big, 'q', sizeof big);
    ENSURE(atomic_file_put(path, big, sizeof big, err, sizeof err));
    long got = -1;
    ENSURE(read(fds[0], &got, sizeof got) == (ssize_t)sizeof got && got == (long)sizeof big);
    close(fds[0]);
    int status;
    ENSURE(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ENSURE(stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    /* no temporary was left anywhere */
    DIR* d = opendir(dir);
    ENSURE(d);
    for (struct dirent* e; (e = readdir(d)) != NULL;) ENSURE(!strstr(e->d_name, ".tmp-"));
    closedir(d);
}

/* beyond the file-size limit (ulimit -f): one line, the old file intact, no temporary left */
static void test_atomic_file_limit(void) {
    char path[512], tmp[600];
    snprintf(path, sizeof path, "%s/limited.txt", dir);
    char err[512];
    ENSURE(atomic_file_put(path, "old", 3, err, sizeof err));
    fflush(stderr);
    pid_t pid = fork();
    ENSURE(pid >= 0);
    if (pid == 0) {
        interrupt_setup_process();
        struct rlimit rl = {4096, 4096};
        ENSURE(setrlimit(RLIMIT_FSIZE, &rl) == 0);
        static char big[10000];
        memset(big, 'x', sizeof big);
        bool ok = atomic_file_put(path, big, sizeof big, err, sizeof err);
        ENSURE(!ok && strstr(err, path) && strstr(err, strerror(EFBIG)) && !strchr(err, '\n'));
        snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
        ENSURE(file_size(tmp) < 0);
        /* the .npy writer too */
        ok = npy_save(path, "'<f4'", (int64_t[]){2500}, 1, big, 10000, err, sizeof err);
        ENSURE(!ok && strstr(err, strerror(EFBIG)) && file_size(tmp) < 0);
        _exit(0);
    }
    int status;
    ENSURE(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ENSURE(file_is(path, "old"));
}

/* the allocation policy: zeroed, kept on resize, and out of memory is one line and an abort */
static void dies_out_of_memory(void (*fn)(void)) {
    int fds[2];
    ENSURE(pipe(fds) == 0);
    fflush(stderr);
    pid_t pid = fork();
    ENSURE(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        fn();
        _exit(0);
    }
    close(fds[1]);
    char msg[256] = "";
    ssize_t n = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    if (n > 0) msg[n] = 0;
    int status = 0;
    ENSURE(waitpid(pid, &status, 0) == pid);
    ENSURE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    ENSURE(strncmp(msg, "nudge: out of memory: ", 22) == 0 && strchr(msg, '\n') == msg + strlen(msg) - 1);
}

static void overflowing_array(void) { (void)alloc_array(SIZE_MAX / 2, 4); }
static void overflowing_resize(void) { (void)alloc_resize(NULL, SIZE_MAX / 8 + 1, 16); }

/* a program's handler (the nudge command's, app/main.c) runs instead of the abort, and the open
   atomic files' temporaries can be removed from it */
static void removing_handler(size_t bytes) {
    (void)bytes;
    atomic_file_remove_temporaries();
    _exit(3);
}

static void test_alloc_handler(void) {
    char path[512], tmp[sizeof ((AtomicFile*)0)->tmp], err[256];
    snprintf(path, sizeof path, "%s/oom.txt", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp-", path);
    fflush(stderr);
    pid_t pid = fork();
    ENSURE(pid >= 0);
    if (pid == 0) {
        AtomicFile done, open_af;
        /* one committed (no longer listed), one still being written */
        if (!atomic_file_put(path, "x", 1, err, sizeof err)) _exit(4);
        if (!atomic_file_open(&done, path, err, sizeof err) || !atomic_file_commit(&done, err, sizeof err)) _exit(4);
        if (!atomic_file_open(&open_af, path, err, sizeof err)) _exit(4);
        atomic_file_write(&open_af, "half", 4);
        fflush(open_af.f);
        struct stat st;
        if (stat(open_af.tmp, &st) != 0) _exit(5);
        alloc_set_fail_handler(removing_handler);
        overflowing_array();
        _exit(0);
    }
    int status = 0;
    ENSURE(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 3);
    /* no NAME.tmp-PID of the child left beside the file, which is the committed one */
    char child_tmp[sizeof tmp + 32];
    snprintf(child_tmp, sizeof child_tmp, "%s%ld", tmp, (long)pid);
    struct stat st;
    ENSURE(stat(child_tmp, &st) != 0);
    ENSURE(stat(path, &st) == 0 && st.st_size == 0);
}

static void test_alloc(void) {
    uint32_t* z = alloc_zeroed(1000, sizeof *z);
    for (int i = 0; i < 1000; i++) ENSURE(z[i] == 0);
    for (int i = 0; i < 1000; i++) z[i] = (uint32_t)i * 7;
    z = alloc_resize(z, 100000, sizeof *z);
    for (int i = 0; i < 1000; i++) ENSURE(z[i] == (uint32_t)i * 7);
    free(z);
    free(alloc_bytes(0));
    char* c = alloc_strdup("glass");
    ENSURE(strcmp(c, "glass") == 0);
    free(c);
    void* small = alloc_try_bytes(16);
    ENSURE(small);
    free(small);
    dies_out_of_memory(overflowing_array);
    dies_out_of_memory(overflowing_resize);
}

/* Spearman's rank correlation: ranks with ties, the textbook cases, and no order to compare */
static void test_rank(void) {
    double r[4];
    rank_of((const double[]){3, 1, 2, 2}, 4, r);
    ENSURE(r[0] == 3 && r[1] == 0 && r[2] == 1.5 && r[3] == 1.5);
    const double a[5] = {1, 2, 3, 4, 5};
    ENSURE(rank_correlation(a, (const double[]){10, 20, 30, 40, 50}, 5) == 1.0);
    ENSURE(rank_correlation(a, (const double[]){50, 40, 30, 20, 10}, 5) == -1.0);
    ENSURE(rank_correlation(a, (const double[]){1, 4, 9, 16, 25}, 5) == 1.0);   /* any increasing map */
    /* 1 - 6 sum d^2 / (n (n^2 - 1)) without ties: d = 1, 1, 1, 1, 0 gives 0.8 */
    ENSURE(fabs(rank_correlation(a, (const double[]){2, 1, 4, 3, 5}, 5) - 0.8) < 1e-12);
    /* a tie: ranks 0, 1.5, 1.5, 3 against 0, 1, 2, 3: 4.5 / sqrt(4.5 * 5) */
    ENSURE(fabs(rank_correlation((const double[]){1, 2, 2, 3}, (const double[]){1, 2, 3, 4}, 4) - 4.5 / sqrt(22.5)) < 1e-12);
    ENSURE(isnan(rank_correlation(a, (const double[]){7, 7, 7, 7, 7}, 5)));
    ENSURE(isnan(rank_correlation(a, a, 1)));
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/nudge-test-base-%d", (int)getpid());
    char err[256];
    ENSURE(make_dirs(dir, err, sizeof err));
    RUN(test_alloc);
    RUN(test_alloc_handler);
    RUN(test_rng);
    RUN(test_npy_round_trip);
    RUN(test_npy_shapes);
    RUN(test_atomic_file);
    RUN(test_atomic_targets);
    RUN(test_atomic_file_limit);
    RUN(test_parse_int);
    RUN(test_parse_real);
    RUN(test_csv_field);
    RUN(test_crc_and_report);
    RUN(test_checked_size);
    RUN(test_npy_hostile);
    RUN(test_input_file);
    RUN(test_rank);
    remove_tree(dir);
    fprintf(stderr, "test_base: all passed\n");
    return 0;
}
