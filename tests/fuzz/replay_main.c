/* replay_main: runs a harness's LLVMFuzzerTestOneInput over files without libFuzzer, so that the
 * normal suite (gcc, and `make sanitize` with ASan and UBSan) replays the seed corpus and every
 * crash the fuzzers ever found. Usage: fuzz_replay_NAME PATH... (a folder: its files and its folders' files, sorted;
 * names starting with '.' skipped).
 * A crash or a FUZZ_ASSERT aborts with the file's name printed just before. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t* buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "fuzz replay: out of memory for %s\n", path);
        return -1;
    }
    /* an exact-size copy, so that ASan sees a read one past the input */
    uint8_t* exact = malloc(len ? len : 1);
    memcpy(exact, buf, len);
    free(buf);
    fprintf(stderr, "fuzz replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 1;
}

static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static int replay_path(const char* path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz replay: %s: no such file or folder\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return replay_file(path);
    DIR* d = opendir(path);
    if (!d) return -1;
    char** names = NULL;
    size_t n = 0;
    struct dirent* e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    int total = 0;
    for (size_t i = 0; i < n; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, names[i]);
        free(names[i]);
        struct stat s2;
        if (stat(sub, &s2) == 0 && (S_ISREG(s2.st_mode) || S_ISDIR(s2.st_mode))) {
            int r = S_ISDIR(s2.st_mode) ? replay_path(sub) : replay_file(sub);
            if (r < 0) total = -1;
            else if (total >= 0) total += r;
        }
    }
    free(names);
    return total;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    int total = 0;
    for (int i = 1; i < argc; i++) {
        int r = replay_path(argv[i]);
        if (r < 0) return 1;
        total += r;
    }
    printf("%s: %d inputs replayed, no crash\n", argv[0], total);
    return 0;
}
