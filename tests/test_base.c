/* base/: rng, .npy round trips (plain and structured dtypes), atomic files, CRC-32, reports */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_file.h"
#include "base/crc.h"
#include "base/npy.h"
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
    char err[64];
    report_set(err, sizeof err, "a\nb\rc %d", 5);
    ENSURE(strcmp(err, "a b c 5") == 0);
    report_set(err, 8, "%s", "a long message");
    ENSURE(strlen(err) == 7);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/nudge-test-base-%d", (int)getpid());
    char err[256];
    ENSURE(make_dirs(dir, err, sizeof err));
    RUN(test_rng);
    RUN(test_npy_round_trip);
    RUN(test_atomic_file);
    RUN(test_crc_and_report);
    remove_tree(dir);
    fprintf(stderr, "test_base: all passed\n");
    return 0;
}
